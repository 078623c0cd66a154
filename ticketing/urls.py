from django.urls import path

from ticketing import views
from ticketing.payments import webhooks

app_name = "ticketing"

urlpatterns = [
    path("events/<int:event_id>/checkout/", views.checkout_view, name="checkout"),
    path("orders/<str:token>/", views.order_view, name="order"),
    path("orders/<str:token>/pay/", views.pay_again_view, name="pay-again"),
    path("webhooks/sumup/", webhooks.sumup_webhook, name="sumup-webhook"),
]
