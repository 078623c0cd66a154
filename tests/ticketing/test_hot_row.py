"""The hot row of an on-sale rush (issue 14): a checkout locks what it sells, last, and the
event's own row only when the event has an overall capacity.

Buyers of different ticket types no longer queue behind each other; one buyer's simultaneous
checkouts still queue behind each other (velocity limits), and no seat is ever oversold.
"""

import threading

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from tests.concurrency import run_concurrently
from tests.factories import make_event, make_staff, ticket_types
from ticketing import cancellation, fraud, inventory
from ticketing.checkout import Buyer, CheckoutBusy, CheckoutRefused, place_order
from ticketing.inventory import check_inventory
from ticketing.models import Event, Order

pytestmark = pytest.mark.django_db(transaction=True)

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0"


def buyer(i, *, email=None, ip=None):
    return Buyer(
        name=f"Buyer {i}",
        email=email or f"buyer{i}@example.com",
        ip=ip or f"198.51.100.{i % 250}",
        user_agent=BROWSER,
    )


def holding_in_another_transaction(hold):
    """Run `hold()` in a transaction of another connection, kept open (then rolled back) until
    the block ends: a sale or an admin save under way."""

    class Held:
        def __enter__(self):
            self.holding, self.done = threading.Event(), threading.Event()
            self.thread = threading.Thread(target=self.run)
            self.thread.start()
            assert self.holding.wait(10)

        def run(self):
            try:
                with transaction.atomic():
                    hold()
                    self.holding.set()
                    self.done.wait(10)
                    transaction.set_rollback(True)
            finally:
                connection.close()

        def __exit__(self, *exc):
            self.done.set()
            self.thread.join(10)

    return Held()


def test_a_checkout_does_not_wait_for_the_event_row_without_overall_capacity(settings):
    """An admin saving the event (its row locked) no longer holds up a rush of buyers."""
    settings.CHECKOUT_LOCK_TIMEOUT_MS = 500
    event = make_event(types=[("Adult", "20.00", 10)])
    (adult,) = ticket_types(event)
    with holding_in_another_transaction(lambda: Event.objects.filter(pk=event.pk).update(venue="Town Hall")):
        order = place_order(event, buyer(1), {adult: 2})  # CheckoutBusy if it queued
    assert order.status == Order.Status.PENDING and adult.refresh_sold() == 2
    assert check_inventory() == []


def test_the_stock_updates_come_last_before_commit():
    event = make_event(capacity=20, types=[("Adult", "20.00", 10)])
    (adult,) = ticket_types(event)
    with CaptureQueriesContext(connection) as queries:
        place_order(event, buyer(1), {adult: 2})
    statements = [q["sql"].replace('"', "") for q in queries.captured_queries]  # quoted or not
    first_stock = next(i for i, sql in enumerate(statements) if sql.startswith("UPDATE ticketing_tickettype"))
    locked = statements[first_stock:]
    # What runs after the COMMIT (the page cache's reading of the stock) holds no lock.
    locked = locked[: locked.index("COMMIT")] if "COMMIT" in locked else locked
    after = [sql for sql in locked if not sql.startswith("UPDATE ticketing_")]
    assert after == [], after  # nothing but stock once the first stock row is locked
    assert Event.objects.get(pk=event.pk).sold == 2


def test_a_buyer_of_another_type_does_not_wait_for_a_reservation_under_way(settings):
    """Before issue 14 every checkout locked the event's row first: B would wait for A."""
    settings.CHECKOUT_LOCK_TIMEOUT_MS = 500
    event = make_event(types=[("Adult", "20.00", 10), ("Child", "10.00", 10)])
    adult, child = ticket_types(event)
    with holding_in_another_transaction(lambda: inventory.reserve_tickets(event.pk, {adult.pk: 1})):
        order = place_order(event, buyer(2), {child: 1})  # CheckoutBusy if it queued
    assert order.status == Order.Status.PENDING
    assert check_inventory() == []


def test_one_buyers_second_checkout_waits_for_the_first(settings):
    """Velocity limits count committed orders: the same client's checkouts run one at a time."""
    settings.CHECKOUT_LOCK_TIMEOUT_MS = 500
    event = make_event(types=[("Adult", "20.00", 10), ("Child", "10.00", 10)])
    adult, child = ticket_types(event)
    keys = fraud.buyer_keys("203.0.113.9", "first@example.com")
    with holding_in_another_transaction(lambda: fraud.queue_buyer(event.pk, keys)):
        with pytest.raises(CheckoutBusy):
            place_order(event, buyer(3, ip="203.0.113.9"), {child: 1})
        place_order(event, buyer(4, ip="203.0.113.10"), {child: 1})  # another buyer goes ahead
    assert check_inventory() == []


def test_a_capacity_set_after_sales_counts_them(settings):
    event = make_event(types=[("Adult", "20.00", 10), ("Child", "10.00", 10)])
    adult, child = ticket_types(event)
    place_order(event, buyer(1), {adult: 2, child: 1})
    event.capacity = 4
    event.full_clean()
    event.save()
    assert Event.objects.get(pk=event.pk).sold == 3
    with pytest.raises(CheckoutRefused):
        place_order(event, buyer(2), {adult: 2})
    place_order(event, buyer(3), {child: 1})
    assert Event.objects.get(pk=event.pk).sold == 4
    assert check_inventory() == []


def test_overall_capacity_across_types_is_never_exceeded_concurrently(settings):
    settings.MAX_TICKETS_PER_IP_PER_EVENT = 10_000
    settings.MAX_TICKETS_PER_EMAIL_PER_EVENT = 10_000
    event = make_event(capacity=9, types=[(f"Type {t}", "10.00", 5) for t in range(4)])
    types = ticket_types(event)

    def attempt(i):
        try:
            return place_order(event, buyer(i), {types[i % 4]: 1})
        except CheckoutRefused:
            return None

    results = run_concurrently(attempt, [(i,) for i in range(24)])
    assert not [r for r in results if isinstance(r, Exception)]
    assert sum(1 for r in results if r is not None) == Event.objects.get(pk=event.pk).sold == 9
    assert check_inventory() == []


def test_one_buyers_simultaneous_checkouts_cannot_beat_the_velocity_limit(settings):
    settings.MAX_TICKETS_PER_IP_PER_EVENT = 4
    settings.MAX_TICKETS_PER_EMAIL_PER_EVENT = 100
    event = make_event(types=[(f"Type {t}", "10.00", 50) for t in range(4)])
    types = ticket_types(event)

    def attempt(i):
        try:
            # One connection, a new mailbox each time, a different type each time.
            return place_order(event, buyer(i, ip="203.0.113.9"), {types[i % 4]: 1})
        except CheckoutRefused:
            return None

    results = run_concurrently(attempt, [(i,) for i in range(16)])
    assert not [r for r in results if isinstance(r, Exception)]
    assert sum(1 for r in results if r is not None) == 4
    assert check_inventory() == []


@pytest.mark.parametrize("capacity", [None, 30])
def test_checkouts_racing_a_cancellation_and_an_inventory_check_never_deadlock(settings, capacity):
    """Stop-every-sale locks take the event's row first; sales take types, then the event."""
    settings.MAX_TICKETS_PER_IP_PER_EVENT = 10_000
    settings.MAX_TICKETS_PER_EMAIL_PER_EVENT = 10_000
    event = make_event(capacity=capacity, types=[(f"Type {t}", "10.00", 20) for t in range(3)])
    types = ticket_types(event)
    staff = make_staff("canceller")

    def act(i):
        if i == 6:
            return cancellation.cancel_event(Event.objects.get(pk=event.pk), by=staff)
        if i in (3, 9):
            return check_inventory()
        try:
            return place_order(event, buyer(i), {types[i % 3]: 1, types[(i + 1) % 3]: 1})
        except CheckoutRefused:
            return None

    results = run_concurrently(act, [(i,) for i in range(14)])
    assert not [r for r in results if isinstance(r, Exception)], results
    assert check_inventory() == []
