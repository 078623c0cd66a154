"""Fixtures for the foundation tests: the demo site, a signed-in superuser, query counting."""

import io

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from home.management.commands import load_demo_content
from tests.factories import make_staff, signed_in
from tests.redis_server import redis_server  # noqa: F401  (a fixture)


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Images drawn by the demo loader go to a temporary folder, not the project's media/."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def demo_site(db, monkeypatch):
    """The site `make demo` builds: home page, events on sale, legal pages, settings.

    Posters are drawn small here: the full size only costs time in every test.
    """
    monkeypatch.setattr(load_demo_content, "IMAGE_SIZE", (320, 180))
    call_command("load_demo_content", stdout=io.StringIO())


@pytest.fixture
def staff_client(client):
    """A client signed in as a superuser (not named `admin`: ensure_demo_admin owns that)."""
    return signed_in(make_staff("staff", superuser=True), client)


@pytest.fixture
def count_queries():
    """`count_queries(action)` → (its result, the number of queries it ran).

    The cache (rendered pages, Wagtail's site lookup) is emptied first, so every measurement
    is a full render under the same conditions.
    """

    def measure(action):
        cache.clear()
        with CaptureQueriesContext(connection) as queries:
            result = action()
        return result, len(queries)

    return measure


@pytest.fixture
def count_page_queries():
    """`count_page_queries(action)` → (its result, the number of queries it ran), for pages.

    Every cached page is made stale first (as a publish does): a page-cache miss on a running
    site, whose other caches (the site furniture, Wagtail's site lookup) stay warm, as they
    are between editors' changes.
    """
    from core import page_cache

    def measure(action):
        page_cache.content_changed()
        with CaptureQueriesContext(connection) as queries:
            result = action()
        return result, len(queries)

    return measure
