"""Staff alerts (a burst of failed payments) and the structured audit lines of state changes."""

import json
import logging

import pytest
from django.urls import reverse

from config.logging import JsonFormatter
from sumup_sandbox import state as sandbox
from tests.factories import buy
from tests.payments.helpers import alerts, callback_body, deliver
from ticketing.models import Order

pytestmark = pytest.mark.django_db(transaction=True)


def decline(buyer, event, sumup_sandbox, n):
    payment = buy(buyer, event, adult=1, child=0, email=f"buyer{n}@example.com")
    sandbox.press(payment.checkout_id, "decline", notify=False)
    assert deliver(sumup_sandbox.url, callback_body(payment.checkout_id)).status_code == 204
    return payment


def test_a_burst_of_failed_payments_alerts_once_per_window(buyer, event, sumup_sandbox, settings):
    settings.PAYMENT_FAILURE_ALERT_THRESHOLD = 2
    settings.MAX_TICKETS_PER_IP_PER_EVENT = 100

    for n in range(2):
        decline(buyer, event, sumup_sandbox, n)
    assert not alerts()  # at the threshold, not above it

    decline(buyer, event, sumup_sandbox, 2)
    [alert] = alerts()
    assert "3 failed payments in the last 15 minutes" in alert.subject

    decline(buyer, event, sumup_sandbox, 3)
    # The same failure, seen again (the buyer's page refreshing), is not counted twice.
    payment = decline(buyer, event, sumup_sandbox, 4)
    deliver(sumup_sandbox.url, callback_body(payment.checkout_id))
    assert len(alerts()) == 1  # once per 15-minute window
    assert not any("@example.com" in m.body for m in alerts())


def test_every_state_change_is_one_audit_line_without_personal_data(buyer, event, sumup_sandbox, caplog):
    caplog.set_level(logging.INFO, logger="ticketing.audit")
    payment = buy(buyer, event)
    sandbox.press(payment.checkout_id, "pay", notify=False)
    deliver(sumup_sandbox.url, callback_body(payment.checkout_id))
    buyer.get(reverse("ticketing:order", args=[payment.order.token]))

    lines = [json.loads(JsonFormatter().format(r)) for r in caplog.records if r.name == "ticketing.audit"]

    reference = payment.order.reference
    changes = [(line["audit"], line["order"], line["old_state"], line["new_state"]) for line in lines]
    assert changes == [
        ("order", reference, "", Order.Status.PENDING),
        ("payment", reference, "PENDING", "PAID"),
        ("order", reference, Order.Status.PENDING, Order.Status.PAID),
    ]
    assert all(line["cause"] for line in lines)
    text = json.dumps(lines)
    assert "ann@example.com" not in text and "Ann Example" not in text and payment.order.token not in text
