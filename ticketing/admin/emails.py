"""The ticket e-mails: every one queued, sent, retrying (with the last error) or failed for good."""

from core.admin import ReadOnlyAdmin
from ticketing.models import TicketEmail


class TicketEmailAdmin(ReadOnlyAdmin):
    model = TicketEmail
    menu_label = "Ticket e-mails"
    menu_icon = "mail"
    list_display = ("order", "reason", "status", "attempts", "next_attempt_at", "sent_at", "last_error")
    list_filter = ("status", "reason")
    list_select_related = ("order",)
    search_fields = ("order__reference",)
    ordering = ("-created_at",)
    inspect_view_fields = (
        "order",
        "reason",
        "status",
        "attempts",
        "last_attempt_at",
        "next_attempt_at",
        "sent_at",
        "last_error",
        "requested_by",
        "task_id",
        "created_at",
    )
