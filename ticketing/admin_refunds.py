"""Staff admin for money that needs a person: refunds, payment mismatches, a dashboard panel.

Hooked in from `ticketing.wagtail_hooks` (imported there, which registers the hooks below).
The views parse and confirm; the work is done by `ticketing.payments.refunds`, which also writes
Wagtail's audit log.

* "Refund" on an order's inspect page (permission `ticketing.refund_order`): choose tickets
  (or the whole order, or a payment that paid for no tickets), see the amount, confirm. SumUp's
  refusal (not refundable, amount too high, not found) is shown and changes nothing.
* "Payment mismatches" (the `ReconciliationMismatch` rows written by the webhook's checks and by
  reconciliation): listed, inspected, and marked resolved with a note.
* A dashboard panel counting open mismatches, orders in review and failed refunds.
"""

from django import forms
from django.contrib import messages
from django.contrib.admin import SimpleListFilter
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils import timezone
from django.views.generic import FormView
from laces.components import Component
from wagtail import hooks
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.log_actions import log
from wagtail_modeladmin.helpers import ButtonHelper
from wagtail_modeladmin.options import ModelAdmin, modeladmin_register
from wagtail_modeladmin.views import InspectView

from ticketing.admin_permissions import OrderActionView, ReadOnlyPermissionHelper
from ticketing.models import Order, Payment, ReconciliationMismatch, Refund, Ticket
from ticketing.payments import refunds

REFUND_PERMISSION = "ticketing.refund_order"
RESOLVE_PERMISSION = "ticketing.change_reconciliationmismatch"
LOG_RESOLVE_MISMATCH = "ticketing.resolve_mismatch"


def refund_url(order):
    return reverse("ticketing_order_refund", args=[order.pk])


def order_inspect_url(order):
    return reverse("ticketing_order_modeladmin_inspect", args=[order.pk])


def can_refund(order) -> bool:
    """Is there anything staff could refund on this order?"""
    if order.status in Order.OWNS_TICKETS and order.tickets.filter(voided_at__isnull=True).exists():
        return True
    return bool(refunds.unclaimed_payments(order))


# --- The refund button on an order --------------------------------------------------------------


def with_refund_button(button_helper_class):
    """The order admin's button helper, plus "Refund" on the inspect page for staff who may refund."""

    class RefundButtonHelper(button_helper_class):
        def get_buttons_for_obj(self, obj, exclude=None, classnames_add=None, classnames_exclude=None):
            buttons = super().get_buttons_for_obj(obj, exclude, classnames_add, classnames_exclude)
            if (
                isinstance(self.view, InspectView)
                and self.request.user.has_perm(REFUND_PERMISSION)
                and can_refund(obj)
            ):
                buttons.append(
                    {
                        "url": refund_url(obj),
                        "label": "Refund",
                        "classname": self.finalise_classname(["button-secondary"]),
                        "title": f"Refund all or part of {obj.reference} through SumUp",
                    }
                )
            return buttons

    RefundButtonHelper.__name__ = RefundButtonHelper.__qualname__ = f"Refund{button_helper_class.__name__}"
    return RefundButtonHelper


# --- Refunding an order ---------------------------------------------------------------------------


class TicketChoiceField(forms.ModelMultipleChoiceField):
    def __init__(self, *args, prices=None, currency="", **kwargs):
        self.prices, self.currency = prices or {}, currency
        super().__init__(*args, **kwargs)

    def label_from_instance(self, ticket):
        price = self.prices.get(ticket.ticket_type_id)
        checked_in = " · checked in" if ticket.checked_in_at else ""
        return f"{ticket.ticket_type.name} · {ticket.display_code} · {price} {self.currency}{checked_in}"


class PaymentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, payment):
        return (
            f"{payment.checkout_reference} · {refunds.refundable(payment)} {payment.currency} held · "
            f"SumUp {payment.transaction_code or payment.transaction_id or '-'}"
        )


class RefundForm(forms.Form):
    """What to refund: chosen tickets, the whole order, or one payment that paid for no tickets."""

    whole_order = forms.BooleanField(required=False, label="Refund the whole order (every valid ticket)")
    tickets = TicketChoiceField(
        queryset=Ticket.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Or only these tickets",
    )
    payment = PaymentChoiceField(
        queryset=Payment.objects.none(),
        required=False,
        widget=forms.RadioSelect,
        label="Or all of a payment that paid for no tickets",
    )
    reason = forms.CharField(max_length=255, required=False, label="Reason (kept with the refund)")
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, order, **kwargs):
        super().__init__(*args, **kwargs)
        self.order = order
        self.plan = None
        tickets = Ticket.objects.none()
        if order.status in Order.OWNS_TICKETS:
            tickets = order.tickets.filter(voided_at__isnull=True).select_related("ticket_type")
        self.fields["tickets"].queryset = tickets
        self.fields["tickets"].prices = dict(order.lines.values_list("ticket_type_id", "unit_price"))
        self.fields["tickets"].currency = order.currency
        self.fields["payment"].queryset = Payment.objects.filter(
            pk__in=[p.pk for p in refunds.unclaimed_payments(order)]
        )
        if not tickets.exists():
            del self.fields["whole_order"], self.fields["tickets"]
        if not self.fields["payment"].queryset.exists():
            del self.fields["payment"]

    @property
    def has_choices(self):
        return "tickets" in self.fields or "payment" in self.fields

    def clean(self):
        data = super().clean()
        whole, tickets, payment = data.get("whole_order"), data.get("tickets"), data.get("payment")
        chosen = sum(1 for choice in (whole or bool(tickets), payment) if choice)
        if chosen != 1:
            raise forms.ValidationError("Choose the tickets to refund (or the whole order), or one payment.")
        try:
            if payment:
                self.plan = refunds.plan_payment_refund(self.order, payment)
            else:
                self.plan = refunds.plan_ticket_refund(self.order, None if whole else list(tickets))
        except refunds.RefundRefused as refused:
            raise forms.ValidationError(str(refused))
        return data


class RefundOrderView(OrderActionView):
    """Choose, confirm (a second page showing the amount), then refund through SumUp."""

    form_class = RefundForm
    template_name = "ticketing/admin/refund_order.html"
    header_icon = "rotate"
    permission_required = REFUND_PERMISSION
    action_label = "Refund"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "order": self.order}

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            refunds=Refund.objects.filter(payment__order=self.order).select_related(
                "payment", "requested_by"
            ),
            **kwargs,
        )

    def form_valid(self, form):
        plan = form.plan
        if not form.cleaned_data.get("confirmed"):
            return self.render_to_response(self.get_context_data(form=form, plan=plan, confirming=True))
        try:
            refunds.execute(plan, user=self.request.user, reason=form.cleaned_data.get("reason", ""))
        except refunds.RefundRefused as refused:
            messages.error(self.request, f"Nothing was refunded: {refused}")
            return redirect(refund_url(self.order))
        except refunds.RefundFailed as failed:
            messages.error(self.request, f"SumUp did not refund, so nothing changed here. {failed}")
            return redirect(refund_url(self.order))
        messages.success(self.request, f"Refunded {plan.describe()}. The buyer has been e-mailed.")
        return redirect(order_inspect_url(self.order))


# --- Payment mismatches ---------------------------------------------------------------------------


def resolve_url(mismatch):
    return reverse("ticketing_mismatch_resolve", args=[mismatch.pk])


class MismatchButtonHelper(ButtonHelper):
    def get_buttons_for_obj(self, obj, exclude=None, classnames_add=None, classnames_exclude=None):
        buttons = super().get_buttons_for_obj(obj, exclude, classnames_add, classnames_exclude)
        if obj.is_open and self.request.user.has_perm(RESOLVE_PERMISSION):
            buttons.append(
                {
                    "url": resolve_url(obj),
                    "label": "Mark resolved",
                    "classname": self.finalise_classname(["button-secondary"]),
                    "title": "Record what was done about this mismatch",
                }
            )
        if obj.order_id and isinstance(self.view, InspectView):
            buttons.append(
                {
                    "url": order_inspect_url(obj.order),
                    "label": f"Order {obj.order.reference}",
                    "classname": self.finalise_classname(["button-secondary"]),
                    "title": "Open the order",
                }
            )
        return buttons


class OpenFilter(SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("open", "Open"), ("resolved", "Resolved")]

    def queryset(self, request, queryset):
        if self.value() == "open":
            return queryset.filter(resolved_at__isnull=True)
        if self.value() == "resolved":
            return queryset.filter(resolved_at__isnull=False)
        return queryset


class ReconciliationMismatchAdmin(ModelAdmin):
    model = ReconciliationMismatch
    menu_label = "Payment mismatches"
    menu_icon = "warning"
    menu_order = 210
    permission_helper_class = ReadOnlyPermissionHelper
    button_helper_class = MismatchButtonHelper
    inspect_view_enabled = True
    list_display = (
        "kind",
        "order",
        "detail",
        "sumup_amount",
        "our_amount",
        "times_seen",
        "last_seen_at",
        "state",
    )
    list_filter = (OpenFilter, "kind", "source")
    list_select_related = ("order",)
    search_fields = ("order__reference", "transaction_code", "transaction_id", "detail")
    inspect_view_fields = (
        "kind",
        "detail",
        "order",
        "payment",
        "transaction_id",
        "transaction_code",
        "sumup_amount",
        "our_amount",
        "currency",
        "source",
        "first_seen_at",
        "last_seen_at",
        "times_seen",
        "resolved_at",
        "resolved_by",
        "resolution",
    )

    def state(self, mismatch):
        return "Open" if mismatch.is_open else "Resolved"


class ResolveMismatchForm(forms.Form):
    resolution = forms.CharField(
        max_length=255,
        label="What was done",
        help_text="E.g. “refunded from the order”, “SumUp confirmed a chargeback”.",
    )


class ResolveMismatchView(WagtailAdminTemplateMixin, FormView):
    form_class = ResolveMismatchForm
    template_name = "ticketing/admin/resolve_mismatch.html"
    header_icon = "warning"

    def dispatch(self, request, pk):
        if not request.user.has_perm(RESOLVE_PERMISSION):
            raise PermissionDenied
        self.mismatch = get_object_or_404(ReconciliationMismatch.objects.select_related("order"), pk=pk)
        return super().dispatch(request, pk)

    def get_page_title(self):
        return "Resolve a payment mismatch"

    def inspect_url(self):
        return reverse("ticketing_reconciliationmismatch_modeladmin_inspect", args=[self.mismatch.pk])

    def get_context_data(self, **kwargs):
        return super().get_context_data(mismatch=self.mismatch, inspect_url=self.inspect_url(), **kwargs)

    def form_valid(self, form):
        resolved = ReconciliationMismatch.objects.filter(
            pk=self.mismatch.pk, resolved_at__isnull=True
        ).update(
            resolved_at=timezone.now(),
            resolved_by=self.request.user,
            resolution=form.cleaned_data["resolution"],
        )
        if resolved:
            log(
                instance=self.mismatch,
                action=LOG_RESOLVE_MISMATCH,
                user=self.request.user,
                data={"key": self.mismatch.key},
            )
            messages.success(self.request, "Marked resolved.")
        else:
            messages.warning(self.request, "It was already resolved.")
        return redirect(self.inspect_url())


# --- Dashboard ------------------------------------------------------------------------------------


class PaymentAttentionPanel(Component):
    """On the admin's home page: what in payments is waiting for a person, with links."""

    name = "payment_attention"
    template_name = "ticketing/admin/payment_attention_panel.html"
    order = 90

    def get_context_data(self, parent_context):
        context = super().get_context_data(parent_context)
        context.update(
            mismatches=ReconciliationMismatch.objects.filter(resolved_at__isnull=True).count(),
            in_review=Order.objects.filter(status=Order.Status.NEEDS_REVIEW).count(),
            failed_refunds=Refund.objects.filter(status=Refund.Status.FAILED).count(),
            mismatches_url=reverse("ticketing_reconciliationmismatch_modeladmin_index") + "?state=open",
            in_review_url=reverse("ticketing_order_modeladmin_index") + "?status__exact=needs_review",
            refunds_url=reverse("ticketing_refund_modeladmin_index") + "?status__exact=failed",
        )
        return context


# --- Hooks ----------------------------------------------------------------------------------------

modeladmin_register(ReconciliationMismatchAdmin)


@hooks.register("register_admin_urls")
def register_refund_urls():
    return [
        path("ticketing/order/<int:pk>/refund/", RefundOrderView.as_view(), name="ticketing_order_refund"),
        path(
            "ticketing/reconciliationmismatch/<int:pk>/resolve/",
            ResolveMismatchView.as_view(),
            name="ticketing_mismatch_resolve",
        ),
    ]


@hooks.register("register_log_actions")
def register_refund_log_actions(actions):
    actions.register_action(refunds.LOG_REFUND, "Refund", "Refunded through SumUp")
    actions.register_action(refunds.LOG_REFUND_FAILED, "Refund refused", "Refund refused by SumUp")
    actions.register_action(refunds.LOG_AUTOMATIC_REFUND, "Automatic refund", "Refunded automatically")
    actions.register_action(LOG_RESOLVE_MISMATCH, "Resolve mismatch", "Payment mismatch resolved")


@hooks.register("construct_homepage_panels")
def add_payment_attention_panel(request, panels):
    if request.user.has_perm("ticketing.view_order") or request.user.has_perm(REFUND_PERMISSION):
        panels.append(PaymentAttentionPanel())
