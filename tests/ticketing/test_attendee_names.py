"""Attendee names: when the event asks, the buyer names each ticket on the order page after paying,
until the event starts; the names are cleaned (length, control characters) and shown on the
ticket page and e-mail, in the scanner's answer, on the door list and the attendee list and CSV.
They are personal data: exported and erased with the buyer's orders."""

import csv
import io
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from legal import privacy
from tests.factories import events_index, make_event, make_paid_order, make_staff, signed_in
from tests.redis_server import redis_server  # noqa: F401 - the fixture
from tests.staff.test_editor_flow import EVENTS_CREATE, new_event_form
from ticketing import attendee_names, delivery
from ticketing.models import Event, Ticket
from ticketing.views import ORDER_CHANGES_PAUSED

pytestmark = pytest.mark.django_db


@pytest.fixture
def event():
    event = make_event("Harbour Jazz Night", types=[("Adult", "20.00", 50), ("Child", "8.00", 50)])
    return asking(event, Event.AttendeeNames.OPTIONAL)


def asking(event, setting):
    Event.objects.filter(pk=event.pk).update(attendee_names=setting)
    event.refresh_from_db()
    return event


@pytest.fixture
def order(event):
    return make_paid_order(event, {"Adult": 2, "Child": 1})


def tickets_of(order):
    return list(Ticket.objects.filter(order=order).select_related("ticket_type").order_by("pk"))


def order_page(client, order):
    response = client.get(reverse("ticketing:order", args=[order.token]))
    assert response.status_code == 200
    return response.content.decode()


def save(client, order, names: dict):
    data = {
        f"attendee_{ticket.pk if isinstance(ticket, Ticket) else ticket}": name
        for ticket, name in names.items()
    }
    return client.post(reverse("ticketing:attendee-names", args=[order.token]), data)


def stored(order):
    return [ticket.attendee_name for ticket in tickets_of(order)]


# --- The buyer names the tickets --------------------------------------------------------------


def test_the_order_page_asks_for_a_name_per_ticket(client, order):
    html = order_page(client, order)

    assert "Who is coming" in html
    for ticket in tickets_of(order):
        assert f'name="attendee_{ticket.pk}"' in html
    assert " required" not in html.split('id="names"')[1].split("</form>")[0]


def test_names_are_saved_cleaned_and_shown_again(client, order):
    adult, other, child = tickets_of(order)

    response = save(client, order, {adult: "  Ann   Example ", other: "Bob Le Sueur", child: ""})

    assert response.status_code == 303
    assert response["Location"].endswith("?done=names")
    assert stored(order) == ["Ann Example", "Bob Le Sueur", ""]
    html = order_page(client, order)
    assert 'value="Bob Le Sueur"' in html
    assert "The names are saved." in client.get(response["Location"]).content.decode()


def test_a_name_can_be_corrected_until_the_event_starts(client, order):
    adult = tickets_of(order)[0]
    save(client, order, {adult: "Ann Example"})
    assert save(client, order, {adult: "Anna Example"}).status_code == 303
    assert stored(order)[0] == "Anna Example"


@pytest.mark.parametrize(
    "typed, problem",
    [
        ("A" * (attendee_names.MAX_LENGTH + 1), "at most 100 characters"),
        ("Ann \u202eelpmaxE", "letters, spaces and punctuation"),
        ("Ann\u2066Example", "letters, spaces and punctuation"),
        ("Ann\nExample", "letters, spaces and punctuation"),
        ("Ann\tExample", "letters, spaces and punctuation"),
    ],
)
def test_bad_names_show_the_form_again_and_store_nothing(client, order, typed, problem):
    adult, other, _child = tickets_of(order)

    response = save(client, order, {adult: typed, other: "Bob Le Sueur"})

    assert response.status_code == 400
    html = response.content.decode()
    assert problem in html
    assert f'id="attendee-{adult.pk}-error"' in html and 'aria-invalid="true"' in html
    assert 'value="Bob Le Sueur"' in html  # what was typed is kept
    assert stored(order) == ["", "", ""]


@pytest.mark.parametrize("typed", ["Ann\x00Example", "Ann\x1b[31mExample", "Ann\x7f"])
def test_control_characters_are_refused_before_the_view_and_by_the_rule(client, order, typed):
    """The site's malformed-input guard answers 400 first; the rule refuses them on its own too."""
    adult = tickets_of(order)[0]

    assert save(client, order, {adult: typed}).status_code == 400
    with pytest.raises(attendee_names.NamesInvalid):
        attendee_names.save_names(order, {adult.pk: typed})
    assert stored(order) == ["", "", ""]


def test_required_names_must_all_be_given(client, order, event):
    asking(event, Event.AttendeeNames.REQUIRED)
    adult, other, child = tickets_of(order)
    html = order_page(client, order)
    assert " required" in html.split('id="names"')[1]
    assert "3 tickets still need a name." in html

    response = save(client, order, {adult: "Ann Example", other: " ", child: "Cat Example"})

    assert response.status_code == 400
    assert "Enter the name of the person this ticket is for." in response.content.decode()
    assert stored(order) == ["", "", ""]
    assert save(client, order, {adult: "Ann", other: "Bob", child: "Cat"}).status_code == 303
    assert stored(order) == ["Ann", "Bob", "Cat"]


def test_once_the_event_starts_the_names_are_read_only(client, order, event):
    adult = tickets_of(order)[0]
    save(client, order, {adult: "Ann Example"})
    Event.objects.filter(pk=event.pk).update(starts_at=timezone.now() - timedelta(minutes=1))

    html = order_page(client, order)
    assert 'name="attendee_' not in html
    assert "Ann Example" in html and "can no longer be changed" in html
    response = save(client, order, {adult: "Someone Else"})

    assert response.status_code == 403
    assert stored(order)[0] == "Ann Example"


def test_an_event_that_does_not_ask_has_no_form_and_refuses(client, order, event):
    asking(event, Event.AttendeeNames.OFF)
    assert "Who is coming" not in order_page(client, order)
    assert save(client, order, {tickets_of(order)[0]: "Ann"}).status_code == 403
    assert stored(order) == ["", "", ""]


def test_forged_forms_are_refused_and_change_nothing(client, order, event):
    other_order = make_paid_order(event, {"Adult": 1}, email="bob@example.com", name="Bob")
    (foreign,) = tickets_of(other_order)
    url = reverse("ticketing:attendee-names", args=[order.token])

    assert save(client, order, {foreign: "Mallory"}).status_code == 403
    assert client.post(url, {"attendee_x1": "Mallory"}).status_code == 400
    assert client.post(url, {}).status_code == 400
    assert client.get(url).status_code == 405
    assert client.post(reverse("ticketing:attendee-names", args=["nope"]), {}).status_code == 404
    assert stored(order) == ["", "", ""] and stored(other_order) == [""]


def test_the_names_post_is_rate_limited_per_order(client, order, settings):
    settings.ORDER_CHANGES_RATE_LIMIT_PER_ORDER = "2/d"
    adult = tickets_of(order)[0]
    assert save(client, order, {adult: "A1"}).status_code == 303
    assert save(client, order, {adult: "A2"}).status_code == 303
    assert save(client, order, {adult: "A3"}).status_code == 429
    assert stored(order)[0] == "A2"


def test_names_are_refused_with_a_503_while_redis_is_down(redis_server, client, order):  # noqa: F811
    redis_server.kill()

    response = save(client, order, {tickets_of(order)[0]: "Ann Example"})

    assert response.status_code == 503
    assert response["Retry-After"] == "60"
    assert ORDER_CHANGES_PAUSED in response.content.decode()
    assert stored(order) == ["", "", ""]


# --- Where the names are shown ----------------------------------------------------------------


@pytest.fixture
def named(order):
    adult, other, child = tickets_of(order)
    attendee_names.save_names(order, {adult.pk: "Zoe Zebedee", other.pk: "Bob Le Sueur"})
    return order


def test_the_ticket_page_and_the_ticket_email_show_the_names(client, named):
    html = client.get(reverse("ticketing:tickets", args=[named.token])).content.decode()
    assert "Zoe Zebedee" in html and "Bob Le Sueur" in html

    message = delivery.build_ticket_email(named, list(tickets_of(named)))
    assert "Adult for Zoe Zebedee" in message.body
    (html_body,) = [content for content, _ in message.alternatives]
    assert "For Zoe Zebedee" in html_body


def test_the_scanner_answer_shows_the_name(client, named, event):
    adult, _other, child = tickets_of(named)
    door = make_staff("door", "check_in_ticket")
    client.force_login(door)
    url = reverse("ticketing:check-in-event", args=[event.pk])

    answer = client.post(url, {"code": adult.code}, headers={"Accept": "application/json"}).json()
    assert answer["admitted"] is True
    assert answer["detail"] == f"Order {named.reference} · for Zoe Zebedee"
    assert answer["attendee_name"] == "Zoe Zebedee"
    page = client.post(url, {"code": child.code}).content.decode()
    assert f"Order {named.reference} · no name given" in page


def test_the_door_list_and_attendee_list_and_csv_show_the_names(named, event):
    box_office = signed_in(make_staff("box", "access_admin", "view_ticket", "check_in_ticket"))

    door_list = box_office.get(reverse("ticketing_event_door_list", args=[event.pk])).content.decode()
    # By who is coming: the unnamed child under its buyer (Example), then Le Sueur, then Zebedee.
    body = door_list.split("<tbody>")[1]
    assert body.index("Ann Example") < body.index("Bob Le Sueur") < body.index("Zoe Zebedee")
    listing = box_office.get(reverse("ticketing_event_attendees", args=[event.pk])).content.decode()
    assert "Zoe Zebedee" in listing
    response = box_office.get(reverse("ticketing_event_attendees_csv", args=[event.pk]))
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][-1] == "Attendee"
    assert sorted(row[-1] for row in rows[1:]) == ["", "Bob Le Sueur", "Zoe Zebedee"]


def test_the_door_list_is_sorted_by_the_attendees_surname(named, event):
    from ticketing.admin.attendees import attendee, valid_tickets

    assert [attendee(ticket) for ticket in valid_tickets(event)] == [
        "Ann Example",
        "Bob Le Sueur",
        "Zoe Zebedee",
    ]


# --- Personal data ----------------------------------------------------------------------------


def test_names_are_exported_and_erased_with_the_buyer(named):
    exported = privacy.export_person(named.email)
    names = [ticket["attendee_name"] for ticket in exported["orders"][0]["tickets"]]
    assert sorted(names) == ["", "Bob Le Sueur", "Zoe Zebedee"]

    privacy.erase_person(named.email, future_tickets=privacy.KEEP)

    assert stored(named) == ["", "", ""]
    assert Ticket.objects.filter(order=named, voided_at__isnull=True).count() == 3  # still admit
    assert not mail.outbox


# --- Editors set both in the event's form -----------------------------------------------------


def test_editors_set_the_cancellation_policy_and_attendee_names_in_the_event_form():
    events_index()
    editor = signed_in(make_staff("editor", groups=["Editors"]))
    form = new_event_form("Quay Comedy") | {
        "buyer_cancel_days": "3",
        "buyer_cancel_fee": "1.50",
        "attendee_names": Event.AttendeeNames.REQUIRED,
    }

    assert 'name="buyer_cancel_days"' in editor.get(EVENTS_CREATE).content.decode()
    response = editor.post(EVENTS_CREATE, form)

    assert response.status_code == 302, response.content.decode()[:2000]
    event = Event.objects.get(title="Quay Comedy")
    assert (event.buyer_cancel_days, str(event.buyer_cancel_fee), event.attendee_names) == (
        3,
        "1.50",
        "required",
    )
    refused = editor.post(EVENTS_CREATE, new_event_form("Bad Fee") | {"buyer_cancel_fee": "-1"})
    assert refused.status_code == 200 and not Event.objects.filter(title="Bad Fee").exists()
