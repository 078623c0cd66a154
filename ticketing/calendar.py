"""Events as calendar entries: the .ics files buyers add to their calendars, and the Google
Calendar and Outlook links that do the same in one click.

One `CalendarEntry` per event, built from the shop's `Event` (its title, times and venue) and
the address of its public page, which the caller passes in: the shop does not know the pages
(`home` builds the public feed; the order's own entry finds the page by the event's `pages`
relation, as the order page's template already does).

An entry's UID is the event's, the same in the feed and in every buyer's file, so a calendar
that has both shows the event once, and a changed time replaces the old one (its SEQUENCE
grows with each edit of the event). Times are written in UTC: every calendar converts them,
and no time-zone definition has to travel with the file.

What leaves the site in a link (to Google or Microsoft) is the event's public facts only:
never the buyer, never the order's token.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from icalendar import Calendar
from icalendar import Event as CalendarEvent

from core import page_cache, site_furniture
from ticketing.models import Event

# An event with no end time is shown this long: a calendar needs an end, and a show here
# rarely runs longer.
ASSUMED_LENGTH = timedelta(hours=2)
SEQUENCE_EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
PRODUCT_ID = "-//Jersey Events//Tickets//EN"
CONTENT_TYPE = "text/calendar; charset=utf-8"


@dataclass(frozen=True)
class CalendarEntry:
    """One event as a calendar shows it."""

    uid: str
    title: str
    starts_at: datetime
    ends_at: datetime
    location: str
    url: str
    description: str
    cancelled: bool
    sequence: int
    last_modified: datetime

    @property
    def details(self) -> str:
        """The entry's notes: the description, then the page's address to find it again."""
        return "\n\n".join(part for part in (self.description, self.url) if part)


def entry_for(event: Event, *, url: str = "", description: str = "") -> CalendarEntry:
    """`event` as a calendar entry; `url` is its public page (absolute), when it has one."""
    return CalendarEntry(
        uid=f"event-{event.pk}@{_site_domain()}",
        title=event.title,
        starts_at=event.starts_at.astimezone(UTC),
        ends_at=(event.ends_at or event.starts_at + ASSUMED_LENGTH).astimezone(UTC),
        location=event.venue,
        url=url,
        description=description,
        cancelled=event.status == Event.Status.CANCELLED,
        # Grows with every save of the event (a second apart), so a calendar replaces what it
        # imported before; counted from SEQUENCE_EPOCH to stay a small integer.
        sequence=int((event.updated_at - SEQUENCE_EPOCH).total_seconds()) if event.updated_at else 0,
        last_modified=(event.updated_at or event.created_at or timezone.now()).astimezone(UTC),
    )


def public_page_url(event: Event) -> str:
    """The absolute address of the event's live public page, or "" when it has none.

    Every order page and calendar file asks, so the answer is kept in the shared cache under
    what can change it: the page cache's content version (a page published, unpublished, moved
    or deleted), the sites' version (a hostname changed) and the view restrictions' (a page
    made private). With the cache down it is looked up each time.
    """
    return site_furniture.cached_under(
        f"calendar:page-url:v1:{event.pk}", _PAGE_URL_VERSIONS, lambda: _find_public_page_url(event)
    )


_PAGE_URL_VERSIONS = [
    page_cache.CONTENT_KEY,
    site_furniture.SITES_VERSION,
    site_furniture.RESTRICTIONS_VERSION,
]


def _find_public_page_url(event: Event) -> str:
    page = event.pages.live().public().first()
    if page is None:
        return ""
    return page.get_full_url() or ""


def calendar_file(entries, *, name: str = "") -> bytes:
    """An iCalendar file (RFC 5545) holding `entries`."""
    calendar = Calendar.new(prodid=PRODUCT_ID, method="PUBLISH", name=name or None)
    stamp = timezone.now().astimezone(UTC).replace(microsecond=0)
    for entry in entries:
        calendar.add_component(
            CalendarEvent.new(
                uid=entry.uid,
                stamp=stamp,
                start=entry.starts_at,
                end=entry.ends_at,
                summary=entry.title,
                location=entry.location or None,
                url=entry.url or None,
                description=entry.details or None,
                status="CANCELLED" if entry.cancelled else "CONFIRMED",
                sequence=entry.sequence,
                last_modified=entry.last_modified,
            )
        )
    return calendar.to_ical()


def file_name(event: Event) -> str:
    """A download's name: plain ASCII whatever the title, so no browser or header mangles it."""
    return (slugify(event.title)[:60].strip("-") or "event") + ".ics"


def google_link(entry: CalendarEntry) -> str:
    """Google Calendar's "add an event" page, filled in."""
    return "https://calendar.google.com/calendar/render?" + urlencode(
        {
            "action": "TEMPLATE",
            "text": entry.title,
            "dates": f"{_compact(entry.starts_at)}/{_compact(entry.ends_at)}",
            "details": entry.details,
            "location": entry.location,
        }
    )


def outlook_link(entry: CalendarEntry) -> str:
    """Outlook on the web's "new event" form, filled in (works for Outlook.com accounts and,
    by the same path, Microsoft 365 ones that sign in there)."""
    return "https://outlook.live.com/calendar/0/deeplink/compose?" + urlencode(
        {
            "path": "/calendar/action/compose",
            "rru": "addevent",
            "subject": entry.title,
            "startdt": entry.starts_at.isoformat().replace("+00:00", "Z"),
            "enddt": entry.ends_at.isoformat().replace("+00:00", "Z"),
            "body": entry.details,
            "location": entry.location,
        }
    )


def _compact(moment: datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M%SZ")


def _site_domain() -> str:
    """The site's own domain, which makes the UIDs ours alone (RFC 5545 recommends it)."""
    return urlsplit(settings.SITE_URL).hostname or "jerseyevents.invalid"


def entry_for_order(order) -> CalendarEntry:
    """The calendar entry a buyer adds for their order: the event, and which order it is.

    Only the order's reference goes in (what staff ask for): never its token, since calendars
    are shared and synced, and the token would show the tickets to anyone who reads it.
    """
    return entry_for(
        order.event,
        url=public_page_url(order.event),
        description=f"Order {order.reference}. Your tickets are in the e-mail we sent you.",
    )


@dataclass(frozen=True)
class AddToCalendar:
    """The three ways to add an order's event to a calendar, as the pages and e-mail offer them."""

    ics_path: str
    google_url: str
    outlook_url: str

    @property
    def ics_url(self) -> str:
        """The .ics file's absolute address, for e-mails."""
        return settings.SITE_URL + self.ics_path


def add_to_calendar(order) -> AddToCalendar:
    """Links for the buyer's order: its .ics file and the two calendar sites,
    which are sent the event's public facts alone (not even the order's reference)."""
    entry = entry_for(order.event, url=public_page_url(order.event))
    return AddToCalendar(
        ics_path=reverse("ticketing:order-calendar", args=[order.token]),
        google_url=google_link(entry),
        outlook_url=outlook_link(entry),
    )
