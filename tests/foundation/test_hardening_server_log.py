"""Issue 9's audit: what a real gunicorn writes for the buyer's secret pages carries none of it.

The other log tests search what Django's loggers write. In production gunicorn writes too: an
access line per request and its own error log, into the same stream. Here the site runs as the
platform runs it (`gunicorn config.wsgi:application` with gunicorn.conf.py), a buyer opens their
order page, its tickets, its calendar file and a mistyped token from behind the platform's proxy,
and everything the process wrote is searched for the token, the ticket codes, the buyer and the
buyer's address.
"""

import re

import httpx
import pytest

from tests.factories import BROWSER, make_event, make_paid_order
from tests.processes import WebInstance
from tests.redis_server import free_port
from ticketing import tickets

pytestmark = pytest.mark.django_db(transaction=True)

NAME = "Zebedee Quartermaine"
EMAIL = "zebedee.quartermaine@example.org"
BUYER_ADDRESS = "203.0.113.77"


def test_gunicorn_writes_no_token_code_buyer_or_address_for_the_secret_pages(tmp_path):
    order = make_paid_order(make_event("Jazz Night", types=[("Adult", "20.00", 10)]), email=EMAIL, name=NAME)
    log_path = tmp_path / "web.log"
    web = WebInstance(free_port(), log_path, TRUSTED_PROXY_COUNT=1, LOG_LEVEL="DEBUG", WEB_CONCURRENCY=1)
    try:
        headers = {"User-Agent": BROWSER, "X-Forwarded-For": BUYER_ADDRESS}
        with httpx.Client(base_url=web.url, headers=headers, timeout=30) as browser:
            base = f"/tickets/orders/{order.token}/"
            answers = [
                browser.get(path).status_code for path in (base, base + "tickets/", base + "calendar.ics")
            ]
            answers.append(browser.get(f"/tickets/orders/{order.token[:-1]}x/").status_code)
    finally:
        web.stop()

    assert answers == [200, 200, 200, 404]
    written = log_path.read_text(errors="replace")
    assert written.count(" GET 200 ") >= 3, "the access log is on: it is what this test searches"
    secrets = [order.token, NAME, EMAIL, BUYER_ADDRESS, "/tickets/orders/"]
    for ticket in order.tickets.all():
        secrets += [ticket.code, ticket.display_code, tickets.sign_ticket_code(ticket.code)]
    assert [secret for secret in secrets if secret.lower() in written.lower()] == []


def test_each_access_line_says_when_what_status_size_time_and_request_id(tmp_path):
    """The line gunicorn.conf.py's format names (config/access_log.py works out those fields
    alone): the request id ties it to the application's own lines for the same request."""
    log_path = tmp_path / "web.log"
    web = WebInstance(free_port(), log_path, WEB_CONCURRENCY=1)
    try:
        with httpx.Client(base_url=web.url, headers={"User-Agent": BROWSER}, timeout=30) as browser:
            answer = browser.get(
                "/tickets/orders/no-such-order/", headers={"Referer": "https://elsewhere.example/"}
            )
    finally:
        web.stop()

    assert answer.status_code == 404
    request_id = answer.headers["X-Request-Id"]
    size = len(answer.content) if "content-encoding" not in answer.headers else None
    lines = [line for line in log_path.read_text(errors="replace").splitlines() if request_id in line]
    assert len(lines) == 1, lines
    shape = re.fullmatch(
        r"\[\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}\] GET 404 (\d+) (\d+)ms request_id=(\S+)", lines[0]
    )
    assert shape is not None, lines[0]
    assert shape.group(3) == request_id
    if size is not None:
        assert int(shape.group(1)) == size
    assert "elsewhere" not in lines[0] and "no-such-order" not in lines[0]
