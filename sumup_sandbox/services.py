"""What the sandbox does, apart from HTTP: create, pay, decline, deactivate, refund.

Every state change locks the checkout or transaction row (``select_for_update``; on SQLite
the IMMEDIATE transaction mode serialises writers instead), so two workers handling a
double click, or a payment racing a deactivation, end in one consistent state.
"""

import uuid
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from . import errors
from .errors import ErrorAnswer
from .models import FORCED_FAILURE_AMOUNTS, SandboxCheckout, SandboxRefund, SandboxTransaction

Status = SandboxCheckout.Status


def parse_uuid(value):
    """A UUID from a path segment, or None (an id that cannot exist is simply not found)."""
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def find_checkout(checkout_id, *, with_transactions=True):
    """The checkout, after expiring it if its valid_until has passed; None if unknown.

    One SELECT (and one for its transactions, which the hosted page does not need and skips
    with ``with_transactions=False``). The expiring UPDATE runs only when the row just read
    could have expired (unpaid, with a valid_until that has passed), not on every read: it is
    still the same conditional UPDATE, so a payment that got in between is never overwritten,
    and the row is read again after it so the caller sees what the database then holds.
    """
    pk = parse_uuid(checkout_id)
    if pk is None:
        return None
    checkouts = SandboxCheckout.objects.filter(pk=pk)
    if with_transactions:
        checkouts = checkouts.prefetch_related("transactions")
    chk = checkouts.first()
    if chk is not None and _could_expire(chk):
        SandboxCheckout.expire_overdue(pk=pk)
        chk = checkouts.first()
    return chk


def _could_expire(chk):
    """What ``SandboxCheckout.expire_overdue`` would move to EXPIRED, judged from the row read."""
    unpaid = chk.status in (Status.PENDING, Status.FAILED)
    return unpaid and chk.valid_until is not None and chk.valid_until <= timezone.now()


def checkouts_by_reference(reference=None):
    """``GET /v0.1/checkouts[?checkout_reference=…]``: every match, oldest first."""
    SandboxCheckout.expire_overdue()
    checkouts = SandboxCheckout.objects.prefetch_related("transactions")
    if reference is not None:
        checkouts = checkouts.filter(checkout_reference=reference)
    return list(checkouts)


def create_checkout(request_data):
    """Store a new PENDING checkout; 409 DUPLICATED_CHECKOUT when the reference is taken."""
    fields = {
        "checkout_reference": request_data.checkout_reference,
        "merchant_code": request_data.merchant_code,
        "amount": request_data.amount,
        "currency": request_data.currency,
        "description": request_data.description,
        "return_url": request_data.return_url,
        "redirect_url": request_data.redirect_url,
        "customer_id": request_data.customer_id,
        "purpose": request_data.purpose,
        "valid_until": request_data.valid_until,
        "hosted_checkout_enabled": request_data.hosted_checkout,
    }
    try:
        with transaction.atomic():
            return SandboxCheckout.objects.create(**fields)
    except IntegrityError:
        raise ErrorAnswer(errors.duplicated_checkout())


def deactivate(checkout_id):
    """``DELETE /v0.1/checkouts/{id}``: EXPIRED, unless it is already paid (409)."""
    pk = parse_uuid(checkout_id)
    with transaction.atomic():
        chk = SandboxCheckout.objects.select_for_update().filter(pk=pk).first() if pk else None
        if chk is None:
            raise ErrorAnswer(errors.checkout_not_found())
        if chk.status == Status.PAID:
            raise ErrorAnswer(errors.checkout_processed())
        if chk.status != Status.EXPIRED:
            chk.status = Status.EXPIRED
            chk.save(update_fields=["status", "updated_at"])
    return chk


@dataclass(frozen=True)
class ButtonPress:
    """What pressing a button on the hosted page did."""

    checkout: SandboxCheckout
    changed: bool


def press(checkout_id, action):
    """The buyer pressed "Pay" or "Decline" on the hosted page.

    Pay succeeds unless the amount is one of SumUp's forced-failure amounts; Decline
    fails. A FAILED checkout may be tried again (SumUp allows it); a PAID one never
    changes, and one past valid_until (or deactivated, or whose 30-minute hosted session
    has ended) becomes or stays EXPIRED with no payment taken.
    """
    if action not in ("pay", "decline"):
        raise ValueError(f"unknown action {action!r}")
    pk = parse_uuid(checkout_id)
    with transaction.atomic():
        chk = SandboxCheckout.objects.select_for_update().filter(pk=pk).first() if pk else None
        if chk is None:
            return None
        if chk.status in (Status.PAID, Status.EXPIRED):
            return ButtonPress(chk, changed=False)
        if not chk.payable_now():
            return ButtonPress(chk, changed=_expire_if_due(chk))
        succeeded = action == "pay" and chk.amount not in FORCED_FAILURE_AMOUNTS
        _record_attempt(chk, succeeded)
        return ButtonPress(chk, changed=True)


def _expire_if_due(chk):
    """Past valid_until: EXPIRED. Past only the hosted session: the page expires, not the checkout."""
    if chk.valid_until is None or timezone.now() < chk.valid_until:
        return False
    chk.status = Status.EXPIRED
    chk.save(update_fields=["status", "updated_at"])
    return True


def _record_attempt(chk, succeeded):
    now = timezone.now()
    SandboxTransaction.objects.create(
        checkout=chk,
        merchant_code=chk.merchant_code,
        amount=chk.amount,
        currency=chk.currency,
        description=chk.description,
        status=SandboxTransaction.Status.SUCCESSFUL if succeeded else SandboxTransaction.Status.FAILED,
        created_at=now,
        updated_at=now,
    )
    chk.status = Status.PAID if succeeded else Status.FAILED
    chk.save(update_fields=["status", "updated_at"])


def refund(merchant_code, transaction_id, amount):
    """Refund ``amount`` (None: all that is left) of a transaction of ``merchant_code``.

    Returns the new SandboxRefund, or raises ErrorAnswer with SumUp's 404, 409 or 422.
    """
    pk = parse_uuid(transaction_id)
    with transaction.atomic():
        txn = (
            SandboxTransaction.objects.select_for_update()
            .filter(transaction_id=pk, merchant_code=merchant_code)
            .first()
            if pk
            else None
        )
        if txn is None:
            raise ErrorAnswer(errors.transaction_not_found())
        refundable = txn.refundable_amount
        if refundable <= 0:
            raise ErrorAnswer(errors.not_refundable())
        amount = refundable if amount is None else amount
        if amount > refundable:
            raise ErrorAnswer(errors.refund_amount_too_high(float(refundable)))
        return _record_refund(txn, amount)


def _record_refund(txn, amount):
    now = timezone.now()
    txn.refunded_amount += amount
    if txn.refunded_amount >= txn.amount:
        txn.status = SandboxTransaction.Status.REFUNDED
    txn.updated_at = now
    txn.save(update_fields=["refunded_amount", "status", "updated_at"])
    return SandboxRefund.objects.create(transaction=txn, amount=amount, created_at=now)


def find_transaction(merchant_code, *, transaction_id=None, transaction_code=None):
    """One transaction of the merchant by id or code, or None."""
    transactions = SandboxTransaction.objects.filter(merchant_code=merchant_code).prefetch_related("refunds")
    if transaction_id is not None:
        pk = parse_uuid(transaction_id)
        return transactions.filter(transaction_id=pk).first() if pk else None
    return transactions.filter(transaction_code=transaction_code).first()
