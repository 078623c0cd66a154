"""Through the page cache: a cached event page gives each visitor the banner state and scripts
that are theirs, and a made-up consent cookie buys no render."""

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import make_event, make_event_page
from tests.legal.helpers import ANALYTICS_SNIPPET, cookie_banner, enable_analytics

pytestmark = pytest.mark.django_db

SNIPPET_HOST = "plausible.io"


@pytest.fixture
def event_page():
    return make_event_page(make_event("Cached Consent", types=[("Standard", "10.00", 20)]))


def visitor(answer=None):
    """A new visitor who has answered the banner with `answer` (posted, as a browser would)."""
    client = Client()
    if answer:
        client.post(reverse("legal:cookie-choice"), {"choice": answer, "next": "/"})
    return client


def visit(client, url):
    response = client.get(url)
    assert response.status_code == 200
    page = response.content.decode()
    return response["X-Page-Cache"], 'class="cookie-banner"' in page, ANALYTICS_SNIPPET in page


def test_a_cached_event_page_gives_consenting_and_other_visitors_each_their_own_html(event_page):
    enable_analytics()
    url = event_page.url
    # Each state renders once, then is served from the cache: banner and snippet as its own.
    assert visit(visitor(), url) == ("miss", True, False)
    assert visit(visitor(), url) == ("hit", True, False)
    assert visit(visitor("analytics"), url) == ("miss", False, True)
    assert visit(visitor("analytics"), url) == ("hit", False, True)
    assert visit(visitor("necessary"), url) == ("miss", False, False)
    assert visit(visitor("necessary"), url) == ("hit", False, False)
    # And the first state is still right after the others were stored.
    assert visit(visitor(), url) == ("hit", True, False)


def test_a_made_up_consent_cookie_is_served_the_askers_entry_without_a_render(event_page):
    enable_analytics()
    visit(visitor(), event_page.url)
    for value in ("analytics:forged-version", "analytics", "x" * 300, "necessary:2"):
        forger = Client()
        forger.cookies["cookie_consent"] = value
        assert visit(forger, event_page.url) == ("hit", True, False), value


def test_after_the_notice_is_dismissed_the_cached_page_shows_it_no_more(event_page):
    assert visit(visitor(), event_page.url) == ("miss", True, False)
    assert visit(visitor("ok"), event_page.url) == ("miss", False, False)
    assert visit(visitor("ok"), event_page.url) == ("hit", False, False)
    assert visit(visitor(), event_page.url) == ("hit", True, False)


def test_a_new_policy_version_reaches_cached_pages_and_asks_consenting_visitors_again(event_page):
    enable_analytics()
    consenting = visitor("analytics")
    assert visit(consenting, event_page.url)[1:] == (False, True)
    assert visit(consenting, event_page.url)[0] == "hit"
    cookie_banner(policy_version="2")
    assert visit(consenting, event_page.url) == ("miss", True, False)


def test_analytics_turned_on_reaches_cached_pages(event_page):
    dismissed = visitor("ok")
    assert visit(dismissed, event_page.url) == ("miss", False, False)
    enable_analytics()
    assert visit(dismissed, event_page.url) == ("miss", True, False)
    assert SNIPPET_HOST not in dismissed.get(event_page.url).content.decode()
