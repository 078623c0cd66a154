"""Payment mismatches in the admin: listed, inspected, resolved with a note; the dashboard panel."""

import pytest
from django.urls import reverse
from wagtail.models import ModelLogEntry

from sumup_sandbox import state as sandbox
from tests.factories import buy, make_staff, signed_in
from tests.payments.helpers import callback_body, deliver
from ticketing.models import ReconciliationMismatch

pytestmark = pytest.mark.django_db(transaction=True)

LIST_URL = "/admin/ticketing/reconciliationmismatch/"


@pytest.fixture
def mismatch(buyer, event, sumup_sandbox):
    payment = buy(buyer, event)
    sandbox.mark_paid(payment.checkout_id, amount="4.75")
    deliver(sumup_sandbox.url, callback_body(payment.checkout_id))
    return ReconciliationMismatch.objects.get()


@pytest.fixture
def reviewer():
    codenames = ["access_admin", "view_order", "view_reconciliationmismatch", "resolve_mismatch"]
    return signed_in(make_staff("reviewer", *codenames))


def test_mismatches_are_listed_and_resolved_with_a_note(reviewer, mismatch):
    listing = reviewer.get(LIST_URL + "?state=open").content.decode()
    assert mismatch.order.reference in listing and "Amount differs" in listing

    inspect = reviewer.get(reverse("ticketing_reconciliationmismatch_modeladmin_inspect", args=[mismatch.pk]))
    resolve_url = reverse("ticketing_mismatch_resolve", args=[mismatch.pk])
    assert resolve_url in inspect.content.decode()

    response = reviewer.post(resolve_url, {"resolution": "Refunded the 4.75 from the order"})

    assert response.status_code == 302
    mismatch.refresh_from_db()
    assert not mismatch.is_open and mismatch.resolved_by == reviewer.user
    assert mismatch.resolution == "Refunded the 4.75 from the order"
    assert ModelLogEntry.objects.get(action="ticketing.resolve_mismatch").user == reviewer.user
    assert mismatch.order.reference not in reviewer.get(LIST_URL + "?state=open").content.decode()


def test_the_dashboard_shows_what_needs_a_person(reviewer, mismatch):
    home = reviewer.get(reverse("wagtailadmin_home")).content.decode()
    assert "Needs a person" in home
    assert "1 open payment mismatch" in home and "1 order needing review" in home


def test_mismatches_cannot_be_added_edited_or_deleted(reviewer, mismatch):
    assert reviewer.get(LIST_URL + "create/").status_code in (302, 403, 404)
    assert reviewer.get(f"{LIST_URL}edit/{mismatch.pk}/").status_code in (302, 403, 404)
    assert reviewer.get(f"{LIST_URL}delete/{mismatch.pk}/").status_code in (302, 403, 404)
    assert ReconciliationMismatch.objects.filter(pk=mismatch.pk, resolved_at__isnull=True).exists()
