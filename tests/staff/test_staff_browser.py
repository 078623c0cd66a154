"""In a real Chromium: the box office finds the scanner in the admin menu; door staff land on it."""

import os
import re

import pytest
from playwright.sync_api import expect

from tests.factories import make_staff

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# The groups' permissions, given directly: a transactional test empties the tables, and with
# them the groups the migrations made (their exact contents are test_staff_groups' concern).
BOX_OFFICE = (
    "access_admin",
    "view_order",
    "view_ticket",
    "view_buyeremail",
    "resend_tickets",
    "check_in_ticket",
)
DOOR_STAFF = ("access_admin", "check_in_ticket")
FINANCE = ("access_admin", "view_order", "view_payment", "view_refund", "refund_order")

# Set to a folder to keep screenshots of each page at a phone's and a desktop's width.
SHOTS = os.environ.get("STAFF_SCREENSHOTS")


def shoot(page, name):
    if SHOTS:
        for width in (390, 1280):
            page.set_viewport_size({"width": width, "height": 900})
            page.screenshot(path=f"{SHOTS}/{name}-{width}.png", full_page=True)
        page.set_viewport_size({"width": 1280, "height": 900})


def sign_in(page, base_url, username):
    page.goto(f"{base_url}/admin/login/")
    page.fill('input[name="username"]', username)
    page.fill('input[name="password"]', "staff-password-1")
    page.click('button[type="submit"]')


def test_the_box_office_opens_the_scanner_from_the_admin_menu(page, live_server):
    make_staff("counter", *BOX_OFFICE, password="staff-password-1")
    sign_in(page, live_server.url, "counter")
    page.wait_for_url(re.compile(r"/admin/$"))
    scanner = page.get_by_role("link", name="Check-in scanner")
    expect(scanner).to_be_visible()
    shoot(page, "box-office-dashboard")
    scanner.click()
    page.wait_for_url(re.compile(r"/tickets/check-in/$"))


def test_door_staff_land_on_the_scanner_and_finance_has_no_scanner_in_its_menu(page, live_server):
    make_staff("steward", *DOOR_STAFF, password="staff-password-1")
    sign_in(page, live_server.url, "steward")
    page.wait_for_url(re.compile(r"/tickets/check-in/$"))
    shoot(page, "door-staff-landing")

    page.context.clear_cookies()
    make_staff("accounts", *FINANCE, password="staff-password-1")
    sign_in(page, live_server.url, "accounts")
    page.wait_for_url(re.compile(r"/admin/$"))
    expect(page.get_by_role("button", name="Ticketing")).to_be_visible()
    expect(page.get_by_role("link", name="Check-in scanner")).to_have_count(0)
    shoot(page, "finance-dashboard")
