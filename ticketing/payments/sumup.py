"""Our SumUp client: SumUp's official SDK, configured from settings, with our own errors.

Everything that talks to SumUp goes through here, so timeouts, error wording and the
sandbox switch (SUMUP_API_BASE) live in one place. Amounts go out as numbers in major units
rounded to 2 places and come back as Decimal (SumUp sends and expects major units as JSON numbers).
"""

import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from urllib.parse import parse_qs

import httpx
import sumup
from django.conf import settings
from sumup import errors as sumup_errors

logger = logging.getLogger(__name__)

CENTS = Decimal("0.01")


class SumUpError(Exception):
    """SumUp answered with an error; `message` is safe to show to staff."""

    def __init__(self, message, status=None):
        super().__init__(message)
        self.message = message
        self.status = status


class SumUpUnavailable(SumUpError):
    """SumUp could not be reached (connection refused, timeout, 5xx)."""


def money(value) -> Decimal:
    """SumUp's JSON numbers as exact pounds and pence."""
    return Decimal(str(value)).quantize(CENTS, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class CheckoutState:
    """What SumUp says about one checkout, in the shape our code compares."""

    id: str
    checkout_reference: str
    status: str
    amount: Decimal
    currency: str
    merchant_code: str
    description: str = ""
    transaction_id: str = ""
    transaction_code: str = ""
    hosted_checkout_url: str = ""
    raw: dict = field(default_factory=dict)

    @classmethod
    def from_sdk(cls, checkout):
        raw = checkout.model_dump(mode="json", exclude_none=True)
        transaction_id = raw.get("transaction_id") or ""
        transaction_code = raw.get("transaction_code") or ""
        if not transaction_id:
            successful = [t for t in raw.get("transactions") or [] if t.get("status") == "SUCCESSFUL"]
            if successful:
                transaction_id = successful[-1].get("id", "")
                transaction_code = successful[-1].get("transaction_code", "")
        return cls(
            id=raw.get("id", ""),
            checkout_reference=raw.get("checkout_reference", ""),
            status=str(raw.get("status", "")),
            amount=money(raw.get("amount", 0)),
            currency=str(raw.get("currency", "")),
            merchant_code=raw.get("merchant_code", ""),
            description=raw.get("description") or "",
            transaction_id=transaction_id,
            transaction_code=transaction_code,
            hosted_checkout_url=raw.get("hosted_checkout_url") or "",
            raw=raw,
        )


_local = threading.local()


def client() -> sumup.Sumup:
    """One SDK client per thread and configuration (it keeps an HTTP connection pool)."""
    key = (settings.SUMUP_API_BASE, settings.SUMUP_API_KEY, settings.SUMUP_TIMEOUT_SECONDS)
    cached = getattr(_local, "client", None)
    if cached is None or cached[0] != key:
        timeout = httpx.Timeout(
            settings.SUMUP_TIMEOUT_SECONDS, connect=min(5, settings.SUMUP_TIMEOUT_SECONDS)
        )
        _local.client = (key, sumup.Sumup(api_key=settings.SUMUP_API_KEY, base_url=key[0], timeout=timeout))
    return _local.client[1]


class _translate_errors:
    """Turn the SDK's exceptions into ours, with a message fit for a person."""

    def __init__(self, action):
        self.action = action

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc is None:
            return False
        if isinstance(exc, sumup_errors.APIConnectionError | httpx.TransportError):
            logger.warning("SumUp unreachable", extra={"action": self.action, "error": type(exc).__name__})
            raise SumUpUnavailable(f"SumUp could not be reached ({self.action}).") from exc
        if isinstance(exc, sumup_errors.APIError):
            status = exc.status
            logger.warning("SumUp error", extra={"action": self.action, "status": status})
            if status is None or status >= 500 or status == 429:
                raise SumUpUnavailable(f"SumUp is not answering properly ({self.action}).", status) from exc
            raise SumUpError(exc.message or f"SumUp refused to {self.action}.", status) from exc
        if isinstance(exc, ValueError):  # an answer the SDK could not parse
            logger.warning("SumUp answer not understood", extra={"action": self.action})
            raise SumUpError(f"SumUp's answer could not be read ({self.action}).") from exc
        return False


def create_checkout(
    *,
    reference: str,
    amount: Decimal,
    currency: str,
    description: str,
    return_url: str | None,
    redirect_url: str,
    valid_until: datetime,
) -> CheckoutState:
    """A hosted checkout; SumUp calls `return_url` on status changes (left out when None)."""
    optional = {"return_url": return_url} if return_url else {}
    with _translate_errors("create a checkout"):
        checkout = client().checkouts.create(
            checkout_reference=reference,
            amount=float(amount.quantize(CENTS)),
            currency=currency,
            merchant_code=settings.SUMUP_MERCHANT_CODE,
            description=description,
            redirect_url=redirect_url,
            valid_until=valid_until,
            hosted_checkout={"enabled": True},
            **optional,
        )
    return CheckoutState.from_sdk(checkout)


def get_checkout(checkout_id: str) -> CheckoutState:
    with _translate_errors("read a checkout"):
        return CheckoutState.from_sdk(client().checkouts.get(checkout_id))


def deactivate_checkout(checkout_id: str) -> CheckoutState | None:
    """End a checkout so it can no longer be paid. None if SumUp says it is already processed."""
    try:
        with _translate_errors("deactivate a checkout"):
            return CheckoutState.from_sdk(client().checkouts.deactivate(checkout_id))
    except SumUpError as error:
        if error.status == 409:
            return None
        raise


def refund(transaction_id: str, amount: Decimal | None = None) -> None:
    """Refund a transaction (its UUID, not its code); the whole of it when amount is None.

    SumUp answers 201 with an empty body: there is no refund id to keep. A refusal raises
    SumUpError whose message says why, in words staff can act on.
    """
    if not transaction_id:
        raise SumUpError("This payment has no SumUp transaction id, so SumUp cannot refund it.")
    try:
        with _translate_errors("refund a payment"):
            kwargs = {} if amount is None else {"amount": float(amount.quantize(CENTS))}
            client().transactions.refund(settings.SUMUP_MERCHANT_CODE, transaction_id, **kwargs)
    except SumUpUnavailable:
        raise
    except SumUpError as error:
        raise SumUpError(_refund_refusal(error), error.status) from error


def _refund_refusal(error: SumUpError) -> str:
    """SumUp's reason for refusing a refund, as a sentence for staff."""
    cause = error.__cause__
    body = {}
    response = getattr(cause, "response", None)
    if response is not None:
        try:
            body = response.json()
        except ValueError:
            body = {}
    body = body if isinstance(body, dict) else {}
    details = [e for e in body.get("errors") or [] if isinstance(e, dict)]
    if details:
        first = details[0]
        text = str(first.get("detail") or body.get("detail") or error.message)
        if first.get("max_refundable_amount") is not None:
            text += f" (at most {money(first['max_refundable_amount'])} can still be refunded)"
        return f"SumUp refused the refund: {text}."
    detail = str(body.get("detail") or body.get("message") or error.message).rstrip(".")
    reasons = {
        404: "SumUp does not know this transaction",
        409: "SumUp says the payment cannot be refunded in its current state",
        403: "SumUp does not allow this account to refund",
    }
    reason = reasons.get(error.status)
    return f"{reason} ({detail})." if reason else f"SumUp refused the refund: {detail}."


# --- Signed event notifications ------------------------------------------------------------

SIGNATURE_HEADER = "X-SumUp-Webhook-Signature"


class SignatureInvalid(Exception):
    """A delivery's signature is missing, wrong, or outside SumUp's five-minute window."""


def verify_signature(secret: str, body: bytes, header: str | None) -> None:
    """Check `X-SumUp-Webhook-Signature` with the SDK's own verifier (constant-time, ±300 s).

    Raises SignatureInvalid. Only proves the body came from SumUp recently; what it says about
    a checkout is still confirmed by asking the API.
    """
    from sumup.events import EventPayloadError, EventSignatureError, verify_event_signature

    try:
        verify_event_signature(secret, body, header)
    except (EventSignatureError, EventPayloadError) as error:
        raise SignatureInvalid(str(error)) from error


# --- Transaction history --------------------------------------------------------------------

HISTORY_PAGE_SIZE = 100
MAX_HISTORY_PAGES = 1000  # a safety stop: 100,000 transactions per run


@dataclass(frozen=True)
class HistoryItem:
    """One item of SumUp's transaction history: a PAYMENT, or a REFUND naming the payment."""

    id: str
    type: str
    status: str
    transaction_id: str
    transaction_code: str
    amount: Decimal
    currency: str
    refunded_amount: Decimal
    product_summary: str
    timestamp: datetime | None

    @classmethod
    def from_sdk(cls, item):
        raw = item.model_dump(mode="python")
        return cls(
            id=str(raw.get("id") or ""),
            type=str(raw.get("type") or ""),
            status=str(raw.get("status") or ""),
            transaction_id=str(raw.get("transaction_id") or ""),
            transaction_code=str(raw.get("transaction_code") or ""),
            amount=money(raw.get("amount") or 0),
            currency=str(raw.get("currency") or ""),
            refunded_amount=money(raw.get("refunded_amount") or 0),
            product_summary=str(raw.get("product_summary") or ""),
            timestamp=raw.get("timestamp"),
        )


def _next_page_query(links) -> dict | None:
    """The `rel=next` link's query string as keyword arguments for the SDK's `list`."""
    for link in links or []:
        if getattr(link, "rel", None) == "next" and getattr(link, "href", None):
            params = parse_qs(link.href.split("?", 1)[-1])
            query = {key: values[0] for key, values in params.items() if not key.endswith("[]")}
            query.update({key[:-2]: values for key, values in params.items() if key.endswith("[]")})
            if "limit" in query:
                query["limit"] = int(query["limit"])
            return query
    return None


def transaction_history(since: datetime | None = None) -> Iterator[HistoryItem]:
    """Every transaction of our merchant created at or after `since`, oldest first, page by page.

    Follows SumUp's cursor (`links[rel=next]`) to the end. Raises SumUpError if SumUp cannot
    answer; items already yielded stay valid.
    """
    query = {"order": "ascending", "limit": HISTORY_PAGE_SIZE}
    if since is not None:
        query["oldest_time"] = since
    seen_cursors = set()
    for _page in range(MAX_HISTORY_PAGES):
        with _translate_errors("read the transaction history"):
            page = client().transactions.list(settings.SUMUP_MERCHANT_CODE, **query)
        for item in page.items or []:
            yield HistoryItem.from_sdk(item)
        query = _next_page_query(page.links)
        cursor = repr(sorted(query.items())) if query else None
        if query is None or cursor in seen_cursors:
            return
        seen_cursors.add(cursor)
    logger.warning("transaction history longer than the safety stop", extra={"pages": MAX_HISTORY_PAGES})


def refunded_amount(transaction_id: str) -> Decimal:
    """How much of a transaction SumUp has refunded so far (its REFUND events, summed)."""
    with _translate_errors("read a transaction"):
        transaction = client().transactions.get(settings.SUMUP_MERCHANT_CODE, id=transaction_id)
    events = transaction.transaction_events or []
    return sum(
        (money(e.amount or 0) for e in events if str(e.event_type or "").upper() == "REFUND"), Decimal("0.00")
    )
