"""What an order comes to after the sale: its refunds, what is still paid, which tickets admit.

The order page, the ticket page and the refund e-mail all tell the buyer these facts, so they
are worked out here once. A refund counts as made only when SumUp accepted it (`succeeded`);
one still waiting for SumUp's answer (`requested`, or `unknown` when the answer was lost) is
"being processed": its money may not have moved yet, and its tickets are not offered as
admitting (the door refuses tickets in an unanswered refund, `ticketing.checkin`). A failed
refund gave nothing back and changed nothing, so it is not mentioned.

At most four queries whatever the order holds: its payments (none when the caller prefetched
them, as the order page does), its refunds (only once a payment is paid; their tickets only
when there are refunds), and the order's valid tickets (only when it owns tickets).
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db.models import Prefetch, prefetch_related_objects

from ticketing.models import Order, Payment, Refund, Ticket, refunds_of, valid_tickets_of
from ticketing.payments.refunds import paid_amount

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class RefundLine:
    """One refund as the buyer reads it."""

    refund: Refund
    amount: Decimal
    currency: str
    made: bool  # SumUp accepted it; otherwise it is being processed
    date: datetime  # when it was made, or asked for while it is being processed
    tickets: tuple[Ticket, ...]
    # A refund of money that paid for no tickets (a second payment, a payment that came late).
    of_a_payment: bool


@dataclass(frozen=True)
class OrderSummary:
    order: Order
    refunds: tuple[RefundLine, ...]
    paid: Decimal  # taken by SumUp for this order, every payment together
    refunded: Decimal  # given back: refunds SumUp accepted
    being_refunded: Decimal  # asked of SumUp, answer not (yet) known
    admitting: tuple[Ticket, ...]  # tickets that still get someone in

    @property
    def currency(self):
        return self.order.currency

    @property
    def remaining(self) -> Decimal:
        """What the buyer has paid and not been given back (refunds in progress not deducted)."""
        return max(self.paid - self.refunded, ZERO)

    @property
    def made(self) -> tuple[RefundLine, ...]:
        return tuple(line for line in self.refunds if line.made)

    @property
    def in_progress(self) -> tuple[RefundLine, ...]:
        return tuple(line for line in self.refunds if not line.made)

    @property
    def last_refund(self) -> RefundLine | None:
        """The latest refund made (the refunds are newest first)."""
        return next(iter(self.made), None)

    @property
    def fully_refunded(self) -> bool:
        return self.order.status == Order.Status.REFUNDED

    @property
    def partly_refunded(self) -> bool:
        return self.order.status == Order.Status.PARTIALLY_REFUNDED

    @property
    def being_refunded_ids(self) -> frozenset[int]:
        return frozenset(ticket.pk for line in self.in_progress for ticket in line.tickets)


def summarise(order: Order) -> OrderSummary:
    """The order's refunds, what is still paid and which tickets admit, in four queries at most."""
    # All of them, filtered here: an order has one or two, and prefetched they cost no query.
    payments = {
        payment.pk: payment for payment in order.payments.all() if payment.status == Payment.Status.PAID
    }
    tickets = Ticket.objects.select_related("ticket_type").order_by("ticket_type__sort_order", "id")
    refunds = _refunds(payments, tickets)
    lines = tuple(_line(refund) for refund in refunds)
    being_refunded = {ticket.pk for line in lines if not line.made for ticket in line.tickets}
    valid = valid_tickets_of(order) if order.status in Order.OWNS_TICKETS else []
    return OrderSummary(
        order=order,
        refunds=lines,
        paid=sum((paid_amount(payment) for payment in payments.values()), ZERO),
        refunded=sum((line.amount for line in lines if line.made), ZERO),
        being_refunded=sum((line.amount for line in lines if not line.made), ZERO),
        admitting=tuple(ticket for ticket in valid if ticket.pk not in being_refunded),
    )


def _refunds(paid_payments: dict[int, Payment], tickets) -> list[Refund]:
    """The refunds of these payments that were not refused, newest first, with their tickets.

    Only a paid payment is ever refunded (`ticketing.payments.refunds`), and PAID is final, so
    an order with no paid payment (one waiting for its payment) needs no query at all.
    """
    if not paid_payments:
        return []
    refunds = refunds_of(paid_payments)
    if refunds:
        prefetch_related_objects(refunds, Prefetch("tickets", queryset=tickets))
    for refund in refunds:
        refund.payment = paid_payments[refund.payment_id]  # the copy the caller holds
    return refunds


def _line(refund: Refund) -> RefundLine:
    made = refund.status == Refund.Status.SUCCEEDED
    return RefundLine(
        refund=refund,
        amount=refund.amount,
        currency=refund.payment.currency,
        made=made,
        date=(refund.completed_at or refund.created_at) if made else refund.created_at,
        tickets=tuple(refund.tickets.all()),
        of_a_payment=refund.kind in Refund.AUTOMATIC_KINDS or not refund.tickets.all(),
    )


def refund_line(summary: OrderSummary, refund: Refund) -> RefundLine | None:
    """The line of `refund` in the summary (None for a failed refund, which the summary leaves out)."""
    return next((line for line in summary.refunds if line.refund.pk == refund.pk), None)
