"""Attacks on the webhook: each leaves the order unpaid, with no tickets.

Every delivery is real HTTP to the live server; what SumUp reports is arranged at the sandbox.
"""

import json
import time

import httpx
import pytest
from django.core import mail

from sumup_sandbox import state as sandbox
from sumup_sandbox.callbacks import sign_event
from sumup_sandbox.models import SandboxCheckout
from tests.factories import buy
from tests.payments.helpers import alerts, callback_body, deliver, reload, signed_event
from ticketing.inventory import check_inventory
from ticketing.models import BuyerEmail, Order, ReconciliationMismatch, Ticket, WebhookEvent

pytestmark = pytest.mark.django_db(transaction=True)

SECRET = "whsec_test_0123456789abcdef"


def assert_unpaid_without_tickets(order, status=Order.Status.PENDING):
    order = reload(order)
    assert order.status == status
    assert Ticket.objects.filter(order=order).count() == 0
    assert BuyerEmail.objects.filter(order=order).count() == 0
    assert check_inventory() == []


def test_forged_callback_for_a_pending_checkout_changes_nothing(buyer, event, sumup_sandbox, sumup_calls):
    payment = buy(buyer, event)
    sumup_calls.clear()

    response = deliver(sumup_sandbox.url, callback_body(payment.checkout_id))

    assert response.status_code == 204
    assert_unpaid_without_tickets(payment.order)
    assert sumup_calls == [("GET", f"/sandbox/sumup/v0.1/checkouts/{payment.checkout_id}")]  # it asked SumUp
    assert WebhookEvent.objects.get().outcome == "not_paid"


def test_callback_for_an_unknown_checkout_is_ignored_without_calling_sumup(
    buyer, event, sumup_sandbox, sumup_calls
):
    payment = buy(buyer, event)
    # An attacker's own checkout, really paid, at another merchant: its id is not one of ours.
    foreign = sandbox.create_foreign_checkout(amount="47.50")
    sumup_calls.clear()

    for checkout_id in (foreign.id, "00000000-0000-0000-0000-000000000000", "x" * 500):
        response = deliver(sumup_sandbox.url, callback_body(checkout_id))
        assert response.status_code == 204

    assert sumup_calls == []
    assert not WebhookEvent.objects.exists()
    assert_unpaid_without_tickets(payment.order)


def test_replayed_callbacks_for_an_unpaid_checkout_change_nothing_and_are_counted(
    buyer, event, sumup_sandbox
):
    payment = buy(buyer, event)

    for _ in range(5):
        assert deliver(sumup_sandbox.url, callback_body(payment.checkout_id)).status_code == 204

    assert_unpaid_without_tickets(payment.order)
    event_row = WebhookEvent.objects.get()
    assert (event_row.dedupe_key, event_row.deliveries) == (f"callback:{payment.checkout_id}:not_paid", 5)


def test_replayed_callbacks_after_payment_add_nothing_and_skip_sumup(
    buyer, event, sumup_sandbox, sumup_calls
):
    payment = buy(buyer, event)
    sandbox.press(payment.checkout_id, "pay", notify=False)
    assert deliver(sumup_sandbox.url, callback_body(payment.checkout_id)).status_code == 204
    sumup_calls.clear()

    for _ in range(5):
        assert deliver(sumup_sandbox.url, callback_body(payment.checkout_id)).status_code == 204

    order = reload(payment.order)
    assert order.status == Order.Status.PAID
    assert Ticket.objects.filter(order=order).count() == 3 and BuyerEmail.objects.count() == 1
    assert sumup_calls == []  # a payment that paid its order is settled: nothing to ask
    counts = dict(WebhookEvent.objects.values_list("outcome", "deliveries"))
    assert counts == {"confirmed": 1, "already_paid": 5}


@pytest.mark.parametrize(
    "make_header",
    [
        pytest.param(lambda body: None, id="missing"),
        pytest.param(lambda body: "t=1700000000,v1=" + "0" * 64, id="garbage"),
        pytest.param(lambda body: _sign("another-secret", body, time.time()), id="wrong-secret"),
        pytest.param(lambda body: _sign(SECRET, body, time.time() - 301), id="stale"),
        pytest.param(lambda body: _sign(SECRET, body, time.time() + 400), id="from-the-future"),
        pytest.param(lambda body: _sign(SECRET, body + b" ", time.time()), id="other-body"),
    ],
)
def test_bad_or_stale_signatures_are_refused_before_anything_else(
    buyer, event, sumup_sandbox, settings, sumup_calls, make_header
):
    settings.SUMUP_WEBHOOK_SECRET = SECRET
    payment = buy(buyer, event)
    sandbox.press(payment.checkout_id, "pay", notify=False)  # really paid: still not believed unsigned
    sumup_calls.clear()
    body = _body(signed_event(payment.checkout_id))
    header = make_header(body)
    headers = {"X-SumUp-Webhook-Signature": header} if header else {}

    response = deliver(sumup_sandbox.url, body, headers=headers)

    assert response.status_code == 400
    assert sumup_calls == [] and not WebhookEvent.objects.exists()
    assert_unpaid_without_tickets(payment.order)


def test_an_unsigned_callback_is_refused_when_signed_events_are_configured(
    buyer, event, sumup_sandbox, settings
):
    settings.SUMUP_WEBHOOK_SECRET = SECRET
    payment = buy(buyer, event)
    sandbox.press(payment.checkout_id, "pay", notify=False)

    assert deliver(sumup_sandbox.url, callback_body(payment.checkout_id)).status_code == 400
    assert_unpaid_without_tickets(payment.order)


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        pytest.param({"amount": "4.75"}, ReconciliationMismatch.Kind.AMOUNT, id="smaller-amount"),
        pytest.param({"currency": "EUR"}, ReconciliationMismatch.Kind.CURRENCY, id="other-currency"),
        pytest.param(
            {"merchant_code": sandbox.FOREIGN_MERCHANT_CODE},
            ReconciliationMismatch.Kind.MERCHANT,
            id="other-merchant",
        ),
    ],
)
def test_a_checkout_paid_differently_sends_the_order_to_review(buyer, event, sumup_sandbox, change, problem):
    payment = buy(buyer, event)
    sandbox.mark_paid(payment.checkout_id, **change)

    response = deliver(sumup_sandbox.url, callback_body(payment.checkout_id))

    assert response.status_code == 204
    assert_unpaid_without_tickets(payment.order, Order.Status.NEEDS_REVIEW)
    assert event.ticket_types.get(name="Adult").refresh_sold() == 0  # the hold is released
    mismatch = ReconciliationMismatch.objects.get(kind=problem)
    assert mismatch.order == payment.order and mismatch.is_open and mismatch.source == "webhook"
    [alert] = alerts()
    assert payment.order.reference in alert.subject and "does not match" in alert.subject
    assert "ann@example.com" not in alert.body and "Ann Example" not in alert.body
    assert WebhookEvent.objects.get().outcome == "mismatch_needs_review"

    # Delivered again (SumUp retries, or an attacker replays): still in review, still no tickets, one alert.
    assert deliver(sumup_sandbox.url, callback_body(payment.checkout_id)).status_code == 204
    assert_unpaid_without_tickets(payment.order, Order.Status.NEEDS_REVIEW)
    assert len(alerts()) == 1


def test_a_checkout_carrying_another_reference_is_not_accepted(buyer, event, sumup_sandbox):
    payment = buy(buyer, event)
    sandbox.mark_paid(payment.checkout_id)
    SandboxCheckout.objects.filter(pk=payment.checkout_id).update(
        checkout_reference="someone-elses-reference"
    )

    deliver(sumup_sandbox.url, callback_body(payment.checkout_id))

    assert_unpaid_without_tickets(payment.order, Order.Status.NEEDS_REVIEW)
    assert ReconciliationMismatch.objects.get().kind == ReconciliationMismatch.Kind.REFERENCE


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        pytest.param(b"{not json", "application/json", 400, id="malformed-json"),
        pytest.param(b"[1, 2, 3]", "application/json", 400, id="not-an-object"),
        pytest.param(b'{"event_type": "CHECKOUT_STATUS_CHANGED"}', "application/json", 400, id="no-id"),
        pytest.param(
            b'{"event_type": "CHECKOUT_STATUS_CHANGED", "id": 42}', "application/json", 400, id="id-not-text"
        ),
        pytest.param(
            b'{"event_type": "CHECKOUT_STATUS_CHANGED", "id": "ab\\u0000c"}',
            "application/json",
            400,
            id="nul-in-id",
        ),
        pytest.param(b'\xff\xfe{"id": 1}', "application/json", 400, id="not-utf8"),
        pytest.param(b"[" * 5000 + b"]" * 5000, "application/json", 400, id="deeply-nested"),
        pytest.param(b"id=abc", "application/x-www-form-urlencoded", 415, id="form-encoded"),
        pytest.param(b"x" * 20_000, "application/json", 413, id="oversized"),
        pytest.param(
            b'{"event_type": "PAYOUT_SENT", "id": "abc"}', "application/json", 204, id="unknown-callback-type"
        ),
        pytest.param(
            b'{"id": "evt_9", "type": "members.created", "object": {"id": "m1", "type": "member", "url": "/x"}}',
            "application/json",
            204,
            id="unknown-event-type",
        ),
    ],
)
def test_junk_gets_a_fast_answer_and_changes_nothing(
    buyer, event, sumup_sandbox, sumup_calls, body, content_type, status
):
    payment = buy(buyer, event)
    sumup_calls.clear()

    response = deliver(sumup_sandbox.url, body, content_type=content_type)

    assert response.status_code == status
    assert sumup_calls == [] and not WebhookEvent.objects.exists()
    assert_unpaid_without_tickets(payment.order)


def test_the_webhook_only_accepts_post(sumup_sandbox):
    assert httpx.get(sumup_sandbox.url + "/tickets/webhooks/sumup/").status_code == 405


def test_the_webhook_is_rate_limited_per_address(buyer, event, sumup_sandbox, settings):
    settings.WEBHOOK_RATE_LIMIT = "3/d"
    payment = buy(buyer, event)
    answers = [deliver(sumup_sandbox.url, callback_body(payment.checkout_id)) for _ in range(4)]
    assert [answer.status_code for answer in answers] == [204, 204, 204, 429]
    # A JSON client is refused in JSON, told when to come back.
    assert answers[-1].json() == {"error": "too many requests"}
    assert answers[-1].headers["Retry-After"] == "60"
    assert_unpaid_without_tickets(payment.order)
    assert not mail.outbox


# --- helpers ------------------------------------------------------------------------------------


def _body(payload) -> bytes:
    return json.dumps(payload).encode()


def _sign(secret, body, timestamp):
    return sign_event(secret, body, timestamp)


def test_only_what_we_read_of_a_delivery_is_stored(buyer, event, sumup_sandbox):
    """Extra fields are neither believed nor kept (a NUL in them would not even fit in PostgreSQL)."""
    payment = buy(buyer, event)
    body = {**callback_body(payment.checkout_id), "status": "PAID", "note": "evil\u0000bytes", "amount": 0.01}

    assert deliver(sumup_sandbox.url, body).status_code == 204

    assert_unpaid_without_tickets(payment.order)
    assert WebhookEvent.objects.get().payload == callback_body(payment.checkout_id)
