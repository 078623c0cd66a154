"""SumUp's ``return_url`` callback, delivered like the real one.

SumUp POSTs ``{"event_type": "CHECKOUT_STATUS_CHANGED", "id": "<checkout id>"}`` to the
checkout's ``return_url`` after its status changes: unsigned, asynchronously, sometimes
twice at nearly the same time, and again after a non-2xx answer. The sandbox does all of
that so the webhook's idempotency is exercised in every test and demo, not only in
production.

SumUp retries after 1, 5 and 20 minutes and 2 hours. Nobody waits two hours for a demo,
so the sandbox retries ``SUMUP_SANDBOX_CALLBACK_RETRIES`` times (default 2) after
``SUMUP_SANDBOX_CALLBACK_RETRY_DELAY`` seconds (default 1). Reconciliation, not retries,
is what catches a callback that never arrives.

Settings (all optional, read at call time so tests can override them):

- ``SUMUP_SANDBOX_CALLBACK_DELAY``: seconds before the first delivery (default 0.2), so
  the callback arrives after the hosted page has answered, as it does from SumUp.
- ``SUMUP_SANDBOX_DUPLICATE_CALLBACKS``: True always delivers twice, False once, and
  None (the default) twice about 30% of the time.
- ``SUMUP_SANDBOX_CALLBACK_TIMEOUT``: seconds the receiver has to answer (default 5).

Every callback goes through one ``httpx.Client`` per process, made on first use: a new
client per callback built a new SSL context each time, about a quarter of the sandbox's CPU
per paid order. ``httpx.Client`` is thread-safe, so the delivery threads share it; the
timeout is passed with each request so it is still read at call time.
"""

import hashlib
import hmac
import json
import logging
import random
import threading
import time

import httpx
from django.conf import settings
from django.db import connection

logger = logging.getLogger(__name__)

EVENT_TYPE = "CHECKOUT_STATUS_CHANGED"
USER_AGENT = "SumUp-Sandbox-Callback/1.0"
DUPLICATE_PROBABILITY = 0.3

_client = None
_client_lock = threading.Lock()


def _shared_client():
    """The process's one callback client, made on first use so a forked worker never inherits one."""
    global _client
    if _client is None:
        with _client_lock:
            if _client is None:
                _client = httpx.Client()
    return _client


def _setting(name, default):
    return getattr(settings, name, default)


def callback_body(checkout_id):
    """The exact bytes SumUp sends: the event type and the checkout id, nothing else."""
    return json.dumps({"event_type": EVENT_TYPE, "id": str(checkout_id)}).encode()


def sign_event(secret, body, timestamp):
    """The ``X-SumUp-Webhook-Signature`` value for a body, as SumUp's signed events carry it.

    ``t=<timestamp>,v1=<hex HMAC-SHA256 over b"v1:" + timestamp + b":" + body>``: the
    format the SDK's ``verify_event_signature`` checks. The sandbox sends
    only unsigned callbacks; this is for tests of a signature check.
    """
    stamp = str(int(timestamp)).encode("ascii")
    body = body.encode() if isinstance(body, str) else body
    digest = hmac.new(secret.encode(), b"v1:" + stamp + b":" + body, hashlib.sha256).hexdigest()
    return f"t={stamp.decode()},v1={digest}"


def post_callback(return_url, checkout_id, *, timeout=None):
    """POST the callback once; the receiver's status code, or None if it could not be reached."""
    timeout = _setting("SUMUP_SANDBOX_CALLBACK_TIMEOUT", 5) if timeout is None else timeout
    headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT}
    try:
        body = callback_body(checkout_id)
        response = _shared_client().post(return_url, content=body, headers=headers, timeout=timeout)
    except httpx.HTTPError as exc:
        logger.warning("sandbox callback for checkout %s failed: %s", checkout_id, type(exc).__name__)
        return None
    return response.status_code


def deliver_callback(return_url, checkout_id, *, retries=None, retry_delay=None, timeout=None):
    """Deliver one callback with the sandbox's short retries; every attempt's status code.

    Synchronous and database-free, so tests may call it directly. Stops at the first 2xx.
    """
    retries = _setting("SUMUP_SANDBOX_CALLBACK_RETRIES", 2) if retries is None else retries
    retry_delay = _setting("SUMUP_SANDBOX_CALLBACK_RETRY_DELAY", 1.0) if retry_delay is None else retry_delay
    statuses = []
    for attempt in range(retries + 1):
        if attempt:
            time.sleep(retry_delay)
        status = post_callback(return_url, checkout_id, timeout=timeout)
        statuses.append(status)
        if status is not None and 200 <= status < 300:
            break
    return statuses


def delivery_count():
    """How many copies of this callback to send: SumUp sometimes sends two."""
    duplicate = _setting("SUMUP_SANDBOX_DUPLICATE_CALLBACKS", None)
    if duplicate is None:
        duplicate = random.random() < DUPLICATE_PROBABILITY
    return 2 if duplicate else 1


def _deliver_later(return_url, checkout_id, delay):
    try:
        time.sleep(delay)
        deliver_callback(return_url, checkout_id)
    finally:
        # A thread that ever used the ORM keeps a connection open until it is closed;
        # this one never should, but a leaked connection would block the test database
        # from being flushed or dropped.
        connection.close()


def notify_status_change(checkout):
    """Send the checkout's callback in background threads, after the response; the threads.

    Only the URL and id are handed to the threads: they never touch the database, so a
    test that flushes it while a callback is in flight is not disturbed.
    """
    if not checkout.return_url:
        return []
    delay = _setting("SUMUP_SANDBOX_CALLBACK_DELAY", 0.2)
    threads = [
        threading.Thread(
            target=_deliver_later,
            args=(checkout.return_url, str(checkout.id), delay),
            name=f"sumup-sandbox-callback-{checkout.id}-{copy}",
            daemon=True,
        )
        for copy in range(delivery_count())
    ]
    for thread in threads:
        thread.start()
    return threads
