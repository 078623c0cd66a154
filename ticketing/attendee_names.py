"""Attendee names: who each ticket is for, when the event asks (`Event.attendee_names`).

The buyer fills them in on the order page after paying, not at the checkout: the checkout stays
as short as it is, a buyer who does not know yet who comes with them can say so later, and a
name can be corrected (a friend drops out) until the doors open. The doors open when the event
starts (the event has no separate door time); from then on the names are read-only, and the
door sees the name the ticket had.

"Required" means each save must name every ticket; "optional" lets a name stay blank. Neither
stops a ticket admitting: the scanner shows the name (or that none was given) and door staff
decide.

A name is cleaned before it is stored: spaces trimmed and runs of them made one, at most
`MAX_LENGTH` characters, and no control or invisible formatting characters (they would
let a name hide or reorder text on the door list). Names are personal data: `legal.privacy`
lists `Ticket.attendee_name` and erases and exports it with the order. They are never logged.
"""

import logging
import re
import unicodedata

from django.utils import timezone

from ticketing.models import Event, Order, Ticket, valid_tickets_of

logger = logging.getLogger(__name__)

MAX_LENGTH = 100

# Bidirectional overrides and isolates (format characters that reorder the text around them).
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f]")


class NamesLocked(Exception):
    """The names of this order cannot be changed (not asked, no tickets, or the doors are open)."""


class NamesInvalid(Exception):
    """Some names typed cannot be stored; `errors` maps the ticket's id to what is wrong."""

    def __init__(self, errors: dict[int, str]):
        super().__init__("Some names need correcting.")
        self.errors = errors


def asked(event: Event) -> bool:
    return event.attendee_names != Event.AttendeeNames.OFF


def required(event: Event) -> bool:
    return event.attendee_names == Event.AttendeeNames.REQUIRED


def doors_open(event: Event, now=None) -> bool:
    """Names are read-only from here on: the event has started."""
    return (now or timezone.now()) >= event.starts_at


def tickets_to_name(order: Order) -> list[Ticket]:
    """The order's tickets that admit, in the order the page lists them ([] if names are not asked)."""
    if not asked(order.event) or order.status not in Order.OWNS_TICKETS:
        return []
    return valid_tickets_of(order)


def editable(order: Order, now=None) -> bool:
    """May the buyer change the names now?"""
    return bool(tickets_to_name(order)) and not doors_open(order.event, now)


def missing(order: Order) -> int:
    """How many of the order's tickets still have no name, when the event asks for names."""
    return sum(1 for ticket in tickets_to_name(order) if not ticket.attendee_name)


def clean_name(typed: str) -> str:
    """The name as stored; ValueError (in the buyer's words) when it cannot be."""
    if _BIDI_CONTROLS.search(typed) or any(
        unicodedata.category(char) in ("Cc", "Cs", "Co") for char in typed
    ):
        raise ValueError("Use letters, spaces and punctuation only.")
    name = " ".join(typed.split())
    if len(name) > MAX_LENGTH:
        raise ValueError(f"Use at most {MAX_LENGTH} characters.")
    return name


def save_names(order: Order, typed: dict[int, str], now=None) -> int:
    """Store the names typed for the order's tickets ({ticket id: name}); returns how many changed.

    Raises NamesLocked when the names cannot be changed now, or a ticket named is not one of
    the order's admitting tickets (a forged form), and NamesInvalid with every problem at once
    (a name too long, a control character, a required name left blank): nothing is stored then.
    """
    if not editable(order, now):
        raise NamesLocked("The names on this order can no longer be changed.")
    tickets = {ticket.pk: ticket for ticket in tickets_to_name(order)}
    if not typed.keys() <= tickets.keys():
        raise NamesLocked("These tickets are not on this order.")
    cleaned, errors = {}, {}
    for pk, text in typed.items():
        try:
            cleaned[pk] = clean_name(text)
        except ValueError as problem:
            errors[pk] = str(problem)
            continue
        if required(order.event) and not cleaned[pk]:
            errors[pk] = "Enter the name of the person this ticket is for."
    if errors:
        raise NamesInvalid(errors)
    changed = [pk for pk, name in cleaned.items() if tickets[pk].attendee_name != name]
    for pk in changed:
        Ticket.objects.filter(pk=pk, order=order).update(attendee_name=cleaned[pk])
    # The count only: a name is personal data, never written to the logs.
    logger.info("attendee names saved", extra={"order": order.reference, "changed": len(changed)})
    return len(changed)
