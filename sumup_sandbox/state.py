"""Test helpers that write the sandbox's state directly: the "edge of the world".

Tests of our own code must reach the sandbox only through the SDK, like production code
reaches SumUp. What SumUp itself does (a buyer paying, a payment landing on someone else's
account, SumUp reporting an amount we did not ask for) is outside our code, so tests may
arrange it here without HTTP.
"""

from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.crypto import get_random_string

from . import callbacks, services
from .models import SandboxCheckout, SandboxTransaction

FOREIGN_MERCHANT_CODE = "MFOREIGN1"


def get_checkout(checkout_id):
    """The sandbox's row for a checkout id (raises DoesNotExist)."""
    return SandboxCheckout.objects.get(pk=checkout_id)


def press(checkout_id, action="pay", *, notify=True):
    """Press "Pay" or "Decline" on the hosted page, callbacks included, without a browser.

    Returns the checkout afterwards. The forced-failure amounts fail here too.
    """
    outcome = services.press(checkout_id, action)
    if outcome is None:
        raise SandboxCheckout.DoesNotExist(checkout_id)
    if notify and outcome.changed:
        callbacks.notify_status_change(outcome.checkout)
    return outcome.checkout


def mark_paid(checkout_id, amount=None, currency=None, merchant_code=None):
    """Make SumUp report the checkout PAID, with a SUCCESSFUL transaction; no callback sent.

    ``amount``, ``currency`` and ``merchant_code`` replace what SumUp will then report for
    the checkout and its transaction: a payment for the wrong amount, in the wrong
    currency, or to someone else's account, which our confirmation must refuse.
    """
    with transaction.atomic():
        checkout = SandboxCheckout.objects.select_for_update().get(pk=checkout_id)
        if amount is not None:
            checkout.amount = Decimal(str(amount))
        checkout.currency = currency or checkout.currency
        checkout.merchant_code = merchant_code or checkout.merchant_code
        checkout.status = SandboxCheckout.Status.PAID
        checkout.save()
        _successful_transaction(checkout)
    return checkout


def create_foreign_checkout(
    *,
    amount="10.00",
    currency="GBP",
    merchant_code=FOREIGN_MERCHANT_CODE,
    checkout_reference=None,
    description="",
    return_url="",
    paid=True,
):
    """A checkout our site never created, paid by default: e.g. an attacker's own checkout.

    With ``merchant_code=settings.SUMUP_MERCHANT_CODE`` it is instead a payment SumUp holds
    for us that our database does not know about (what reconciliation must find).
    """
    checkout = SandboxCheckout.objects.create(
        checkout_reference=checkout_reference or f"foreign-{get_random_string(12)}",
        merchant_code=merchant_code,
        amount=Decimal(str(amount)),
        currency=currency,
        description=description,
        return_url=return_url,
        hosted_checkout_enabled=True,
        status=SandboxCheckout.Status.PAID if paid else SandboxCheckout.Status.PENDING,
    )
    if paid:
        _successful_transaction(checkout)
    return checkout


def _successful_transaction(checkout):
    """Create the paying transaction, or bring an existing one in line with the checkout."""
    now = timezone.now()
    existing = checkout.successful_transaction
    if existing is not None:
        existing.amount, existing.currency = checkout.amount, checkout.currency
        existing.merchant_code, existing.updated_at = checkout.merchant_code, now
        existing.save()
        return existing
    return SandboxTransaction.objects.create(
        checkout=checkout,
        merchant_code=checkout.merchant_code,
        amount=checkout.amount,
        currency=checkout.currency,
        description=checkout.description,
        status=SandboxTransaction.Status.SUCCESSFUL,
        created_at=now,
        updated_at=now,
    )
