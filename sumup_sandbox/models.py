"""The SumUp sandbox's own state: checkouts, payment attempts and refunds.

State lives in the database, not in memory, because several gunicorn workers serve the
sandbox and a checkout created by one must be payable through another. The tables are the
"far side" of the integration: nothing in the ticketing app may read them; it only talks to
them through the SDK over HTTP, exactly as it talks to the real SumUp.
"""

import secrets
import string
import uuid
from datetime import timedelta
from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.utils import timezone

# Like SumUp's own sandbox: a checkout for one of these amounts always fails.
FORCED_FAILURE_AMOUNTS = frozenset(Decimal(a) for a in ("11.00", "42.01", "42.76", "42.91"))

# SumUp documents that "a Hosted Checkout session is available for 30 minutes".
HOSTED_SESSION_LIFETIME = timedelta(minutes=30)

_CODE_ALPHABET = string.ascii_uppercase + string.digits


def new_transaction_code():
    """A 10-character code shaped like SumUp's (e.g. ``TFDCP3FLQ7``)."""
    return "T" + "".join(secrets.choice(_CODE_ALPHABET) for _ in range(9))


def new_auth_code():
    """The six-digit authorisation code a card issuer would send."""
    return f"{secrets.randbelow(1_000_000):06d}"


class SandboxCheckout(models.Model):
    """One checkout, as SumUp stores it after ``POST /v0.1/checkouts``."""

    class Status(models.TextChoices):
        PENDING = "PENDING"
        FAILED = "FAILED"
        PAID = "PAID"
        EXPIRED = "EXPIRED"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    checkout_reference = models.CharField(max_length=64)
    merchant_code = models.CharField(max_length=32)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3)
    description = models.TextField(blank=True)
    return_url = models.TextField(blank=True)
    redirect_url = models.TextField(blank=True)
    customer_id = models.CharField(max_length=255, blank=True)
    purpose = models.CharField(max_length=32, default="CHECKOUT")
    hosted_checkout_enabled = models.BooleanField(default=False)
    valid_until = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            # SumUp answers 409 DUPLICATED_CHECKOUT for a reused reference; the constraint
            # makes that hold when two workers create the same reference at once.
            models.UniqueConstraint(
                fields=["merchant_code", "checkout_reference"], name="sandbox_unique_checkout_reference"
            )
        ]

    def __str__(self):
        return f"{self.checkout_reference} ({self.status})"

    @property
    def successful_transaction(self):
        """The transaction that paid this checkout, or None."""
        return self.transactions.filter(status__in=SandboxTransaction.PAID_STATUSES).first()

    def payable_now(self, now=None):
        """Can the buyer still pay? Not after valid_until, nor after the hosted session ends."""
        now = now or timezone.now()
        if self.status not in (self.Status.PENDING, self.Status.FAILED):
            return False
        if self.valid_until is not None and now >= self.valid_until:
            return False
        return now < self.created_at + HOSTED_SESSION_LIFETIME

    @classmethod
    def expire_overdue(cls, **filters):
        """Move unpaid checkouts whose valid_until has passed to EXPIRED.

        One conditional UPDATE, so it is safe to run from any worker at any time and a
        payment that got in first is never overwritten.
        """
        return cls.objects.filter(
            Q(status=cls.Status.PENDING) | Q(status=cls.Status.FAILED),
            valid_until__lte=timezone.now(),
            **filters,
        ).update(status=cls.Status.EXPIRED, updated_at=timezone.now())


class SandboxTransaction(models.Model):
    """One payment attempt on a checkout (successful or failed), as a SumUp transaction.

    The integer primary key doubles as SumUp's ``internal_id`` and breaks ties when the
    transaction history is ordered by time.
    """

    class Status(models.TextChoices):
        SUCCESSFUL = "SUCCESSFUL"
        FAILED = "FAILED"
        CANCELLED = "CANCELLED"
        PENDING = "PENDING"
        REFUNDED = "REFUNDED"

    PAID_STATUSES = (Status.SUCCESSFUL, Status.REFUNDED)

    transaction_id = models.UUIDField(unique=True, default=uuid.uuid4, editable=False)
    transaction_code = models.CharField(max_length=16, unique=True, default=new_transaction_code)
    checkout = models.ForeignKey(
        SandboxCheckout, null=True, blank=True, on_delete=models.CASCADE, related_name="transactions"
    )
    merchant_code = models.CharField(max_length=32)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3)
    description = models.TextField(blank=True)
    status = models.CharField(max_length=16, choices=Status.choices)
    refunded_amount = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0.00"))
    auth_code = models.CharField(max_length=6, blank=True, default=new_auth_code)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.transaction_code} {self.amount} {self.currency} ({self.status})"

    @property
    def refundable_amount(self):
        """What may still be refunded: nothing unless the payment went through."""
        if self.status not in self.PAID_STATUSES:
            return Decimal("0.00")
        return self.amount - self.refunded_amount


class SandboxRefund(models.Model):
    """One refund of a transaction. It appears in the history as its own REFUND item."""

    ref = models.UUIDField(unique=True, default=uuid.uuid4, editable=False)
    transaction = models.ForeignKey(SandboxTransaction, on_delete=models.CASCADE, related_name="refunds")
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"Refund {self.amount} of {self.transaction.transaction_code}"
