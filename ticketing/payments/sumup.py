"""Our SumUp client: SumUp's official SDK, configured from settings, with our own errors.

Everything that talks to SumUp goes through here, so timeouts, error wording and the
sandbox switch (SUMUP_API_BASE) live in one place. Amounts go out as numbers in major units
rounded to 2 places and come back as Decimal (SUMUP.md §8).
"""

import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

import httpx
import sumup
from django.conf import settings
from sumup import _exceptions as sumup_errors

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
    return_url: str,
    redirect_url: str,
    valid_until: datetime,
) -> CheckoutState:
    with _translate_errors("create a checkout"):
        checkout = client().checkouts.create(
            checkout_reference=reference,
            amount=float(amount.quantize(CENTS)),
            currency=currency,
            merchant_code=settings.SUMUP_MERCHANT_CODE,
            description=description,
            return_url=return_url,
            redirect_url=redirect_url,
            valid_until=valid_until,
            hosted_checkout={"enabled": True},
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
    """Refund a transaction (its UUID, not its code); the whole of it when amount is None."""
    with _translate_errors("refund a payment"):
        kwargs = {} if amount is None else {"amount": float(amount.quantize(CENTS))}
        client().transactions.refund(settings.SUMUP_MERCHANT_CODE, transaction_id, **kwargs)
