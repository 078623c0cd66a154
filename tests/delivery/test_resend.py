"""Staff resend an order's tickets from the admin: permission, confirmation, audit log."""

import pytest
from django.core import mail
from django.urls import reverse
from wagtail.models import ModelLogEntry

from tests.factories import make_event, make_paid_order, make_staff, refund_tickets, signed_in
from ticketing import delivery
from ticketing.models import BuyerEmail

pytestmark = pytest.mark.django_db


@pytest.fixture
def order():
    event = make_event("Harbour Jazz Night", types=[("Adult", "20.00", 50)])
    return make_paid_order(event, {"Adult": 2}, email="ann@exmaple.com")


@pytest.fixture
def clerk(client):
    return signed_in(make_staff("clerk", "access_admin", "view_order", "resend_tickets"), client)


@pytest.fixture
def viewer(client):
    """May read and even edit orders, but not resend: resending is a permission of its own."""
    return signed_in(make_staff("viewer", "access_admin", "view_order", "change_order"), client)


def new_emails(order):
    """E-mails to the buyer besides the one paying the order sent: those the test caused."""
    paid = order.buyer_emails.get(reason=BuyerEmail.Reason.PAID)
    return BuyerEmail.objects.exclude(pk=paid.pk)


def resend_url(order):
    return reverse("ticketing_order_resend_tickets", args=[order.pk])


def inspect_url(order):
    return reverse("ticketing_order_modeladmin_inspect", args=[order.pk])


def test_the_order_page_in_the_admin_offers_resend_to_staff_who_may_resend(clerk, order):
    html = clerk.get(inspect_url(order)).content.decode()
    assert resend_url(order) in html and "Resend tickets" in html


def test_resend_asks_for_confirmation_then_sends_to_the_corrected_address(
    clerk, order, django_capture_on_commit_callbacks
):
    page = clerk.get(resend_url(order))
    html = page.content.decode()
    assert page.status_code == 200
    assert "2 valid tickets will be e-mailed again" in html and 'value="ann@exmaple.com"' in html
    assert not new_emails(order).exists()  # GET only asks

    with django_capture_on_commit_callbacks(execute=True):
        response = clerk.post(resend_url(order), {"email": "ann@example.com"})
    assert response.status_code == 302 and response["Location"] == inspect_url(order)

    order.refresh_from_db()
    assert order.email == "ann@example.com"
    ticket_email = new_emails(order).get()
    assert ticket_email.reason == BuyerEmail.Reason.RESEND
    assert ticket_email.requested_by.username == "clerk"
    assert ticket_email.status == BuyerEmail.Status.SENT
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["ann@example.com"]

    entry = ModelLogEntry.objects.get(action=delivery.RESEND_LOG_ACTION)
    assert entry.object_id == str(order.pk) and entry.user.username == "clerk"
    assert entry.data == {"ticket_email": ticket_email.pk, "address_changed": True}
    assert "@" not in str(entry.data)  # no personal data in the audit log
    assert entry.message == "Tickets e-mailed again"


def test_the_resend_shows_in_the_orders_history(clerk, order):
    delivery.resend_tickets(order, clerk.user)
    history = clerk.get(reverse("ticketing_order_modeladmin_history", args=[order.pk]))
    assert history.status_code == 200
    assert "Tickets e-mailed again" in history.content.decode()


def test_resend_to_the_same_address_keeps_it(clerk, order, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        clerk.post(resend_url(order), {"email": order.email})
    assert ModelLogEntry.objects.get(action=delivery.RESEND_LOG_ACTION).data["address_changed"] is False
    assert mail.outbox[0].to == ["ann@exmaple.com"]


def test_staff_without_the_permission_cannot_resend(viewer, order):
    assert "Resend tickets" not in viewer.get(inspect_url(order)).content.decode()
    # Wagtail answers a PermissionDenied in its admin by sending the user to the dashboard.
    for response in (
        viewer.get(resend_url(order)),
        viewer.post(resend_url(order), {"email": "thief@example.com"}),
    ):
        assert response.status_code == 302 and response["Location"] == reverse("wagtailadmin_home")
    order.refresh_from_db()
    assert order.email == "ann@exmaple.com"
    assert not new_emails(order).exists() and not ModelLogEntry.objects.filter(
        action=delivery.RESEND_LOG_ACTION
    )


def test_anonymous_visitors_are_sent_to_the_admin_login(client, order):
    response = client.post(resend_url(order), {"email": "thief@example.com"})
    assert response.status_code == 302 and response["Location"].startswith(reverse("wagtailadmin_login"))
    assert not new_emails(order).exists()


def test_an_invalid_address_is_asked_again(clerk, order):
    response = clerk.post(resend_url(order), {"email": "not an address"})
    assert response.status_code == 200 and "Enter a valid email address" in response.content.decode()
    assert not new_emails(order).exists()


def test_an_order_without_valid_tickets_cannot_be_resent(clerk, order):
    refund_tickets(order)
    assert "Resend tickets" not in clerk.get(inspect_url(order)).content.decode()
    response = clerk.post(resend_url(order), {"email": order.email}, follow=True)
    assert "has no valid tickets to send" in response.content.decode()
    assert not new_emails(order).exists() and not ModelLogEntry.objects.filter(
        action=delivery.RESEND_LOG_ACTION
    )


def test_staff_see_ticket_emails_and_scheduled_jobs_in_the_admin(admin_client, order):
    BuyerEmail.objects.create(order=order, status=BuyerEmail.Status.FAILED, attempts=7, last_error="Boom")
    listing = admin_client.get("/admin/ticketing/buyeremail/")
    assert listing.status_code == 200
    html = listing.content.decode()
    assert order.reference in html and "Failed (gave up)" in html and "Boom" in html
    assert admin_client.get("/admin/ticketing/scheduledjob/").status_code == 200
