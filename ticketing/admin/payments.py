"""Payments and webhook deliveries: what SumUp told us, kept as evidence (read-only)."""

from core.admin import ReadOnlyAdmin, money
from ticketing.models import Payment, WebhookEvent


class PaymentAdmin(ReadOnlyAdmin):
    model = Payment
    menu_label = "Payments"
    menu_icon = "form"
    list_display = (
        "checkout_reference",
        "order",
        "amount_display",
        "status",
        "transaction_code",
        "created_at",
    )
    list_filter = ("status",)
    list_select_related = ("order",)
    search_fields = (
        "checkout_reference",
        "checkout_id",
        "transaction_id",
        "transaction_code",
        "order__reference",
    )
    ordering = ("-created_at",)
    inspect_view_fields = (
        "order",
        "checkout_id",
        "checkout_reference",
        "transaction_id",
        "transaction_code",
        "amount",
        "currency",
        "status",
        "created_at",
        "updated_at",
        "raw",
    )
    money_fields = {"amount": "currency"}

    def amount_display(self, payment):
        return money(payment.amount, payment.currency)

    amount_display.short_description = "Amount"
    amount_display.admin_order_field = "amount"


class WebhookEventAdmin(ReadOnlyAdmin):
    model = WebhookEvent
    menu_label = "Webhook events"
    menu_icon = "resubmit"
    list_display = ("received_at", "event_type", "checkout_id", "outcome", "signed", "deliveries")
    list_filter = ("outcome", "signed")
    search_fields = ("checkout_id", "dedupe_key")
    ordering = ("-received_at",)
