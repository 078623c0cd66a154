"""Turning "SumUp says paid" into a paid order with tickets, exactly once.

Nothing a browser or a webhook says is believed: `refresh_payment` asks SumUp's API for the
checkout, and `confirm_payment` accepts it only if it is PAID for exactly our amount,
currency, checkout reference and merchant. The order's move to `paid` is one conditional
UPDATE (`WHERE status = 'pending'`); the tickets are created in the same transaction, so
repeated, concurrent or out-of-order confirmations change nothing after the first.
"""

import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ticketing.inventory import SoldOut, end_hold, order_quantities, reserve_tickets
from ticketing.models import Order, Payment, Ticket
from ticketing.payments import sumup

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
    payment.status = state.status
    payment.raw = state.raw
    payment.transaction_id = state.transaction_id or payment.transaction_id
    payment.transaction_code = state.transaction_code or payment.transaction_code
    payment.save(update_fields=["status", "raw", "transaction_id", "transaction_code", "updated_at"])


def refresh_payment(payment: Payment) -> str:
    """Ask SumUp about this payment and act on the answer. Returns an `Outcome` value.

    Raises sumup.SumUpError when SumUp cannot answer; nothing is changed then.
    """
    state = sumup.get_checkout(payment.checkout_id)
    _record_state(payment, state)
    if state.status != Payment.Status.PAID:
        return Outcome.NOT_PAID
    return confirm_payment(payment, state)


def _log_transition(order, old, new, cause):
    logger.info(
        "order state changed",
        extra={"order": order.reference, "old_state": old, "new_state": new, "cause": cause},
    )


def _issue_tickets(order: Order) -> None:
    lines = list(order.lines.select_related("ticket_type"))
    Ticket.objects.bulk_create(
        Ticket(order=order, ticket_type=line.ticket_type) for line in lines for _ in range(line.quantity)
    )
    # In the same transaction: the e-mail job exists exactly when the tickets do (DESIGN.md step 7).
    from ticketing.delivery import queue_ticket_email

    queue_ticket_email(order)


def _mark_paid(order: Order, from_status: str) -> bool:
    return bool(
        Order.objects.filter(pk=order.pk, status=from_status).update(
            status=Order.Status.PAID, paid_at=timezone.now(), updated_at=timezone.now()
        )
    )


def confirm_payment(payment: Payment, state: sumup.CheckoutState) -> str:
    """Apply a PAID checkout to its order. Safe to call any number of times, concurrently."""
    order = Order.objects.get(pk=payment.order_id)
    payment.order = order
    problems = mismatches(payment, state)
    if problems:
        return _needs_review(order, f"payment mismatch: {', '.join(problems)}", Outcome.MISMATCH)

    with transaction.atomic():
        if _mark_paid(order, Order.Status.PENDING):
            _issue_tickets(order)
            _log_transition(order, Order.Status.PENDING, Order.Status.PAID, "payment confirmed")
            return Outcome.CONFIRMED

    order.refresh_from_db()
    if order.status in (Order.Status.PAID, Order.Status.PARTIALLY_REFUNDED, Order.Status.REFUNDED):
        paid_by_other = order.payments.filter(status=Payment.Status.PAID).exclude(pk=payment.pk).exists()
        if paid_by_other:
            logger.error("duplicate payment for a paid order", extra={"order": order.reference})
            return Outcome.DUPLICATE_PAYMENT
        return Outcome.ALREADY_PAID
    if order.status in (Order.Status.EXPIRED, Order.Status.CANCELLED):
        return _confirm_late(order)
    return Outcome.NOT_CONFIRMABLE


def _confirm_late(order: Order) -> str:
    """Paid after the hold ended: take the tickets again if they are still there."""
    previous = order.status
    try:
        with transaction.atomic():
            if not _mark_paid(order, previous):
                return Outcome.ALREADY_PAID
            reserve_tickets(order.event_id, order_quantities(order))
            _issue_tickets(order)
    except SoldOut:
        return _needs_review(order, "paid after the hold ended and the tickets are gone", Outcome.LATE_SOLD_OUT)
    _log_transition(order, previous, Order.Status.PAID, "late payment confirmed")
    return Outcome.LATE_CONFIRMED


def _needs_review(order: Order, cause: str, outcome: str) -> str:
    """Money and order disagree: no tickets, a person must look. Never `paid`."""
    previous = order.status
    if previous == Order.Status.PENDING:
        end_hold(order, Order.Status.NEEDS_REVIEW)
    else:
        Order.objects.filter(pk=order.pk, status=previous).exclude(
            status__in=[Order.Status.PAID, Order.Status.PARTIALLY_REFUNDED, Order.Status.REFUNDED]
        ).update(status=Order.Status.NEEDS_REVIEW)
    logger.error(
        "order needs review",
        extra={"order": order.reference, "old_state": previous, "new_state": Order.Status.NEEDS_REVIEW, "cause": cause},
    )
    return outcome


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
            else:
                Payment.objects.filter(pk=payment.pk).update(status=state.status or Payment.Status.EXPIRED)
        except sumup.SumUpError:
            # valid_until already stops SumUp taking payment after the hold; a payment that
            # still arrives takes the late-payment path.
            logger.warning("could not deactivate checkout", extra={"order": order.reference})
