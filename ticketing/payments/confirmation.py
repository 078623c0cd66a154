"""Turning "SumUp says paid" into a paid order with tickets, exactly once.

Nothing a browser or a webhook says is believed: `refresh_payment` asks SumUp's API for the
checkout, and `confirm_payment` accepts it only if it is PAID for exactly our amount,
currency, checkout reference and merchant. This module only interprets SumUp's answer: the
order's move to `paid` (one conditional UPDATE, the tickets created in the same transaction)
is `ticketing.orders.mark_paid`, so repeated, concurrent or out-of-order confirmations change
nothing after the first.

What a PAID checkout means depends on the order's state when it arrives:

* pending: confirmed, tickets issued; this payment is marked as the one that paid.
* expired or cancelled (paid after the hold ended): the tickets are reserved again if there
  are any left; if not, the order goes to `needs_review` and the money is refunded at once.
* already paid by another payment (the buyer paid twice): this one is refunded at once.
* a payment that differs from the order (amount, currency, reference, merchant): the order
  goes to `needs_review` (it is never paid) and staff are alerted.

Refunds call SumUp, so they run after the transactions here have committed: no lock is ever
held during a network call.
"""

import logging
import threading
import time

from django.conf import settings
from django.utils import timezone

from core.money import format_money
from core.shared_cache import Outage, Unavailable, shared_cache
from ticketing import alerts, audit, orders
from ticketing.inventory import SoldOut
from ticketing.models import Order, Payment, ReconciliationMismatch, Refund
from ticketing.payments import refunds, sumup

logger = logging.getLogger(__name__)


class Outcome:
    """What a confirmation attempt did; recorded on webhook events and shown in logs."""

    CONFIRMED = "confirmed"
    LATE_CONFIRMED = "late_payment_confirmed"
    ALREADY_PAID = "already_paid"
    NOT_PAID = "not_paid"
    MISMATCH = "mismatch_needs_review"
    LATE_SOLD_OUT = "late_payment_sold_out"
    DUPLICATE_PAYMENT = "duplicate_payment"
    NOT_CONFIRMABLE = "order_not_confirmable"
    CHECKED_RECENTLY = "checked_recently"


# What each field compared by `mismatches` is recorded as, for staff.
MISMATCH_KINDS = {
    "checkout_id": ReconciliationMismatch.Kind.REFERENCE,
    "checkout_reference": ReconciliationMismatch.Kind.REFERENCE,
    "merchant_code": ReconciliationMismatch.Kind.MERCHANT,
    "amount": ReconciliationMismatch.Kind.AMOUNT,
    "currency": ReconciliationMismatch.Kind.CURRENCY,
}


def mismatches(payment: Payment, state: sumup.CheckoutState) -> list[str]:
    """Every way SumUp's checkout differs from the payment we asked for (empty: none)."""
    order = payment.order
    problems = []
    if state.id != payment.checkout_id:
        problems.append("checkout_id")
    if state.checkout_reference != payment.checkout_reference:
        problems.append("checkout_reference")
    if state.merchant_code != settings.SUMUP_MERCHANT_CODE:
        problems.append("merchant_code")
    if sumup.money(state.amount) != sumup.money(order.total):
        problems.append("amount")
    if state.currency != order.currency:
        problems.append("currency")
    return problems


def _record_state(payment: Payment, state: sumup.CheckoutState) -> None:
    """Keep SumUp's latest word on the payment, and log a change of its status once.

    PAID is final at SumUp: a stale read or an out-of-order answer saying anything else about a
    payment already PAID here changes nothing. The status changes with a conditional UPDATE, so
    of several concurrent refreshes exactly one logs (and counts) the change.
    """
    new = state.status or payment.status
    rows = Payment.objects.filter(pk=payment.pk)
    if new != Payment.Status.PAID:
        rows = rows.exclude(status=Payment.Status.PAID)
    details = {"raw": state.raw, "updated_at": timezone.now()}
    if state.transaction_id:
        details["transaction_id"] = state.transaction_id
    if state.transaction_code:
        details["transaction_code"] = state.transaction_code
    old = payment.status
    # The usual answer while a buyer waits is the status we last saw, still so: then one UPDATE
    # that changes no status (had the row moved on meanwhile, it matches none, and the two
    # below decide as for any other answer).
    changed = 0
    kept = new == old and rows.filter(status=new).update(**details)
    if not kept:
        changed = rows.exclude(status=new).update(status=new, **details)
    if not kept and not changed and not rows.update(**details):
        logger.warning(
            "SumUp reported a paid payment as not paid; kept as paid",
            extra={"order": payment.order.reference, "payment": payment.checkout_reference, "reported": new},
        )
        payment.status = Payment.Status.PAID
        return
    payment.status = new
    payment.raw = state.raw
    payment.transaction_id = details.get("transaction_id", payment.transaction_id)
    payment.transaction_code = details.get("transaction_code", payment.transaction_code)
    if changed:
        audit.payment_state_changed(payment, old, new, "SumUp checkout status")
        if new == Payment.Status.FAILED:
            alerts.failed_payment_recorded()


def refresh_payment(payment: Payment) -> str:
    """Ask SumUp about this payment and act on the answer. Returns an `Outcome` value.

    The one confirmation path: the buyer's order page, the webhook and reconciliation all
    call it. Raises sumup.SumUpError when SumUp cannot answer; nothing is changed then.
    """
    state = sumup.get_checkout(payment.checkout_id)
    _record_state(payment, state)
    if state.status != Payment.Status.PAID:
        return Outcome.NOT_PAID
    return confirm_payment(payment, state)


def refresh_payment_if_due(payment: Payment) -> str | None:
    """`refresh_payment`, at most once per SUMUP_CHECK_INTERVAL_SECONDS for one payment.

    The order page (a reloading tab) and the webhook (SumUp's retries, or anyone replaying a
    real checkout id) may be hit any number of times; SumUp is asked about a payment at most
    once per interval, which bounds what either costs us. Returns None when it was asked
    within the interval (nothing else changed). Reconciliation and refunds ask directly.
    """
    interval = settings.SUMUP_CHECK_INTERVAL_SECONDS
    if interval > 0 and not _check_due(payment, interval):
        return None
    return refresh_payment(payment)


# While the shared cache is down, the interval is counted in this process instead: the bound
# then holds per process (as the webhook's rate limit does) rather than switching off, and a
# payment is still checked once per interval, so it is still confirmed. The moment each payment
# was last asked about is kept, not a count in clock-aligned windows: two asks seconds apart
# on either side of a window's edge would break "at most once per interval".
_checks_outage = Outage("the SumUp check interval")
_asked_here: dict[int, float] = {}
_asked_here_lock = threading.Lock()
_ASKED_HERE_MAX = 10_000  # payments remembered; past that the oldest are forgotten


def _due_here(payment_pk: int, interval: int) -> bool:
    """Whether this process may ask SumUp about the payment now (the outage's stand-in)."""
    now = time.monotonic()
    with _asked_here_lock:
        last = _asked_here.get(payment_pk)
        if last is not None and now - last < interval:
            return False
        if len(_asked_here) >= _ASKED_HERE_MAX:
            for pk in [pk for pk, at in _asked_here.items() if now - at >= interval] or list(_asked_here):
                del _asked_here[pk]
        _asked_here[payment_pk] = now
        return True


def _check_due(payment: Payment, interval: int) -> bool:
    """Whether SumUp may be asked about `payment` now: not yet within this interval."""
    try:
        # The shared cache raises when Redis is down; the default one would answer None,
        # which reads as "asked a moment ago", and no payment would be confirmed.
        return _checks_outage.call(shared_cache.add, f"sumup:asked:{payment.pk}", 1, interval)
    except Unavailable:
        return _due_here(payment.pk, interval)


def known_outcome(payment: Payment) -> str | None:
    """The outcome asking SumUp again could not change, or None if it is worth asking.

    A payment that is PAID and has paid its order is settled for good (PAID is final at
    SumUp), so a repeated callback for it needs no API call.
    """
    if payment.status == Payment.Status.PAID and payment.confirmed_at is not None:
        return Outcome.ALREADY_PAID
    return None


def confirm_payment(payment: Payment, state: sumup.CheckoutState) -> str:
    """Apply a PAID checkout to its order. Safe to call any number of times, concurrently.

    The order the caller loaded with the payment is used as it is (the order page's, the
    webhook's): its status may be stale, which costs nothing, because every move below is a
    conditional UPDATE from the status seen, and whatever does not start from `pending` reads
    the order again first (`_settle`). The caller's copy is then the one moved to paid.
    """
    if Payment.order.is_cached(payment):
        order = payment.order
    else:
        order = Order.objects.get(pk=payment.order_id)
        payment.order = order
    problems = mismatches(payment, state)
    if problems:
        return _mismatch(order, payment, state, problems)

    if order.status == Order.Status.PENDING and orders.mark_paid(order, payment):
        return Outcome.CONFIRMED
    return _settle(order, payment, state)


def _settle(order: Order, payment: Payment, state: sumup.CheckoutState) -> str:
    """A matching PAID payment for an order that was no longer pending: what it means now."""
    order.refresh_from_db()
    if order.status in Order.WAS_PAID:
        if _paid_by_another(order, payment):
            return _refund_duplicate(order, payment, state)
        return Outcome.ALREADY_PAID
    if order.status in Order.HOLD_ENDED:
        return _confirm_late(order, payment, state)
    if (
        order.status == Order.Status.NEEDS_REVIEW
        and payment.refunds.filter(kind=Refund.Kind.LATE_PAYMENT).exists()
    ):
        # Paid too late for tickets: make sure the refund happened (a failed one is tried again).
        _refund_late_payment(order, payment, state)
        return Outcome.LATE_SOLD_OUT
    return Outcome.NOT_CONFIRMABLE


def _paid_by_another(order: Order, payment: Payment) -> bool:
    """Did another payment of this (paid) order pay it? Read from the database, not `payment`,
    which may be a copy loaded before a concurrent confirmation claimed it."""
    confirming = order.payments.filter(confirmed_at__isnull=False).values_list("pk", flat=True).first()
    if confirming is None:
        # Nothing says which payment paid (data from before `confirmed_at`): never refund on a guess.
        logger.warning("paid order without a confirming payment", extra={"order": order.reference})
        return False
    return confirming != payment.pk


def _confirm_late(
    order: Order, payment: Payment | None = None, state: sumup.CheckoutState | None = None
) -> str:
    """Paid after the hold ended: take the tickets again if they are still there."""
    try:
        took = orders.mark_paid(order, payment, cause="late payment confirmed")
    except SoldOut:
        return _late_sold_out(order, payment, state)
    if not took:
        # Someone else moved the order first (a twin delivery of this payment, say): decide again.
        return Outcome.ALREADY_PAID if payment is None else _settle(order, payment, state)
    return Outcome.LATE_CONFIRMED


def _late_sold_out(order: Order, payment: Payment | None, state: sumup.CheckoutState | None) -> str:
    """Paid too late and the tickets are gone: review, and the money goes straight back."""
    orders.send_to_review(order, cause="paid after the hold ended and the tickets are gone")
    if payment is not None:
        _refund_late_payment(order, payment, state)
    return Outcome.LATE_SOLD_OUT


def _refund_late_payment(order: Order, payment: Payment, state: sumup.CheckoutState | None) -> None:
    amount = state.amount if state is not None else refunds.paid_amount(payment)
    refunds.refund_automatically(
        payment,
        kind=Refund.Kind.LATE_PAYMENT,
        amount=amount,
        reason="paid after the hold ended and the tickets had sold out",
    )


def _refund_duplicate(order: Order, payment: Payment, state: sumup.CheckoutState) -> str:
    logger.warning("duplicate payment for a paid order", extra={"order": order.reference})
    refunds.refund_automatically(
        payment,
        kind=Refund.Kind.DUPLICATE_PAYMENT,
        amount=state.amount,
        reason="a second payment for an order already paid",
    )
    return Outcome.DUPLICATE_PAYMENT


def _mismatch(order: Order, payment: Payment, state: sumup.CheckoutState, problems: list[str]) -> str:
    """Money and order disagree: no tickets, a person must look, staff are alerted. Never `paid`."""
    orders.send_to_review(order, cause=f"payment mismatch: {', '.join(problems)}")
    for kind in dict.fromkeys(MISMATCH_KINDS[problem] for problem in problems):
        ReconciliationMismatch.record(
            key=f"{kind}:payment:{payment.pk}",
            kind=kind,
            source="webhook",
            order=order,
            payment=payment,
            transaction_id=state.transaction_id,
            transaction_code=state.transaction_code,
            sumup_amount=state.amount,
            our_amount=order.total,
            currency=(state.currency or "")[:3],
            detail=(
                f"Checkout {payment.checkout_reference} of order {order.reference}: SumUp reports "
                f"{format_money(state.amount, state.currency)} to merchant {state.merchant_code or '-'} with reference "
                f"{state.checkout_reference or '-'}; the order is {format_money(order.total, order.currency)}."
            )[:255],
        )
    order.refresh_from_db()
    alerts.payment_mismatch(payment, problems, state)
    return Outcome.MISMATCH


def close_open_checkouts(order: Order) -> None:
    """Stop SumUp taking money on this order's unpaid checkouts (hold ending, or a retry).

    If SumUp says a checkout was already processed, the buyer may have paid at the last
    moment: ask SumUp and confirm through the normal path instead.
    """
    for payment in order.payments.exclude(status__in=[Payment.Status.PAID, Payment.Status.EXPIRED]):
        try:
            state = sumup.deactivate_checkout(payment.checkout_id)
            if state is None:
                refresh_payment(payment)
                continue
            new = state.status or Payment.Status.EXPIRED
            changed = (
                Payment.objects.filter(pk=payment.pk)
                .exclude(status__in=[Payment.Status.PAID, new])
                .update(status=new, updated_at=timezone.now())
            )
            if changed:
                audit.payment_state_changed(payment, payment.status, new, "checkout closed")
        except sumup.SumUpError:
            # valid_until already stops SumUp taking payment after the hold; a payment that
            # still arrives takes the late-payment path.
            logger.warning("could not deactivate checkout", extra={"order": order.reference})
