"""The admin's home page: door staff sent on to the scanner, and what in payments is waiting
for a person, with links."""

from django.shortcuts import redirect
from django.urls import reverse
from laces.components import Component
from wagtail.admin.views.home import HomeView

from core.admin import edits_content
from ticketing.admin.door import only_checks_tickets_in
from ticketing.models import Order, ReconciliationMismatch, Refund

# Each line of the panel is for staff who may open the list it links to.
MISMATCHES = "ticketing.view_reconciliationmismatch"
ORDERS = "ticketing.view_order"
REFUNDS = "ticketing.view_refund"


class PaymentAttentionPanel(Component):
    """Counts of open payment mismatches, orders in review and failed refunds, each a link to its list.

    A count shows only to staff who may open its list (the box office sees orders in review,
    not the mismatches only finance resolves), so no link leads to a refusal.
    """

    name = "payment_attention"
    template_name = "ticketing/admin/payment_attention_panel.html"
    order = 90

    @staticmethod
    def is_for(user) -> bool:
        """Shown to staff who look after orders or money; the counts mean nothing to the others."""
        return any(user.has_perm(permission) for permission in (MISMATCHES, ORDERS, REFUNDS))

    def get_context_data(self, parent_context):
        context = super().get_context_data(parent_context)
        user = parent_context["request"].user
        context.update(
            mismatches=user.has_perm(MISMATCHES)
            and ReconciliationMismatch.objects.filter(resolved_at__isnull=True).count(),
            in_review=user.has_perm(ORDERS)
            and Order.objects.filter(status=Order.Status.NEEDS_REVIEW).count(),
            failed_refunds=user.has_perm(REFUNDS)
            and Refund.objects.filter(status=Refund.Status.FAILED).count(),
            mismatches_url=reverse("ticketing_reconciliationmismatch_modeladmin_index") + "?state=open",
            in_review_url=reverse("ticketing_order_modeladmin_index") + "?status__exact=needs_review",
            refunds_url=reverse("ticketing_refund_modeladmin_index") + "?status__exact=failed",
        )
        return context


class StaffHomeView(HomeView):
    """Wagtail's dashboard, except that door staff are sent straight on to the scanner.

    The dashboard would only offer them an empty page and a menu with one entry: after signing
    in they land where they work. Its "Search all pages" box shows only to staff who edit
    content; for the others it would lead to a refusal. Mounted in place of Wagtail's home in
    `config/urls.py`.
    """

    def get(self, request, *args, **kwargs):
        if only_checks_tickets_in(request.user):
            return redirect("ticketing:check-in")
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if not edits_content(self.request.user):
            context["search_form"] = ()
        return context
