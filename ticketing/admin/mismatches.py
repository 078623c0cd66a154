"""Payment mismatches: listed, inspected, and marked resolved with a note of what was done.

They are the `ReconciliationMismatch` rows written by the webhook's checks and by the daily
reconciliation. Staff never edit one; resolving it is `reconcile.resolve_mismatch`, which
records who did it and writes Wagtail's audit log.
"""

from django import forms
from django.contrib import messages
from django.contrib.admin import SimpleListFilter
from django.shortcuts import redirect
from django.urls import reverse
from wagtail_modeladmin.helpers import ButtonHelper
from wagtail_modeladmin.views import InspectView

from core.admin import (
    MoneyInspectView,
    ObjectActionView,
    ReadOnlyPermissionHelper,
    StaffModelAdmin,
    money,
)
from ticketing.models import ReconciliationMismatch
from ticketing.payments import reconcile

RESOLVE_PERMISSION = "ticketing.resolve_mismatch"


def resolve_url(mismatch):
    return reverse("ticketing_mismatch_resolve", args=[mismatch.pk])


class MismatchButtonHelper(ButtonHelper):
    """Adds "Mark resolved" to an open mismatch, and on its inspect page a link to its order."""

    def get_buttons_for_obj(self, obj, exclude=None, classnames_add=None, classnames_exclude=None):
        buttons = super().get_buttons_for_obj(obj, exclude, classnames_add, classnames_exclude)
        if obj.is_open and self.request.user.has_perm(RESOLVE_PERMISSION):
            buttons.append(
                {
                    "url": resolve_url(obj),
                    "label": "Mark resolved",
                    "classname": self.finalise_classname(["button-secondary"]),
                    "title": "Record what was done about this mismatch",
                }
            )
        if obj.order_id and isinstance(self.view, InspectView):
            buttons.append(
                {
                    "url": reverse("ticketing_order_modeladmin_inspect", args=[obj.order_id]),
                    "label": f"Order {obj.order.reference}",
                    "classname": self.finalise_classname(["button-secondary"]),
                    "title": "Open the order",
                }
            )
        return buttons


class OpenFilter(SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("open", "Open"), ("resolved", "Resolved")]

    def queryset(self, request, queryset):
        if self.value() == "open":
            return queryset.filter(resolved_at__isnull=True)
        if self.value() == "resolved":
            return queryset.filter(resolved_at__isnull=False)
        return queryset


class ReconciliationMismatchAdmin(StaffModelAdmin):
    model = ReconciliationMismatch
    menu_label = "Payment mismatches"
    menu_icon = "warning"
    menu_order = 210
    permission_helper_class = ReadOnlyPermissionHelper
    button_helper_class = MismatchButtonHelper
    inspect_view_enabled = True
    list_display = (
        "kind",
        "order",
        "detail",
        "sumup_amount_display",
        "our_amount_display",
        "times_seen",
        "last_seen_at",
        "state",
    )
    list_filter = (OpenFilter, "kind", "source")
    list_select_related = ("order", "payment")
    search_fields = ("order__reference", "transaction_code", "transaction_id", "detail")
    inspect_view_fields = (
        "kind",
        "detail",
        "order",
        "payment",
        "transaction_id",
        "transaction_code",
        "sumup_amount",
        "our_amount",
        "currency",
        "source",
        "first_seen_at",
        "last_seen_at",
        "times_seen",
        "resolved_at",
        "resolved_by",
        "resolution",
    )
    inspect_view_class = MoneyInspectView
    # SumUp's figure is in the currency SumUp reported; ours in the one our payment asked for.
    money_fields = {"sumup_amount": "currency", "our_amount": "payment.currency"}

    def state(self, mismatch):
        return "Open" if mismatch.is_open else "Resolved"

    def sumup_amount_display(self, mismatch):
        return money(mismatch.sumup_amount, mismatch.currency)

    sumup_amount_display.short_description = "SumUp amount"
    sumup_amount_display.admin_order_field = "sumup_amount"

    def our_amount_display(self, mismatch):
        return money(mismatch.our_amount, mismatch.payment.currency if mismatch.payment else "")

    our_amount_display.short_description = "Our amount"
    our_amount_display.admin_order_field = "our_amount"


class ResolveMismatchForm(forms.Form):
    resolution = forms.CharField(
        max_length=255,
        label="What was done",
        help_text="E.g. “refunded from the order”, “SumUp confirmed a chargeback”.",
    )


class ResolveMismatchView(ObjectActionView):
    """Ask what was done, then record it (`reconcile.resolve_mismatch`)."""

    form_class = ResolveMismatchForm
    template_name = "ticketing/admin/resolve_mismatch.html"
    header_icon = "warning"
    queryset = ReconciliationMismatch.objects.select_related("order")
    context_object_name = "mismatch"
    permission_required = RESOLVE_PERMISSION
    action_label = "Mark resolved"

    @property
    def mismatch(self) -> ReconciliationMismatch:
        return self.object

    def get_page_title(self):
        return "Resolve a payment mismatch"

    def form_valid(self, form):
        if reconcile.resolve_mismatch(self.mismatch, self.request.user, form.cleaned_data["resolution"]):
            messages.success(self.request, "Marked resolved.")
        else:
            messages.warning(self.request, "It was already resolved.")
        return redirect(self.inspect_url())
