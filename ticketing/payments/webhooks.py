"""SumUp's webhook `POST /tickets/webhooks/sumup/`: unsigned callbacks and signed events, both only hints.

Two kinds of delivery arrive here:

* the checkout's `return_url` callback, `{"event_type": "CHECKOUT_STATUS_CHANGED", "id": …}`,
  which SumUp does not sign: anyone can send it;
* when `SUMUP_WEBHOOK_SECRET` is set, SumUp's signed events, `{"id": "evt_…", "type":
  "checkouts.paid", "object": {"id": …, "type": "checkout", …}}` with an
  `X-SumUp-Webhook-Signature` header. With a secret set, every delivery must carry a valid
  signature (so SumUp's unsigned callbacks are refused too: the signed events replace them).

Neither is believed about anything but which checkout to look at. The checks, each a fast
answer that changes nothing:

1. rate limit per client address (generous, `WEBHOOK_RATE_LIMIT`: SumUp's retries must get
   through) → 429. With Redis down it is counted in each process instead, so payments are
   still confirmed: refusing would only make SumUp wait (1, 5, 20 minutes, 2 hours) and the
   buyer with it, and the limit still holds, per process;
2. a body larger than `MAX_BODY_BYTES` → 413 (SumUp's are about a hundred bytes);
3. with a secret: signature missing, wrong, or more than five minutes old → 400, before the
   body is even parsed;
4. not `application/json` → 415, not a JSON object naming a checkout → 400;
5. an event type we do not act on → 204 (SumUp: "silently ignore unknown events");
6. a checkout id we never created → 204 with no call to SumUp, so forged calls cannot spend
   our API quota, and nothing stored.

For one of our checkouts, SumUp's API is asked and the answer applied by `refresh_payment`,
the path the buyer's order page takes too. SumUp failing to answer gets a 503, so that SumUp
delivers again later (1, 5, 20 minutes, 2 hours).

Every delivery about one of our checkouts is recorded as a `WebhookEvent`, keyed so repeats
show without piling up rows:

* signed event: `event:<event id>`, one row per event; a redelivery adds to `deliveries`
  and, once the event was acted on, is answered without asking SumUp again;
* unsigned callback: `callback:<checkout id>:<outcome>`, one row per checkout and outcome
  with a delivery counter: "confirmed ×1, already_paid ×9" shows ten duplicate deliveries at
  a glance, and a flood of copies of a real checkout id adds no rows.
"""

import json
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.db.models import F
from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from core.rate_limits import limit_here_if_down
from ticketing import fraud
from ticketing.models import WebhookEvent, payment_for_checkout
from ticketing.payments import sumup
from ticketing.payments.confirmation import Outcome, known_outcome, refresh_payment_if_due

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 16 * 1024
MAX_CHECKOUT_ID = 64  # Payment.checkout_id: anything longer cannot be one of ours

CALLBACK_EVENT = "CHECKOUT_STATUS_CHANGED"
CHECKOUT_EVENTS = frozenset(
    {"checkouts.created", "checkouts.updated", "checkouts.paid", "checkouts.failed", "checkouts.expired"}
)

# Outcomes of a delivery, besides confirmation's `Outcome` values.
UNKNOWN_CHECKOUT = "unknown_checkout"
SUMUP_UNAVAILABLE = "sumup_unavailable"
REPEATED = "repeated_event"
RETRY_LATER = frozenset({SUMUP_UNAVAILABLE, Outcome.CHECKED_RECENTLY})


class Malformed(Exception):
    """Not a notification we can read."""


class Ignored(Exception):
    """A well-formed notification about something we do not act on."""


@dataclass(frozen=True)
class Notification:
    checkout_id: str
    event_type: str
    event_id: str = ""  # signed events only

    def as_payload(self) -> dict:
        """What is kept of the delivery: the fields we read, never the sender's other bytes."""
        if self.event_id:
            return {
                "id": self.event_id,
                "type": self.event_type,
                "object": {"id": self.checkout_id, "type": "checkout"},
            }
        return {"event_type": self.event_type, "id": self.checkout_id}


def _text(value) -> bool:
    """A non-empty string with no control characters (a NUL would not even fit in PostgreSQL)."""
    return isinstance(value, str) and bool(value) and value.isprintable()


def parse_notification(body) -> Notification:
    """Which checkout a delivery is about. Raises Malformed or Ignored."""
    if not isinstance(body, dict):
        raise Malformed("not a JSON object")
    if "object" in body or "type" in body:  # a signed event's envelope
        event_type, target = body.get("type"), body.get("object")
        if not isinstance(event_type, str) or not isinstance(target, dict):
            raise Malformed("event without a type or object")
        if event_type not in CHECKOUT_EVENTS or target.get("type") != "checkout":
            raise Ignored(event_type)
        checkout_id, event_id = target.get("id"), body.get("id")
        if not _text(event_id):
            raise Malformed("event without an id")
    else:  # the return_url callback
        event_type = body.get("event_type", CALLBACK_EVENT)
        if event_type != CALLBACK_EVENT:
            raise Ignored(str(event_type))
        checkout_id, event_id = body.get("id"), ""
    if not _text(checkout_id):
        raise Malformed("no checkout id")
    return Notification(checkout_id=checkout_id, event_type=event_type[:64], event_id=event_id[:120])


# --- Handling one notification --------------------------------------------------------------


def handle(notification: Notification, *, signed: bool) -> str:
    """Act on a notification that passed the checks above; returns the outcome recorded."""
    payment = None
    if len(notification.checkout_id) <= MAX_CHECKOUT_ID:
        payment = payment_for_checkout(notification.checkout_id)
    if payment is None:
        logger.info("webhook for an unknown checkout ignored", extra={"signed": signed})
        if signed:  # SumUp's own word, about a checkout another integration made: worth keeping
            _record(notification, signed=signed, outcome=UNKNOWN_CHECKOUT)
        return UNKNOWN_CHECKOUT
    if not signed:
        # An unsigned delivery names a checkout and nothing else we may believe: an event id in
        # it was chosen by the sender, so it must not make each copy count as new.
        notification = Notification(checkout_id=notification.checkout_id, event_type=notification.event_type)
    if notification.event_id and _already_handled(notification.event_id):
        return REPEATED
    outcome = known_outcome(payment)
    if outcome is None:
        try:
            outcome = refresh_payment_if_due(payment)
        except sumup.SumUpError:
            # Non-2xx makes SumUp deliver again later, when it may answer.
            logger.warning("webhook could not ask SumUp", extra={"order": payment.order.reference})
            outcome = SUMUP_UNAVAILABLE
        if outcome is None:
            # SumUp was asked about this payment a moment ago; a 503 makes SumUp deliver again
            # later, so a real change is never lost, and a flood of copies costs nothing.
            return Outcome.CHECKED_RECENTLY
    _record(notification, signed=signed, outcome=outcome)
    return outcome


def _event_key(event_id: str) -> str:
    return f"event:{event_id}"


def _already_handled(event_id: str) -> bool:
    """A signed event seen before and acted on: count the delivery, do nothing else."""
    key = _event_key(event_id)
    return bool(
        WebhookEvent.objects.filter(dedupe_key=key)
        .exclude(outcome__in=RETRY_LATER)
        .update(deliveries=F("deliveries") + 1, processed_at=timezone.now())
    )


def _record(notification: Notification, *, signed: bool, outcome: str) -> None:
    """Keep the delivery: a new row for a new key, one more delivery on the row of a repeat.

    One statement (an upsert) whichever it is, in autocommit: a flood of copies of a real
    checkout id costs one UPDATE each, with no failed INSERT and no rollback.
    """
    if notification.event_id:
        key = _event_key(notification.event_id)
    else:
        key = f"callback:{notification.checkout_id[:MAX_CHECKOUT_ID]}:{outcome}"
    now = timezone.now()
    row = {
        "dedupe_key": key[:128],
        "event_type": notification.event_type,
        "checkout_id": notification.checkout_id[:MAX_CHECKOUT_ID],
        "payload": notification.as_payload(),
        "signed": signed,
        "deliveries": 1,
        "outcome": outcome,
        "received_at": now,
        "processed_at": now,
    }
    get_field = WebhookEvent._meta.get_field
    with connection.cursor() as cursor:
        cursor.execute(
            _RECORD_SQL, [get_field(name).get_db_prep_save(row[name], connection) for name in _RECORDED]
        )


_RECORDED = (
    "dedupe_key",
    "event_type",
    "checkout_id",
    "payload",
    "signed",
    "deliveries",
    "outcome",
    "received_at",
    "processed_at",
)
_TABLE = WebhookEvent._meta.db_table
_RECORD_SQL = (
    f"INSERT INTO {_TABLE} ({', '.join(_RECORDED)}) VALUES ({', '.join(['%s'] * len(_RECORDED))})"  # noqa: S608 - model metadata only
    f" ON CONFLICT (dedupe_key) DO UPDATE SET deliveries = {_TABLE}.deliveries + 1,"
    " outcome = excluded.outcome, processed_at = excluded.processed_at"
)


# --- The view -------------------------------------------------------------------------------


def _webhook_rate(group, request):
    return settings.WEBHOOK_RATE_LIMIT


def _client_key(group, request):
    return fraud.request_client_key(request)


def _error(message, status):
    return JsonResponse({"error": message}, status=status)


def _declared_length(request) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


@csrf_exempt
@require_POST
@limit_here_if_down(key=_client_key, rate=_webhook_rate)
def sumup_webhook(request):
    if _declared_length(request) > MAX_BODY_BYTES or len(request.body) > MAX_BODY_BYTES:
        return _error("body too large", 413)
    body = request.body
    secret = settings.SUMUP_WEBHOOK_SECRET
    if secret:
        try:
            sumup.verify_signature(secret, body, request.headers.get(sumup.SIGNATURE_HEADER))
        except sumup.SignatureInvalid:
            logger.warning("webhook signature rejected")
            return _error("invalid signature", 400)
    if request.content_type != "application/json":
        return _error("expected application/json", 415)
    try:
        notification = parse_notification(json.loads(body))
    except (ValueError, UnicodeDecodeError, RecursionError, Malformed):
        return _error("not a SumUp notification", 400)
    except Ignored as ignored:
        logger.info("webhook event type ignored", extra={"event_type": str(ignored)[:64]})
        return HttpResponse(status=204)
    outcome = handle(notification, signed=bool(secret))
    if outcome in RETRY_LATER:
        return _error("payment provider unavailable, retry", 503)
    return HttpResponse(status=204)
