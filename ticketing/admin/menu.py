"""The "Ticketing" menu: every ticketing listing but payment mismatches, which have their own entry,
and the attendee lists beside the tickets."""

from wagtail_modeladmin.options import ModelAdminGroup

from ticketing.admin.attendees import AttendeesMenuItem
from ticketing.admin.emails import BuyerEmailAdmin
from ticketing.admin.events import EventAdmin
from ticketing.admin.jobs import ScheduledJobAdmin
from ticketing.admin.orders import OrderAdmin, TicketAdmin
from ticketing.admin.payments import PaymentAdmin, WebhookEventAdmin
from ticketing.admin.promo_codes import PromoCodeAdmin
from ticketing.admin.refunds import RefundAdmin
from ticketing.admin.waiting_list import WaitingListAdmin
from ticketing.models import Ticket


class TicketingGroup(ModelAdminGroup):
    menu_label = "Ticketing"
    menu_icon = "tag"
    menu_order = 200
    items = (
        EventAdmin,
        PromoCodeAdmin,
        OrderAdmin,
        TicketAdmin,
        WaitingListAdmin,
        PaymentAdmin,
        RefundAdmin,
        WebhookEventAdmin,
        BuyerEmailAdmin,
        ScheduledJobAdmin,
    )

    def get_submenu_items(self):
        """The listings, with "Attendees" (pages per event, not a listing) after "Tickets"."""
        items = super().get_submenu_items()
        after_tickets = 1 + next(i for i, item in enumerate(items) if item.model_admin.model is Ticket)
        items.insert(after_tickets, AttendeesMenuItem(order=after_tickets + 1))
        for order, item in enumerate(items, start=1):
            item.order = order
        return items
