"""Calendars, sitemap and robots.txt: what a buyer adds to their calendar, what a calendar app
subscribes to, and what search engines are told to read and to skip."""

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit
from xml.etree import ElementTree

import pytest
from django.core import mail
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar
from wagtail.models import PageViewRestriction

from core import page_cache
from home.views import ROBOTS_DISALLOW
from tests.factories import make_event, make_event_page, make_order, make_paid_order
from ticketing import delivery
from ticketing.models import Event

pytestmark = pytest.mark.django_db

STARTS = datetime(2027, 3, 6, 19, 30, tzinfo=UTC)
ENDS = STARTS + timedelta(hours=3)


@pytest.fixture
def show():
    event = make_event("Folk & Fiddles", venue="Jersey Arts Centre", starts_at=STARTS, ends_at=ENDS)
    page = make_event_page(event, summary="Reels and jigs all night.")
    return event, page


def events_of(content):
    calendar = Calendar.from_ical(content)
    return list(calendar.walk("VEVENT"))


def order_calendar(client, order):
    return client.get(reverse("ticketing:order-calendar", args=[order.token]))


# --- The buyer's own entry ----------------------------------------------------------------------


def test_a_paid_order_downloads_its_event_as_a_calendar_entry_in_utc(client, show):
    event, page = show
    order = make_paid_order(event)

    response = order_calendar(client, order)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="folk-fiddles.ics"'
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    [entry] = events_of(response.content)
    assert entry.DTSTART == STARTS and entry.DTSTART.utcoffset() == timedelta(0)
    assert entry.DTEND == ENDS and entry.DTEND.utcoffset() == timedelta(0)
    assert b"DTSTART:20270306T193000Z" in response.content and b"DTEND:20270306T223000Z" in response.content
    assert str(entry["SUMMARY"]) == "Folk & Fiddles"
    assert str(entry["LOCATION"]) == "Jersey Arts Centre"
    assert str(entry["URL"]) == page.get_full_url()
    assert order.reference in str(entry["DESCRIPTION"])


def test_the_entry_never_holds_the_order_token_nor_the_buyer(client, show):
    event, _ = show
    order = make_paid_order(event, email="secret.buyer@example.com", name="Secret Buyer")

    content = order_calendar(client, order).content.decode()

    assert order.token not in content
    assert "secret.buyer" not in content and "Secret Buyer" not in content


def test_an_event_keeps_one_uid_in_every_file_and_a_new_time_replaces_the_old(client, show):
    event, _ = show
    first, second = make_paid_order(event), make_paid_order(event, email="bo@example.com")
    # Last edited a while ago, as an event usually is when its time changes.
    Event.objects.filter(pk=event.pk).update(updated_at=timezone.now() - timedelta(days=3))
    [before] = events_of(order_calendar(client, first).content)
    [other] = events_of(order_calendar(client, second).content)
    [in_feed] = events_of(client.get(reverse("events-calendar")).content)
    assert before["UID"] == other["UID"] == in_feed["UID"]

    event.starts_at = STARTS + timedelta(days=1)
    event.ends_at = ENDS + timedelta(days=1)
    event.save()
    [after] = events_of(order_calendar(client, first).content)
    assert after["UID"] == before["UID"]
    assert STARTS + timedelta(days=1) == after.DTSTART
    assert int(after["SEQUENCE"]) > int(before["SEQUENCE"])


def test_an_event_without_an_end_time_gets_two_hours(client):
    event = make_event("Open End", starts_at=STARTS)
    make_event_page(event)

    [entry] = events_of(order_calendar(client, make_paid_order(event)).content)

    assert timedelta(hours=2) == entry.DTEND - entry.DTSTART


@pytest.mark.parametrize("token", ["not-a-token", "x" * 32, "%00", "a" * 5000, "é"])
def test_a_bad_token_is_a_404(client, show, token):
    response = client.get(f"/tickets/orders/{token}/calendar.ics")
    assert response.status_code in (400, 404)


def test_an_unpaid_order_has_no_calendar_entry(client, show):
    event, _ = show
    assert order_calendar(client, make_order(event)).status_code == 404


def test_only_get_and_head(client, show):
    event, _ = show
    order = make_paid_order(event)
    url = reverse("ticketing:order-calendar", args=[order.token])
    assert client.post(url).status_code == 405
    assert client.head(url).status_code == 200


# --- The links on the order page, the tickets page and the e-mail --------------------------------


def test_order_and_tickets_pages_offer_the_three_ways(client, show):
    event, _ = show
    order = make_paid_order(event)
    ics = reverse("ticketing:order-calendar", args=[order.token])

    for url in (
        reverse("ticketing:order", args=[order.token]),
        reverse("ticketing:tickets", args=[order.token]),
    ):
        html = client.get(url).content.decode()
        assert f'href="{ics}"' in html, url
        assert "https://calendar.google.com/calendar/render?" in html, url
        assert "https://outlook.live.com/calendar/0/deeplink/compose?" in html, url


def test_the_google_and_outlook_links_carry_the_event_in_utc_and_nothing_of_the_order(client, show):
    event, page = show
    order = make_paid_order(event)
    html = client.get(reverse("ticketing:order", args=[order.token])).content.decode()
    google = next(part for part in html.split('"') if part.startswith("https://calendar.google.com"))
    outlook = next(part for part in html.split('"') if part.startswith("https://outlook.live.com"))

    google_query = parse_qs(urlsplit(google.replace("&amp;", "&")).query)
    assert google_query["text"] == ["Folk & Fiddles"]
    assert google_query["dates"] == ["20270306T193000Z/20270306T223000Z"]
    assert google_query["location"] == ["Jersey Arts Centre"]
    assert page.get_full_url() in google_query["details"][0]
    outlook_query = parse_qs(urlsplit(outlook.replace("&amp;", "&")).query)
    assert outlook_query["startdt"] == ["2027-03-06T19:30:00Z"]
    assert outlook_query["enddt"] == ["2027-03-06T22:30:00Z"]
    for link in (google, outlook):
        assert order.token not in link and order.reference not in link and "ann" not in link


def test_the_unpaid_order_page_offers_no_calendar(client, show):
    event, _ = show
    order = make_order(event)
    html = client.get(reverse("ticketing:order", args=[order.token])).content.decode()
    assert "calendar.ics" not in html


def test_the_ticket_email_links_to_the_calendar_entry(show, settings):
    event, _ = show
    order = make_paid_order(event)

    message = delivery.build_ticket_email(order, list(delivery.valid_tickets(order)))
    ics_url = settings.SITE_URL + reverse("ticketing:order-calendar", args=[order.token])

    html = message.alternatives[0][0]
    assert ics_url in message.body and ics_url in html
    assert "https://calendar.google.com/calendar/render?" in message.body
    assert "https://outlook.live.com/calendar/0/deeplink/compose?" in html
    assert mail.outbox == []


# --- The public feed ------------------------------------------------------------------------------


def test_the_feed_lists_only_upcoming_events_on_sale(client):
    now = timezone.now()
    on_sale = make_event("On Sale", starts_at=now + timedelta(days=10))
    not_yet = make_event(
        "Opens Later", starts_at=now + timedelta(days=40), sales_start=now + timedelta(days=5)
    )
    draft = make_event("Draft", status=Event.Status.DRAFT)
    cancelled = make_event("Cancelled", status=Event.Status.CANCELLED)
    past = make_event("Long Gone", starts_at=now - timedelta(days=3), sales_start=now - timedelta(days=9))
    unpublished = make_event("Unpublished Page")
    for event in (on_sale, not_yet, draft, cancelled, past, unpublished):
        page = make_event_page(event)
    page.unpublish()
    private = make_event("Members Only")
    PageViewRestriction.objects.create(
        page=make_event_page(private), restriction_type="password", password="x"
    )

    response = client.get(reverse("events-calendar"))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert [str(entry["SUMMARY"]) for entry in events_of(response.content)] == ["On Sale", "Opens Later"]


def test_the_feed_names_each_event_page_and_is_served_from_the_page_cache(show):
    _, page = show
    first = Client().get("/events/calendar.ics")
    [entry] = events_of(first.content)
    assert str(entry["URL"]) == page.get_full_url()
    assert str(entry["DESCRIPTION"]).startswith("Reels and jigs all night.")

    again = Client().get("/events/calendar.ics?utm_source=x&page=9&p=abc")
    assert again.status_code == 200
    assert again["X-Page-Cache"] == "hit"
    assert again["Content-Type"] == "text/calendar; charset=utf-8"
    assert events_of(again.content)[0]["UID"] == entry["UID"]


def test_the_feed_queries_do_not_grow_with_events(client):
    def count():
        cache.clear()
        page_cache.forget_local_entries()
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/events/calendar.ics").status_code == 200
        return len(queries)

    for number in range(5):
        make_event_page(make_event(f"Event {number}"))
    client.get("/events/calendar.ics")
    few = count()
    for number in range(5, 30):
        make_event_page(make_event(f"Event {number}"))
    many = count()
    assert many == few, f"5 events: {few} queries, 30 events: {many}"


# --- Sitemap and robots.txt -------------------------------------------------------------------------

SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def test_the_sitemap_lists_public_live_pages_only(client, show):
    _, page = show
    draft = make_event_page(make_event("Draft Page"), live=False)
    private = make_event_page(make_event("Private Page"))
    PageViewRestriction.objects.create(page=private, restriction_type="login")

    response = client.get("/sitemap.xml")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/xml")
    # Our own response, not untrusted input.
    tree = ElementTree.fromstring(response.content)  # noqa: S314
    locations = [loc.text for loc in tree.iter(f"{SITEMAP}loc")]
    assert page.get_full_url() in locations
    assert page.get_parent().get_full_url() in locations
    assert draft.get_full_url() not in locations
    assert private.get_full_url() not in locations


@pytest.mark.parametrize("query", ["?p=abc", "?p=0", "?p=999", "?p=%00", "?p=" + "9" * 400, "?%ff=%ff"])
def test_the_sitemap_answers_junk_query_strings_without_an_error(client, show, query):
    # A control character in a parameter is refused before any view (the site's 400).
    assert client.get(f"/sitemap.xml{query}").status_code in (200, 400, 404)


def test_robots_txt_points_at_the_sitemap_and_keeps_crawlers_out_of_private_paths(client, settings):
    response = client.get("/robots.txt?junk=" + "x" * 3000)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    lines = response.content.decode().splitlines()
    assert lines[0] == "User-agent: *"
    assert f"Sitemap: {settings.SITE_URL}/sitemap.xml" in lines
    disallowed = [line.removeprefix("Disallow: ") for line in lines if line.startswith("Disallow: ")]
    assert disallowed == list(ROBOTS_DISALLOW)


@pytest.mark.parametrize(
    ("view", "args"),
    [
        ("wagtailadmin_home", []),
        ("ticketing:order", ["T" * 32]),
        ("ticketing:tickets", ["T" * 32]),
        ("ticketing:order-calendar", ["T" * 32]),
        ("ticketing:check-in", []),
        ("ticketing:checkout", [1]),
        ("legal:data-request-confirm", ["T" * 32]),
    ],
)
def test_every_private_path_is_disallowed(view, args):
    path = reverse(view, args=args)
    assert any(path.startswith(prefix) for prefix in ROBOTS_DISALLOW), path
