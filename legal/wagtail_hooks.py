"""Staff admin for privacy: the "Privacy" menu with GDPR data requests (wagtail-modeladmin).

Requests are read-only here for now: erasure and export are carried out by service functions
that admin actions call (and write to Wagtail's audit log), never by editing the row.
"""

from wagtail_modeladmin.options import ModelAdminGroup, modeladmin_register

from core.admin import ReadOnlyAdmin
from legal.models import DataRequest


class DataRequestAdmin(ReadOnlyAdmin):
    model = DataRequest
    menu_label = "Data requests"
    menu_icon = "user"
    list_display = ("__str__", "kind", "email", "status", "created_at", "confirmed_at", "handled_by")
    list_filter = ("kind", "status")
    list_select_related = ("handled_by",)
    search_fields = ("email",)
    ordering = ("-created_at",)


class PrivacyGroup(ModelAdminGroup):
    menu_label = "Privacy"
    menu_icon = "lock"
    menu_order = 210
    items = (DataRequestAdmin,)


modeladmin_register(PrivacyGroup)
