"""Cancelling an event: the only place with this rule.

Staff confirm once (`cancel_event`). In one short transaction, with the event's stock row
locked first (the app's one lock order, `ticketing.inventory`), the event becomes cancelled,
which stops sales at once (`Event.why_not_on_sale`); its pending orders are cancelled, their
held tickets released (`ticketing.orders.cancel`); the `EventCancellation` is recorded and
audited, and the refund job is queued in the same transaction. A second call finds the
cancellation and changes nothing.

The money goes back afterwards, in the worker (`refund_orders`), never in a staff request and
never with a transaction open across a call to SumUp: each paid order is refunded in full
(every valid ticket) through the normal refund path (`ticketing.payments.refunds.execute`),
which voids the tickets, gives their seats back, audits the refund and e-mails the buyer. Each
refund asked for is recorded on the cancellation, failed ones with SumUp's reason.

It is resumable and idempotent: an order is refunded only while it still owns tickets and has
no refund in flight, and a lease (`working_until`) lets one run at a time work through an
event's orders, so a resume that overlaps a run (or a second worker) changes nothing. A failed
refund is tried again by `resume_cancellations` (every five minutes, `ticketing.schedule`); one
whose answer SumUp never gave is settled by the refunds' own job, then finished here. The
cancellation is finished once no order of the event owns tickets and no refund is in flight; a
payment that still arrives later for the cancelled event is refunded by the next resume.
"""

import logging
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, F, Q, Sum
from django.utils import timezone
from wagtail.log_actions import log

from ticketing import inventory, orders
from ticketing.models import Event, EventCancellation, Order, Payment, Refund, Ticket
from ticketing.payments import refunds
from ticketing.payments.confirmation import close_open_checkouts
from ticketing.signals import availability_changed

logger = logging.getLogger(__name__)

# Wagtail audit log action (registered in ticketing.wagtail_hooks).
LOG_CANCEL_EVENT = "ticketing.cancel_event"
# Kept with every refund the cancellation makes, and shown to staff with it.
REFUND_REASON = "Event cancelled"
# How long one run of `refund_orders` owns a cancellation's orders; renewed after each order,
# so only a run that died (a killed worker) loses it, and the next resume carries on.
WORK_LEASE = timedelta(minutes=5)


@dataclass(frozen=True)
class Consequences:
    """What cancelling an event would do now, for the confirmation page."""

    paid_orders: int
    tickets: int
    # {currency: amount}: an event sells in one currency, but the orders are the record.
    to_refund: dict[str, Decimal]
    pending_orders: int
    pending_tickets: int


@dataclass(frozen=True)
class Progress:
    """How far a cancellation's refunds have got, read from the orders and refunds themselves."""

    refunded: int
    to_refund: int
    in_flight: int
    # The refunds SumUp refused (or never made) of orders still to refund: the last one each.
    failed: list[Refund] = field(default_factory=list)
    finished_at: object = None

    @property
    def total(self) -> int:
        return self.refunded + self.to_refund


# --- What it would do -------------------------------------------------------------------------


def what_cancelling_does(event: Event) -> Consequences:
    """The paid orders, their valid tickets, the money to give back and the holds to end.

    In a fixed number of queries whatever the number of orders. The amount is what the
    refunds will ask SumUp for: each valid ticket at the unit price its order line recorded.
    """
    valid = Ticket.objects.filter(
        order__event=event, order__status__in=Order.OWNS_TICKETS, voided_at__isnull=True
    )
    # One line per order and ticket type (a constraint), so the join finds each ticket's price once.
    by_currency = (
        valid.filter(order__lines__ticket_type_id=F("ticket_type_id"))
        .values("order__currency")
        .annotate(tickets=Count("id"), amount=Sum("order__lines__unit_price"))
        .order_by("order__currency")
    )
    to_refund = {row["order__currency"]: row["amount"] for row in by_currency}
    paid_orders = Order.objects.filter(event=event, status__in=Order.OWNS_TICKETS).count()
    pending = Order.objects.filter(event=event, status=Order.Status.PENDING).aggregate(
        orders=Count("id", distinct=True), tickets=Sum("lines__quantity")
    )
    return Consequences(
        paid_orders=paid_orders,
        tickets=sum(row["tickets"] for row in by_currency),
        to_refund=to_refund,
        pending_orders=pending["orders"],
        pending_tickets=pending["tickets"] or 0,
    )


# --- Cancelling -------------------------------------------------------------------------------


def cancel_event(event: Event, by) -> EventCancellation:
    """Stop sales, end the holds, record the cancellation and queue its refunds; once.

    Returns the event's cancellation: the new one, or the one an earlier call made (and then
    nothing changes).
    """
    with transaction.atomic():
        # The event's stock rows first (inventory.lock_event_stock), in the order sales take
        # them: a checkout reserving finishes before this, and one after it sees the event
        # cancelled.
        inventory.lock_event_stock(event.pk)
        existing = EventCancellation.objects.filter(event_id=event.pk).first()
        if existing is not None:
            return existing
        now = timezone.now()
        planned = what_cancelling_does(event)
        Event.objects.filter(pk=event.pk).update(status=Event.Status.CANCELLED, updated_at=now)
        event.status = Event.Status.CANCELLED
        pending = Order.objects.filter(event_id=event.pk, status=Order.Status.PENDING).order_by("pk")
        for order in pending:
            orders.cancel(order, cause="event cancelled")
        cancellation = EventCancellation.objects.create(
            event=event,
            requested_by=by,
            requested_at=now,
            paid_orders=planned.paid_orders,
            tickets=planned.tickets,
            pending_orders=planned.pending_orders,
        )
        log(
            instance=event,
            action=LOG_CANCEL_EVENT,
            user=by,
            data={
                "cancellation": cancellation.pk,
                "paid_orders": planned.paid_orders,
                "tickets": planned.tickets,
                "pending_orders": planned.pending_orders,
                "to_refund": {currency: str(amount) for currency, amount in planned.to_refund.items()},
            },
        )
        # The event's page says "Cancelled" once this commits (the page cache listens).
        transaction.on_commit(lambda: availability_changed.send(sender=Event, event_id=event.pk))
        _queue_refunds(cancellation)
    logger.info(
        "event cancelled",
        extra={
            "event": event.pk,
            "paid_orders": planned.paid_orders,
            "pending_orders": planned.pending_orders,
        },
    )
    return cancellation


def _queue_refunds(cancellation: EventCancellation) -> None:
    """Queue the refund job: in this transaction on the database queue, else once it commits."""
    from ticketing.outbox import queue_is_in_database
    from ticketing.tasks import refund_cancelled_event

    def enqueue():
        refund_cancelled_event.enqueue(cancellation.pk)

    if queue_is_in_database():
        enqueue()
    else:
        transaction.on_commit(enqueue)


# --- Refunding --------------------------------------------------------------------------------


def refund_orders(cancellation: EventCancellation) -> str:
    """Refund every order of the cancelled event that still owns tickets; safe to run any time.

    Call with no transaction open: it calls SumUp. Returns a summary for the worker's log.
    """
    if not _take_lease(cancellation):
        return "another run is refunding this event"
    try:
        _close_cancelled_checkouts(cancellation.event_id)
        made = failed = 0
        for order in _orders_to_refund(cancellation.event_id):
            outcome = _refund_order(cancellation, order)
            made += outcome == Refund.Status.SUCCEEDED
            failed += outcome == Refund.Status.FAILED
            _take_lease(cancellation, renew=True)
        finished = _finish_if_done(cancellation)
    finally:
        EventCancellation.objects.filter(pk=cancellation.pk).update(working_until=None)
    summary = f"{made} refunded, {failed} failed" + (", finished" if finished else "")
    logger.info("event cancellation refunds", extra={"event": cancellation.event_id, "summary": summary})
    return summary


def _take_lease(cancellation: EventCancellation, *, renew: bool = False) -> bool:
    now = timezone.now()
    claim = EventCancellation.objects.filter(pk=cancellation.pk)
    if not renew:
        claim = claim.filter(Q(working_until__isnull=True) | Q(working_until__lte=now))
    return bool(claim.update(working_until=now + WORK_LEASE))


def _orders_to_refund(event_id: int):
    return Order.objects.filter(event_id=event_id, status__in=Order.OWNS_TICKETS).order_by("pk")


def _close_cancelled_checkouts(event_id: int) -> None:
    """Stop SumUp taking money on the cancelled holds' open checkouts (a buyer mid-payment).

    A payment that still lands pays its order the late way; the next resume refunds it.
    """
    open_checkouts = Payment.objects.filter(
        order__event_id=event_id, order__status=Order.Status.CANCELLED
    ).exclude(status__in=[Payment.Status.PAID, Payment.Status.EXPIRED, Payment.Status.FAILED])
    for order in Order.objects.filter(pk__in=open_checkouts.values("order_id")):
        close_open_checkouts(order)


def _refund_order(cancellation: EventCancellation, order: Order) -> str | None:
    """Refund all of one order's valid tickets; returns the refund's status, None if not tried."""
    if Refund.objects.filter(payment__order=order, status__in=Refund.IN_FLIGHT).exists():
        return None  # SumUp has it in hand (or its answer is being settled): never ask twice
    try:
        plan = refunds.plan_ticket_refund(order)
    except refunds.RefundRefused:
        return None  # nothing left to refund on it (refunded meanwhile)
    started = timezone.now()
    try:
        refunds.execute(plan, user=cancellation.requested_by, reason=REFUND_REASON)
    except refunds.RefundRefused:
        logger.warning("cancellation refund refused", extra={"order": order.reference})
    except (refunds.RefundFailed, refunds.RefundOutcomeUnknown):
        pass  # recorded on the refund itself; tried again (or settled) later
    made = list(
        Refund.objects.filter(payment__order=order, reason=REFUND_REASON, created_at__gte=started).order_by(
            "pk"
        )
    )
    cancellation.refunds.add(*made)
    return made[-1].status if made else None


def _finish_if_done(cancellation: EventCancellation) -> bool:
    """Mark the cancellation finished once every order is refunded; reopen it if one is not."""
    event_orders = Order.objects.filter(event_id=cancellation.event_id)
    done = (
        not event_orders.filter(status__in=Order.OWNS_TICKETS).exists()
        and not Refund.objects.filter(
            payment__order__event_id=cancellation.event_id, status__in=Refund.IN_FLIGHT
        ).exists()
    )
    if done:
        EventCancellation.objects.filter(pk=cancellation.pk, finished_at__isnull=True).update(
            finished_at=timezone.now()
        )
    else:
        EventCancellation.objects.filter(pk=cancellation.pk).update(finished_at=None)
    return done


def resume_cancellations() -> str:
    """Carry on every cancellation with work left (the worker runs this every five minutes).

    Work left: not finished, or a payment arrived for the event after it was finished.
    """
    waiting = EventCancellation.objects.filter(
        Q(finished_at__isnull=True)
        | Q(event__orders__status__in=Order.OWNS_TICKETS)
        | Q(event__orders__payments__refunds__status__in=Refund.IN_FLIGHT)
    ).distinct()
    summaries = [refund_orders(cancellation) for cancellation in waiting.order_by("pk")]
    return f"{len(summaries)} event cancellation(s) resumed"


# --- Progress ---------------------------------------------------------------------------------


def progress(cancellation: EventCancellation) -> Progress:
    """Refunded N of M, the failed refunds with SumUp's reason, and when it finished.

    M counts the orders this cancellation refunded and those it still has to; an order
    refunded by staff before the cancellation is not counted. A fixed number of queries.
    """
    event_orders = Order.objects.filter(event_id=cancellation.event_id)
    succeeded = cancellation.refunds.filter(status=Refund.Status.SUCCEEDED)
    to_refund = list(event_orders.filter(status__in=Order.OWNS_TICKETS).values_list("pk", flat=True))
    refunded = (
        event_orders.filter(status=Order.Status.REFUNDED, payments__refunds__in=succeeded).distinct().count()
    )
    attempts = cancellation.refunds.filter(payment__order_id__in=to_refund).select_related("payment__order")
    last_of_order: dict[int, Refund] = {}
    in_flight = set()
    for refund in attempts.order_by("pk"):
        last_of_order[refund.payment.order_id] = refund
    for order_id, refund in last_of_order.items():
        if refund.status in Refund.IN_FLIGHT:
            in_flight.add(order_id)
    failed = [refund for refund in last_of_order.values() if refund.status == Refund.Status.FAILED]
    failed.sort(key=lambda refund: refund.payment.order.reference)
    return Progress(
        refunded=refunded,
        to_refund=len(to_refund),
        in_flight=len(in_flight),
        failed=failed,
        finished_at=EventCancellation.objects.values_list("finished_at", flat=True).get(pk=cancellation.pk),
    )


def refund_follows_cancellation(refund: Refund) -> bool:
    """Was this refund made after its order's event was cancelled? Its e-mail then says so.

    Read from the dates, not from `EventCancellation.refunds`: the buyer's e-mail may be sent
    before the refund is added there.
    """
    return EventCancellation.objects.filter(
        event_id=refund.payment.order.event_id, requested_at__lte=refund.created_at
    ).exists()
