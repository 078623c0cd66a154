"""Reserve and release tickets: the only code that changes the `sold` counters (and the uses
of a promo code, a limited stock of discounts counted the same way).

Every change is a conditional UPDATE evaluated by the database (`sold + n <= capacity`), so
two buyers can never both take the last seat, on PostgreSQL or SQLite, whatever the
concurrency. Rows are always touched in the same order, ticket types by id and then the
event, by sales and by whoever must stop every sale (a cancellation, `check_inventory`), so
concurrent transactions queue behind each other instead of deadlocking.

The event's own row is the hot row of a rush: every type's sale would queue on it. It is
touched only when the event has an overall capacity; `Event.sold` counts only then, and is
recounted from its types when a capacity is set (`recount_event`).
No network call may happen while these locks are held: callers commit before calling SumUp.

Release is tied to an order's state change (`ticketing.orders`), made with its own
conditional UPDATE in the same transaction, so a hold is released exactly once however many
expiry runs, payments and cancellations race for it.
"""

import logging
from collections import defaultdict
from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models import Count, F, Q, Sum

from ticketing.models import Event, Order, OrderLine, PromoCode, Ticket, TicketType, WaitingListEntry
from ticketing.signals import availability_changed, seats_released

logger = logging.getLogger(__name__)


class SoldOut(Exception):
    """Not enough tickets left. `ticket_type` is None when the event-wide limit was hit."""

    def __init__(self, ticket_type=None):
        self.ticket_type = ticket_type
        if ticket_type is None:
            message = "Sorry, there are not enough tickets left for this event."
        else:
            message = f"Sorry, there are not enough {ticket_type.name} tickets left."
        super().__init__(message)


def _announce_change(event_id: int, sold_types: Iterable[int] | None = None) -> None:
    """Tell listeners (the page cache) once the change is committed and visible to others.

    `sold_types`: the types a sale took seats from, when it only took seats; None for a release
    (see `availability_changed`).
    """
    kwargs = {} if sold_types is None else {"sold_types": frozenset(sold_types)}
    transaction.on_commit(lambda: availability_changed.send(sender=Event, event_id=event_id, **kwargs))


def refuse_when_short(event: Event, quantities: dict[TicketType, int]) -> None:
    """Raise SoldOut when the rows already read (`event` and the keys of `quantities`) show
    fewer tickets left than the order asks for.

    A refusal only, never a sale: at an on-sale rush most buyers arrive after the last seat, and
    this spares each of them a transaction (velocity checks, an order inserted and rolled back).
    Only `reserve_tickets`'s conditional UPDATE takes seats, so rows read a moment ago can refuse
    a seat released since (as the page the buyer read would have) but can never oversell.
    """
    for ticket_type, n in quantities.items():
        if n and ticket_type.remaining_of_type < n:
            raise SoldOut(ticket_type)
    if event.remaining is not None and event.remaining < sum(quantities.values()):
        raise SoldOut()


def lock_event_stock(event_id: int) -> None:
    """Lock the event's stock rows until the transaction ends, so that no sale runs meanwhile.

    Its ticket types by id, then the event: the order every sale takes them in, so a sale
    under way finishes first. (An order's foreign keys, deferred by Django to the commit, take
    their share locks on the event and types after the sale's UPDATEs: nothing locks the event
    before a type.) An event's cancellation takes them. On SQLite the IMMEDIATE transaction
    already serialises writers.
    """
    list(TicketType.objects.select_for_update().filter(event_id=event_id).order_by("pk").values_list("pk"))
    list(Event.objects.select_for_update().filter(pk=event_id).values_list("pk", flat=True))


def reserve_tickets(event_id: int, quantities: dict[int, int]) -> None:
    """Take `quantities` ({ticket type id: n}) from the stock of one event, all or nothing.

    Raises SoldOut if any type, or the event as a whole, lacks stock. No savepoint is taken
    (it would cost two round trips on every checkout): the SoldOut must reach the caller's
    own atomic block, which then rolls back everything, these UPDATEs included. Callers run
    it last before commit, so the contended rows are locked for as short a time as possible.
    """
    quantities = {type_id: n for type_id, n in quantities.items() if n}
    if not quantities:
        return
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        for type_id in sorted(quantities):
            n = quantities[type_id]
            cursor.execute(_TAKE_FROM_TYPE_SQL, [n, type_id, event_id, n])
            if not cursor.rowcount:
                raise SoldOut(TicketType.objects.filter(pk=type_id).first())
        _take_from_event_capacity(cursor, event_id, sum(quantities.values()))
        _announce_change(event_id, sold_types=quantities)


class PromoCodeUsedUp(SoldOut):
    """The promo code has been used as often as it may. A kind of SoldOut, so that whoever meets
    it treats it as stock that ran out: the checkout frees overdue holds (which give their uses
    back) and tries once more; a payment arriving after its hold ended goes to review."""

    field = "promo_code"

    def __init__(self, code: str):
        Exception.__init__(self, f"Sorry, the promo code {code} has been used as many times as it can be.")
        self.ticket_type = None


def take_promo_use(promo_code_id: int | None) -> None:
    """Count one more order holding the code, unless that would pass its `max_uses`.

    One conditional UPDATE, like a reservation, so concurrent checkouts never use a code more
    often than allowed. Called after the order's tickets are reserved (the promo code's row is
    the last one locked: event, ticket types by id, then the code). Raises PromoCodeUsedUp.
    """
    if promo_code_id is None:
        return
    taken = PromoCode.objects.filter(
        Q(max_uses__isnull=True) | Q(max_uses__gte=F("used") + 1), pk=promo_code_id
    ).update(used=F("used") + 1)
    if not taken:
        raise PromoCodeUsedUp(PromoCode.objects.values_list("code", flat=True).get(pk=promo_code_id))


def release_promo_use(promo_code_id: int | None) -> None:
    """Give one use of the code back: its order ended unpaid. Only `ticketing.orders` calls it,
    in the transaction of the state change that released the order's tickets, so exactly once."""
    if promo_code_id is None:
        return
    PromoCode.objects.filter(pk=promo_code_id, used__gt=0).update(used=F("used") - 1)


# A sale's conditional UPDATEs, written out: they run on every checkout, and building them with
# F() expressions cost the ORM four times what the statements cost the database.
_TAKE_FROM_TYPE_SQL = (
    "UPDATE ticketing_tickettype SET sold = sold + %s"
    " WHERE id = %s AND event_id = %s AND capacity >= sold + %s"
)
_TAKE_FROM_EVENT_SQL = (
    "UPDATE ticketing_event SET sold = sold + %s"
    " WHERE id = %s AND capacity IS NOT NULL AND capacity >= sold + %s"
)
_EVENT_HAS_CAPACITY_SQL = "SELECT capacity IS NOT NULL FROM ticketing_event WHERE id = %s"


def _take_from_event_capacity(cursor, event_id: int, total: int) -> None:
    """Count `total` against the event's overall capacity, if it has one; else touch nothing.

    Decided by the database, after the types' rows are locked: a capacity being set meanwhile
    (`recount_event`) waits for those locks and then counts this sale from the types, or has
    committed, and then this UPDATE sees it. A row that fails the condition is not locked, so
    an event without a capacity costs its buyers no queue.
    """
    cursor.execute(_TAKE_FROM_EVENT_SQL, [total, event_id, total])
    if cursor.rowcount:
        return
    cursor.execute(_EVENT_HAS_CAPACITY_SQL, [event_id])
    row = cursor.fetchone()
    if row is not None and row[0]:
        raise SoldOut()


def release(event_id: int, quantities: dict[int, int], *, pass_to_waiting_list: bool = True) -> None:
    """Give `quantities` back to stock, after the state change that owned them, in the same
    transaction: `ticketing.orders` (an order's hold or tickets) and `ticketing.waiting_list`
    (an offer's seats).

    This is the one place seats come back, so it is where the waiting list hears of them
    (`seats_released`, in this transaction, the event row still locked): the next people in
    line are offered them before anyone else can buy them. `pass_to_waiting_list=False` is for
    seats that change hands inside the transaction (an offer becoming its order), not coming back.
    """
    quantities = {type_id: n for type_id, n in quantities.items() if n}
    if not quantities:
        return
    if pass_to_waiting_list:
        # The waiting list offers these seats under the lock of every type of the event and the
        # event itself. Taking that lock now, in the one order (types by id, then the event),
        # keeps a release from holding a later type while it waits for an earlier one that a
        # sale holds: no deadlock between a release and a sale of several types.
        lock_event_stock(event_id)
    for type_id in sorted(quantities):
        TicketType.objects.filter(pk=type_id).update(sold=F("sold") - quantities[type_id])
    Event.objects.filter(pk=event_id, capacity__isnull=False).update(
        sold=F("sold") - sum(quantities.values())
    )
    _announce_change(event_id)
    if pass_to_waiting_list:
        seats_released.send(sender=Event, event_id=event_id)


def recount_event(sender=None, *, event_id: int, **kwargs) -> None:
    """Set the event's `sold` from its types' counters, when it gets an overall capacity (`capacity_set`).

    Without one, sales leave the event's row alone, so its counter is stale until now. The
    caller locks the types first (`lock_types_for_recount`) and keeps the lock to commit.
    """
    total = TicketType.objects.filter(event_id=event_id).aggregate(n=Sum("sold", default=0))["n"]
    Event.objects.filter(pk=event_id).update(sold=total)


def lock_types_for_recount(sender=None, *, event_id: int, **kwargs) -> None:
    """Lock the event's ticket types, before its own row is saved: the order every sale takes."""
    list(TicketType.objects.select_for_update().filter(event_id=event_id).order_by("pk").values_list("pk"))


def release_tickets(tickets: Iterable[Ticket]) -> None:
    """Give voided tickets' seats back (a refund). The caller voids them in the same transaction."""
    by_event: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for ticket in tickets:
        by_event[ticket.ticket_type.event_id][ticket.ticket_type_id] += 1
    for event_id in sorted(by_event):
        release(event_id, dict(by_event[event_id]))


def held_counts() -> dict[int, int]:
    """What each ticket type's `sold` should be, computed from the orders themselves.

    Pending orders hold their lines' quantities; paid (and partly refunded) orders hold their
    tickets that are not voided; open waiting-list offers hold the seats they offer.
    """
    held: dict[int, int] = defaultdict(int)
    pending = (
        OrderLine.objects.filter(order__status=Order.Status.PENDING)
        .values("ticket_type_id")
        .annotate(n=Sum("quantity"))
    )
    for row in pending:
        held[row["ticket_type_id"]] += row["n"]
    issued = (
        Ticket.objects.filter(order__status__in=Order.OWNS_TICKETS, voided_at__isnull=True)
        .values("ticket_type_id")
        .annotate(n=Count("id"))
    )
    for row in issued:
        held[row["ticket_type_id"]] += row["n"]
    offered = (
        WaitingListEntry.objects.filter(status=WaitingListEntry.Status.OFFERED)
        .values("ticket_type_id")
        .annotate(n=Sum("offered_quantity"))
    )
    for row in offered:
        held[row["ticket_type_id"]] += row["n"]
    return held


def check_inventory(fix: bool = False) -> list[dict]:
    """Compare every `sold` counter with the orders; optionally set it right.

    A counter can drift where a ledger cannot (a bug, a hand-edited row); this is how we
    notice. Returns one dict per difference found.
    """
    differences = []
    with transaction.atomic():
        # Lock the counters first (types, then events: a sale's order), then count: no sale
        # can slip in between.
        types = list(TicketType.objects.select_for_update().order_by("pk"))
        events = {e.pk: e for e in Event.objects.select_for_update().order_by("pk")}
        held = held_counts()
        event_totals: dict[int, int] = defaultdict(int)
        for ticket_type in types:
            expected = held.get(ticket_type.pk, 0)
            event_totals[ticket_type.event_id] += expected
            if ticket_type.sold != expected:
                differences.append(
                    {
                        "kind": "ticket_type",
                        "id": ticket_type.pk,
                        "name": str(ticket_type),
                        "sold": ticket_type.sold,
                        "expected": expected,
                    }
                )
                if fix:
                    TicketType.objects.filter(pk=ticket_type.pk).update(sold=expected)
        differences += _promo_code_differences(fix)
        for event_id, event in events.items():
            expected = event_totals.get(event_id, 0)
            if event.capacity is None:
                continue  # its counter counts only under an overall capacity (reserve_tickets)
            if event.sold != expected:
                differences.append(
                    {
                        "kind": "event",
                        "id": event_id,
                        "name": event.title,
                        "sold": event.sold,
                        "expected": expected,
                    }
                )
                if fix:
                    Event.objects.filter(pk=event_id).update(sold=expected)
    return differences


def _promo_code_differences(fix: bool) -> list[dict]:
    """Each promo code's `used` against its orders: those pending, and those ever paid (a paid
    order keeps its use, refunded or not). Inside `check_inventory`'s transaction, the codes
    locked after the ticket types (the one lock order)."""
    codes = list(PromoCode.objects.select_for_update().order_by("pk"))
    holding = (
        Order.objects.filter(promo_code__isnull=False)
        .filter(Q(status=Order.Status.PENDING) | Q(paid_at__isnull=False))
        .values("promo_code_id")
        .annotate(n=Count("id"))
    )
    expected = {row["promo_code_id"]: row["n"] for row in holding}
    differences = []
    for code in codes:
        should_be = expected.get(code.pk, 0)
        if code.used != should_be:
            differences.append(
                {
                    "kind": "promo_code",
                    "id": code.pk,
                    "name": code.code,
                    "sold": code.used,
                    "expected": should_be,
                }
            )
            if fix:
                PromoCode.objects.filter(pk=code.pk).update(used=should_be)
    return differences
