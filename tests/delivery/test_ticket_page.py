"""The buyer's ticket page: by the order's secret URL, a QR code per valid ticket, printable, CSP-clean."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.delivery.helpers import decode_svg
from tests.factories import make_event, make_order, make_paid_order, refund_tickets
from ticketing import orders, tickets

pytestmark = pytest.mark.django_db


@pytest.fixture
def event():
    return make_event("Harbour Jazz Night", types=[("Adult", "20.00", 50), ("Child", "8.00", 50)])


def tickets_url(order):
    return reverse("ticketing:tickets", args=[order.token])


def test_shows_each_ticket_with_a_qr_code_that_scans_back_to_it(client, event):
    order = make_paid_order(event, {"Adult": 2, "Child": 1})
    response = client.get(tickets_url(order))
    html = response.content.decode()
    assert response.status_code == 200
    assert response["Referrer-Policy"] == "same-origin"
    assert "no-store" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    for needle in ("Harbour Jazz Night", "Jersey Opera House", order.reference, "Adult", "Child"):
        assert needle in html
    svgs = re.findall(r"<svg class=\"qr\".*?</svg>", html)
    assert len(svgs) == 3
    codes = {tickets.verify_payload(decode_svg(svg)) for svg in svgs}
    assert codes == {ticket.code for ticket in order.tickets.all()}
    for ticket in order.tickets.all():
        assert ticket.display_code in html


def test_a_void_ticket_is_shown_as_void_without_a_qr_code(client, event):
    order = make_paid_order(event, {"Adult": 2})
    refund_tickets(order, [order.tickets.first()])
    html = client.get(tickets_url(order)).content.decode()
    assert html.count('<svg class="qr"') == 1
    assert "ticket--void" in html and "Void — refunded or cancelled" in html


def test_a_checked_in_ticket_says_when(client, event):
    order = make_paid_order(event, {"Adult": 1})
    order.tickets.update(checked_in_at=timezone.now())
    html = client.get(tickets_url(order)).content.decode()
    assert "Checked in at" in html


def expired_order(event):
    order = make_order(event, {"Adult": 1})
    orders.expire(order)
    return order


def refunded_order(event):
    return refund_tickets(make_paid_order(event, {"Adult": 1}))


@pytest.mark.parametrize(
    "make", [make_order, expired_order, refunded_order], ids=["pending", "expired", "refunded"]
)
def test_orders_without_valid_tickets_go_to_the_order_page(client, event, make):
    order = make(event)
    response = client.get(tickets_url(order))
    assert response.status_code == 302
    assert response["Location"] == reverse("ticketing:order", args=[order.token])


def test_an_unknown_token_is_not_found(client, event):
    assert client.get(reverse("ticketing:tickets", args=["not-a-real-token"])).status_code == 404


def test_the_page_obeys_the_content_security_policy_and_prints(client, event):
    order = make_paid_order(event, {"Adult": 1})
    response = client.get(tickets_url(order))
    html = response.content.decode()
    assert "style-src 'self'" in response["Content-Security-Policy"]
    assert "<style" not in html and " style=" not in html
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "no inline script"
    assert "css/tickets.css" in html
    # The site header and footer are hidden in print by site.css; each ticket is one block.
    assert html.count('<article class="ticket') == 1


def test_the_order_page_links_to_the_tickets_once_paid(client, event, monkeypatch):
    order = make_paid_order(event, {"Adult": 1})
    html = client.get(reverse("ticketing:order", args=[order.token])).content.decode()
    assert tickets_url(order) in html
