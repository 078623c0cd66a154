"""Who may see and change what in the ticketing admin."""

from wagtail_modeladmin.helpers import PermissionHelper

STANDARD_ACTIONS = ("add", "change", "delete", "view")


class StaffPermissionHelper(PermissionHelper):
    """Only a model's standard permissions open its admin pages.

    wagtail-modeladmin lets *any* permission on a model open its list. Ours carry custom ones
    ("check tickets in" on Order, "refund orders"), and door staff must not browse buyers'
    orders because they may scan tickets.
    """

    def user_has_any_permissions(self, user):
        return any(
            self.user_has_specific_permission(user, f"{action}_{self.opts.model_name}")
            for action in STANDARD_ACTIONS
        )


class ReadOnlyPermissionHelper(StaffPermissionHelper):
    """List and inspect only: no add, edit or delete buttons, and their URLs are refused."""

    def user_can_create(self, user):
        return False

    def user_can_edit_obj(self, user, obj):
        return False

    def user_can_delete_obj(self, user, obj):
        return False


class NoCreateOrDeletePermissionHelper(ReadOnlyPermissionHelper):
    """Editable by staff with the change permission, but never created or deleted here."""

    def user_can_edit_obj(self, user, obj):
        return PermissionHelper.user_can_edit_obj(self, user, obj)
