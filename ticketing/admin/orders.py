"""Orders, with everything about one on its page, the box office's actions on it, and the
tickets they hold. (Superusers may also edit an order's contact details outright.)"""

from django.contrib.admin import SimpleListFilter
from django.db.models import Prefetch, Q
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, ObjectList
from wagtail.models import ModelLogEntry
from wagtail_modeladmin.helpers import ButtonHelper
from wagtail_modeladmin.views import InspectView

from core.admin import (
    MoneyInspectView,
    NoCreateOrDeletePermissionHelper,
    ReadOnlyAdmin,
    StaffModelAdmin,
    money,
)
from ticketing import boxoffice, fraud
from ticketing.admin.order_actions import cancel_url, correct_contact_url, mark_reviewed_url
from ticketing.admin.refunds import REFUND_PERMISSION, refund_url
from ticketing.admin.resend import RESEND_PERMISSION, resend_url
from ticketing.models import Order, Refund, Ticket
from ticketing.payments import refunds


class FlaggedFilter(SimpleListFilter):
    """Orders that ask for a person (risk flags, or in review) and that nobody has reviewed
    yet; or those a person has reviewed."""

    title = "Flagged"
    parameter_name = "flagged"

    def lookups(self, request, model_admin):
        return [("waiting", "Flagged, not reviewed yet"), ("reviewed", "Reviewed")]

    def queryset(self, request, queryset):
        flagged = Q(risk_flags__0__isnull=False) | Q(status=Order.Status.NEEDS_REVIEW)
        if self.value() == "waiting":
            return queryset.filter(flagged, reviewed_at__isnull=True)
        if self.value() == "reviewed":
            return queryset.filter(reviewed_at__isnull=False)
        return queryset


class OrderButtonHelper(ButtonHelper):
    """On an order's inspect page: resend, refund, and the box office's actions (cancel while
    unpaid, mark reviewed, correct the buyer's name or e-mail), each for staff who may.

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
        if user.has_perm(boxoffice.CANCEL_PERMISSION) and boxoffice.can_cancel(obj):
            buttons.append(
                self.action_button(
                    cancel_url(obj), "Cancel order", f"Cancel {obj.reference}, which is not paid"
                )
            )
        if user.has_perm(boxoffice.REVIEW_PERMISSION) and boxoffice.waits_for_review(obj):
            buttons.append(
                self.action_button(
                    mark_reviewed_url(obj), "Mark reviewed", f"Record that you looked at {obj.reference}"
                )
            )
        if user.has_perm(boxoffice.CORRECT_CONTACT_PERMISSION) and boxoffice.can_correct_contact(obj):
            buttons.append(
                self.action_button(
                    correct_contact_url(obj),
                    "Correct name or e-mail",
                    f"Correct the buyer's details on {obj.reference}, and resend the tickets",
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
    """Everything about one order in one place, in a fixed number of queries however many
    tickets or e-mails it has: its lines, payments, refunds, tickets, the e-mails sent to its
    buyer, its risk flags in words and its history (Wagtail's audit log of it)."""

    # Field labels in staff's words, where the column's name is not.
    LABELS = {
        "email": "E-mail",
        "created_at": "Created",
        "expires_at": "Hold ends",
        "paid_at": "Paid",
        "risk_flags": "Risk flags",
        "created_ip": "Created from",
        "user_agent": "Browser",
        "terms_accepted": "Terms accepted",
        "reviewed_at": "Reviewed",
        "reviewed_by": "Reviewed by",
        "personal_data_erased_at": "Personal data erased",
    }

    def get_field_label(self, field_name, field=None):
        return self.LABELS.get(field_name) or super().get_field_label(field_name, field)

    def get_field_display_value(self, field_name, field=None):
        if field_name == "risk_flags":
            words = fraud.describe_risk_flags(self.instance.risk_flags)
            return "; ".join(words) if words else "None"
        if field_name == "reviewed_by" and self.instance.reviewed_by_id:
            return self.instance.reviewed_by.get_username()
        return super().get_field_display_value(field_name, field)

    def get_context_data(self, **kwargs):
        order = self.instance
        return super().get_context_data(
            lines=order.lines.select_related("ticket_type"),
            payments=order.payments.prefetch_related(
                Prefetch("refunds", queryset=Refund.objects.select_related("requested_by"))
            ),
            refund_list=Refund.objects.filter(payment__order=order).select_related("payment", "requested_by"),
            tickets=order.tickets.select_related("ticket_type"),
            buyer_emails=order.buyer_emails.select_related("requested_by", "refund"),
            history=ModelLogEntry.objects.for_instance(order)
            .select_related("user")
            .order_by("-timestamp", "-pk"),
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
    money_fields = {"total": "currency", "discount": "currency"}
    list_display = ("reference", "name", "email", "event", "status", "total_display", "created_at")
    list_filter = ("event", "status", "created_at", FlaggedFilter)
    list_select_related = ("event",)
    search_fields = ("reference", "email", "name")
    ordering = ("-created_at",)
    inspect_view_fields = (
        "reference",
        "status",
        "event",
        "name",
        "email",
        "total",
        "currency",
        "promo_code",
        "discount",
        "created_at",
        "expires_at",
        "paid_at",
        "risk_flags",
        "reviewed_at",
        "reviewed_by",
        "created_ip",
        "user_agent",
        "terms_accepted",
        "personal_data_erased_at",
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
