"""Reconciliation: SumUp's transaction history against our payments and refunds; differences go to staff.

Webhooks can be lost and code can be wrong; SumUp's transaction history is "the authoritative
record of payment outcomes". `reconcile_payments` walks it (every cursor page since a date)
and compares, transaction by transaction:

* paid at SumUp, not here: a payment we hold no paid order for. When it belongs to one of our
  payments (matched by transaction id, or for a missed webhook by the order reference we put
  in the checkout's description), it goes through the normal confirmation path first,
  `refresh_payment`, which confirms the order, re-reserves a late one, or refunds a duplicate.
  Only money still held with no paid order for it afterwards is a mismatch;
* paid here, not at SumUp: a payment we hold as PAID with no successful transaction at SumUp;
* amount or currency differences between a transaction and the payment we asked for;
* refunds on one side only: SumUp's refunded total for a transaction against our succeeded
  `Refund` rows for it.

Findings are stored as `ReconciliationMismatch` rows (keyed, so a daily run updates rather than
repeats them), shown to staff in the admin, and new ones are alerted on. A mismatch that a
later run no longer finds is closed automatically, with a note. Safe to run at any time and
twice: everything it does is idempotent.
"""

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import Q, Sum
from django.utils import timezone
from wagtail.log_actions import log

from core.money import format_money
from core.wording import counted
from ticketing import alerts
from ticketing.models import Order, Payment, ReconciliationMismatch, Refund
from ticketing.payments import refunds, sumup
from ticketing.payments.confirmation import Outcome, refresh_payment

logger = logging.getLogger(__name__)

DEFAULT_LOOKBACK = timedelta(days=3)  # a daily run overlaps the last two: a missed run loses nothing
MONEY_TAKEN = frozenset({"SUCCESSFUL", "REFUNDED"})  # REFUNDED: taken, then given back (in part or whole)
ZERO = Decimal("0.00")
Kind = ReconciliationMismatch.Kind
# Kinds this module finds, and may close when a later run no longer finds them.
RECONCILED_KINDS = (
    Kind.PAID_AT_SUMUP_ONLY,
    Kind.PAID_HERE_ONLY,
    Kind.REFUND_AT_SUMUP_ONLY,
    Kind.REFUND_HERE_ONLY,
)


@dataclass
class Finding:
    kind: str
    key: str
    detail: str
    order: Order | None = None
    payment: Payment | None = None
    transaction_id: str = ""
    transaction_code: str = ""
    sumup_amount: Decimal | None = None
    our_amount: Decimal | None = None
    currency: str = ""
    resolution: str = ""  # set: fixed by this run (a missed payment confirmed), recorded as resolved


@dataclass
class Report:
    since: datetime
    sumup_items: int = 0
    payments_checked: int = 0
    findings: list[Finding] = field(default_factory=list)
    new: list[ReconciliationMismatch] = field(default_factory=list)
    closed: int = 0

    @property
    def open_findings(self):
        return [f for f in self.findings if not f.resolution]

    @property
    def fixed(self):
        return [f for f in self.findings if f.resolution]

    def summary(self) -> str:
        return (
            f"{counted(len(self.open_findings), 'mismatch', 'mismatches')}, {len(self.new)} new; "
            f"{counted(len(self.fixed), 'missed payment', 'missed payments')} confirmed; {self.closed} closed"
        )

    def lines(self) -> list[str]:
        new_keys = {m.key for m in self.new}
        lines = [
            f"Reconciliation with SumUp since {timezone.localtime(self.since):%Y-%m-%d %H:%M %Z}: "
            f"{counted(self.sumup_items, 'SumUp transaction', 'SumUp transactions')}, "
            f"{counted(self.payments_checked, 'payment', 'payments')} here checked.",
        ]
        if self.fixed:
            lines.append(f"Confirmed through the normal payment path ({len(self.fixed)}):")
            lines += [f"  FIXED {f.detail}" for f in self.fixed]
        if self.open_findings:
            lines.append(f"Mismatches ({len(self.open_findings)}, {len(self.new)} new):")
            for finding in self.open_findings:
                marker = "NEW  " if finding.key in new_keys else "     "
                lines.append(f"  {marker}{Kind(finding.kind).label}: {finding.detail}")
        else:
            lines.append("No mismatches.")
        if self.closed:
            lines.append(
                f"Closed {counted(self.closed, 'earlier mismatch', 'earlier mismatches')} no longer found."
            )
        return lines


def reconcile_payments(since: datetime | None = None) -> Report:
    """Compare SumUp's history since `since` (default: 3 days ago) with ours; store, alert, report.

    Raises sumup.SumUpError if SumUp's history cannot be read; nothing is recorded then.
    """
    since = since or timezone.now() - DEFAULT_LOOKBACK
    # Refunds whose answer was lost are settled first, so they are compared as what they are.
    refunds.settle_unknown_refunds()
    items = list(sumup.transaction_history(since))
    report = Report(since=since, sumup_items=len(items))
    payments_at_sumup = {
        item.transaction_id: item
        for item in items
        if item.type == "PAYMENT" and item.status in MONEY_TAKEN and item.transaction_id
    }
    refunded_at_sumup = {
        item.transaction_id for item in items if item.type == "REFUND" and item.transaction_id
    }

    matched: dict[str, Payment] = {}
    for item in payments_at_sumup.values():
        payment = _check_sumup_payment(item, report)
        if payment is not None:
            matched[item.transaction_id] = payment
    ours = _check_our_payments(since, payments_at_sumup, report)
    _check_refunds(since, payments_at_sumup, refunded_at_sumup, matched, report)
    _store(report, examined={*payments_at_sumup, *refunded_at_sumup, *ours})
    alerts.reconciliation_mismatches(report.new)
    logger.info("reconciliation finished", extra={"summary": report.summary()})
    return report


def run_scheduled() -> str:
    """The daily job (ticketing.schedule): reconcile the last few days; a one-line result.

    If SumUp cannot be read, staff are alerted and the run ends there; the next day's run
    looks back far enough (DEFAULT_LOOKBACK) to cover the day missed.
    """
    try:
        return reconcile_payments().summary()
    except sumup.SumUpError as error:
        logger.error("reconciliation could not read SumUp", extra={"error": error.message})
        alerts.send_alert(
            "Reconciliation could not read SumUp's transaction history",
            [
                error.message,
                "It will be tried again at its next daily run; `manage.py reconcile_payments` runs it now.",
            ],
            once_key="reconcile-unavailable",
            level="error",
        )
        return f"not run: {error.message}"[:255]


# --- Paid at SumUp ----------------------------------------------------------------------------


def _check_sumup_payment(item: sumup.HistoryItem, report: Report) -> Payment | None:
    """One payment SumUp took: find ours, confirm it through the normal path, compare."""
    payment = _payment_for(item.transaction_id, item.transaction_code)
    outcome = None
    if payment is None:
        payment, outcome = _recover_missed_payment(item)
    elif _worth_refreshing(payment):
        outcome = _refresh(payment)
    if payment is None:
        report.findings.append(
            Finding(
                Kind.PAID_AT_SUMUP_ONLY,
                f"paid_at_sumup_only:{item.transaction_id}",
                f"SumUp transaction {item.transaction_code or item.transaction_id} of {format_money(item.amount, item.currency)} "
                f"(“{item.product_summary[:60]}”) matches no payment here.",
                transaction_id=item.transaction_id,
                transaction_code=item.transaction_code,
                sumup_amount=item.amount,
                currency=item.currency,
            )
        )
        return None
    report.payments_checked += 1
    payment.refresh_from_db()
    order = Order.objects.get(pk=payment.order_id)
    common = {
        "order": order,
        "payment": payment,
        "transaction_id": item.transaction_id,
        "transaction_code": item.transaction_code,
        "sumup_amount": item.amount,
        "our_amount": payment.amount,
        "currency": item.currency,
    }
    if outcome in (Outcome.CONFIRMED, Outcome.LATE_CONFIRMED):
        report.findings.append(
            Finding(
                Kind.CONFIRMED_LATE,
                f"confirmed_late:{item.transaction_id}",
                f"Order {order.reference} was paid at SumUp ({item.transaction_code}) but not confirmed here: "
                f"now confirmed ({outcome}).",
                resolution=f"Confirmed by reconciliation ({outcome})",
                **common,
            )
        )
    if item.amount != sumup.money(payment.amount):
        report.findings.append(
            Finding(
                Kind.AMOUNT,
                f"{Kind.AMOUNT}:payment:{payment.pk}",
                f"Order {order.reference}: SumUp took {format_money(item.amount, item.currency)} "
                f"({item.transaction_code}), the payment asked for {format_money(payment.amount, payment.currency)}.",
                **common,
            )
        )
    if item.currency != payment.currency:
        report.findings.append(
            Finding(
                Kind.CURRENCY,
                f"{Kind.CURRENCY}:payment:{payment.pk}",
                f"Order {order.reference}: SumUp took {format_money(item.amount, item.currency)} "
                f"({item.transaction_code}), the payment asked for {format_money(payment.amount, payment.currency)}.",
                **common,
            )
        )
    held = item.amount - item.refunded_amount
    if held > ZERO and not _accounted_for(order, payment):
        if order.status in Order.WAS_PAID:
            why = f"a second payment for order {order.reference}, which another payment paid"
        else:
            why = f"order {order.reference} is {order.get_status_display().lower()} and has no tickets for it"
        report.findings.append(
            Finding(
                Kind.PAID_AT_SUMUP_ONLY,
                f"paid_at_sumup_only:{item.transaction_id}",
                f"SumUp holds {format_money(held, item.currency)} of transaction {item.transaction_code}: {why}. Refund it or fix the order.",
                **common,
            )
        )
    return payment


def _payment_for(transaction_id: str, transaction_code: str = "") -> Payment | None:
    """Our payment for a SumUp transaction, by its id (or its code), if we recorded it."""
    payments = Payment.objects.select_related("order")
    found = payments.filter(transaction_id=transaction_id).first() if transaction_id else None
    if found is None and transaction_code:
        found = payments.filter(transaction_code=transaction_code).first()
    return found


def _recover_missed_payment(item: sumup.HistoryItem) -> tuple[Payment | None, str | None]:
    """A payment we never heard about: find its order by the reference in the checkout's
    description, and let the normal path ask SumUp about that order's payments."""
    words = item.product_summary.split()
    order = Order.objects.filter(reference=words[0]).first() if words else None
    if order is None:
        return None, None
    unsettled = order.payments.filter(~Q(status=Payment.Status.PAID) | Q(transaction_id=""))
    for candidate in unsettled.select_related("order"):
        outcome = _refresh(candidate)
        candidate.refresh_from_db()
        if candidate.transaction_id == item.transaction_id:
            return candidate, outcome
    return _payment_for(item.transaction_id, item.transaction_code), None


def _refresh(payment: Payment) -> str | None:
    try:
        return refresh_payment(payment)
    except sumup.SumUpError:
        logger.warning("reconciliation could not refresh a payment", extra={"order": payment.order.reference})
        return None


def _worth_refreshing(payment: Payment) -> bool:
    """Could the normal confirmation path still do something for this payment?"""
    if payment.confirmed_at is not None:
        return False  # it paid its order: settled
    automatic = payment.refunds.filter(kind__in=Refund.AUTOMATIC_KINDS)
    if automatic.filter(status=Refund.Status.SUCCEEDED).exists():
        return False  # given back already
    if automatic.filter(status=Refund.Status.FAILED).exists():
        return True  # the refund is tried again
    return payment.order.status != Order.Status.NEEDS_REVIEW  # in review: a person has it


def _accounted_for(order: Order, payment: Payment) -> bool:
    """Is the money of this payment matched by something here: tickets it paid for, or refunds?"""
    if payment.confirmed_at is not None and order.status in Order.WAS_PAID:
        return True
    return refunds.refundable(payment) == ZERO


# --- Paid here ----------------------------------------------------------------------------------


def _check_our_payments(since: datetime, payments_at_sumup: dict, report: Report) -> set[str]:
    """Our PAID payments created in the window must have a successful transaction at SumUp.

    Returns the transaction ids of the payments it looked at."""
    codes = {item.transaction_code for item in payments_at_sumup.values() if item.transaction_code}
    ours = list(
        Payment.objects.filter(status=Payment.Status.PAID, created_at__gte=since).select_related("order")
    )
    for payment in ours:
        if payment.transaction_id in payments_at_sumup or (
            payment.transaction_code and payment.transaction_code in codes
        ):
            continue
        report.payments_checked += 1
        report.findings.append(
            Finding(
                Kind.PAID_HERE_ONLY,
                f"paid_here_only:payment:{payment.pk}",
                f"Payment {payment.checkout_reference} of order {payment.order.reference} is PAID here "
                f"({format_money(payment.amount, payment.currency)}), but SumUp's history has no successful transaction "
                f"{payment.transaction_code or payment.transaction_id or '(none recorded)'} for it.",
                order=payment.order,
                payment=payment,
                transaction_id=payment.transaction_id,
                transaction_code=payment.transaction_code,
                our_amount=payment.amount,
                currency=payment.currency,
            )
        )
    return {payment.transaction_id for payment in ours if payment.transaction_id}


# --- Refunds ------------------------------------------------------------------------------------


def _check_refunds(since, payments_at_sumup, refunded_at_sumup, matched, report) -> None:
    """SumUp's refunded total per transaction against our succeeded refunds, for every
    transaction of ours that was refunded (at SumUp or here) or paid in the window."""
    recent_here = Refund.objects.filter(
        Q(completed_at__gte=since) | Q(completed_at__isnull=True, created_at__gte=since),
        status=Refund.Status.SUCCEEDED,
    ).exclude(payment__transaction_id="")
    transactions = {
        *matched,
        *refunded_at_sumup,
        *recent_here.values_list("payment__transaction_id", flat=True),
    }
    ours_by_transaction = defaultdict(lambda: ZERO)
    rows = (
        Refund.objects.filter(status=Refund.Status.SUCCEEDED, payment__transaction_id__in=transactions)
        .values("payment__transaction_id")
        .annotate(total=Sum("amount"))
    )
    for row in rows:
        ours_by_transaction[row["payment__transaction_id"]] = row["total"]
    for transaction_id in sorted(transactions):
        payment = matched.get(transaction_id) or _payment_for(transaction_id)
        if payment is None:
            continue  # a refund of a payment we do not know: that payment is reported already
        item = payments_at_sumup.get(transaction_id)
        here = sumup.money(ours_by_transaction[transaction_id])
        try:
            at_sumup = item.refunded_amount if item is not None else sumup.refunded_amount(transaction_id)
            if at_sumup != here and item is not None:
                # The history was read before this run refunded anything (a retried automatic
                # refund): ask SumUp for the transaction as it is now before calling it a mismatch.
                at_sumup = sumup.refunded_amount(transaction_id)
        except sumup.SumUpError:
            logger.warning(
                "reconciliation could not read a transaction", extra={"order": payment.order.reference}
            )
            continue
        if at_sumup == here:
            continue
        kind = Kind.REFUND_AT_SUMUP_ONLY if at_sumup > here else Kind.REFUND_HERE_ONLY
        side = "SumUp has refunded more than" if at_sumup > here else "We recorded more refunds than"
        report.findings.append(
            Finding(
                kind,
                f"{kind}:{transaction_id}:{at_sumup}:{here}",
                f"Order {payment.order.reference}, transaction {payment.transaction_code or transaction_id}: "
                f"{side} the other side (SumUp {format_money(at_sumup, payment.currency)}, here {format_money(here, payment.currency)}).",
                order=payment.order,
                payment=payment,
                transaction_id=transaction_id,
                transaction_code=payment.transaction_code,
                sumup_amount=at_sumup,
                our_amount=here,
                currency=payment.currency,
            )
        )


# --- Recording ------------------------------------------------------------------------------------


def _store(report: Report, *, examined: set[str]) -> None:
    now = timezone.now()
    found_keys = set()
    for finding in report.findings:
        fields = {
            "kind": finding.kind,
            "source": "reconcile",
            "order": finding.order,
            "payment": finding.payment,
            "transaction_id": finding.transaction_id,
            "transaction_code": finding.transaction_code,
            "sumup_amount": finding.sumup_amount,
            "our_amount": finding.our_amount,
            "currency": finding.currency[:3],
            "detail": finding.detail[:255],
        }
        if finding.resolution:
            fields.update(resolved_at=now, resolution=finding.resolution[:255])
        mismatch, created = ReconciliationMismatch.record(key=finding.key, **fields)
        found_keys.add(mismatch.key)
        if created and not finding.resolution:
            report.new.append(mismatch)
    # Closed when the transaction it was about was looked at again and it was not found.
    stale = ReconciliationMismatch.objects.filter(
        resolved_at__isnull=True, source="reconcile", kind__in=RECONCILED_KINDS, transaction_id__in=examined
    ).exclude(key__in=found_keys)
    report.closed = stale.update(
        resolved_at=now,
        resolution=f"No longer found by reconciliation on {timezone.localtime(now):%Y-%m-%d}.",
    )


# --- Staff closing a mismatch -----------------------------------------------------------------

# Wagtail audit log action (registered with the admin's other ticketing actions).
LOG_RESOLVE_MISMATCH = "ticketing.resolve_mismatch"


def resolve_mismatch(mismatch: ReconciliationMismatch, user, resolution: str) -> bool:
    """Record that a person dealt with a mismatch, and what they did; audit-logged with their name.

    Returns False, changing nothing, when it was resolved already: by a colleague at the same
    moment, or by a reconciliation run that no longer found it. The first resolution stands,
    because it is the one that says what was actually done.
    """
    resolved = ReconciliationMismatch.objects.filter(pk=mismatch.pk, resolved_at__isnull=True).update(
        resolved_at=timezone.now(), resolved_by=user, resolution=resolution[:255]
    )
    mismatch.refresh_from_db()
    if not resolved:
        return False
    log(instance=mismatch, action=LOG_RESOLVE_MISMATCH, user=user, data={"key": mismatch.key})
    return True
