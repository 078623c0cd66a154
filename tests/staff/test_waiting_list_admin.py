"""Ticketing → Waiting list: the box office sees each type's line (position, address, status, when
offered) per event, in a fixed number of queries; other jobs do not see it; nobody edits it."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.factories import make_event, make_event_page, make_order
from ticketing import holds, waiting_list
from ticketing.models import WaitingListEntry

pytestmark = pytest.mark.django_db

LIST_URL = reverse("ticketing_waitinglistentry_modeladmin_index")


def a_line(title="Harbour Jazz Night", people=("ann@example.com", "bob@example.com", "cat@example.com")):
    event = make_event(title, types=[("Standing", "18.00", 1)])
    make_event_page(event, slug=f"event-{title.lower().replace(' ', '-')}")
    make_order(event, {"Standing": 1}, email=f"holder@{title.split()[0].lower()}.example.com")
    for email in people:
        waiting_list.join(event.ticket_types.get(), email)
    return event


def test_the_box_office_sees_the_line_with_positions_and_offers(
    signed_in_as, django_capture_on_commit_callbacks
):
    event = a_line()
    with django_capture_on_commit_callbacks(execute=True):
        holds.expire_orders(now=timezone.now() + timedelta(hours=1))
    client = signed_in_as("box_office")

    response = client.get(LIST_URL, {"event": event.pk})
    html = response.content.decode()
    assert response.status_code == 200
    for header in ("Position", "E-mail address", "Status", "Offered at", "Offer ends"):
        assert header in html
    ann, bob, cat = (html.index(email) for email in ("ann@example.com", "bob@example.com", "cat@example.com"))
    assert ann < bob < cat  # in line order
    assert "Offered seats" in html and "Waiting" in html
    positions = dict(
        waiting_list.with_positions(WaitingListEntry.objects.all()).values_list("email", "position")
    )
    assert positions == {"ann@example.com": 1, "bob@example.com": 2, "cat@example.com": 3}

    entry = WaitingListEntry.objects.get(email="ann@example.com")
    inspect = client.get(reverse("ticketing_waitinglistentry_modeladmin_inspect", args=[entry.pk]))
    assert inspect.status_code == 200 and "Offer e-mail" in inspect.content.decode()
    # Read-only: no add or edit page, for the box office or anyone.
    assert client.get(reverse("ticketing_waitinglistentry_modeladmin_edit", args=[entry.pk])).status_code in (
        302,
        403,
    )


def test_the_list_filters_by_event_and_searches_by_address(signed_in_as):
    jazz = a_line()
    a_line("Folk Evening", people=("dan@example.com",))
    client = signed_in_as("box_office")
    html = client.get(LIST_URL, {"event": jazz.pk}).content.decode()
    assert "ann@example.com" in html and "dan@example.com" not in html
    html = client.get(LIST_URL, {"q": "dan@"}).content.decode()
    assert "dan@example.com" in html and "ann@example.com" not in html
    assert client.get(LIST_URL, {"event": "not-a-number"}).status_code in (200, 302)


@pytest.mark.parametrize("role", ["finance", "privacy", "editors", "door_staff", "no_group"])
def test_other_jobs_do_not_see_the_list(signed_in_as, role):
    a_line()
    response = signed_in_as(role).get(LIST_URL)
    assert response.status_code in (302, 403)
    assert "ann@example.com" not in response.content.decode()


def test_the_list_costs_the_same_queries_however_long(signed_in_as):
    a_line(people=("a1@example.com",))
    client = signed_in_as("box_office")
    client.get(LIST_URL)  # warm: the session, the menu's permissions
    with CaptureQueriesContext(connection) as short:
        client.get(LIST_URL)
    a_line("Folk Evening", people=[f"p{i}@example.com" for i in range(12)])
    with CaptureQueriesContext(connection) as long:
        client.get(LIST_URL)
    assert len(long) <= len(short) + 1  # the event filter's choices may add one event
