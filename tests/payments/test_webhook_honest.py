"""Honest deliveries: every order SumUp was paid for is confirmed once, however SumUp delivers."""

import time
from collections import Counter

import pytest
from django.core import mail
from django.db.models import Sum
from django.urls import reverse

from sumup_sandbox import state as sandbox
from tests.concurrency import run_concurrently
from tests.payments.helpers import buy, buyer_mail, callback_body, deliver, reload, signed_event, wait_for
from tests.sandbox_buyer import press_on_hosted_page
from ticketing.inventory import check_inventory
from ticketing.models import BuyerEmail, Order, Payment, Ticket, WebhookEvent

pytestmark = pytest.mark.django_db(transaction=True)

SECRET = "whsec_test_0123456789abcdef"


def assert_paid_once(order, tickets=3):
    order = reload(order)
    assert order.status == Order.Status.PAID
    assert Ticket.objects.filter(order=order).count() == tickets
    assert BuyerEmail.objects.filter(order=order).count() == 1
    assert len(buyer_mail()) == 1  # the ticket e-mail, once (immediate task backend in tests)
    assert check_inventory() == []
    return order


def test_callback_before_the_buyer_returns(buyer, event, sumup_sandbox):
    payment = buy(buyer, event)
    sandbox.press(payment.checkout_id, "pay", notify=False)

    assert deliver(sumup_sandbox.url, callback_body(payment.checkout_id)).status_code == 204
    page = buyer.get(reverse("ticketing:order", args=[payment.order.token]))

    assert "Payment received" in page.content.decode()
    assert_paid_once(payment.order)
    assert WebhookEvent.objects.get().outcome == "confirmed"


def test_callback_after_the_buyer_returns(buyer, event, sumup_sandbox):
    payment = buy(buyer, event)
    sandbox.press(payment.checkout_id, "pay", notify=False)
    page = buyer.get(reverse("ticketing:order", args=[payment.order.token]))
    assert "Payment received" in page.content.decode()

    assert deliver(sumup_sandbox.url, callback_body(payment.checkout_id)).status_code == 204

    assert_paid_once(payment.order)
    assert WebhookEvent.objects.get().outcome == "already_paid"


def test_the_sandbox_paying_and_calling_back_twice_confirms_once(buyer, event, sumup_sandbox, settings):
    settings.SUMUP_SANDBOX_DUPLICATE_CALLBACKS = True
    payment = buy(buyer, event)

    press_on_hosted_page(payment.hosted_checkout_url, "pay")

    assert wait_for(lambda: (WebhookEvent.objects.aggregate(n=Sum("deliveries"))["n"] or 0) >= 2)
    assert_paid_once(payment.order)


@pytest.mark.concurrency
def test_ten_concurrent_duplicate_deliveries_give_one_set_of_tickets_and_one_email(
    buyer, event, sumup_sandbox
):
    payment = buy(buyer, event)
    sandbox.press(payment.checkout_id, "pay", notify=False)

    responses = run_concurrently(deliver, [(sumup_sandbox.url, callback_body(payment.checkout_id))] * 10)

    assert [r.status_code for r in responses] == [204] * 10
    assert_paid_once(payment.order)
    outcomes = Counter(dict(WebhookEvent.objects.values_list("outcome", "deliveries")))
    assert outcomes == {"confirmed": 1, "already_paid": 9}


@pytest.mark.concurrency
def test_ten_concurrent_copies_of_one_signed_event_confirm_once(buyer, event, sumup_sandbox, settings):
    settings.SUMUP_WEBHOOK_SECRET = SECRET
    payment = buy(buyer, event)
    sandbox.press(payment.checkout_id, "pay", notify=False)
    body = signed_event(payment.checkout_id, event_id="evt_paid_1")

    responses = run_concurrently(lambda: deliver(sumup_sandbox.url, body, secret=SECRET), [()] * 10)

    assert [r.status_code for r in responses] == [204] * 10
    assert_paid_once(payment.order)
    row = WebhookEvent.objects.get()
    assert (row.dedupe_key, row.deliveries, row.signed) == ("event:evt_paid_1", 10, True)


def test_a_redelivered_signed_event_is_not_asked_about_again(
    buyer, event, sumup_sandbox, settings, sumup_calls
):
    settings.SUMUP_WEBHOOK_SECRET = SECRET
    payment = buy(buyer, event)
    sandbox.press(payment.checkout_id, "pay", notify=False)
    body = signed_event(payment.checkout_id, event_id="evt_paid_2")
    assert deliver(sumup_sandbox.url, body, secret=SECRET).status_code == 204
    sumup_calls.clear()

    assert deliver(sumup_sandbox.url, body, secret=SECRET).status_code == 204

    assert sumup_calls == []
    assert WebhookEvent.objects.get().deliveries == 2
    assert_paid_once(payment.order)


def test_failed_arriving_after_paid_changes_nothing(buyer, event, sumup_sandbox, settings):
    """The buyer's card is declined, then a retry succeeds; SumUp's events arrive in the wrong order."""
    settings.SUMUP_WEBHOOK_SECRET = SECRET
    payment = buy(buyer, event)
    sandbox.press(payment.checkout_id, "decline", notify=False)
    sandbox.press(payment.checkout_id, "pay", notify=False)

    paid = deliver(
        sumup_sandbox.url, signed_event(payment.checkout_id, "checkouts.paid", "evt_b"), secret=SECRET
    )
    failed = deliver(
        sumup_sandbox.url, signed_event(payment.checkout_id, "checkouts.failed", "evt_a"), secret=SECRET
    )

    assert (paid.status_code, failed.status_code) == (204, 204)
    assert_paid_once(payment.order)
    assert Payment.objects.get().status == Payment.Status.PAID
    assert dict(WebhookEvent.objects.values_list("dedupe_key", "outcome")) == {
        "event:evt_b": "confirmed",
        "event:evt_a": "already_paid",
    }


def test_sumup_unreachable_closed_port_gets_a_503_then_the_retry_confirms(
    buyer, event, sumup_sandbox, settings
):
    payment = buy(buyer, event)
    sandbox.press(payment.checkout_id, "pay", notify=False)
    settings.SUMUP_API_BASE = "http://127.0.0.1:9/sumup-is-down"

    response = deliver(sumup_sandbox.url, callback_body(payment.checkout_id))

    assert response.status_code == 503  # SumUp delivers again later
    assert reload(payment.order).status == Order.Status.PENDING and not Ticket.objects.exists()
    assert WebhookEvent.objects.get().outcome == "sumup_unavailable"

    settings.SUMUP_API_BASE = f"{sumup_sandbox.url}/sandbox/sumup"
    assert deliver(sumup_sandbox.url, callback_body(payment.checkout_id)).status_code == 204
    assert_paid_once(payment.order)


def test_the_webhook_answers_fast(buyer, event, sumup_sandbox):
    payment = buy(buyer, event)
    sandbox.press(payment.checkout_id, "pay", notify=False)
    started = time.monotonic()
    deliver(sumup_sandbox.url, callback_body(payment.checkout_id))
    assert time.monotonic() - started < 5
    assert not [m for m in mail.outbox if "[Payments]" in m.subject]
