"""``return_url`` callbacks: what SumUp POSTs after a status change, when, and how often."""

import json
import time

import httpx
import pytest
from sumup.events import verify_event_signature

from sumup_sandbox import callbacks, state

pytestmark = pytest.mark.django_db(transaction=True)


def test_paying_sends_the_callback(new_checkout, browser, receiver):
    checkout = new_checkout(return_url=receiver.url)

    browser.press(checkout.hosted_checkout_url, "pay")

    [delivery] = receiver.wait_for(1)
    assert delivery.path == "/webhook"
    assert delivery.json() == {"event_type": "CHECKOUT_STATUS_CHANGED", "id": checkout.id}
    assert delivery.headers["Content-Type"] == "application/json"
    assert "X-SumUp-Webhook-Signature" not in delivery.headers  # return_url callbacks are unsigned
    assert len(receiver.settle()) == 1


def test_declining_sends_the_callback_too(new_checkout, browser, receiver):
    checkout = new_checkout(return_url=receiver.url)

    browser.press(checkout.hosted_checkout_url, "decline")

    assert receiver.wait_for(1)[0].json()["id"] == checkout.id


def test_a_press_that_changes_nothing_sends_nothing(new_checkout, browser, receiver):
    checkout = new_checkout(return_url=receiver.url)
    browser.press(checkout.hosted_checkout_url, "pay")
    receiver.wait_for(1)

    state.press(checkout.id, "pay")

    assert len(receiver.settle()) == 1


def test_the_callback_arrives_after_the_page_has_answered(new_checkout, browser, receiver, settings):
    settings.SUMUP_SANDBOX_CALLBACK_DELAY = 0.5
    checkout = new_checkout(return_url=receiver.url)

    browser.press(checkout.hosted_checkout_url, "pay")

    assert receiver.deliveries == []
    receiver.wait_for(1)


def test_sumup_sometimes_calls_twice(new_checkout, browser, receiver, settings):
    settings.SUMUP_SANDBOX_DUPLICATE_CALLBACKS = True
    checkout = new_checkout(return_url=receiver.url)

    browser.press(checkout.hosted_checkout_url, "pay")

    deliveries = receiver.wait_for(2)
    assert [d.body for d in deliveries] == [deliveries[0].body] * 2
    assert len(receiver.settle()) == 2


def test_duplicates_are_random_by_default(settings):
    del settings.SUMUP_SANDBOX_DUPLICATE_CALLBACKS

    counts = {callbacks.delivery_count() for _ in range(200)}

    assert counts == {1, 2}


def test_a_failed_delivery_is_retried_a_couple_of_times(receiver):
    receiver.answers = [500, 503]

    statuses = callbacks.deliver_callback(receiver.url, "some-checkout-id", retries=2, retry_delay=0)

    assert statuses == [500, 503, 200]
    assert len(receiver.deliveries) == 3


def test_retries_give_up(receiver):
    receiver.answers = [500, 500, 500, 500]

    assert callbacks.deliver_callback(receiver.url, "x", retries=2, retry_delay=0) == [500, 500, 500]


def test_callbacks_share_one_http_client(receiver, monkeypatch):
    # A client per callback built a new SSL context each time: a quarter of the sandbox's CPU.
    made = []
    real_init = httpx.Client.__init__

    def counting_init(self, *args, **kwargs):
        made.append(self)
        real_init(self, *args, **kwargs)

    monkeypatch.setattr(httpx.Client, "__init__", counting_init)

    for _ in range(3):
        assert callbacks.deliver_callback(receiver.url, "x", retries=0) == [200]

    assert len(receiver.deliveries) == 3
    assert len(made) <= 1


def test_an_unreachable_receiver_is_retried_then_dropped():
    started = time.monotonic()

    statuses = callbacks.deliver_callback(
        "http://127.0.0.1:9/nowhere", "x", retries=1, retry_delay=0, timeout=1
    )

    assert statuses == [None, None]
    assert time.monotonic() - started < 5


def test_no_return_url_no_callback(new_checkout):
    checkout = new_checkout()

    assert callbacks.notify_status_change(state.get_checkout(checkout.id)) == []


def test_sign_event_matches_the_sdks_verification():
    body = json.dumps({"id": "evt_1", "type": "checkouts.paid"}).encode()
    now = int(time.time())

    header = callbacks.sign_event("whsec_test", body, now)

    assert header.startswith(f"t={now},v1=")
    verify_event_signature("whsec_test", body, header)  # raises if it does not verify
    with pytest.raises(Exception, match="invalid event signature"):
        verify_event_signature("whsec_other", body, header)
