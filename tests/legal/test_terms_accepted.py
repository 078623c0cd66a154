"""An order records the Terms its buyer accepted: the live revision (the exact words) and its
version label, through the real checkout; staff read it on the order."""

import pytest
from django.db.models import ProtectedError
from wagtail.models import Revision

from legal.models import LegalPage
from tests.factories import buy, make_staff, signed_in
from tests.legal.helpers import publish_legal_page, publish_new_wording, use_as_terms

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_order_records_the_terms_revision_and_version_the_buyer_accepted(event, buyer):
    terms = publish_legal_page(version="2026-12")
    use_as_terms(terms)
    order = buy(buyer, event).order
    order.refresh_from_db()
    assert order.terms_version == "2026-12"
    assert order.terms_revision_id == LegalPage.objects.get(pk=terms.pk).live_revision_id
    assert "Tickets are not refundable." in order.terms_revision.content["body"]


def test_new_terms_reach_new_orders_and_old_orders_keep_the_words_their_buyer_accepted(event, buyer):
    terms = publish_legal_page(version="2026-12", body="<p>The first wording.</p>")
    use_as_terms(terms)
    first = buy(buyer, event, adult=1, child=0).order
    publish_new_wording(terms, version="2027-01", body="<p>The second wording.</p>")
    second = buy(buyer, event, adult=1, child=0, email="bo@example.com").order
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.terms_version, second.terms_version) == ("2026-12", "2027-01")
    assert first.terms_revision_id != second.terms_revision_id
    assert "The first wording." in first.terms_revision.content["body"]
    assert "The second wording." in second.terms_revision.content["body"]


def test_without_a_terms_page_the_checkout_still_sells_and_records_none(event, buyer):
    order = buy(buyer, event).order
    order.refresh_from_db()
    assert order.terms_revision is None and order.terms_version == ""


def test_an_unpublished_terms_page_is_not_recorded_as_accepted(event, buyer):
    terms = publish_legal_page(version="2026-12")
    use_as_terms(terms)
    terms.unpublish()
    order = buy(buyer, event).order
    order.refresh_from_db()
    assert order.terms_revision is None and order.terms_version == ""


def test_staff_read_the_terms_version_on_the_order(event, buyer):
    use_as_terms(publish_legal_page(version="2026-12"))
    order = buy(buyer, event).order
    staff = signed_in(make_staff("boxoffice", superuser=True))
    html = staff.get(f"/admin/ticketing/order/inspect/{order.pk}/").content.decode()
    assert "Terms accepted" in html and "version 2026-12" in html


def test_the_accepted_wording_cannot_be_deleted_from_under_an_order(event, buyer):
    terms = publish_legal_page(version="2026-12")
    use_as_terms(terms)
    order = buy(buyer, event).order
    order.refresh_from_db()
    with pytest.raises(ProtectedError):
        Revision.objects.get(pk=order.terms_revision_id).delete()


def test_the_admin_refuses_to_delete_a_terms_page_that_orders_accepted(event, buyer):
    terms = publish_legal_page(version="2026-12")
    use_as_terms(terms)
    buy(buyer, event)
    editor = signed_in(make_staff("editor", superuser=True))
    response = editor.post(f"/admin/pages/{terms.pk}/delete/", follow=True)
    assert response.status_code == 200
    assert "cannot be deleted" in response.content.decode()
    assert LegalPage.objects.filter(pk=terms.pk).exists()


def test_a_legal_page_shows_its_version_and_when_it_was_last_reviewed(client):
    from datetime import date

    page = publish_legal_page(version="2026-12")
    page.last_reviewed = date(2026, 11, 30)
    page.save_revision().publish()
    html = client.get(page.url).content.decode()
    assert "Version 2026-12, last reviewed" in html and "30 November 2026" in html
