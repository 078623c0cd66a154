"""Privacy tests: a buyer with an unusual name and address buys through the real checkout and
the SumUp sandbox (over the live server), so any trace of them left after erasure is found by
searching for those exact strings."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from sumup_sandbox import state as sandbox
from tests.factories import BROWSER, ticket_types
from tests.payments.helpers import callback_body, deliver
from ticketing.models import Event, Order, Payment

NAME = "Zephyrine Quillfeather"
EMAIL = "Zephy.Q+x@Example.org"
IP = "198.51.100.231"
AGENT = BROWSER + " Quillbrowser/7.7"


@pytest.fixture(autouse=True)
def _payment_settings(settings):
    """The sandbox's own callbacks are quick and single: each test decides which deliveries happen."""
    settings.SUMUP_SANDBOX_CALLBACK_DELAY = 0
    settings.SUMUP_SANDBOX_DUPLICATE_CALLBACKS = False
    settings.SUMUP_WEBHOOK_SECRET = ""
    settings.PAYMENT_ALERT_EMAILS = ["payments-team@staff.example"]


def checkout(client, event, *, name=NAME, email=EMAIL, adult=2, child=1) -> Payment:
    """Buy over HTTP like a browser (from IP, with AGENT); returns the SumUp checkout made."""
    adult_type, child_type = ticket_types(event)
    client.defaults.update(HTTP_USER_AGENT=AGENT, REMOTE_ADDR=IP)
    response = client.post(
        reverse("ticketing:checkout", args=[event.pk]),
        {
            "name": name,
            "email": email,
            "accept_terms": "on",
            f"quantity_{adult_type.pk}": adult,
            f"quantity_{child_type.pk}": child,
        },
    )
    assert response.status_code == 303, response.content.decode()[:500]
    return Payment.objects.select_related("order").get(hosted_checkout_url=response["Location"])


def pay(live_server, payment) -> Order:
    """The buyer pays on SumUp's page and SumUp's callback reaches our webhook (a real delivery)."""
    sandbox.press(payment.checkout_id, "pay", notify=False)
    assert deliver(live_server.url, callback_body(payment.checkout_id)).status_code in (200, 204)
    order = Order.objects.get(pk=payment.order_id)
    assert order.status == Order.Status.PAID
    return order


def buy_and_pay(client, live_server, event, **buyer) -> Order:
    return pay(live_server, checkout(client, event, **buyer))


def move_event_to(event, days_from_now):
    """The event (bought while on sale) now starts and ends `days_from_now` days from now."""
    moment = timezone.now() + timedelta(days=days_from_now)
    Event.objects.filter(pk=event.pk).update(starts_at=moment - timedelta(hours=3), ends_at=moment)
    event.refresh_from_db()
    return event


@pytest.fixture
def zephyrine(client, sumup_sandbox, event):
    """Zephyrine's paid order: 2 adults and 1 child for Jazz Night, three weeks ahead."""
    return buy_and_pay(client, sumup_sandbox, event)
