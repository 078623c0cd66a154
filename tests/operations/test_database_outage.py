"""PostgreSQL unreachable: the process stays up, readiness says why, pages say "back in a moment".

A real gunicorn, as the platform runs it, is started with `DATABASE_URL` pointing at a port
nobody listens on (the database is "down" from its first request). `/health/` stays 200, so
the platform does not restart every instance for a database blip; `/health/ready/` answers 503
naming the database, so the uptime monitor alerts; every page answers 503 with the friendly
page and a Retry-After, and no answer carries a stack trace or a connection detail.
"""

import httpx
import pytest
from django.db import connection
from django.test import Client

from tests.factories import BROWSER
from tests.network import closed_port
from tests.processes import WebInstance

FRIENDLY = "We’ll be back in a moment"
# What must never reach a visitor: Django's and the driver's words, the database's address.
LEAKS = ("Traceback", "OperationalError", "psycopg", "connection to server", "127.0.0.1", "sqlite")


@pytest.fixture
def instance_without_database(tmp_path):
    """gunicorn on the test settings, its database a closed local port (or, on SQLite, a file in
    a folder that does not exist)."""
    if connection.vendor == "postgresql":
        database_url = f"postgres://postgres@127.0.0.1:{closed_port()}/jersey_unreachable?connect_timeout=2"
    else:
        database_url = "sqlite:////nonexistent-directory/unreachable.sqlite3"
    web = WebInstance(closed_port(), tmp_path / "gunicorn.log", DATABASE_URL=database_url)
    yield web
    web.stop()


def assert_friendly_503(response):
    assert response.status_code == 503, response.text[:500]
    assert FRIENDLY in response.text
    assert response.headers["Retry-After"] == "60"
    for leak in LEAKS:
        assert leak not in response.text, leak


def test_postgresql_outage_health_stays_up_ready_names_the_database_pages_are_friendly_503s(
    instance_without_database,
):
    url = instance_without_database.url
    with httpx.Client(base_url=url, headers={"User-Agent": BROWSER}, timeout=30) as browser:
        health = browser.get("/health/")
        assert health.status_code == 200 and health.json() == {"status": "ok"}

        ready = browser.get("/health/ready/")
        assert ready.status_code == 503
        assert "database" in ready.json()["failing"]
        for leak in LEAKS:
            assert leak not in ready.text

        for path in ("/", "/events/", "/tickets/orders/some-order-token/", "/legal/data-request/"):
            assert_friendly_503(browser.get(path))
        # A form sent meanwhile gets the same page: nothing can have been saved.
        assert_friendly_503(browser.post("/legal/cookies/", data={"choice": "necessary"}))

    # The error is logged for staff (Sentry reads the log), but the visitor saw none of it.
    assert "OperationalError" in instance_without_database.log()


@pytest.mark.django_db(transaction=True)
def test_a_database_lost_mid_flight_gives_the_same_friendly_503(settings):
    """In the test process: the connection's address changed under a running site, as a failover
    does. The 500 page stays for every other error."""
    original = dict(connection.settings_dict)
    connection.close()
    try:
        if connection.vendor == "sqlite":
            connection.settings_dict["NAME"] = "/nonexistent-directory/dead.sqlite3"
        else:
            connection.settings_dict.update(
                HOST="127.0.0.1", PORT=str(closed_port()), OPTIONS={"connect_timeout": 2}
            )
        browser = Client(raise_request_exception=False, HTTP_USER_AGENT=BROWSER)
        response = browser.get("/")
        assert response.status_code == 503
        assert FRIENDLY in response.content.decode()
    finally:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(original)


def test_any_other_error_still_gets_the_500_page():
    import sys

    from django.test import RequestFactory

    from config import views

    try:
        raise ValueError("a bug")
    except ValueError:
        assert sys.exc_info()[0] is ValueError
        response = views.server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    assert "Sorry, something went wrong" in response.content.decode()
