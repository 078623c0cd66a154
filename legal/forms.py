"""The public "Your data" form: which address a request is about, and what the person wants.

It only parses what was typed. Whether the address is the requester's is proved by the link
e-mailed to it (`legal.data_requests`), so the form never says whether we hold anything for it.
"""

from django import forms

from legal.models import DataRequest
from ticketing.forms import PublicFormChecks

# What each kind of request means, in the words of the person asking.
KIND_EXPLANATIONS = {
    DataRequest.Kind.EXPORT: (
        "We send you a copy of what we hold about this address: your orders, tickets and "
        "payments. Nothing is changed or deleted."
    ),
    DataRequest.Kind.ERASURE: (
        "We remove your name, e-mail address, IP address and browser from your orders, keeping "
        "only the anonymous accounting record that the law requires us to keep."
    ),
}
KIND_LABELS = {
    DataRequest.Kind.EXPORT: "Send me a copy of my data",
    DataRequest.Kind.ERASURE: "Erase my data",
}


class DataRequestForm(PublicFormChecks, forms.Form):
    email = forms.EmailField(
        max_length=DataRequest._meta.get_field("email").max_length,
        label="Your e-mail address",
        help_text="The address you used to buy tickets. We send a link to it to check it is yours.",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        error_messages={
            "required": "Please give the e-mail address your request is about.",
            "invalid": "That e-mail address does not look right; please check it.",
            "max_length": "That e-mail address is longer than any we could have sent to; please check it.",
        },
    )
    kind = forms.ChoiceField(
        label="What would you like us to do?",
        choices=[(kind, KIND_LABELS[kind]) for kind in (DataRequest.Kind.EXPORT, DataRequest.Kind.ERASURE)],
        widget=forms.RadioSelect,
        error_messages={
            "required": "Please choose what you would like us to do.",
            "invalid_choice": "Please choose one of the two options.",
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_captcha()

    def kind_options(self):
        """Each choice with its explanation, for the template's radio buttons."""
        bound = self["kind"]
        chosen = str(bound.value() or "")
        return [
            {
                "value": value,
                "label": label,
                "explanation": KIND_EXPLANATIONS[value],
                "id": f"{bound.auto_id}_{value}",
                "checked": chosen == value,
            }
            for value, label in self.fields["kind"].choices
        ]
