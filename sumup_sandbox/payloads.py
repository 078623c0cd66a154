"""The JSON bodies the sandbox answers with, in SumUp's shapes.

Money is Decimal everywhere inside the sandbox and becomes a JSON number only here, as
SumUp sends it (``"amount": 10.0``). Optional fields that are empty are left out rather
than sent as null, which is how SumUp's own examples look.
"""

from datetime import UTC

from django.conf import settings

from .models import SandboxTransaction

PAYMENT_TYPE = "ECOM"
ENTRY_MODE = "CUSTOMER_ENTRY"


def merchant_name():
    return getattr(settings, "SUMUP_SANDBOX_MERCHANT_NAME", "Sandbox Merchant")


def merchant_email():
    return getattr(settings, "SUMUP_SANDBOX_MERCHANT_EMAIL", "merchant@example.com")


def money(value):
    """A Decimal as the JSON number SumUp sends (major units)."""
    return float(value)


def timestamp(value):
    """SumUp's timestamp style: UTC with milliseconds, ``2018-09-28T13:47:01.832+00:00``."""
    return value.astimezone(UTC).isoformat(timespec="milliseconds") if value else None


def _without_empty(data):
    return {key: value for key, value in data.items() if value not in (None, "")}


def checkout_transaction(txn):
    """One item of a checkout's ``transactions[]`` (shaped like SumUp's published example)."""
    return _without_empty(
        {
            "id": str(txn.transaction_id),
            "transaction_code": txn.transaction_code,
            "merchant_code": txn.merchant_code,
            "amount": money(txn.amount),
            "vat_amount": 0.0,
            "tip_amount": 0.0,
            "currency": txn.currency,
            "timestamp": timestamp(txn.created_at),
            "status": txn.status,
            "payment_type": PAYMENT_TYPE,
            "entry_mode": ENTRY_MODE,
            "installments_count": 1,
            "auth_code": txn.auth_code if txn.status in SandboxTransaction.PAID_STATUSES else None,
            "internal_id": txn.pk,
        }
    )


def checkout(chk, hosted_checkout_url=None):
    """A checkout as ``GET /v0.1/checkouts/{id}`` returns it (``CheckoutSuccess``).

    ``transaction_id`` and ``transaction_code`` name the successful transaction and are
    present only once the checkout is paid.
    """
    transactions = list(chk.transactions.all())
    paid = next((t for t in transactions if t.status in SandboxTransaction.PAID_STATUSES), None)
    body = {
        "checkout_reference": chk.checkout_reference,
        "amount": money(chk.amount),
        "currency": chk.currency,
        "merchant_code": chk.merchant_code,
        "merchant_name": merchant_name(),
        "merchant_country": "GB",
        "description": chk.description,
        "return_url": chk.return_url,
        "redirect_url": chk.redirect_url,
        "customer_id": chk.customer_id,
        "purpose": chk.purpose,
        "checkout_type": "checkout",
        "id": str(chk.id),
        "status": chk.status,
        "date": timestamp(chk.created_at),
        "valid_until": timestamp(chk.valid_until),
        "transaction_code": paid.transaction_code if paid else None,
        "transaction_id": str(paid.transaction_id) if paid else None,
        "transactions": [checkout_transaction(t) for t in transactions],
    }
    if chk.hosted_checkout_enabled:
        body["hosted_checkout"] = {"enabled": True}
        body["hosted_checkout_url"] = hosted_checkout_url
    return _without_empty(body)


def history_payment(txn):
    """A payment attempt as an item of the transaction history (``TransactionHistory``)."""
    return _without_empty(
        {
            "id": str(txn.transaction_id),
            "transaction_id": str(txn.transaction_id),
            "transaction_code": txn.transaction_code,
            "amount": money(txn.amount),
            "currency": txn.currency,
            "timestamp": timestamp(txn.created_at),
            "status": txn.status,
            "type": "PAYMENT",
            "payment_type": PAYMENT_TYPE,
            "installments_count": 1,
            "merchant_code": txn.merchant_code,
            "product_summary": txn.description,
            "user": merchant_email(),
            "payout_plan": "SINGLE_PAYMENT",
            "payouts_total": 1,
            "payouts_received": 0,
            "payout_type": "BANK_ACCOUNT",
            "refunded_amount": money(txn.refunded_amount),
        }
    )


def history_refund(refund):
    """A refund as its own history item (type ``REFUND``).

    Its ``id`` is the refund's own (the cursor for pagination); ``transaction_id`` and
    ``transaction_code`` name the payment it refunds, so reconciliation can pair them.
    """
    txn = refund.transaction
    return _without_empty(
        {
            "id": str(refund.ref),
            "transaction_id": str(txn.transaction_id),
            "transaction_code": txn.transaction_code,
            "amount": money(refund.amount),
            "currency": txn.currency,
            "timestamp": timestamp(refund.created_at),
            "status": SandboxTransaction.Status.SUCCESSFUL,
            "type": "REFUND",
            "payment_type": PAYMENT_TYPE,
            "installments_count": 1,
            "merchant_code": txn.merchant_code,
            "product_summary": txn.description,
            "user": merchant_email(),
        }
    )


def _simple_status(txn):
    if txn.refunded_amount > 0:
        return "REFUNDED"
    return txn.status


def transaction_full(txn, refund_href):
    """A transaction as ``GET /v2.1/merchants/{mc}/transactions?id=…`` returns it."""
    refunds = list(txn.refunds.all())
    links = []
    if txn.refundable_amount > 0:
        links.append(
            {
                "rel": "refund",
                "href": refund_href,
                "type": "application/json",
                "min_amount": 0.01,
                "max_amount": money(txn.refundable_amount),
            }
        )
    return _without_empty(
        {
            "id": str(txn.transaction_id),
            "transaction_code": txn.transaction_code,
            "merchant_code": txn.merchant_code,
            "amount": money(txn.amount),
            "currency": txn.currency,
            "timestamp": timestamp(txn.created_at),
            "status": txn.status,
            "simple_status": _simple_status(txn),
            "payment_type": PAYMENT_TYPE,
            "simple_payment_type": "CC_CUSTOMER_ENTERED",
            "entry_mode": ENTRY_MODE,
            "installments_count": 1,
            "auth_code": txn.auth_code if txn.status in SandboxTransaction.PAID_STATUSES else None,
            "product_summary": txn.description,
            "username": merchant_email(),
            "fee_amount": 0.0,
            "vat_amount": 0.0,
            "tip_amount": 0.0,
            "refunded_amount": money(txn.refunded_amount),
            "events": [_event(txn, r) for r in refunds],
            "transaction_events": [_transaction_event(r) for r in refunds],
            "links": links,
        }
    )


def _event(txn, refund):
    return {
        "id": refund.pk,
        "transaction_id": str(txn.transaction_id),
        "type": "REFUND",
        "status": "REFUNDED",
        "amount": money(refund.amount),
        "timestamp": timestamp(refund.created_at),
    }


def _transaction_event(refund):
    return {
        "id": refund.pk,
        "event_type": "REFUND",
        "status": "REFUNDED",
        "amount": money(refund.amount),
        "date": refund.created_at.astimezone(UTC).date().isoformat(),
        "timestamp": timestamp(refund.created_at),
    }
