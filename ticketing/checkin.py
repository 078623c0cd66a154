"""Admitting tickets at the door: scan, verify, admit exactly once.

`check_in(payload_or_code, event, staff_user)` takes what a scanner read (the signed QR
payload) or what a person typed (the ticket code, dashes and case optional) and answers with
a `CheckInResult`: admit, or refuse with the reason.

A ticket is admitted by one conditional UPDATE, `... WHERE checked_in_at IS NULL AND
voided_at IS NULL`, on the ticket row alone. Two doors scanning the same ticket at the same
instant both send it; the database applies one, and the other matches no row (PostgreSQL
re-checks the condition on the row the winner committed; SQLite runs writers one at a time),
so it is told "already checked in at 19:02". The checks made before the UPDATE (event, order
paid) read facts that do not change at the door, or whose change (a refund) also voids the
ticket, which the UPDATE's own condition sees.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone
from django.utils.formats import date_format

from ticketing import tickets
from ticketing.models import Event, Order, Refund, Ticket

MAX_INPUT_LENGTH = 200

# Who may use the scanner: the door staff group, the box office, superusers.
CHECK_IN_PERMISSION = "ticketing.check_in_ticket"


class Verdict:
    """What a scan decides about a ticket (the `outcome` of a CheckInResult)."""

    ADMITTED = "admitted"
    ALREADY_CHECKED_IN = "already_checked_in"
    VOIDED = "voided"
    WRONG_EVENT = "wrong_event"
    NOT_PAID = "not_paid"
    UNKNOWN = "unknown"
    FORGED = "forged"
    UNREADABLE = "unreadable"


@dataclass(frozen=True)
class CheckInResult:
    """What the door is told: `headline` in big letters over `detail`; `message` says both in one line."""

    outcome: str
    headline: str
    detail: str
    ticket: Ticket | None = None

    @property
    def message(self) -> str:
        if self.admitted:
            return f"{self.headline}, {self.detail[0].lower()}{self.detail[1:]}"
        return f"{self.headline}: {self.detail}"

    @property
    def admitted(self) -> bool:
        return self.outcome == Verdict.ADMITTED

    def as_dict(self) -> dict:
        return {
            "outcome": self.outcome,
            "admitted": self.admitted,
            "headline": self.headline,
            "detail": self.detail,
            "message": self.message,
            "ticket_code": self.ticket.display_code if self.ticket else None,
            "attendee_name": self.ticket.attendee_name if self.ticket else None,
        }


@dataclass(frozen=True)
class EventCounts:
    checked_in: int
    sold: int


def _local_time(moment, now=None) -> str:
    """'19:02', or '19:02 on 12 Jul' when it was not today."""
    local = timezone.localtime(moment)
    today = timezone.localtime(now or timezone.now()).date()
    if local.date() == today:
        return f"{local:%H:%M}"
    return f"{local:%H:%M} on {date_format(local, 'j M')}"


def _refusal(outcome, headline, detail, ticket=None) -> CheckInResult:
    return CheckInResult(outcome=outcome, headline=headline, detail=detail, ticket=ticket)


def find_ticket(payload_or_code: str) -> tuple[Ticket | None, CheckInResult | None]:
    """The ticket a scanned payload or typed code names, or the refusal saying why there is none."""
    text = (payload_or_code or "").strip()
    if not text or len(text) > MAX_INPUT_LENGTH:
        return None, _refusal(
            Verdict.UNREADABLE, "Unreadable", "That is not a ticket code. Scan again or type the code."
        )
    if tickets.looks_like_signed_payload(text):
        try:
            code = tickets.verify_payload(text)
        except tickets.BadSignature:
            return None, _refusal(
                Verdict.FORGED, "Forged or damaged", "This QR code was not issued by us. Do not admit."
            )
    else:
        code = tickets.normalise_typed_code(text)
        if code is None:
            return None, _refusal(
                Verdict.UNREADABLE, "Unreadable", "That is not a ticket code. Check it and try again."
            )
    ticket = (
        Ticket.objects.select_related("order", "ticket_type__event", "checked_in_by")
        .filter(code=code)
        .first()
    )
    if ticket is None:
        return None, _refusal(
            Verdict.UNKNOWN, "Unknown ticket", "No ticket has this code. Check it and try again."
        )
    return ticket, None


def _explain(ticket: Ticket, event: Event, now) -> CheckInResult | None:
    """Why this ticket cannot be admitted to this event, or None if it can."""
    if ticket.ticket_type.event_id != event.pk:
        other = ticket.ticket_type.event
        when = date_format(timezone.localtime(other.starts_at), "j M Y")
        return _refusal(
            Verdict.WRONG_EVENT,
            "Wrong event",
            f"This ticket is for {other.title} on {when}.",
            ticket,
        )
    if ticket.voided_at is not None or ticket.order.status == Order.Status.REFUNDED:
        return _refusal(
            Verdict.VOIDED, "Void", "This ticket was refunded or cancelled. Do not admit.", ticket
        )
    if _refund_being_checked(ticket):
        return _refusal(
            Verdict.VOIDED,
            "Refund being checked",
            "A refund of this ticket is waiting for SumUp's answer. Do not admit; ask the box office.",
            ticket,
        )
    if ticket.order.status not in Order.OWNS_TICKETS:
        return _refusal(
            Verdict.NOT_PAID,
            "Not paid",
            f"Order {ticket.order.reference} is {ticket.order.get_status_display().lower()}. Do not admit.",
            ticket,
        )
    if ticket.checked_in_at is not None:
        return _already_in(ticket, now)
    return None


def _refund_in_doubt():
    """Tickets in a refund whose answer SumUp never gave: the money may have gone back."""
    return Refund.objects.filter(tickets=OuterRef("pk"), status=Refund.Status.UNKNOWN)


def _refund_being_checked(ticket: Ticket) -> bool:
    return Ticket.objects.filter(pk=ticket.pk).filter(Exists(_refund_in_doubt())).exists()


def _already_in(ticket: Ticket, now) -> CheckInResult:
    who = f" by {ticket.checked_in_by.get_username()}" if ticket.checked_in_by else ""
    return _refusal(
        Verdict.ALREADY_CHECKED_IN,
        f"Already checked in at {_local_time(ticket.checked_in_at, now)}",
        f"{ticket.ticket_type.name}, order {ticket.order.reference}, was admitted{who}. Do not admit again.",
        ticket,
    )


def check_in(payload_or_code: str, event: Event, staff_user) -> CheckInResult:
    """Admit the ticket that `payload_or_code` names to `event`, once; or say why not."""
    now = timezone.now()
    ticket, refusal = find_ticket(payload_or_code)
    if refusal is not None:
        return refusal
    refusal = _explain(ticket, event, now)
    if refusal is not None:
        return refusal
    # Nothing admits a ticket whose money may have gone back, even one refunded a moment ago.
    admitted = (
        Ticket.objects.filter(pk=ticket.pk, checked_in_at__isnull=True, voided_at__isnull=True)
        .exclude(Exists(_refund_in_doubt()))
        .update(checked_in_at=now, checked_in_by=staff_user)
    )
    if not admitted:
        # Another door got there first, or a refund voided it a moment ago.
        ticket.refresh_from_db(fields=["checked_in_at", "checked_in_by", "voided_at"])
        return _explain(ticket, event, now) or _already_in(ticket, now)
    ticket.checked_in_at, ticket.checked_in_by = now, staff_user
    return CheckInResult(
        outcome=Verdict.ADMITTED,
        headline=f"Admit — {ticket.ticket_type.name}",
        detail=f"Order {ticket.order.reference}{_attendee(ticket, event)}",
        ticket=ticket,
    )


def _attendee(ticket: Ticket, event: Event) -> str:
    """Who the ticket is for, when the event asks for names: the door can check it."""
    if ticket.attendee_name:
        return f" · for {ticket.attendee_name}"
    if event.attendee_names != Event.AttendeeNames.OFF:
        return " · no name given"
    return ""


def event_counts(event: Event) -> EventCounts:
    """Checked in / sold for the door's counter: sold = tickets of paid orders, not voided."""
    counts = Ticket.objects.filter(
        ticket_type__event=event, voided_at__isnull=True, order__status__in=Order.OWNS_TICKETS
    ).aggregate(sold=Count("pk"), checked_in=Count("pk", filter=Q(checked_in_at__isnull=False)))
    return EventCounts(checked_in=counts["checked_in"], sold=counts["sold"])


def events_for_check_in(now=None):
    """Events whose doors may be open: not draft or cancelled, and not over (12 h grace)."""
    now = now or timezone.now()
    return (
        Event.objects.exclude(status__in=[Event.Status.DRAFT, Event.Status.CANCELLED])
        .filter(Q(ends_at__gte=now) | Q(ends_at__isnull=True, starts_at__gte=now - timedelta(hours=12)))
        .order_by("starts_at", "id")
    )
