"""The catalogue's rules for an event and its ticket types together (`ticketing.catalogue`)."""

import pytest

from tests.factories import make_event, make_order, ticket_types
from ticketing.catalogue import Problem, check_event_and_types, tickets_for_sale
from ticketing.models import Event, TicketType

pytestmark = pytest.mark.django_db


def order_one(ticket_type):
    """Someone orders one ticket of this type (a pending order: any order counts)."""
    make_order(ticket_type.event, {ticket_type.name: 1})


def test_an_event_on_sale_with_ticket_types_is_fine():
    event = make_event(types=[("Standard", "20.00", 100)])
    assert check_event_and_types(Event.Status.ON_SALE, ticket_types(event), []) == []


def test_an_event_on_sale_needs_a_ticket_type():
    assert check_event_and_types(Event.Status.ON_SALE, [], []) == [
        Problem("An event on sale needs at least one ticket type.", field="status")
    ]


@pytest.mark.parametrize("status", [Event.Status.DRAFT, Event.Status.CANCELLED])
def test_an_event_not_on_sale_may_have_no_ticket_types_yet(status):
    assert check_event_and_types(status, [], []) == []


def test_a_ticket_type_with_orders_cannot_be_deleted():
    event = make_event(types=[("Standard", "20.00", 100), ("VIP", "50.00", 10)])
    standard, vip = ticket_types(event)
    order_one(vip)

    problems = check_event_and_types(Event.Status.ON_SALE, [standard], [vip])

    assert len(problems) == 1
    assert problems[0].field is None, "about the event as a whole, not one of its fields"
    assert "“VIP” has orders and cannot be deleted" in problems[0].message


def test_a_ticket_type_nobody_ordered_may_be_deleted():
    event = make_event(types=[("Standard", "20.00", 100), ("VIP", "50.00", 10)])
    standard, vip = ticket_types(event)
    order_one(standard)  # orders of another type do not matter
    assert check_event_and_types(Event.Status.ON_SALE, [standard], [vip]) == []


def test_a_row_removed_before_it_was_ever_saved_may_be_deleted():
    assert check_event_and_types(Event.Status.DRAFT, [], [TicketType(name="Draft row")]) == []


def test_every_problem_is_reported_at_once():
    event = make_event(types=[("Standard", "20.00", 100)])
    (standard,) = ticket_types(event)
    order_one(standard)
    problems = check_event_and_types(Event.Status.ON_SALE, [], [standard])
    assert [problem.field for problem in problems] == ["status", None]


@pytest.mark.parametrize(
    ("event_capacity", "expected"),
    [(None, 160), (120, 120), (500, 160)],
    ids=["no-event-limit", "event-limit-below-the-types", "event-limit-above-the-types"],
)
def test_tickets_for_sale_are_the_types_stock_capped_by_the_event(event_capacity, expected):
    event = make_event(capacity=event_capacity, types=[("Standard", "20.00", 100), ("VIP", "50.00", 60)])
    assert tickets_for_sale(event, ticket_types(event)) == expected


def test_an_event_without_ticket_types_has_nothing_for_sale():
    assert tickets_for_sale(make_event(capacity=50, types=[]), []) == 0
