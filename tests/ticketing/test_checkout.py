"""The buyer's path over real HTTP: event page → checkout → SumUp sandbox → order page."""

from decimal import Decimal

import pytest
from django.urls import reverse

from sumup_sandbox import state as sandbox
from tests.factories import ticket_types
from tests.sandbox_buyer import press_on_hosted_page
from ticketing.holds import expire_orders
from ticketing.inventory import check_inventory
from ticketing.models import Order, Payment, Ticket

pytestmark = pytest.mark.django_db(transaction=True)


def checkout_data(event, **quantities):
    adult, child = ticket_types(event)
    data = {
        "name": "Ann Example",
        "email": "ann@example.com",
        "accept_terms": "on",
        f"quantity_{adult.pk}": quantities.get("adult", 2),
        f"quantity_{child.pk}": quantities.get("child", 1),
    }
    return data


def post_checkout(client, event, data):
    return client.post(reverse("ticketing:checkout", args=[event.pk]), data)


def test_event_page_shows_ticket_types_and_the_checkout_form(buyer, event):
    response = buyer.get(event.pages.first().url)
    html = response.content.decode()
    assert response.status_code == 200
    adult, child = ticket_types(event)
    for needle in (
        "Adult",
        "£20.00",
        "Child",
        "£7.50",
        f'name="quantity_{adult.pk}"',
        'name="email"',
        'name="accept_terms"',
        reverse("ticketing:checkout", args=[event.pk]),
    ):
        assert needle in html


def test_valid_checkout_holds_tickets_and_redirects_to_sumup_for_the_server_total(buyer, event, settings):
    response = post_checkout(buyer, event, checkout_data(event, adult=2, child=1))
    order = Order.objects.get()
    payment = Payment.objects.get()
    assert response.status_code == 303
    assert response["Location"] == payment.hosted_checkout_url
    assert response["Location"].startswith(f"{settings.SUMUP_API_BASE}/pay/")
    assert order.status == Order.Status.PENDING and order.total == Decimal("47.50")
    at_sumup = sandbox.get_checkout(payment.checkout_id)
    assert at_sumup.amount == Decimal("47.50") and at_sumup.currency == "GBP"
    assert at_sumup.checkout_reference == payment.checkout_reference
    assert order.reference in at_sumup.description
    assert at_sumup.return_url.endswith("/tickets/webhooks/sumup/")
    assert at_sumup.redirect_url.endswith(f"/tickets/orders/{order.token}/")
    assert abs((at_sumup.valid_until - order.expires_at).total_seconds()) < 1
    adult, child = ticket_types(event)
    assert (adult.sold, child.sold) == (2, 1)


def test_paying_confirms_the_order_once_with_its_tickets(buyer, event):
    post_checkout(buyer, event, checkout_data(event, adult=2, child=1))
    payment = Payment.objects.get()
    press_on_hosted_page(payment.hosted_checkout_url, "pay")
    order_page = buyer.get(reverse("ticketing:order", args=[payment.order.token]))
    html = order_page.content.decode()
    assert order_page.status_code == 200
    assert "Payment received" in html
    order = Order.objects.get()
    assert order.status == Order.Status.PAID and order.paid_at
    tickets = list(Ticket.objects.filter(order=order))
    assert len(tickets) == 3
    for ticket in tickets:
        assert ticket.display_code in html
    # Coming back again (or the webhook arriving late) changes nothing.
    buyer.get(reverse("ticketing:order", args=[order.token]))
    assert Ticket.objects.filter(order=order).count() == 3
    assert check_inventory() == []


def test_declined_payment_shows_failed_and_paying_again_opens_a_new_checkout(buyer, event):
    post_checkout(buyer, event, checkout_data(event))
    first = Payment.objects.get()
    press_on_hosted_page(first.hosted_checkout_url, "decline")
    order = Order.objects.get()
    html = buyer.get(reverse("ticketing:order", args=[order.token])).content.decode()
    assert "did not go through" in html and "Try paying again" in html
    again = buyer.post(reverse("ticketing:pay-again", args=[order.token]))
    second = Payment.objects.exclude(pk=first.pk).get()
    assert again.status_code == 303 and again["Location"] == second.hosted_checkout_url
    assert second.checkout_reference != first.checkout_reference
    assert sandbox.get_checkout(first.checkout_id).status == "EXPIRED"  # the failed one is closed
    press_on_hosted_page(second.hosted_checkout_url, "pay")
    buyer.get(reverse("ticketing:order", args=[order.token]))
    order.refresh_from_db()
    assert order.status == Order.Status.PAID and order.tickets.count() == 3


def test_order_page_says_confirming_while_sumup_says_pending(buyer, event):
    post_checkout(buyer, event, checkout_data(event))
    order = Order.objects.get()
    response = buyer.get(reverse("ticketing:order", args=[order.token]))
    html = response.content.decode()
    assert "Confirming your payment" in html and "did not go through" not in html
    assert '<meta http-equiv="refresh"' in html
    assert response["Cache-Control"].startswith("max-age=0")


def test_expire_orders_releases_tickets_and_deactivates_the_checkout(buyer, event):
    post_checkout(buyer, event, checkout_data(event, adult=3, child=0))
    order = Order.objects.get()
    Order.objects.filter(pk=order.pk).update(expires_at=order.created_at)
    assert expire_orders() == 1
    assert expire_orders() == 0
    order.refresh_from_db()
    assert order.status == Order.Status.EXPIRED
    assert sandbox.get_checkout(order.payments.get().checkout_id).status == "EXPIRED"
    assert ticket_types(event)[0].sold == 0
    html = buyer.get(reverse("ticketing:order", args=[order.token])).content.decode()
    assert "This order has expired" in html
    assert check_inventory() == []


def test_payment_landing_as_the_hold_expires_is_confirmed_not_expired(buyer, event):
    post_checkout(buyer, event, checkout_data(event, adult=1, child=0))
    order = Order.objects.get()
    sandbox.press(order.payments.get().checkout_id, "pay", notify=False)
    Order.objects.filter(pk=order.pk).update(expires_at=order.created_at)
    expire_orders()
    order.refresh_from_db()
    assert order.status == Order.Status.PAID and order.tickets.count() == 1
    assert check_inventory() == []


def test_sumup_unreachable_cancels_the_order_and_releases_at_once(buyer, event, settings):
    settings.SUMUP_API_BASE = "http://127.0.0.1:9/sumup-is-down"
    response = post_checkout(buyer, event, checkout_data(event, adult=2, child=0))
    html = response.content.decode()
    assert response.status_code == 409
    assert "could not reach our payment provider" in html
    order = Order.objects.get()
    assert order.status == Order.Status.CANCELLED
    assert ticket_types(event)[0].sold == 0
    assert check_inventory() == []


def test_webhook_for_a_known_checkout_confirms_through_the_api(client, event, buyer):
    post_checkout(buyer, event, checkout_data(event))
    payment = Payment.objects.get()
    sandbox.press(payment.checkout_id, "pay", notify=False)
    response = client.post(
        reverse("ticketing:sumup-webhook"),
        {"event_type": "CHECKOUT_STATUS_CHANGED", "id": payment.checkout_id},
        content_type="application/json",
    )
    assert response.status_code == 204
    assert Order.objects.get().status == Order.Status.PAID


def test_webhook_claiming_payment_of_an_unpaid_checkout_changes_nothing(client, event, buyer):
    post_checkout(buyer, event, checkout_data(event))
    payment = Payment.objects.get()
    response = client.post(
        reverse("ticketing:sumup-webhook"),
        {"event_type": "CHECKOUT_STATUS_CHANGED", "id": payment.checkout_id},
        content_type="application/json",
    )
    assert response.status_code == 204
    assert Order.objects.get().status == Order.Status.PENDING and Ticket.objects.count() == 0


def test_with_signed_events_configured_checkouts_ask_for_no_unsigned_callbacks(buyer, event, settings):
    settings.SUMUP_WEBHOOK_SECRET = "signing-secret-from-sumup"
    post_checkout(buyer, event, checkout_data(event))
    payment = Payment.objects.get()
    assert not sandbox.get_checkout(payment.checkout_id).return_url


def test_paying_again_after_the_hold_ended_is_refused_on_the_order_page(buyer, event):
    post_checkout(buyer, event, checkout_data(event))
    order = Order.objects.get()
    Order.objects.filter(pk=order.pk).update(expires_at=order.created_at)
    response = buyer.post(reverse("ticketing:pay-again", args=[order.token]))
    assert response.status_code == 409
    html = response.content.decode()
    assert "The hold on these tickets has ended" in html and order.reference in html
    assert Payment.objects.count() == 1
