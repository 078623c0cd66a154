"""SumUp's error bodies, in both of the shapes its API answers with.

The checkout endpoints answer with the legacy ``{"error_code", "message"[, "param"]}``
shape; authentication and the newer refund endpoint answer with RFC 9457
``application/problem+json``. Our client has to parse both, so the sandbox sends both,
each where SumUp does.
"""

from django.http import JsonResponse

PROBLEM_BASE = "https://developer.sumup.com/problem/"


class ErrorAnswer(Exception):
    """Raised inside the sandbox to answer with one of SumUp's error bodies."""

    def __init__(self, response):
        super().__init__(response.status_code)
        self.response = response


def legacy(status, error_code, message, **extra):
    """``{"error_code": …, "message": …}`` (plus e.g. ``param``) with the given status."""
    return JsonResponse({"error_code": error_code, "message": message, **extra}, status=status)


def validation_error(error_code, param):
    """400 for a missing (``MISSING``) or malformed (``INVALID``) request field."""
    return JsonResponse({"message": "Validation error", "error_code": error_code, "param": param}, status=400)


def problem(status, slug, title, detail, **extra):
    """An RFC 9457 problem, e.g. ``problem(404, "not-found", "Not Found", "Transaction not found")``."""
    body = {"type": PROBLEM_BASE + slug, "title": title, "status": status, "detail": detail, **extra}
    return JsonResponse(body, status=status, content_type="application/problem+json")


def unavailable():
    """What SumUp's edge answers while it is down: 503, a problem body."""
    return problem(
        503, "service-unavailable", "Service Unavailable", "The service is temporarily unavailable."
    )


def too_many_requests():
    return problem(429, "too-many-requests", "Too Many Requests", "Rate limit exceeded.")


def unauthorized():
    return problem(401, "unauthorized", "Unauthorized", "Unauthorized.")


def checkout_not_found():
    return legacy(404, "NOT_FOUND", "Resource not found")


def checkout_forbidden():
    body = {"error_message": "checkout_payments_not_allowed", "error_code": "FORBIDDEN", "status_code": "403"}
    return JsonResponse(body, status=403)


def duplicated_checkout():
    return legacy(
        409, "DUPLICATED_CHECKOUT", "Checkout with this checkout reference and pay to email already exists"
    )


def checkout_processed():
    return legacy(409, "CHECKOUT_PROCESSED", "Checkout is already processed")


def bad_refund_request(detail):
    return problem(400, "bad-request", "Bad Request", detail)


def refund_forbidden():
    return problem(403, "forbidden", "Forbidden", "users is not allowed to make a refund")


def merchant_forbidden():
    """The API key belongs to one merchant; any other merchant code in a path is refused."""
    return problem(403, "forbidden", "Forbidden", "The request is not permitted for this merchant")


def transaction_not_found():
    return problem(404, "not-found", "Not Found", "Transaction not found")


def not_refundable():
    return problem(409, "conflict", "Conflict", "The transaction is not refundable in its current state")


def refund_amount_too_high(max_refundable):
    """422 with SumUp's ``errors[]`` detail; ``max_refundable`` is in major units."""
    error = {
        "code": "INVALID_AMOUNT",
        "detail": "Amount exceeds the refundable amount",
        "reason": "amount_too_high",
        "max_refundable_amount": max_refundable,
    }
    return problem(422, "unprocessable-entity", "Unprocessable Entity", "Refund failed.", errors=[error])


def not_found():
    """Any path the sandbox does not emulate."""
    return legacy(404, "NOT_FOUND", "Resource not found")


def method_not_allowed():
    return legacy(405, "METHOD_NOT_ALLOWED", "Method not allowed")
