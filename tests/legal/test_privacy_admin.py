"""Privacy → Data requests, for staff: the list with its due dates, recording a request, and the
actions on one (export, erase, reject) and on several (erase), each confirmed, permitted only to
the Privacy group, audit-logged without the person's address; and "Where personal data lives".

Orders are bought through the shop's own checkout; the refund path runs against the SumUp
sandbox over real HTTP.
"""

import importlib
import json
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from wagtail.models import ModelLogEntry

from legal import data_requests
from legal.models import DataRequest
from sumup_sandbox import faults
from sumup_sandbox import state as sandbox
from sumup_sandbox.models import SandboxTransaction
from tests.factories import buy, make_event, make_paid_order, make_staff, signed_in
from tests.payments.helpers import callback_body, deliver
from ticketing import checkin
from ticketing.models import Event, Order, Refund, Ticket

pytestmark = pytest.mark.django_db

LIST_URL = "/admin/legal/datarequest/"
RECORD_URL = "/admin/legal/datarequest/create/"
BULK_URL = "/admin/legal/datarequest/erase-several/"
CENSUS_URL = "/admin/legal/personal-data/"
ADDRESS = "Zephy.Q+x@Example.org"
NAME = "Zephyrine Quillfeather"


def inspect_url(data_request):
    return f"/admin/legal/datarequest/inspect/{data_request.pk}/"


def action_url(data_request, action):
    return f"/admin/legal/datarequest/{data_request.pk}/{action}/"


# --- People and requests ------------------------------------------------------------------------


def privacy_group():
    """The Privacy group, as its migration makes it: a transactional test before this one
    flushed every table, the rows migrations wrote included."""
    migration = importlib.import_module("legal.migrations.0002_data_request_handling")
    group, created = Group.objects.get_or_create(name=migration.GROUP)
    if created:
        group.permissions.set(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
            for app_label, codename in migration.PERMISSIONS
        )
    return group.name


@pytest.fixture
def officer():
    """A client signed in as a member of the Privacy group."""
    return signed_in(make_staff("officer", groups=[privacy_group()]))


# Staff of other jobs. Groups that do not exist on this branch are stood in for by their
# permissions (box office: see and correct orders, check tickets in).
OTHER_STAFF = {
    "door staff": {"groups": ["Door staff"]},
    "editor": {"groups": ["Editors"]},
    "box office": {
        "permissions": ["access_admin", "view_order", "change_order", "view_ticket", "check_in_ticket"]
    },
    "plain staff": {"permissions": ["access_admin"]},
}


@pytest.fixture(params=list(OTHER_STAFF))
def other_staff(request):
    role = OTHER_STAFF[request.param]
    return signed_in(
        make_staff(
            request.param.replace(" ", "_"), *role.get("permissions", ()), groups=role.get("groups", ())
        )
    )


def recorded(email=ADDRESS, kind=DataRequest.Kind.ERASURE, by=None):
    """A request staff recorded (confirmed at once)."""
    return data_requests.record(
        email=email,
        kind=kind,
        channel=DataRequest.Channel.EMAIL,
        identity_check="replied from the address",
        by=by,
    )


def from_the_web(email=ADDRESS, kind=DataRequest.Kind.EXPORT):
    """A request from the web form, still waiting for its link to be opened."""
    return data_requests.submit(email, kind)


def past_order(email=ADDRESS, name=NAME):
    """A paid order for an event that has been held."""
    event = make_event("Spring Gala")
    order = make_paid_order(event, email=email, name=name)
    Event.objects.filter(pk=event.pk).update(starts_at=timezone.now() - timedelta(days=10))
    return order


def future_order(email=ADDRESS, name=NAME, title="Winter Ball"):
    """A paid order for an event still to come."""
    return make_paid_order(make_event(title), email=email, name=name)


def reload(record):
    return type(record).objects.get(pk=record.pk)


def is_refused(response):
    """Wagtail answers a PermissionDenied in its admin with a redirect to the dashboard."""
    return response.status_code == 403 or (response.status_code == 302 and response.url == "/admin/")


def log_entries():
    return ModelLogEntry.objects.filter(action__startswith="legal.datarequest").order_by("timestamp")


def html(response):
    return response.content.decode()


# --- The list -----------------------------------------------------------------------------------


def make_due(data_request, days_from_today):
    DataRequest.objects.filter(pk=data_request.pk).update(
        due_on=timezone.localdate() + timedelta(days=days_from_today)
    )


def test_the_list_puts_open_requests_first_by_due_date_with_deadline_tags(officer):
    answered = recorded("answered@example.com")
    data_requests.reject(answered, by=None, reason="could not confirm who asked")
    later = recorded("later@example.com")
    soon = recorded("soon@example.com")
    overdue = recorded("late@example.com")
    make_due(answered, -30)  # closed: never overdue, listed last however old
    make_due(later, 20)
    make_due(soon, 3)
    make_due(overdue, -2)

    page = html(officer.get(LIST_URL))

    positions = [page.index(f"Request #{r.pk}<") for r in (overdue, soon, later, answered)]
    assert positions == sorted(positions)
    assert "Overdue by 2 days" in page and "Due in 3 days" in page
    assert page.count("Overdue by") == 1
    for column in ("Received", "Answer due by", "Deadline", "Answered by"):
        assert column in page
    # The list names requests, not people: the address is on the request's own page.
    assert "later@example.com" not in page


def test_the_list_filters_overdue_and_kind_and_searches_by_address(officer):
    overdue = recorded("late@example.com")
    make_due(overdue, -1)
    on_time = recorded("ontime@example.com", kind=DataRequest.Kind.EXPORT)

    only_overdue = html(officer.get(LIST_URL, {"due": "overdue"}))
    assert f"Request #{overdue.pk}<" in only_overdue and f"Request #{on_time.pk}<" not in only_overdue
    exports = html(officer.get(LIST_URL, {"kind__exact": "export"}))
    assert f"Request #{on_time.pk}<" in exports and f"Request #{overdue.pk}<" not in exports
    found = html(officer.get(LIST_URL, {"q": "ONTIME@"}))
    assert f"Request #{on_time.pk}<" in found and f"Request #{overdue.pk}<" not in found


def count_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_list_takes_the_same_number_of_queries_for_5_and_50_requests(officer):
    handler = make_staff("handler")
    for number in range(5):
        data_requests.complete(recorded(f"p{number}@example.com", by=handler), by=handler, outcome="done")
    officer.get(LIST_URL)  # warm per-process caches (permissions, content types)
    five = count_queries(officer, LIST_URL)
    for number in range(5, 50):
        data_requests.complete(recorded(f"p{number}@example.com", by=handler), by=handler, outcome="done")
    assert count_queries(officer, LIST_URL) == five


# --- Recording a request ------------------------------------------------------------------------

RECORD_FORM = {
    "email": "letter.writer@example.com",
    "kind": "erasure",
    "channel": "letter",
    "identity_check": "Signed letter; the address matches the one on their order.",
}


def test_recording_a_request_confirms_it_and_logs_who_did(officer):
    response = officer.post(RECORD_URL, RECORD_FORM)

    data_request = DataRequest.objects.get()
    assert response.status_code == 302 and response.url == inspect_url(data_request)
    assert data_request.status == DataRequest.Status.CONFIRMED
    assert (data_request.email, data_request.kind, data_request.channel) == (
        "letter.writer@example.com",
        "erasure",
        "letter",
    )
    assert data_request.recorded_by == officer.user
    assert data_request.due_on > timezone.localdate()
    (entry,) = log_entries()
    assert (entry.action, entry.user, entry.label) == (
        "legal.datarequest.record",
        officer.user,
        str(data_request),
    )


@pytest.mark.parametrize(
    "change",
    [
        {"channel": "web"},  # the site records its own
        {"identity_check": "   "},
        {"identity_check": ""},
        {"email": "not an address"},
        {"email": "a" * 300 + "@example.com"},
        {"kind": "everything"},
        {"identity_check": "x" * 5000},
        {"channel": "carrier pigeon"},
    ],
)
def test_a_bad_record_form_comes_back_and_stores_nothing(officer, change):
    response = officer.post(RECORD_URL, {**RECORD_FORM, **change})
    assert response.status_code == 400
    assert DataRequest.objects.count() == 0 and not log_entries().exists()


# --- Export -------------------------------------------------------------------------------------


def test_exporting_downloads_the_data_as_json_and_completes_an_export_request(officer):
    order = past_order()
    data_request = recorded(kind=DataRequest.Kind.EXPORT)

    page = officer.get(action_url(data_request, "export"))
    assert page.status_code == 200
    assert order.reference in html(page) and "completes the request" in html(page)
    assert reload(data_request).is_open, "showing the page changes nothing"

    response = officer.post(action_url(data_request, "export"))

    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="data-request-{data_request.pk}.json"'
    exported = json.loads(response.content)
    assert order.reference in json.dumps(exported) and exported["summary"]
    data_request = reload(data_request)
    assert data_request.status == DataRequest.Status.COMPLETED
    assert data_request.handled_by == officer.user
    assert "1 orders" in data_request.outcome or "1 order" in data_request.outcome
    assert ADDRESS.lower() not in data_request.outcome.lower()
    (entry,) = log_entries()
    assert (entry.action, entry.user) == ("legal.datarequest.export", officer.user)


def test_exporting_for_an_erasure_request_leaves_it_open(officer):
    past_order()
    data_request = recorded(kind=DataRequest.Kind.ERASURE)
    response = officer.post(action_url(data_request, "export"))
    assert response.status_code == 200 and json.loads(response.content)["summary"]
    assert reload(data_request).status == DataRequest.Status.CONFIRMED
    assert log_entries().last().action == "legal.datarequest.export"


def test_nothing_is_exported_or_erased_before_the_requester_confirms(officer):
    past_order()
    waiting = from_the_web(kind=DataRequest.Kind.ERASURE)
    for action in ("export", "erase"):
        assert officer.get(action_url(waiting, action)).url == inspect_url(waiting)
        response = officer.post(action_url(waiting, action), {"future_tickets": "keep"})
        assert response.status_code == 302 and response.url == inspect_url(waiting)
    assert reload(waiting).status == DataRequest.Status.RECEIVED
    assert Order.objects.get().email == ADDRESS and not log_entries().exists()
    # ...but it can be rejected.
    assert officer.get(action_url(waiting, "reject")).status_code == 200


# --- Erasure ------------------------------------------------------------------------------------


def test_erasing_a_past_order_anonymises_it_and_completes_the_request(officer):
    order = past_order()
    data_request = recorded()

    page = html(officer.get(action_url(data_request, "erase")))
    assert "What will be erased" in page and "still to come" not in page

    response = officer.post(action_url(data_request, "erase"))

    assert response.status_code == 302 and response.url == inspect_url(data_request)
    order = reload(order)
    assert ADDRESS.lower() not in order.email.lower() and NAME not in order.name
    assert order.total > 0 and order.reference, "what the accounts need stays"
    data_request = reload(data_request)
    assert data_request.status == DataRequest.Status.COMPLETED and data_request.outcome
    assert data_request.email == ""
    assert log_entries().last().action == "legal.datarequest.erase"


def test_erasing_with_future_orders_asks_first_then_keeps_the_tickets_valid(officer):
    order = future_order()
    ticket = order.tickets.get()
    data_request = recorded()

    page = html(officer.get(action_url(data_request, "erase")))
    assert order.reference in page and "Winter Ball" in page and "still to come" in page

    without_a_choice = officer.post(action_url(data_request, "erase"))
    assert without_a_choice.status_code == 400
    assert reload(order).email == ADDRESS and reload(data_request).is_open

    response = officer.post(action_url(data_request, "erase"), {"future_tickets": "keep"})

    assert response.status_code == 302
    order = reload(order)
    assert order.status == Order.Status.PAID and ADDRESS.lower() not in order.email.lower()
    assert checkin.check_in(ticket.code, order.event, officer.user).admitted, "the ticket still admits"
    assert reload(data_request).status == DataRequest.Status.COMPLETED


@pytest.fixture
def quick_sandbox(settings):
    settings.SUMUP_SANDBOX_CALLBACK_DELAY = 0
    settings.SUMUP_SANDBOX_DUPLICATE_CALLBACKS = False
    settings.SUMUP_WEBHOOK_SECRET = ""


@pytest.mark.django_db(transaction=True)
def test_erasing_with_future_orders_can_refund_them_through_sumup(
    officer, buyer, event, sumup_sandbox, quick_sandbox
):
    payment = buy(buyer, event, email=ADDRESS)
    sandbox.press(payment.checkout_id, "pay", notify=False)
    deliver(sumup_sandbox.url, callback_body(payment.checkout_id))
    order = reload(payment.order)
    assert order.status == Order.Status.PAID
    data_request = recorded()

    response = officer.post(action_url(data_request, "erase"), {"future_tickets": "refund"})

    assert response.status_code == 302 and response.url == inspect_url(data_request)
    order = reload(order)
    assert order.status == Order.Status.REFUNDED
    assert ADDRESS.lower() not in order.email.lower()
    assert not Ticket.objects.filter(order=order, voided_at__isnull=True).exists()
    refund = Refund.objects.get(payment__order=order)
    assert refund.status == Refund.Status.SUCCEEDED and refund.requested_by == officer.user
    (transaction,) = SandboxTransaction.objects.filter(checkout_id=payment.checkout_id)
    assert transaction.refunded_amount == order.total, "SumUp gave the money back"
    assert reload(data_request).status == DataRequest.Status.COMPLETED


@pytest.mark.django_db(transaction=True)
def test_when_sumup_turns_the_refund_away_nothing_is_erased_and_the_request_stays_open(
    officer, buyer, event, sumup_sandbox, quick_sandbox
):
    payment = buy(buyer, event, email=ADDRESS)
    sandbox.press(payment.checkout_id, "pay", notify=False)
    deliver(sumup_sandbox.url, callback_body(payment.checkout_id))
    data_request = recorded()
    faults.throttle(10)  # SumUp answers 429 Too Many Requests to everything we ask

    response = officer.post(action_url(data_request, "erase"), {"future_tickets": "refund"}, follow=True)

    assert response.redirect_chain[0] == (action_url(data_request, "erase"), 302)
    said = " ".join(str(message) for message in response.context["messages"])
    assert "Nothing was erased" in said and payment.order.reference in said
    order = reload(payment.order)
    assert order.status == Order.Status.PAID and order.email == ADDRESS
    assert reload(data_request).status == DataRequest.Status.CONFIRMED
    assert not log_entries().filter(action="legal.datarequest.erase").exists()


# --- Rejection ----------------------------------------------------------------------------------


def test_rejecting_needs_a_reason_and_keeps_it_out_of_the_audit_log(officer):
    data_request = recorded()
    assert officer.post(action_url(data_request, "reject"), {"reason": "  "}).status_code == 400
    assert reload(data_request).is_open

    reason = f"Could not confirm that {ADDRESS} is theirs"
    response = officer.post(action_url(data_request, "reject"), {"reason": reason})

    assert response.status_code == 302
    data_request = reload(data_request)
    assert data_request.status == DataRequest.Status.REJECTED and data_request.rejection_reason == reason
    entry = log_entries().last()
    assert entry.action == "legal.datarequest.reject" and entry.user == officer.user
    assert ADDRESS.lower() not in json.dumps(entry.data).lower()


@pytest.mark.parametrize("action", ["export", "erase", "reject"])
def test_an_answered_request_cannot_be_acted_on_again(officer, action):
    past_order()
    data_request = recorded()
    data_requests.reject(data_request, by=None, reason="duplicate")
    entries = log_entries().count()

    for response in (
        officer.get(action_url(data_request, action)),
        officer.post(action_url(data_request, action), {"reason": "again", "future_tickets": "keep"}),
    ):
        assert response.status_code == 302 and response.url == inspect_url(data_request)
    assert reload(data_request).status == DataRequest.Status.REJECTED
    assert Order.objects.get().email == ADDRESS and log_entries().count() == entries


def test_the_request_page_offers_the_actions_that_apply(officer):
    erasure, export, waiting = recorded(), recorded("b@example.com", kind="export"), from_the_web()
    page = html(officer.get(inspect_url(erasure)))
    for action in ("export", "erase", "reject"):
        assert action_url(erasure, action) in page
    page = html(officer.get(inspect_url(export)))
    assert action_url(export, "export") in page and action_url(export, "erase") not in page
    page = html(officer.get(inspect_url(waiting)))
    assert action_url(waiting, "reject") in page and action_url(waiting, "export") not in page


# --- Erasing several ----------------------------------------------------------------------------


def test_bulk_erase_erases_the_erasable_skips_future_tickets_and_ignores_the_rest(officer):
    past_order("first@example.com")
    past_order("second@example.com")
    keeper = future_order("future@example.com")
    first, second = recorded("first@example.com"), recorded("second@example.com")
    needs_decision = recorded("future@example.com")
    waiting = from_the_web("waiting@example.com", kind=DataRequest.Kind.ERASURE)
    export = recorded("copy@example.com", kind=DataRequest.Kind.EXPORT)
    answered = recorded("done@example.com")
    answered = data_requests.reject(answered, by=None, reason="duplicate")
    chosen = [first, second, needs_decision, waiting, export, answered]
    ids = {"request": [r.pk for r in chosen]}

    preview = officer.get(BULK_URL, ids)
    assert preview.status_code == 200
    assert preview.context["sorted"].erasable == [first, second]
    assert preview.context["sorted"].needs_decision == [needs_decision]
    assert set(preview.context["sorted"].ignored) == {waiting, export, answered}
    assert all(reload(r).status == r.status for r in chosen), "the preview changes nothing"

    done = officer.post(BULK_URL, ids)

    assert done.status_code == 200
    assert {r.status for r in map(reload, (first, second))} == {DataRequest.Status.COMPLETED}
    assert reload(needs_decision).is_open and reload(keeper).email == "future@example.com"
    assert reload(waiting).status == DataRequest.Status.RECEIVED and reload(export).is_open
    assert not Order.objects.filter(email__in=["first@example.com", "second@example.com"]).exists()
    assert action_url(needs_decision, "erase") in html(done)
    erased = log_entries().filter(action="legal.datarequest.erase")
    assert {entry.object_id for entry in erased} == {str(first.pk), str(second.pk)}
    assert all(entry.user == officer.user for entry in erased)


def test_the_list_offers_ticks_only_on_confirmed_erasure_requests(officer):
    erasure, export, waiting = (
        recorded(),
        recorded("b@example.com", kind="export"),
        from_the_web(kind="erasure"),
    )
    page = html(officer.get(LIST_URL))
    assert f'value="{erasure.pk}" form="bulk-erase"' in page
    assert f'value="{export.pk}" form="bulk-erase"' not in page
    assert f'value="{waiting.pk}" form="bulk-erase"' not in page
    assert 'action="/admin/legal/datarequest/erase-several/"' in page


@pytest.mark.parametrize(
    "ids",
    [
        ["abc"],
        ["1.5"],
        ["-1"],
        ["9" * 40],
        ["１"],  # a full-width digit
        [str(n) for n in range(1, 200)],
        ["1", "x" * 10000],
    ],
)
def test_an_unreadable_bulk_choice_is_refused_and_changes_nothing(officer, ids):
    past_order()
    data_request = recorded()
    ids = [str(data_request.pk), *ids]
    assert officer.get(BULK_URL, {"request": ids}).status_code == 400
    assert officer.post(BULK_URL, {"request": ids}).status_code == 400
    assert reload(data_request).is_open and Order.objects.get().email == ADDRESS


def test_a_bulk_choice_naming_a_missing_request_or_none_changes_nothing(officer):
    past_order()
    data_request = recorded()
    for data in ({"request": [data_request.pk, 999999]}, {}):
        response = officer.post(BULK_URL, data)
        assert response.status_code == 302 and response.url == LIST_URL
    assert reload(data_request).is_open and Order.objects.get().email == ADDRESS


# --- Who may -----------------------------------------------------------------------------------


def every_privacy_url(data_request):
    return [
        LIST_URL,
        inspect_url(data_request),
        RECORD_URL,
        action_url(data_request, "export"),
        action_url(data_request, "erase"),
        action_url(data_request, "reject"),
        f"{BULK_URL}?request={data_request.pk}",
        CENSUS_URL,
    ]


def test_other_staff_are_refused_every_privacy_page_and_action(other_staff):
    order = past_order()
    data_request = recorded()
    for url in every_privacy_url(data_request):
        assert is_refused(other_staff.get(url)), url
    posts = {
        RECORD_URL: RECORD_FORM,
        action_url(data_request, "export"): {},
        action_url(data_request, "erase"): {"future_tickets": "keep"},
        action_url(data_request, "reject"): {"reason": "no"},
        BULK_URL: {"request": [data_request.pk]},
    }
    for url, data in posts.items():
        response = other_staff.post(url, data)
        assert is_refused(response), url
        assert "application/json" not in response.get("Content-Type", "")
    assert reload(data_request).status == DataRequest.Status.CONFIRMED
    assert reload(order).email == ADDRESS
    assert DataRequest.objects.count() == 1 and not log_entries().exists()


def test_other_staff_are_refused_before_any_lookup(other_staff):
    """A request that does not exist is refused the same way: nothing tells them which exist."""
    for action in ("export", "erase", "reject"):
        assert is_refused(other_staff.get(f"/admin/legal/datarequest/999999/{action}/"))


def test_the_privacy_group_opens_every_privacy_page(officer):
    past_order()
    data_request = recorded()
    for url in every_privacy_url(data_request):
        assert officer.get(url).status_code == 200, url


def test_staff_who_may_only_view_requests_see_them_but_cannot_act():
    viewer = signed_in(make_staff("viewer", "access_admin", "view_datarequest"))
    data_request = recorded()
    assert viewer.get(LIST_URL).status_code == 200
    assert viewer.get(CENSUS_URL).status_code == 200
    page = html(viewer.get(inspect_url(data_request)))
    assert action_url(data_request, "erase") not in page and "bulk-erase" not in html(viewer.get(LIST_URL))
    assert is_refused(viewer.post(action_url(data_request, "reject"), {"reason": "no"}))
    assert is_refused(viewer.get(RECORD_URL))
    assert reload(data_request).is_open


def test_a_post_without_its_csrf_token_is_refused():
    officer = Client(enforce_csrf_checks=True)
    signed_in(make_staff("officer", groups=[privacy_group()]), officer)
    data_request = recorded()
    for url, data in (
        (action_url(data_request, "reject"), {"reason": "no"}),
        (action_url(data_request, "erase"), {}),
        (action_url(data_request, "export"), {}),
        (BULK_URL, {"request": [data_request.pk]}),
        (RECORD_URL, RECORD_FORM),
    ):
        assert officer.post(url, data).status_code == 403, url
    assert reload(data_request).is_open and DataRequest.objects.count() == 1


@pytest.mark.parametrize("pk", ["0", "99999999999999999999", "abc", "%00", "1%20OR%201"])
def test_a_request_id_that_is_not_a_request_is_not_found(officer, pk):
    for action in ("export", "erase", "reject"):
        response = officer.get(f"/admin/legal/datarequest/{pk}/{action}/")
        assert response.status_code in {400, 404}


# --- The audit log ------------------------------------------------------------------------------


def test_the_audit_log_says_who_did_what_and_never_names_the_person(officer):
    past_order()
    future_order(title="Late Show")
    officer.post(RECORD_URL, {**RECORD_FORM, "email": ADDRESS, "kind": "export"})
    export = DataRequest.objects.get(kind="export")
    officer.post(action_url(export, "export"))
    erasure = recorded()
    officer.post(action_url(erasure, "erase"), {"future_tickets": "keep"})
    rejected = recorded("other@example.com")
    officer.post(action_url(rejected, "reject"), {"reason": f"{NAME} wrote from {ADDRESS}"})

    assert [(e.action, e.user) for e in log_entries()] == [
        ("legal.datarequest.record", officer.user),
        ("legal.datarequest.export", officer.user),
        ("legal.datarequest.erase", officer.user),
        ("legal.datarequest.reject", officer.user),
    ]
    with connection.cursor() as cursor:
        cursor.execute("SELECT label, data::text, content_changed FROM wagtailcore_modellogentry")
        rows = json.dumps(cursor.fetchall()).lower()
    for secret in (ADDRESS.lower(), "zephy.q", "quillfeather", "other@example.com"):
        assert secret not in rows


def test_the_request_page_shows_its_history(officer):
    data_request = recorded()
    officer.post(action_url(data_request, "reject"), {"reason": "duplicate"})
    page = html(officer.get(inspect_url(data_request)))
    assert "Data request rejected" in page and officer.user.get_username() in page


# --- Where personal data lives ------------------------------------------------------------------


def test_the_personal_data_page_is_in_the_privacy_menu(officer):
    page = html(officer.get("/admin/"))
    assert CENSUS_URL in page


def test_the_personal_data_page_takes_the_same_number_of_queries_however_much_is_held(officer):
    past_order()
    officer.get(CENSUS_URL)
    few = count_queries(officer, CENSUS_URL)
    for number in range(10):
        past_order(f"p{number}@example.com")
        future_order(f"f{number}@example.com", title=f"Show {number}")
    assert count_queries(officer, CENSUS_URL) == few


def test_a_request_is_never_edited_or_deleted_in_the_admin(officer):
    superuser = signed_in(make_staff("root", superuser=True))
    data_request = recorded()
    for client in (officer, superuser):
        assert is_refused(client.get(f"/admin/legal/datarequest/edit/{data_request.pk}/"))
        assert is_refused(
            client.post(f"/admin/legal/datarequest/edit/{data_request.pk}/", {"status": "completed"})
        )
        assert is_refused(client.post(f"/admin/legal/datarequest/delete/{data_request.pk}/"))
    assert reload(data_request).status == DataRequest.Status.CONFIRMED
