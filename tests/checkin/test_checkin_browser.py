"""The check-in page in a real Chromium: a USB scanner (typing + Enter) gets green, then red."""

import re

import pytest
from playwright.sync_api import expect

from tests.factories import make_staff

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def record_accessibility_issues(page):
    """Wagtail's userbar runs axe on every page a signed-in editor sees and logs what it finds."""
    issues = []

    def on_console(message):
        if message.text.startswith("axe.run results"):
            for violation in message.args[1].json_value():
                issues.extend((violation["id"], node["html"]) for node in violation["nodes"])

    page.on("console", on_console)
    return issues


def sign_in_at_the_door(page, base_url, username, password):
    """Sign in to the admin as door staff, who land on the scanner's list of events."""
    page.goto(f"{base_url}/admin/login/")
    page.fill('input[name="username"]', username)
    page.fill('input[name="password"]', password)
    page.click('button[type="submit"]')
    page.wait_for_url(re.compile(r"/tickets/check-in/$"))


def test_typing_codes_admits_then_refuses(page, live_server, order, event):
    make_staff("door", "check_in_ticket", "access_admin", password="door-password-1")
    accessibility_issues = record_accessibility_issues(page)
    sign_in_at_the_door(page, live_server.url, "door", "door-password-1")
    page.click(f"text={event.title}")
    expect(page.locator("h1")).to_have_text(event.title)

    ticket = order.tickets.order_by("id").first()
    result = page.locator("[data-checkin-result]")
    code_input = page.locator('input[name="code"]')
    expect(code_input).to_be_focused()

    # A USB scanner types the code, then Enter; the answer comes back in place (checkin.js).
    page.keyboard.type(ticket.display_code.lower())
    page.keyboard.press("Enter")
    expect(result).to_have_class(re.compile("checkin-result--admit"))
    expect(result.locator("[data-headline]")).to_have_text(f"Admit — {ticket.ticket_type.name}")
    expect(result.locator("[data-detail]")).to_have_text(f"Order {order.reference}")
    expect(page.locator("[data-checked-in]")).to_have_text("1")
    expect(code_input).to_have_value("")
    expect(code_input).to_be_focused()

    page.keyboard.type(ticket.code)
    page.keyboard.press("Enter")
    expect(result).to_have_class(re.compile("checkin-result--refuse"))
    expect(result).to_contain_text("Already checked in at")
    expect(page.locator("[data-checked-in]")).to_have_text("1")
    assert page.url.endswith(f"/tickets/check-in/{event.pk}/")  # answered in place, no reload
    # Nothing refused by the Content-Security-Policy, and no accessibility issue in the page's
    # own content (the shared footer's are base.html's, reported separately).
    page.wait_for_timeout(1000)  # axe runs once the page has settled; it logs only problems
    assert [e for e in page.console_errors if not e.startswith("axe.run results")] == []
    assert [issue for issue in accessibility_issues if "site-footer" not in issue[1]] == []


def test_without_javascript_the_form_still_works(browser, live_server, order, event):
    from tests.browser import DESKTOP_AGENT

    make_staff("door", "check_in_ticket", "access_admin", password="door-password-1")
    context = browser.new_context(user_agent=DESKTOP_AGENT, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/admin/login/?next=/tickets/check-in/{event.pk}/")
        page.fill('input[name="username"]', "door")
        page.fill('input[name="password"]', "door-password-1")
        page.click('button[type="submit"]')
        page.wait_for_url(re.compile(rf"/tickets/check-in/{event.pk}/$"))
        page.fill('input[name="code"]', order.tickets.first().display_code)
        page.click("button:has-text('Check')")
        expect(page.locator("[data-checkin-result]")).to_have_class(re.compile("checkin-result--admit"))
    finally:
        context.close()
