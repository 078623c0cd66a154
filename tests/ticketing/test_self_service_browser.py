"""The buyer's own changes in a real Chromium, at a phone's 390 px and a desktop's 1280 px: naming
a ticket's holder and cancelling a ticket (confirmation, then the refund through the SumUp
sandbox) from the order page. Screenshots go to /tmp/shots-selfserve/."""

from decimal import Decimal
from pathlib import Path

import pytest
from django.core import mail
from playwright.sync_api import expect

from sumup_sandbox import state as sandbox
from tests.factories import buy
from tests.payments.helpers import callback_body, deliver
from ticketing.models import Event, Order, Refund, Ticket

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/shots-selfserve")  # noqa: S108 - where the brief keeps screenshots
WIDTHS = (390, 1280)


def shoot(page, name, width):
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)


@pytest.fixture
def paid(buyer, event, sumup_sandbox):
    """Two adults and a child (£47.50), paid through the sandbox; cancellable until 7 days before
    the event (three weeks away) for a fee of £1.50 a ticket; attendee names asked."""
    Event.objects.filter(pk=event.pk).update(
        buyer_cancel_days=7, buyer_cancel_fee=Decimal("1.50"), attendee_names=Event.AttendeeNames.OPTIONAL
    )
    payment = buy(buyer, event)
    sandbox.press(payment.checkout_id, "pay", notify=False)
    deliver(sumup_sandbox.url, callback_body(payment.checkout_id))
    order = Order.objects.get(pk=payment.order_id)
    assert order.status == Order.Status.PAID
    mail.outbox.clear()
    return order


@pytest.mark.parametrize("width", WIDTHS)
def test_the_buyer_names_a_ticket_and_cancels_another(page, live_server, paid, width):
    page.set_viewport_size({"width": width, "height": 844 if width == 390 else 900})
    adult, other, child = Ticket.objects.filter(order=paid).order_by("ticket_type__sort_order", "pk")
    page.goto(f"{live_server.url}/tickets/orders/{paid.token}/")
    expect(page.locator("#names-title")).to_have_text("Who is coming")
    shoot(page, "order-page", width)

    page.fill(f"#attendee-{adult.pk}", "Zoe Zebedee")
    page.click("text=Save names")
    expect(page.locator("[data-order-done]")).to_have_text("The names are saved.")
    expect(page.locator(f"#attendee-{adult.pk}")).to_have_value("Zoe Zebedee")
    adult.refresh_from_db()
    assert adult.attendee_name == "Zoe Zebedee"

    page.check(f"#cancel-{child.pk}")
    page.click("text=Cancel chosen tickets…")
    expect(page.locator("h1")).to_have_text("Cancel 1 ticket?")
    expect(page.locator("[data-refund-amount]")).to_have_text("£6.00")
    shoot(page, "cancel-confirm", width)
    assert not Refund.objects.exists()

    page.click("text=Cancel and refund £6.00")
    expect(page.locator("[data-order-done]")).to_contain_text("Your tickets are cancelled")
    expect(page.locator(".refund-list")).to_contain_text("£6.00 refunded")
    shoot(page, "after-cancel", width)
    refund = Refund.objects.get()
    assert (refund.kind, refund.status, refund.amount) == ("buyer", "succeeded", Decimal("6.00"))
    assert page.console_errors == []
