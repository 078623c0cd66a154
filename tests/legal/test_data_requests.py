"""`legal.data_requests` from the web form's side: a request waits for its link, the link confirms it.

The expired case is real time, not a patched clock: DATA_REQUEST_LINK_DAYS=0 makes a link
valid for no time at all, and a second's wait takes a genuine link past it.
"""

import time

import pytest
from django.core import signing

from legal import data_requests
from legal.models import DataRequest
from tests.factories import make_staff

pytestmark = pytest.mark.django_db


def test_submit_stores_a_web_request_waiting_for_its_link_due_in_a_month():
    request = data_requests.submit("  ann@example.com ", DataRequest.Kind.EXPORT)
    request.refresh_from_db()
    assert request.email == "ann@example.com"
    assert request.status == DataRequest.Status.RECEIVED
    assert request.channel == DataRequest.Channel.WEB
    assert request.confirmed_at is None
    assert request.due_on > request.created_at.date()


def test_asking_again_while_a_request_waits_gives_the_same_request():
    first = data_requests.submit("ann@example.com", DataRequest.Kind.ERASURE)
    again = data_requests.submit("ANN@example.com", DataRequest.Kind.ERASURE)
    other_kind = data_requests.submit("ann@example.com", DataRequest.Kind.EXPORT)
    assert again.pk == first.pk
    assert other_kind.pk != first.pk
    assert DataRequest.objects.count() == 2


def test_the_link_confirms_a_waiting_request():
    request = data_requests.submit("ann@example.com", DataRequest.Kind.EXPORT)
    confirmed = data_requests.confirm(data_requests.confirmation_token(request))
    request.refresh_from_db()
    assert confirmed.pk == request.pk
    assert request.status == DataRequest.Status.CONFIRMED
    assert request.confirmed_at is not None


def test_looking_up_a_link_changes_nothing():
    request = data_requests.submit("ann@example.com", DataRequest.Kind.EXPORT)
    assert data_requests.look_up(data_requests.confirmation_token(request)).pk == request.pk
    request.refresh_from_db()
    assert request.status == DataRequest.Status.RECEIVED and request.confirmed_at is None


def test_a_link_used_twice_confirms_once_and_the_second_time_changes_nothing():
    request = data_requests.submit("ann@example.com", DataRequest.Kind.EXPORT)
    token = data_requests.confirmation_token(request)
    first = data_requests.confirm(token)
    second = data_requests.confirm(token)
    assert second.status == DataRequest.Status.CONFIRMED
    assert second.confirmed_at == first.confirmed_at


def test_an_expired_link_is_refused_and_changes_nothing(settings):
    settings.DATA_REQUEST_LINK_DAYS = 0
    request = data_requests.submit("ann@example.com", DataRequest.Kind.ERASURE)
    token = data_requests.confirmation_token(request)
    time.sleep(1.1)
    with pytest.raises(data_requests.LinkExpired):
        data_requests.look_up(token)
    with pytest.raises(data_requests.LinkExpired):
        data_requests.confirm(token)
    request.refresh_from_db()
    assert request.status == DataRequest.Status.RECEIVED


@pytest.mark.parametrize(
    "tamper",
    [
        lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"),  # the signature changed
        lambda token: "9999" + token,  # another request's id
        lambda token: token.rpartition(":")[0],  # cut short
        lambda token: "",
        lambda token: "ünïcödé:☃:✓",
    ],
    ids=["signature", "id", "truncated", "empty", "unicode"],
)
def test_a_tampered_link_is_refused_and_changes_nothing(tamper):
    request = data_requests.submit("ann@example.com", DataRequest.Kind.EXPORT)
    with pytest.raises(data_requests.LinkInvalid):
        data_requests.confirm(tamper(data_requests.confirmation_token(request)))
    request.refresh_from_db()
    assert request.status == DataRequest.Status.RECEIVED


def test_a_link_signed_for_another_purpose_is_refused():
    """Other signed values of the site (ticket QR codes, say) are not confirmation links."""
    request = data_requests.submit("ann@example.com", DataRequest.Kind.EXPORT)
    foreign = signing.TimestampSigner(salt="ticketing.tickets").sign(str(request.pk))
    with pytest.raises(data_requests.LinkInvalid):
        data_requests.confirm(foreign)


def test_a_link_to_a_request_that_is_gone_is_invalid():
    request = data_requests.submit("ann@example.com", DataRequest.Kind.EXPORT)
    token = data_requests.confirmation_token(request)
    request.delete()
    with pytest.raises(data_requests.LinkInvalid):
        data_requests.confirm(token)


@pytest.mark.parametrize("close", ["complete", "reject"])
def test_a_link_to_an_answered_request_is_not_open_and_changes_nothing(close):
    staff = make_staff("privacy-officer")
    request = data_requests.submit("ann@example.com", DataRequest.Kind.EXPORT)
    token = data_requests.confirmation_token(request)
    if close == "complete":
        data_requests.complete(data_requests.confirm(token), by=staff, outcome="1 order exported")
    else:
        data_requests.reject(request, by=staff, reason="identity could not be checked")
    closed = DataRequest.objects.get(pk=request.pk)
    with pytest.raises(data_requests.NotOpen):
        data_requests.look_up(token)
    with pytest.raises(data_requests.NotOpen):
        data_requests.confirm(token)
    after = DataRequest.objects.get(pk=request.pk)
    assert (after.status, after.handled_at, after.confirmed_at) == (
        closed.status,
        closed.handled_at,
        closed.confirmed_at,
    )
