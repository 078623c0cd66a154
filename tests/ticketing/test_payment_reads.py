"""The written-out reads of payments give what the ORM would, and no more rows than the order's.

The order page reads an order's payments with `read_payments` and SumUp's callback finds its
payment with `payment_for_checkout`, each one query instead of the ORM's; what the rest of the
code does with them (`order.payments.all()`, a further `.filter()`, `payment.order`) must be
exactly what it was with `prefetch_related("payments")` and `select_related("order")`.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import make_event, make_order, record_payment
from ticketing.models import Order, Payment, payment_for_checkout, read_payments


@pytest.fixture
def two_orders():
    event = make_event("Reads Night", types=[("Standard", "12.00", 20)])
    mine = make_order(event, email="ann@example.com", ip="203.0.113.7")
    theirs = make_order(event, email="bob@example.com", ip="203.0.113.8")
    now = timezone.now()
    first = record_payment(mine, status=Payment.Status.FAILED)
    second = record_payment(mine, status=Payment.Status.PAID)
    Payment.objects.filter(pk=first.pk).update(created_at=now - timedelta(minutes=5))
    Payment.objects.filter(pk=second.pk).update(created_at=now)
    record_payment(theirs, status=Payment.Status.PAID)
    return mine, first, second


@pytest.mark.django_db
def test_an_orders_payments_come_newest_first_and_are_kept_on_the_order(
    two_orders, django_assert_num_queries
):
    mine, first, second = two_orders
    order = Order.objects.get(pk=mine.pk)
    with django_assert_num_queries(1):
        payments = read_payments(order)
    assert [payment.pk for payment in payments] == [second.pk, first.pk]
    with django_assert_num_queries(0):
        assert [payment.pk for payment in order.payments.all()] == [second.pk, first.pk]
        assert all(payment.order is order for payment in order.payments.all())
    assert payments[0].status == Payment.Status.PAID
    assert payments[0].amount == mine.total


@pytest.mark.django_db
def test_filtering_the_kept_payments_still_reads_only_this_orders(two_orders):
    mine, first, second = two_orders
    order = Order.objects.get(pk=mine.pk)
    read_payments(order)
    assert list(order.payments.filter(status=Payment.Status.PAID).values_list("pk", flat=True)) == [second.pk]


@pytest.mark.django_db
def test_reading_again_replaces_what_was_kept(two_orders):
    mine, first, second = two_orders
    order = Order.objects.get(pk=mine.pk)
    read_payments(order)
    third = record_payment(mine, status=Payment.Status.PENDING)
    assert [payment.pk for payment in read_payments(order)][0] == third.pk
    assert [payment.pk for payment in order.payments.all()][0] == third.pk


@pytest.mark.django_db
def test_an_order_without_payments_has_none(django_assert_num_queries):
    order = make_order(make_event("Empty Night", types=[("Standard", "12.00", 20)]))
    assert read_payments(order) == []
    with django_assert_num_queries(0):
        assert list(order.payments.all()) == []


@pytest.mark.django_db
def test_a_checkout_id_finds_its_payment_with_its_order_in_one_query(two_orders, django_assert_num_queries):
    mine, first, second = two_orders
    with django_assert_num_queries(1):
        payment = payment_for_checkout(second.checkout_id)
        assert payment.order.reference == mine.reference
    assert payment.pk == second.pk
    assert payment.order.pk == mine.pk
    assert payment.raw == second.raw
    assert payment_for_checkout("no-such-checkout") is None
