"""On the admin's home page: what in payments is waiting for a person, with links."""

from django.urls import reverse
from laces.components import Component

from ticketing.admin.refunds import REFUND_PERMISSION
from ticketing.models import Order, ReconciliationMismatch, Refund


class PaymentAttentionPanel(Component):
    """Counts of open payment mismatches, orders in review and failed refunds, each a link to its list."""

    name = "payment_attention"
    template_name = "ticketing/admin/payment_attention_panel.html"
    order = 90

    @staticmethod
    def is_for(user) -> bool:
        """Shown to staff who look after orders or refunds; the counts mean nothing to the others."""
        return user.has_perm("ticketing.view_order") or user.has_perm(REFUND_PERMISSION)

    def get_context_data(self, parent_context):
        context = super().get_context_data(parent_context)
        context.update(
            mismatches=ReconciliationMismatch.objects.filter(resolved_at__isnull=True).count(),
            in_review=Order.objects.filter(status=Order.Status.NEEDS_REVIEW).count(),
            failed_refunds=Refund.objects.filter(status=Refund.Status.FAILED).count(),
            mismatches_url=reverse("ticketing_reconciliationmismatch_modeladmin_index") + "?state=open",
            in_review_url=reverse("ticketing_order_modeladmin_index") + "?status__exact=needs_review",
            refunds_url=reverse("ticketing_refund_modeladmin_index") + "?status__exact=failed",
        )
        return context
