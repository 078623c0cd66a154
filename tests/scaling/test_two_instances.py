"""Two web instances, one PostgreSQL, one Redis: the site behaves as one server.

When one server is not enough, the platform runs more instances of the same image. Nothing a
rule needs may then live in one instance's memory: each test here starts two real gunicorn
instances (two workers each) on the test's database and a Redis of its own, sends buyers and
staff to both, and checks what they see together: the checkout rate limit, the velocity
limits, stock, webhook idempotency, check-in and the page cache.
"""

import re
from collections import Counter

import httpx
import pytest
from django.test import Client

from sumup_sandbox import state as sandbox
from tests.concurrency import run_concurrently
from tests.factories import (
    BROWSER,
    make_event,
    make_event_page,
    make_paid_order,
    make_staff,
    ticket_types,
    wait_for,
)
from tests.payments.helpers import callback_body
from tests.processes import WebInstance
from tests.redis_server import RedisServer, free_port
from ticketing.inventory import check_inventory
from ticketing.models import Order, Ticket, WebhookEvent

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.concurrency]

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
CHECKOUT_RATE_LIMIT = 3  # per client address, per day: the same count whichever instance answers
PER_EMAIL_LIMIT = 4


@pytest.fixture
def redis():
    server = RedisServer()
    yield server
    server.stop()


@pytest.fixture
def instances(sumup_sandbox, redis, tmp_path):
    """Instances A and B, as the platform runs them behind its router (one trusted proxy)."""
    environment = {
        "REDIS_URL": redis.url,
        "SUMUP_API_BASE": f"{sumup_sandbox.url}/sandbox/sumup",
        "SITE_URL": sumup_sandbox.url,
        "TRUSTED_PROXY_COUNT": 1,
        "CHECKOUT_RATE_LIMIT": f"{CHECKOUT_RATE_LIMIT}/d",
        "MAX_TICKETS_PER_EMAIL_PER_EVENT": PER_EMAIL_LIMIT,
        "MAX_TICKETS_PER_IP_PER_EVENT": 1000,
        "LOG_LEVEL": "ERROR",
    }
    started = []
    try:
        for name in ("a", "b"):
            started.append(WebInstance(free_port(), tmp_path / f"{name}.log", **environment))
        yield started
    finally:
        for instance in started:
            instance.stop()


def visit(instance, path, address):
    """A fresh browser from `address` opens `path` on `instance`: (client, page)."""
    browser = httpx.Client(
        base_url=instance.url, headers={"User-Agent": BROWSER, "X-Forwarded-For": address}, timeout=30
    )
    return browser, browser.get(path)


def check_out(instance, event, page_path, address, *, email, quantity=1):
    """GET the event page and POST its ticket form, as a browser does; the checkout's status."""
    browser, page = visit(instance, page_path, address)
    try:
        assert page.status_code == 200, page.text[:300]
        (standard,) = ticket_types(event)
        data = {
            "csrfmiddlewaretoken": CSRF.search(page.text).group(1),
            "name": "Buyer",
            "email": email,
            "accept_terms": "on",
            f"quantity_{standard.pk}": quantity,
        }
        return browser.post(f"/tickets/events/{event.pk}/checkout/", data=data).status_code
    finally:
        browser.close()


def one_type_event(capacity):
    event = make_event("Two Doors Night", types=[("Standard", "10.00", capacity)])
    return event, make_event_page(event).url


def test_the_checkout_rate_limit_counts_across_both_instances(instances):
    a, b = instances
    event, page_path = one_type_event(100)

    statuses = [
        check_out((a, b)[n % 2], event, page_path, "198.51.100.1", email=f"buyer{n}@example.com")
        for n in range(CHECKOUT_RATE_LIMIT + 2)
    ]

    # The limit is three checkouts a day from one address, whichever instance took them.
    assert statuses == [303] * CHECKOUT_RATE_LIMIT + [429, 429]
    assert Order.objects.count() == CHECKOUT_RATE_LIMIT


def test_the_per_email_limit_counts_orders_placed_on_either_instance(instances):
    a, b = instances
    event, page_path = one_type_event(100)

    statuses = [
        check_out(
            (a, b)[n % 2], event, page_path, f"198.51.100.{10 + n}", email="same@example.com", quantity=2
        )
        for n in range(3)
    ]

    assert statuses == [303, 303, 409]  # four tickets for one address, then no more
    assert sum(order.total for order in Order.objects.all()) == 40


def test_buyers_split_across_both_instances_never_oversell(instances):
    a, b = instances
    capacity, buyers = 20, 48
    event, page_path = one_type_event(capacity)

    def buy_one(instance, address, email):
        return check_out(instance, event, page_path, address, email=email)

    statuses = run_concurrently(
        buy_one,
        [((a, b)[n % 2], f"203.0.113.{n + 1}", f"buyer{n}@example.com") for n in range(buyers)],
        timeout=180,
    )

    assert Counter(statuses) == {303: capacity, 409: buyers - capacity}
    (standard,) = ticket_types(event)
    assert standard.sold == capacity
    assert check_inventory() == []


def test_one_webhook_delivered_to_both_instances_gives_one_set_of_tickets(instances, sumup_sandbox):
    a, b = instances
    event, page_path = one_type_event(10)
    assert check_out(a, event, page_path, "198.51.100.50", email="ann@example.com", quantity=2) == 303
    order = Order.objects.get()
    checkout_id = order.payments.get().checkout_id
    sandbox.press(checkout_id, "pay", notify=False)

    def deliver(instance):
        return httpx.post(
            f"{instance.url}/tickets/webhooks/sumup/",
            json=callback_body(checkout_id),
            headers={"User-Agent": "SumUp-Webhooks/1.0", "X-Forwarded-For": "203.0.113.200"},
            timeout=30,
        ).status_code

    statuses = run_concurrently(deliver, [(a,), (b,)] * 4)

    assert statuses == [204] * 8
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert Ticket.objects.filter(order=order).count() == 2
    assert WebhookEvent.objects.filter(outcome="confirmed").count() == 1


def test_two_doors_on_two_instances_admit_a_ticket_once(instances):
    a, b = instances
    event, _ = one_type_event(10)
    order = make_paid_order(event, {"Standard": 1})
    ticket = order.tickets.get()
    door = Client()
    # The Door staff group's rights, given directly: a transactional test empties the groups.
    door.force_login(make_staff("door", "access_admin", "check_in_ticket"))
    session = door.cookies["sessionid"].value

    def scan(instance):
        with httpx.Client(base_url=instance.url, cookies={"sessionid": session}, timeout=30) as scanner:
            page = scanner.get(f"/tickets/check-in/{event.pk}/")
            assert page.status_code == 200, page.text[:300]
            answer = scanner.post(
                f"/tickets/check-in/{event.pk}/",
                data={"code": ticket.code, "csrfmiddlewaretoken": CSRF.search(page.text).group(1)},
                headers={"Accept": "application/json", "Referer": f"{instance.url}/tickets/check-in/"},
            )
            return answer.json()["outcome"]

    outcomes = run_concurrently(scan, [(a,), (b,)] * 3)

    assert Counter(outcomes) == {"admitted": 1, "already_checked_in": 5}


def test_a_sale_on_one_instance_ends_the_cached_on_sale_page_on_the_other(instances):
    a, b = instances
    event, page_path = one_type_event(1)
    first_browser, first = visit(b, page_path, "198.51.100.90")
    first_browser.close()
    assert "Sold out" not in first.text
    # B answers the next visitor from its cache: the page is not rendered again.
    again_browser, again = visit(b, page_path, "198.51.100.91")
    again_browser.close()
    assert again.headers["X-Page-Cache"] == "hit"

    assert check_out(a, event, page_path, "198.51.100.92", email="last@example.com") == 303

    def b_shows_sold_out():
        browser, page = visit(b, page_path, "198.51.100.93")
        browser.close()
        return "Sold out" in page.text

    wait_for(
        b_shows_sold_out,
        5,
        interval=0.25,
        failure="B kept showing the event on sale after A sold its last ticket",
    )
