"""Event pages served from the cache: fresh CSRF per visitor, never stale after a sale or publish."""

import re
import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from wagtail.models import Site

from core import page_cache
from core.models import SiteSettings
from legal.models import CookieConsentSettings
from tests.factories import BROWSER, make_event, make_event_page, ticket_types
from ticketing.checkout import Buyer, place_order
from ticketing.models import Event

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@pytest.fixture
def event_page():
    event = make_event("Cached Show", types=[("Standard", "10.00", 20)])
    return make_event_page(event)


def get(client, url, **extra):
    response = client.get(url, **extra)
    assert response.status_code == 200
    return response


def test_second_visit_is_served_from_the_cache_with_its_own_csrf_token(event_page):
    first, second = Client(), Client()
    miss = get(first, event_page.url)
    hit = get(second, event_page.url)
    assert miss["X-Page-Cache"] == "miss" and hit["X-Page-Cache"] == "hit"
    assert TOKEN.search(hit.content.decode()).group(1) != TOKEN.search(miss.content.decode()).group(1)
    assert "csrftoken" in hit.cookies  # a first-time visitor gets the cookie the token belongs to
    assert hit["X-Frame-Options"] == "SAMEORIGIN"
    assert "Content-Security-Policy" in hit


def test_a_token_from_a_cached_page_passes_django_csrf_checks(event_page):
    get(Client(), event_page.url)  # fills the cache
    buyer = Client(enforce_csrf_checks=True, HTTP_USER_AGENT=BROWSER)
    hit = get(buyer, event_page.url)
    assert hit["X-Page-Cache"] == "hit"
    token = TOKEN.search(hit.content.decode()).group(1)
    response = buyer.post(
        reverse("ticketing:checkout", args=[event_page.event_id]), {"csrfmiddlewaretoken": token, "name": ""}
    )
    assert response.status_code == 400  # the form's own errors: CSRF let it through
    assert "Please tell us your name." in response.content.decode()
    forged = buyer.post(
        reverse("ticketing:checkout", args=[event_page.event_id]), {"csrfmiddlewaretoken": "x" * 64}
    )
    assert forged.status_code == 403


def test_returning_visitor_token_matches_their_cookie(event_page):
    get(Client(), event_page.url)
    visitor = Client(enforce_csrf_checks=True, HTTP_USER_AGENT=BROWSER)
    get(visitor, "/")  # any page: the visitor now has a CSRF cookie
    secret_before = visitor.cookies.get("csrftoken")
    hit = get(visitor, event_page.url)
    assert hit["X-Page-Cache"] == "hit"
    if secret_before is not None:
        assert visitor.cookies["csrftoken"].value == secret_before.value


def test_a_sale_makes_the_cached_event_page_fresh_at_once(event_page, django_capture_on_commit_callbacks):
    get(Client(), event_page.url)
    assert "Only" not in get(Client(), event_page.url).content.decode()
    (standard,) = ticket_types(event_page.event)
    with django_capture_on_commit_callbacks(execute=True):  # the sale's transaction commits
        place_order(event_page.event, Buyer("Ann", "ann@example.com", "192.0.2.1", BROWSER), {standard: 10})
    after = get(Client(), event_page.url)
    assert after["X-Page-Cache"] == "miss"
    assert "Only 10 left" in after.content.decode()


def test_publishing_a_page_invalidates_cached_pages(event_page):
    get(Client(), event_page.url)
    event_page.title = "Renamed Show"
    event_page.save_revision().publish()
    fresh = get(Client(), event_page.url)
    assert fresh["X-Page-Cache"] == "miss" and "Renamed Show" in fresh.content.decode()


def test_visitors_with_a_session_always_get_a_fresh_render(event_page, admin_user):
    get(Client(), event_page.url)
    editor = Client()
    editor.force_login(admin_user)
    assert get(editor, event_page.url).get("X-Page-Cache") is None


def test_query_strings_a_page_does_not_read_share_its_entry(event_page):
    get(Client(), event_page.url)
    for n in range(3):
        assert get(Client(), f"{event_page.url}?utm_source=x{n}")["X-Page-Cache"] == "hit"


def test_other_processes_see_a_change_within_a_second(event_page):
    """Each process keeps checked entries for LOCAL_SECONDS; after that the shared cache decides."""
    get(Client(), event_page.url)
    get(Client(), event_page.url)  # now also held in this process
    page_cache.mark_event_changed(event_page.event_id)  # as a sale in another process would
    assert get(Client(), event_page.url)["X-Page-Cache"] == "hit"  # still the local copy
    time.sleep(page_cache.LOCAL_SECONDS + 0.1)
    assert get(Client(), event_page.url)["X-Page-Cache"] == "miss"


def test_a_cached_page_opens_sales_when_they_open(event_page):
    """Sales opening is a moment on the clock, not a change anyone saves: the entry ends then,
    even when the page was rendered in the very last second before it."""
    opens = timezone.now() + timedelta(seconds=1.6)
    Event.objects.filter(pk=event_page.event_id).update(sales_start=opens)
    assert 'name="email"' not in get(Client(), event_page.url).content.decode()
    wait_until(opens - timedelta(seconds=0.5))  # the first copy (kept 1 s) has ended
    last_second = get(Client(), event_page.url)
    assert last_second["X-Page-Cache"] == "miss"
    wait_until(opens + timedelta(seconds=1.05))  # a copy made then lives a second at most
    after = get(Client(), event_page.url)
    assert 'name="email"' in after.content.decode()


def wait_until(moment):
    time.sleep(max(0, (moment - timezone.now()).total_seconds()))


def test_staff_changing_a_price_makes_the_cached_event_page_fresh(event_page):
    get(Client(), event_page.url)
    (standard,) = ticket_types(event_page.event)
    standard.price = Decimal("12.50")
    standard.save()
    fresh = get(Client(), event_page.url)
    assert fresh["X-Page-Cache"] == "miss" and "£12.50" in fresh.content.decode()


def test_an_edited_cookie_banner_reaches_cached_pages(event_page):
    get(Client(), event_page.url)
    banner = CookieConsentSettings.for_site(Site.objects.get(is_default_site=True))
    banner.message = "Only the cookies this site needs, and nothing else."
    banner.save()
    fresh = get(Client(), event_page.url)
    assert fresh["X-Page-Cache"] == "miss" and "and nothing else" in fresh.content.decode()


def test_edited_site_settings_reach_cached_pages(event_page):
    get(Client(), event_page.url)
    site_settings = SiteSettings.for_site(Site.objects.get(is_default_site=True))
    site_settings.tagline = "Island nights out, booked in a minute"
    site_settings.save()
    fresh = get(Client(), event_page.url)
    assert fresh["X-Page-Cache"] == "miss" and "booked in a minute" in fresh.content.decode()
