"""The "Privacy" menu: data requests, then where personal data lives."""

from wagtail_modeladmin.options import ModelAdminGroup

from legal.admin.census import personal_data_menu_item
from legal.admin.requests import DataRequestAdmin


class PrivacyGroup(ModelAdminGroup):
    menu_label = "Privacy"
    menu_icon = "lock"
    menu_order = 210
    items = (DataRequestAdmin,)

    def get_submenu_items(self):
        items = super().get_submenu_items()
        return [*items, personal_data_menu_item(order=len(items) + 1)]
