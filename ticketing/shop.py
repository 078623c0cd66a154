"""The shop as the site's pages see it: the one module of ticketing that `home` imports.

Event pages show an event's dates, prices and availability and carry its checkout form; the
listings show a card for each upcoming event. They read all of it here, so the pages never
depend on how ticketing stores or checks things, and ticketing can change its models and forms
knowing exactly what the pages rely on. (Templates still read the objects' fields and
properties: `event.title`, `ticket_type.price`, `ticket_type.few_left`.)

It also tells the page cache when a sale changed what an event page shows of the stock
(`refresh_event_page`), judged from the page's own reading of the event (`event_for_page`) and
the same properties the templates show, so the page and that judgement cannot disagree.
"""

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import DatabaseError
from django.db.models import Prefetch
from django.urls import reverse

from core import page_cache
from ticketing import calendar
from ticketing.forms import CheckoutForm
from ticketing.models import Event, TicketType, event_with_ticket_types


def with_listed_events(pages, starting_after: datetime):
    """`pages` (a queryset of pages with an `event`) narrowed to the events the public may see
    listed: not drafts, starting after `starting_after`.

    Each page's event and its ticket types (cheapest first, as cards show a "from" price) are
    fetched with the pages: two queries however many events there are.
    """
    return (
        pages.filter(event__starts_at__gte=starting_after)
        .exclude(event__status=Event.Status.DRAFT)
        .select_related("event")
        .prefetch_related(Prefetch("event__ticket_types", queryset=TicketType.objects.order_by("price")))
    )


@dataclass(frozen=True)
class EventForPage:
    """What an event page shows of its event, read afresh: stock changes by the second."""

    event: Event
    ticket_types: list[TicketType]
    sales_state: str
    # When sales next open or close by the clock alone (None: never); a cached copy of the
    # page must not outlive it.
    sales_change_at: datetime | None
    # How long an order holds its tickets while the buyer pays, as the page tells them.
    hold_minutes: int

    def checkout_form(self) -> CheckoutForm:
        """An empty checkout form for the page (the checkout view passes its own on errors)."""
        return CheckoutForm(event=self.event, ticket_types=self.ticket_types)


def event_for_page(event_id: int) -> EventForPage:
    """The event an event page shows, with its ticket types, in one query."""
    event, ticket_types = event_with_ticket_types(event_id)
    return EventForPage(
        event=event,
        ticket_types=ticket_types,
        sales_state=event.sales_state(ticket_types=ticket_types),
        sales_change_at=event.next_sales_change(),
        hold_minutes=settings.ORDER_HOLD_MINUTES,
    )


# --- What the page shows of the stock, for the page cache ----------------------------------------


def _shows_plainly(ticket_type) -> bool:
    """The page shows no number for this type: "Available", with the order's own maximum as the
    most one can choose. The same properties the templates read (`remaining`, `few_left`) and the
    checkout form's maximum (`max_purchasable`). True for every stock above some level, so a sale
    that leaves a type shown plainly cannot have changed what the page shows of it."""
    return (
        ticket_type.remaining > 0
        and not ticket_type.few_left
        and ticket_type.max_purchasable == ticket_type.max_per_order
    )


@dataclass(frozen=True)
class StockShown:
    """What an event page shows of its event's stock, read afresh."""

    # Everything the page shows that stock can change: the sales state ("sold_out" once nothing
    # is left), and per type either "-" (shown plainly) or the number left, which the page then
    # shows as "Sold out", "Only N left" or the most a buyer can choose.
    fingerprint: str
    # The types whose stock the page shows as a number (or "Sold out"), and whether every type's
    # count is capped by the event's own overall capacity (then a sale of one touches them all).
    exact_types: frozenset[int]
    shared_capacity: bool
    on_sale: bool


def stock_shown(event_id: int) -> StockShown:
    """What the event's page shows of its stock now, judged by the page's own reading of the
    event (`event_for_page`): one query."""
    shown = event_for_page(event_id)
    parts = [str(shown.sales_state)]
    exact = set()
    for ticket_type in shown.ticket_types:
        if _shows_plainly(ticket_type):
            parts.append(f"{ticket_type.pk}:-")
        else:
            parts.append(f"{ticket_type.pk}:{ticket_type.remaining}")
            exact.add(ticket_type.pk)
    return StockShown(
        fingerprint="|".join(parts),
        exact_types=frozenset(exact),
        shared_capacity=shown.event.capacity is not None,
        on_sale=shown.sales_state == Event.SalesState.ON_SALE,
    )


def refresh_event_page(sender=None, *, event_id: int, sold_types=None, **kwargs) -> None:
    """After a change to an event's stock commits (`availability_changed`): make its cached page
    stale when what it shows may have changed, and only then.

    The rule, which keeps a page from ever showing stock that is gone, even when sales commit
    at once and each reads the stock a moment after its own commit:

    * A sale (`sold_types` given) that leaves every type it took from shown plainly (and the
      event on sale) cannot have changed what the page shows: plain is what every stock above
      some level looks like, and the other types' rows were not touched. Its fingerprint is
      compared with the last one (`page_cache.event_shows`), so it is rendered again only when
      something else changed the fingerprint meanwhile.
    * A sale that leaves a type it took from shown as a number or "Sold out" makes the page
      stale, whatever the last fingerprint: two sales reading the stock late may both read the
      same final count, and a page rendered between their commits showed the count before.
      The last sale of a type reads its final count, so the page ends showing it.
    * Under an event's overall capacity every type's count is capped by it, so a sale touches
      them all.
    * Seats coming back (no `sold_types`: a release, a cancellation) always make the page stale:
      that is how "Sold out" or "Only 3 left" becomes true no longer.
    """
    try:
        shown = stock_shown(event_id)
    except (Event.DoesNotExist, DatabaseError):
        # Deleted since, or the database did not answer after the sale committed: nothing to
        # compare, so the page is made stale as after any change (never a 500 for a placed order).
        page_cache.availability_changed(event_id)
        return
    if sold_types is None:
        compare = False
    else:
        touched_exact = shown.exact_types if shown.shared_capacity else shown.exact_types & sold_types
        compare = shown.on_sale and not touched_exact
    page_cache.event_shows(event_id, shown.fingerprint, compare=compare)


# --- Calendars (issue 12) ---------------------------------------------------------------------

# What an event page tells search engines about sales: the states a buyer sees.
SalesState = Event.SalesState


def on_sale(pages):
    """`pages` narrowed to those whose event is on sale (announced and selling: sold out or
    not yet open included, cancelled and draft events not)."""
    return pages.filter(event__status=Event.Status.ON_SALE)


def calendar_entry(event: Event, *, url: str, description: str = "") -> calendar.CalendarEntry:
    """The event as a calendar entry, with the address of its page."""
    return calendar.entry_for(event, url=url, description=description)


def calendar_file(entries, *, name: str) -> bytes:
    """An .ics file of `entries` (served as CALENDAR_CONTENT_TYPE)."""
    return calendar.calendar_file(entries, name=name)


CALENDAR_CONTENT_TYPE = calendar.CONTENT_TYPE
# --- What the page editor shows of the event -----------------------------------------------------


@dataclass(frozen=True)
class EventForEditor:
    """An event as the editor of its page sees it: what is on sale, and where to change it."""

    event: Event
    ticket_types: list[TicketType]
    # In the buyer's words ("On sale", "Not yet on sale", ...), as the page will show it.
    sales_state: str
    # The event's own form (its dates, status and ticket types): prices are edited there only.
    edit_url: str


def event_for_editor(event_id: int) -> EventForEditor | None:
    """The page's event with its ticket types, in two queries; None when there is no such event."""
    event = Event.objects.prefetch_related("ticket_types").filter(pk=event_id).first()
    if event is None:
        return None
    ticket_types = list(event.ticket_types.all())
    return EventForEditor(
        event=event,
        ticket_types=ticket_types,
        sales_state=event.sales_state(ticket_types=ticket_types).label,
        edit_url=reverse("ticketing_event_modeladmin_edit", args=[event.pk]),
    )


def new_event_url() -> str:
    """Where an editor creates an event (with its ticket types); once saved, they are taken on to
    the page for it (see `AFTER_CREATE_EVENT` in `ticketing.admin.events`)."""
    return reverse("ticketing_event_modeladmin_create")
