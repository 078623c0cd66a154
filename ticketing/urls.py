from django.urls import path

from ticketing import ticket_views, views, waiting_list_views
from ticketing.payments import webhooks

app_name = "ticketing"

urlpatterns = [
    path("events/<int:event_id>/checkout/", views.checkout_view, name="checkout"),
    # Before "orders/<token>/", which would read "find" as a token.
    path("orders/find/", views.find_orders_view, name="find-orders"),
    path("orders/find/sent/", views.find_orders_sent, name="find-orders-sent"),
    path("orders/<str:token>/", views.order_view, name="order"),
    path("orders/<str:token>/pay/", views.pay_again_view, name="pay-again"),
    # Issue 12: the buyer's own changes (cancel within the event's policy, attendee names).
    path("orders/<str:token>/cancel/", views.cancel_tickets_view, name="cancel-tickets"),
    path("orders/<str:token>/names/", views.attendee_names_view, name="attendee-names"),
    path("webhooks/sumup/", webhooks.sumup_webhook, name="sumup-webhook"),
    # Tickets once paid (issue 4): the buyer's ticket page and the door check-in.
    path("orders/<str:token>/tickets/", ticket_views.order_tickets_view, name="tickets"),
    # Issue 12: the order's event for the buyer's calendar.
    path("orders/<str:token>/calendar.ics", ticket_views.order_calendar_view, name="order-calendar"),
    # Issue 12: the waiting list of a sold-out ticket type, and the offer its e-mail links to.
    path("events/<int:event_id>/waiting-list/", waiting_list_views.join_view, name="waiting-list"),
    path(
        "events/<int:event_id>/waiting-list/joined/",
        waiting_list_views.joined_view,
        name="waiting-list-joined",
    ),
    path("waiting-list/offers/<str:token>/", waiting_list_views.offer_view, name="waiting-list-offer"),
    path("check-in/", ticket_views.check_in_events_view, name="check-in"),
    path("check-in/<int:event_id>/", ticket_views.check_in_view, name="check-in-event"),
]
