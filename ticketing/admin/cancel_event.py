"""Cancelling an event, and then watching its refunds go through.

"Cancel event" on an event's page (permission `ticketing.cancel_event`: Finance, who refunds).
GET shows what will happen (paid orders, tickets, money to give back, holds to end) and asks
staff to type the event's title; POST cancels it (`ticketing.cancellation.cancel_event`, which
also writes Wagtail's audit log). From then on the same address shows the refunds' progress;
posting again changes nothing.
"""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse

from core.admin import ObjectActionView
from ticketing import cancellation
from ticketing.models import Event, EventCancellation

CANCEL_PERMISSION = "ticketing.cancel_event"


def cancel_url(event):
    return reverse("ticketing_event_cancel", args=[event.pk])


class CancelEventForm(forms.Form):
    """Typing the event's title is the confirmation: a slip of the mouse cannot cancel an event."""

    title = forms.CharField(max_length=300, label="Type the event's title to confirm")

    def __init__(self, *args, event, **kwargs):
        super().__init__(*args, **kwargs)
        self.event = event

    def clean_title(self):
        typed = " ".join(self.cleaned_data["title"].split())
        if typed.casefold() != " ".join(self.event.title.split()).casefold():
            raise forms.ValidationError("That is not this event's title: nothing was cancelled.")
        return typed


class CancelEventView(ObjectActionView):
    queryset = Event.objects.all()
    context_object_name = "event"
    form_class = CancelEventForm
    template_name = "ticketing/admin/cancel_event.html"
    header_icon = "warning"
    permission_required = CANCEL_PERMISSION
    action_label = "Cancel event"

    def object_label(self) -> str:
        return self.object.title

    def existing(self) -> EventCancellation | None:
        return EventCancellation.objects.select_related("requested_by").filter(event=self.object).first()

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "event": self.object}

    def get_context_data(self, **kwargs):
        done = self.existing()
        if done is not None:
            return super().get_context_data(cancellation=done, progress=cancellation.progress(done), **kwargs)
        return super().get_context_data(plan=cancellation.what_cancelling_does(self.object), **kwargs)

    def post(self, request, *args, **kwargs):
        if self.existing() is not None:
            messages.info(request, "This event is already cancelled: nothing changed.")
            return redirect(cancel_url(self.object))
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        cancellation.cancel_event(self.object, self.request.user)
        messages.success(
            self.request,
            f"{self.object.title} is cancelled: sales have stopped, and every buyer is being refunded and e-mailed.",
        )
        return redirect(cancel_url(self.object))
