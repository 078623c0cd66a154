"""Who may cancel an event, what a bad request does (nothing), and the audit trail it leaves.

The refunds themselves are tested against the SumUp sandbox in tests/payments/test_cancel_event.py;
the events here have unpaid orders only, so cancelling calls SumUp for nothing.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from wagtail.models import ModelLogEntry

from tests.factories import make_event, make_order
from tests.staff.conftest import ROLES
from tests.staff.test_admin_walk import refused
from ticketing import cancellation
from ticketing.models import Event, EventCancellation, Order

pytestmark = pytest.mark.django_db

MAY_CANCEL = {"finance", "superuser"}


@pytest.fixture
def event():
    return make_event("Harbour Jazz Night", types=[("Adult", "20.00", 50)])


def cancel_url(event):
    return reverse("ticketing_event_cancel", args=[event.pk])


def inspect_url(event):
    return reverse("ticketing_event_modeladmin_inspect", args=[event.pk])


def nothing_changed(event):
    return (
        Event.objects.get(pk=event.pk).status == Event.Status.ON_SALE
        and not EventCancellation.objects.exists()
        and not Order.objects.filter(status=Order.Status.CANCELLED).exists()
        and not ModelLogEntry.objects.filter(action=cancellation.LOG_CANCEL_EVENT).exists()
    )


@pytest.mark.parametrize("role", ROLES)
def test_only_finance_and_superusers_may_open_or_post_cancel_event(role, signed_in_as, event):
    make_order(event)
    member = signed_in_as(role)

    page = member.get(cancel_url(event))
    inspect = member.get(inspect_url(event))

    if role in MAY_CANCEL:
        assert page.status_code == 200 and "Type the event" in page.content.decode()
        assert inspect.status_code == 200 and cancel_url(event) in inspect.content.decode()
        assert nothing_changed(event), "opening the page changes nothing"
    else:
        assert refused(page), page.status_code
        assert cancel_url(event) not in inspect.content.decode()
        response = member.post(cancel_url(event), {"title": event.title})
        assert refused(response) and nothing_changed(event)


def test_finance_needs_no_other_permission_than_its_group_gives(signed_in_as, event):
    """The migration gives Finance "cancel event", and "view event" to reach the button."""
    member = signed_in_as("finance")
    assert member.user.has_perm("ticketing.cancel_event") and member.user.has_perm("ticketing.view_event")
    assert not member.user.has_perm("ticketing.change_event")
    editor = signed_in_as("editors")
    assert not editor.user.has_perm("ticketing.cancel_event")


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"title": ""},
        {"title": "Harbour Jazz"},
        {"title": "Harbour Jazz Night\x00"},
        {"title": "Harbour Jazz Night" * 500},
        {"title": ["Harbour Jazz Night", "Other"]},
    ],
    ids=["nothing", "empty", "wrong title", "nul byte", "too long", "twice"],
)
def test_a_bad_confirmation_shows_the_form_again_and_changes_nothing(data, signed_in_as, event):
    make_order(event)
    member = signed_in_as("finance")

    response = member.post(cancel_url(event), data)

    assert response.status_code == 200 or 400 <= response.status_code < 500, response.status_code
    if response.status_code == 200:
        assert "nothing was cancelled" in response.content.decode() or "required" in response.content.decode()
    assert nothing_changed(event)


def test_an_unknown_event_is_a_404_for_finance_and_a_403_for_others(signed_in_as):
    assert signed_in_as("finance").get(reverse("ticketing_event_cancel", args=[999999])).status_code == 404
    assert refused(signed_in_as("box_office").get(reverse("ticketing_event_cancel", args=[999999])))


def test_cancelling_is_audited_without_the_buyers_details(signed_in_as, event):
    pending = make_order(event, email="ann@example.com", name="Ann Example")
    member = signed_in_as("finance")

    response = member.post(cancel_url(event), {"title": "  harbour  JAZZ night "}, follow=True)

    assert response.status_code == 200 and "Harbour Jazz Night is cancelled" in response.content.decode()
    assert Event.objects.get(pk=event.pk).status == Event.Status.CANCELLED
    pending.refresh_from_db()
    assert pending.status == Order.Status.CANCELLED
    entry = ModelLogEntry.objects.get(action=cancellation.LOG_CANCEL_EVENT)
    assert entry.user == member.user and entry.object_id == str(event.pk)
    assert entry.data["pending_orders"] == 1 and entry.data["paid_orders"] == 0
    assert "ann@example.com" not in str(entry.data) and "Ann Example" not in str(entry.data)
    assert pending.token not in str(entry.data)
    history = member.get(reverse("ticketing_event_modeladmin_history", args=[event.pk]))
    assert (
        "Event cancelled: sales stopped" in history.content.decode()
        or "Cancel event" in history.content.decode()
    )
    # Afterwards the same page shows progress, and a second post changes nothing.
    progress = member.get(cancel_url(event)).content.decode()
    # (The refund job runs once the cancellation commits; this test's transaction never does.)
    assert "Refunded 0 of 0 orders." in progress
    again = member.post(cancel_url(event), {"title": event.title})
    assert again.status_code == 302 and EventCancellation.objects.count() == 1
    assert ModelLogEntry.objects.filter(action=cancellation.LOG_CANCEL_EVENT).count() == 1


def test_the_event_form_no_longer_offers_cancelled(signed_in_as, event):
    editor = signed_in_as("editors")
    edit_url = reverse("ticketing_event_modeladmin_edit", args=[event.pk])

    form = editor.get(edit_url).content.decode()

    assert 'value="cancelled"' not in form and "Cancel event" in form
    assert 'value="on_sale"' in form
    cancellation.cancel_event(event, editor.user)  # the service itself does not ask who
    assert 'value="cancelled"' in editor.get(edit_url).content.decode()


def test_the_progress_page_reads_in_a_fixed_number_of_queries(signed_in_as):
    """5 or 50 cancelled holds: the page costs the same."""
    few = make_event("Few", types=[("Adult", "20.00", 500)])
    many = make_event("Many", types=[("Adult", "20.00", 500)])
    for index in range(5):
        make_order(few, email=f"few{index}@example.com", ip=f"203.0.113.{index + 1}")
    for index in range(50):
        make_order(many, email=f"many{index}@example.com", ip=f"198.51.{index}.1")
    member = signed_in_as("finance")
    counts = []
    for shown in (few, many):
        member.get(cancel_url(shown))  # the confirmation page
        with CaptureQueriesContext(connection) as before:
            member.get(cancel_url(shown))
        cancellation.cancel_event(shown, member.user)
        with CaptureQueriesContext(connection) as after:
            member.get(cancel_url(shown))
        counts.append((len(before), len(after)))
    assert counts[0] == counts[1], counts
