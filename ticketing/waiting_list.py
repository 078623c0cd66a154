"""The waiting list for a sold-out ticket type: who is in line, the offers they get, and their e-mail.

The rules, each in one function here:

1. **Joining** (`join`): only for a sold-out type of an event on sale; one place in line per
   mailbox and type (a second request changes nothing and gets the same answer, so the form
   never tells whether an address is already on the list).
2. **Seats coming back are offered first to the line** (`offer_released_seats`). Seats come back
   only through `inventory.release`, which sends `seats_released` inside its transaction, the
   event's stock row still locked. Every free seat of the event is then offered to the people
   at the head of the lines, in the order they joined: each entry moves `waiting → offered`
   once (a conditional UPDATE), and its seats are reserved through `ticketing.inventory`, so
   they are counted in `sold` and nobody else can buy them while the offer lasts. This is how
   overselling is ruled out: an offer is a hold like an unpaid order's, checked by the same
   `sold + n <= capacity` UPDATE, and `inventory.check_inventory` counts it. No seat is free
   for a moment in between: a buyer racing the release queues on the event row and finds the
   seats taken. The offer's e-mail is promised in the same transaction (`outbox`).
3. **An offer lasts WAITING_LIST_OFFER_MINUTES** (`expire_overdue_offers`). One that ran out
   moves `offered → expired` and its seats are released, which (rule 2) offers them to the next
   in line. The worker runs it every minute; opening an offer's link or the join page runs it
   inline for that event, so a stopped worker never keeps seats back.
4. **Taking an offer** (`claim`) places an order for exactly the offered seats in one
   transaction with the event row locked: `offered → claimed`, the seats handed from the offer
   to the order (released without passing on, then reserved by `orders.place`). Paying follows
   the normal path; if the order's hold ends unpaid, its seats come back through rule 2.

Logs name entries by id, never the address or the offer's link secret.
"""

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import Count, F, OuterRef, Subquery
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from ticketing import checkout, fraud, inventory, orders, outbox
from ticketing.models import Event, Order, TicketType, WaitingListEntry

logger = logging.getLogger(__name__)

Status = WaitingListEntry.Status
NoticeStatus = WaitingListEntry.NoticeStatus

# A row in `sending` for longer than this belongs to a worker that died (as for buyer e-mails).
SENDING_LEASE = timedelta(minutes=10)


class WaitingListRefused(Exception):
    """The person cannot join this list now; the message is for them."""


class OfferOver(Exception):
    """The offer has ended (taken, run out or withdrawn); the message is for the buyer."""


# --- Joining --------------------------------------------------------------------------------


def why_not_join(ticket_type: TicketType, now=None) -> str | None:
    """Why nobody can join this type's list now, in the buyer's words; None when they can."""
    closed = ticket_type.event.why_not_on_sale(now)
    if closed:
        return closed
    if ticket_type.remaining > 0:
        return f"{ticket_type.name} tickets are on sale again: you can buy them on the event page now."
    return None


def join(ticket_type: TicketType, email: str, quantity: int = 1) -> None:
    """Put the address in line for `quantity` tickets of `ticket_type`; the same for a second time.

    Raises WaitingListRefused when the type is not sold out or the event not on sale.
    """
    expire_overdue_offers(event_id=ticket_type.event_id)
    ticket_type = TicketType.objects.select_related("event").get(pk=ticket_type.pk)
    refused = why_not_join(ticket_type)
    if refused:
        raise WaitingListRefused(refused)
    quantity = max(1, min(quantity, ticket_type.max_per_order))
    try:
        with transaction.atomic():
            entry = WaitingListEntry.objects.create(
                event_id=ticket_type.event_id, ticket_type=ticket_type, email=email.strip(), quantity=quantity
            )
    except IntegrityError:
        return  # already in line (the unique constraint on the mailbox and type): nothing changes
    logger.info("waiting list joined", extra={"waiting_list_entry": entry.pk, "ticket_type": ticket_type.pk})


# --- Offering seats that came back ------------------------------------------------------------


def offer_released_seats(sender=None, *, event_id: int, **kwargs) -> int:
    """`seats_released`'s receiver: offer the event's free seats to the heads of its lines.

    Runs inside the releasing transaction (an expiry, a refund, a cancellation); in a savepoint,
    so a failure here is logged and leaves that transaction whole (the seats are then simply on
    sale). Returns how many offers were made.
    """
    if not WaitingListEntry.objects.filter(event_id=event_id, status=Status.WAITING).exists():
        return 0
    try:
        with transaction.atomic():
            return _offer_free_seats(event_id)
    except Exception:
        logger.exception("waiting list offers failed", extra={"event": event_id})
        return 0


def _offer_free_seats(event_id: int) -> int:
    """Offer every free seat of the event, earliest joiner first; the event row is locked."""
    inventory.lock_event_stock(event_id)  # already ours when called from a release
    event = Event.objects.get(pk=event_id)
    if event.why_not_on_sale() is not None:
        return 0
    types = {t.pk: t for t in TicketType.objects.filter(event_id=event_id)}
    event_free = event.remaining  # None: no event-wide limit
    made = 0
    offered_now: dict[int, int] = {}  # seats offered in this run, per type (its `sold` is stale)
    waiting = WaitingListEntry.objects.filter(event_id=event_id, status=Status.WAITING).order_by(
        "joined_at", "id"
    )
    for entry in waiting:
        if event_free == 0:
            break
        ticket_type = types[entry.ticket_type_id]
        type_free = ticket_type.remaining_of_type - offered_now.get(ticket_type.pk, 0)
        free = type_free if event_free is None else min(type_free, event_free)
        if free <= 0:
            continue  # this type's line waits; another type's may still have seats
        quantity = min(entry.quantity, free, ticket_type.max_per_order)
        if not _make_offer(entry, quantity):
            continue
        offered_now[ticket_type.pk] = offered_now.get(ticket_type.pk, 0) + quantity
        if event_free is not None:
            event_free -= quantity
        made += 1
    return made


def _make_offer(entry: WaitingListEntry, quantity: int) -> bool:
    """`waiting → offered` once, the seats reserved and the e-mail promised; False if it moved on."""
    now = timezone.now()
    moved = WaitingListEntry.objects.filter(pk=entry.pk, status=Status.WAITING).update(
        status=Status.OFFERED,
        offered_quantity=quantity,
        offered_at=now,
        offer_expires_at=now + timedelta(minutes=settings.WAITING_LIST_OFFER_MINUTES),
    )
    if not moved:
        return False
    inventory.reserve_tickets(entry.event_id, {entry.ticket_type_id: quantity})
    outbox.queue_waiting_list_offer(entry.pk)
    logger.info("waiting list offer made", extra={"waiting_list_entry": entry.pk, "tickets": quantity})
    return True


# --- Offers that run out ------------------------------------------------------------------------


def expire_overdue_offers(event_id: int | None = None, now=None) -> int:
    """End the offers whose time ran out (of one event, or all); their seats pass down the line.

    Each offer ends once however many runs race (a conditional UPDATE under the event row's
    lock, the lock a claim takes too). Returns how many this run ended.
    """
    now = now or timezone.now()
    overdue = WaitingListEntry.objects.filter(status=Status.OFFERED, offer_expires_at__lte=now)
    if event_id is not None:
        overdue = overdue.filter(event_id=event_id)
    ended = 0
    for entry in list(overdue.order_by("offer_expires_at", "id")):
        with transaction.atomic():
            inventory.lock_event_stock(entry.event_id)
            moved = WaitingListEntry.objects.filter(
                pk=entry.pk, status=Status.OFFERED, offer_expires_at__lte=now
            ).update(status=Status.EXPIRED)
            if moved:
                # Passed on: the release offers them to the next in line, in this transaction.
                inventory.release(entry.event_id, {entry.ticket_type_id: entry.offered_quantity})
                ended += 1
                logger.info("waiting list offer ran out", extra={"waiting_list_entry": entry.pk})
    return ended


def withdraw(entry: WaitingListEntry) -> bool:
    """Take someone off the list (staff, or erasure); an open offer's seats pass down the line."""
    with transaction.atomic():
        inventory.lock_event_stock(entry.event_id)
        offered = WaitingListEntry.objects.filter(pk=entry.pk, status=Status.OFFERED).update(
            status=Status.WITHDRAWN
        )
        if offered:
            inventory.release(entry.event_id, {entry.ticket_type_id: entry.offered_quantity})
            return True
        return bool(
            WaitingListEntry.objects.filter(pk=entry.pk, status=Status.WAITING).update(
                status=Status.WITHDRAWN
            )
        )


def forget_past_events(now=None) -> int:
    """Delete the lists of events that have started: nobody can be offered a seat any more, so
    the addresses are kept no longer (open offers are withdrawn first, their holds released).
    Returns how many entries were deleted."""
    now = now or timezone.now()
    past = WaitingListEntry.objects.filter(event__starts_at__lte=now)
    for entry in past.filter(status=Status.OFFERED):
        withdraw(entry)
    deleted, _ = past.delete()
    return deleted


def run_scheduled() -> str:
    """The worker's periodic run: end offers that ran out, revive offer e-mails whose job was
    lost, and delete the lists of events that have started."""
    ended = expire_overdue_offers()
    revived = requeue_stalled_notices()
    forgotten = forget_past_events()
    return f"{ended} offers ended, {revived} offer e-mails queued again, {forgotten} entries of past events deleted"


# --- Taking an offer ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Offer:
    """An offer as its page shows it."""

    entry: WaitingListEntry
    event: Event
    ticket_type: TicketType
    quantity: int
    total: object  # Decimal, from our prices
    expires_at: object
    is_open: bool


def offer_for(token: str, now=None) -> Offer | None:
    """The offer behind a link, or None for a link that names none. An offer that ran out is ended
    here (its seats passed on) and shown as closed."""
    entry = WaitingListEntry.objects.select_related("event", "ticket_type").filter(offer_token=token).first()
    if entry is None or entry.offered_at is None:
        return None
    now = now or timezone.now()
    if entry.status == Status.OFFERED and entry.offer_expires_at <= now:
        expire_overdue_offers(event_id=entry.event_id, now=now)
        entry.refresh_from_db()
    quantity = entry.offered_quantity
    return Offer(
        entry=entry,
        event=entry.event,
        ticket_type=entry.ticket_type,
        quantity=quantity,
        total=checkout.order_total({entry.ticket_type: quantity}),
        expires_at=entry.offer_expires_at,
        is_open=entry.status == Status.OFFERED,
    )


OFFER_OVER = "This offer has ended: the tickets it held have gone to the next person in line."
OFFER_TAKEN = "This offer has already been used to place an order."


def claim(token: str, buyer: checkout.Buyer) -> Order:
    """Place a pending order for exactly the offered seats, handed over from the offer.

    Raises OfferOver when the offer is not open (nothing changes), `checkout.CheckoutRefused`
    when the order breaks a rule (sales closed, a velocity limit): the offer then stays open.
    """
    offer = offer_for(token)
    if offer is None or not offer.is_open:
        raise OfferOver(OFFER_TAKEN if offer and offer.entry.status == Status.CLAIMED else OFFER_OVER)
    entry, event = offer.entry, offer.event
    quantities = {offer.ticket_type: offer.quantity}
    checkout.check_order_rules(event, quantities)
    now = timezone.now()
    try:
        with transaction.atomic():
            inventory.lock_event_stock(event.pk)
            taken = WaitingListEntry.objects.filter(
                pk=entry.pk, status=Status.OFFERED, offer_expires_at__gt=now
            ).update(status=Status.CLAIMED)
            if not taken:
                raise OfferOver(OFFER_OVER)
            # The seats change hands: not back on sale, so not passed down the line.
            inventory.release(event.pk, {offer.ticket_type.pk: offer.quantity}, pass_to_waiting_list=False)
            keys = fraud.buyer_keys(buyer.ip, buyer.email)
            flags = fraud.assess(event.pk, keys, quantities, buyer.user_agent)
            order = orders.place(
                event,
                orders.NewOrder(
                    name=buyer.name,
                    email=buyer.email,
                    ip=buyer.ip,
                    client_key=keys.client,
                    email_key=keys.email,
                    user_agent=buyer.user_agent,
                    quantities=quantities,
                    total=offer.total,
                    risk_flags=flags,
                    terms=buyer.terms,
                ),
            )
            WaitingListEntry.objects.filter(pk=entry.pk).update(order=order)
    except fraud.VelocityLimitExceeded as refused:
        raise checkout.CheckoutRefused(str(refused)) from None
    logger.info("waiting list offer taken", extra={"waiting_list_entry": entry.pk, "order": order.reference})
    return order


# --- The offer e-mail -------------------------------------------------------------------------------


def offer_url(entry: WaitingListEntry) -> str:
    return settings.SITE_URL + reverse("ticketing:waiting-list-offer", args=[entry.offer_token])


def deliver_offer(entry_id: int) -> str:
    """One attempt at the offer e-mail (the `send_waiting_list_offer` task's body).

    Claimed `queued → sending` first, so two jobs for one entry send once. Returns "sent",
    "retry", "failed", "cancelled" (the offer ended before it could be told) or "skipped".
    """
    from ticketing.delivery import PERMANENT_ERRORS, describe_error, retry_delays, site_details

    now = timezone.now()
    claimed = WaitingListEntry.objects.filter(
        pk=entry_id, notice_status=NoticeStatus.QUEUED, notice_next_attempt_at__lte=now
    ).update(
        notice_status=NoticeStatus.SENDING,
        notice_attempts=F("notice_attempts") + 1,
        notice_last_attempt_at=now,
    )
    if not claimed:
        return "skipped"
    entry = WaitingListEntry.objects.select_related("event", "ticket_type").get(pk=entry_id)
    if entry.status != Status.OFFERED or entry.event.why_not_on_sale() is not None:
        # The offer ended, or its event stopped selling (cancelled, sales closed): nothing to offer.
        _finish_notice(entry, NoticeStatus.CANCELLED, notice_next_attempt_at=None)
        return "cancelled"
    try:
        compose_offer(entry, site_details()).send()
    except Exception as error:  # rendering or the provider: recorded (no address), retried
        delays = retry_delays()
        description = describe_error(error)
        log_extra = {
            "waiting_list_entry": entry.pk,
            "attempt": entry.notice_attempts,
            "error": type(error).__name__,
        }
        if isinstance(error, PERMANENT_ERRORS) or entry.notice_attempts > len(delays):
            _finish_notice(
                entry, NoticeStatus.FAILED, notice_next_attempt_at=None, notice_last_error=description
            )
            logger.error("waiting list offer e-mail failed; giving up", extra=log_extra)
            return "failed"
        retry_at = timezone.now() + delays[entry.notice_attempts - 1]
        _finish_notice(
            entry, NoticeStatus.QUEUED, notice_next_attempt_at=retry_at, notice_last_error=description
        )
        outbox.enqueue_waiting_list_offer(entry.pk, run_after=retry_at)
        logger.warning("waiting list offer e-mail failed; will retry", extra=log_extra)
        return "retry"
    _finish_notice(
        entry,
        NoticeStatus.SENT,
        notice_sent_at=timezone.now(),
        notice_next_attempt_at=None,
        notice_last_error="",
    )
    logger.info("waiting list offer e-mail sent", extra={"waiting_list_entry": entry.pk})
    return "sent"


def _finish_notice(entry: WaitingListEntry, status: str, **fields) -> None:
    WaitingListEntry.objects.filter(pk=entry.pk, notice_status=NoticeStatus.SENDING).update(
        notice_status=status, **fields
    )


def compose_offer(entry: WaitingListEntry, site=("", "")) -> EmailMultiAlternatives:
    """The offer e-mail: which tickets are held, until when, the link, and what it costs."""
    site_name, contact_email = site
    context = {
        "entry": entry,
        "event": entry.event,
        "ticket_type": entry.ticket_type,
        "quantity": entry.offered_quantity,
        "total": checkout.order_total({entry.ticket_type: entry.offered_quantity}),
        "offer_url": offer_url(entry),
        "expires_at": entry.offer_expires_at,
        "site_name": site_name,
        "contact_email": contact_email,
    }
    subject = " ".join(render_to_string("emails/waiting_list_offer_subject.txt", context).split())
    message = EmailMultiAlternatives(
        subject=subject, body=render_to_string("emails/waiting_list_offer.txt", context), to=[entry.email]
    )
    message.attach_alternative(render_to_string("emails/waiting_list_offer.html", context), "text/html")
    message.tags = ["waiting-list-offer"]
    return message


def requeue_stalled_notices(now=None) -> int:
    """Give a new job to offer e-mails whose job was lost (a worker died mid-send, a lost job).

    A duplicate job is harmless: `deliver_offer` claims the entry before sending.
    """
    now = now or timezone.now()
    cutoff = now - SENDING_LEASE
    stuck = list(
        WaitingListEntry.objects.filter(
            notice_status=NoticeStatus.SENDING, notice_last_attempt_at__lt=cutoff
        ).values_list("pk", flat=True)
    )
    WaitingListEntry.objects.filter(pk__in=stuck, notice_status=NoticeStatus.SENDING).update(
        notice_status=NoticeStatus.QUEUED, notice_next_attempt_at=now
    )
    overdue = list(
        WaitingListEntry.objects.filter(
            notice_status=NoticeStatus.QUEUED, notice_next_attempt_at__lt=cutoff
        ).values_list("pk", flat=True)
    )
    for pk in {*stuck, *overdue}:
        outbox.enqueue_waiting_list_offer(pk)
    return len({*stuck, *overdue})


# --- What staff and the privacy tools read ----------------------------------------------------------


def with_positions(queryset):
    """Entries annotated with `position`: their place in their type's line, by order of joining
    (1 = first to join), whatever else the listing filters. One query for the whole page."""
    earlier = (
        WaitingListEntry.objects.filter(ticket_type_id=OuterRef("ticket_type_id"), id__lte=OuterRef("id"))
        .order_by()
        .values("ticket_type_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    return queryset.annotate(position=Subquery(earlier))


def entries_of(address: str):
    """The address's entries (matched ignoring case), for export and erasure."""
    if not address:
        return WaitingListEntry.objects.none()
    return WaitingListEntry.objects.filter(email__iexact=address)


def forget(address: str) -> int:
    """Erasure: withdraw the address's open offers (their seats pass down the line) and delete
    every entry of it. Returns how many entries were deleted."""
    for entry in entries_of(address).filter(status__in=WaitingListEntry.ON_THE_LIST):
        withdraw(entry)
    deleted, _ = entries_of(address).delete()
    return deleted
