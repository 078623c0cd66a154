"""Reading what clients send: JSON bodies, amounts, dates, query parameters.

Everything here raises ``ErrorAnswer`` carrying SumUp's own 4xx body, so bad input of any
kind gets a clear answer and never a 500.
"""

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from urllib.parse import urlsplit

from django.utils.dateparse import parse_datetime

from . import errors
from .errors import ErrorAnswer

# The currencies SumUp's API accepts: its ``Currency`` enum.
CURRENCIES = frozenset(
    [
        "BGN",
        "BRL",
        "CHF",
        "CLP",
        "COP",
        "CZK",
        "DKK",
        "EUR",
        "GBP",
        "HRK",
        "HUF",
        "NOK",
        "PLN",
        "RON",
        "SEK",
        "USD",
    ]
)
PURPOSES = frozenset({"CHECKOUT", "SETUP_RECURRING_PAYMENT"})
MAX_REFERENCE_LENGTH = 64
# Far above any ticket order, far below what the DecimalField(12, 2) columns hold.
MAX_AMOUNT = Decimal("1000000000")
CENT = Decimal("0.01")
FLOAT_NOISE = Decimal("0.000001")


def _reject_constant(name):
    raise ValueError(f"{name} is not valid JSON")


def json_body(request, *, empty=None):
    """The request body as JSON, with numbers as Decimal; ``empty`` when there is none.

    Raises ValueError for anything that is not valid JSON (NaN and Infinity included:
    they are not JSON, even though Python's parser accepts them by default).
    """
    raw = request.body
    if not raw.strip():
        return empty
    text = raw.decode("utf-8")  # UnicodeDecodeError is a ValueError
    return json.loads(text, parse_float=Decimal, parse_constant=_reject_constant)


def amount(value):
    """A JSON number as a Decimal of pounds and pence, or None when it is not one.

    Clients send floats, so ``0.1 + 0.2`` arrives as 0.30000000000000004: a float's
    rounding noise is forgiven, a real third decimal place (10.005) is not.
    """
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        return None
    try:
        result = Decimal(value)
        rounded = result.quantize(CENT, rounding=ROUND_HALF_UP)
    except InvalidOperation:
        return None
    if abs(result - rounded) > FLOAT_NOISE:
        return None
    return rounded


def datetime_value(value):
    """An ISO 8601 date-time (naive means UTC), or None when it is not one.

    A ``+`` in a time zone offset turns into a space when a query string is built by hand
    without encoding it; put it back rather than refusing the request.
    """
    if not isinstance(value, str):
        return None
    text = value.strip()
    if " " in text and "T" in text:
        text = text.replace(" ", "+")
    try:
        parsed = parse_datetime(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def is_http_url(value):
    """http(s) with a host: enough for a URL the sandbox will call or link to."""
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.netloc)


@dataclass(frozen=True)
class CheckoutRequest:
    """A validated ``POST /v0.1/checkouts`` body."""

    checkout_reference: str
    amount: Decimal
    currency: str
    merchant_code: str
    description: str = ""
    return_url: str = ""
    redirect_url: str = ""
    customer_id: str = ""
    purpose: str = "CHECKOUT"
    valid_until: datetime | None = None
    hosted_checkout: bool = False


def _required_string(body, name, max_length=None):
    value = body.get(name)
    if value is None or value == "":
        raise ErrorAnswer(errors.validation_error("MISSING", name))
    if not isinstance(value, str) or (max_length and len(value) > max_length):
        raise ErrorAnswer(errors.validation_error("INVALID", name))
    return value


def _optional_string(body, name, check=None):
    value = body.get(name)
    if value is None:
        return ""
    if not isinstance(value, str) or (check and not check(value)):
        raise ErrorAnswer(errors.validation_error("INVALID", name))
    return value


def _required_amount(body):
    if body.get("amount") is None:
        raise ErrorAnswer(errors.validation_error("MISSING", "amount"))
    value = amount(body["amount"])
    if value is None or value <= 0 or value > MAX_AMOUNT:
        raise ErrorAnswer(errors.validation_error("INVALID", "amount"))
    return value


def _hosted_checkout(body):
    value = body.get("hosted_checkout")
    if value is None:
        return False
    if not isinstance(value, dict):
        raise ErrorAnswer(errors.validation_error("INVALID", "hosted_checkout"))
    if value.get("enabled") is None:
        raise ErrorAnswer(errors.validation_error("MISSING", "hosted_checkout.enabled"))
    if not isinstance(value["enabled"], bool):
        raise ErrorAnswer(errors.validation_error("INVALID", "hosted_checkout.enabled"))
    return value["enabled"]


def _valid_until(body):
    value = body.get("valid_until")
    if value is None:
        return None
    parsed = datetime_value(value)
    if parsed is None:
        raise ErrorAnswer(errors.validation_error("INVALID", "valid_until"))
    return parsed


def checkout_request(body):
    """Validate a create-checkout body in the order SumUp lists its required fields."""
    if not isinstance(body, dict):
        raise ErrorAnswer(errors.validation_error("INVALID", "body"))
    reference = _required_string(body, "checkout_reference", MAX_REFERENCE_LENGTH)
    value = _required_amount(body)
    currency = _required_string(body, "currency")
    if currency not in CURRENCIES:
        raise ErrorAnswer(errors.validation_error("INVALID", "currency"))
    merchant_code = _required_string(body, "merchant_code", 32)
    purpose = _optional_string(body, "purpose", lambda p: p in PURPOSES) or "CHECKOUT"
    return CheckoutRequest(
        checkout_reference=reference,
        amount=value,
        currency=currency,
        merchant_code=merchant_code,
        description=_optional_string(body, "description"),
        return_url=_optional_string(body, "return_url", is_http_url),
        redirect_url=_optional_string(body, "redirect_url", is_http_url),
        customer_id=_optional_string(body, "customer_id", lambda c: len(c) <= 255),
        purpose=purpose,
        valid_until=_valid_until(body),
        hosted_checkout=_hosted_checkout(body),
    )


def refund_amount(body):
    """The optional ``amount`` of a refund body; None asks for a full refund."""
    if body is None:
        return None
    if not isinstance(body, dict):
        raise ErrorAnswer(errors.bad_refund_request("request body must be a JSON object"))
    if body.get("amount") is None:
        return None
    value = amount(body["amount"])
    if value is None:
        raise ErrorAnswer(errors.bad_refund_request("amount must be a number with at most two decimals"))
    if value <= 0:
        raise ErrorAnswer(errors.bad_refund_request("amount must be greater than zero"))
    return value
