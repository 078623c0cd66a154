"""What staff could refund on an order (`refunds.refundable_tickets`, `refunds.can_be_refunded`).

These read the database only, so orders and payments are written directly in the states the
payment flow leaves them in; refunding itself, through SumUp, is in test_refunds.py.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import make_event, ticket_types
from ticketing.models import Order, OrderLine, Payment, Refund, Ticket
from ticketing.payments.refunds import can_be_refunded, refundable_tickets

pytestmark = pytest.mark.django_db


def make_order(status, *, tickets=2):
    event = make_event(types=[("Standard", "20.00", 100)])
    (standard,) = ticket_types(event)
    order = Order.objects.create(
        event=event,
        email="buyer@example.com",
        name="Ann Example",
        status=status,
        total=standard.price * tickets,
        expires_at=timezone.now() + timedelta(minutes=15),
    )
    OrderLine.objects.create(order=order, ticket_type=standard, quantity=tickets, unit_price=standard.price)
    for _ in range(tickets):
        Ticket.objects.create(order=order, ticket_type=standard)
    return order


def pay(order, number=1, *, confirmed=True):
    return Payment.objects.create(
        order=order,
        checkout_id=f"chk-{order.pk}-{number}",
        checkout_reference=f"ref-{order.pk}-{number}",
        transaction_id=f"txn-{order.pk}-{number}",
        amount=order.total,
        currency="GBP",
        status=Payment.Status.PAID,
        confirmed_at=timezone.now() if confirmed else None,
    )


def void(*tickets):
    Ticket.objects.filter(pk__in=[ticket.pk for ticket in tickets]).update(voided_at=timezone.now())


def test_a_paid_order_offers_its_tickets():
    order = make_order(Order.Status.PAID)
    pay(order)
    assert set(refundable_tickets(order)) == set(order.tickets.all())
    assert can_be_refunded(order)


def test_a_partly_refunded_order_offers_only_its_valid_tickets():
    order = make_order(Order.Status.PARTIALLY_REFUNDED, tickets=3)
    pay(order)
    first, *rest = order.tickets.order_by("pk")
    void(first)
    assert set(refundable_tickets(order)) == set(rest)
    assert can_be_refunded(order)


def test_a_fully_refunded_order_has_nothing_left():
    order = make_order(Order.Status.REFUNDED)
    payment = pay(order)
    void(*order.tickets.all())
    Refund.objects.create(payment=payment, amount=payment.amount, status=Refund.Status.SUCCEEDED)
    assert not refundable_tickets(order).exists()
    assert not can_be_refunded(order)


def test_an_order_never_paid_has_nothing_to_refund():
    order = make_order(Order.Status.EXPIRED)
    assert not refundable_tickets(order).exists()
    assert not can_be_refunded(order)


def test_money_held_for_an_order_in_review_can_be_refunded_but_no_tickets():
    """A payment that did not match its order: the order never owned tickets, the money is held."""
    order = make_order(Order.Status.NEEDS_REVIEW)
    pay(order, confirmed=False)
    assert not refundable_tickets(order).exists(), "tickets of an unpaid order are not the buyer's"
    assert can_be_refunded(order)


def test_a_second_payment_keeps_a_refunded_order_refundable():
    """The tickets are all refunded, but a duplicate payment (its automatic refund failed) is held."""
    order = make_order(Order.Status.REFUNDED)
    paying = pay(order, 1)
    Refund.objects.create(payment=paying, amount=paying.amount, status=Refund.Status.SUCCEEDED)
    void(*order.tickets.all())
    duplicate = pay(order, 2, confirmed=False)
    Refund.objects.create(
        payment=duplicate,
        amount=duplicate.amount,
        kind=Refund.Kind.DUPLICATE_PAYMENT,
        status=Refund.Status.FAILED,
    )
    assert not refundable_tickets(order).exists()
    assert can_be_refunded(order)
