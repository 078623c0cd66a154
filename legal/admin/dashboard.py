"""The dashboard's panel of data requests waiting for an answer: overdue, and due within a week.

It lives here, not beside the ticketing panels, because ticketing may not know about the
privacy app; `legal/wagtail_hooks.py` adds it to the dashboard for staff who may list requests.
"""

from django.urls import reverse
from laces.components import Component

from legal.models import DUE_SOON_DAYS, DataRequest

VIEW_REQUESTS = "legal.view_datarequest"


class DataRequestsPanel(Component):
    """How many open data requests are overdue or due soon, each a link to the filtered list.

    Only counts: no address or name, so the dashboard shows nothing about any one person.
    """

    name = "data_requests"
    template_name = "legal/admin/data_requests_panel.html"
    order = 85

    @staticmethod
    def is_for(user) -> bool:
        return user.has_perm(VIEW_REQUESTS)

    def get_context_data(self, parent_context):
        context = super().get_context_data(parent_context)
        requests = DataRequest.objects
        listing = reverse("legal_datarequest_modeladmin_index")
        context.update(
            overdue=requests.overdue().count(),
            due_soon=requests.due_soon().count(),
            overdue_url=f"{listing}?due=overdue",
            due_soon_url=f"{listing}?due=soon",
            soon_days=DUE_SOON_DAYS,
        )
        return context
