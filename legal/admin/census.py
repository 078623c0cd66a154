"""The page "Where personal data lives": what the site holds about people now, how old it is,
and what the next retention run will clear.

For the privacy officer's questions ("how much do we hold, and for how long?"), answered by
`legal.privacy.census` in a fixed number of queries. Staff who may see or handle data requests
may open it; it shows counts only, never a person.
"""

from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.views.generic import TemplateView
from wagtail.admin.menu import MenuItem
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from legal import privacy
from legal.admin import PERMISSION

CENSUS_PERMISSIONS = (PERMISSION, "legal.view_datarequest")


def may_see_census(user) -> bool:
    return any(user.has_perm(permission) for permission in CENSUS_PERMISSIONS)


class PersonalDataView(WagtailAdminTemplateMixin, TemplateView):
    template_name = "legal/admin/personal_data.html"
    page_title = "Where personal data lives"
    header_icon = "lock"

    def dispatch(self, request, *args, **kwargs):
        if not may_see_census(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        return [*self.breadcrumbs_items, {"url": "", "label": self.page_title}]

    def get_context_data(self, **kwargs):
        return super().get_context_data(census=privacy.census(), places=privacy.PERSONAL_DATA, **kwargs)


class PersonalDataMenuItem(MenuItem):
    def is_shown(self, request):
        return may_see_census(request.user)


def personal_data_menu_item(order: int) -> MenuItem:
    return PersonalDataMenuItem(
        "Where personal data lives", reverse("legal_personal_data"), icon_name="lock", order=order
    )
