"""Who may see and change what in the ticketing admin, and the base of its order actions."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.views.generic import FormView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail_modeladmin.helpers import PermissionHelper

from ticketing.models import Order

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


class OrderActionView(WagtailAdminTemplateMixin, FormView):
    """A staff action on one order (refund, resend tickets): permission first, then the form.

    Subclasses name `permission_required` and `action_label`; the page sits under the order's
    inspect view in the breadcrumbs and every template gets `order` and `inspect_url`.
    """

    permission_required = None
    action_label = ""

    def dispatch(self, request, pk):
        if not request.user.has_perm(self.permission_required):
            raise PermissionDenied
        self.order = get_object_or_404(Order.objects.select_related("event"), pk=pk)
        return super().dispatch(request, pk)

    def inspect_url(self):
        return reverse("ticketing_order_modeladmin_inspect", args=[self.order.pk])

    def get_page_title(self):
        return f"{self.action_label} · {self.order.reference}"

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": reverse("ticketing_order_modeladmin_index"), "label": "Orders"},
            {"url": self.inspect_url(), "label": self.order.reference},
            {"url": "", "label": self.action_label},
        ]

    def get_context_data(self, **kwargs):
        return super().get_context_data(order=self.order, inspect_url=self.inspect_url(), **kwargs)
