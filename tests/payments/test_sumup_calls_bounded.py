"""What we ask of SumUp is bounded by us, not by whoever sends requests, and one order has one
payable checkout at a time.

The sandbox counts the API requests it receives, over real HTTP, so each bound is measured
where SumUp would feel it.
"""

import time
from collections import Counter

import pytest
from django.test import Client

from sumup_sandbox import faults
from sumup_sandbox import state as sandbox
from sumup_sandbox.models import SandboxCheckout
from tests.concurrency import run_concurrently
from tests.factories import BROWSER, buy
from tests.payments.helpers import callback_body, deliver, reload
from ticketing.models import Order, Payment, WebhookEvent

pytestmark = pytest.mark.django_db(transaction=True)


def pay_again_url(order):
    return f"/tickets/orders/{order.token}/pay/"


def payable_checkouts(order):
    ids = Payment.objects.filter(order=order).values_list("checkout_id", flat=True)
    return SandboxCheckout.objects.filter(pk__in=list(ids), status=SandboxCheckout.Status.PENDING).count()


def test_two_tabs_paying_again_at_once_leave_one_payable_checkout(buyer, event, settings):
    settings.PAY_AGAIN_RATE_LIMIT_PER_ORDER = "100/m"
    order = buy(buyer, event).order
    sandbox.press(order.payments.get().checkout_id, "decline", notify=False)

    def press_pay_again():
        tab = Client(HTTP_USER_AGENT=BROWSER)
        return tab.post(pay_again_url(order)).status_code

    statuses = run_concurrently(press_pay_again, [()] * 6)

    assert not [s for s in statuses if isinstance(s, Exception)]
    assert set(statuses) <= {303, 409} and 303 in statuses
    assert payable_checkouts(order) == 1, "a buyer can never pay one order twice by accident"
    assert reload(order).status == Order.Status.PENDING


def test_pay_again_is_limited_per_order(buyer, event, settings):
    settings.PAY_AGAIN_RATE_LIMIT_PER_ORDER = "3/d"
    order = buy(buyer, event).order
    created_before = faults.calls("POST", "checkouts")

    statuses = Counter(buyer.post(pay_again_url(order)).status_code for _ in range(40))

    assert statuses[429] >= 37
    assert faults.calls("POST", "checkouts") - created_before <= 3
    assert payable_checkouts(order) == 1


def test_a_flood_of_unsigned_deliveries_costs_one_question_to_sumup(buyer, event, sumup_sandbox, settings):
    """Copies of a real checkout id, shaped like signed events with made-up ids, while it is unpaid."""
    settings.SUMUP_CHECK_INTERVAL_SECONDS = 30
    payment = buy(buyer, event)
    asked_before = faults.calls("GET", "checkout_detail")
    forged = [
        {
            "id": f"evt_{n}",
            "type": "checkouts.paid",
            "object": {"id": payment.checkout_id, "type": "checkout"},
        }
        for n in range(25)
    ]

    statuses = [deliver(sumup_sandbox.url, body).status_code for body in forged]

    assert faults.calls("GET", "checkout_detail") - asked_before == 1
    assert statuses[0] == 204 and set(statuses[1:]) == {503}, "SumUp's own retries still get through later"
    assert WebhookEvent.objects.count() == 1 and not WebhookEvent.objects.filter(
        dedupe_key__startswith="event:"
    )
    assert reload(payment.order).status == Order.Status.PENDING


def test_a_reloading_order_page_asks_sumup_at_most_once_per_interval(buyer, event, settings):
    settings.SUMUP_CHECK_INTERVAL_SECONDS = 30
    order = buy(buyer, event).order
    asked_before = faults.calls("GET", "checkout_detail")

    for _ in range(20):
        assert buyer.get(f"/tickets/orders/{order.token}/").status_code == 200

    assert faults.calls("GET", "checkout_detail") - asked_before == 1


def test_the_paid_answer_still_arrives_after_the_interval(buyer, event, sumup_sandbox, settings):
    settings.SUMUP_CHECK_INTERVAL_SECONDS = 1
    payment = buy(buyer, event)
    buyer.get(f"/tickets/orders/{payment.order.token}/")  # asks SumUp: still pending
    sandbox.press(payment.checkout_id, "pay", notify=False)
    assert deliver(sumup_sandbox.url, callback_body(payment.checkout_id)).status_code == 503
    time.sleep(1.1)
    assert deliver(sumup_sandbox.url, callback_body(payment.checkout_id)).status_code == 204
    assert reload(payment.order).status == Order.Status.PAID


def test_sumup_throttling_us_keeps_the_buyers_tickets_held(buyer, event):
    adult = event.ticket_types.get(name="Adult")
    faults.throttle(1)

    response = buyer.post(
        f"/tickets/events/{event.pk}/checkout/",
        {"name": "Ann", "email": "ann@example.com", f"quantity_{adult.pk}": 2, "accept_terms": "on"},
    )

    order = Order.objects.get()
    assert response.status_code == 303 and response["Location"] == f"/tickets/orders/{order.token}/"
    assert order.status == Order.Status.PENDING and adult.refresh_sold() == 2
    page = buyer.get(response["Location"]).content.decode()
    assert "Try paying again" in page
    assert buyer.post(pay_again_url(order)).status_code == 303
    assert payable_checkouts(order) == 1
