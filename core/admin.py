"""Building blocks for the site's Wagtail admin, shared by every app's menu.

Who may open which admin page (Wagtail's content tools included), a read-only listing, the base
of a staff action on one record, and how money reads in a list column or on an inspect page (as
everywhere: `core.money`).
Nothing here knows about tickets, pages or privacy: the apps import this module, never the
other way round.

(Django's admin autodiscovery imports `core.admin` at start-up because `django.contrib.admin` is
installed. That is harmless: this module only defines classes and registers nothing.)
"""

from decimal import Decimal
from functools import wraps

from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.shortcuts import get_object_or_404
from django.urls import URLPattern, URLResolver, reverse
from django.utils.text import capfirst
from django.views.generic import FormView
from wagtail.admin.auth import permission_denied
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.models import Page
from wagtail.permissions import policy_registry
from wagtail_modeladmin.helpers import PermissionHelper
from wagtail_modeladmin.options import ModelAdmin
from wagtail_modeladmin.views import HistoryView, InspectView

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

# Wagtail's tools for editing the site's content, by URL name: the page explorer and editor,
# images, documents and their collections, the choosers, tags, embeds, block previews, bulk
# actions, the content reports, and the admin API behind the explorer. Wagtail opens several of
# them to anyone who may sign in (the page chooser and the API list every page, drafts
# included; the site history lists the audit log of every model the user holds any permission
# on: door staff, holding "check in" on orders, would read every order's refunds); here they
# are for staff who edit content.
CONTENT_TOOLS = (
    "wagtailadmin_explore",
    "wagtailadmin_pages:",
    "wagtailadmin_choose_page",
    "wagtailadmin_api:",
    "wagtailadmin_tag_",
    "wagtailadmin_block_preview",
    "wagtailadmin_reports:",
    "wagtailadmin_collections:",
    "wagtailadmin_editing_sessions:",
    "wagtailadmin_workflows:task_chooser",
    "wagtailadmin_workflows:task_chosen",
    "wagtail_bulk_action",
    "wagtailembeds:",
    "wagtailimages:",
    "wagtailimages_chooser:",
    "wagtaildocs:",
    "wagtaildocs_chooser:",
)
CONTENT_ACTIONS = {
    Page: ["add", "change", "publish", "bulk_delete", "lock", "unlock"],
    get_image_model(): ["add", "change", "choose"],
    get_document_model(): ["add", "change", "choose"],
}


def edits_content(user) -> bool:
    """Whether `user` works on the site's content: any page, image or document permission."""
    if user.is_superuser:
        return True
    return any(
        policy_registry.get_by_type(model).user_has_any_permission(user, actions)
        for model, actions in CONTENT_ACTIONS.items()
    )


def content_tools_for_editors(urlpatterns, namespace=""):
    """Refuse Wagtail's content tools (CONTENT_TOOLS) to staff who do not edit content.

    Wraps the matching views of `urlpatterns` (the admin's, with every hook's) in place and
    returns them, for `config/urls.py`. The refusal is Wagtail's own (back to the dashboard,
    saying so; a 403 to scripts); signing in is still Wagtail's to ask for.
    """
    for entry in urlpatterns:
        if isinstance(entry, URLResolver):
            content_tools_for_editors(
                entry.url_patterns, ":".join(filter(None, (namespace, entry.namespace)))
            )
        elif isinstance(entry, URLPattern) and entry.name:
            name = f"{namespace}:{entry.name}" if namespace else entry.name
            if name.startswith(CONTENT_TOOLS):
                entry.callback = _for_content_editors(entry.callback)
    return urlpatterns


def _for_content_editors(view):
    @wraps(view)
    def guarded(request, *args, **kwargs):
        user = request.user
        if user.is_authenticated and user.has_perm("wagtailadmin.access_admin") and not edits_content(user):
            return permission_denied(request)
        return view(request, *args, **kwargs)

    return guarded


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


class PermissionCheckedHistoryView(HistoryView):
    """A record's history (its audit log) for staff who may list such records, and nobody else.

    wagtail-modeladmin's own history view checks no permission at all: anyone who may sign in
    could read who refunded or resent which order by typing its URL.
    """

    def check_action_permitted(self, user):
        return self.permission_helper.user_can_list(user)


class StaffModelAdmin(ModelAdmin):
    """The base of every ModelAdmin of the site: standard permissions open its pages, its history too."""

    permission_helper_class = StaffPermissionHelper
    history_view_class = PermissionCheckedHistoryView


class ReadOnlyAdmin(StaffModelAdmin):
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
