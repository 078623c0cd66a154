"""Buying, delivering webhooks and reading mail, for the payment-safety tests."""

import json
import time

import httpx
from django.core import mail
from django.urls import reverse

from sumup_sandbox.callbacks import sign_event
from tests.factories import ticket_types
from ticketing.models import Order, Payment

ALERT_ADDRESS = "payments-team@staff.example"
WEBHOOK_PATH = "/tickets/webhooks/sumup/"


def buy(client, event, *, adult=2, child=1, email="ann@example.com") -> Payment:
    """Check out over HTTP like a browser; returns the payment (a SumUp checkout) made for it."""
    adult_type, child_type = ticket_types(event)
    data = {
        "name": "Ann Example",
        "email": email,
        "accept_terms": "on",
        f"quantity_{adult_type.pk}": adult,
        f"quantity_{child_type.pk}": child,
    }
    response = client.post(reverse("ticketing:checkout", args=[event.pk]), data)
    assert response.status_code == 303, response.content.decode()[:500]
    return Payment.objects.select_related("order").get(hosted_checkout_url=response["Location"])


def callback_body(checkout_id) -> dict:
    return {"event_type": "CHECKOUT_STATUS_CHANGED", "id": str(checkout_id)}


def signed_event(checkout_id, event_type="checkouts.paid", event_id="evt_1") -> dict:
    return {
        "id": event_id,
        "type": event_type,
        "created_at": "2026-11-20T10:00:00Z",
        "object": {"id": str(checkout_id), "type": "checkout", "url": f"/v0.1/checkouts/{checkout_id}"},
    }


def deliver(base_url, body, *, content_type="application/json", headers=None, secret=None, timestamp=None):
    """POST a webhook to our live server over HTTP, signed with `secret` if given."""
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    all_headers = {"Content-Type": content_type, "User-Agent": "SumUp-Webhooks/1.0", **(headers or {})}
    if secret is not None:
        all_headers["X-SumUp-Webhook-Signature"] = sign_event(secret, raw, timestamp or time.time())
    return httpx.post(base_url + WEBHOOK_PATH, content=raw, headers=all_headers, timeout=30)


def alerts():
    return [m for m in mail.outbox if m.to == [ALERT_ADDRESS]]


def buyer_mail(address="ann@example.com"):
    return [m for m in mail.outbox if m.to == [address]]


def reload(order) -> Order:
    return Order.objects.get(pk=order.pk)


def wait_for(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()
