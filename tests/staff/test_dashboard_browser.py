"""In a real Chromium: finance's dashboard draws each upcoming event's sales and its chart, at a
phone's width and a desktop's, with no error (the admin's CSP lets the static stylesheet in)."""

import os
import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.factories import make_event, make_paid_order, make_staff
from ticketing.models import Order

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# The Finance group's permissions, given directly: a transactional test empties the tables, and
# with them the groups the migrations made.
FINANCE = ("access_admin", "view_order", "view_payment", "view_refund", "refund_order")

# Set to a folder to keep screenshots of the dashboard at a phone's and a desktop's width.
SHOTS = os.environ.get("STAFF_SCREENSHOTS")


def test_finance_sees_the_sales_chart_at_a_phone_and_a_desktop_width(page, live_server):
    event = make_event("Harbour Jazz Night", types=(("Standard", "12.50", 100), ("Balcony", "8.00", 40)))
    for n, days_ago in enumerate((0, 0, 1, 3, 3, 3, 6, 10)):
        order = make_paid_order(
            event, {"Standard": 1 + n % 3}, email=f"fan.{chr(97 + n)}@example.com", ip=f"198.51.100.{n + 1}"
        )
        Order.objects.filter(pk=order.pk).update(paid_at=timezone.now() - timedelta(days=days_ago))
    make_event("New Year Ceilidh", capacity=200, starts_at=timezone.now() + timedelta(days=29))
    make_staff("money", *FINANCE, password="staff-password-1")
    page.goto(f"{live_server.url}/admin/login/")
    page.fill('input[name="username"]', "money")
    page.fill('input[name="password"]', "staff-password-1")
    page.click('button[type="submit"]')
    page.wait_for_url(re.compile(r"/admin/$"))

    for width in (390, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        panel = page.get_by_role("region", name="Sales of upcoming events")
        expect(panel).to_contain_text("Harbour Jazz Night")
        expect(panel).to_contain_text("New Year Ceilidh")
        chart = panel.locator(".sales__chart svg").first
        box = chart.bounding_box()
        assert box and box["width"] > 200 and box["height"] > 30
        tallest = max(rect.bounding_box()["height"] for rect in chart.locator("rect").all())
        assert tallest > 30, "the busiest day's bar should fill the chart"
        # The figures sit side by side (the stylesheet loaded), wrapping on a phone.
        assert panel.locator(".sales__figures").first.evaluate("e => getComputedStyle(e).display") == "flex"
        if SHOTS:
            page.screenshot(path=f"{SHOTS}/dashboard-sales-{width}.png", full_page=True)
    # Wagtail's account avatar asks Gravatar, which the admin's CSP refuses: not this panel's.
    assert not [error for error in page.console_errors if "gravatar.com" not in error]
