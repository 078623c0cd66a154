"""The sales figures of upcoming events (`ticketing.sales`), against orders of every kind, and
the fixed number of queries they take however many events there are."""

from datetime import timedelta
from decimal import Decimal
from itertools import count

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import make_event, make_order, make_paid_order, make_refund, make_staff
from ticketing import checkin, orders, sales
from ticketing.models import Event, Order, Refund

pytestmark = pytest.mark.django_db

_buyers = count(1)


def buyer():
    """A different buyer each time (address and IP), so no velocity limit or risk flag applies."""
    n = next(_buyers)
    return {"email": f"buyer.{chr(96 + n % 26 or 26)}{n}@example.com", "ip": f"198.51.100.{n % 250 + 1}"}


def paid(event, quantities, *, days_ago=0):
    order = make_paid_order(event, quantities, **buyer())
    if days_ago:
        # Backdated as if the payment had come in on that day.
        Order.objects.filter(pk=order.pk).update(paid_at=timezone.now() - timedelta(days=days_ago))
    return order


@pytest.fixture
def concert():
    """Five valid tickets sold (one checked in), three on hold, the rest expired or refunded."""
    event = make_event("Winter Concert", types=(("Adult", "20.00", 50), ("Child", "10.00", 30)))
    door = make_staff("door", "check_in_ticket")
    first = paid(event, {"Adult": 2, "Child": 1})  # £50.00, today
    checkin.check_in(first.tickets.first().code, event, door)
    paid(event, {"Adult": 1}, days_ago=3)  # £20.00
    partly = paid(event, {"Child": 2})  # £20.00, one child ticket refunded (£10.00)
    make_refund(partly, tickets=[partly.tickets.first()])
    whole = paid(event, {"Adult": 1})  # £20.00, refunded
    make_refund(whole, tickets=list(whole.tickets.all()))
    make_order(event, {"Adult": 3}, **buyer())  # a live hold
    orders.expire(make_order(event, {"Child": 1}, **buyer()))
    ended = make_order(event, {"Adult": 1}, **buyer())  # its hold ended, not swept yet
    Order.objects.filter(pk=ended.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    return event


def sales_of(event):
    return next(figures for figures in sales.upcoming_sales() if figures.event == event)


def test_figures_of_an_event_with_paid_pending_expired_and_refunded_orders(concert):
    figures = sales_of(concert)
    assert (figures.sold, figures.capacity, figures.on_hold, figures.checked_in) == (5, 80, 3, 1)
    assert figures.revenue == {"GBP": Decimal("80.00")}


def test_sales_per_day_cover_fourteen_days_and_count_only_valid_tickets(concert):
    per_day = sales_of(concert).per_day
    today = timezone.localdate()
    assert [day.day for day in per_day] == [today - timedelta(days=n) for n in range(13, -1, -1)]
    by_day = {day.day: day.tickets for day in per_day}
    assert by_day[today] == 4 and by_day[today - timedelta(days=3)] == 1
    assert sum(by_day.values()) == 5


def test_a_sale_older_than_fourteen_days_is_sold_but_not_in_the_chart():
    event = make_event("Long Run")
    paid(event, {"Standard": 2}, days_ago=20)
    figures = sales_of(event)
    assert figures.sold == 2 and figures.sold_in_last_days == 0


def test_revenue_is_per_currency_and_capacity_the_events_own_when_set():
    event = make_event("Fête", capacity=10, currency="EUR", types=(("Entry", "15.00", 40),))
    paid(event, {"Entry": 1})
    figures = sales_of(event)
    assert figures.revenue == {"EUR": Decimal("15.00")} and figures.capacity == 10


def test_an_event_before_its_first_sale_shows_zeros():
    figures = sales_of(make_event("Quiet Night"))
    assert (figures.sold, figures.on_hold, figures.checked_in, figures.revenue) == (0, 0, 0, {})
    assert figures.sold_in_last_days == 0


def test_cancelled_and_finished_events_are_left_out():
    now = timezone.now()
    make_event("Called Off", status=Event.Status.CANCELLED)
    make_event("Last Week", starts_at=now - timedelta(days=7), sales_start=now - timedelta(days=30))
    make_event("Tonight", starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=2))
    assert [figures.event.title for figures in sales.upcoming_sales()] == ["Tonight"]


def queries_for_sales():
    with CaptureQueriesContext(connection) as queries:
        sales.upcoming_sales()
    return len(queries)


def test_the_figures_take_the_same_number_of_queries_for_2_events_as_for_20():
    for n in range(2):
        paid(make_event(f"Event {n}", types=(("A", "5.00", 50), ("B", "7.00", 50))), {"A": 1, "B": 1})
    for_two = queries_for_sales()
    for n in range(2, 20):
        event = make_event(f"Event {n}", types=(("A", "5.00", 50), ("B", "7.00", 50)))
        paid(event, {"A": 2})
        make_order(event, {"B": 1}, **buyer())
    assert len(sales.upcoming_sales()) == 20
    assert queries_for_sales() == for_two <= 4


def test_needs_a_person_counts_orders_in_review_and_flagged_orders():
    event = make_event("Flagged Gig")
    paid(event, {"Standard": 1})
    make_paid_order(event, {"Standard": 1}, email="123456789@example.com", ip="192.0.2.9")  # numeric address
    orders.send_to_review(make_order(event, **buyer()), cause="paid the wrong amount")
    waiting = sales.needs_a_person(orders=True)
    assert (waiting.orders_in_review, waiting.flagged_orders) == (1, 1)
    assert waiting.failed_emails is None and waiting.open_mismatches is None


def test_a_refunded_second_payment_nets_to_nothing_and_an_unanswered_refund_is_not_subtracted():
    event = make_event("Double Charge", types=(("Standard", "30.00", 10),))
    twice = paid(event, {"Standard": 1})
    make_refund(twice, Refund.Kind.DUPLICATE_PAYMENT)  # paid again, given back
    waiting = paid(event, {"Standard": 1})
    make_refund(waiting, status=Refund.Status.UNKNOWN)  # SumUp has not answered yet
    assert sales_of(event).revenue == {"GBP": Decimal("60.00")}
