from django.urls import path

from legal import views

app_name = "legal"

urlpatterns = [
    path("cookies/", views.cookie_choice, name="cookie-choice"),
    path("data-request/", views.data_request_view, name="data-request"),
    path("data-request/sent/", views.data_request_sent, name="data-request-sent"),
    path("data-request/confirm/<str:token>/", views.data_request_confirm, name="data-request-confirm"),
]
