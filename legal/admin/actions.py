"""The actions on one data request: export the person's data, erase it, or reject the request.

Each is a page that says what will happen (GET changes nothing) and a POST that does it
through `legal.handling`, which completes or rejects the request and writes the audit log.
Permission `legal.handle_datarequest` is checked before the request is even looked up. An
action that no longer applies (the request was answered meanwhile, or still waits for its
confirmation link) sends staff back to the request with a message, and changes nothing.
"""

import json

from django import forms
from django.contrib import messages
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse
from django.shortcuts import redirect

from core.admin import ObjectActionView
from legal import data_requests, handling, privacy
from legal.admin import PERMISSION
from legal.admin.requests import action_url
from legal.models import DataRequest


class DataRequestActionView(ObjectActionView):
    """An action on one request, refused (with a message, nothing changed) where it does not apply.

    Subclasses name `check`, the `legal.handling` rule saying whether the action applies.
    """

    queryset = DataRequest.objects.all()
    context_object_name = "data_request"
    permission_required = PERMISSION
    header_icon = "user"
    check = staticmethod(handling.check_open)

    @property
    def data_request(self) -> DataRequest:
        return self.object

    def get(self, request, *args, **kwargs):
        return self.refused() or super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        return self.refused() or super().post(request, *args, **kwargs)

    def refused(self):
        """A redirect back to the request, with the reason, when the action does not apply."""
        try:
            self.check(self.data_request)
        except handling.CannotHandle as cannot:
            return self.back(messages.warning, str(cannot))
        return None

    def back(self, say, message):
        say(self.request, message)
        return redirect(self.inspect_url())

    def answered_meanwhile(self):
        return self.back(messages.warning, f"{self.data_request} was answered meanwhile: nothing changed.")


class ConfirmForm(forms.Form):
    """Nothing to fill in: the POST itself, with its CSRF token, is the confirmation."""


class ExportView(DataRequestActionView):
    """Show what is held about the requester, then download it as a JSON file."""

    form_class = ConfirmForm
    template_name = "legal/admin/export.html"
    action_label = "Export data"
    check = staticmethod(handling.check_can_act)

    def get_context_data(self, **kwargs):
        exported = privacy.export_person(self.data_request.email)
        return super().get_context_data(
            summary=exported["summary"],
            counts=handling.held_counts(exported),
            completes=self.data_request.kind == DataRequest.Kind.EXPORT,
            **kwargs,
        )

    def form_valid(self, form):
        try:
            exported = handling.export(self.data_request, by=self.request.user)
        except (data_requests.NotOpen, handling.CannotHandle):
            return self.answered_meanwhile()
        response = HttpResponse(
            json.dumps(exported, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False),
            content_type="application/json; charset=utf-8",
        )
        # The file is named after the request, never the person: it will sit in a downloads folder.
        response["Content-Disposition"] = f'attachment; filename="data-request-{self.data_request.pk}.json"'
        response["Cache-Control"] = "no-store"
        return response


class EraseForm(forms.Form):
    future_tickets = forms.ChoiceField(
        choices=[
            (
                "keep",
                "Keep the tickets valid: the orders stay, without name or address, and admit at the door",
            ),
            ("refund", "Refund and cancel the orders through SumUp, then erase"),
        ],
        widget=forms.RadioSelect,
        required=False,
        label="Tickets for events still to come",
    )

    def __init__(self, *args, needs_decision=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["future_tickets"].required = needs_decision
        if not needs_decision:
            del self.fields["future_tickets"]


class EraseView(DataRequestActionView):
    """Show what will be erased (and the orders to decide about), then erase and complete."""

    form_class = EraseForm
    template_name = "legal/admin/erase.html"
    action_label = "Erase personal data"
    check = staticmethod(handling.check_can_erase)

    def get_form_kwargs(self):
        self.preview = handling.preview_erasure(self.data_request)
        return {**super().get_form_kwargs(), "needs_decision": self.preview.needs_decision}

    def get_context_data(self, **kwargs):
        form = kwargs.pop("form", None) or self.get_form()  # makes the preview it is built on
        return super().get_context_data(form=form, preview=self.preview, **kwargs)

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)

    def form_valid(self, form):
        choice = form.cleaned_data.get("future_tickets") or None
        try:
            report = handling.erase(self.data_request, by=self.request.user, future_tickets=choice)
        except privacy.DecisionNeeded:
            # Tickets for an event still to come were bought since the page was shown.
            form = self.get_form()  # with the preview as it is now
            form.is_valid()
            form.add_error(
                None, "This person now holds tickets for an event still to come: decide about them."
            )
            return self.render_to_response(self.get_context_data(form=form), status=409)
        except privacy.ErasureStopped as stopped:
            messages.error(self.request, f"Nothing was erased and the request is still open: {stopped}")
            return redirect(action_url(self.data_request, "erase"))
        except (data_requests.NotOpen, handling.CannotHandle):
            return self.answered_meanwhile()
        return self.back(messages.success, f"{self.data_request} completed: {report.summary()}.")


class RejectForm(forms.Form):
    reason = forms.CharField(
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        label="Why the request is refused",
        help_text="Kept with the request. E.g. “we could not confirm who was asking”.",
    )

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError("Say why the request is refused.")
        return reason


class RejectView(DataRequestActionView):
    form_class = RejectForm
    template_name = "legal/admin/reject.html"
    action_label = "Reject"

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)

    def form_valid(self, form):
        try:
            handling.reject(self.data_request, by=self.request.user, reason=form.cleaned_data["reason"])
        except (data_requests.NotOpen, handling.CannotHandle):
            return self.answered_meanwhile()
        return self.back(messages.success, f"{self.data_request} rejected.")
