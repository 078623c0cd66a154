"""The cookie banner in a real Chromium: reached and answered with the keyboard, its two answers
equally prominent, working with JavaScript off, and never in the way of the checkout on a phone.

Screenshots of the notice and of the choice, at 390 and 1280 pixels wide, are saved in each
test's tmp_path (run with --basetemp to keep them somewhere to look at).
"""

import pytest
from playwright.sync_api import expect

from tests.browser import DESKTOP_AGENT
from tests.factories import make_event, make_event_page
from tests.legal.helpers import cookie_banner, enable_analytics, publish_legal_page

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
STYLES = (
    "background-color",
    "color",
    "font-size",
    "font-weight",
    "border-top-width",
    "border-radius",
    "padding-top",
)


@pytest.fixture
def event_url(live_server):
    event_page = make_event_page(make_event("Banner Night", types=[("Standard", "10.00", 20)]))
    cookie_banner(policy_page=publish_legal_page("cookies", version="2026-12"))
    return f"{live_server.url}{event_page.url}"


def banner(page):
    return page.get_by_role("region", name="Cookies on Jersey Events")


def test_the_choice_is_reached_with_tab_and_answered_with_enter(page, event_url):
    enable_analytics()
    page.goto(event_url)
    expect(banner(page)).to_be_visible()
    accept = banner(page).get_by_role("button", name="Accept analytics")
    for _ in range(6):  # the skip link, the Cookie Policy link, then the banner's buttons
        page.keyboard.press("Tab")
        if accept.evaluate("button => button === document.activeElement"):
            break
    expect(accept).to_be_focused()
    assert accept.evaluate("b => getComputedStyle(b).outlineStyle") != "none"  # focus is visible
    page.keyboard.press("Tab")
    expect(banner(page).get_by_role("button", name="Reject non-essential")).to_be_focused()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Enter")
    page.wait_for_url(event_url)
    expect(banner(page)).to_have_count(0)
    expect(page.locator('script[src="https://plausible.io/js/script.js"]')).to_have_count(1)


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_accept_and_reject_are_equally_prominent(page, event_url, viewport, tmp_path):
    enable_analytics()
    page.set_viewport_size(viewport)
    page.goto(event_url)
    accept = banner(page).get_by_role("button", name="Accept analytics")
    reject = banner(page).get_by_role("button", name="Reject non-essential")
    accept_box, reject_box = accept.bounding_box(), reject.bounding_box()
    assert abs(accept_box["width"] - reject_box["width"]) < 1
    assert abs(accept_box["height"] - reject_box["height"]) < 1
    style = "(b, names) => names.map(name => getComputedStyle(b).getPropertyValue(name))"
    assert accept.evaluate(style, list(STYLES)) == reject.evaluate(style, list(STYLES))
    page.screenshot(path=tmp_path / f"choice-{viewport['width']}.png", full_page=False)


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_notice_has_one_ok_and_scrolls_away_from_the_checkout_on_a_phone(
    page, event_url, viewport, tmp_path
):
    page.set_viewport_size(viewport)
    page.goto(event_url)
    expect(banner(page).get_by_role("button")).to_have_count(1)
    expect(banner(page).get_by_role("button", name="OK")).to_be_visible()
    page.screenshot(path=tmp_path / f"notice-{viewport['width']}.png", full_page=False)
    pay = page.get_by_role("button", name="Continue to payment")
    pay.scroll_into_view_if_needed()
    # What is drawn at the button's centre is the button, not the banner over it.
    on_top = pay.evaluate(
        """b => { const r = b.getBoundingClientRect();
                 const hit = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);
                 return b.contains(hit); }"""
    )
    assert on_top


def test_with_javascript_off_the_choice_still_works(browser, event_url, live_server, tmp_path):
    enable_analytics()
    context = browser.new_context(user_agent=DESKTOP_AGENT, java_script_enabled=False, viewport=DESKTOP)
    try:
        page = context.new_page()
        page.goto(event_url)
        banner(page).get_by_role("button", name="Reject non-essential").click()
        page.wait_for_url(event_url)
        expect(banner(page)).to_have_count(0)
        assert "plausible.io" not in page.content()
        (consent,) = [c for c in context.cookies() if c["name"] == "cookie_consent"]
        assert consent["value"] == "necessary:1" and consent["httpOnly"]

        page.goto(f"{live_server.url}/legal/cookies/")
        page.get_by_role("button", name="Accept analytics").click()
        expect(page.get_by_role("status")).to_contain_text("analytics accepted")
        for viewport in (PHONE, DESKTOP):
            page.set_viewport_size(viewport)
            page.screenshot(path=tmp_path / f"settings-{viewport['width']}.png", full_page=True)
    finally:
        context.close()
