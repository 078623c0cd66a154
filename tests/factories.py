"""Building blocks for tests: a site with an events index, events with ticket types, orders.

Plain functions rather than a factory library: each says exactly what it makes.
"""

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.utils import timezone
from wagtail.models import Locale, Page, Site

from home.models import EventIndexPage, EventPage, HomePage
from ticketing.models import Event, TicketType

# A real buyer's browser: the checkout turns away scripts and headless browsers.
BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0"


def home_page():
    """The default site's HomePage, created (replacing Wagtail's welcome page) if needed."""
    existing = HomePage.objects.first()
    if existing:
        return existing
    # Transactional tests flush the tables, including what Wagtail's migrations made.
    Locale.objects.get_or_create(language_code=settings.LANGUAGE_CODE)
    root = Page.get_first_root_node() or Page.add_root(instance=Page(title="Root", slug="root"))
    home = root.add_child(instance=HomePage(title="Jersey Events", slug="home-test"))
    site = Site.objects.filter(is_default_site=True).first()
    if site is None:
        Site.objects.create(
            hostname="localhost", root_page=home, is_default_site=True, site_name="Jersey Events"
        )
    else:
        site.root_page = home
        site.save()
    return home


def events_index():
    existing = EventIndexPage.objects.first()
    if existing:
        return existing
    return home_page().add_child(
        instance=EventIndexPage(title="What's on", slug="whats-on", show_in_menus=True)
    )


def make_event(title="Summer Concert", *, capacity=None, types=(("Standard", "25.00", 100),), **fields):
    """An on-sale event starting in three weeks, with (name, price, capacity) ticket types."""
    now = timezone.now()
    event = Event.objects.create(
        title=title,
        venue=fields.pop("venue", "Jersey Opera House"),
        starts_at=fields.pop("starts_at", now + timedelta(days=21)),
        sales_start=fields.pop("sales_start", now - timedelta(days=1)),
        status=fields.pop("status", Event.Status.ON_SALE),
        capacity=capacity,
        **fields,
    )
    for position, (name, price, type_capacity) in enumerate(types):
        TicketType.objects.create(
            event=event, name=name, price=Decimal(price), capacity=type_capacity, sort_order=position
        )
    return event


def make_event_page(event, **fields):
    page = EventPage(
        title=event.title,
        slug=fields.pop("slug", f"event-{event.pk}"),
        event=event,
        summary=fields.pop("summary", "A night to remember."),
        **fields,
    )
    events_index().add_child(instance=page)
    return page


def ticket_types(event):
    return list(event.ticket_types.order_by("pk"))
