"""The written-out reads of payments give what the ORM would, and no more rows than the order's.

The order page reads an order with its event, promo code and payments with
`order_with_payments`, and SumUp's callback finds its payment with `payment_for_checkout`, each
one query instead of the ORM's; what the rest of the code does with them (`order.payments.all()`,
a further `.filter()`, `payment.order`, `order.event`) must be exactly what it was with
`select_related("event", "promo_code")`, `prefetch_related("payments")` and
`select_related("order")`.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.factories import make_event, make_order, record_payment
from ticketing.models import Order, Payment, PromoCode, order_with_payments, payment_for_checkout


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
def test_an_order_comes_with_its_event_and_its_payments_newest_first_in_one_query(
    two_orders, django_assert_num_queries
):
    mine, first, second = two_orders
    with django_assert_num_queries(1):
        order = order_with_payments(mine.token)
        assert order.event.title == "Reads Night"
        assert order.promo_code is None
    assert order.pk == mine.pk and order.total == mine.total
    with django_assert_num_queries(0):
        assert [payment.pk for payment in order.payments.all()] == [second.pk, first.pk]
        assert all(payment.order is order for payment in order.payments.all())
    paid = order.payments.all()[0]
    assert paid.status == Payment.Status.PAID
    assert paid.amount == mine.total
    assert paid.raw == second.raw


@pytest.mark.django_db
def test_filtering_the_kept_payments_still_reads_only_this_orders(two_orders):
    mine, first, second = two_orders
    order = order_with_payments(mine.token)
    assert list(order.payments.filter(status=Payment.Status.PAID).values_list("pk", flat=True)) == [second.pk]


@pytest.mark.django_db
def test_a_new_read_sees_a_payment_made_since(two_orders):
    mine, first, second = two_orders
    order_with_payments(mine.token)
    third = record_payment(mine, status=Payment.Status.PENDING)
    assert [payment.pk for payment in order_with_payments(mine.token).payments.all()][0] == third.pk


@pytest.mark.django_db
def test_an_order_without_payments_has_none(django_assert_num_queries):
    placed = make_order(make_event("Empty Night", types=[("Standard", "12.00", 20)]))
    order = order_with_payments(placed.token)
    assert order.pk == placed.pk
    with django_assert_num_queries(0):
        assert list(order.payments.all()) == []


@pytest.mark.django_db
def test_an_order_with_a_promo_code_comes_with_it(two_orders):
    mine, first, second = two_orders
    code = PromoCode.objects.create(event=mine.event, code="EARLY", value=Decimal("10"))
    Order.objects.filter(pk=mine.pk).update(promo_code=code)
    order = order_with_payments(mine.token)
    assert order.promo_code.code == "EARLY"
    assert len(order.payments.all()) == 2  # one row per payment, one order


@pytest.mark.django_db
def test_no_order_has_a_made_up_token():
    with pytest.raises(Order.DoesNotExist):
        order_with_payments("no-such-token")


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
