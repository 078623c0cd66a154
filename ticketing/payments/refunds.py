"""Giving money back through SumUp: staff refunds from the admin, and automatic ones.

The order of work is what keeps money, tickets and seats in step:

1. A short transaction checks the request against the order as it is now and records a
   `Refund` in `requested` state. The constraint `one_refund_in_flight_per_payment` lets one
   refund of a payment be in flight at a time: a double click, or two staff at once, get a
   clear refusal instead of refunding the same money twice.
2. SumUp's refund API is called (with the transaction UUID), with no transaction open: no
   lock is held during a network call.
3. Only if SumUp accepted: one transaction marks the refund succeeded, voids the refunded
   tickets, gives their seats back and moves the order to `refunded` or
   `partially_refunded` (all three `ticketing.orders.record_refund`), writes Wagtail's audit
   log, and queues the buyer's e-mail. If SumUp refused, the refund is marked failed with
   SumUp's reason (shown to staff) and nothing else changes.
4. If SumUp's answer never came (a timeout, a dropped connection, a 5xx), SumUp may have paid
   the buyer back or not: the refund is `unknown`, never `failed`. It is settled by asking SumUp
   how much of the transaction it has refunded — at once, again from the worker every few
   minutes (`settle_unknown_refunds`), and by reconciliation — and only then completed (step 3)
   or marked failed. Until it is settled its tickets do not admit at the door, and no other
   refund of the payment can start.

Automatic refunds (a payment that arrived after the tickets were gone; a second payment for an
order already paid) make the same SumUp call. `one_automatic_refund_per_payment` makes ten
concurrent webhook deliveries of one payment refund it once; a failed one is tried again by the
next delivery or reconciliation run that meets it.

Amounts are Decimal throughout; a ticket is refunded at the unit price its order line recorded.
"""

import logging
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from wagtail.log_actions import log

from core.money import format_money
from core.wording import counted
from ticketing import alerts, orders, outbox
from ticketing.models import Order, Payment, Refund, Ticket
from ticketing.payments import sumup

logger = logging.getLogger(__name__)

ZERO = Decimal("0.00")

# Wagtail audit log actions (registered in ticketing.wagtail_hooks).
LOG_REFUND = "ticketing.refund"
LOG_REFUND_FAILED = "ticketing.refund_failed"
LOG_AUTOMATIC_REFUND = "ticketing.automatic_refund"
LOG_REFUND_UNKNOWN = "ticketing.refund_unknown"


class RefundRefused(Exception):
    """The refund cannot be made as asked; SumUp was not called. The message is for staff."""


class RefundFailed(Exception):
    """SumUp did not refund; nothing changed but the failed `Refund` record. The message is for staff."""


class RefundOutcomeUnknown(Exception):
    """SumUp did not answer, and could not yet be asked whether it refunded. The message is for staff."""


UNKNOWN_MESSAGE = (
    "SumUp did not answer, so we do not know yet whether the money went back. We are checking "
    "with SumUp and will finish the refund (or mark it failed) by ourselves: do not refund again."
)


# --- What can be refunded ----------------------------------------------------------------------


def paid_amount(payment: Payment) -> Decimal:
    """What SumUp took for this payment: its own word (the checkout it reported) when we have it."""
    reported = (payment.raw or {}).get("amount")
    return sumup.money(reported) if reported is not None else payment.amount


def refunded_so_far(payment: Payment) -> Decimal:
    """Refunded, or being refunded right now (or perhaps refunded: unknown), of this payment."""
    total = payment.refunds.filter(status__in=[Refund.Status.SUCCEEDED, *Refund.IN_FLIGHT]).aggregate(
        total=Sum("amount")
    )["total"]
    return total or ZERO


def refundable(payment: Payment) -> Decimal:
    return max(paid_amount(payment) - refunded_so_far(payment), ZERO)


def paying_payment(order: Order) -> Payment | None:
    """The payment that paid for the order's tickets (None if the order was never paid)."""
    if order.status not in Order.WAS_PAID:
        return None
    # Chosen here from all of them (an order has one or two; none to read when prefetched): the
    # one that paid, else, for data from before `confirmed_at`, the first PAID one.
    payments = list(order.payments.all())
    confirmed = [payment for payment in payments if payment.confirmed_at is not None]
    if confirmed:
        return max(confirmed, key=lambda payment: payment.created_at)
    paid = [payment for payment in payments if payment.status == Payment.Status.PAID]
    return min(paid, key=lambda payment: (payment.created_at, payment.pk), default=None)


def unclaimed_payments(order: Order) -> list[Payment]:
    """PAID payments of the order that paid for no tickets and still hold money.

    A duplicate whose automatic refund failed, a payment that did not match the order, or one
    for an order that went to review: staff refund these whole.
    """
    keep = paying_payment(order)
    return [
        payment
        for payment in order.payments.filter(status=Payment.Status.PAID).order_by("created_at", "pk")
        if (keep is None or payment.pk != keep.pk) and refundable(payment) > ZERO
    ]


@dataclass(frozen=True)
class RefundPlan:
    """A refund checked against the order: what SumUp will be asked for, and what it voids."""

    order: Order
    payment: Payment
    amount: Decimal
    tickets: tuple[Ticket, ...] = field(default=())
    # No valid tickets remain afterwards (a ticket refund), so the order becomes `refunded`.
    whole_order: bool = False
    # Kept from the tickets' prices (a buyer's cancellation fee): `amount` is what is left.
    fee: Decimal = ZERO
    # Who asked: staff in the admin, or the buyer cancelling on the order page.
    kind: str = Refund.Kind.STAFF

    @property
    def currency(self):
        return self.payment.currency

    def describe(self) -> str:
        if self.tickets:
            what = "every ticket" if self.whole_order else counted(len(self.tickets), "ticket", "tickets")
            return f"{format_money(self.amount, self.currency)} for {what} of order {self.order.reference}"
        return f"{format_money(self.amount, self.currency)}, all of payment {self.payment.checkout_reference}"


def plan_ticket_refund(order: Order, tickets=None, *, fee=ZERO, kind=Refund.Kind.STAFF) -> RefundPlan:
    """Refund chosen tickets (None: every valid ticket) at the prices their order paid.

    `fee` is kept from their total (a buyer's cancellation fee, `ticketing.self_service`), never
    more than it. Raises RefundRefused when the order has no tickets to refund or a chosen ticket is not a
    valid ticket of it (refunded meanwhile).
    """
    if order.status not in Order.OWNS_TICKETS:
        raise RefundRefused(
            f"Order {order.reference} is {order.get_status_display().lower()}: it has no tickets to refund."
        )
    payment = paying_payment(order)
    if payment is None:
        raise RefundRefused(f"Order {order.reference} has no payment to refund.")
    valid = list(order.tickets.filter(voided_at__isnull=True).select_related("ticket_type"))
    if tickets is None:
        chosen = valid
    else:
        wanted = {ticket.pk if isinstance(ticket, Ticket) else int(ticket) for ticket in tickets}
        chosen = [ticket for ticket in valid if ticket.pk in wanted]
        if len(chosen) != len(wanted):
            raise RefundRefused(
                "Some of the chosen tickets are no longer valid tickets of this order (refunded meanwhile?)."
            )
    if not chosen:
        raise RefundRefused("Choose at least one ticket to refund.")
    prices = dict(order.lines.values_list("ticket_type_id", "unit_price"))
    amount = max(sum((prices[ticket.ticket_type_id] for ticket in chosen), ZERO) - fee, ZERO)
    left = refundable(payment)
    if amount > left:
        raise RefundRefused(
            f"{format_money(amount, payment.currency)} is more than the {format_money(left, payment.currency)} left to refund on this order."
        )
    return RefundPlan(
        order, payment, amount, tuple(chosen), whole_order=len(chosen) == len(valid), fee=fee, kind=kind
    )


def plan_payment_refund(order: Order, payment: Payment) -> RefundPlan:
    """Refund all that is left of a payment that paid for no tickets (see `unclaimed_payments`)."""
    if payment.order_id != order.pk or payment.pk not in {p.pk for p in unclaimed_payments(order)}:
        raise RefundRefused(f"Payment {payment.checkout_reference} has nothing left to refund on its own.")
    return RefundPlan(order, payment, refundable(payment))


# --- Staff refunds ------------------------------------------------------------------------------


def execute(plan: RefundPlan, *, user=None, reason: str = "") -> Refund:
    """Make a staff refund as planned.

    Raises RefundRefused (nothing done), RefundFailed (SumUp said no) or RefundOutcomeUnknown
    (SumUp did not answer and cannot be asked yet; the refund settles itself later).
    """
    if plan.amount > ZERO:
        _check_sumup_agrees(plan.payment)
    refund = _open(plan, user, reason)
    try:
        if plan.amount > ZERO:
            sumup.refund(plan.payment.transaction_id, plan.amount)
    except sumup.SumUpUnavailable as error:
        _mark_unknown(refund, error.message)
        settled = settle(refund)
        if settled.status == Refund.Status.SUCCEEDED:
            return settled
        if settled.status == Refund.Status.FAILED:
            raise RefundFailed(settled.error) from error
        raise RefundOutcomeUnknown(UNKNOWN_MESSAGE) from error
    except sumup.SumUpError as error:
        _mark_failed(refund, error.message)
        log(
            instance=plan.order,
            action=LOG_REFUND_FAILED,
            user=user,
            data={
                "refund": refund.pk,
                "amount": str(plan.amount),
                "currency": plan.currency,
                "error": error.message,
            },
        )
        raise RefundFailed(error.message) from error
    _complete(refund)
    return refund


def _open(plan: RefundPlan, user, reason: str) -> Refund:
    """Check the plan against the order as it is now and record the refund as in flight."""
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=plan.order.pk)
        payment = Payment.objects.get(pk=plan.payment.pk)
        current = (
            plan_ticket_refund(order, plan.tickets, fee=plan.fee, kind=plan.kind)
            if plan.tickets
            else plan_payment_refund(order, payment)
        )
        if current.amount != plan.amount:
            raise RefundRefused("The order changed while you were confirming. Check the refund again.")
        try:
            with transaction.atomic():
                refund = Refund.objects.create(
                    payment=payment,
                    amount=plan.amount,
                    kind=plan.kind,
                    reason=reason[:255],
                    requested_by=user,
                )
        except IntegrityError:
            raise RefundRefused(
                "Another refund of this payment is in progress. Look at the order again in a moment."
            )
        if plan.tickets:
            refund.tickets.set(plan.tickets)
    return refund


def _check_sumup_agrees(payment: Payment) -> None:
    """Refuse to refund while SumUp has refunded more of the payment than we have recorded.

    A refund whose answer never came back (a timeout) may still have been paid out by SumUp;
    refunding again would pay the buyer twice. Raises RefundRefused, or RefundFailed when SumUp
    cannot be asked.
    """
    try:
        at_sumup = sumup.refunded_amount(payment.transaction_id)
    except sumup.SumUpError as error:
        raise RefundFailed(f"SumUp could not be asked what is already refunded: {error.message}") from error
    recorded = _refunded_so_far(payment)
    if at_sumup != recorded:
        alerts.refund_records_disagree(payment, at_sumup, recorded)
        raise RefundRefused(
            f"SumUp shows {format_money(at_sumup, payment.currency)} refunded on this payment, but "
            f"{format_money(recorded, payment.currency)} is recorded here (a refund whose answer was lost?). Check the payment "
            "in SumUp's dashboard and run reconcile_payments before refunding again."
        )


def _mark_failed(refund: Refund, message: str) -> None:
    Refund.objects.filter(pk=refund.pk).update(
        status=Refund.Status.FAILED, error=message[:1000], completed_at=timezone.now()
    )
    refund.refresh_from_db()
    logger.warning(
        "refund refused by SumUp",
        extra={"order": refund.payment.order.reference, "refund": refund.pk, "kind": refund.kind},
    )


def _mark_unknown(refund: Refund, message: str) -> None:
    Refund.objects.filter(pk=refund.pk, status=Refund.Status.REQUESTED).update(
        status=Refund.Status.UNKNOWN, error=f"No answer from SumUp: {message}"[:1000]
    )
    refund.refresh_from_db()
    logger.warning(
        "refund outcome unknown: SumUp did not answer",
        extra={"order": refund.payment.order.reference, "refund": refund.pk, "kind": refund.kind},
    )
    log(
        instance=refund.payment.order,
        action=LOG_REFUND_UNKNOWN,
        user=refund.requested_by,
        data={"refund": refund.pk, "amount": str(refund.amount), "currency": refund.payment.currency},
    )


def _complete(refund: Refund) -> bool:
    """SumUp has refunded: record it, void the tickets, give the seats back, in one transaction.

    Only a refund still in flight (requested or unknown) is completed, so settling it from two
    places at once completes it once. Returns whether this call completed it.
    """
    payment = refund.payment
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=payment.order_id)
        if not Refund.objects.filter(pk=refund.pk, status__in=Refund.IN_FLIGHT).update(
            status=Refund.Status.SUCCEEDED, completed_at=timezone.now()
        ):
            return False
        tickets = list(refund.tickets.all())
        cause = f"refund of {format_money(refund.amount, payment.currency)}"
        if refund.kind in Refund.TICKET_KINDS:
            if tickets:
                orders.record_refund(order, tickets=tickets, cause=cause)
            elif not unclaimed_payments(order):
                # Money that paid for no tickets: an unpaid order holds none of the buyer's money now.
                orders.record_refund(order, cause=cause)
            log(
                instance=order,
                action=LOG_REFUND,
                user=refund.requested_by,
                data={
                    "refund": refund.pk,
                    "amount": str(refund.amount),
                    "currency": payment.currency,
                    "tickets": len(tickets),
                    "payment": payment.checkout_reference,
                },
            )
        else:
            _log_automatic(refund, succeeded=True)
            alerts.automatic_refund(refund, refund.reason)
        outbox.queue_refund_notice(refund)
    refund.refresh_from_db()
    logger.info(
        "refund made",
        extra={"order": order.reference, "refund": refund.pk, "tickets": len(tickets), "kind": refund.kind},
    )
    return True


# --- Refunds whose answer was lost -------------------------------------------------------------


def settle(refund: Refund) -> Refund:
    """Find out from SumUp what became of a refund whose answer was lost, and act on it.

    SumUp's own record of the transaction (how much of it is refunded) decides: refunded by at
    least this refund's amount beyond what we recorded as succeeded -> completed; no more than
    we recorded -> it was never made: failed, nothing changes. Anything in between is left for
    a person (staff are alerted). SumUp unreachable: still unknown, tried again later.
    """
    if refund.status != Refund.Status.UNKNOWN:
        return refund
    payment = refund.payment
    try:
        at_sumup = sumup.refunded_amount(payment.transaction_id)
    except sumup.SumUpError:
        logger.warning("refund still unknown: SumUp cannot be asked", extra={"refund": refund.pk})
        return refund
    recorded = _refunded_so_far(payment)
    if at_sumup >= recorded + refund.amount:
        _complete(refund)
    elif at_sumup <= recorded:
        message = "SumUp did not make this refund (its record shows no such refund): nothing changed here."
        if Refund.objects.filter(pk=refund.pk, status=Refund.Status.UNKNOWN).update(
            status=Refund.Status.FAILED, error=message, completed_at=timezone.now()
        ):
            log(
                instance=payment.order,
                action=LOG_REFUND_FAILED,
                user=refund.requested_by,
                data={"refund": refund.pk, "amount": str(refund.amount), "currency": payment.currency},
            )
            if refund.kind not in Refund.TICKET_KINDS:
                alerts.automatic_refund(refund, refund.reason)
    else:
        alerts.refund_records_disagree(payment, at_sumup, recorded)
    refund.refresh_from_db()
    return refund


def settle_unknown_refunds() -> str:
    """Settle every refund whose answer was lost (the worker runs this every few minutes)."""
    pending = list(Refund.objects.filter(status=Refund.Status.UNKNOWN).select_related("payment__order"))
    outcomes = [settle(refund).status for refund in pending]
    settled = sum(status != Refund.Status.UNKNOWN for status in outcomes)
    return f"{settled} of {len(pending)} unknown refunds settled"


# --- Automatic refunds --------------------------------------------------------------------------


def refund_automatically(payment: Payment, *, kind: str, amount: Decimal, reason: str) -> Refund | None:
    """Refund a payment that must not be kept (see the module docstring), once.

    Returns the refund this call made or retried, or None when another call already has it
    in hand. Staff are alerted either way; the buyer is e-mailed (an apology for a late
    payment, a note for a duplicate) after the first attempt and after a later success.
    Call with no transaction open: it calls SumUp.
    """
    first_attempt = True
    try:
        with transaction.atomic():
            refund = Refund.objects.create(payment=payment, amount=amount, kind=kind, reason=reason[:255])
    except IntegrityError:
        # Made already by a concurrent delivery, or in flight; only a failed one is tried again,
        # and only if staff have not refunded the money some other way meanwhile.
        if _refunded_so_far(payment) + amount > payment.amount:
            return None
        try:
            with transaction.atomic():
                claimed = Refund.objects.filter(
                    payment=payment, kind=kind, status=Refund.Status.FAILED
                ).update(status=Refund.Status.REQUESTED, error="", completed_at=None)
        except IntegrityError:  # a staff refund of this payment is in flight
            claimed = 0
        if not claimed:
            return None
        refund = Refund.objects.get(payment=payment, kind=kind)
        first_attempt = False
    try:
        if (
            not first_attempt
            and sumup.refunded_amount(payment.transaction_id) >= _refunded_so_far(payment) + amount
        ):
            pass  # the earlier attempt's answer was lost, but SumUp did refund: record it below
        else:
            sumup.refund(payment.transaction_id, amount)
    except sumup.SumUpUnavailable as error:
        _mark_unknown(refund, error.message)
        return settle(refund)
    except sumup.SumUpError as error:
        _mark_failed(refund, error.message)
        _log_automatic(refund, succeeded=False)
        alerts.automatic_refund(refund, reason)
        if first_attempt:
            outbox.queue_refund_notice(refund)
        return refund
    _complete(refund)
    return refund


def _refunded_so_far(payment: Payment) -> Decimal:
    refunded = Refund.objects.filter(payment=payment, status=Refund.Status.SUCCEEDED).aggregate(
        total=Sum("amount")
    )
    return refunded["total"] or Decimal("0.00")


def _log_automatic(refund: Refund, *, succeeded: bool) -> None:
    log(
        instance=refund.payment.order,
        action=LOG_AUTOMATIC_REFUND,
        data={
            "refund": refund.pk,
            "amount": str(refund.amount),
            "currency": refund.payment.currency,
            "kind": refund.kind,
            "succeeded": succeeded,
            "payment": refund.payment.checkout_reference,
        },
    )


# --- What staff could refund ------------------------------------------------------------------


def refundable_tickets(order: Order):
    """The order's tickets that staff may choose to refund: its valid ones, while it owns them.

    An order that was never paid (or is refunded in full) has none, even if tickets remain
    attached to it; money it holds is refunded payment by payment (`unclaimed_payments`).
    """
    if order.status not in Order.OWNS_TICKETS:
        return Ticket.objects.none()
    return order.tickets.filter(voided_at__isnull=True).select_related("ticket_type")


def can_be_refunded(order: Order) -> bool:
    """Is there anything on this order that a staff refund could give back?

    Says nothing about who asks: whether a person may refund is the caller's permission check.
    """
    return refundable_tickets(order).exists() or bool(unclaimed_payments(order))
