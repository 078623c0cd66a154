"""The waiting list in a real Chromium, at a phone's 390 px and a desktop's 1280 px: a sold-out
event page's "Join the waiting list", the form and its answer, then the offer's page once a seat
came back, each checked with axe-core. Screenshots go to /tmp/shots-waitlist/."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from tests.e2e.test_checkout_browser import assert_accessible
from tests.factories import make_event, make_event_page, make_order
from ticketing import holds
from ticketing.models import WaitingListEntry

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/shots-waitlist")  # noqa: S108 - screenshots for a person, never read back
WIDTHS = (390, 1280)
LINK = re.compile(r"https?://\S+/tickets/waiting-list/offers/[\w-]+/")


def shoot(page, name, width):
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= width, f"{name} scrolls sideways"


@pytest.mark.parametrize("width", WIDTHS)
def test_joining_the_list_and_opening_the_offer(page, sumup_sandbox, width):
    page.set_viewport_size({"width": width, "height": 844 if width == 390 else 900})
    event = make_event("Harbour Jazz Night", types=[("Standing", "18.00", 1)])
    event_page = make_event_page(event)
    make_order(event, {"Standing": 1}, email="holder@example.com")

    page.goto(sumup_sandbox.url + event_page.url)
    expect(page.locator(".notice-warning")).to_contain_text("Sold out")
    shoot(page, "event-sold-out", width)
    page.click("a.waiting-list-link")
    expect(page.locator("h1")).to_have_text("Join the waiting list")
    page.fill('input[name="email"]', "not an address")
    page.click('.waiting-list-form button[type="submit"]')
    expect(page.locator("#waiting-list-errors")).to_contain_text("does not look right")
    assert_accessible(page, "join form with an error")
    shoot(page, "join-error", width)
    page.fill('input[name="email"]', "ann@example.com")
    page.fill('input[name="quantity"]', "1")
    page.click('.waiting-list-form button[type="submit"]')
    expect(page.locator("h1")).to_have_text("You're on the waiting list")
    assert_accessible(page, "joined")
    shoot(page, "joined", width)
    assert WaitingListEntry.objects.get().email == "ann@example.com"

    # The holder's order runs out: the seat is offered to Ann, by e-mail.
    holds.expire_orders(now=timezone.now() + timedelta(hours=1))
    [message] = mail.outbox
    page.goto(LINK.search(message.body).group(0))
    expect(page.locator("h1")).to_have_text("Tickets held for you")
    expect(page.locator(".order-summary tfoot")).to_contain_text("£18.00")
    assert page.input_value('input[name="email"]') == "ann@example.com"
    assert_accessible(page, "offer")
    shoot(page, "offer", width)
    # Only the form's own 400 (the mistyped address, answered as the form again).
    assert [error for error in page.console_errors if "400" not in error] == []


@pytest.mark.parametrize("width", WIDTHS)
def test_one_sold_out_type_on_an_event_on_sale_links_to_its_list(page, sumup_sandbox, width):
    page.set_viewport_size({"width": width, "height": 844 if width == 390 else 900})
    event = make_event("Two Rooms", types=[("Balcony seat", "24.00", 1), ("Stalls", "18.00", 20)])
    event_page = make_event_page(event)
    make_order(event, {"Balcony seat": 1}, email="holder@example.com")
    page.goto(sumup_sandbox.url + event_page.url)
    link = page.locator(".checkout-form a.waiting-list-link")
    expect(link).to_have_count(1)
    assert_accessible(page, "event page with a sold-out type")
    shoot(page, "event-one-type-sold-out", width)
    link.click()
    expect(page.locator("h1")).to_have_text("Join the waiting list")
    assert page.locator('select[name="ticket_type"] option').all_inner_texts() == ["Balcony seat"]
