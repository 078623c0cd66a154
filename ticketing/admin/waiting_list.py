"""The waiting list, per event and ticket type: who is in line (their place, address and state),
when each was offered seats and until when, and how their offer e-mail fared.

Read-only: people join from the event page and offers are made by `ticketing.waiting_list`
when seats come back. The Box office may see it (`view_waitinglistentry`, migration 0018), to
answer "am I on the list?" at the counter. The listing runs in a fixed number of queries: the
place in line is a subquery of the same statement (`waiting_list.with_positions`).
"""

from django.contrib.admin import SimpleListFilter

from core.admin import ReadOnlyAdmin
from ticketing import waiting_list
from ticketing.models import Event, WaitingListEntry


class EventFilter(SimpleListFilter):
    """Only the events that have a waiting list, newest first."""

    title = "Event"
    parameter_name = "event"

    def lookups(self, request, model_admin):
        events = Event.objects.filter(waiting_list__isnull=False).distinct().order_by("-starts_at")
        return [(str(event.pk), event.title) for event in events]

    def queryset(self, request, queryset):
        if self.value() and self.value().isdigit():
            return queryset.filter(event_id=int(self.value()))
        return queryset


class WaitingListAdmin(ReadOnlyAdmin):
    model = WaitingListEntry
    menu_label = "Waiting list"
    menu_icon = "list-ol"
    list_display = (
        "event",
        "ticket_type",
        "place_in_line",
        "email",
        "quantity",
        "status",
        "offered_quantity",
        "offered_at",
        "offer_expires_at",
        "notice_status",
    )
    list_filter = (EventFilter, "status")
    list_select_related = ("event", "ticket_type")
    search_fields = ("email",)
    ordering = ("event", "ticket_type", "joined_at", "id")
    inspect_view_fields = (
        "event",
        "ticket_type",
        "email",
        "quantity",
        "status",
        "joined_at",
        "offered_quantity",
        "offered_at",
        "offer_expires_at",
        "order",
        "notice_status",
        "notice_attempts",
        "notice_last_attempt_at",
        "notice_next_attempt_at",
        "notice_sent_at",
        "notice_last_error",
    )

    def get_queryset(self, request):
        return waiting_list.with_positions(super().get_queryset(request))

    def place_in_line(self, entry):
        return entry.position

    place_in_line.short_description = "Position"
    place_in_line.admin_order_field = "position"
