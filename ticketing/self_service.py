"""The buyer cancelling tickets from their own order page, within the event's policy.

The policy is the event's (set by editors in the event's admin form):

* `Event.buyer_cancel_days`: buyers may cancel until this many days before the start (0: until
  the start itself); empty means they may not cancel on their own at all, only staff refund;
* `Event.buyer_cancel_fee`: a fixed amount kept from each cancelled ticket's price, never more
  than that price (0: the whole price comes back).

A ticket may be cancelled while its order owns it (paid, not voided), it has not been checked
in, no refund of it is waiting for SumUp, and the event is not cancelled (its own refunds are
already on the way). What the page offers and what a POST may do are decided by the same
function, `cancellable_tickets`, so a forged POST for anything else is refused and changes
nothing.

The money goes back through the one refund path (`ticketing.payments.refunds`), as a refund
of kind `buyer`: it records the refund in flight under the order's lock (one refund of a
payment in flight at a time, so two cancel POSTs at once make one refund), calls SumUp with no
transaction open, and only when SumUp agrees voids the tickets, gives their seats back and
queues the refund e-mail through the outbox.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from core.money import format_money
from core.wording import counted
from ticketing.models import Event, Order, Refund, Ticket, valid_tickets_of
from ticketing.payments import refunds

ZERO = Decimal("0.00")

# What the refund records as its reason (staff read it in the admin); no buyer's data in it.
REASON = "Cancelled by the buyer on the order page, within the event's cancellation policy"


class CancelRefused(Exception):
    """The cancellation cannot be made as asked; nothing changed. The message is for the buyer.

    `status` is the HTTP status the page answers with: 403 for tickets the policy does not let
    the buyer cancel (or that are not theirs), 400 for a request that chose none, 409 when the
    order changed meanwhile (another cancellation, a refund by staff).
    """

    def __init__(self, message: str, status: int = 403):
        super().__init__(message)
        self.status = status


class CancelNotFinished(Exception):
    """SumUp did not refund (or did not answer): the message says what the buyer can expect."""

    def __init__(self, message: str, *, pending: bool):
        super().__init__(message)
        # True: the refund is waiting for SumUp's answer and will finish by itself.
        self.pending = pending


@dataclass(frozen=True)
class Quote:
    """What cancelling the chosen tickets gives back, shown before the buyer confirms."""

    order: Order
    tickets: tuple[Ticket, ...]
    price: Decimal  # what the tickets cost
    fee: Decimal  # kept under the event's policy
    refund: Decimal  # given back to the card: price less fee

    @property
    def currency(self) -> str:
        return self.order.currency

    @property
    def whole_order(self) -> bool:
        return len(self.tickets) == len(_valid_tickets(self.order))


# --- The policy ---------------------------------------------------------------------------------


def cancel_deadline(event: Event) -> datetime | None:
    """Until when buyers of this event may cancel on their own; None if they may not at all."""
    if event.buyer_cancel_days is None:
        return None
    return event.starts_at - timedelta(days=event.buyer_cancel_days)


def policy_open(event: Event, now=None) -> bool:
    """Does the event's policy let buyers cancel right now?"""
    deadline = cancel_deadline(event)
    if deadline is None or event.status == Event.Status.CANCELLED:
        return False
    return (now or timezone.now()) < deadline


def policy_text(event: Event) -> str:
    """The policy in the buyer's words, for the order page ("" when buyers cannot cancel)."""
    deadline = cancel_deadline(event)
    if deadline is None:
        return ""
    when = timezone.localtime(deadline).strftime("%-d %B %Y, %H:%M")
    fee = event.buyer_cancel_fee or ZERO
    kept = (
        f"a fee of {format_money(fee, event.currency)} per ticket is kept"
        if fee > ZERO
        else "the full price is refunded"
    )
    return f"You can cancel tickets here until {when}; {kept}."


def fee_per_ticket(event: Event, unit_price: Decimal) -> Decimal:
    """The fee kept from one ticket of this price: the event's fee, never more than the price."""
    return min(event.buyer_cancel_fee or ZERO, unit_price)


# --- What the buyer may cancel ----------------------------------------------------------------


def _valid_tickets(order: Order) -> list[Ticket]:
    if order.status not in Order.OWNS_TICKETS:
        return []
    return valid_tickets_of(order)


def cancellable_tickets(order: Order, now=None) -> list[Ticket]:
    """The tickets of this order its buyer may cancel now ([] outside the policy).

    Not a ticket already checked in (it was used), nor one in a refund still waiting for SumUp
    (its money may be on its way back already).
    """
    if not policy_open(order.event, now) or refunds.paying_payment(order) is None:
        return []
    in_flight = set(
        Refund.objects.filter(payment__order=order, status__in=Refund.IN_FLIGHT).values_list(
            "tickets", flat=True
        )
    )
    return [
        ticket
        for ticket in _valid_tickets(order)
        if ticket.checked_in_at is None and ticket.pk not in in_flight
    ]


def quote(order: Order, ticket_ids, now=None) -> Quote:
    """What cancelling these tickets (ids) would give back; CancelRefused when it may not be done."""
    wanted = set(ticket_ids)
    if not wanted:
        raise CancelRefused("Choose at least one ticket to cancel.", status=400)
    if not policy_open(order.event, now):
        raise CancelRefused("Tickets for this event can no longer be cancelled here.")
    offered = {ticket.pk: ticket for ticket in cancellable_tickets(order, now)}
    if not wanted <= offered.keys():
        raise CancelRefused(
            "Some of the chosen tickets cannot be cancelled (already used, refunded or being refunded).",
            status=409,
        )
    chosen = tuple(offered[pk] for pk in sorted(wanted))
    prices = dict(order.lines.values_list("ticket_type_id", "unit_price"))
    price = sum((prices[ticket.ticket_type_id] for ticket in chosen), ZERO)
    fee = sum((fee_per_ticket(order.event, prices[ticket.ticket_type_id]) for ticket in chosen), ZERO)
    return Quote(order=order, tickets=chosen, price=price, fee=fee, refund=price - fee)


# --- Cancelling -------------------------------------------------------------------------------


def cancel(order: Order, ticket_ids, now=None) -> Refund:
    """Cancel the chosen tickets and refund them (less the fee) through the refund service.

    Returns the refund, made. Raises CancelRefused (nothing changed: outside the policy, not
    the buyer's to cancel, or another cancellation got there first) or CancelNotFinished (SumUp
    said no, or has not answered yet).
    """
    offer = quote(order, ticket_ids, now)
    try:
        plan = refunds.plan_ticket_refund(order, offer.tickets, fee=offer.fee, kind=Refund.Kind.BUYER)
        if plan.amount != offer.refund:
            raise refunds.RefundRefused("The order changed.")
        return refunds.execute(plan, reason=REASON)
    except refunds.RefundRefused as refused:
        raise CancelRefused(
            "Your order changed while you were confirming (another cancellation or a refund is "
            "in progress). Nothing was cancelled by this request: look at your order again.",
            status=409,
        ) from refused
    except refunds.RefundOutcomeUnknown as unknown:
        raise CancelNotFinished(
            f"Your cancellation of {counted(len(offer.tickets), 'ticket', 'tickets')} is being processed: "
            "the payment provider has not confirmed the refund yet. The tickets cannot be used "
            "meanwhile, and we will e-mail you when the refund is done.",
            pending=True,
        ) from unknown
    except refunds.RefundFailed as failed:
        raise CancelNotFinished(
            "The payment provider could not refund your card just now, so nothing was cancelled "
            "and your tickets are still valid. Please try again later.",
            pending=False,
        ) from failed
