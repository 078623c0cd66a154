"""Find my tickets: the same page, e-mail behaviour and queries for any address; the lookup is
the worker's; rate limited per client; bad input gets the form again; no address or token logged."""

import logging

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.shared_cache import Unavailable
from tests.factories import BROWSER, make_event, make_order, make_paid_order
from ticketing.models import OrderLookup

pytestmark = pytest.mark.django_db

URL = "/tickets/orders/find/"


@pytest.fixture
def visitor(client):
    client.defaults["HTTP_USER_AGENT"] = BROWSER
    return client


@pytest.fixture
def orders():
    event = make_event("Harbour Jazz", types=[("Adult", "20.00", 50)])
    return make_paid_order(event, email="ann@example.com"), make_order(event, email="ann@example.com")


def test_the_url_is_the_find_page_not_an_order_token():
    assert reverse("ticketing:find-orders") == URL


def test_known_and_unknown_addresses_get_the_same_answer_in_the_same_queries(visitor, orders):
    answers, counts = [], []
    for address in ("ann@example.com", "nobody@example.com"):
        with CaptureQueriesContext(connection) as queries:
            response = visitor.post(URL, {"email": address})
        answers.append((response.status_code, response["Location"]))
        counts.append(len(queries))
    assert answers[0] == answers[1] == (303, reverse("ticketing:find-orders-sent"))
    assert counts[0] == counts[1]
    assert not mail.outbox  # nothing looked up or sent in the request: the job does it


def test_the_job_emails_the_orders_and_an_unknown_address_hears_none_were_found(
    visitor, orders, django_capture_on_commit_callbacks, caplog
):
    paid, pending = orders
    caplog.set_level(logging.DEBUG)
    with django_capture_on_commit_callbacks(execute=True):
        visitor.post(URL, {"email": "Ann@Example.com"})
        visitor.post(URL, {"email": "nobody@example.com"})
    found, none = mail.outbox
    assert found.to == ["Ann@Example.com"]
    assert paid.token in found.body and pending.token in found.body and "Not paid yet" in found.body
    assert none.to == ["nobody@example.com"] and "found no paid or waiting orders" in none.body
    assert not OrderLookup.objects.exists()  # the address is kept only until it is e-mailed
    logged = caplog.text.lower()
    for secret in ("ann@example.com", "nobody@example.com", paid.token, pending.token):
        assert secret.lower() not in logged


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"email": ""},
        {"email": "not an address"},
        {"email": "a\x00b@example.com"},
        {"email": "x" * 300 + "@example.com"},
        {"email": "a@" + "b" * 100_000 + ".com"},
    ],
)
def test_bad_input_gets_the_form_again_and_changes_nothing(visitor, data, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = visitor.post(URL, data)
    assert response.status_code in (200, 400) and b"Find my tickets" in response.content
    assert not OrderLookup.objects.exists() and not mail.outbox


def test_raw_bytes_are_a_4xx_never_a_500(visitor):
    response = visitor.post(URL, b"email=\xff\xfe%00%ff", content_type="application/x-www-form-urlencoded")
    assert 400 <= response.status_code < 500
    assert not OrderLookup.objects.exists()


def test_requests_are_rate_limited_per_client(visitor, settings):
    settings.FIND_ORDERS_RATE_LIMIT = "2/d"
    statuses = [visitor.post(URL, {"email": "ann@example.com"}).status_code for _ in range(3)]
    assert statuses == [303, 303, 429]
    assert OrderLookup.objects.count() == 2


def test_while_the_counters_are_down_the_form_comes_back_with_a_503(visitor, monkeypatch):
    from core import rate_limits

    def down(*args, **kwargs):
        raise Unavailable("rate limiting")

    monkeypatch.setattr(rate_limits, "_over_shared_limit", down)  # outage at the edge: Redis down
    response = visitor.post(URL, {"email": "ann@example.com"})
    assert response.status_code == 503 and response["Retry-After"] == "60"
    assert b"technical problem" in response.content and not OrderLookup.objects.exists()


def test_the_footer_links_to_it(visitor):
    assert URL.encode() in visitor.get(URL).content
