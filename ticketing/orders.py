"""The order lifecycle: the only code that changes an order's state.

Every state an order can move to, from where, and what the move does to stock and tickets is
declared once, in `TRANSITIONS`. One guarded helper (`_apply`) performs any of them:

1. a conditional UPDATE (`WHERE status = <the state the caller saw>`), so of several racing
   callers (two webhook deliveries, an expiry run and a payment) exactly one makes the move and
   the others learn that they lost and change nothing;
2. in the same transaction, what the transition does to stock (reserve the order's lines again,
   release them, or release the seats of voided tickets, through `ticketing.inventory`) and to
   tickets (issue them and promise their e-mail, or void the refunded ones);
3. one audit line (`ticketing.audit`) and, once the transaction commits, the `order_changed`
   signal, for whoever needs to know (the page cache listens to stock changes).

The verbs below (`place`, `mark_paid`, `expire`, `cancel`, `send_to_review`,
`record_refund`) are the public API; callers decide *whether* a move is wanted (SumUp said
paid, the hold ran out, staff refunded) and this module decides *how* it happens. The state
groups ("holds stock", "owns tickets", "was paid") are defined once, on `Order`.

Locking rule (the one rule for the whole app): stock rows are locked only by
`ticketing.inventory`, event first and then ticket types by id, and only inside the short
transactions opened here or in `ticketing.checkout`; no network call is ever made while one
is open.
"""

import logging
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from enum import Enum

from django.conf import settings
from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone

from core.models import TermsInForce
from ticketing import audit, inventory
from ticketing.models import Event, Order, OrderLine, Payment, PromoCode, Ticket, TicketType, lines_of

logger = logging.getLogger(__name__)

Status = Order.Status

# Sent once the transaction that moved an order has committed. Args: order, old, new, cause.
order_changed = Signal()


class Stock(Enum):
    """What a transition does to the event's stock."""

    KEEP = "keeps its stock"
    RESERVE = "reserves the order's tickets"
    RELEASE = "releases the order's tickets"
    RELEASE_VOIDED = "releases the refunded tickets' seats"


class Tickets(Enum):
    """What a transition does to the order's tickets."""

    NONE = "no tickets"
    ISSUE = "issues the tickets and e-mails them"
    VOID = "voids the refunded tickets"


@dataclass(frozen=True)
class Transition:
    verb: str
    sources: tuple[str, ...]
    target: str
    stock: Stock = Stock.KEEP
    tickets: Tickets = Tickets.NONE


# Every move an order can make. Nothing else changes `Order.status`.
TRANSITIONS = (
    Transition("place", ("",), Status.PENDING, stock=Stock.RESERVE),
    Transition("mark_paid", (Status.PENDING,), Status.PAID, tickets=Tickets.ISSUE),
    # Paid after its hold ended: the tickets are taken again if they are still there.
    Transition(
        "mark_paid",
        Order.HOLD_ENDED,
        Status.PAID,
        stock=Stock.RESERVE,
        tickets=Tickets.ISSUE,
    ),
    Transition("expire", (Status.PENDING,), Status.EXPIRED, stock=Stock.RELEASE),
    Transition("cancel", (Status.PENDING,), Status.CANCELLED, stock=Stock.RELEASE),
    # The box office closes an unpaid order under review: its tickets went back when it got there.
    Transition("cancel", (Status.NEEDS_REVIEW,), Status.CANCELLED),
    Transition("send_to_review", (Status.PENDING,), Status.NEEDS_REVIEW, stock=Stock.RELEASE),
    Transition("send_to_review", Order.HOLD_ENDED, Status.NEEDS_REVIEW),
    Transition(
        "record_refund",
        (Status.PAID, Status.PARTIALLY_REFUNDED),
        Status.PARTIALLY_REFUNDED,
        stock=Stock.RELEASE_VOIDED,
        tickets=Tickets.VOID,
    ),
    Transition(
        "record_refund",
        (Status.PAID, Status.PARTIALLY_REFUNDED),
        Status.REFUNDED,
        stock=Stock.RELEASE_VOIDED,
        tickets=Tickets.VOID,
    ),
    # Money refunded that paid for no tickets (a late payment, a mismatch): nothing is held now.
    Transition("record_refund", (Status.NEEDS_REVIEW, Status.EXPIRED, Status.CANCELLED), Status.REFUNDED),
)


def sources(verb: str) -> tuple[str, ...]:
    """Every state an order can make the move `verb` from (for screens that offer the move)."""
    return tuple(dict.fromkeys(source for t in TRANSITIONS if t.verb == verb for source in t.sources))


def transition_for(verb: str, source: str, target: str) -> Transition | None:
    """The declared transition `verb` from `source` to `target`, or None if there is none."""
    for candidate in TRANSITIONS:
        if candidate.verb == verb and source in candidate.sources and candidate.target == target:
            return candidate
    return None


class IllegalTransition(Exception):
    """A caller asked for a move the table does not declare: a bug, never a buyer's doing."""


# --- The one guarded helper ---------------------------------------------------------------


def _apply(order: Order, verb: str, target: str, *, cause: str, tickets=(), **fields) -> bool:
    """Move `order` from the state the caller saw to `target`, exactly once.

    Returns False, changing nothing, when the order is not (or no longer) in a state the move
    starts from: someone else moved it first. Raises `inventory.SoldOut` from a reservation, which rolls the move back.
    `tickets` are the tickets a refund voids.
    """
    if not any(t.verb == verb and t.target == target for t in TRANSITIONS):
        raise IllegalTransition(f"{verb} -> {target} is not a declared transition")
    source = order.status
    declared = transition_for(verb, source, target)
    if declared is None:
        return False  # the order is in a state this move does not start from: it moved on
    now = timezone.now()
    # No savepoint of its own inside another transaction (`mark_paid`'s, say): a failure here
    # fails the enclosing block as well, and every caller wants the move all or nothing with
    # what encloses it. That saves two statements on every payment confirmed.
    with transaction.atomic(savepoint=False):
        moved = Order.objects.filter(pk=order.pk, status=source).update(
            status=target, updated_at=now, **fields
        )
        if not moved:
            return False
        voided = _apply_stock_and_tickets(order, declared, tickets, now)
    order.status = target
    for name, value in fields.items():
        setattr(order, name, value)
    _announce(order, source, target, cause, voided)
    return True


def _apply_stock_and_tickets(order: Order, declared: Transition, tickets, now) -> list[Ticket]:
    """The side of a transition that is not the status column; inside its transaction."""
    voided = []
    # A promo code's use goes with the order's tickets: held while they are, given back with them.
    if declared.stock is Stock.RESERVE:
        inventory.reserve_tickets(order.event_id, line_quantities(order))
        inventory.take_promo_use(order.promo_code_id)
    elif declared.stock is Stock.RELEASE:
        inventory.release(order.event_id, line_quantities(order))
        inventory.release_promo_use(order.promo_code_id)
    if declared.tickets is Tickets.ISSUE:
        _issue_tickets(order)
    elif declared.tickets is Tickets.VOID:
        voided = _void(tickets, now)
    return voided


def _announce(order: Order, old: str, new: str, cause: str, voided) -> None:
    details = {"tickets_voided": len(voided)} if voided else {}
    audit.order_state_changed(order, old, new, cause, **details)
    transaction.on_commit(
        lambda: order_changed.send(sender=Order, order=order, old=old, new=new, cause=cause)
    )


def line_quantities(order: Order) -> dict[int, int]:
    """{ticket type id: quantity} of the order's lines: what a pending order holds."""
    return dict(OrderLine.objects.filter(order_id=order.pk).values_list("ticket_type_id", "quantity"))


def _issue_tickets(order: Order) -> None:
    Ticket.objects.bulk_create(
        Ticket(order_id=order.pk, ticket_type_id=line.ticket_type_id)
        for line in lines_of(order)
        for _ in range(line.quantity)
    )
    # In the same transaction: the e-mail exists exactly when the tickets do.
    from ticketing.outbox import queue_tickets

    queue_tickets(order)


def _void(tickets, now) -> list[Ticket]:
    """Void those of `tickets` still valid and give their seats back; returns the ones voided."""
    ids = [ticket.pk for ticket in tickets]
    if not ids:
        return []
    # Lock only the tickets: inventory locks events and ticket types itself, in its own order.
    to_void = list(
        Ticket.objects.select_for_update(of=("self",))
        .filter(pk__in=ids, voided_at__isnull=True)
        .select_related("ticket_type")
    )
    Ticket.objects.filter(pk__in=[ticket.pk for ticket in to_void]).update(voided_at=now)
    inventory.release_tickets(to_void)
    return to_void


# --- The verbs ----------------------------------------------------------------------------


@dataclass(frozen=True)
class NewOrder:
    """What a new order is made of: the buyer's details and the tickets, priced by the caller."""

    name: str
    email: str
    ip: str | None
    client_key: str
    email_key: str
    user_agent: str
    quantities: dict[TicketType, int]
    total: Decimal
    risk_flags: list[str]
    # The Terms the buyer accepted (core.models.TermsInForce), or None: no Terms page is set.
    terms: TermsInForce | None = None
    # A promo code (`ticketing.promo_codes`): the price each ticket type is sold at with it,
    # {ticket type: unit price}, and what it takes off the order. No code: the list prices.
    promo_code: PromoCode | None = None
    unit_prices: dict[TicketType, Decimal] | None = None
    discount: Decimal = Decimal("0.00")


def place(event: Event, new: NewOrder) -> Order:
    """Create a pending order holding its tickets for ORDER_HOLD_MINUTES, all or nothing.

    Call inside the caller's transaction (the checkout's, which also checks velocity).
    The stock is reserved last, just before that transaction commits, so the contended rows
    are locked for as short a time as possible. Raises `inventory.SoldOut`; the caller's
    transaction then rolls the order back with everything else.
    """
    order = Order.objects.create(
        event=event,
        name=new.name,
        email=new.email,
        total=new.total,
        currency=event.currency,
        expires_at=timezone.now() + timedelta(minutes=settings.ORDER_HOLD_MINUTES),
        created_ip=new.ip,
        client_key=new.client_key,
        email_key=new.email_key,
        user_agent=new.user_agent[: Order._meta.get_field("user_agent").max_length],
        risk_flags=new.risk_flags,
        terms_revision_id=new.terms.revision_id if new.terms else None,
        terms_version=new.terms.version if new.terms else "",
        promo_code=new.promo_code,
        discount=new.discount,
    )
    prices = new.unit_prices or {}
    OrderLine.objects.bulk_create(
        OrderLine(
            order=order,
            ticket_type=ticket_type,
            quantity=n,
            unit_price=prices.get(ticket_type, ticket_type.price),
        )
        for ticket_type, n in sorted(new.quantities.items(), key=lambda item: item[0].pk)
    )
    # The "place" transition: reserve the order's tickets, then its promo code's use.
    inventory.reserve_tickets(event.pk, {ticket_type.pk: n for ticket_type, n in new.quantities.items()})
    inventory.take_promo_use(order.promo_code_id)
    _announce(order, "", order.status, "order placed", ())
    return order


def mark_paid(order: Order, payment: Payment | None = None, *, cause: str = "payment confirmed") -> bool:
    """Pay the order: tickets issued and e-mailed, `payment` recorded as the one that paid.

    From pending, its held tickets become the buyer's. From expired or cancelled (a payment that
    arrived after the hold ended) the tickets are reserved again first; raises
    `inventory.SoldOut` (nothing changed) when they are gone. Returns False when the order had
    already moved on.
    """
    now = timezone.now()
    with transaction.atomic():
        if not _apply(order, "mark_paid", Status.PAID, cause=cause, paid_at=now):
            return False
        if payment is not None:
            # At most one payment of an order has this: any other PAID payment is a duplicate.
            payment.confirmed_at = now
            Payment.objects.filter(pk=payment.pk).update(confirmed_at=now)
    return True


def expire(order: Order) -> bool:
    """End a pending order whose hold ran out; its tickets go back on sale."""
    return _apply(order, "expire", Status.EXPIRED, cause="hold ended")


def cancel(order: Order, *, cause: str) -> bool:
    """Cancel an unpaid order: a pending one (its payment could not start, or the box office
    cancelled it) gives its tickets back on sale; one in review holds none any more."""
    return _apply(order, "cancel", Status.CANCELLED, cause=cause)


def send_to_review(order: Order, *, cause: str) -> bool:
    """Put an unpaid order in front of a person; a pending order's tickets go back on sale.

    A paid order is never moved: whatever arrives later, its tickets stand.
    """
    if order.status not in sources("send_to_review"):
        return False
    # A new reason for review wipes an earlier review: it is this one a person must look at.
    moved = _apply(
        order, "send_to_review", Status.NEEDS_REVIEW, cause=cause, reviewed_at=None, reviewed_by=None
    )
    if moved:
        logger.warning("order needs review", extra={"order": order.reference, "cause": cause})
    return moved


def record_refund(order: Order, *, tickets=(), cause: str) -> bool:
    """Record money SumUp has given back: void `tickets` and release their seats, then move the
    order to what the refund leaves it.

    Tickets refunded: `refunded` once none is valid, else `partially_refunded`. Money refunded
    on its own (it paid for no tickets) makes an unpaid order `refunded`; a paid order stays as
    it is. The caller decides that no money of the order is still held. Call inside the
    refund's transaction, with the order row locked. Returns whether the order moved.
    """
    if tickets:
        valid_left = Ticket.objects.filter(order_id=order.pk, voided_at__isnull=True).exclude(
            pk__in=[ticket.pk for ticket in tickets]
        )
        target = Status.PARTIALLY_REFUNDED if valid_left.exists() else Status.REFUNDED
        return _apply(order, "record_refund", target, cause=cause, tickets=tickets)
    if order.status in Order.WAS_PAID:
        return False
    return _apply(order, "record_refund", Status.REFUNDED, cause=cause)


def expire_overdue_holds(event_id: int | None = None, now=None, *, promo_code_id: int | None = None) -> int:
    """Expire pending orders whose hold has ended (of one event, of one promo code, or all);
    returns how many.

    Safe to run any time, concurrently with itself and with payments: each order moves once.
    The checkout calls it for one event when stock runs short, so a stopped worker never keeps
    tickets off sale; the worker calls it for all (after closing their SumUp checkouts).
    """
    now = now or timezone.now()
    overdue = Order.objects.filter(status=Status.PENDING, expires_at__lte=now)
    if event_id is not None:
        overdue = overdue.filter(event_id=event_id)
    if promo_code_id is not None:
        overdue = overdue.filter(promo_code_id=promo_code_id)
    # Every buyer who meets "sold out" asks, and at an on-sale rush that is most of them, who
    # nearly always find none: so the ids alone are read first, in one plain SELECT, and only
    # the orders found are read whole. Whole orders through `iterator()` cost a server-side
    # cursor (DECLARE, FETCH and CLOSE: three round trips) and the ORM's compiling of every
    # column: 0.7-1.1 ms of CPU a call, where the ids take 0.4-0.6.
    ids = list(overdue.values_list("pk", flat=True))
    if not ids:
        return 0
    return sum(expire(order) for order in Order.objects.filter(pk__in=ids).order_by("expires_at"))


def state_diagram() -> str:
    """The transitions as a Mermaid state diagram (docs/ARCHITECTURE.md shows it; a test keeps
    the two the same)."""
    lines = ["stateDiagram-v2"]
    for declared in TRANSITIONS:
        effects = [e.value for e in (declared.stock, declared.tickets) if e not in (Stock.KEEP, Tickets.NONE)]
        label = declared.verb + (f" ({', '.join(effects)})" if effects else "")
        for source in declared.sources:
            lines.append(f"    {source or '[*]'} --> {declared.target}: {label}")
    return "\n".join(lines)
