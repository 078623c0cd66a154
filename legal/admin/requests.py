"""Data requests: the list (open requests by due date first), a request's page, and recording one.

The list shows what a privacy officer needs to keep the one-month deadline: when each request
was received, when its answer is due, and a tag for the overdue and the nearly due. The address
is on the request's own page, not in the list (searching by it still works): a list is what
people glance at over a shoulder.

A request is never edited here. "Record a request" (staff with the add permission) is for one
that arrived by e-mail, letter, phone or in person; everything after that is an action on the
request's page (`legal.admin.actions`), carried out by `legal.handling`.
"""

from django import forms
from django.contrib import messages
from django.contrib.admin import SimpleListFilter
from django.core.exceptions import PermissionDenied
from django.db.models import Case, Value, When
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.text import capfirst
from django.views.generic import FormView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.models import ModelLogEntry
from wagtail_modeladmin.helpers import ButtonHelper, PermissionHelper
from wagtail_modeladmin.views import InspectView

from core.admin import ReadOnlyPermissionHelper, StaffModelAdmin
from legal import handling
from legal.admin import PERMISSION
from legal.models import DataRequest

# A request due within this many days carries a "Due in N days" tag in the list.
DUE_SOON_DAYS = 7


def action_url(request: DataRequest, action: str) -> str:
    return reverse(f"legal_datarequest_{action}", args=[request.pk])


def bulk_erase_url() -> str:
    return reverse("legal_datarequest_bulk_erase")


def deadline_words(request: DataRequest) -> str:
    """ "Overdue by 2 days", "Due today", "Due in 3 days"; empty once answered or not yet near."""
    if not request.is_open:
        return ""
    days = request.days_left
    if days < 0:
        return f"Overdue by {-days} day{'s' if days < -1 else ''}"
    if days == 0:
        return "Due today"
    if days == 1:
        return "Due tomorrow"
    if days <= DUE_SOON_DAYS:
        return f"Due in {days} days"
    return ""


class DataRequestPermissionHelper(ReadOnlyPermissionHelper):
    """List and inspect with the view permission; record a request with the add permission.

    Nobody edits or deletes a request here: its status changes only through the actions.
    """

    def user_can_create(self, user):
        return PermissionHelper.user_can_create(self, user)


class DataRequestButtonHelper(ButtonHelper):
    """The list's "Record a request"; on a request's page, the actions that can apply to it.

    The actions show to staff with the handle permission, and only where `legal.handling`
    would carry them out: a request waiting for its link can only be rejected.
    """

    def add_button(self, classnames_add=None, classnames_exclude=None):
        return {
            **super().add_button(classnames_add, classnames_exclude),
            "label": "Record a request",
            "title": "Record a request received by e-mail, letter, phone or in person",
        }

    def get_buttons_for_obj(self, obj, exclude=None, classnames_add=None, classnames_exclude=None):
        buttons = super().get_buttons_for_obj(obj, exclude, classnames_add, classnames_exclude)
        if not isinstance(self.view, InspectView) or not self.request.user.has_perm(PERMISSION):
            return buttons
        if obj.status == DataRequest.Status.CONFIRMED and obj.email:
            buttons.append(
                self.action_button(
                    obj, "export", "Export data", "Download everything held about the requester"
                )
            )
            if obj.kind == DataRequest.Kind.ERASURE:
                buttons.append(
                    self.action_button(
                        obj, "erase", "Erase personal data", "Erase the requester's personal data"
                    )
                )
        if obj.is_open:
            buttons.append(self.action_button(obj, "reject", "Reject", "Refuse the request, saying why"))
        return buttons

    def action_button(self, obj, action, label, title):
        return {
            "url": action_url(obj, action),
            "label": label,
            "classname": self.finalise_classname(["button-secondary"]),
            "title": title,
        }


class OverdueFilter(SimpleListFilter):
    title = "answer due"
    parameter_name = "due"

    def lookups(self, request, model_admin):
        return [("overdue", "Overdue"), ("soon", "Due within a week"), ("open", "Open, not overdue")]

    def queryset(self, request, queryset):
        if self.value() == "overdue":
            return queryset.overdue()
        if self.value() == "soon":
            return queryset.due_soon()
        if self.value() == "open":
            return queryset.open().exclude(pk__in=queryset.overdue().values("pk"))
        return queryset


class DataRequestInspectView(InspectView):
    """The request, and what staff did with it (its audit log), newest first."""

    def get_field_label(self, field_name, field=None):
        return capfirst(super().get_field_label(field_name, field))

    def get_field_display_value(self, field_name, field=None):
        if field_name == "email" and not self.instance.email:
            return "(erased with the person's data)"
        return super().get_field_display_value(field_name, field)

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            history=ModelLogEntry.objects.for_instance(self.instance)
            .select_related("user")
            .order_by("-timestamp"),
            **kwargs,
        )


class RecordRequestForm(forms.Form):
    email = forms.EmailField(max_length=254, label="The requester's e-mail address")
    kind = forms.ChoiceField(
        choices=DataRequest.Kind.choices,
        widget=forms.RadioSelect,
        label="What they ask for",
        help_text="Export: a copy of everything we hold about them. Erasure: that we erase it.",
    )
    channel = forms.ChoiceField(
        choices=[choice for choice in DataRequest.Channel.choices if choice[0] != DataRequest.Channel.WEB],
        label="Received by",
        help_text="Requests made on the website are recorded by the site itself.",
    )
    identity_check = forms.CharField(
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        label="How you checked who is asking",
        help_text="E.g. “replied from the address the tickets were sent to”, "
        "“answered a question about their order”.",
    )

    def clean_identity_check(self):
        text = self.cleaned_data["identity_check"].strip()
        if not text:
            raise forms.ValidationError("Say how you checked who is asking.")
        return text


class RecordRequestView(WagtailAdminTemplateMixin, FormView):
    """The list's "Record a request": the form, then `handling.record` (confirmed, audit-logged)."""

    model_admin = None  # given by the ModelAdmin's create URL
    form_class = RecordRequestForm
    template_name = "legal/admin/record_request.html"
    page_title = "Record a data request"
    header_icon = "user"

    def dispatch(self, request, *args, **kwargs):
        if not self.model_admin.permission_helper.user_can_create(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": self.model_admin.url_helper.index_url, "label": "Data requests"},
            {"url": "", "label": "Record a request"},
        ]

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)

    def form_valid(self, form):
        data_request = handling.record(**form.cleaned_data, by=self.request.user)
        messages.success(
            self.request,
            f"{data_request} recorded. The answer is due by {data_request.due_on:%d %B %Y}.",
        )
        return redirect(self.model_admin.url_helper.get_action_url("inspect", data_request.pk))


class DataRequestAdmin(StaffModelAdmin):
    model = DataRequest
    menu_label = "Data requests"
    menu_icon = "user"
    permission_helper_class = DataRequestPermissionHelper
    button_helper_class = DataRequestButtonHelper
    inspect_view_enabled = True
    inspect_view_class = DataRequestInspectView
    create_view_class = RecordRequestView
    index_template_name = "legal/admin/datarequest_index.html"
    inspect_template_name = "legal/admin/datarequest_inspect.html"
    list_display = ("title", "kind", "status", "received", "due_on", "deadline", "handled_by")
    list_display_add_buttons = "title"
    list_filter = ("kind", "status", OverdueFilter)
    list_select_related = ("handled_by",)
    search_fields = ("email",)
    list_per_page = 50
    index_view_extra_css = inspect_view_extra_css = ["css/privacy-admin.css"]
    inspect_view_fields = (
        "kind",
        "status",
        "email",
        "channel",
        "created_at",
        "due_on",
        "confirmed_at",
        "identity_check",
        "recorded_by",
        "handled_by",
        "handled_at",
        "outcome",
        "rejection_reason",
        "notes",
    )

    def get_list_display(self, request):
        # Staff who may erase pick requests for erasing several at once.
        if request.user.has_perm(PERMISSION):
            return ("select", *self.list_display)
        return self.list_display

    def get_queryset(self, request):
        open_first = Case(When(status__in=DataRequest.OPEN, then=Value(0)), default=Value(1))
        open_due = Case(When(status__in=DataRequest.OPEN, then="due_on"), default=None)
        return (
            DataRequest.objects.annotate(open_first=open_first, open_due=open_due)
            .select_related("handled_by")
            .order_by(*self.get_ordering(request))
        )

    def get_ordering(self, request):
        # Open requests first, the one due soonest at the top; then answered ones, newest first.
        return ("open_first", "open_due", "-created_at")

    def title(self, obj):
        return f"Request #{obj.pk}"  # its kind has a column of its own

    title.short_description = "Request"

    def received(self, obj):
        return date_format(timezone.localtime(obj.created_at), "j M Y")

    received.short_description = "Received"
    received.admin_order_field = "created_at"

    def deadline(self, obj):
        words = deadline_words(obj)
        if not words:
            return ""
        tone = "deadline--overdue" if obj.is_overdue else "deadline--soon"
        return format_html('<span class="w-status {}">{}</span>', tone, words)

    deadline.short_description = "Deadline"

    def select(self, obj):
        if obj.kind != DataRequest.Kind.ERASURE or obj.status != DataRequest.Status.CONFIRMED:
            return ""
        return format_html(
            '<input type="checkbox" name="request" value="{}" form="bulk-erase" aria-label="Select {}">',
            obj.pk,
            obj,
        )

    select.short_description = "Erase"
