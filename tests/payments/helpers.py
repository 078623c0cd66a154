"""Delivering webhooks and reading mail, for the payment-safety tests (buying: `tests.factories.buy`)."""

import json
import time

import httpx
from django.core import mail

from sumup_sandbox.callbacks import sign_event
from ticketing.models import Order

ALERT_ADDRESS = "payments-team@staff.example"
WEBHOOK_PATH = "/tickets/webhooks/sumup/"


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
