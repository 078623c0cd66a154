"""Events and their ticket types, created and edited in one form."""

from django.db import transaction
from wagtail import hooks
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel, ObjectList
from wagtail_modeladmin.views import CreateView, InspectView

from core.admin import StaffModelAdmin
from ticketing import catalogue
from ticketing.admin.attendees import EventButtonHelper as AttendeesButtonHelper
from ticketing.admin.cancel_event import CANCEL_PERMISSION, cancel_url
from ticketing.models import Event


class EventForm(WagtailAdminModelForm):
    """An event and its ticket types, validated and saved as one unit.

    Field rules (dates, currency, capacity below sold) live in `Event.clean()` and
    `TicketType.clean()`, which the model forms run; the rules that need the event and its
    ticket types together are `catalogue.check_event_and_types`, shown here as form errors.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        status = self.fields.get("status")
        if status is not None and self.instance.status != Event.Status.CANCELLED:
            # Cancelling here would stop sales and refund nobody: "Cancel event" does both.
            status.choices = [c for c in status.choices if c[0] != Event.Status.CANCELLED]
            status.help_text = "To cancel the event and refund its buyers, use “Cancel event” on its page."

    def clean(self):
        cleaned_data = super().clean()
        ticket_types = self.formsets["ticket_types"]
        problems = catalogue.check_event_and_types(
            cleaned_data.get("status"),
            kept_types=[form.instance for form in self._kept_forms(ticket_types)],
            deleted_types=[form.instance for form in ticket_types.deleted_forms],
        )
        for problem in problems:
            self.add_error(problem.field, problem.message)
        return cleaned_data

    @staticmethod
    def _kept_forms(formset):
        """The ticket-type rows that will exist after saving: not deleted, and not a blank extra row."""
        deleted = set(formset.deleted_forms)
        return [
            form for form in formset.forms if form not in deleted and (form.instance.pk or form.has_changed())
        ]

    def save(self, commit=True):
        """Save the event and its ticket types in one transaction.

        Each row is saved by `SoldCounterProtected.save()`, which names its columns so that a
        stale form never writes `sold` (and names the ticket types, so modelcluster commits them).
        """
        with transaction.atomic():
            return super().save(commit=commit)


class EventButtonHelper(AttendeesButtonHelper):
    """An event's buttons: "Attendees" (see its base) and, on the event's page, "Cancel event"
    for staff who may (afterwards it shows the refunds)."""

    def get_buttons_for_obj(self, obj, exclude=None, classnames_add=None, classnames_exclude=None):
        buttons = super().get_buttons_for_obj(obj, exclude, classnames_add, classnames_exclude)
        if isinstance(self.view, InspectView) and self.request.user.has_perm(CANCEL_PERMISSION):
            label = "Cancellation and refunds" if obj.status == Event.Status.CANCELLED else "Cancel event"
            classname = self.finalise_classname(["button-secondary"])
            buttons.append({"url": cancel_url(obj), "label": label, "classname": classname, "title": label})
        return buttons


# The Wagtail hook an app registers to say where an editor goes once a new event is saved:
# `fn(request, event)` returns a URL, or None to leave it to the next. The site's pages
# (`home/wagtail_hooks.py`) send the editor on to the new event's page; ticketing does not know
# the pages, so it asks rather than links.
AFTER_CREATE_EVENT = "after_create_event"


class EventCreateView(CreateView):
    """A new event, then on to what comes next for it (its page), else back to the list."""

    def get_success_url(self):
        for next_url_for in hooks.get_hooks(AFTER_CREATE_EVENT):
            if next_url := next_url_for(self.request, self.instance):
                return next_url
        return super().get_success_url()


class EventAdmin(StaffModelAdmin):
    model = Event
    button_helper_class = EventButtonHelper
    menu_label = "Events"
    menu_icon = "date"
    list_display = ("title", "starts_at", "venue", "status", "sales_state_display", "tickets_sold")
    list_filter = ("status", "venue")
    search_fields = ("title", "venue")
    ordering = ("-starts_at",)
    inspect_view_enabled = True
    create_view_class = EventCreateView

    panels = [
        FieldPanel("title"),
        FieldPanel("venue"),
        FieldRowPanel([FieldPanel("starts_at"), FieldPanel("ends_at")], heading="When"),
        MultiFieldPanel(
            [
                FieldPanel("status"),
                FieldRowPanel([FieldPanel("sales_start"), FieldPanel("sales_end")]),
                FieldRowPanel([FieldPanel("capacity"), FieldPanel("currency")]),
                FieldPanel("sold", read_only=True, heading="Tickets sold or held (all types)"),
            ],
            heading="Sales",
        ),
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("buyer_cancel_days"), FieldPanel("buyer_cancel_fee")]),
                FieldPanel("attendee_names"),
            ],
            heading="Buyers' own changes",
            help_text="What buyers may do on their order page: cancel tickets for a refund (less the "
            "fee) until the days before the start set here, and name each ticket's holder.",
        ),
        InlinePanel(
            "ticket_types",
            heading="Ticket types",
            label="Ticket type",
            panels=[
                FieldRowPanel([FieldPanel("name"), FieldPanel("price")]),
                FieldPanel("description"),
                FieldRowPanel([FieldPanel("capacity"), FieldPanel("max_per_order")]),
                FieldPanel("sold", read_only=True, heading="Sold or held"),
            ],
        ),
    ]

    def get_edit_handler(self):
        return ObjectList(self.panels, base_form_class=EventForm)

    def get_queryset(self, request):
        # Both computed columns read the ticket types: one query for the whole page.
        return super().get_queryset(request).prefetch_related("ticket_types")

    def sales_state_display(self, event):
        return event.sales_state(ticket_types=list(event.ticket_types.all())).label

    sales_state_display.short_description = "Sales"

    def tickets_sold(self, event):
        """Sold or held, out of what can be sold."""
        types = list(event.ticket_types.all())
        # From the types: the event's own counter counts only under a capacity (inventory).
        return f"{sum(t.sold for t in types)} of {catalogue.tickets_for_sale(event, types)}"

    tickets_sold.short_description = "Tickets sold or held"
