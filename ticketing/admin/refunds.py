"""Refunding an order through SumUp, and the list of every refund made.

"Refund" on an order's inspect page (permission `ticketing.refund_order`): choose tickets (or
the whole order, or a payment that paid for no tickets), see the amount, confirm. The work is
done by `ticketing.payments.refunds`, which also writes Wagtail's audit log. SumUp's refusal
(not refundable, amount too high, not found) is shown and changes nothing.
"""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse

from core.admin import ReadOnlyAdmin, money
from ticketing.admin.actions import OrderActionView
from ticketing.models import Payment, Refund, Ticket
from ticketing.payments import refunds

REFUND_PERMISSION = "ticketing.refund_order"


def refund_url(order):
    return reverse("ticketing_order_refund", args=[order.pk])


class TicketChoiceField(forms.ModelMultipleChoiceField):
    def __init__(self, *args, prices=None, currency="", **kwargs):
        self.prices, self.currency = prices or {}, currency
        super().__init__(*args, **kwargs)

    def label_from_instance(self, ticket):
        price = money(self.prices.get(ticket.ticket_type_id), self.currency)
        checked_in = " · checked in" if ticket.checked_in_at else ""
        return f"{ticket.ticket_type.name} · {ticket.display_code} · {price}{checked_in}"


class PaymentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, payment):
        return (
            f"{payment.checkout_reference} · {money(refunds.refundable(payment), payment.currency)} held · "
            f"SumUp {payment.transaction_code or payment.transaction_id or '-'}"
        )


class RefundForm(forms.Form):
    """What to refund: chosen tickets, the whole order, or one payment that paid for no tickets.

    The choices offered are what `ticketing.payments.refunds` says could be refunded; a choice
    is turned into a checked `RefundPlan` in `clean()`, so the confirmation page shows exactly
    what will be asked of SumUp.
    """

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
        tickets = refunds.refundable_tickets(order)
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
        except refunds.RefundOutcomeUnknown as unknown:
            messages.warning(self.request, str(unknown))
            return redirect(self.inspect_url())
        messages.success(self.request, f"Refunded {plan.describe()}. The buyer has been e-mailed.")
        return redirect(self.inspect_url())


class RefundAdmin(ReadOnlyAdmin):
    model = Refund
    menu_label = "Refunds"
    menu_icon = "rotate"
    list_display = ("order_reference", "amount_display", "status", "requested_by", "created_at")
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
    money_fields = {"amount": "payment.currency"}

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("payment__order", "requested_by")

    def order_reference(self, refund):
        return refund.payment.order.reference

    order_reference.short_description = "Order"

    def amount_display(self, refund):
        return money(refund.amount, refund.payment.currency)

    amount_display.short_description = "Amount"
    amount_display.admin_order_field = "amount"
