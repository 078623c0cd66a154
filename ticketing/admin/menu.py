"""The "Ticketing" menu: every ticketing listing but payment mismatches, which have their own entry."""

from wagtail_modeladmin.options import ModelAdminGroup

from ticketing.admin.emails import BuyerEmailAdmin
from ticketing.admin.events import EventAdmin
from ticketing.admin.jobs import ScheduledJobAdmin
from ticketing.admin.orders import OrderAdmin, TicketAdmin
from ticketing.admin.payments import PaymentAdmin, WebhookEventAdmin
from ticketing.admin.refunds import RefundAdmin


class TicketingGroup(ModelAdminGroup):
    menu_label = "Ticketing"
    menu_icon = "tag"
    menu_order = 200
    items = (
        EventAdmin,
        OrderAdmin,
        TicketAdmin,
        PaymentAdmin,
        RefundAdmin,
        WebhookEventAdmin,
        BuyerEmailAdmin,
        ScheduledJobAdmin,
    )
