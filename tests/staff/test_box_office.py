"""The box office at work on orders: finding one (by name too, or among the flagged), reading
everything about it on one page, and its three actions there: cancel an unpaid order, mark a
flagged one reviewed, correct the buyer's name or e-mail and resend the tickets.

Each action: a confirmation page, then the POST acts; audited without the buyer's details;
refused (403, nothing changed) to every other role; bad input changes nothing.
"""

import html as html_text
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from wagtail.log_actions import log
from wagtail.models import ModelLogEntry

from tests.factories import make_event, make_order, make_paid_order, make_staff, signed_in
from tests.staff.conftest import ROLES
from tests.staff.test_admin_walk import refused
from ticketing import boxoffice, orders, sales
from ticketing.models import BuyerEmail, Order, Ticket, TicketType

pytestmark = pytest.mark.django_db

MAY_ACT = {"box_office", "superuser"}
OTHER_ROLES = [role for role in ROLES if role not in MAY_ACT]
ACTIONS = ("ticketing_order_cancel", "ticketing_order_mark_reviewed", "ticketing_order_correct_contact")


@pytest.fixture
def event():
    return make_event("Harbour Jazz Night", types=[("Adult", "20.00", 50), ("Child", "8.00", 50)])


@pytest.fixture
def pending(event):
    return make_order(event, {"Adult": 2, "Child": 1}, name="Ann Example", email="ann@example.com")


@pytest.fixture
def paid(event):
    return make_paid_order(event, {"Adult": 2}, name="Bob Sample", email="bob@exmaple.com", ip="198.51.100.4")


@pytest.fixture
def in_review(event):
    order = make_order(event, {"Adult": 1}, name="Cara Review", email="cara@example.com", ip="198.51.100.9")
    assert orders.send_to_review(order, cause="amount differs")
    return order


@pytest.fixture
def box_office(signed_in_as):
    return signed_in_as("box_office")


def flag(order, *flags):
    Order.objects.filter(pk=order.pk).update(risk_flags=list(flags))
    order.refresh_from_db()
    return order


def url(name, order):
    return reverse(name, args=[order.pk])


def inspect_url(order):
    return url("ticketing_order_modeladmin_inspect", order)


def sold(event):
    return sum(TicketType.objects.filter(event=event).values_list("sold", flat=True))


def entries(action):
    return ModelLogEntry.objects.filter(action=action)


def assert_no_personal_data(entry, *orders_):
    data = str(entry.data)
    assert "@" not in data
    for order in orders_:
        assert order.name not in data and order.name.split()[0] not in data


def state(order):
    order = Order.objects.get(pk=order.pk)
    return (
        order.status,
        order.name,
        order.email,
        order.reviewed_at,
        sold(order.event),
        BuyerEmail.objects.filter(order=order).count(),
        ModelLogEntry.objects.count(),
    )


# --- Cancel an unpaid order ---------------------------------------------------------------------


def test_the_box_office_cancels_an_unpaid_order_and_its_tickets_go_back_on_sale(box_office, pending, event):
    assert sold(event) == 3
    page = box_office.get(url("ticketing_order_cancel", pending))
    html = page.content.decode()
    assert page.status_code == 200
    assert "The 3 tickets it holds go back on sale at once" in html and "Yes, cancel the order" in html
    assert Order.objects.get(pk=pending.pk).status == Order.Status.PENDING  # GET only asks

    response = box_office.post(url("ticketing_order_cancel", pending))
    assert response.status_code == 302 and response["Location"] == inspect_url(pending)
    assert Order.objects.get(pk=pending.pk).status == Order.Status.CANCELLED
    assert sold(event) == 0

    entry = entries(boxoffice.LOG_CANCEL).get()
    assert entry.object_id == str(pending.pk) and entry.user == box_office.user
    assert entry.data == {"from_status": "pending"} and entry.message == "Unpaid order cancelled"
    assert_no_personal_data(entry, pending)
    history = box_office.get(inspect_url(pending)).content.decode()
    assert "Unpaid order cancelled" in history and "Cancel order" not in history


def test_an_order_in_review_can_be_cancelled_and_the_page_warns_of_money_taken(box_office, in_review, event):
    from tests.factories import record_payment

    record_payment(in_review)  # SumUp took money that did not match: why it is in review
    html = box_office.get(url("ticketing_order_cancel", in_review)).content.decode()
    assert "Ask Finance to refund it" in html and "It holds no tickets" in html
    before = sold(event)
    assert box_office.post(url("ticketing_order_cancel", in_review)).status_code == 302
    assert Order.objects.get(pk=in_review.pk).status == Order.Status.CANCELLED
    assert sold(event) == before


def test_a_paid_order_is_not_cancelled_the_page_says_why_and_nothing_changes(box_office, paid):
    page = box_office.get(url("ticketing_order_cancel", paid)).content.decode()
    assert "a paid order is not cancelled here" in page and "Yes, cancel the order" not in page
    assert "Cancel order" not in box_office.get(inspect_url(paid)).content.decode()
    before = state(paid)
    response = box_office.post(url("ticketing_order_cancel", paid))
    assert response.status_code == 409
    assert "Nothing was changed" in response.content.decode()
    assert state(paid) == before


def test_cancelling_twice_cancels_once(box_office, pending, event):
    assert box_office.post(url("ticketing_order_cancel", pending)).status_code == 302
    before = state(pending)
    again = box_office.post(url("ticketing_order_cancel", pending))
    assert again.status_code == 409 and "nothing to cancel" in again.content.decode()
    assert state(pending) == before
    assert entries(boxoffice.LOG_CANCEL).count() == 1


# --- Mark reviewed ------------------------------------------------------------------------------


def test_marking_a_flagged_order_reviewed_takes_it_off_the_dashboard_and_the_flagged_filter(box_office, paid):
    flag(paid, "numeric_email", "short_user_agent")
    assert sales.needs_a_person(orders=True).flagged_orders == 1
    waiting = reverse("ticketing_order_modeladmin_index") + "?flagged=waiting"
    assert paid.reference in box_office.get(waiting).content.decode()

    page = box_office.get(url("ticketing_order_mark_reviewed", paid)).content.decode()
    assert "Its status does not change: it stays paid" in page
    response = box_office.post(url("ticketing_order_mark_reviewed", paid))
    assert response.status_code == 302
    assert "is marked reviewed" in box_office.get(response["Location"]).content.decode()  # the message, read

    paid.refresh_from_db()
    assert paid.reviewed_at is not None and paid.reviewed_by == box_office.user
    assert paid.status == Order.Status.PAID
    assert sales.needs_a_person(orders=True).flagged_orders == 0
    assert paid.reference not in box_office.get(waiting).content.decode()
    assert paid.reference in box_office.get(waiting.replace("waiting", "reviewed")).content.decode()
    entry = entries(boxoffice.LOG_REVIEWED).get()
    assert entry.user == box_office.user and entry.message == "Flagged order reviewed"
    assert_no_personal_data(entry, paid)


def test_an_order_in_review_stays_unpaid_when_reviewed_and_stops_counting(box_office, in_review):
    assert sales.needs_a_person(orders=True).orders_in_review == 1
    page = box_office.get(url("ticketing_order_mark_reviewed", in_review)).content.decode()
    assert "an order in review stays unpaid" in page
    assert box_office.post(url("ticketing_order_mark_reviewed", in_review)).status_code == 302
    in_review.refresh_from_db()
    assert in_review.status == Order.Status.NEEDS_REVIEW and in_review.reviewed_at
    assert sales.needs_a_person(orders=True).orders_in_review == 0


def test_a_new_reason_for_review_asks_a_person_again(box_office, event):
    order = make_order(event, {"Adult": 1}, ip="198.51.100.77")
    assert orders.send_to_review(order, cause="amount differs")
    box_office.post(url("ticketing_order_mark_reviewed", order))
    assert orders.cancel(Order.objects.get(pk=order.pk), cause="test") is True
    assert orders.send_to_review(Order.objects.get(pk=order.pk), cause="a second payment differs")
    assert Order.objects.get(pk=order.pk).reviewed_at is None
    assert sales.needs_a_person(orders=True).orders_in_review == 1


def test_reviewing_twice_or_an_order_with_nothing_to_review_changes_nothing(box_office, paid, pending):
    flag(pending, "max_quantity")
    assert box_office.post(url("ticketing_order_mark_reviewed", pending)).status_code == 302
    before = state(pending)
    again = box_office.post(url("ticketing_order_mark_reviewed", pending))
    assert again.status_code == 409 and "marked reviewed already" in again.content.decode()
    assert state(pending) == before

    before = state(paid)  # no flags, not in review
    assert "nothing to review" in box_office.get(url("ticketing_order_mark_reviewed", paid)).content.decode()
    assert box_office.post(url("ticketing_order_mark_reviewed", paid)).status_code == 409
    assert state(paid) == before
    assert entries(boxoffice.LOG_REVIEWED).count() == 1


# --- Correct the buyer's name or e-mail ---------------------------------------------------------


def test_correcting_the_address_and_resending_sends_the_tickets_there(
    box_office, paid, django_capture_on_commit_callbacks
):
    page = box_office.get(url("ticketing_order_correct_contact", paid)).content.decode()
    assert 'value="bob@exmaple.com"' in page and "Resend tickets now" in page

    with django_capture_on_commit_callbacks(execute=True):
        response = box_office.post(
            url("ticketing_order_correct_contact", paid),
            {"name": "Robert Sample", "email": "bob@example.com", "resend": "on"},
        )
    assert response.status_code == 302 and response["Location"] == inspect_url(paid)
    order = Order.objects.get(pk=paid.pk)
    assert (order.name, order.email, order.status) == ("Robert Sample", "bob@example.com", Order.Status.PAID)
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["bob@example.com"]
    assert BuyerEmail.objects.filter(order=order, reason=BuyerEmail.Reason.RESEND).count() == 1

    entry = entries(boxoffice.LOG_CONTACT_CORRECTED).get()
    assert entry.data == {"name_changed": True, "email_changed": True, "tickets_resent": True}
    assert entry.user == box_office.user and entry.message == "Buyer's name or e-mail corrected"
    assert_no_personal_data(entry, paid, order)


def test_an_unpaid_order_is_corrected_without_a_resend(box_office, pending):
    page = box_office.get(url("ticketing_order_correct_contact", pending)).content.decode()
    assert "Resend tickets now" not in page
    response = box_office.post(
        url("ticketing_order_correct_contact", pending),
        {"name": "Ann Example", "email": "ann.example@example.com", "resend": "on"},
    )
    assert response.status_code == 302
    assert Order.objects.get(pk=pending.pk).email == "ann.example@example.com"
    assert entries(boxoffice.LOG_CONTACT_CORRECTED).get().data == {
        "name_changed": False,
        "email_changed": True,
        "tickets_resent": False,
    }
    assert not mail.outbox


@pytest.mark.parametrize(
    "data, error",
    [
        ({"name": "Bob", "email": "not an address"}, "does not look right"),
        ({"name": "Bob", "email": ""}, "Give the buyer's e-mail address"),
        ({"name": "", "email": "bob@example.com"}, "Give the buyer's name"),
        ({"name": "B" * 201, "email": "bob@example.com"}, "longer than an order can keep"),
        ({"name": "Bob", "email": "b" * 65 + "@example.com"}, "longer than mail can carry"),
        ({"name": "Bob", "email": "bob@" + "e" * 250 + ".com"}, "longer than mail can carry"),
        ({"name": "Bo\x00b", "email": "bob@example.com"}, "Null characters are not allowed"),
        ({"name": "Bob", "email": "bo\x00b@example.com"}, "Null characters are not allowed"),
    ],
)
def test_bad_contact_details_show_the_form_again_and_change_nothing(box_office, paid, data, error):
    before = state(paid)
    response = box_office.post(url("ticketing_order_correct_contact", paid), {**data, "resend": "on"})
    if response.status_code == 400:
        # The project refuses a NUL byte in any form before a view sees it: a clear 4xx too.
        assert "\x00" in "".join(data.values())
    else:
        assert response.status_code == 200
        assert error in html_text.unescape(response.content.decode())
    assert state(paid) == before


def test_the_same_correction_twice_changes_and_sends_once(
    box_office, paid, django_capture_on_commit_callbacks
):
    data = {"name": "Bob Sample", "email": "bob@example.com", "resend": "on"}
    with django_capture_on_commit_callbacks(execute=True):
        assert box_office.post(url("ticketing_order_correct_contact", paid), data).status_code == 302
        before = state(paid)
        again = box_office.post(url("ticketing_order_correct_contact", paid), data)
    assert again.status_code == 200 and "nothing to correct" in again.content.decode()
    assert state(paid) == before
    assert len(mail.outbox) == 1


def test_an_erased_order_cannot_be_corrected(box_office, paid):
    Order.objects.filter(pk=paid.pk).update(
        personal_data_erased_at=timezone.now(), name="", email="erased@invalid"
    )
    paid.refresh_from_db()
    assert "Correct name or e-mail" not in box_office.get(inspect_url(paid)).content.decode()
    assert "was erased" in box_office.get(url("ticketing_order_correct_contact", paid)).content.decode()
    before = state(paid)
    response = box_office.post(
        url("ticketing_order_correct_contact", paid), {"name": "Bob Sample", "email": "bob@example.com"}
    )
    assert response.status_code == 409
    assert state(paid) == before


# --- Who may ------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", OTHER_ROLES)
def test_every_other_role_is_refused_each_action_and_changes_nothing(role, signed_in_as, paid, pending):
    flag(paid, "numeric_email")
    member = signed_in_as(role)
    for order in (paid, pending):
        html = member.get(inspect_url(order)).content.decode()
        for label in ("Cancel order", "Mark reviewed", "Correct name or e-mail"):
            assert label not in html, f"{role} is offered {label}"
        for name in ACTIONS:
            before = state(order)
            assert refused(member.get(url(name, order))), f"{role}: GET {name}"
            response = member.post(url(name, order), {"name": "X", "email": "x@example.com", "resend": "on"})
            assert refused(response), f"{role}: POST {name} gave {response.status_code}"
            assert state(order) == before


def test_finance_who_sees_orders_is_refused_by_the_view_itself(signed_in_as, pending):
    """Wagtail answers the view's PermissionDenied with the dashboard and a message (a 403 to
    scripts); the view refuses, not only a hidden button."""
    finance = signed_in_as("finance")
    for name in ACTIONS:
        response = finance.get(url(name, pending), HTTP_X_REQUESTED_WITH="XMLHttpRequest")
        assert refused(response)
        assert refused(finance.post(url(name, pending)))


def test_an_unknown_order_is_not_found(box_office):
    for name in ACTIONS:
        assert box_office.get(reverse(name, args=[999999])).status_code == 404
        assert box_office.post(reverse(name, args=[999999])).status_code == 404


def test_the_box_office_is_offered_each_action_that_could_act(box_office, pending):
    flag(pending, "shared_ip_other_email")
    html = box_office.get(inspect_url(pending)).content.decode()
    for name in ACTIONS:
        assert url(name, pending) in html


# --- The list -----------------------------------------------------------------------------------


def test_the_list_finds_an_order_by_the_buyers_name_and_shows_its_columns(box_office, paid, pending):
    make_event("Fort Regent Gig")  # the event filter shows once there are events to choose from
    response = box_office.get(reverse("ticketing_order_modeladmin_index") + "?q=sample")
    html = response.content.decode()
    assert paid.reference in html and pending.reference not in html
    assert "bob@exmaple.com" in html and "Bob Sample" in html and "£40.00" in html
    for filter_title in ("By event", "By status", "By Placed", "By Flagged"):
        assert filter_title in html


def test_the_flagged_filter_lists_risk_flags_and_reviews_not_yet_reviewed(
    box_office, paid, pending, in_review
):
    flag(pending, "max_quantity")
    html = box_office.get(reverse("ticketing_order_modeladmin_index") + "?flagged=waiting").content.decode()
    assert pending.reference in html and in_review.reference in html and paid.reference not in html


def make_orders(event, count):
    """`count` orders as rows, without the checkout: a list's query count is about rows only."""
    Order.objects.bulk_create(
        Order(
            event=event,
            name=f"Buyer {n}",
            email=f"buyer{n}@example.com",
            total="20.00",
            expires_at=timezone.now() + timedelta(minutes=10),
            risk_flags=["numeric_email"] if n % 2 else [],
        )
        for n in range(count)
    )


def queries_for(client, address):
    client.get(address)  # once first: what a process caches once (content types, the session) is not counted
    with CaptureQueriesContext(connection) as queries:
        assert client.get(address).status_code == 200
    return len(queries)


def test_the_order_list_runs_in_a_fixed_number_of_queries(box_office, event):
    other = make_event("Fort Regent Gig")
    index = reverse("ticketing_order_modeladmin_index")
    make_orders(event, 5)
    few = [queries_for(box_office, index + query) for query in ("", "?flagged=waiting", "?q=buyer")]
    make_orders(other, 95)
    many = [queries_for(box_office, index + query) for query in ("", "?flagged=waiting", "?q=buyer")]
    assert many == few


# --- The order's page ---------------------------------------------------------------------------


def test_the_order_page_shows_everything_about_it_in_words(
    box_office, paid, django_capture_on_commit_callbacks
):
    flag(paid, "numeric_email")
    with django_capture_on_commit_callbacks(execute=True):
        box_office.post(
            url("ticketing_order_correct_contact", paid), {"name": "Bob Sample", "email": "b@example.com"}
        )
    html = box_office.get(inspect_url(paid)).content.decode()
    for words in (
        "Created from",
        "Browser",
        "Hold ends",
        "The e-mail address is mostly digits",
        "£20.00",  # unit price
        "£40.00",  # line total
        "E-mails to the buyer",
        "Order paid",
        "Refunds",
        "History",
        "Buyer&#x27;s name or e-mail corrected",
        box_office.user.get_username(),
    ):
        assert words in html, words
    assert "numeric_email" not in html and "created ip" not in html.lower()
    for ticket in paid.tickets.all():
        assert ticket.display_code in html


def add_tickets_and_emails(order, count, staff):
    ticket_type = order.lines.first().ticket_type
    Ticket.objects.bulk_create(Ticket(order=order, ticket_type=ticket_type) for _ in range(count))
    BuyerEmail.objects.bulk_create(
        BuyerEmail(order=order, reason=BuyerEmail.Reason.RESEND, requested_by=staff) for _ in range(count)
    )
    for _ in range(count):
        log(instance=order, action=boxoffice.LOG_REVIEWED, user=staff, data={})


def test_the_order_page_runs_in_a_fixed_number_of_queries(box_office, event):
    small = make_paid_order(event, {"Adult": 1}, ip="198.51.100.20")
    large = make_paid_order(event, {"Adult": 1}, ip="198.51.100.21", email="zed@example.com")
    clerk = make_staff("other-clerk")
    add_tickets_and_emails(small, 5, clerk)
    add_tickets_and_emails(large, 100, clerk)
    assert queries_for(box_office, inspect_url(large)) == queries_for(box_office, inspect_url(small))


def test_superusers_may_take_the_actions_too(client, pending):
    admin = signed_in(make_staff("root", superuser=True), client)
    assert admin.post(url("ticketing_order_cancel", pending)).status_code == 302
