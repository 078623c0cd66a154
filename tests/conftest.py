"""Fixtures shared by the whole suite.

Checkout and payment tests talk to the SumUp sandbox over real HTTP: the sandbox is served
by pytest-django's live server, and the real SDK client is pointed at it.

Tests of a rate limit set it per day ("2/d"), not per minute: django-ratelimit counts in fixed
windows, and a test that crossed a minute's edge between two requests would see its count
start again and fail for no fault of the code.
"""

import pytest
from django.core.cache import cache

from core import page_cache

pytest_plugins = ["tests.browser"]


@pytest.fixture(autouse=True)
def _clear_cache():
    """Rate limits, cached pages and availability live in the cache: start each test clean."""
    cache.clear()
    page_cache.forget_local_entries()
    yield
    cache.clear()
    page_cache.forget_local_entries()


@pytest.fixture
def sumup_sandbox(live_server, settings):
    """The SumUp sandbox at the live server's address, with our client pointed at it."""
    from sumup_sandbox import faults

    settings.SITE_URL = live_server.url
    settings.SUMUP_API_BASE = f"{live_server.url}/sandbox/sumup"
    faults.reset()
    yield live_server
    faults.reset()


@pytest.fixture
def event(sumup_sandbox):
    """An event on sale with its page, sold through the sandbox: Adult £20 ×10, Child £7.50 ×5."""
    from tests.factories import make_event, make_event_page

    event = make_event("Jazz Night", types=[("Adult", "20.00", 10), ("Child", "7.50", 5)])
    make_event_page(event)
    return event


@pytest.fixture
def buyer(client):
    """The test client, dressed as a real buyer's browser."""
    from tests.factories import BROWSER

    client.defaults["HTTP_USER_AGENT"] = BROWSER
    return client
