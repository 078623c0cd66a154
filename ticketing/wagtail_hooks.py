"""Staff admin for ticketing: the "Ticketing" menu (wagtail-modeladmin).

Keep this module thin. It lists, shows and edits catalogue data; anything that changes money,
inventory or an order's state belongs in a service module (inventory, checkout, refunds) that
an admin action calls, never in a form's save() here.

Two rules shape the classes below:

* Every list renders in a fixed number of queries whatever its length: each admin names the
  relations its columns read (`list_select_related`) or prefetches them in `get_queryset`.
* Records written by the payment flow (orders, tickets, payments, webhooks, refunds) are
  evidence, not documents: they are read-only here, except a buyer's contact details.
"""

from django import forms
from django.contrib import messages
from django.db import transaction
from django.db.models import Prefetch
from django.shortcuts import redirect
from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel, ObjectList
from wagtail_modeladmin.helpers import ButtonHelper
from wagtail_modeladmin.options import ModelAdmin, ModelAdminGroup, modeladmin_register
from wagtail_modeladmin.views import InspectView

from ticketing import delivery
from ticketing.admin_permissions import (
    NoCreateOrDeletePermissionHelper,
    OrderActionView,
    ReadOnlyPermissionHelper,
)
from ticketing.models import BuyerEmail, Event, Order, Payment, Refund, ScheduledJob, Ticket, WebhookEvent


def money(amount, currency):
    return f"{amount:,.2f} {currency}"


# --- Events -------------------------------------------------------------------------------


class EventForm(WagtailAdminModelForm):
    """An event and its ticket types, validated and saved as one unit.

    Field rules (dates, currency, capacity below sold) live in `Event.clean()` and
    `TicketType.clean()`, which the model forms run; this form adds only the rules that need
    the event and its ticket types together.
    """

    def clean(self):
        cleaned_data = super().clean()
        ticket_types = self.formsets["ticket_types"]
        if cleaned_data.get("status") == Event.Status.ON_SALE and not self._kept_forms(ticket_types):
            self.add_error("status", "An event on sale needs at least one ticket type.")
        for form in ticket_types.deleted_forms:
            if form.instance.pk and form.instance.order_lines.exists():
                self.add_error(
                    None,
                    f"“{form.instance.name}” has orders and cannot be deleted; "
                    "lower its capacity to what is sold to stop sales instead.",
                )
        return cleaned_data

    @staticmethod
    def _kept_forms(formset):
        deleted = set(formset.deleted_forms)
        return [
            form for form in formset.forms if form not in deleted and (form.instance.pk or form.has_changed())
        ]

    def save(self, commit=True):
        """Save the event and its ticket types in one transaction.

        Each row is saved by `SoldCounterProtected.save()`, which names its columns so that a
        stale form never writes `sold` (and names the ticket types, so modelcluster commits them).
        """
        with transaction.atomic():
            return super().save(commit=commit)


class EventAdmin(ModelAdmin):
    model = Event
    menu_label = "Events"
    menu_icon = "date"
    list_display = ("title", "starts_at", "venue", "status", "sales_state_display", "tickets_sold")
    list_filter = ("status", "venue")
    search_fields = ("title", "venue")
    ordering = ("-starts_at",)
    inspect_view_enabled = True

    panels = [
        FieldPanel("title"),
        FieldPanel("venue"),
        FieldRowPanel([FieldPanel("starts_at"), FieldPanel("ends_at")], heading="When"),
        MultiFieldPanel(
            [
                FieldPanel("status"),
                FieldRowPanel([FieldPanel("sales_start"), FieldPanel("sales_end")]),
                FieldRowPanel([FieldPanel("capacity"), FieldPanel("currency")]),
                FieldPanel("sold", read_only=True, heading="Tickets sold or held (all types)"),
            ],
            heading="Sales",
        ),
        InlinePanel(
            "ticket_types",
            heading="Ticket types",
            label="Ticket type",
            panels=[
                FieldRowPanel([FieldPanel("name"), FieldPanel("price")]),
                FieldPanel("description"),
                FieldRowPanel([FieldPanel("capacity"), FieldPanel("max_per_order")]),
                FieldPanel("sold", read_only=True, heading="Sold or held"),
            ],
        ),
    ]

    def get_edit_handler(self):
        return ObjectList(self.panels, base_form_class=EventForm)

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("ticket_types")

    @staticmethod
    def _ticket_types(event):
        return list(event.ticket_types.all())  # prefetched by get_queryset

    def sales_state_display(self, event):
        return event.sales_state(ticket_types=self._ticket_types(event)).label

    sales_state_display.short_description = "Sales"

    def tickets_sold(self, event):
        """Sold or held, out of what can be sold: the types' stock, capped by the event's."""
        capacity = sum(t.capacity for t in self._ticket_types(event))
        if event.capacity is not None:
            capacity = min(capacity, event.capacity)
        return f"{event.sold} / {capacity}"

    tickets_sold.short_description = "Sold / capacity"


# --- Resending an order's tickets -------------------------------------------------------------

RESEND_PERMISSION = "ticketing.change_order"  # whoever may correct the buyer's address may resend


def resend_url(order):
    return reverse("ticketing_order_resend_tickets", args=[order.pk])


class OrderButtonHelper(ButtonHelper):
    """Adds "Resend tickets" to an order's inspect view, for staff who may change orders."""

    def get_buttons_for_obj(self, obj, exclude=None, classnames_add=None, classnames_exclude=None):
        buttons = super().get_buttons_for_obj(obj, exclude, classnames_add, classnames_exclude)
        if (
            isinstance(self.view, InspectView)
            and obj.status in delivery.TICKET_STATES
            and self.request.user.has_perm(RESEND_PERMISSION)
        ):
            buttons.append(
                {
                    "url": resend_url(obj),
                    "label": "Resend tickets",
                    "classname": self.finalise_classname(["button-secondary"]),
                    "title": f"E-mail the tickets of {obj.reference} again",
                }
            )
        return buttons


class ResendTicketsForm(forms.Form):
    email = forms.EmailField(
        label="Send to",
        help_text="The buyer's address. Correct it here if the first e-mail went astray: "
        "the order keeps the new address.",
    )


class ResendTicketsView(OrderActionView):
    """Confirm, then queue the order's ticket e-mail again (`delivery.resend_tickets`, audit-logged)."""

    form_class = ResendTicketsForm
    template_name = "ticketing/tickets_resend.html"
    header_icon = "mail"
    permission_required = RESEND_PERMISSION
    action_label = "Resend tickets"

    def get_initial(self):
        return {"email": self.order.email}

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            ticket_count=delivery.valid_tickets(self.order).count(),
            can_resend=self.order.status in delivery.TICKET_STATES,
            deliveries=self.order.ticket_emails.select_related("requested_by")[:10],
            **kwargs,
        )

    def form_valid(self, form):
        try:
            delivery.resend_tickets(self.order, self.request.user, email=form.cleaned_data["email"])
        except delivery.CannotResend as refused:
            messages.error(self.request, str(refused))
        else:
            messages.success(
                self.request, f"The tickets of {self.order.reference} are queued to be e-mailed again."
            )
        return redirect(self.inspect_url())


@hooks.register("register_admin_urls")
def register_resend_tickets_url():
    return [
        path(
            "ticketing/order/<int:pk>/resend-tickets/",
            ResendTicketsView.as_view(),
            name="ticketing_order_resend_tickets",
        )
    ]


@hooks.register("register_log_actions")
def register_ticketing_log_actions(actions):
    actions.register_action(delivery.RESEND_LOG_ACTION, "Resend tickets", "Tickets e-mailed again")


# --- Orders -------------------------------------------------------------------------------


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


class OrderInspectView(InspectView):
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


class OrderAdmin(ModelAdmin):
    model = Order
    menu_label = "Orders"
    menu_icon = "list-ul"
    permission_helper_class = NoCreateOrDeletePermissionHelper
    button_helper_class = OrderButtonHelper
    inspect_view_enabled = True
    inspect_view_class = OrderInspectView
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


# --- Read-only records -------------------------------------------------------------------


class ReadOnlyAdmin(ModelAdmin):
    permission_helper_class = ReadOnlyPermissionHelper
    inspect_view_enabled = True


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


class PaymentAdmin(ReadOnlyAdmin):
    model = Payment
    menu_label = "Payments"
    menu_icon = "form"
    list_display = (
        "checkout_reference",
        "order",
        "amount_display",
        "status",
        "transaction_code",
        "created_at",
    )
    list_filter = ("status",)
    list_select_related = ("order",)
    search_fields = (
        "checkout_reference",
        "checkout_id",
        "transaction_id",
        "transaction_code",
        "order__reference",
    )
    ordering = ("-created_at",)
    inspect_view_fields = (
        "order",
        "checkout_id",
        "checkout_reference",
        "transaction_id",
        "transaction_code",
        "amount",
        "currency",
        "status",
        "created_at",
        "updated_at",
        "raw",
    )

    def amount_display(self, payment):
        return money(payment.amount, payment.currency)

    amount_display.short_description = "Amount"
    amount_display.admin_order_field = "amount"


class WebhookEventAdmin(ReadOnlyAdmin):
    model = WebhookEvent
    menu_label = "Webhook events"
    menu_icon = "resubmit"
    list_display = ("received_at", "event_type", "checkout_id", "outcome", "signed", "deliveries")
    list_filter = ("outcome", "signed")
    search_fields = ("checkout_id", "dedupe_key")
    ordering = ("-received_at",)


class RefundAdmin(ReadOnlyAdmin):
    model = Refund
    menu_label = "Refunds"
    menu_icon = "rotate"
    list_display = ("order_reference", "amount", "status", "requested_by", "created_at")
    list_filter = ("status",)
    list_select_related = ("payment__order", "requested_by")
    search_fields = ("payment__order__reference", "provider_reference")
    ordering = ("-created_at",)
    inspect_view_fields = (
        "payment",
        "amount",
        "status",
        "provider_reference",
        "reason",
        "requested_by",
        "error",
        "created_at",
    )

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("payment__order", "requested_by")

    def order_reference(self, refund):
        return refund.payment.order.reference

    order_reference.short_description = "Order"


class TicketEmailAdmin(ReadOnlyAdmin):
    """Every ticket e-mail: queued, sent, retrying (with the last error) or failed for good."""

    model = BuyerEmail
    menu_label = "Ticket e-mails"
    menu_icon = "mail"
    list_display = ("order", "reason", "status", "attempts", "next_attempt_at", "sent_at", "last_error")
    list_filter = ("status", "reason")
    list_select_related = ("order",)
    search_fields = ("order__reference",)
    ordering = ("-created_at",)
    inspect_view_fields = (
        "order",
        "reason",
        "status",
        "attempts",
        "last_attempt_at",
        "next_attempt_at",
        "sent_at",
        "last_error",
        "requested_by",
        "task_id",
        "created_at",
    )


class ScheduledJobAdmin(ReadOnlyAdmin):
    """The worker's periodic jobs (ticketing.schedule): when each last ran, how, and when next."""

    model = ScheduledJob
    menu_label = "Scheduled jobs"
    menu_icon = "time"
    list_display = (
        "name",
        "next_run_at",
        "last_started_at",
        "last_finished_at",
        "last_outcome",
        "last_result",
    )
    ordering = ("name",)


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
        TicketEmailAdmin,
        ScheduledJobAdmin,
    )


modeladmin_register(TicketingGroup)


# --- Refunds, payment mismatches and the payments dashboard panel (issue 5) -----------------------
# The views, the mismatch admin and their hooks live in ticketing.admin_refunds; importing it
# registers them. The order admin gets a "Refund" button on its inspect page.
from ticketing import admin_refunds  # noqa: E402

OrderAdmin.button_helper_class = admin_refunds.with_refund_button(OrderAdmin.button_helper_class)
