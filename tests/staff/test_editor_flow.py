"""An editor makes a sellable event and its page in one flow, through the admin's real forms.

The event first (with its ticket types), then straight on to "New event page" with the event
chosen, submitted through Wagtail's moderation like any page an editor writes; once a moderator
approves, the page is live and sells tickets. The page's event chooser offers only events with
no page yet, and costs the same queries however many events there are.
"""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from wagtail.models import Page
from wagtail.test.utils.form_data import inline_formset, nested_form_data, streamfield

from home.models import EventPage
from tests.factories import events_index, make_event, make_event_page, make_staff, signed_in
from ticketing.models import Event

pytestmark = pytest.mark.django_db

EVENTS_CREATE = "/admin/ticketing/event/create/"


def local(moment):
    """A datetime as the admin's date-time widget writes it."""
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def new_event_form(title="Harbour Jazz"):
    """What an editor types into the new-event form: an event on sale, two ticket types."""
    now = timezone.now()
    data = {
        "title": title,
        "venue": "Jersey Arts Centre",
        "starts_at": local(now + timedelta(days=30)),
        "ends_at": "",
        "status": Event.Status.ON_SALE,
        "sales_start": local(now - timedelta(days=1)),
        "sales_end": "",
        "capacity": "",
        "currency": "GBP",
        "buyer_cancel_days": "",
        "buyer_cancel_fee": "0.00",
        "attendee_names": Event.AttendeeNames.OFF,
        "ticket_types-TOTAL_FORMS": 2,
        "ticket_types-INITIAL_FORMS": 0,
        "ticket_types-MIN_NUM_FORMS": 0,
        "ticket_types-MAX_NUM_FORMS": 1000,
    }
    for index, (name, price) in enumerate([("Adult", "22.50"), ("Child", "9.00")]):
        data.update(
            {
                f"ticket_types-{index}-id": "",
                f"ticket_types-{index}-name": name,
                f"ticket_types-{index}-price": price,
                f"ticket_types-{index}-description": "",
                f"ticket_types-{index}-capacity": "100",
                f"ticket_types-{index}-max_per_order": "10",
            }
        )
    return data


def new_page_form(event, **fields):
    """What an editor types into the new event page's form, submitted for moderation."""
    return nested_form_data(
        {
            "title": event.title,
            "slug": fields.pop("slug", "harbour-jazz"),
            "event": event.pk,
            "summary": "Late-night jazz by the harbour.",
            "body": streamfield([]),
            "comments": inline_formset([]),
            **fields,
        }
    ) | {"action-submit": "Submit to Moderators approval"}


@pytest.fixture
def editor(client):
    events_index()
    return signed_in(make_staff("editor", groups=["Editors"]), client)


def event_choices(html):
    """The events the page form's chooser offers, by id (the empty choice left out)."""
    import re

    select = re.search(r'<select name="event".*?</select>', html, re.S).group(0)
    return {int(value) for value in re.findall(r'<option value="(\d+)"', select)}


def add_page_url():
    return reverse("wagtailadmin_pages:add", args=["home", "eventpage", events_index().pk])


# --- The whole flow, as an editor ---------------------------------------------------------


def test_an_editor_creates_an_event_then_its_page_and_once_approved_it_sells(editor, client):
    response = editor.post(EVENTS_CREATE, new_event_form())
    event = Event.objects.get(title="Harbour Jazz")
    assert [(t.name, str(t.price)) for t in event.ticket_types.order_by("sort_order", "pk")] == [
        ("Adult", "22.50"),
        ("Child", "9.00"),
    ]
    # Saved: straight on to the new page for it, the event already chosen.
    page_url = reverse("home_event_page_add", args=[event.pk])
    assert response.status_code == 302 and response["Location"] == page_url
    form = editor.get(page_url)
    html = form.content.decode()
    assert form.status_code == 200
    assert f'<option value="{event.pk}" selected>' in html
    assert f'action="{add_page_url()}"' in html
    # The event's panel: its ticket types as they sell, and the way back to them.
    assert "Adult" in html and "£22.50" in html and "On sale" in html
    assert f'href="{reverse("ticketing_event_modeladmin_edit", args=[event.pk])}"' in html
    assert "Edit tickets" in html

    submitted = editor.post(add_page_url(), new_page_form(event))
    assert submitted.status_code == 302, submitted.content.decode()[:3000]
    page = EventPage.objects.get(event=event)
    assert not page.live and page.workflow_in_progress

    moderator = signed_in(make_staff("moderator", groups=["Moderators"]))
    task_state = page.current_workflow_task_state
    approved = moderator.post(
        reverse("wagtailadmin_pages:workflow_action", args=[page.pk, "approve", task_state.pk]),
        {"comment": ""},
    )
    assert approved.status_code == 302
    page.refresh_from_db()
    assert page.live

    buyer = type(client)()
    shown = buyer.get(page.url)
    assert shown.status_code == 200
    assert f'action="{reverse("ticketing:checkout", args=[event.pk])}#tickets"' in shown.content.decode()


def test_the_editor_can_open_every_step_of_the_flow(editor):
    event = make_event("Harbour Jazz")
    page = make_event_page(event)
    for url in (
        EVENTS_CREATE,
        reverse("ticketing_event_modeladmin_edit", args=[event.pk]),
        add_page_url(),
        reverse("wagtailadmin_pages:edit", args=[page.pk]),
    ):
        assert editor.get(url).status_code == 200, url


def test_the_new_page_form_offers_a_link_to_create_a_new_event(editor):
    html = editor.get(add_page_url()).content.decode()
    assert f'href="{EVENTS_CREATE}"' in html and "Create a new event" in html


def test_an_event_that_has_a_page_opens_that_page_instead_of_a_second(editor):
    event = make_event("Harbour Jazz")
    page = make_event_page(event)
    response = editor.get(reverse("home_event_page_add", args=[event.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("wagtailadmin_pages:edit", args=[page.pk])


@pytest.mark.parametrize("event_id", [0, 999999, 10**30])
def test_a_page_for_an_event_that_does_not_exist_is_not_found(editor, event_id):
    assert editor.get(f"/admin/pages/events/{event_id}/add-page/").status_code == 404


def test_posting_to_the_event_page_shortcut_saves_nothing(editor):
    event = make_event("Harbour Jazz")
    pages = Page.objects.count()
    response = editor.post(reverse("home_event_page_add", args=[event.pk]), new_page_form(event))
    assert response.status_code == 405
    assert Page.objects.count() == pages


@pytest.mark.parametrize("role", ["box_office", "finance", "door_staff", "no_group"])
def test_other_staff_are_refused_the_event_page_shortcut(role, signed_in_as):
    event = make_event("Harbour Jazz")
    events_index()
    client = signed_in_as(role)
    response = client.get(reverse("home_event_page_add", args=[event.pk]))
    assert response.status_code in (302, 403)
    if response.status_code == 302:
        assert response["Location"].split("?")[0] in (
            reverse("wagtailadmin_home"),
            reverse("wagtailadmin_login"),
        )


def test_without_an_events_index_a_new_event_goes_back_to_the_list(client):
    editor = signed_in(make_staff("editor", groups=["Editors"]), client)
    response = editor.post(EVENTS_CREATE, new_event_form())
    assert response.status_code == 302
    assert response["Location"] == reverse("ticketing_event_modeladmin_index")


# --- The chooser: events without a page --------------------------------------------------


def test_the_chooser_offers_only_events_without_a_page(editor):
    with_page = make_event("Has a page")
    make_event_page(with_page)
    free = make_event("Needs a page")
    assert event_choices(editor.get(add_page_url()).content.decode()) == {free.pk}


def test_editing_a_page_its_own_event_stays_on_offer(editor):
    own = make_event("Own event")
    page = make_event_page(own, slug="own")
    other = make_event("Someone else's")
    make_event_page(other, slug="other")
    free = make_event("Free")
    html = editor.get(reverse("wagtailadmin_pages:edit", args=[page.pk])).content.decode()
    assert event_choices(html) == {own.pk, free.pk}
    assert f'<option value="{own.pk}" selected>' in html


def test_a_page_for_an_event_that_has_one_is_refused_and_nothing_is_made(editor):
    taken = make_event("Has a page")
    make_event_page(taken)
    pages = EventPage.objects.count()
    response = editor.post(add_page_url(), new_page_form(taken, slug="second"))
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert EventPage.objects.count() == pages


def page_form_queries(editor):
    with CaptureQueriesContext(connection) as queries:
        assert editor.get(add_page_url()).status_code == 200
    return len(queries)


def test_the_chooser_costs_the_same_queries_for_5_or_100_events(editor):
    for number in range(5):
        make_event(f"Event {number}", types=[])
    page_form_queries(editor)  # warm caches Wagtail fills on first use
    few = page_form_queries(editor)
    for number in range(5, 100):
        make_event(f"Event {number}", types=[])
    assert page_form_queries(editor) == few


def test_the_page_editor_costs_the_same_queries_for_an_event_of_1_or_20_ticket_types(editor):
    small = make_event_page(make_event("Small", types=[("Standard", "10.00", 10)]), slug="small")
    large = make_event_page(
        make_event("Large", types=[(f"Type {n}", "10.00", 10) for n in range(20)]), slug="large"
    )

    def queries(page):
        with CaptureQueriesContext(connection) as captured:
            assert editor.get(reverse("wagtailadmin_pages:edit", args=[page.pk])).status_code == 200
        return len(captured)

    # Warm what Wagtail fills on a page's first opening (its editing session, caches).
    queries(small), queries(large)
    assert queries(small) == queries(large)
