"""The staff admin (wagtail-modeladmin): the event form with its ticket types, the model rules it
surfaces, the `sold` counters it must never write, read-only records, and bounded list queries."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import F
from django.db.models.signals import pre_save
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from wagtail.models import ModelLogEntry

from core import page_cache
from legal.models import DataRequest
from tests.factories import make_event, make_order, make_paid_order, ticket_types
from ticketing import orders
from ticketing.models import (
    Event,
    Order,
    Payment,
    ReconciliationMismatch,
    Refund,
    Ticket,
    TicketType,
    WebhookEvent,
)

pytestmark = pytest.mark.django_db

EVENTS_URL = "/admin/ticketing/event/"
LIST_QUERY_BOUND = 15


def local(moment):
    """A datetime as the admin's date-time widget writes it."""
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def event_form_data(event=None, types=None, **fields):
    """The POST data of the event form: the event's fields, then the ticket-type formset.

    `types`: dicts of ticket-type fields; one with an "id" edits that ticket type.
    """
    now = timezone.now()
    data = {
        "title": "Harbour Jazz",
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
    }
    if event is not None:
        data.update(
            title=event.title,
            venue=event.venue,
            starts_at=local(event.starts_at),
            status=event.status,
            sales_start=local(event.sales_start),
            capacity="" if event.capacity is None else event.capacity,
            currency=event.currency,
            buyer_cancel_days="" if event.buyer_cancel_days is None else event.buyer_cancel_days,
            buyer_cancel_fee=event.buyer_cancel_fee,
            attendee_names=event.attendee_names,
        )
    data.update(fields)
    if types is None:
        types = [{"name": "Standard", "price": "25.00", "capacity": "200"}]
    initial = sum(1 for ticket_type in types if ticket_type.get("id"))
    data.update(
        {
            "ticket_types-TOTAL_FORMS": len(types),
            "ticket_types-INITIAL_FORMS": initial,
            "ticket_types-MIN_NUM_FORMS": 0,
            "ticket_types-MAX_NUM_FORMS": 1000,
        }
    )
    for index, ticket_type in enumerate(types):
        values = {"id": "", "description": "", "max_per_order": "10", **ticket_type}
        data.update({f"ticket_types-{index}-{name}": value for name, value in values.items()})
    return data


def existing_types(event, **changes):
    """Form rows for an event's ticket types as stored, with `changes` applied to all of them."""
    return [
        {
            "id": ticket_type.pk,
            "name": ticket_type.name,
            "price": ticket_type.price,
            "capacity": ticket_type.capacity,
            "max_per_order": ticket_type.max_per_order,
            **changes,
        }
        for ticket_type in ticket_types(event)
    ]


def sold(obj):
    return type(obj).objects.values_list("sold", flat=True).get(pk=obj.pk)


def edit_url(event):
    return f"{EVENTS_URL}edit/{event.pk}/"


# --- Creating and editing events ---------------------------------------------------------


def test_event_is_created_with_its_ticket_types_in_one_form(staff_client):
    types = [
        {"name": "Standard", "price": "25.00", "capacity": "200"},
        {"name": "Concession", "price": "18.50", "capacity": "50", "description": "Students"},
        {"name": "VIP", "price": "60.00", "capacity": "20", "max_per_order": "4"},
    ]
    response = staff_client.post(f"{EVENTS_URL}create/", event_form_data(types=types, capacity="250"))
    assert response.status_code == 302, response.content.decode()[:2000]
    event = Event.objects.get(title="Harbour Jazz")
    assert event.capacity == 250 and event.sold == 0
    assert [(t.name, t.price, t.capacity, t.sold) for t in ticket_types(event)] == [
        ("Standard", Decimal("25.00"), 200, 0),
        ("Concession", Decimal("18.50"), 50, 0),
        ("VIP", Decimal("60.00"), 20, 0),
    ]
    assert ModelLogEntry.objects.filter(action="wagtail.create", object_id=str(event.pk)).exists()


def test_sold_is_never_a_form_field(staff_client):
    event = make_event()
    html = staff_client.get(edit_url(event)).content.decode()
    assert 'name="sold"' not in html
    assert 'name="ticket_types-0-sold"' not in html


def test_editing_saves_ticket_type_changes_additions_and_removals(staff_client):
    event = make_event(types=[("Standard", "20.00", 100), ("Early bird", "15.00", 30)])
    standard, early_bird = ticket_types(event)
    rows = existing_types(event)
    rows[0].update(price="22.00", capacity=120)
    rows[1]["DELETE"] = "on"
    rows.append({"name": "VIP", "price": "50.00", "capacity": "10"})
    response = staff_client.post(edit_url(event), event_form_data(event, types=rows, title="Renamed"))
    assert response.status_code == 302, response.content.decode()[:2000]
    event.refresh_from_db()
    assert event.title == "Renamed"
    assert [(t.name, t.price, t.capacity) for t in ticket_types(event)] == [
        ("Standard", Decimal("22.00"), 120),
        ("VIP", Decimal("50.00"), 10),
    ]
    assert ModelLogEntry.objects.filter(action="wagtail.edit", object_id=str(event.pk)).exists()


def test_editing_never_overwrites_sales_made_meanwhile(staff_client):
    """A form loaded before sales happened, saved after them, leaves `sold` as the sales left it.

    Two races: tickets sold between opening the form and saving it, and tickets sold while
    the save request is being processed (after the form read the rows, before it wrote them).
    """
    event = make_event(capacity=500, types=[("Standard", "20.00", 100), ("VIP", "50.00", 10)])
    standard, vip = ticket_types(event)
    TicketType.objects.filter(pk=standard.pk).update(sold=5)
    Event.objects.filter(pk=event.pk).update(sold=5)

    assert staff_client.get(edit_url(event)).status_code == 200
    rows = existing_types(event)
    rows[0]["price"] = "21.00"  # the editor changes a price...
    # ...while three tickets sell before the form is posted...
    TicketType.objects.filter(pk=standard.pk).update(sold=F("sold") + 3)
    Event.objects.filter(pk=event.pk).update(sold=F("sold") + 3)

    def sell_during_save(sender, instance, **kwargs):
        # ...and three more while the save request runs, after it loaded the rows.
        if instance.pk == event.pk:
            pre_save.disconnect(sell_during_save, sender=Event)
            TicketType.objects.filter(pk=standard.pk).update(sold=F("sold") + 3)
            Event.objects.filter(pk=event.pk).update(sold=F("sold") + 3)

    pre_save.connect(sell_during_save, sender=Event, weak=False)
    try:
        with CaptureQueriesContext(connection) as queries:
            response = staff_client.post(edit_url(event), event_form_data(event, types=rows))
    finally:
        pre_save.disconnect(sell_during_save, sender=Event)
    assert response.status_code == 302, response.content.decode()[:2000]

    standard.refresh_from_db()
    assert standard.price == Decimal("21.00"), "the edit itself was saved"
    assert sold(standard) == 11 and sold(event) == 11 and sold(vip) == 0
    updates = [
        query["sql"]
        for query in queries.captured_queries
        if query["sql"].startswith("UPDATE")
        and ("ticketing_tickettype" in query["sql"] or "ticketing_event" in query["sql"])
    ]
    form_updates = [
        sql for sql in updates if '"sold" = ("' not in sql
    ]  # the simulated sales use sold = sold + 3
    assert form_updates, "the form's save issued UPDATEs"
    assert all('"sold"' not in sql for sql in form_updates), form_updates


# --- Validation surfaced by the form ------------------------------------------------------


def post_invalid(client, url, data, *messages):
    response = client.post(url, data)
    assert response.status_code == 200, "the form is shown again, not saved"
    html = response.content.decode().replace("&#x27;", "'")
    for message in messages:
        assert message in html, message
    return response


@pytest.mark.parametrize(
    ("fields", "types", "message"),
    [
        ({}, [{"name": "Standard", "price": "-1.00", "capacity": "10"}], "greater than or equal to 0"),
        ({}, [{"name": "Standard", "price": "10.00", "capacity": "-5"}], "greater than or equal to 0"),
        ({}, [{"name": "Standard", "price": "abc", "capacity": "10"}], "Enter a number"),
        ({}, [{"name": "", "price": "10.00", "capacity": "10"}], "This field is required"),
        ({"currency": "gbp"}, None, "three-letter ISO currency code"),
        ({"currency": "POUND"}, None, "at most 3 characters"),
        ({"starts_at": "not a date"}, None, "Enter a valid date/time"),
        ({"capacity": "-1"}, None, "greater than or equal to 0"),
        ({"status": "on_sale"}, [], "needs at least one ticket type"),
    ],
    ids=[
        "negative-price",
        "negative-capacity",
        "price-not-a-number",
        "no-name",
        "lower-case-currency",
        "long-currency",
        "bad-date",
        "negative-event-capacity",
        "on-sale-without-types",
    ],
)
def test_create_form_shows_errors_and_saves_nothing(staff_client, fields, types, message):
    post_invalid(staff_client, f"{EVENTS_URL}create/", event_form_data(types=types, **fields), message)
    assert not Event.objects.exists() and not TicketType.objects.exists()


def test_sales_cannot_end_before_they_start(staff_client):
    now = timezone.now()
    data = event_form_data(
        sales_start=local(now + timedelta(days=2)), sales_end=local(now + timedelta(days=1))
    )
    post_invalid(staff_client, f"{EVENTS_URL}create/", data, "Sales cannot end before they start.")
    assert not Event.objects.exists()


def test_event_cannot_end_before_it_starts(staff_client):
    now = timezone.now()
    data = event_form_data(starts_at=local(now + timedelta(days=5)), ends_at=local(now + timedelta(days=4)))
    post_invalid(staff_client, f"{EVENTS_URL}create/", data, "The event cannot end before it starts.")


def test_ticket_type_capacity_cannot_go_below_sold(staff_client):
    event = make_event(types=[("Standard", "20.00", 100)])
    (standard,) = ticket_types(event)
    TicketType.objects.filter(pk=standard.pk).update(sold=40)
    rows = existing_types(event, capacity=30)
    post_invalid(
        staff_client, edit_url(event), event_form_data(event, types=rows), "40 tickets are already sold"
    )
    standard.refresh_from_db()
    assert standard.capacity == 100 and sold(standard) == 40


def test_event_capacity_cannot_go_below_sold(staff_client):
    event = make_event(capacity=100, types=[("Standard", "20.00", 100)])
    Event.objects.filter(pk=event.pk).update(sold=60)
    data = event_form_data(event, types=existing_types(event), capacity="50")
    post_invalid(staff_client, edit_url(event), data, "60 tickets are already sold")
    event.refresh_from_db()
    assert event.capacity == 100


def test_a_ticket_type_with_orders_cannot_be_deleted(staff_client):
    event = make_event(types=[("Standard", "20.00", 100), ("VIP", "50.00", 10)])
    standard, vip = ticket_types(event)
    make_paid_order(event, {"VIP": 2})
    rows = existing_types(event)
    rows[1]["DELETE"] = "on"
    post_invalid(
        staff_client, edit_url(event), event_form_data(event, types=rows), "has orders and cannot be deleted"
    )
    assert TicketType.objects.filter(pk=vip.pk).exists()


# --- Orders and read-only records ---------------------------------------------------------


def make_paid_order_with_everything(event, user, number=0):
    """A paid order with tickets, a payment, a refund and a webhook: every list has a row."""
    order = make_paid_order(
        event,
        {"Standard": 2},
        email=f"buyer{number}@example.com",
        checkout_id=f"chk-{number}",
        checkout_reference=f"ref-{number}",
    )
    payment = order.payments.get()
    Refund.objects.create(payment=payment, amount=Decimal("1.00"), requested_by=user)
    WebhookEvent.objects.create(
        dedupe_key=f"hook-{number}", checkout_id=payment.checkout_id, outcome="confirmed"
    )
    DataRequest.objects.create(kind=DataRequest.Kind.EXPORT, email=order.email, handled_by=user)
    return order


def test_order_admin_lists_searches_and_filters(staff_client, django_user_model):
    event = make_event()
    order = make_paid_order(event, {"Standard": 2}, email="findme@example.com")
    other = make_paid_order(make_event("Another event"), {"Standard": 2}, email="someone@example.com")
    listing = staff_client.get("/admin/ticketing/order/").content.decode()
    assert order.reference in listing and other.reference in listing
    found = staff_client.get("/admin/ticketing/order/", {"q": "findme@"}).content.decode()
    assert order.reference in found and other.reference not in found
    by_reference = staff_client.get("/admin/ticketing/order/", {"q": other.reference}).content.decode()
    assert other.reference in by_reference and order.reference not in by_reference
    by_event = staff_client.get("/admin/ticketing/order/", {"event__id__exact": event.pk}).content.decode()
    assert order.reference in by_event and other.reference not in by_event
    by_status = staff_client.get("/admin/ticketing/order/", {"status__exact": "refunded"}).content.decode()
    assert order.reference not in by_status


def test_order_inspect_shows_lines_payments_and_tickets(staff_client, django_user_model):
    user = django_user_model.objects.get(username="staff")
    order = make_paid_order_with_everything(make_event(), user)
    response = staff_client.get(f"/admin/ticketing/order/inspect/{order.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    for text in (order.reference, "ref-0", "Standard", order.tickets.first().display_code):
        assert text in html, text


def assert_refused(response):
    """Wagtail answers a PermissionDenied in its admin with a redirect to the dashboard."""
    assert response.status_code == 403 or (response.status_code == 302 and response.url == "/admin/"), (
        response
    )


def test_orders_cannot_be_added_or_deleted(staff_client):
    order = make_paid_order(make_event(), {"Standard": 2})
    assert_refused(staff_client.get("/admin/ticketing/order/create/"))
    assert_refused(staff_client.post("/admin/ticketing/order/create/", {"email": "x@example.com"}))
    assert_refused(staff_client.post(f"/admin/ticketing/order/delete/{order.pk}/"))
    assert Order.objects.count() == 1
    assert Order.objects.filter(pk=order.pk).exists()


def test_order_edit_changes_contact_details_only(staff_client):
    order = make_order(make_event(), {"Standard": 2})
    total = order.total

    def payment_confirmed_meanwhile(sender, instance, **kwargs):
        orders.mark_paid(Order.objects.get(pk=instance.pk))

    data = {"name": "Ann Corrected", "email": "ann@example.org", "total": "0.01", "status": "cancelled"}
    pre_save.connect(payment_confirmed_meanwhile, sender=Order, weak=False)
    try:
        response = staff_client.post(f"/admin/ticketing/order/edit/{order.pk}/", data)
    finally:
        pre_save.disconnect(payment_confirmed_meanwhile, sender=Order)
    assert response.status_code == 302
    order.refresh_from_db()
    assert (order.name, order.email) == ("Ann Corrected", "ann@example.org")
    assert order.total == total, "money is not editable"
    assert order.status == Order.Status.PAID, "a stale form never writes the status back"


READ_ONLY_MODELS = {
    "ticketing/ticket": Ticket,
    "ticketing/payment": Payment,
    "ticketing/refund": Refund,
    "ticketing/webhookevent": WebhookEvent,
    # Data requests are recorded by staff, never edited: tests/legal/test_privacy_admin.py.
}


@pytest.mark.parametrize("path", list(READ_ONLY_MODELS))
def test_payment_records_are_read_only(staff_client, django_user_model, path):
    make_paid_order_with_everything(make_event(), django_user_model.objects.get(username="staff"))
    obj = READ_ONLY_MODELS[path].objects.first()
    base = f"/admin/{path}/"
    assert staff_client.get(base).status_code == 200
    assert staff_client.get(f"{base}inspect/{obj.pk}/").status_code == 200
    assert_refused(staff_client.get(f"{base}create/"))
    assert_refused(staff_client.get(f"{base}edit/{obj.pk}/"))
    assert_refused(staff_client.post(f"{base}edit/{obj.pk}/", {}))
    assert_refused(staff_client.post(f"{base}delete/{obj.pk}/"))
    assert READ_ONLY_MODELS[path].objects.filter(pk=obj.pk).exists()


# --- Staff actions on one record ----------------------------------------------------------


def test_the_order_page_offers_resend_then_refund(staff_client, django_user_model):
    order = make_paid_order_with_everything(make_event(), django_user_model.objects.get(username="staff"))
    html = staff_client.get(f"/admin/ticketing/order/inspect/{order.pk}/").content.decode()
    resend = html.index(f"/admin/ticketing/order/{order.pk}/resend-tickets/")
    refund = html.index(f"/admin/ticketing/order/{order.pk}/refund/")
    assert resend < refund


def breadcrumbs(response):
    return [(item["url"], str(item["label"])) for item in response.context["breadcrumbs_items"]][1:]


def test_staff_actions_sit_under_their_record(staff_client, django_user_model):
    order = make_paid_order_with_everything(make_event(), django_user_model.objects.get(username="staff"))
    mismatch = ReconciliationMismatch.objects.create(
        key="amount:chk-0", kind=ReconciliationMismatch.Kind.AMOUNT, order=order, detail="4.75 paid"
    )
    inspect = f"/admin/ticketing/order/inspect/{order.pk}/"
    for action, label in (("refund", "Refund"), ("resend-tickets", "Resend tickets")):
        response = staff_client.get(f"/admin/ticketing/order/{order.pk}/{action}/")
        assert response.status_code == 200
        assert breadcrumbs(response) == [
            ("/admin/ticketing/order/", "Orders"),
            (inspect, order.reference),
            ("", label),
        ]
        assert response.context["page_title"] == f"{label} · {order.reference}"

    response = staff_client.get(f"/admin/ticketing/reconciliationmismatch/{mismatch.pk}/resolve/")
    assert response.status_code == 200 and response.context["page_title"] == "Resolve a payment mismatch"
    assert breadcrumbs(response) == [
        ("/admin/ticketing/reconciliationmismatch/", "Payment mismatches"),
        (f"/admin/ticketing/reconciliationmismatch/inspect/{mismatch.pk}/", str(mismatch)),
        ("", "Mark resolved"),
    ]


@pytest.mark.parametrize(
    "url",
    [
        "/admin/ticketing/order/999999/refund/",
        "/admin/ticketing/order/999999/resend-tickets/",
        "/admin/ticketing/reconciliationmismatch/999999/resolve/",
    ],
)
def test_an_action_on_a_record_that_does_not_exist_is_not_found(staff_client, url):
    assert staff_client.get(url).status_code == 404
    assert staff_client.post(url, {"resolution": "x", "email": "a@example.com"}).status_code == 404


# --- Lists render in a bounded number of queries -----------------------------------------

LIST_URLS = [
    "/admin/ticketing/event/",
    "/admin/ticketing/order/",
    "/admin/ticketing/ticket/",
    "/admin/ticketing/payment/",
    "/admin/ticketing/refund/",
    "/admin/ticketing/webhookevent/",
    "/admin/legal/datarequest/",
]


def add_rows(count, user, start=0):
    for number in range(start, start + count):
        event = make_event(
            f"Event {number}", types=[("Standard", "20.00", 100), ("VIP", "50.00", 10), ("Child", "5.00", 50)]
        )
        make_paid_order_with_everything(event, user, number)


def fresh_get(client, url):
    """GET `url` with nothing kept in this process from a moment ago (core.site_furniture keeps
    lookups for a second): each count is then the same, however long the rows took to add."""
    page_cache.forget_local_entries()
    return client.get(url)


def test_admin_lists_render_in_a_bounded_number_of_queries(staff_client, django_user_model, count_queries):
    user = django_user_model.objects.get(username="staff")
    add_rows(1, user)
    for url in LIST_URLS:
        staff_client.get(url)  # warm per-process caches (permissions, content types)
    one = {url: count_queries(lambda url=url: fresh_get(staff_client, url))[1] for url in LIST_URLS}
    add_rows(29, user, start=1)
    thirty = {}
    for url in LIST_URLS:
        response, thirty[url] = count_queries(lambda url=url: fresh_get(staff_client, url))
        assert response.status_code == 200
        assert response.context["result_count"] >= 30, url  # two tickets per order
    assert thirty == one, f"1 row: {one}; 30 rows: {thirty}"
    assert max(thirty.values()) <= LIST_QUERY_BOUND, thirty
