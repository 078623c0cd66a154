"""Staff sign-in in a real Chromium: a Finance member sets up two-factor sign-in by reading the
key off the page and typing the code an authenticator app would show; wrong passwords end on the
lock-out page. Screenshots of both pages, at a phone's width and a desktop's, go to
the temporary folder's shots-adminguard/ for a person to look at."""

import base64
import os
import re
import tempfile
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django_otp.oath import totp
from playwright.sync_api import expect

from tests.browser import DESKTOP_AGENT
from tests.factories import make_staff

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# Screenshots for a person to look at: SCREENSHOT_DIR, or shots-adminguard in the temporary folder.
SHOTS = Path(os.environ.get("SCREENSHOT_DIR") or Path(tempfile.gettempdir()) / "shots-adminguard")
PASSWORD = "harbour-lights-2026"


def shoot(page, name):
    SHOTS.mkdir(exist_ok=True)
    for width in (390, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)


def sign_in(page, base_url, username, password):
    page.goto(f"{base_url}/admin/login/")
    page.fill('input[name="username"]', username)
    page.fill('input[name="password"]', password)
    page.click('button[type="submit"]')


def test_a_finance_member_sets_up_two_factor_and_reaches_the_dashboard(page, live_server):
    Group.objects.get_or_create(name="Finance")
    make_staff("fiona.ledger", "access_admin", groups=("Finance",), password=PASSWORD)
    sign_in(page, live_server.url, "fiona.ledger", PASSWORD)
    page.wait_for_url(re.compile(r"/admin/2fa/setup/"))
    expect(page.locator("h1")).to_have_text("Set up two-factor sign-in")
    expect(page.locator("img.two-factor-qr")).to_be_visible()
    shoot(page, "two-factor-setup")

    typed_key = page.locator(".two-factor-secret").inner_text()
    key = base64.b32decode(typed_key.replace(" ", ""))
    page.fill('input[name="code"]', f"{totp(key, step=30, t0=0, digits=6):06d}")
    page.click('button[type="submit"]')
    page.wait_for_url(re.compile(r"/admin/$"))
    expect(page.locator("body")).to_contain_text("Two-factor sign-in is on")
    expect(page.locator("h1").first).to_contain_text("Jersey Events")


def test_wrong_passwords_end_on_the_lock_out_page(browser, live_server):
    make_staff("boxoffice", "access_admin", password=PASSWORD)
    context = browser.new_context(user_agent=DESKTOP_AGENT, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        for _ in range(settings.AXES_FAILURE_LIMIT - 1):
            sign_in(page, live_server.url, "boxoffice", "not-the-password")
            expect(page.locator(".messages")).to_contain_text("didn't match")
        sign_in(page, live_server.url, "boxoffice", "not-the-password")
        expect(page.locator("h1")).to_have_text("Sign-in paused")
        expect(page.locator("body")).to_contain_text(
            f"paused for {settings.ADMIN_LOGIN_COOLOFF_MINUTES} minutes"
        )
        shoot(page, "sign-in-locked")
        # The right password meanwhile: still paused.
        sign_in(page, live_server.url, "boxoffice", PASSWORD)
        expect(page.locator("h1")).to_have_text("Sign-in paused")
    finally:
        context.close()
