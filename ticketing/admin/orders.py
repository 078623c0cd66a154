"""Orders (staff may correct the buyer's contact details, nothing else) and the tickets they hold."""

from django.db.models import Prefetch
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, ObjectList
from wagtail_modeladmin.helpers import ButtonHelper
from wagtail_modeladmin.views import InspectView

from core.admin import (
    MoneyInspectView,
    NoCreateOrDeletePermissionHelper,
    ReadOnlyAdmin,
    StaffModelAdmin,
    money,
)
from ticketing.admin.refunds import REFUND_PERMISSION, refund_url
from ticketing.admin.resend import RESEND_PERMISSION, resend_url
from ticketing.models import Order, Refund, Ticket
from ticketing.payments import refunds


class OrderButtonHelper(ButtonHelper):
    """On an order's inspect page: "Resend tickets" and "Refund", each for staff who may.

    Each button shows only to staff holding its permission, and only when the action could do
    something on this order, which the service owning it decides (the permission is asked
    first: it costs no query, the refund check does).
    """

    def get_buttons_for_obj(self, obj, exclude=None, classnames_add=None, classnames_exclude=None):
        buttons = super().get_buttons_for_obj(obj, exclude, classnames_add, classnames_exclude)
        if not isinstance(self.view, InspectView):
            return buttons
        user = self.request.user
        if user.has_perm(RESEND_PERMISSION) and obj.status in Order.OWNS_TICKETS:
            buttons.append(
                self.action_button(
                    resend_url(obj), "Resend tickets", f"E-mail the tickets of {obj.reference} again"
                )
            )
        if user.has_perm(REFUND_PERMISSION) and refunds.can_be_refunded(obj):
            buttons.append(
                self.action_button(
                    refund_url(obj), "Refund", f"Refund all or part of {obj.reference} through SumUp"
                )
            )
        return buttons

    def action_button(self, url, label, title):
        return {
            "url": url,
            "label": label,
            "classname": self.finalise_classname(["button-secondary"]),
            "title": title,
        }


class OrderContactForm(WagtailAdminModelForm):
    """Staff may correct a buyer's name and e-mail (so a resend reaches them), nothing else.

    The save writes only the fields this form shows: a full-row save of an order loaded a
    moment ago would write back a stale status over a payment confirmed in the meantime.
    """

    def save(self, commit=True):
        instance = super().save(commit=False)
        if commit:
            instance.save(update_fields=[*self._meta.fields, "updated_at"])
        return instance


class OrderInspectView(MoneyInspectView):
    """The order with its lines, payments (and their refunds) and tickets, in a few queries."""

    def get_context_data(self, **kwargs):
        order = self.instance
        return super().get_context_data(
            lines=order.lines.select_related("ticket_type"),
            payments=order.payments.prefetch_related(
                Prefetch("refunds", queryset=Refund.objects.select_related("requested_by"))
            ),
            tickets=order.tickets.select_related("ticket_type"),
            **kwargs,
        )


class OrderAdmin(StaffModelAdmin):
    model = Order
    menu_label = "Orders"
    menu_icon = "list-ul"
    permission_helper_class = NoCreateOrDeletePermissionHelper
    button_helper_class = OrderButtonHelper
    inspect_view_enabled = True
    inspect_view_class = OrderInspectView
    money_fields = {"total": "currency"}
    list_display = ("reference", "event", "status", "total_display", "created_at")
    list_filter = ("status", "event")
    list_select_related = ("event",)
    search_fields = ("reference", "email")
    ordering = ("-created_at",)
    inspect_view_fields = (
        "reference",
        "status",
        "event",
        "name",
        "email",
        "total",
        "currency",
        "created_at",
        "expires_at",
        "paid_at",
        "risk_flags",
        "created_ip",
        "user_agent",
        "terms_accepted",
    )
    panels = [
        FieldPanel("reference", read_only=True),
        FieldPanel("status", read_only=True),
        FieldPanel("total", read_only=True),
        FieldPanel("name"),
        FieldPanel("email"),
    ]

    def get_edit_handler(self):
        return ObjectList(self.panels, base_form_class=OrderContactForm)

    def total_display(self, order):
        return money(order.total, order.currency)

    total_display.short_description = "Total"
    total_display.admin_order_field = "total"


class TicketAdmin(ReadOnlyAdmin):
    model = Ticket
    menu_label = "Tickets"
    menu_icon = "tag"
    list_display = ("code_display", "ticket_type_name", "event", "order", "checked_in_at", "voided_at")
    list_filter = ("ticket_type__event",)
    list_select_related = ("order", "ticket_type__event")
    search_fields = ("code", "order__reference")
    ordering = ("-created_at",)
    inspect_view_fields = ("code", "order", "ticket_type", "created_at", "checked_in_at", "voided_at")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("order", "ticket_type__event", "checked_in_by")

    def ticket_type_name(self, ticket):
        return ticket.ticket_type.name

    ticket_type_name.short_description = "Ticket type"

    def event(self, ticket):
        return ticket.ticket_type.event

    def code_display(self, ticket):
        return ticket.display_code

    code_display.short_description = "Code"
