"""An event and its page, made in one flow by an editor.

An editor creates the event (dates, venue, ticket types) in *Ticketing → Events*; once it is
saved they land on "New event page" under the events index with that event already chosen
(`home.admin.EventPageForEventView`, sent there by the `after_create_event` hook in
`home/wagtail_hooks.py`). In the page editor the event's panel shows what is on sale and links
back to the event's form ("Edit tickets"), or on to a new event. The page's event chooser
offers only events that have no page yet (and the page's own), so no event gets two pages by
mistake. Prices and stock are never typed on the page: they are read from the shop
(`ticketing.shop`), the one part of ticketing the pages know.
"""

from django.db.models import Q
from wagtail.admin.forms import WagtailAdminPageForm
from wagtail.admin.panels import Panel

from ticketing import shop

EVENT_CHOOSER_HELP = (
    "Date, venue, prices and availability come from this event. "
    "Only events that have no page yet are offered."
)


class EventPageForm(WagtailAdminPageForm):
    """The event page's form: its event chosen among those that have no page yet."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields.get("event")
        if field is None:
            return
        # One query however many events and pages there are: the taken events are a subquery.
        taken = type(self.instance).objects.values("event_id")
        free = ~Q(pk__in=taken)
        if self.instance.event_id:
            free |= Q(pk=self.instance.event_id)
        field.queryset = field.queryset.filter(free)
        field.help_text = EVENT_CHOOSER_HELP


class EventSalesPanel(Panel):
    """The page's event as it sells: its ticket types and sales state, and where to change them."""

    class BoundPanel(Panel.BoundPanel):
        template_name = "home/admin/event_sales_panel.html"

        def get_context_data(self, parent_context=None):
            context = super().get_context_data(parent_context)
            user = self.request.user if self.request else None
            event_id = getattr(self.instance, "event_id", None)
            context["event"] = shop.event_for_editor(event_id) if event_id else None
            context["may_edit_event"] = bool(user and user.has_perm("ticketing.change_event"))
            context["new_event_url"] = (
                shop.new_event_url() if user and user.has_perm("ticketing.add_event") else None
            )
            return context
