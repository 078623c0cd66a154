"""The page behind the e-mailed link, /legal/data-request/confirm/<token>/.

Opening it (GET) only shows a button: mail scanners fetch links before people read them. The
button (POST) confirms. Whatever the token, the answer is a page of ours, never a 500.
"""

import time

import pytest
from django.urls import reverse
from django.utils import dateformat

from legal import data_requests
from legal.models import DataRequest
from tests.factories import make_staff
from tests.redis_server import redis_server  # noqa: F401  (a fixture)

pytestmark = pytest.mark.django_db


def waiting_request(kind=DataRequest.Kind.EXPORT):
    return data_requests.submit("ann@example.com", kind)


def link_for(request):
    return reverse("legal:data-request-confirm", args=[data_requests.confirmation_token(request)])


def state_of(response):
    """The state the page shows (the template marks it), beside the HTTP status."""
    html = response.content.decode()
    marker = 'data-state="'
    start = html.index(marker) + len(marker)
    return response.status_code, html[start : html.index('"', start)]


def test_opening_the_link_shows_the_button_and_confirms_nothing(client):
    request = waiting_request(DataRequest.Kind.ERASURE)

    response = client.get(link_for(request))

    assert state_of(response) == (200, "waiting")
    html = response.content.decode()
    assert "Confirm my request" in html and 'method="post"' in html
    assert "erase the personal data" in html
    assert response["Referrer-Policy"] == "same-origin"
    request.refresh_from_db()
    assert request.status == DataRequest.Status.RECEIVED and request.confirmed_at is None


def test_pressing_the_button_confirms_and_shows_when_we_will_answer(client):
    request = waiting_request()

    response = client.post(link_for(request))

    assert state_of(response) == (200, "confirmed")
    request.refresh_from_db()
    assert request.status == DataRequest.Status.CONFIRMED and request.confirmed_at is not None
    assert f'by <strong><time datetime="{request.due_on:%Y-%m-%d}">' in response.content.decode()
    assert dateformat.format(request.due_on, "j F Y") in response.content.decode()


def test_a_used_link_gives_the_same_friendly_answer_and_changes_nothing(client):
    request = waiting_request()
    link = link_for(request)
    first = client.post(link)
    request.refresh_from_db()
    confirmed_at = request.confirmed_at

    again, opened = client.post(link), client.get(link)

    assert state_of(again) == state_of(opened) == state_of(first) == (200, "confirmed")
    request.refresh_from_db()
    assert request.confirmed_at == confirmed_at


def test_an_expired_link_offers_to_ask_again_and_changes_nothing(client, settings):
    settings.DATA_REQUEST_LINK_DAYS = 0
    request = waiting_request()
    link = link_for(request)
    time.sleep(1.1)

    for response in (client.get(link), client.post(link)):
        assert state_of(response) == (410, "expired")
        assert f'href="{reverse("legal:data-request")}">Ask again' in response.content.decode()
    request.refresh_from_db()
    assert request.status == DataRequest.Status.RECEIVED


def test_a_tampered_link_gets_a_friendly_400_and_changes_nothing(client):
    request = waiting_request()
    token = data_requests.confirmation_token(request)
    tampered = reverse("legal:data-request-confirm", args=[token[:-2] + "xx"])

    for response in (client.get(tampered), client.post(tampered)):
        assert state_of(response) == (400, "invalid")
        assert "We couldn’t read this link" in response.content.decode()
    request.refresh_from_db()
    assert request.status == DataRequest.Status.RECEIVED


@pytest.mark.parametrize("close", ["complete", "reject"])
def test_a_link_to_an_answered_request_says_so_and_changes_nothing(client, close):
    request = waiting_request()
    link = link_for(request)
    staff = make_staff("privacy-officer")
    if close == "complete":
        data_requests.complete(
            data_requests.confirm(data_requests.confirmation_token(request)), by=staff, outcome="done"
        )
    else:
        data_requests.reject(request, by=staff, reason="identity could not be checked")
    before = DataRequest.objects.filter(pk=request.pk).values().get()

    for response in (client.get(link), client.post(link)):
        assert state_of(response) == (409, "closed")
    assert DataRequest.objects.filter(pk=request.pk).values().get() == before


HOSTILE_TOKENS = {
    "very-long": "1:" + "x" * 3000,
    "long-but-allowed": "x" * 900,
    "nul": "1%00:abc",
    "control": "%01",
    "unicode": "%E2%98%83:%C3%BC:%F0%9F%98%80",
    "invalid-utf8": "%ff%fe",
    "surrogate": "%ed%a0%80",
    "only-colons": ":::",
    "percent-encoded-slash": "1%2F2",
    "huge-number": "9" * 400,
}


@pytest.mark.parametrize("token", HOSTILE_TOKENS.values(), ids=HOSTILE_TOKENS.keys())
def test_any_token_gets_a_4xx_and_changes_nothing(client, token):
    request = waiting_request()
    path = f"/legal/data-request/confirm/{token}/"
    client.raise_request_exception = False
    for response in (client.get(path), client.post(path)):
        assert 400 <= response.status_code < 500, response.status_code
    request.refresh_from_db()
    assert request.status == DataRequest.Status.RECEIVED


def test_pressing_the_button_too_often_gets_the_friendly_429(client, settings):
    settings.DATA_REQUEST_RATE_LIMIT = "2/d"
    client.post(link_for(waiting_request()))
    client.post("/legal/data-request/confirm/made-up/")  # a wrong link counts too
    third = data_requests.submit("cy@example.com", DataRequest.Kind.ERASURE)

    response = client.post(link_for(third))

    assert response.status_code == 429
    assert "Too many attempts" in response.content.decode()
    third.refresh_from_db()
    assert third.status == DataRequest.Status.RECEIVED
    assert state_of(client.get(link_for(third))) == (200, "waiting")  # opening the link is not counted


def test_confirming_with_redis_down_is_refused_with_a_503_and_changes_nothing(redis_server, client):  # noqa: F811
    request = waiting_request()
    redis_server.kill()

    response = client.post(link_for(request))

    assert state_of(response) == (503, "paused")
    assert response["Retry-After"] == "60"
    assert "Confirm my request" in response.content.decode()  # the button, to press again
    request.refresh_from_db()
    assert request.status == DataRequest.Status.RECEIVED
