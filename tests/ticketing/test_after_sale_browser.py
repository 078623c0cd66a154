"""After the sale in a real Chromium, at a phone's 390 px and a desktop's 1280 px: the order page
after a partial refund, "Find my tickets", and the door scanner (whose code field and answer must
be on screen, not under a banner or the user bar). Screenshots go to /tmp/shots-aftersale/."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.checkin.test_checkin_browser import sign_in_at_the_door
from tests.factories import make_event, make_paid_order, make_refund, make_staff

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/shots-aftersale")  # noqa: S108 - where the brief keeps screenshots
WIDTHS = (390, 1280)


def shoot(page, name, width):
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)


@pytest.fixture
def order():
    event = make_event("Harbour Jazz Night", types=[("Adult", "20.00", 50), ("Child", "8.00", 50)])
    order = make_paid_order(event, {"Adult": 2, "Child": 1})
    make_refund(order, tickets=list(order.tickets.order_by("pk")[:1]))
    return order


@pytest.mark.parametrize("width", WIDTHS)
def test_order_page_after_a_partial_refund_and_find_my_tickets(page, live_server, order, width):
    page.set_viewport_size({"width": width, "height": 844 if width == 390 else 900})
    page.goto(f"{live_server.url}/tickets/orders/{order.token}/")
    expect(page.locator("[data-refund-notice]")).to_contain_text("Part of this order has been refunded.")
    expect(page.locator("[data-remaining]")).to_contain_text("£28.00")
    shoot(page, "order-partial-refund", width)

    page.click("text=Find my tickets >> nth=0")
    expect(page.locator("h1")).to_have_text("Find my tickets")
    shoot(page, "find-my-tickets", width)
    page.fill('input[name="email"]', "ann@example.com")
    page.click('.find-orders-form button[type="submit"]')
    expect(page.locator("h1")).to_have_text("Check your inbox")


@pytest.mark.parametrize("width", WIDTHS)
def test_the_scanner_shows_the_code_field_and_the_answer_on_a_phone(page, live_server, order, width):
    page.set_viewport_size({"width": width, "height": 844 if width == 390 else 900})
    make_staff("door", "check_in_ticket", "access_admin", password="door-password-1")
    sign_in_at_the_door(page, live_server.url, "door", "door-password-1")
    page.click(f"text={order.event.title}")
    assert (
        page.locator(".site-header, .site-footer, .cookie-banner, wagtail-userbar, .w-userbar").count() == 0
    )
    ticket = order.tickets.filter(voided_at__isnull=True).order_by("pk").first()
    page.fill('input[name="code"]', ticket.display_code)
    page.keyboard.press("Enter")
    result = page.locator("[data-checkin-result]")
    expect(result).to_have_class(re.compile("checkin-result--admit"))
    viewport = page.viewport_size
    for element in (page.locator('input[name="code"]'), result):
        box = element.bounding_box()
        assert box["y"] + box["height"] <= viewport["height"], "must be on screen without scrolling"
    shoot(page, "scanner", width)
