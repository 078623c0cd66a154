"""How each upcoming event is selling, and what in ticketing is waiting for a person: read-only.

The admin dashboard shows these figures. They are computed in a fixed number of queries (one
for the events with their counts, one each for payments, refunds and sales per day) whatever
the number of events and orders, so the dashboard stays as quick in a busy season as in a
quiet one: the counts are subqueries and grouped queries, never a loop over events.

What each figure means, in staff's words:

* **sold**: valid tickets of orders that own them (paid, partly refunded); refunded tickets
  no longer count, so the figure is what the door will see.
* **capacity**: the event's own limit, or, without one, the sum of its ticket types' limits.
* **on hold**: tickets in pending orders whose hold has not ended: buyers paying right now.
  An ended hold the worker has not swept yet is not counted; its seats are about to return.
* **checked in**: valid tickets scanned at the door.
* **revenue**: money SumUp took for the event's orders minus what it gave back, per currency
  (a payment is in the currency SumUp took it in). Refunds not yet confirmed by SumUp are not
  subtracted; money taken and refunded at once (a late or duplicate payment) nets to nothing.
* **sales per day**: valid tickets by the day their order was paid, for the last 14 days,
  today included, in the site's time zone.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Count, DecimalField, IntegerField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from ticketing.models import (
    BuyerEmail,
    Event,
    Order,
    OrderLine,
    Payment,
    ReconciliationMismatch,
    Refund,
    Ticket,
    TicketType,
)

SALES_DAYS = 14


@dataclass
class DaySales:
    day: date
    tickets: int


@dataclass
class EventSales:
    event: Event
    sold: int
    capacity: int
    on_hold: int
    checked_in: int
    # {currency: Decimal}, only the currencies money was taken in; empty before the first sale.
    revenue: dict[str, Decimal] = field(default_factory=dict)
    # SALES_DAYS entries, oldest first, days without sales included (as 0).
    per_day: list[DaySales] = field(default_factory=list)

    @property
    def sold_in_last_days(self) -> int:
        return sum(day.tickets for day in self.per_day)

    @property
    def busiest_day(self) -> int:
        return max((day.tickets for day in self.per_day), default=0)


@dataclass
class NeedsAPerson:
    """Counts of ticketing work only a person can do. None where the caller did not ask."""

    orders_in_review: int | None = None
    flagged_orders: int | None = None
    failed_emails: int | None = None
    open_mismatches: int | None = None


def upcoming_events(now=None):
    """Events not cancelled and not over yet (by their end, or their start when none is set)."""
    now = now or timezone.now()
    return (
        Event.objects.exclude(status=Event.Status.CANCELLED)
        .annotate(over_at=Coalesce("ends_at", "starts_at"))
        .filter(over_at__gt=now)
        .order_by("starts_at", "id")
    )


def _count(queryset, event_field):
    """A subquery counting the rows of `queryset` that belong to the outer event."""
    return Coalesce(
        Subquery(
            queryset.filter(**{event_field: OuterRef("pk")})
            .order_by()
            .values(event_field)
            .annotate(n=Count("pk"))
            .values("n"),
            output_field=IntegerField(),
        ),
        0,
    )


def _sum(queryset, event_field, summed):
    return Coalesce(
        Subquery(
            queryset.filter(**{event_field: OuterRef("pk")})
            .order_by()
            .values(event_field)
            .annotate(total=Sum(summed))
            .values("total"),
            output_field=IntegerField(),
        ),
        0,
    )


def upcoming_sales(now=None) -> list[EventSales]:
    """How every upcoming event is selling (see the module docstring for each figure)."""
    now = now or timezone.now()
    valid_tickets = Ticket.objects.filter(voided_at__isnull=True, order__status__in=Order.OWNS_TICKETS)
    events = list(
        upcoming_events(now).annotate(
            sold_tickets=_count(valid_tickets, "ticket_type__event"),
            checked_in_tickets=_count(
                valid_tickets.filter(checked_in_at__isnull=False), "ticket_type__event"
            ),
            held_tickets=_sum(
                OrderLine.objects.filter(order__status=Order.Status.PENDING, order__expires_at__gt=now),
                "order__event",
                "quantity",
            ),
            type_capacity=_sum(TicketType.objects.all(), "event", "capacity"),
        )
    )
    if not events:
        return []
    ids = [event.pk for event in events]
    revenue = _revenue(ids)
    per_day = _sales_per_day(ids, now)
    return [
        EventSales(
            event=event,
            sold=event.sold_tickets,
            capacity=event.capacity if event.capacity is not None else event.type_capacity,
            on_hold=event.held_tickets,
            checked_in=event.checked_in_tickets,
            revenue=revenue.get(event.pk, {}),
            per_day=per_day[event.pk],
        )
        for event in events
    ]


def _revenue(event_ids) -> dict[int, dict[str, Decimal]]:
    """{event id: {currency: money kept}}: payments taken minus refunds SumUp made."""
    money = DecimalField(max_digits=12, decimal_places=2)
    revenue = defaultdict(lambda: defaultdict(lambda: Decimal("0.00")))
    taken = (
        Payment.objects.filter(order__event__in=event_ids, status=Payment.Status.PAID)
        .values("order__event", "currency")
        .annotate(total=Coalesce(Sum("amount"), Value(Decimal("0")), output_field=money))
        .order_by()
    )
    for row in taken:
        revenue[row["order__event"]][row["currency"]] += row["total"]
    given_back = (
        Refund.objects.filter(payment__order__event__in=event_ids, status=Refund.Status.SUCCEEDED)
        .values("payment__order__event", "payment__currency")
        .annotate(total=Coalesce(Sum("amount"), Value(Decimal("0")), output_field=money))
        .order_by()
    )
    for row in given_back:
        revenue[row["payment__order__event"]][row["payment__currency"]] -= row["total"]
    return {event: dict(sorted(by_currency.items())) for event, by_currency in revenue.items()}


def _sales_per_day(event_ids, now) -> dict[int, list[DaySales]]:
    today = timezone.localdate(now)
    days = [today - timedelta(days=back) for back in range(SALES_DAYS - 1, -1, -1)]
    first = timezone.make_aware(datetime.combine(days[0], time.min))
    rows = (
        Ticket.objects.filter(
            voided_at__isnull=True,
            order__status__in=Order.OWNS_TICKETS,
            order__event__in=event_ids,
            order__paid_at__gte=first,
        )
        .annotate(day=TruncDate("order__paid_at", tzinfo=timezone.get_current_timezone()))
        .values("order__event", "day")
        .annotate(tickets=Count("pk"))
        .order_by()
    )
    counts = {(row["order__event"], row["day"]): row["tickets"] for row in rows}
    return {event: [DaySales(day, counts.get((event, day), 0)) for day in days] for event in event_ids}


# --- Waiting for a person -----------------------------------------------------------------------


# Orders a person has marked reviewed (`ticketing.boxoffice`) no longer wait for anyone.
def orders_in_review_filter() -> dict:
    return {"status__exact": Order.Status.NEEDS_REVIEW, "reviewed_at__isnull": True}


def orders_in_review():
    return Order.objects.filter(**orders_in_review_filter())


# The flagged orders as a filter the admin's order list also takes from its address (see
# `ticketing.admin.dashboard`), so the count and the list it links to are the same orders.
def flagged_orders_filter(now=None) -> dict:
    """Orders with a risk flag that still own tickets for an event yet to start: worth a look
    before the door opens. Once the event has started, the flags no longer call for anyone."""
    return {
        "status__in": Order.OWNS_TICKETS,
        "risk_flags__0__isnull": False,
        "event__starts_at__gt": now or timezone.now(),
        "reviewed_at__isnull": True,
    }


def flagged_orders(now=None):
    return Order.objects.filter(**flagged_orders_filter(now))


def failed_emails():
    return BuyerEmail.objects.filter(status=BuyerEmail.Status.FAILED)


def open_mismatches():
    return ReconciliationMismatch.objects.filter(resolved_at__isnull=True)


def needs_a_person(*, orders=False, emails=False, mismatches=False, now=None) -> NeedsAPerson:
    """The counts asked for (the caller asks for those its reader may open the lists of)."""
    return NeedsAPerson(
        orders_in_review=orders_in_review().count() if orders else None,
        flagged_orders=flagged_orders(now).count() if orders else None,
        failed_emails=failed_emails().count() if emails else None,
        open_mismatches=open_mismatches().count() if mismatches else None,
    )
