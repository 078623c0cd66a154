"""The admin's home page: door staff sent on to the scanner, and what in payments is waiting
for a person, with links."""

from urllib.parse import urlencode

from django.shortcuts import redirect
from django.urls import reverse
from laces.components import Component
from wagtail.admin.views.home import HomeView

from core.admin import edits_content
from ticketing import sales
from ticketing.admin.door import only_checks_tickets_in
from ticketing.models import BuyerEmail, Order, Refund, Ticket

# Each figure is for staff who may open the list it links to.
EMAILS = "ticketing.view_buyeremail"
MISMATCHES = "ticketing.view_reconciliationmismatch"
ORDERS = "ticketing.view_order"
REFUNDS = "ticketing.view_refund"
TICKETS = "ticketing.view_ticket"


def listing(model, **filters) -> str:
    """The admin list of `model` filtered by `filters` (lookups, as its address takes them)."""
    url = reverse(f"ticketing_{model._meta.model_name}_modeladmin_index")
    query = {
        lookup: ",".join(value) if isinstance(value, tuple | list) else value
        for lookup, value in filters.items()
    }
    return f"{url}?{urlencode(query)}" if query else url


class PaymentAttentionPanel(Component):
    """What in ticketing waits for a person: orders in review or flagged, buyer e-mails that
    could not be sent, open payment mismatches and failed refunds, each a link to its list.

    A count shows only to staff who may open its list (the box office sees orders in review,
    not the mismatches only finance resolves), so no link leads to a refusal. Data requests
    due soon are the privacy app's own panel (`legal.admin.dashboard`).
    """

    name = "payment_attention"
    template_name = "ticketing/admin/payment_attention_panel.html"
    order = 90

    @staticmethod
    def is_for(user) -> bool:
        """Shown to staff who look after orders or money; the counts mean nothing to the others."""
        return any(user.has_perm(permission) for permission in (EMAILS, MISMATCHES, ORDERS, REFUNDS))

    def get_context_data(self, parent_context):
        context = super().get_context_data(parent_context)
        user = parent_context["request"].user
        waiting = sales.needs_a_person(
            orders=user.has_perm(ORDERS), emails=user.has_perm(EMAILS), mismatches=user.has_perm(MISMATCHES)
        )
        context.update(
            in_review=waiting.orders_in_review,
            flagged=waiting.flagged_orders,
            failed_emails=waiting.failed_emails,
            mismatches=waiting.open_mismatches,
            failed_refunds=user.has_perm(REFUNDS)
            and Refund.objects.filter(status=Refund.Status.FAILED).count(),
            in_review_url=listing(Order, **sales.orders_in_review_filter()),
            flagged_url=listing(Order, **sales.flagged_orders_filter()),
            failed_emails_url=listing(BuyerEmail, status__exact=BuyerEmail.Status.FAILED),
            mismatches_url=reverse("ticketing_reconciliationmismatch_modeladmin_index") + "?state=open",
            refunds_url=listing(Refund, status__exact=Refund.Status.FAILED),
        )
        return context


# The chart's drawing units (the SVG scales to the panel's width): one slot per day.
BAR_SLOT, BAR_WIDTH, CHART_HEIGHT = 10, 7, 40


def bars(per_day) -> list[dict]:
    """Where each day's bar goes in the chart, the busiest day full height.

    A day without sales gets a hairline, so the fourteen days read as a time line.
    """
    busiest = max((day.tickets for day in per_day), default=0)
    drawn = []
    for slot, day in enumerate(per_day):
        height = CHART_HEIGHT * day.tickets / busiest if busiest else 0
        height = max(round(height, 1), 0.5)
        drawn.append(
            {
                "day": day.day,
                "tickets": day.tickets,
                "x": slot * BAR_SLOT + (BAR_SLOT - BAR_WIDTH) / 2,
                "y": CHART_HEIGHT - height,
                "width": BAR_WIDTH,
                "height": height,
            }
        )
    return drawn


class SalesPanel(Component):
    """How each upcoming event is selling (`ticketing.sales`), for the box office and finance.

    Every figure links to the orders or tickets it counts. The bars of sales per day are inline
    SVG (no script: the admin's policy would allow one, the public site's would not, and none
    is needed); their look is in a static stylesheet.
    """

    name = "sales"
    template_name = "ticketing/admin/sales_panel.html"
    order = 80

    class Media:
        css = {"all": ("css/sales-admin.css",)}

    @staticmethod
    def is_for(user) -> bool:
        return user.has_perm(ORDERS)

    def get_context_data(self, parent_context):
        context = super().get_context_data(parent_context)
        user = parent_context["request"].user
        may_list_tickets = user.has_perm(TICKETS)
        rows = []
        for event_sales in sales.upcoming_sales():
            event_id = event_sales.event.pk
            rows.append(
                {
                    "sales": event_sales,
                    "orders_url": listing(Order, event__id__exact=event_id),
                    "sold_url": listing(Order, event__id__exact=event_id, status__in=Order.OWNS_TICKETS),
                    "held_url": listing(Order, event__id__exact=event_id, status__exact=Order.Status.PENDING),
                    "revenue_url": listing(Order, event__id__exact=event_id, status__in=Order.WAS_PAID),
                    "checked_in_url": may_list_tickets
                    and listing(Ticket, ticket_type__event__id__exact=event_id, checked_in_at__isnull=False),
                    "bars": bars(event_sales.per_day),
                }
            )
        context.update(
            rows=rows,
            days=sales.SALES_DAYS,
            chart_width=sales.SALES_DAYS * BAR_SLOT,
            chart_height=CHART_HEIGHT,
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
