"""When Redis is down the shop stays open.

Each test has a Redis of its own with the site's caches pointed at it as in production
(`tests.redis_server`), and stops it mid-test: killed by its process id (SIGKILL), or frozen
(SIGSTOP) where it must come back with its data, as after a network blip.

What each part does then (README, "When Redis is down"):

* pages render without the page cache, which logs one warning;
* the order and ticket pages, and the webhook, confirm payments; the webhook's rate limit is
  counted in each process meanwhile;
* the checkout refuses with a 503, showing the buyer's form again as typed, and so does
  "Try paying again" (each opens a SumUp checkout): neither goes on without its limits;
* the admin works (sessions are in the database).
"""

import ast
import logging
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from core import page_cache
from home.models import EventIndexPage, EventPage
from legal.models import LegalPage
from sumup_sandbox import state as sandbox
from tests.factories import (
    BROWSER,
    buy,
    make_event,
    make_event_page,
    make_paid_order,
    make_staff,
    ticket_types,
)
from tests.payments.helpers import callback_body, deliver, reload
from ticketing.checkout import Buyer, place_order
from ticketing.models import Order, Payment
from ticketing.views import CHECKOUT_PAUSED, PAY_AGAIN_PAUSED

OUTAGE_LOGGER = "core.shared_cache"


def outage_warnings(caplog):
    return [r for r in caplog.records if r.name == OUTAGE_LOGGER and r.levelno == logging.WARNING]


def outage_parts(caplog):
    """The parts of the site that logged the outage, each listed once per warning it logged."""
    return sorted(record.part for record in outage_warnings(caplog))


def public_urls():
    return [
        "/",
        EventIndexPage.objects.get().url,
        *(page.url for page in EventPage.objects.live()),
        *(page.url for page in LegalPage.objects.live()),
    ]


@pytest.mark.usefixtures("demo_site")
def test_every_public_page_renders_when_redis_is_down(redis_server, caplog):
    urls = public_urls()
    for url in urls:
        assert Client().get(url).status_code == 200, url
    redis_server.kill()
    page_cache.forget_local_entries()  # nothing kept in this process either
    caplog.set_level(logging.INFO, logger=OUTAGE_LOGGER)

    for _ in range(3):
        for url in urls:
            response = Client().get(url)
            assert response.status_code == 200, url
            assert response.get("X-Page-Cache") is None, url  # rendered, and nothing stored

    # One warning for each part that met the outage, not one per request.
    parts = outage_parts(caplog)
    assert len(parts) == len(set(parts)) and "the page cache" in parts, parts


@pytest.mark.django_db
def test_the_order_and_ticket_pages_render_when_redis_is_down(redis_server):
    order = make_paid_order(make_event(types=[("Standard", "25.00", 10)]))
    redis_server.kill()
    order_page = Client().get(reverse("ticketing:order", args=[order.token]))
    assert order_page.status_code == 200
    assert "Payment received" in order_page.content.decode()
    assert Client().get(reverse("ticketing:tickets", args=[order.token])).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_the_order_page_confirms_a_payment_when_redis_is_down(redis_server, buyer, event):
    payment = buy(buyer, event)
    sandbox.press(payment.checkout_id, "pay", notify=False)
    redis_server.kill()

    page = buyer.get(reverse("ticketing:order", args=[payment.order.token]))

    assert page.status_code == 200
    assert "Payment received" in page.content.decode()
    assert reload(payment.order).status == Order.Status.PAID


@pytest.mark.django_db(transaction=True)
def test_the_webhook_confirms_a_payment_when_redis_is_down(redis_server, buyer, event, sumup_sandbox):
    payment = buy(buyer, event)
    sandbox.press(payment.checkout_id, "pay", notify=False)
    redis_server.kill()

    response = deliver(sumup_sandbox.url, callback_body(payment.checkout_id))

    assert response.status_code == 204
    assert reload(payment.order).status == Order.Status.PAID


@pytest.mark.django_db(transaction=True)
def test_the_webhook_still_limits_each_address_when_redis_is_down(redis_server, sumup_sandbox, settings):
    """Counted in the process meanwhile: the limit holds per process, it never switches off."""
    settings.WEBHOOK_RATE_LIMIT = "3/h"  # a rate of this test's own: a count of its own
    redis_server.kill()
    statuses = [deliver(sumup_sandbox.url, callback_body("chk_unknown")).status_code for _ in range(4)]
    assert statuses == [204, 204, 204, 429]


def checkout_data(ticket_type, quantity=2):
    return {
        "name": "Ann Example",
        "email": "ann@example.com",
        "accept_terms": "on",
        f"quantity_{ticket_type.pk}": quantity,
    }


@pytest.mark.django_db
def test_the_checkout_refuses_with_a_503_keeping_what_was_typed_when_redis_is_down(
    redis_server, client, caplog
):
    event = make_event("Comedy Club", types=[("Adult", "15.00", 10)])
    make_event_page(event)
    (adult,) = ticket_types(event)
    redis_server.kill()
    caplog.set_level(logging.INFO)

    response = client.post(
        reverse("ticketing:checkout", args=[event.pk]), checkout_data(adult, 3), HTTP_USER_AGENT=BROWSER
    )

    assert response.status_code == 503
    assert response["Retry-After"] == "60"
    html = response.content.decode()
    assert CHECKOUT_PAUSED in html
    assert 'value="Ann Example"' in html and 'value="ann@example.com"' in html
    assert f'name="quantity_{adult.pk}" value="3"' in html
    assert Order.objects.count() == 0
    adult.refresh_from_db()
    assert adult.sold == 0
    assert "ann@example.com" not in caplog.text and "Ann Example" not in caplog.text
    parts = outage_parts(caplog)
    assert parts and len(parts) == len(set(parts)), parts


@pytest.mark.django_db(transaction=True)
def test_the_checkout_sells_again_once_redis_answers(redis_server, buyer, event):
    adult, _child = ticket_types(event)
    url = reverse("ticketing:checkout", args=[event.pk])
    redis_server.pause()
    assert buyer.post(url, checkout_data(adult)).status_code == 503
    redis_server.resume()
    assert buyer.post(url, checkout_data(adult)).status_code == 303  # off to SumUp's payment page


@pytest.mark.django_db(transaction=True)
def test_paying_again_is_refused_with_a_503_while_redis_is_down(redis_server, buyer, event):
    order = buy(buyer, event).order
    redis_server.kill()

    response = buyer.post(reverse("ticketing:pay-again", args=[order.token]))

    assert response.status_code == 503
    assert response["Retry-After"] == "60"
    assert PAY_AGAIN_PAUSED in response.content.decode()
    assert Payment.objects.filter(order=order).count() == 1  # no new SumUp checkout
    assert reload(order).status == Order.Status.PENDING


@pytest.mark.django_db
def test_the_admin_stays_usable_when_redis_is_down(redis_server, client):
    make_staff("staff", superuser=True, password="a-long-unused-password")
    page = make_event_page(make_event("Cached Show"))
    redis_server.kill()

    signed_in = client.post("/admin/login/", {"username": "staff", "password": "a-long-unused-password"})
    assert signed_in.status_code == 302
    assert client.get("/admin/").status_code == 200
    assert client.get(f"/admin/pages/{page.pk}/edit/").status_code == 200
    page.title = "Renamed Show"
    page.save_revision().publish()  # tells the page cache, which cannot hear it
    assert "Renamed Show" in Client().get(page.url).content.decode()


@pytest.mark.django_db
def test_a_sale_while_redis_is_unreachable_reaches_the_cached_page_when_it_answers_again(
    redis_server, django_capture_on_commit_callbacks
):
    event = make_event("Cached Show", types=[("Standard", "10.00", 20)])
    page = make_event_page(event)
    Client().get(page.url)
    assert Client().get(page.url)["X-Page-Cache"] == "hit"
    (standard,) = ticket_types(event)

    redis_server.pause()
    with django_capture_on_commit_callbacks(execute=True):  # the sale commits; Redis cannot hear of it
        place_order(event, Buyer("Ann", "ann@example.com", "192.0.2.1", BROWSER), {standard: 10})
    redis_server.resume()

    after = Client().get(page.url)
    assert after["X-Page-Cache"] == "miss"
    assert "Only 10 left" in after.content.decode()
    assert Client().get(page.url)["X-Page-Cache"] == "hit"  # and cached again


@pytest.mark.django_db
def test_ready_names_the_cache_when_redis_is_down(redis_server, client):
    assert client.get("/health/ready/").status_code == 200
    redis_server.kill()
    response = client.get("/health/ready/")
    assert response.status_code == 503
    assert response.json()["failing"] == ["cache"]


SITE_PACKAGES = ("core", "home", "legal", "ticketing")


def test_the_site_s_own_code_uses_the_shared_cache_which_raises_when_redis_is_down():
    """The default cache turns a Redis error into None: `add` would read as "done already"
    (an alert dropped, a payment never checked), `get` as a miss. Our code must hear of it."""
    base = Path(__file__).resolve().parents[2]
    sources = [source for package in SITE_PACKAGES for source in sorted((base / package).rglob("*.py"))]
    wrong = [
        str(source.relative_to(base))
        for source in sources
        for node in ast.walk(ast.parse(source.read_text()))
        if isinstance(node, ast.ImportFrom)
        and node.module == "django.core.cache"
        and any(alias.name == "cache" for alias in node.names)
    ]
    assert sources and wrong == []
