"""What every request looked up in the database is kept until it changes: which Site a host
is, the cookie banner's settings, and the public address of an order's event (its calendar
links). The order page shows all three and is never served from the page cache, so each change
an editor makes must show on the very next request; none of them is read again otherwise."""

from urllib.parse import quote

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from wagtail.models import PageViewRestriction, Site

from core import page_cache
from home.models import EventPage
from legal.models import CookieConsentSettings
from tests.factories import home_page, make_event, make_event_page, make_paid_order
from tests.legal.helpers import cookie_banner, publish_legal_page

pytestmark = pytest.mark.django_db

OTHER_HOST = "box-office.example"


@pytest.fixture
def order():
    event = make_event("Lookup Night", types=[("Standard", "25.00", 10)])
    make_event_page(event, slug="lookup-night")
    return make_paid_order(event, {"Standard": 2})


def order_page(order, host="testserver"):
    """The order page's HTML and the SQL of its queries."""
    with CaptureQueriesContext(connection) as queries:
        response = Client(HTTP_HOST=host).get(reverse("ticketing:order", args=[order.token]))
    assert response.status_code == 200
    return response.content.decode(), [query["sql"] for query in queries.captured_queries]


def read(queries, table):
    return [sql for sql in queries if f'FROM "{table}"' in sql]


def test_a_second_order_page_reads_no_site_banner_settings_or_event_page(order):
    cookie_banner(message="Cookies: only the ones we need.")
    order_page(order)
    html, queries = order_page(order)
    assert "Cookies: only the ones we need." in html
    assert "lookup-night" in html  # the calendar links carry the event page's address
    for table in (
        "wagtailcore_site",
        "legal_cookieconsentsettings",
        "wagtailcore_page",
        "wagtailcore_pageviewrestriction",
    ):
        assert not read(queries, table), table


def test_saved_banner_settings_show_on_the_next_request(order):
    cookie_banner(message="First words.")
    assert "First words." in order_page(order)[0]
    cookie_banner(message="Second words.")
    html, _ = order_page(order)
    assert "Second words." in html and "First words." not in html


def test_the_cookie_policy_page_moved_moves_the_banner_s_link(order):
    policy = publish_legal_page("cookies-policy")
    cookie_banner(policy_page=policy)
    assert 'href="/cookies-policy/"' in order_page(order)[0]
    policy.slug = "our-cookies"
    policy.save_revision().publish()
    html, _ = order_page(order)
    assert 'href="/our-cookies/"' in html and "/cookies-policy/" not in html


def test_a_site_added_for_a_host_and_deleted_again_shows_on_the_next_request(order):
    cookie_banner(message="The main site words.")
    assert "The main site words." in order_page(order, OTHER_HOST)[0]  # the default site answers

    other = Site.objects.create(hostname=OTHER_HOST, port=80, root_page=home_page(), site_name="Box office")
    banner = CookieConsentSettings.for_site(other)
    banner.message = "The box office words."
    banner.save()
    assert "The box office words." in order_page(order, OTHER_HOST)[0]

    other.hostname = "elsewhere.example"
    other.save()
    assert "The main site words." in order_page(order, OTHER_HOST)[0]

    other.hostname = OTHER_HOST
    other.save()
    assert "The box office words." in order_page(order, OTHER_HOST)[0]
    other.delete()
    assert "The main site words." in order_page(order, OTHER_HOST)[0]


def test_an_event_page_moved_to_a_new_address_moves_the_calendar_links(order):
    assert quote("/lookup-night/", safe="") in order_page(order)[0]
    page = EventPage.objects.get(event=order.event)
    page.slug = "lookup-night-moved"
    page.save_revision().publish()
    html, _ = order_page(order)
    assert quote("/lookup-night-moved/", safe="") in html


def test_an_event_page_unpublished_or_made_private_leaves_the_calendar_links(order):
    page = EventPage.objects.get(event=order.event)
    assert "lookup-night" in order_page(order)[0]
    restriction = PageViewRestriction.objects.create(page=page, restriction_type=PageViewRestriction.LOGIN)
    assert "lookup-night" not in order_page(order)[0]
    restriction.delete()
    assert "lookup-night" in order_page(order)[0]
    page.unpublish()
    assert "lookup-night" not in order_page(order)[0]


def test_the_order_page_shows_the_site_banner_and_calendar_links_while_redis_is_down_outage(
    redis_server, order
):
    cookie_banner(message="Words while Redis sleeps.")
    order_page(order)  # kept in Redis
    redis_server.kill()
    page_cache.forget_local_entries()  # what this process kept from a moment ago, aside
    html, queries = order_page(order)
    assert "Words while Redis sleeps." in html and "lookup-night" in html
    # Looked up in the database instead, each time.
    assert read(queries, "legal_cookieconsentsettings") and read(queries, "wagtailcore_site")
    cookie_banner(message="Saved while Redis sleeps.")
    assert "Saved while Redis sleeps." in order_page(order)[0]
