"""Payment-safety tests: real HTTP everywhere.

The buyer buys through our checkout view, which creates the checkout at the SumUp sandbox (on
pytest-django's live server) through the SDK; webhooks are delivered over HTTP to the same
live server, as SumUp delivers them; what SumUp itself does (a buyer paying, a payment landing
for the wrong amount, a refund made in SumUp's dashboard) is arranged with the sandbox's state
helpers. Our own code is never mocked.
"""

import pytest
from django.core.signals import request_started

from sumup_sandbox import state as sandbox
from tests.factories import buy, make_staff, signed_in
from tests.payments.helpers import ALERT_ADDRESS, callback_body, deliver
from ticketing.models import Order


@pytest.fixture(autouse=True)
def _payment_settings(settings):
    """Alerts go to a known address; the sandbox's own callbacks are quick and single, so each
    test decides exactly which deliveries happen."""
    settings.PAYMENT_ALERT_EMAILS = [ALERT_ADDRESS]
    settings.SUMUP_SANDBOX_CALLBACK_DELAY = 0
    settings.SUMUP_SANDBOX_DUPLICATE_CALLBACKS = False
    settings.SUMUP_SANDBOX_CALLBACK_RETRY_DELAY = 0.05
    settings.SUMUP_WEBHOOK_SECRET = ""


@pytest.fixture
def sumup_calls():
    """Every request that reaches the SumUp sandbox's API, as (method, path): observed at the
    live server, so a test can prove a delivery made no call to SumUp at all."""
    calls = []

    def record(sender, environ, **kwargs):
        path = environ.get("PATH_INFO", "")
        if path.startswith("/sandbox/sumup/v"):
            calls.append((environ.get("REQUEST_METHOD"), path))

    request_started.connect(record, weak=False, dispatch_uid="tests.payments.sumup_calls")
    yield calls
    request_started.disconnect(dispatch_uid="tests.payments.sumup_calls")


@pytest.fixture
def paid(buyer, event, sumup_sandbox):
    """The payment of an order bought and paid over the real path: 2 adults at 20.00 and 1
    child at 7.50 (£47.50). SumUp's callback is delivered once, by the test."""
    payment = buy(buyer, event)
    sandbox.press(payment.checkout_id, "pay", notify=False)
    deliver(sumup_sandbox.url, callback_body(payment.checkout_id))
    payment.refresh_from_db()
    assert payment.order.status == Order.Status.PAID and payment.transaction_id
    return payment


@pytest.fixture
def cashier():
    """A client signed in as staff who may see and refund orders."""
    return signed_in(make_staff("cashier", "access_admin", "view_order", "refund_order"))
