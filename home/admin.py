"""The admin's page for an event's page: Wagtail's "New event page" with the event chosen.

Only defines; `home/wagtail_hooks.py` registers. (Django's admin autodiscovery imports this
module at start-up: harmless, it registers nothing.)
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from wagtail.admin.views.pages.create import CreateView

from home.models import EventIndexPage, EventPage
from ticketing import shop


def events_index_for(user):
    """The events index `user` may add a page under (the first, if the site has several)."""
    for index in EventIndexPage.objects.order_by("path"):
        if index.permissions_for_user(user).can_add_subpage():
            return index
    return None


def event_page_url_for(user, event) -> str | None:
    """Where `user` writes the page of a new `event`: the page form with the event chosen, or
    None when they may not add an event page anywhere (they stay with the event)."""
    if events_index_for(user) is None:
        return None
    return reverse("home_event_page_add", args=[event.pk])


class EventPageForEventView(CreateView):
    """Wagtail's own "New event page" form under the events index, with the event chosen.

    Only the form is shown from here: it is sent to Wagtail's page-create URL, so saving,
    moderation and publishing are exactly Wagtail's. An event that already has a page opens
    that page instead.
    """

    # The form posts to Wagtail's own page-create URL: a POST here saves nothing (405).
    http_method_names = ["get", "head", "options"]

    def dispatch(self, request, event_id):
        index = events_index_for(request.user)
        if index is None:
            # Nobody may add an event page without an events index to put it under.
            raise PermissionDenied
        if shop.event_for_editor(event_id) is None:
            raise Http404("No such event.")
        existing = EventPage.objects.filter(event_id=event_id).order_by("path").first()
        if existing is not None:
            messages.info(request, "This event has a page already: here it is.")
            return redirect("wagtailadmin_pages:edit", existing.pk)
        self.event_id = event_id
        return super().dispatch(request, "home", "eventpage", index.pk)

    def get(self, request):
        self.page.event_id = self.event_id
        return super().get(request)
