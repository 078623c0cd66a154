"""The order page reads a small, fixed number of rows whatever the order holds.

A buyer waiting for their payment reloads it, and everyone who paid comes back to it from
SumUp, so its queries are counted: the order with its event, promo code and payments, its
refunds, its tickets and its lines; the site, the cookie banner and the event's public address
come from the cache (tests/foundation/test_request_lookups.py). The first visit after paying
also confirms the payment, and is counted too.
"""

from decimal import Decimal

import pytest
from django.urls import reverse

from sumup_sandbox import state as sandbox
from tests.delivery.helpers import DATABASE_TASKS
from tests.factories import buy, make_event, make_event_page, make_paid_order
from tests.payments.helpers import reload
from ticketing.models import Event, Order

# The order (with its event, promo code and payments), its refunds, its valid tickets, its lines.
PAID_PAGE = 4
# With attendee names asked and cancelling open: the tickets to name (twice: the rows, and
# whether they may be edited) and the cancellable ones (tickets, and those in a refund in flight).
PAID_PAGE_WITH_NAMES_AND_CANCELLING = 8
# The order with its payments, the payment's latest word from SumUp, its lines (no refunds are
# looked for: only a paid payment is ever refunded).
PENDING_PAGE = 3
# The order page of a payment SumUp has just taken: the order with its payments; SumUp's word
# recorded; the order moved to paid, its tickets issued and e-mailed, the payment marked as the
# one that paid, in one transaction (BEGIN, the order, its lines, the tickets, the e-mail, its
# job and the job's id on the e-mail, the payment, COMMIT); then the page (refunds, tickets;
# the lines it lists are those read to issue the tickets).
CONFIRMING_PAGE = 13


def order_url(order):
    return reverse("ticketing:order", args=[order.token])


@pytest.fixture
def counted_event():
    event = make_event("Counted Night", types=[("Adult", "20.00", 50), ("Child", "8.00", 50)])
    make_event_page(event)
    return event


def visit_twice(client, order):
    """The second visit is counted: the first fills the caches every page shares."""
    assert client.get(order_url(order)).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("quantities", [{"Adult": 1}, {"Adult": 4, "Child": 3}])
def test_a_paid_order_page_takes_a_fixed_few_queries_however_many_tickets(
    client, counted_event, quantities, django_assert_max_num_queries
):
    order = make_paid_order(counted_event, quantities)
    visit_twice(client, order)
    with django_assert_max_num_queries(PAID_PAGE):
        page = client.get(order_url(order))
    html = page.content.decode()
    assert "Payment received" in html
    assert html.count('class="muted">') >= sum(quantities.values())  # every ticket listed


@pytest.mark.django_db
def test_a_paid_order_page_asking_names_and_offering_cancelling_takes_a_fixed_few_queries(
    client, counted_event, django_assert_max_num_queries
):
    event = counted_event
    Event.objects.filter(pk=event.pk).update(
        attendee_names=Event.AttendeeNames.OPTIONAL, buyer_cancel_days=0, buyer_cancel_fee=Decimal("1.00")
    )
    order = make_paid_order(event, {"Adult": 4, "Child": 3})
    visit_twice(client, order)
    with django_assert_max_num_queries(PAID_PAGE_WITH_NAMES_AND_CANCELLING):
        page = client.get(order_url(order))
    html = page.content.decode()
    assert "Payment received" in html and "You can cancel tickets here" in html


@pytest.mark.django_db(transaction=True)
def test_a_pending_order_page_asks_sumup_and_takes_a_fixed_few_queries(
    buyer, event, settings, django_assert_max_num_queries
):
    settings.SUMUP_CHECK_INTERVAL_SECONDS = 0  # SumUp is asked on every visit
    payment = buy(buyer, event)
    visit_twice(buyer, payment.order)
    with django_assert_max_num_queries(PENDING_PAGE):
        page = buyer.get(order_url(payment.order))
    assert "Confirming your payment" in page.content.decode()
    assert reload(payment.order).status == Order.Status.PENDING


@pytest.mark.django_db(transaction=True)
def test_the_visit_that_confirms_the_payment_takes_a_fixed_few_queries(
    buyer, event, settings, django_assert_max_num_queries
):
    settings.SUMUP_CHECK_INTERVAL_SECONDS = 0
    settings.TASKS = DATABASE_TASKS  # as in production: the e-mail's job is a row, sent by the worker
    payment = buy(buyer, event)
    visit_twice(buyer, payment.order)
    # Someone paid before: the event's public address, for the calendar links, is known.
    visit_twice(buyer, make_paid_order(event, {"Adult": 1}))
    sandbox.press(payment.checkout_id, "pay", notify=False)
    with django_assert_max_num_queries(CONFIRMING_PAGE):
        page = buyer.get(order_url(payment.order))
    html = page.content.decode()
    assert "Payment received" in html
    # The lines read to issue the tickets are the ones listed: both types, with their quantities.
    assert '<th scope="row">Adult</th><td class="num">£20.00</td><td class="num">2</td>' in html
    assert '<th scope="row">Child</th><td class="num">£7.50</td><td class="num">1</td>' in html
    order = reload(payment.order)
    assert order.status == Order.Status.PAID and order.tickets.count() == 3
    assert order.payments.get().confirmed_at is not None
