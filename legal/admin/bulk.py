"""Erasing several confirmed erasure requests at once, from the list's checkboxes.

The list posts nothing: its checkboxes send the chosen ids to this page by GET, which shows
what will happen to each (erased; skipped because the person holds tickets for an event still
to come, which staff decide about on that request's own page; ignored because it is not a
confirmed erasure request) and changes nothing. The POST of that page erases, through
`legal.handling.bulk_erase`, and shows what was done.

A list of ids that cannot be read (not numbers, too many) is refused with a 400; one naming a
request that does not exist goes back to the list with a message. Either way nothing changes.
"""

import re

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from legal import handling
from legal.admin import PERMISSION
from legal.models import DataRequest

# One page of the list at most: more than that is not a choice made by ticking boxes.
MOST_AT_ONCE = 100
_AN_ID = re.compile(r"[0-9]{1,12}")


class UnreadableChoice(Exception):
    pass


class BulkEraseView(WagtailAdminTemplateMixin, TemplateView):
    template_name = "legal/admin/bulk_erase.html"
    page_title = "Erase several requests"
    header_icon = "user"

    def dispatch(self, request, *args, **kwargs):
        # Permission before reading the ids, so that other staff learn nothing about requests.
        if not request.user.has_perm(PERMISSION):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": index_url(), "label": "Data requests"},
            {"url": "", "label": "Erase several"},
        ]

    def get(self, request):
        return self.with_chosen(
            request.GET,
            lambda chosen: self.render_to_response(
                self.get_context_data(sorted=handling.sort_for_bulk_erasure(chosen), chosen=chosen)
            ),
        )

    def post(self, request):
        return self.with_chosen(
            request.POST,
            lambda chosen: self.render_to_response(
                self.get_context_data(done=handling.bulk_erase(chosen, by=request.user))
            ),
        )

    def with_chosen(self, data, then):
        try:
            ids = chosen_ids(data)
        except UnreadableChoice:
            return self.render_to_response(self.get_context_data(unreadable=True), status=400)
        if not ids:
            messages.warning(self.request, "Tick the erasure requests to erase first.")
            return redirect(index_url())
        chosen = list(DataRequest.objects.filter(pk__in=ids).order_by("due_on", "pk"))
        if len(chosen) != len(ids):
            messages.warning(
                self.request, "Some of the chosen requests do not exist. Nothing changed: choose again."
            )
            return redirect(index_url())
        return then(chosen)


def chosen_ids(data) -> set[int]:
    values = data.getlist("request")
    if len(values) > MOST_AT_ONCE or not all(_AN_ID.fullmatch(value) for value in values):
        raise UnreadableChoice
    return {int(value) for value in values}


def index_url() -> str:
    return reverse("legal_datarequest_modeladmin_index")
