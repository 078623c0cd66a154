"""Every e-mail to a buyer (tickets, refund notices, apologies): queued, sent, retrying (with the
last error) or failed for good."""

from core.admin import ReadOnlyAdmin
from ticketing.models import BuyerEmail


class BuyerEmailAdmin(ReadOnlyAdmin):
    model = BuyerEmail
    menu_label = "E-mails to buyers"
    menu_icon = "mail"
    list_display = (
        "order",
        "kind",
        "reason",
        "status",
        "attempts",
        "next_attempt_at",
        "sent_at",
        "last_error",
    )
    list_filter = ("status", "kind", "reason")
    list_select_related = ("order",)
    search_fields = ("order__reference",)
    ordering = ("-created_at",)
    inspect_view_fields = (
        "order",
        "kind",
        "refund",
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
