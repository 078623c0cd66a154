"""The checkout form on an event page.

It only parses what was typed (numbers, an e-mail address, the Terms box, the CAPTCHA). Every
rule of the shop (sales open, the most tickets per order, at least one ticket, stock, velocity
limits) is `ticketing.checkout`'s, whose message the view shows in this form.
"""

from django import forms
from django.conf import settings

QUANTITY_PREFIX = "quantity_"
# Far above any real order: a larger number is tampering, not a buyer.
ABSOLUTE_MAX_QUANTITY = 100


def quantity_field_name(ticket_type):
    return f"{QUANTITY_PREFIX}{ticket_type.pk}"


class CheckoutForm(forms.Form):
    name = forms.CharField(
        max_length=200,
        label="Your name",
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
        error_messages={"required": "Please tell us your name."},
    )
    email = forms.EmailField(
        label="E-mail address",
        help_text="Your tickets are sent here.",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        error_messages={
            "required": "Please give an e-mail address for your tickets.",
            "invalid": "That e-mail address does not look right; please check it.",
        },
    )
    accept_terms = forms.BooleanField(
        label="I accept the Terms of Service",
        error_messages={"required": "Please accept the Terms of Service to continue."},
    )

    def __init__(self, data=None, *, event, ticket_types=None, **kwargs):
        super().__init__(data, **kwargs)
        self.event = event
        self.ticket_types = list(ticket_types if ticket_types is not None else event.ticket_types.all())
        for ticket_type in self.ticket_types:
            self.fields[quantity_field_name(ticket_type)] = forms.IntegerField(
                label=f"Number of {ticket_type.name} tickets",
                min_value=0,
                max_value=ABSOLUTE_MAX_QUANTITY,
                required=False,
                initial=0,
                widget=forms.NumberInput(
                    attrs={"class": "qty", "min": 0, "max": ticket_type.max_purchasable}
                ),
                error_messages={
                    "invalid": "Enter a whole number of tickets.",
                    "min_value": "The number of tickets cannot be negative.",
                    "max_value": f"That is more {ticket_type.name} tickets than one order can hold.",
                },
            )
        if settings.CAPTCHA_ENABLED:
            from django_recaptcha.fields import ReCaptchaField

            self.fields["captcha"] = ReCaptchaField(
                label="",
                error_messages={"required": "Please confirm you are not a robot."},
            )

    def clean_email(self):
        # Kept as typed, for sending (some mail servers do tell capitals apart); limits compare
        # the mailbox it reaches, `fraud.email_key`, which the checkout stores beside it.
        return self.cleaned_data["email"].strip()

    def quantity_fields(self):
        """(ticket type, bound field) pairs, for the template's ticket table."""
        return [(t, self[quantity_field_name(t)]) for t in self.ticket_types]

    def clean(self):
        cleaned = super().clean()
        self._reject_unknown_quantities()
        cleaned["quantities"] = {
            ticket_type: cleaned.get(quantity_field_name(ticket_type)) or 0
            for ticket_type in self.ticket_types
        }
        cleaned["quantities"] = {t: n for t, n in cleaned["quantities"].items() if n}
        return cleaned

    def show_refusal(self, refused):
        """Show the checkout's refusal beside the quantity it is about, or above the form."""
        ticket_type = getattr(refused, "ticket_type", None)
        field = quantity_field_name(ticket_type) if ticket_type in self.ticket_types else None
        self.add_error(field, str(refused))

    def _reject_unknown_quantities(self):
        """A quantity for a ticket type that is not this event's is tampering: say so."""
        known = {quantity_field_name(t) for t in self.ticket_types}
        unknown = [key for key in self.data if key.startswith(QUANTITY_PREFIX) and key not in known]
        if unknown:
            raise forms.ValidationError(
                "Your order named a ticket type that is not sold for this event. Please choose again.",
                code="unknown_ticket_type",
            )
