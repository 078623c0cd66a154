"""Issue 9's audit: with Redis down, SumUp is still asked about a payment at most once per interval.

The interval (SUMUP_CHECK_INTERVAL_SECONDS) is counted in the shared cache. While Redis is down
it was not enforced at all, so every reload of an order page, and every copy of an unsigned
delivery naming a real checkout, cost a call to SumUp: a bound on our SumUp use that switched
itself off. Meanwhile it is counted in each process instead (as the webhook's rate limit is), so
the bound still holds per process and payments are still confirmed.

The test's own Redis is killed for real (tests.redis_server); the sandbox counts SumUp requests.
"""

import time

import pytest

from sumup_sandbox import faults
from sumup_sandbox import state as sandbox
from tests.factories import buy
from tests.payments.helpers import callback_body, deliver, reload
from tests.redis_server import redis_server  # noqa: F401  (a fixture)
from ticketing.models import Order

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_reloading_order_page_asks_sumup_once_per_interval_while_redis_is_down(
    redis_server,  # noqa: F811
    buyer,
    event,
    settings,
):
    settings.SUMUP_CHECK_INTERVAL_SECONDS = 30
    order = buy(buyer, event).order
    redis_server.kill()
    asked_before = faults.calls("GET", "checkout_detail")

    for _ in range(20):
        assert buyer.get(f"/tickets/orders/{order.token}/").status_code == 200

    assert faults.calls("GET", "checkout_detail") - asked_before == 1


def test_copies_of_a_delivery_ask_sumup_once_per_interval_while_redis_is_down(
    redis_server,  # noqa: F811
    buyer,
    event,
    sumup_sandbox,
    settings,
):
    settings.SUMUP_CHECK_INTERVAL_SECONDS = 30
    payment = buy(buyer, event)
    redis_server.kill()
    asked_before = faults.calls("GET", "checkout_detail")

    statuses = [deliver(sumup_sandbox.url, callback_body(payment.checkout_id)).status_code for _ in range(15)]

    assert faults.calls("GET", "checkout_detail") - asked_before == 1
    assert statuses[0] == 204 and 500 not in statuses


def test_the_paid_answer_still_arrives_while_redis_is_down(
    redis_server,  # noqa: F811
    buyer,
    event,
    sumup_sandbox,
    settings,
):
    settings.SUMUP_CHECK_INTERVAL_SECONDS = 1
    payment = buy(buyer, event)
    redis_server.kill()
    assert buyer.get(f"/tickets/orders/{payment.order.token}/").status_code == 200  # asks: pending
    sandbox.press(payment.checkout_id, "pay", notify=False)
    time.sleep(2.1)  # past the interval, whichever second the count began in

    assert deliver(sumup_sandbox.url, callback_body(payment.checkout_id)).status_code == 204
    assert reload(payment.order).status == Order.Status.PAID
