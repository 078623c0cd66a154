"""The staff groups made by the migrations: exactly the permissions of each job, where each role
lands after signing in, and what the admin menu offers it."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from wagtail.models import GroupCollectionPermission, GroupPagePermission

from tests.factories import make_event, make_paid_order, make_staff, signed_in
from tests.foundation.test_admin import event_form_data
from tests.staff.conftest import GROUPS, make_member
from ticketing.models import Event

pytestmark = pytest.mark.django_db

SIGN_IN = ("wagtailadmin", "access_admin")
EXPECTED = {
    "Editors": {
        SIGN_IN,
        *[("wagtailimages", f"{action}_image") for action in ("add", "change", "choose", "delete")],
        *[("wagtaildocs", f"{action}_document") for action in ("add", "change", "choose", "delete")],
        *[
            ("ticketing", f"{action}_{model}")
            for action in ("view", "add", "change")
            for model in ("event", "tickettype")
        ],
        ("core", "change_sitesettings"),
        ("legal", "change_cookieconsentsettings"),
        # Promo codes (ticketing 0018): made by Editors, beside the events they publish.
        *[("ticketing", f"{action}_promocode") for action in ("view", "add", "change")],
    },
    "Box office": {
        SIGN_IN,
        ("ticketing", "view_order"),
        ("ticketing", "view_ticket"),
        ("ticketing", "view_buyeremail"),
        ("ticketing", "resend_tickets"),
        ("ticketing", "check_in_ticket"),
        ("ticketing", "view_waitinglistentry"),
        ("ticketing", "cancel_unpaid_order"),
        ("ticketing", "review_order"),
        ("ticketing", "correct_buyer_contact"),
    },
    "Finance": {
        SIGN_IN,
        ("ticketing", "view_order"),
        ("ticketing", "view_payment"),
        ("ticketing", "view_webhookevent"),
        ("ticketing", "view_refund"),
        ("ticketing", "refund_order"),
        ("ticketing", "view_reconciliationmismatch"),
        ("ticketing", "resolve_mismatch"),
        # Cancelling an event refunds every buyer: Finance's, with the events to reach it from.
        ("ticketing", "view_event"),
        ("ticketing", "cancel_event"),
        # Promo codes explain discounted amounts: seen, not made.
        ("ticketing", "view_promocode"),
    },
    "Privacy": {
        SIGN_IN,
        ("legal", "view_datarequest"),
        ("legal", "add_datarequest"),
        ("legal", "change_datarequest"),
        ("legal", "handle_datarequest"),
    },
    "Door staff": {SIGN_IN, ("ticketing", "check_in_ticket")},
}


def permissions_of(group):
    return {(p.content_type.app_label, p.codename) for p in group.permissions.select_related("content_type")}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_group_holds_exactly_the_permissions_of_its_job(name):
    assert permissions_of(Group.objects.get(name=name)) == EXPECTED[name]


def test_only_editors_work_on_pages_images_and_documents():
    """Wagtail hands "choose document" to every group that may sign in; here only Editors have any."""
    for name in set(EXPECTED) - {"Editors"}:
        assert not GroupCollectionPermission.objects.filter(group__name=name).exists(), name
        assert not GroupPagePermission.objects.filter(group__name=name).exists(), name
    editors = GroupCollectionPermission.objects.filter(group__name="Editors", collection__depth=1)
    assert {p.permission.codename for p in editors} == {
        "add_image",
        "change_image",
        "choose_image",
        "add_document",
        "change_document",
        "choose_document",
    }
    pages = GroupPagePermission.objects.filter(group__name="Editors", page__depth=1)
    assert {p.permission.codename for p in pages} == {"add_page", "change_page"}


def test_editors_make_an_event_sellable_through_the_admin_and_see_no_orders(client):
    paid = make_paid_order(make_event("Old Favourite"))
    editor = signed_in(make_member("editors"), client)
    types = [{"name": "Standard", "price": "25.00", "capacity": "200"}]
    response = editor.post("/admin/ticketing/event/create/", event_form_data(types=types))
    assert response.status_code == 302, response.content.decode()[:2000]
    event = Event.objects.get(title="Harbour Jazz")
    assert event.status == Event.Status.ON_SALE
    assert [(t.name, str(t.price)) for t in event.ticket_types.all()] == [("Standard", "25.00")]

    rows = [{"id": event.ticket_types.get().pk, "name": "Standard", "price": "27.50", "capacity": "200"}]
    response = editor.post(f"/admin/ticketing/event/edit/{event.pk}/", event_form_data(event, types=rows))
    assert response.status_code == 302, response.content.decode()[:2000]
    assert str(event.ticket_types.get().price) == "27.50"

    for url in (
        reverse("ticketing_order_modeladmin_index"),
        reverse("ticketing_order_modeladmin_inspect", args=[paid.pk]),
        reverse("ticketing_ticket_modeladmin_index"),
    ):
        response = editor.get(url)
        assert response.status_code == 302 and response["Location"] == reverse("wagtailadmin_home"), url
    assert paid.reference not in editor.get(reverse("wagtailadmin_home"), follow=True).content.decode()


# --- Landing after sign-in, and the scanner in the menu ---------------------------------------


def sign_in_with_password(client, role):
    user = make_member(role)
    user.set_password("door-open-7")
    user.save()
    return client.post(
        reverse("wagtailadmin_login"), {"username": user.username, "password": "door-open-7"}, follow=True
    )


def test_door_staff_land_on_the_scanner_after_signing_in(client):
    response = sign_in_with_password(client, "door_staff")
    assert response.redirect_chain[-1][0] == reverse("ticketing:check-in")
    assert response.status_code == 200 and "Harbour" not in response.content.decode()
    # A bookmark of the dashboard leads there too.
    response = client.get(reverse("wagtailadmin_home"))
    assert response.status_code == 302 and response["Location"] == reverse("ticketing:check-in")


@pytest.mark.parametrize("role", ["box_office", "editors", "superuser"])
def test_everyone_else_lands_on_the_dashboard(client, role):
    response = sign_in_with_password(client, role)
    assert response.redirect_chain[-1][0] == reverse("wagtailadmin_home")
    assert response.status_code == 200


def test_door_staff_given_one_more_job_land_on_the_dashboard(client):
    """The scanner is the landing page only while the door is someone's whole job."""
    steward = make_staff("steward", "view_order", groups=["Door staff"])
    assert signed_in(steward, client).get(reverse("wagtailadmin_home")).status_code == 200


def scanner_in_menu(client) -> bool:
    return (
        f'"url": "{reverse("ticketing:check-in")}"'
        in client.get(reverse("wagtailadmin_account")).content.decode()
    )


@pytest.mark.parametrize("role", [*GROUPS, "superuser"])
def test_the_menu_shows_the_scanner_to_those_who_may_use_it(client, role):
    may_check_in = role in ("box_office", "door_staff", "superuser")
    assert scanner_in_menu(signed_in(make_member(role), client)) is may_check_in


def test_the_dashboard_counts_only_what_each_role_may_open(records, client):
    """The box office is not sent to the payment mismatches that finance resolves."""
    mismatches_url = reverse("ticketing_reconciliationmismatch_modeladmin_index")
    finance = signed_in(make_member("finance"), client).get(reverse("wagtailadmin_home")).content.decode()
    assert "1 open payment mismatch" in finance and mismatches_url in finance
    box_office = (
        signed_in(make_member("box_office"), client).get(reverse("wagtailadmin_home")).content.decode()
    )
    assert "payment mismatch" not in box_office and mismatches_url not in box_office


@pytest.mark.parametrize("role, offered", [("editors", True), ("box_office", False), ("finance", False)])
def test_the_dashboards_page_search_is_offered_only_to_those_who_edit_pages(client, role, offered):
    home = signed_in(make_member(role), client).get(reverse("wagtailadmin_home")).content.decode()
    assert ('role="search"' in home and 'name="q"' in home) is offered
