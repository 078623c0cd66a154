"""Many buyers at once never oversell; expiry and payment racing settle exactly once.

Each buyer is a thread with its own database connection, so the database (PostgreSQL in CI)
arbitrates, as it does between gunicorn workers. `check_inventory` runs after every scenario.
"""

from collections import Counter

import pytest
from django.db.models import Sum

from tests.concurrency import run_concurrently
from tests.factories import make_event, ticket_types
from ticketing import orders as order_lifecycle
from ticketing.checkout import Buyer, CheckoutRefused, place_order
from ticketing.inventory import check_inventory
from ticketing.models import Order, OrderLine, Ticket

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.concurrency]

BUYERS = 40


@pytest.fixture(autouse=True)
def _no_velocity_limits(settings):
    settings.MAX_TICKETS_PER_IP_PER_EVENT = 10_000
    settings.MAX_TICKETS_PER_EMAIL_PER_EVENT = 10_000


def buyer(i):
    return Buyer(
        name=f"Buyer {i}",
        email=f"buyer{i}@example.com",
        ip=f"198.51.100.{i % 250}",
        user_agent="Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0",
    )


def attempt(event, quantities, i):
    try:
        return place_order(event, buyer(i), quantities)
    except CheckoutRefused:
        return None


def held_per_type():
    rows = (
        OrderLine.objects.filter(order__status=Order.Status.PENDING)
        .values("ticket_type_id")
        .annotate(n=Sum("quantity"))
    )
    return {row["ticket_type_id"]: row["n"] for row in rows}


def test_many_buyers_race_for_the_last_tickets_of_one_type():
    event = make_event(types=[("Standard", "25.00", 10)])
    (standard,) = ticket_types(event)
    results = run_concurrently(attempt, [(event, {standard: 1 + i % 3}, i) for i in range(BUYERS)])
    orders = [r for r in results if isinstance(r, Order)]
    errors = [r for r in results if isinstance(r, Exception)]
    assert errors == []
    standard.refresh_from_db()
    assert standard.sold <= standard.capacity
    assert sum(o.lines.get().quantity for o in orders) == standard.sold
    assert standard.sold >= standard.capacity - 2  # the stock really was competed for, not refused
    assert held_per_type() == {standard.pk: standard.sold}
    assert check_inventory() == []


def test_event_wide_capacity_shared_by_two_types_is_never_exceeded():
    event = make_event(capacity=15, types=[("Adult", "20.00", 12), ("Child", "10.00", 12)])
    adult, child = ticket_types(event)
    args = [
        (event, {adult: 2} if i % 3 == 0 else {child: 1} if i % 3 == 1 else {adult: 1, child: 1}, i)
        for i in range(BUYERS)
    ]
    results = run_concurrently(attempt, args)
    assert not [r for r in results if isinstance(r, Exception)]
    event.refresh_from_db()
    adult.refresh_from_db()
    child.refresh_from_db()
    assert event.sold <= 15 and adult.sold <= 12 and child.sold <= 12
    assert adult.sold + child.sold == event.sold
    assert event.sold >= 13
    assert check_inventory() == []


def test_every_reserved_ticket_belongs_to_exactly_one_order():
    event = make_event(types=[("Standard", "25.00", 7)])
    (standard,) = ticket_types(event)
    results = run_concurrently(attempt, [(event, {standard: 1}, i) for i in range(BUYERS)])
    orders = [r for r in results if isinstance(r, Order)]
    assert len(orders) == 7
    assert len({o.pk for o in orders}) == 7
    assert check_inventory() == []


def test_expiry_and_payment_racing_settle_each_order_exactly_once():
    """Half the racers try to expire an order, half to confirm its payment: one wins."""
    event = make_event(types=[("Standard", "25.00", 100)])
    (standard,) = ticket_types(event)
    orders = [place_order(event, buyer(i), {standard: 2}) for i in range(10)]

    def expire(order):
        return "expired" if order_lifecycle.expire(Order.objects.get(pk=order.pk)) else None

    def pay(order):
        fresh = Order.objects.get(pk=order.pk)
        if fresh.status == Order.Status.PENDING and order_lifecycle.mark_paid(fresh):
            return "paid"
        fresh.refresh_from_db()
        if fresh.status == Order.Status.EXPIRED:
            return "late" if order_lifecycle.mark_paid(fresh, cause="late payment confirmed") else None
        return None

    args = [(fn, order) for order in orders for fn in (expire, pay, expire, pay)]
    results = run_concurrently(lambda fn, order: (order.pk, fn(order)), args)
    assert not [r for r in results if isinstance(r, Exception)]
    confirmations = Counter(pk for pk, outcome in results if outcome in ("paid", "late"))
    expiries = Counter(pk for pk, outcome in results if outcome == "expired")
    for order in orders:
        order.refresh_from_db()
        tickets = Ticket.objects.filter(order=order).count()
        assert confirmations[order.pk] <= 1 and expiries[order.pk] <= 1
        if order.status == Order.Status.PAID:
            assert confirmations[order.pk] == 1
            assert tickets == 2, "a paid order has its tickets, once"
        else:
            assert order.status == Order.Status.EXPIRED
            assert (confirmations[order.pk], expiries[order.pk], tickets) == (0, 1, 0)
    standard.refresh_from_db()
    paid = Order.objects.filter(status=Order.Status.PAID).count()
    assert standard.sold == 2 * paid
    assert check_inventory() == []


def test_one_buyers_simultaneous_checkouts_respect_the_velocity_limit(settings):
    """Ten checkouts from one e-mail at the same instant: the limit holds across all of them."""
    settings.MAX_TICKETS_PER_EMAIL_PER_EVENT = 4
    event = make_event(types=[("Standard", "25.00", 100)])
    (standard,) = ticket_types(event)
    same = Buyer(
        name="Ann",
        email="ann@example.com",
        ip=None,
        user_agent="Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0",
    )
    results = run_concurrently(lambda: attempt_as(event, same, {standard: 1}), [()] * 10)
    assert not [r for r in results if isinstance(r, Exception)]
    assert sum(isinstance(r, Order) for r in results) == 4
    standard.refresh_from_db()
    assert standard.sold == 4
    assert check_inventory() == []


def attempt_as(event, who, quantities):
    try:
        return place_order(event, who, quantities)
    except CheckoutRefused:
        return None
