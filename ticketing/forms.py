"""The checkout form on an event page.

It only parses what was typed (numbers, an e-mail address, the Terms box, the CAPTCHA). Every
rule of the shop (sales open, the most tickets per order, at least one ticket, stock, velocity
limits) is `ticketing.checkout`'s, whose message the view shows in this form.
"""

import http.client
import logging

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django_recaptcha.fields import ReCaptchaField

from ticketing.models import Order

logger = logging.getLogger(__name__)

QUANTITY_PREFIX = "quantity_"
# Far above any real order: a larger number is tampering, not a buyer.
ABSOLUTE_MAX_QUANTITY = 100

CAPTCHA_UNAVAILABLE = "We could not check that you are not a robot just now; please try again in a minute."
# What asking Google can raise besides its own HTTP errors: urllib's failures to connect, time
# outs and resets are OSErrors, a half-sent answer an HTTPException; an answer that is not
# Google's JSON object fails as one of the others while django-recaptcha reads it.
_CAPTCHA_SERVICE_FAILURES = (
    OSError,
    http.client.HTTPException,
    ValueError,
    KeyError,
    TypeError,
    AttributeError,
)


def quantity_field_name(ticket_type):
    return f"{QUANTITY_PREFIX}{ticket_type.pk}"


# Mail's own limits, in bytes of UTF-8 (RFC 5321 with SMTPUTF8): longer cannot be delivered.
MAX_EMAIL_BYTES = 254
MAX_EMAIL_NAME_BYTES = 64


def fits_in_mail(email: str) -> bool:
    """Whether mail can carry the address: at most 254 bytes, 64 of them before the "@".

    Counting bytes, not characters, also keeps every spelling derived from the address within
    its column: lower-casing can double the characters ("İ" becomes "i" and a dot above) but
    never makes more characters than the address has bytes.
    """
    name = email.rpartition("@")[0]
    return len(email.encode()) <= MAX_EMAIL_BYTES and len(name.encode()) <= MAX_EMAIL_NAME_BYTES


def _column_length(field_name):
    """How many characters the order's column holds: a longer value would fail in the database."""
    return Order._meta.get_field(field_name).max_length


class CheckoutCaptchaField(ReCaptchaField):
    """django-recaptcha's field, failing closed in words the buyer understands when Google can't answer.

    The field itself turns only Google's HTTP errors into a form error; a refused connection, a
    time-out or an answer it cannot read escapes it as an exception, which would be a 500.
    Here each of them refuses the order with CAPTCHA_UNAVAILABLE (code "captcha_unavailable"),
    so the buyer sees the form again, with what they typed, and can try again.
    """

    def validate(self, value):
        try:
            super().validate(value)
        except ValidationError as refused:
            if refused.code != "captcha_error":
                raise  # the buyer's to fix: the box was not ticked, or Google said "a robot"
            raise self._unavailable("http_error") from None  # Google answered with an HTTP error
        except _CAPTCHA_SERVICE_FAILURES as error:
            raise self._unavailable(type(error).__name__) from None

    @staticmethod
    def _unavailable(error):
        logger.warning("CAPTCHA verification unavailable", extra={"error": error})
        return ValidationError(CAPTCHA_UNAVAILABLE, code="captcha_unavailable")


class PublicFormChecks:
    """What every form the public posts to shares: the CAPTCHA when it is on, and an e-mail
    address within mail's own limits. The checkout and the "Your data" form use it.

    Call `add_captcha()` at the end of `__init__`.
    """

    def add_captcha(self):
        if settings.CAPTCHA_ENABLED:
            # It fails closed, in words, when Google cannot be asked.
            self.fields["captcha"] = CheckoutCaptchaField(
                label="",
                error_messages={"required": "Please confirm you are not a robot."},
            )

    @property
    def captcha_unavailable(self):
        """Refused only because Google could not be asked: ours to fix, worth a retry."""
        return list(self.errors) == ["captcha"] and self.has_error("captcha", code="captcha_unavailable")

    def clean_email(self):
        # Kept as typed, for sending (some mail servers do tell capitals apart); limits compare
        # the mailbox it reaches (`fraud.email_key`), which the checkout stores beside it.
        email = self.cleaned_data["email"].strip()
        if not fits_in_mail(email):
            raise ValidationError(self.fields["email"].error_messages["max_length"], code="max_length")
        return email


class CheckoutForm(PublicFormChecks, forms.Form):
    name = forms.CharField(
        max_length=_column_length("name"),
        label="Your name",
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
        error_messages={
            "required": "Please tell us your name.",
            "max_length": "That name is longer than we can keep; please shorten it.",
        },
    )
    email = forms.EmailField(
        max_length=_column_length("email"),
        label="E-mail address",
        help_text="Your tickets are sent here.",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        error_messages={
            "required": "Please give an e-mail address for your tickets.",
            "invalid": "That e-mail address does not look right; please check it.",
            "max_length": "That e-mail address is longer than we can send to; please use a shorter one.",
        },
    )
    accept_terms = forms.BooleanField(
        label="I accept the Terms of Service",
        error_messages={"required": "Please accept the Terms of Service to continue."},
    )
    # Only parsed here: whether the code exists and what it takes off is `ticketing.promo_codes`'s.
    promo_code = forms.CharField(
        required=False,
        max_length=40,
        label="Promo code (optional)",
        help_text="If you have one. The discount is shown before you pay.",
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
        error_messages={"max_length": "That promo code is longer than any we give out; please check it."},
    )

    def __init__(self, data=None, *, event, ticket_types=None, check_captcha=True, **kwargs):
        """`check_captcha=False` for the review step: Google's answer can be checked only once,
        so it is asked for on the review page, just before the order is placed."""
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
                # Said up front, beside the quantity (and read out with it), not only when broken.
                help_text=f"At most {ticket_type.max_per_order} per order.",
                widget=forms.NumberInput(attrs={"class": "qty"}),
                error_messages={
                    "invalid": "Enter a whole number of tickets.",
                    "min_value": "The number of tickets cannot be negative.",
                    "max_value": f"That is more {ticket_type.name} tickets than one order can hold.",
                },
            )
            # After the field's own bounds, which would say 100: the browser is told the real
            # most, this order's maximum or what is left if that is fewer.
            self.fields[quantity_field_name(ticket_type)].widget.attrs.update(
                min=0, max=ticket_type.max_purchasable
            )
        if check_captcha:
            self.add_captcha()

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

    def offer_captcha(self):
        """Once validated, add the CAPTCHA's widget if this post was not asked for it (the review
        step's, the "change your order" one), so the form shown again can be sent as it is."""
        if "captcha" not in self.fields:
            self.is_valid()  # validate first: this post carries no answer from Google
            self.add_captcha()

    def typed_quantities(self):
        """{ticket type: number} as typed, or None while any quantity does not parse.

        Lets the checkout's rules run beside the form's own errors, so every problem is shown
        in one round; unparsed numbers would make "choose at least one ticket" a wrong guess.
        """
        names = [quantity_field_name(t) for t in self.ticket_types]
        if any(self.has_error(name) for name in names):
            return None
        return {t: n for t in self.ticket_types if (n := self.cleaned_data.get(quantity_field_name(t)) or 0)}

    def show_refusal(self, refused):
        """Show the checkout's refusal beside the quantity it is about, or above the form."""
        ticket_type = getattr(refused, "ticket_type", None)
        field = quantity_field_name(ticket_type) if ticket_type in self.ticket_types else None
        if field is None and getattr(refused, "field", None) in self.fields:
            field = refused.field
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


class FindOrdersForm(PublicFormChecks, forms.Form):
    """ "Find my tickets": the address the orders were bought with. Only parsed: the lookup is
    the worker's (`ticketing.find_orders`), so the form never says whether the address is known."""

    email = forms.EmailField(
        max_length=_column_length("email"),
        label="Your e-mail address",
        help_text="The address you gave when you bought your tickets.",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        error_messages={
            "required": "Please give the e-mail address you bought your tickets with.",
            "invalid": "That e-mail address does not look right; please check it.",
            "max_length": "That e-mail address is longer than any we could have sent to; please check it.",
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_captcha()
