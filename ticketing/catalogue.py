"""The catalogue's rules that need an event and its ticket types together.

A single field's rules (dates in order, a currency code, capacity not below what is sold) belong
to `Event.clean()` and `TicketType.clean()`. The rules here look at the event as staff are about
to save it, with the ticket types they keep and the ones they remove, so that whichever screen
edits the catalogue (today the admin's event form) refuses the same things in the same words.
"""

from dataclasses import dataclass

from ticketing.models import Event, TicketType


@dataclass(frozen=True)
class Problem:
    """Why the event cannot be saved as it stands, in staff's words."""

    message: str
    # The event's field it is about, for a form to show it there; None: the event as a whole.
    field: str | None = None


def check_event_and_types(
    event_status: str, kept_types: list[TicketType], deleted_types: list[TicketType]
) -> list[Problem]:
    """What stops an event being saved with these ticket types (an empty list: nothing).

    * An event on sale needs a ticket type: otherwise its page offers tickets nobody can buy.
    * A ticket type that has been ordered cannot be deleted: the orders (and the money paid
      for them) name it. Stopping its sales is done by lowering its capacity to what is sold.
    """
    problems = []
    if event_status == Event.Status.ON_SALE and not kept_types:
        problems.append(Problem("An event on sale needs at least one ticket type.", field="status"))
    for ticket_type in deleted_types:
        if ticket_type.pk and ticket_type.order_lines.exists():
            problems.append(
                Problem(
                    f"“{ticket_type.name}” has orders and cannot be deleted; "
                    "lower its capacity to what is sold to stop sales instead."
                )
            )
    return problems


def tickets_for_sale(event: Event, ticket_types: list[TicketType]) -> int:
    """How many tickets the event can sell in all: its types' stock, capped by its own capacity.

    `ticket_types` are the event's, passed in already loaded so that a list of events costs no
    query per event.
    """
    total = sum(ticket_type.capacity for ticket_type in ticket_types)
    if event.capacity is not None:
        total = min(total, event.capacity)
    return total
