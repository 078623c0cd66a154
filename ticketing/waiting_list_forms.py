"""The waiting list's two public forms: joining a list, and taking an offer.

They only parse what was typed, with the checks every public form shares (`PublicFormChecks`:
the CAPTCHA when it is on, an address mail can carry). The rules (is the type sold out, is the
offer still open) are `ticketing.waiting_list`'s. Kept apart from `ticketing.forms`, the
checkout's, so each can change without the other.
"""

from django import forms

from ticketing.forms import PublicFormChecks
from ticketing.models import Order


def _column_length(field_name):
    """How many characters the order's column holds (the offer's order is an ordinary order)."""
    return Order._meta.get_field(field_name).max_length


EMAIL_ERRORS = {
    "invalid": "That e-mail address does not look right; please check it.",
    "max_length": "That e-mail address is longer than we can send to; please use a shorter one.",
}


class JoinWaitingListForm(PublicFormChecks, forms.Form):
    """A ticket type of the event (one that is sold out), how many tickets, and an address."""

    ticket_type = forms.TypedChoiceField(
        label="Ticket",
        coerce=int,
        error_messages={
            "required": "Please choose the ticket you are waiting for.",
            "invalid_choice": "Please choose one of the sold-out tickets of this event.",
        },
    )
    quantity = forms.IntegerField(
        label="How many tickets",
        min_value=1,
        initial=1,
        widget=forms.NumberInput(attrs={"class": "qty", "min": 1}),
        error_messages={
            "required": "Please say how many tickets you would like.",
            "invalid": "Enter a whole number of tickets.",
            "min_value": "Ask for at least one ticket.",
            "max_value": "That is more tickets than one order can hold.",
        },
    )
    email = forms.EmailField(
        max_length=254,
        label="E-mail address",
        help_text="We e-mail you here when tickets come back, with a link that holds them for you.",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        error_messages={"required": "Please give the e-mail address we should write to.", **EMAIL_ERRORS},
    )

    def __init__(self, data=None, *, ticket_types, **kwargs):
        """`ticket_types`: those a person may wait for (the event's sold-out types)."""
        super().__init__(data, **kwargs)
        self.ticket_types = {t.pk: t for t in ticket_types}
        self.fields["ticket_type"].choices = [(t.pk, f"{t.name}") for t in ticket_types]
        most = max((t.max_per_order for t in ticket_types), default=1)
        self.fields["quantity"].max_value = most
        self.fields["quantity"].widget.attrs["max"] = most
        self.fields["quantity"].help_text = f"At most {most} in one order."
        self.add_captcha()

    def clean_quantity(self):
        quantity = self.cleaned_data["quantity"]
        if quantity > self.fields["quantity"].max_value:
            raise forms.ValidationError(self.fields["quantity"].error_messages["max_value"], code="max_value")
        return quantity

    def clean(self):
        cleaned = super().clean()
        if "ticket_type" in cleaned:
            cleaned["ticket_type"] = self.ticket_types[cleaned["ticket_type"]]
        return cleaned


class TakeOfferForm(PublicFormChecks, forms.Form):
    """The buyer's name, the address for the tickets and the Terms: the quantity is the offer's."""

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
        error_messages={"required": "Please give an e-mail address for your tickets.", **EMAIL_ERRORS},
    )
    accept_terms = forms.BooleanField(
        label="I accept the Terms of Service",
        error_messages={"required": "Please accept the Terms of Service to continue."},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_captcha()
