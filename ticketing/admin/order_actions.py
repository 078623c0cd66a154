"""The box office's actions on one order's page: cancel it while unpaid, mark it reviewed,
correct the buyer's name or e-mail (and resend the tickets).

Each is a confirmation page (GET) that acts on POST, for staff holding its permission (checked
before the order is even looked up; others get a 403). The rules and the audit log are
`ticketing.boxoffice`'s: a refusal there (a paid order, a second click, an erased order) is
shown on the page with a 409 and changes nothing.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import reverse

from ticketing import boxoffice
from ticketing.admin.actions import OrderActionView
from ticketing.forms import fits_in_mail
from ticketing.models import Order


def cancel_url(order):
    return reverse("ticketing_order_cancel", args=[order.pk])


def mark_reviewed_url(order):
    return reverse("ticketing_order_mark_reviewed", args=[order.pk])


def correct_contact_url(order):
    return reverse("ticketing_order_correct_contact", args=[order.pk])


class ConfirmOrderActionView(OrderActionView):
    """A yes-or-no action: the page says what will happen, the button does it.

    Subclasses say whether the action is possible (`can_act`), what it does and why not, and
    `act()`, which raises `boxoffice.Refused`.
    """

    form_class = forms.Form  # nothing to type: the POST itself is the "yes"
    template_name = "ticketing/admin/confirm_order_action.html"
    confirm_label = ""

    def can_act(self) -> bool:
        raise NotImplementedError

    def explanation(self) -> list[str]:
        """What the action does to this order, a paragraph each."""
        return []

    def why_not(self) -> str:
        raise NotImplementedError

    def act(self) -> str:
        """Take the action; returns the message shown on the order's page."""
        raise NotImplementedError

    def get_context_data(self, **kwargs):
        can_act = self.can_act()
        return super().get_context_data(
            can_act=can_act,
            explanation=self.explanation() if can_act else [],
            why_not="" if can_act else self.why_not(),
            confirm_label=self.confirm_label,
            **kwargs,
        )

    def form_valid(self, form):
        try:
            done = self.act()
        except boxoffice.Refused as refused:
            self.order.refresh_from_db()
            return self.render_to_response(self.get_context_data(form=form, refusal=str(refused)), status=409)
        messages.success(self.request, done)
        return redirect(self.inspect_url())


class CancelUnpaidOrderView(ConfirmOrderActionView):
    """Cancel an order nobody has paid for: its held tickets go back on sale at once."""

    header_icon = "cross"
    permission_required = boxoffice.CANCEL_PERMISSION
    action_label = "Cancel order"
    confirm_label = "Yes, cancel the order"

    def can_act(self):
        return boxoffice.can_cancel(self.order)

    def why_not(self):
        return boxoffice.why_not_cancel(self.order)

    def explanation(self):
        paragraphs = [
            "The order becomes cancelled. The buyer is not e-mailed; tell them if they asked for this."
        ]
        if self.order.status == Order.Status.PENDING:
            held = sum(self.order.lines.values_list("quantity", flat=True))
            paragraphs.append(
                f"The {held} ticket{'s' if held != 1 else ''} it holds go back on sale at once, and "
                "its SumUp checkout is closed so it can no longer be paid."
            )
        else:
            paragraphs.append("It holds no tickets (they went back on sale when it was sent to review).")
        if boxoffice.money_taken(self.order):
            paragraphs.append(
                "SumUp took money for this order: cancelling does not give it back. Ask Finance to refund it."
            )
        return paragraphs

    def act(self):
        boxoffice.cancel_unpaid_order(self.order, self.request.user)
        return f"Order {self.order.reference} is cancelled; its tickets are back on sale."


class MarkReviewedView(ConfirmOrderActionView):
    """Record that a person looked at a flagged order, so it stops waiting for one."""

    header_icon = "tick"
    permission_required = boxoffice.REVIEW_PERMISSION
    action_label = "Mark reviewed"
    confirm_label = "Yes, mark it reviewed"

    def can_act(self):
        return boxoffice.waits_for_review(self.order)

    def why_not(self):
        if self.order.reviewed_at:
            who = self.order.reviewed_by.get_username() if self.order.reviewed_by else "someone since removed"
            return f"Order {self.order.reference} was marked reviewed on {self.order.reviewed_at:%d %b %Y %H:%M} by {who}."
        return f"Order {self.order.reference} has no risk flags and is not in review: nothing to review."

    def explanation(self):
        paragraphs = [
            "It stops counting as waiting for a person: on the dashboard and in the “Flagged” filter of the orders."
        ]
        if self.order.status == Order.Status.NEEDS_REVIEW:
            paragraphs.append(
                "Its status does not change: an order in review stays unpaid and holds no tickets. "
                "Marking it reviewed neither pays nor cancels it."
            )
        else:
            paragraphs.append(
                f"Its status does not change: it stays {self.order.get_status_display().lower()}."
            )
        return paragraphs

    def act(self):
        boxoffice.mark_reviewed(self.order, self.request.user)
        return f"Order {self.order.reference} is marked reviewed."


class BuyerContactForm(forms.Form):
    """The buyer's name and e-mail, checked as the checkout checks them (lengths the columns
    and mail itself can carry)."""

    name = forms.CharField(
        max_length=Order._meta.get_field("name").max_length,
        label="Buyer's name",
        error_messages={
            "required": "Give the buyer's name.",
            "max_length": "That name is longer than an order can keep; please shorten it.",
        },
    )
    email = forms.EmailField(
        max_length=Order._meta.get_field("email").max_length,
        label="Buyer's e-mail address",
        help_text="Later e-mails about this order go here too.",
        error_messages={
            "required": "Give the buyer's e-mail address.",
            "invalid": "That e-mail address does not look right; please check it.",
            "max_length": "That e-mail address is longer than mail can carry; please check it.",
        },
    )
    resend = forms.BooleanField(
        required=False,
        label="Resend tickets now",
        help_text="E-mail the order's valid tickets to the address above once it is saved.",
    )

    def __init__(self, *args, owns_tickets, **kwargs):
        super().__init__(*args, **kwargs)
        if not owns_tickets:
            del self.fields["resend"]

    def clean_email(self):
        email = self.cleaned_data["email"].strip()
        if not fits_in_mail(email):
            raise ValidationError(self.fields["email"].error_messages["max_length"], code="max_length")
        return email


class CorrectBuyerContactView(OrderActionView):
    """Correct the buyer's name or e-mail (only those), and resend the tickets there if asked."""

    form_class = BuyerContactForm
    template_name = "ticketing/admin/correct_buyer_contact.html"
    header_icon = "user"
    permission_required = boxoffice.CORRECT_CONTACT_PERMISSION
    action_label = "Correct name or e-mail"

    def get_initial(self):
        return {"name": self.order.name, "email": self.order.email}

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "owns_tickets": self.order.status in Order.OWNS_TICKETS}

    def get_context_data(self, **kwargs):
        return super().get_context_data(can_correct=boxoffice.can_correct_contact(self.order), **kwargs)

    def post(self, request, *args, **kwargs):
        if not boxoffice.can_correct_contact(self.order):
            context = self.get_context_data(
                refusal="This order's personal data was erased: it cannot be corrected."
            )
            return self.render_to_response(context, status=409)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            boxoffice.correct_buyer_contact(
                self.order,
                self.request.user,
                name=data["name"],
                email=data["email"],
                resend=data.get("resend", False),
            )
        except boxoffice.Refused as refused:
            form.add_error(None, str(refused))
            return self.form_invalid(form)
        resent = (
            " The tickets are queued to be e-mailed to the corrected address." if data.get("resend") else ""
        )
        messages.success(
            self.request, f"The buyer's details on {self.order.reference} are corrected.{resent}"
        )
        return redirect(self.inspect_url())
