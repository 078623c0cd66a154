"""What staff could refund on an order (`refunds.refundable_tickets`, `refunds.can_be_refunded`).

These read the database only: each order is brought to its state by the shop's own verbs
(placed, paid, refunded, expired, sent to review), with SumUp's side recorded as payment and
refund records; refunding itself, through SumUp, is in test_refunds.py.
"""

import pytest

from tests.factories import make_event, make_order, make_paid_order, make_refund, record_payment
from ticketing import orders
from ticketing.models import Refund
from ticketing.payments.refunds import can_be_refunded, refundable_tickets

pytestmark = pytest.mark.django_db


@pytest.fixture
def event():
    return make_event(types=[("Standard", "20.00", 100)])


def test_a_paid_order_offers_its_tickets(event):
    order = make_paid_order(event, {"Standard": 2})
    assert set(refundable_tickets(order)) == set(order.tickets.all())
    assert can_be_refunded(order)


def test_a_partly_refunded_order_offers_only_its_valid_tickets(event):
    order = make_paid_order(event, {"Standard": 3})
    first, *rest = order.tickets.order_by("pk")
    make_refund(order, tickets=[first])
    assert set(refundable_tickets(order)) == set(rest)
    assert can_be_refunded(order)


def test_a_fully_refunded_order_has_nothing_left(event):
    order = make_paid_order(event, {"Standard": 2})
    make_refund(order, tickets=list(order.tickets.all()))
    assert not refundable_tickets(order).exists()
    assert not can_be_refunded(order)


def test_an_order_never_paid_has_nothing_to_refund(event):
    order = make_order(event, {"Standard": 2})
    orders.expire(order)
    assert not refundable_tickets(order).exists()
    assert not can_be_refunded(order)


def test_money_held_for_an_order_in_review_can_be_refunded_but_no_tickets(event):
    """A payment that did not match its order: the order never owned tickets, the money is held."""
    order = make_order(event, {"Standard": 2})
    record_payment(order)
    orders.send_to_review(order, cause="payment mismatch: amount")
    assert not refundable_tickets(order).exists(), "tickets of an unpaid order are not the buyer's"
    assert can_be_refunded(order)


def test_a_second_payment_keeps_a_refunded_order_refundable(event):
    """The tickets are all refunded, but a duplicate payment (its automatic refund failed) is held."""
    order = make_paid_order(event, {"Standard": 2})
    make_refund(order, tickets=list(order.tickets.all()))
    make_refund(order, Refund.Kind.DUPLICATE_PAYMENT, status=Refund.Status.FAILED)
    assert not refundable_tickets(order).exists()
    assert can_be_refunded(order)
