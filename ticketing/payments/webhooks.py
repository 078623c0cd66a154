"""SumUp's `return_url` callback: an unsigned hint that a checkout changed (SUMUP.md §5).

The body is believed about nothing. An id we never created is ignored without calling SumUp
(so forged calls cannot burn our API quota); for one of ours we ask SumUp's API and apply the
answer through the same path the buyer's return uses.
"""

import json
import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from django_ratelimit.decorators import ratelimit

from ticketing import fraud
from ticketing.models import Payment, WebhookEvent
from ticketing.payments import sumup
from ticketing.payments.confirmation import refresh_payment

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 16 * 1024


def _webhook_rate(group, request):
    return settings.WEBHOOK_RATE_LIMIT


def _client_key(group, request):
    return fraud.client_ip(request) or "unknown"


def _parse(request):
    """The checkout id and event type from a callback body, or an error response."""
    if len(request.body) > MAX_BODY_BYTES:
        return None, None, JsonResponse({"error": "body too large"}, status=413)
    if request.content_type != "application/json":
        return None, None, JsonResponse({"error": "expected application/json"}, status=415)
    try:
        body = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        return None, None, JsonResponse({"error": "malformed JSON"}, status=400)
    if not isinstance(body, dict) or not isinstance(body.get("id"), str) or not body["id"]:
        return None, None, JsonResponse({"error": "no checkout id"}, status=400)
    return body["id"][:64], str(body.get("event_type", ""))[:64], None


def _record(checkout_id, event_type, outcome):
    """One WebhookEvent per checkout and outcome; repeats count deliveries on it."""
    key = f"callback:{checkout_id}:{outcome}"
    try:
        with transaction.atomic():
            WebhookEvent.objects.create(
                dedupe_key=key, event_type=event_type, checkout_id=checkout_id,
                outcome=outcome, processed_at=timezone.now(),
            )
    except IntegrityError:
        WebhookEvent.objects.filter(dedupe_key=key).update(deliveries=F("deliveries") + 1, processed_at=timezone.now())


@csrf_exempt
@require_POST
@ratelimit(key=_client_key, rate=_webhook_rate, block=True)
def sumup_webhook(request):
    checkout_id, event_type, error = _parse(request)
    if error:
        return error
    if event_type and event_type != "CHECKOUT_STATUS_CHANGED":
        return HttpResponse(status=204)  # SumUp: "silently ignore unknown events"
    payment = Payment.objects.filter(checkout_id=checkout_id).first()
    if payment is None:
        logger.info("webhook for unknown checkout ignored")
        return HttpResponse(status=204)
    try:
        outcome = refresh_payment(payment)
    except sumup.SumUpError:
        # Non-2xx makes SumUp retry later (1, 5, 20 min, 2 h), when it may answer again.
        logger.warning("webhook could not ask SumUp", extra={"order": payment.order.reference})
        return JsonResponse({"error": "payment provider unavailable, retry"}, status=503)
    _record(checkout_id, event_type, outcome)
    return HttpResponse(status=204)
