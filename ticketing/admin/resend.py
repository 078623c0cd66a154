"""Resending an order's tickets (permission `ticketing.resend_tickets`), to a corrected address
if the first went astray: the box office does this without being able to edit orders."""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse

from ticketing import delivery
from ticketing.admin.actions import OrderActionView
from ticketing.models import BuyerEmail, Order

RESEND_PERMISSION = "ticketing.resend_tickets"


def resend_url(order):
    return reverse("ticketing_order_resend_tickets", args=[order.pk])


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
            can_resend=self.order.status in Order.OWNS_TICKETS,
            deliveries=self.order.buyer_emails.filter(kind=BuyerEmail.Kind.TICKETS).select_related(
                "requested_by"
            )[:10],
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
