"""The sandbox's JSON API: the part of SumUp's API our client calls, same paths and bodies.

Every endpoint wants ``Authorization: Bearer <SUMUP_API_KEY>`` and is CSRF-exempt (it is
an API called server to server, with no cookies). Views only translate HTTP: validation
lives in ``parsing``, behaviour in ``services`` and ``history``, JSON shapes in
``payloads``, error bodies in ``errors``.
"""

import hmac
import time
from functools import wraps

from django.conf import settings
from django.http import JsonResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt

from . import errors, faults, history, parsing, payloads, services
from .errors import ErrorAnswer


def _authorized(request):
    expected = settings.SUMUP_API_KEY
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if not expected or scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(token.strip().encode(), expected.encode())


def api_view(*methods):
    """Bearer auth, the allowed methods, and SumUp's error bodies for a sandbox API view."""

    def decorator(view):
        @csrf_exempt
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            faults.count_call(request.method, view.__name__)
            if faults.is_down():
                return errors.unavailable()
            if faults.take("throttled"):
                return errors.too_many_requests()
            if not _authorized(request):
                return errors.unauthorized()
            if request.method not in methods:
                return errors.method_not_allowed()
            try:
                return view(request, *args, **kwargs)
            except ErrorAnswer as error:
                return error.response

        return wrapper

    return decorator


def _own_merchant(merchant_code):
    """The key is one merchant's: refuse paths naming another, as SumUp does."""
    if merchant_code != settings.SUMUP_MERCHANT_CODE:
        raise ErrorAnswer(errors.merchant_forbidden())


def _hosted_url(request, checkout):
    return request.build_absolute_uri(reverse("sumup_sandbox:hosted-page", args=[checkout.id]))


def _checkout_json(request, checkout, status=200):
    return JsonResponse(payloads.checkout(checkout, _hosted_url(request, checkout)), status=status)


def _json_or_400(request, bad_request, empty=None):
    try:
        return parsing.json_body(request, empty=empty)
    except ValueError:
        raise ErrorAnswer(bad_request)


@api_view("GET", "POST")
def checkouts(request):
    """``POST /v0.1/checkouts`` creates; ``GET /v0.1/checkouts?checkout_reference=…`` lists."""
    if request.method == "GET":
        found = services.checkouts_by_reference(request.GET.get("checkout_reference"))
        body = [payloads.checkout(c, _hosted_url(request, c)) for c in found]
        return JsonResponse(body, safe=False)
    body = _json_or_400(request, errors.validation_error("INVALID", "body"))
    data = parsing.checkout_request(body)
    if data.merchant_code != settings.SUMUP_MERCHANT_CODE:
        return errors.checkout_forbidden()
    return _checkout_json(request, services.create_checkout(data), status=201)


@api_view("GET", "DELETE")
def checkout_detail(request, checkout_id):
    """``GET /v0.1/checkouts/{id}`` reads; ``DELETE`` deactivates (EXPIRED, 409 when paid)."""
    if request.method == "DELETE":
        return _checkout_json(request, services.deactivate(checkout_id))
    checkout = services.find_checkout(checkout_id)
    if checkout is None:
        return errors.checkout_not_found()
    return _checkout_json(request, checkout)


@api_view("POST")
def refunds(request, merchant_code, transaction_id):
    """``POST /v1.0/merchants/{mc}/payments/{txn id}/refunds``: 201 ``{}``, as SumUp answers."""
    _own_merchant(merchant_code)
    body = _json_or_400(request, errors.bad_refund_request("request body is not valid JSON"))
    if faults.take("refund_requests_lost"):
        # The request never reached SumUp: nothing is refunded and no answer comes in time.
        time.sleep(settings.SUMUP_TIMEOUT_SECONDS + 1)
        return errors.unavailable()
    services.refund(merchant_code, transaction_id, parsing.refund_amount(body))
    if faults.take("refund_answers_lost"):
        # The refund is made; the answer arrives after the caller has given up waiting.
        time.sleep(settings.SUMUP_TIMEOUT_SECONDS + 1)
    return JsonResponse({}, status=201)


@api_view("GET")
def transaction_history(request, merchant_code):
    """``GET /v2.1/merchants/{mc}/transactions/history``: one cursor page."""
    _own_merchant(merchant_code)
    return JsonResponse(history.page(merchant_code, history.parse_query(request.GET)))


@api_view("GET")
def transaction_detail(request, merchant_code):
    """``GET /v2.1/merchants/{mc}/transactions?id=…|transaction_code=…``."""
    _own_merchant(merchant_code)
    txn_id, code = request.GET.get("id"), request.GET.get("transaction_code")
    if not txn_id and not code:
        return errors.legacy(400, "MISSING", "One of id or transaction_code is required", param="id")
    txn = services.find_transaction(merchant_code, transaction_id=txn_id or None, transaction_code=code)
    if txn is None:
        return errors.checkout_not_found()
    refund_href = request.build_absolute_uri(
        reverse("sumup_sandbox:refunds", args=[merchant_code, txn.transaction_id])
    )
    return JsonResponse(payloads.transaction_full(txn, refund_href))


@csrf_exempt
def not_found(request, path=""):
    """Every path the sandbox does not emulate: a JSON 404, never an HTML page."""
    return errors.not_found()
