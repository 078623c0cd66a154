"""The admin dashboard's sales and "needs a person" panels: who sees which, and that every
figure links to the list of exactly what it counts."""

import re
from datetime import timedelta
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from legal.models import DataRequest
from tests.factories import make_event, make_order, make_paid_order, make_staff, signed_in
from tests.staff.conftest import make_member
from ticketing import checkin, orders
from ticketing.models import BuyerEmail

pytestmark = pytest.mark.django_db

HOME = "wagtailadmin_home"
SALES = "Sales of upcoming events"
NEEDS_A_PERSON = "Needs a person"
DATA_REQUESTS = "Data requests to answer"


@pytest.fixture
def busy():
    """An upcoming event with sales, a hold, a check-in, an order in review, a flagged order, an
    e-mail that could not be sent, and data requests overdue, due soon and due later."""
    event = make_event("Harbour Jazz Night", types=(("Standard", "12.50", 100),))
    first = make_paid_order(event, {"Standard": 3}, email="ann@example.com", ip="198.51.100.1")
    checkin.check_in(first.tickets.first().code, event, make_staff("door", "check_in_ticket"))
    make_paid_order(event, {"Standard": 1}, email="123456789@example.com", ip="198.51.100.2")  # flagged
    make_order(event, {"Standard": 2}, email="bo@example.com", ip="198.51.100.3")  # on hold
    review = make_order(event, email="cy@example.com", ip="198.51.100.4")
    orders.send_to_review(review, cause="paid the wrong amount")
    # Data set up as the delivery worker leaves an e-mail it gave up on.
    BuyerEmail.objects.filter(order=first).update(status=BuyerEmail.Status.FAILED)
    today = timezone.localdate()
    for due_in in (-2, 3, 20):
        DataRequest.objects.create(
            kind=DataRequest.Kind.EXPORT,
            email="dee@example.com",
            status=DataRequest.Status.CONFIRMED,
            due_on=today + timedelta(days=due_in),
        )
    return event


def dashboard(client):
    response = client.get(reverse(HOME))
    assert response.status_code == 200
    return response.content.decode()


def link_to(html, text):
    """The address of the link whose text is `text`."""
    match = re.search(rf'<a href="([^"]+)">\s*{re.escape(text)}\s*</a>', html)
    assert match, f"no link reading {text!r}"
    return unescape(match.group(1))


@pytest.mark.parametrize("role", ["box_office", "finance"])
def test_box_office_and_finance_see_the_sales_of_upcoming_events(client, busy, role):
    signed_in(make_member(role), client)
    home = dashboard(client)
    assert SALES in home and "Harbour Jazz Night" in home
    assert ">4 of 100<" in home  # sold
    assert ">2<" in home  # on hold
    assert "£50.00" in home
    assert "Tickets sold per day, last 14 days: 4 in all, at most 4 in a day" in home
    assert home.count("<rect ") == 14


def test_each_sales_figure_links_to_the_orders_it_counts(client, busy):
    signed_in(make_member("finance"), client)
    home = dashboard(client)
    sold = client.get(link_to(home, "4 of 100")).content.decode()
    paid_orders = busy.orders.filter(status="paid").values_list("reference", flat=True)
    assert len(paid_orders) == 2 and all(reference in sold for reference in paid_orders)
    assert busy.orders.get(status="pending").reference not in sold
    held = client.get(link_to(home, "2")).content.decode()
    assert busy.orders.get(status="pending").reference in held
    assert busy.orders.get(status="needs_review").reference not in held


def test_box_office_sees_orders_in_review_flagged_and_failed_emails_with_links(client, busy):
    signed_in(make_member("box_office"), client)
    home = dashboard(client)
    assert NEEDS_A_PERSON in home
    review = client.get(link_to(home, "1 order needing review")).content.decode()
    assert busy.orders.get(status="needs_review").reference in review
    flagged = client.get(link_to(home, "1 order with risk flags, for events yet to start")).content.decode()
    assert busy.orders.get(email="123456789@example.com").reference in flagged
    assert busy.orders.get(email="ann@example.com").reference not in flagged
    failed = client.get(link_to(home, "1 e-mail to buyers that could not be sent"))
    assert failed.status_code == 200
    # Mismatches are finance's; data requests the privacy team's.
    assert "payment mismatch" not in home and DATA_REQUESTS not in home


@pytest.mark.parametrize("role", ["editors", "door_staff"])
def test_editors_and_door_staff_see_no_sales_and_no_counts(client, busy, role):
    signed_in(make_member(role), client)
    # Door staff land on the scanner, which names the event (its job) but no figure.
    home = client.get(reverse(HOME), follow=True).content.decode()
    for secret in (SALES, NEEDS_A_PERSON, DATA_REQUESTS, "£50.00", "4 of 100", "needing review"):
        assert secret not in home
    assert ("Harbour Jazz Night" in home) == (role == "door_staff")


def test_privacy_sees_only_the_data_requests_due(client, busy):
    signed_in(make_member("privacy"), client)
    home = dashboard(client)
    assert SALES not in home and NEEDS_A_PERSON not in home and "Harbour Jazz Night" not in home
    assert DATA_REQUESTS in home
    overdue = client.get(link_to(home, "1 data request overdue"))
    soon = client.get(link_to(home, "1 data request due within 7 days"))
    assert overdue.status_code == soon.status_code == 200
    assert "dee@example.com" not in home


def test_the_list_of_requests_due_soon_leaves_out_overdue_and_later_ones(busy):
    assert DataRequest.objects.due_soon().count() == 1
    assert DataRequest.objects.overdue().count() == 1


def dashboard_queries(client):
    with CaptureQueriesContext(connection) as queries:
        dashboard(client)
    return len(queries)


def test_the_dashboard_takes_as_many_queries_for_20_events_as_for_2(client):
    signed_in(make_member("finance"), client)

    def sell(n):
        event = make_event(f"Event {n}")
        make_paid_order(event, {"Standard": 2}, email=f"fan.{n}@example.com", ip=f"198.51.100.{n + 1}")

    for n in range(2):
        sell(n)
    dashboard(client)  # sessions and permissions cached, as on any later visit
    for_two = dashboard_queries(client)
    for n in range(2, 20):
        sell(n)
    assert dashboard_queries(client) == for_two
