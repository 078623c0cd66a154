"""The page cache is no lever: nothing a visitor makes up buys a render or a new cache entry.

Renders are counted by the templates Django renders (its test signal); entries as keys added
to a Redis of the test's own, the production backend.
"""

import re
import time
from collections import Counter

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection
from django.test import Client
from django.test.signals import template_rendered
from django.test.utils import CaptureQueriesContext

from core import page_cache
from home.models import EVENTS_PER_PAGE
from tests.factories import events_index, make_event, make_event_page

pytestmark = pytest.mark.django_db

VISITS = 1000
PAGE_TEMPLATES = {"home/event_index_page.html", "home/event_page.html", "404.html"}


@pytest.fixture
def renders():
    """Counter of the page templates rendered (not the includes), by name."""
    counted = Counter()

    def count(sender, template, **kwargs):
        if template.name in PAGE_TEMPLATES:
            counted[template.name] += 1

    template_rendered.connect(count, dispatch_uid="tests.page-renders")
    yield counted
    template_rendered.disconnect(dispatch_uid="tests.page-renders")


@pytest.fixture
def two_pages_of_events():
    """An events index one event longer than a page: pages 1 and 2."""
    for n in range(EVENTS_PER_PAGE + 1):
        make_event_page(make_event(f"Show {n}"))
    return events_index()


def keys_added(redis_server, before):
    return len(redis_server.keys()) - before


def test_made_up_page_numbers_and_query_strings_cost_a_constant_number_of_renders(
    redis_server, two_pages_of_events, renders
):
    url = two_pages_of_events.url
    # The first visit also caches what every page draws around it (core.site_furniture): once.
    Client().get(url)
    before = len(redis_server.keys())
    made_up = {
        "past the end": (lambda n: f"page={n + 3}", 404),
        "not a number": (lambda n: f"page=x{n}", 404),
        "below one": (lambda n: f"page=-{n}", 404),
        "a parameter no page reads": (lambda n: f"utm_source=mail{n}", 200),
        "page 2 with another parameter": (lambda n: f"page=2&ref={n}", 200),
    }
    answers = Counter()
    started = time.monotonic()
    for n in range(VISITS):
        for kind, (query, status) in made_up.items():
            response = Client().get(f"{url}?{query(n)}")
            assert response.status_code == status, (kind, n)
            answers[kind, response.get("X-Page-Cache")] += 1

    # Page 2 and the one 404 every page the index does not have shares (page 1 was cached).
    assert keys_added(redis_server, before) <= 2
    # Each rendered once, and again at most once, in every LISTING_TTL the visits took: a
    # listing is kept only that long (on a loaded machine the 5,000 visits outlast it), and
    # what must hold is that the count does not grow with the visits.
    lifetimes = 1 + int((time.monotonic() - started) // page_cache.LISTING_TTL)
    assert sum(renders.values()) <= 6 * lifetimes, renders
    # Every other answer came from the cache: a miss or two at the start of each lifetime.
    assert answers["not a number", "hit"] >= VISITS - 2 * lifetimes
    assert answers["past the end", "hit"] >= VISITS - 2 * lifetimes


def test_the_pages_of_a_listing_each_show_their_own_events(redis_server, two_pages_of_events):
    url = two_pages_of_events.url
    for _ in range(2):  # rendered, then from the cache
        first, second = Client().get(url), Client().get(f"{url}?page=2")
        assert "page 1 of 2" in first.content.decode()
        assert "page 2 of 2" in second.content.decode()
        assert Client().get(f"{url}?page=3").status_code == 404
    assert first["X-Page-Cache"] == second["X-Page-Cache"] == "hit"


def test_a_page_that_is_no_listing_ignores_page_numbers(redis_server, renders):
    page = make_event_page(make_event("One Night Only"))
    Client().get(page.url)
    before = len(redis_server.keys())
    for n in range(VISITS):
        response = Client().get(f"{page.url}?page={n}")
        assert response.status_code == 200
    assert keys_added(redis_server, before) == 0
    assert renders["home/event_page.html"] <= 2


def test_the_banner_returns_to_the_page_not_to_the_query_string_that_rendered_it(redis_server):
    page = make_event_page(make_event("One Night Only"))
    Client().get(f"{page.url}?utm_source=<anything>")
    hit = Client().get(page.url)
    assert hit["X-Page-Cache"] == "hit"
    assert re.search(rf'name="next" value="{re.escape(page.url)}"', hit.content.decode())
    assert "anything" not in hit.content.decode()


def test_made_up_session_cookies_are_served_from_the_cache(redis_server, renders):
    page = make_event_page(make_event("One Night Only"))
    Client().get(page.url)
    before = len(redis_server.keys())
    for n in range(VISITS):
        visitor = Client()
        visitor.cookies["sessionid"] = f"made-up-session-{n:04d}abcdefghijklmnop"
        response = visitor.get(page.url)
        assert response.status_code == 200
    assert renders["home/event_page.html"] <= 2
    assert keys_added(redis_server, before) == 0


def test_a_made_up_session_cookie_costs_no_query_and_a_signed_out_one_none_either(redis_server, admin_user):
    """Only a session someone signed in with is looked up (core.staff_sessions' marks)."""
    page = make_event_page(make_event("One Night Only"))
    Client().get(page.url)
    visitor = Client()
    visitor.cookies["sessionid"] = "a" * 32  # well formed, as a careful attacker would send
    with CaptureQueriesContext(connection) as queries:
        assert visitor.get(page.url)["X-Page-Cache"] == "hit"
    assert len(queries) == 0, [q["sql"] for q in queries.captured_queries]

    editor = Client()
    editor.force_login(admin_user)
    signed_in_cookie = editor.cookies["sessionid"].value
    assert editor.get(page.url).get("X-Page-Cache") is None  # a fresh render, with the user bar
    editor.logout()
    replayed = Client()
    replayed.cookies["sessionid"] = signed_in_cookie
    with CaptureQueriesContext(connection) as queries:
        assert replayed.get(page.url)["X-Page-Cache"] == "hit"
    assert len(queries) == 0, [q["sql"] for q in queries.captured_queries]


def test_while_the_shared_cache_is_down_a_signed_in_editor_still_gets_a_fresh_render_outage(
    redis_server, admin_user
):
    """The marks cannot be read, so every session cookie is looked up in the database again."""
    page = make_event_page(make_event("One Night Only"))
    editor = Client()
    editor.force_login(admin_user)
    redis_server.kill()
    page_cache.forget_local_entries()  # nothing this process read a moment ago
    with CaptureQueriesContext(connection) as queries:
        assert editor.get(page.url).get("X-Page-Cache") is None
    assert any("django_session" in q["sql"] for q in queries.captured_queries)


def test_a_session_without_a_signed_in_user_is_served_from_the_cache(redis_server):
    page = make_event_page(make_event("One Night Only"))
    Client().get(page.url)
    session = SessionStore()
    session["seen_banner"] = True
    session.create()
    visitor = Client()
    visitor.cookies["sessionid"] = session.session_key
    assert visitor.get(page.url)["X-Page-Cache"] == "hit"


def test_a_signed_in_editor_gets_a_fresh_render_with_the_user_bar(redis_server, admin_user, renders):
    page = make_event_page(make_event("One Night Only"))
    Client().get(page.url)
    editor = Client()
    editor.force_login(admin_user)
    rendered_before = renders["home/event_page.html"]
    response = editor.get(page.url)
    assert response.get("X-Page-Cache") is None
    assert renders["home/event_page.html"] == rendered_before + 1
    assert "<wagtail-userbar" in response.content.decode()
    assert "<wagtail-userbar" not in Client().get(page.url).content.decode()
