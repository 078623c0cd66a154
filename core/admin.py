"""Building blocks for the site's Wagtail admin, shared by every app's menu.

Who may open which admin page, a read-only listing, the base of a staff action on one record,
and how money reads in a list column or on an inspect page (as everywhere: `core.money`).
Nothing here knows about tickets, pages or privacy: the apps import this module, never the
other way round.

(Django's admin autodiscovery imports `core.admin` at start-up because `django.contrib.admin` is
installed. That is harmless: this module only defines classes and registers nothing.)
"""

from decimal import Decimal

from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.text import capfirst
from django.views.generic import FormView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail_modeladmin.helpers import PermissionHelper
from wagtail_modeladmin.options import ModelAdmin
from wagtail_modeladmin.views import InspectView

from core.money import format_money

STANDARD_ACTIONS = ("add", "change", "delete", "view")


# --- Money ------------------------------------------------------------------------------------


def money(amount: Decimal | None, currency: str) -> str | None:
    """An amount in a list column, with its currency, as buyers see it too (`core.money.format_money`).

    No amount gives None, which the list shows as its usual dash for an empty value.
    """
    if amount is None:
        return None
    return format_money(amount, currency)


class MoneyInspectView(InspectView):
    """An inspect page whose amounts read with their currency's sign or code, not as bare numbers.

    The ModelAdmin names its money fields in `money_fields`, each with where the record keeps
    its currency, as a dotted path: `{"total": "currency"}`, `{"amount": "payment.currency"}`.
    A currency that cannot be reached (a related record deleted) leaves the amount alone
    rather than guessing a sign.
    """

    def get_field_display_value(self, field_name, field=None):
        currency_path = getattr(self.model_admin, "money_fields", {}).get(field_name)
        if currency_path is None:
            return super().get_field_display_value(field_name, field)
        amount = getattr(self.instance, field_name)
        if amount is None:
            return self.model_admin.get_empty_value_display(field_name)
        return money(amount, _follow(self.instance, currency_path))


def _follow(record, dotted_path: str) -> str:
    """The value at `dotted_path` from `record` ("payment.currency"), or "" where a step is None."""
    value = record
    for name in dotted_path.split("."):
        value = getattr(value, name, None)
        if value is None:
            return ""
    return str(value)


# --- Who may see and change what --------------------------------------------------------------


class StaffPermissionHelper(PermissionHelper):
    """Only a model's standard permissions open its admin pages.

    wagtail-modeladmin lets *any* permission on a model open its list. Some models carry custom
    ones (on orders, "check tickets in"), and door staff, who hold that one so that they can
    scan tickets, must not browse buyers' orders.
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


class ReadOnlyAdmin(ModelAdmin):
    """A listing of records that are evidence rather than documents: list and inspect only.

    Amounts on the inspect page read with their currency once named in `money_fields` (see
    `MoneyInspectView`).
    """

    permission_helper_class = ReadOnlyPermissionHelper
    inspect_view_enabled = True
    inspect_view_class = MoneyInspectView
    money_fields = {}


# --- A staff action on one record -------------------------------------------------------------


class ObjectActionView(WagtailAdminTemplateMixin, FormView):
    """A staff action on one record listed by a ModelAdmin: permission first, then the form.

    Subclasses name `queryset` (the records the action applies to, with the relations its page
    reads), `permission_required` and `action_label`. The page sits under the record's inspect
    view in the breadcrumbs, and its template gets the record (as `context_object_name`) and
    `inspect_url`. URLs take the record's `pk`.
    """

    queryset = None
    permission_required = None
    action_label = ""
    context_object_name = "object"

    def dispatch(self, request, pk):
        if self.permission_required is None:
            # A superuser holds every permission, even None: an action that forgot to name one
            # would be open to them alone and nobody would notice.
            raise ImproperlyConfigured(f"{type(self).__name__} must name permission_required.")
        # Permission before the lookup, so that staff who may not act cannot probe which records exist.
        if not request.user.has_perm(self.permission_required):
            raise PermissionDenied
        self.object = get_object_or_404(self.get_queryset(), pk=pk)
        return super().dispatch(request, pk)

    def get_queryset(self):
        return self.queryset.all()

    def object_label(self) -> str:
        """How the record is named in the breadcrumbs and the page title."""
        return str(self.object)

    def modeladmin_url(self, view, *args) -> str:
        opts = self.queryset.model._meta
        return reverse(f"{opts.app_label}_{opts.model_name}_modeladmin_{view}", args=args)

    def inspect_url(self) -> str:
        return self.modeladmin_url("inspect", self.object.pk)

    def get_page_title(self):
        return f"{self.action_label} · {self.object_label()}"

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {
                "url": self.modeladmin_url("index"),
                "label": capfirst(self.queryset.model._meta.verbose_name_plural),
            },
            {"url": self.inspect_url(), "label": self.object_label()},
            {"url": "", "label": self.action_label},
        ]

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            **{self.context_object_name: self.object, "inspect_url": self.inspect_url()}, **kwargs
        )
