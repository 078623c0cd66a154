"""Where Wagtail learns about the ticketing admin: every registration, in one place.

The screens themselves are in the `ticketing.admin` package, which only defines them; see its
docstring for why registering happens here and nowhere else.
"""

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import path, reverse
from wagtail import hooks
from wagtail_modeladmin.options import modeladmin_register

from ticketing import boxoffice, cancellation, checkout, delivery
from ticketing.admin.attendees import (
    LOG_ATTENDEES_DOWNLOADED,
    AttendeeCsvView,
    AttendeeListView,
    ChooseEventView,
    DoorListView,
)
from ticketing.admin.cancel_event import CancelEventView
from ticketing.admin.dashboard import PaymentAttentionPanel, SalesPanel
from ticketing.admin.door import ScannerMenuItem
from ticketing.admin.menu import TicketingGroup
from ticketing.admin.mismatches import ReconciliationMismatchAdmin, ResolveMismatchView
from ticketing.admin.order_actions import CancelUnpaidOrderView, CorrectBuyerContactView, MarkReviewedView
from ticketing.admin.refunds import RefundOrderView
from ticketing.admin.resend import ResendTicketsView
from ticketing.payments import reconcile, refunds

# The "Ticketing" menu, then "Payment mismatches" beside it.
modeladmin_register(TicketingGroup)
modeladmin_register(ReconciliationMismatchAdmin)


@hooks.register("register_admin_menu_item")
def register_scanner_menu_item():
    return ScannerMenuItem()


@hooks.register("register_admin_urls")
def register_ticketing_admin_urls():
    """The staff actions that are not a model listing's own pages."""
    return [
        path(
            "ticketing/order/<int:pk>/resend-tickets/",
            ResendTicketsView.as_view(),
            name="ticketing_order_resend_tickets",
        ),
        path("ticketing/order/<int:pk>/refund/", RefundOrderView.as_view(), name="ticketing_order_refund"),
        path("ticketing/event/<int:pk>/cancel/", CancelEventView.as_view(), name="ticketing_event_cancel"),
        path(
            "ticketing/order/<int:pk>/cancel/", CancelUnpaidOrderView.as_view(), name="ticketing_order_cancel"
        ),
        path(
            "ticketing/order/<int:pk>/mark-reviewed/",
            MarkReviewedView.as_view(),
            name="ticketing_order_mark_reviewed",
        ),
        path(
            "ticketing/order/<int:pk>/correct-contact/",
            CorrectBuyerContactView.as_view(),
            name="ticketing_order_correct_contact",
        ),
        path(
            "ticketing/reconciliationmismatch/<int:pk>/resolve/",
            ResolveMismatchView.as_view(),
            name="ticketing_mismatch_resolve",
        ),
        # Who is coming: choose an event, then its attendee list, CSV or printable door list.
        path("ticketing/attendees/", ChooseEventView.as_view(), name="ticketing_attendees"),
        path(
            "ticketing/event/<int:pk>/attendees/",
            AttendeeListView.as_view(),
            name="ticketing_event_attendees",
        ),
        path(
            "ticketing/event/<int:pk>/attendees.csv",
            AttendeeCsvView.as_view(),
            name="ticketing_event_attendees_csv",
        ),
        path("ticketing/event/<int:pk>/door-list/", DoorListView.as_view(), name="ticketing_event_door_list"),
    ]


@hooks.register("register_log_actions")
def register_ticketing_log_actions(actions):
    """How the audit-log entries written by the ticketing services read in an object's history."""
    actions.register_action(delivery.RESEND_LOG_ACTION, "Resend tickets", "Tickets e-mailed again")
    actions.register_action(refunds.LOG_REFUND, "Refund", "Refunded through SumUp")
    actions.register_action(refunds.LOG_REFUND_FAILED, "Refund refused", "Refund refused by SumUp")
    actions.register_action(
        refunds.LOG_REFUND_UNKNOWN, "Refund unanswered", "SumUp did not answer a refund; checking"
    )
    actions.register_action(refunds.LOG_AUTOMATIC_REFUND, "Automatic refund", "Refunded automatically")
    actions.register_action(LOG_ATTENDEES_DOWNLOADED, "Download attendees", "Attendee list downloaded (CSV)")
    actions.register_action(
        cancellation.LOG_CANCEL_EVENT, "Cancel event", "Event cancelled: sales stopped, buyers being refunded"
    )
    actions.register_action(reconcile.LOG_RESOLVE_MISMATCH, "Resolve mismatch", "Payment mismatch resolved")
    actions.register_action(boxoffice.LOG_CANCEL, "Cancel order", "Unpaid order cancelled")
    actions.register_action(boxoffice.LOG_REVIEWED, "Mark reviewed", "Flagged order reviewed")
    actions.register_action(
        boxoffice.LOG_CONTACT_CORRECTED, "Correct buyer's contact", "Buyer's name or e-mail corrected"
    )


@hooks.register("construct_homepage_panels")
def add_ticketing_panels(request, panels):
    """What waits for a person, and how upcoming events sell: each to staff who may see it."""
    if PaymentAttentionPanel.is_for(request.user):
        panels.append(PaymentAttentionPanel())
    if SalesPanel.is_for(request.user):
        panels.append(SalesPanel())


# Orders keep the revision of the Terms their buyer accepted (PROTECT): deleting that page would
# delete the evidence, so the admin refuses and says why, rather than failing on the database.
TERMS_IN_USE = (
    "“{title}” cannot be deleted: orders record that their buyers accepted its wording. "
    "Unpublish it instead, or publish new wording as a new version."
)


@hooks.register("before_delete_page")
def keep_pages_whose_terms_orders_accepted(request, page):
    pages = page.get_descendants(inclusive=True)
    if checkout.orders_accepted_terms_on(pages.values_list("pk", flat=True)):
        messages.error(request, TERMS_IN_USE.format(title=page.get_admin_display_title()))
        return redirect(reverse("wagtailadmin_pages:edit", args=[page.pk]))
    return None


@hooks.register("before_bulk_action")
def keep_pages_whose_terms_orders_accepted_in_bulk(request, action_type, objects, action_class_instance):
    if action_type != "delete" or not objects or not hasattr(objects[0], "get_descendants"):
        return None
    for page in objects:
        if checkout.orders_accepted_terms_on(
            page.get_descendants(inclusive=True).values_list("pk", flat=True)
        ):
            messages.error(request, TERMS_IN_USE.format(title=page.get_admin_display_title()))
            return redirect(reverse("wagtailadmin_explore", args=[page.get_parent().pk]))
    return None
