"""Where Wagtail learns about the privacy admin: every registration, in one place.

The screens themselves are in the `legal.admin` package, which only defines them (see its
docstring).
"""

from django.urls import path
from wagtail import hooks
from wagtail_modeladmin.options import modeladmin_register

from legal import handling
from legal.admin.actions import EraseView, ExportView, RejectView
from legal.admin.bulk import BulkEraseView
from legal.admin.census import PersonalDataView
from legal.admin.dashboard import DataRequestsPanel
from legal.admin.menu import PrivacyGroup

modeladmin_register(PrivacyGroup)


@hooks.register("register_admin_urls")
def register_privacy_admin_urls():
    """The actions on data requests and the personal-data page: not a model listing's own pages."""
    return [
        path("legal/datarequest/<int:pk>/export/", ExportView.as_view(), name="legal_datarequest_export"),
        path("legal/datarequest/<int:pk>/erase/", EraseView.as_view(), name="legal_datarequest_erase"),
        path("legal/datarequest/<int:pk>/reject/", RejectView.as_view(), name="legal_datarequest_reject"),
        path(
            "legal/datarequest/erase-several/", BulkEraseView.as_view(), name="legal_datarequest_bulk_erase"
        ),
        path("legal/personal-data/", PersonalDataView.as_view(), name="legal_personal_data"),
    ]


@hooks.register("register_log_actions")
def register_privacy_log_actions(actions):
    """How the data-request entries written by `legal.handling` read in the audit log."""
    for action, (label, message) in handling.LOG_ACTIONS.items():
        actions.register_action(action, label, message)


@hooks.register("construct_homepage_panels")
def add_data_requests_panel(request, panels):
    """Data requests due soon or overdue, on the dashboard of staff who may list them."""
    if DataRequestsPanel.is_for(request.user):
        panels.append(DataRequestsPanel())
