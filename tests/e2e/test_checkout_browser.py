"""The checkout in a real browser at a phone's width and a desktop's: the live total, the review
step without JavaScript, a purchase by keyboard alone through the SumUp sandbox, and axe-core.

Screenshots go to /tmp/shots-checkout/ for a person to look at.
"""

import re
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.browser import DESKTOP_AGENT
from tests.factories import home_page, make_event, make_event_page, make_order, ticket_types
from ticketing.models import Order

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/shots-checkout")  # noqa: S108 - screenshots for a person, never read back
WIDTHS = {"phone": 390, "desktop": 1280}

# axe's "incomplete" results (needs review) that were looked at and are fine, with why. Any
# other one fails the test, as every violation does.
REVIEWED_INCOMPLETE = {
    # axe cannot compute the contrast of text over a gradient, an image or a translucent layer;
    # the hero's text is white on the deep-sea overlay and the badges use the checked tokens
    # in static/css/site.css (each at least 4.5:1, noted beside it).
    "color-contrast": "text over the hero's overlay or a badge: colours checked by hand in site.css",
}


def open_browser(browser, width, *, javascript=True):
    context = browser.new_context(
        user_agent=DESKTOP_AGENT, viewport={"width": width, "height": 900}, java_script_enabled=javascript
    )
    page = context.new_page()
    page.console_errors = []
    page.on("console", lambda msg: msg.type == "error" and page.console_errors.append(msg.text))
    return context, page


def shot(page, name):
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def assert_accessible(page, name):
    results = Axe().run(page, options={"resultTypes": ["violations", "incomplete"]}).response
    violations = [(v["id"], [n["target"] for n in v["nodes"]]) for v in results["violations"]]
    assert violations == [], f"{name}: {violations}"
    unexplained = [(i["id"], [n["target"] for n in i["nodes"]]) for i in results["incomplete"]]
    unexplained = [(rule, nodes) for rule, nodes in unexplained if rule not in REVIEWED_INCOMPLETE]
    assert unexplained == [], f"{name}: incomplete results nobody has reviewed: {unexplained}"


def tab_to(page, selector, presses=80):
    """Press Tab until `selector` has the focus, as a keyboard user would."""
    for _ in range(presses):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement && document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


@pytest.fixture
def show(sumup_sandbox):
    event = make_event("Harbour Lights Festival", types=[("Adult", "24.00", 50), ("Child", "12.50", 50)])
    page = make_event_page(event)
    return sumup_sandbox.url, sumup_sandbox.url + page.url, event


@pytest.mark.parametrize("device", WIDTHS)
def test_the_total_follows_the_quantities_as_they_change(browser, show, device):
    _, url, event = show
    adult, child = ticket_types(event)
    context, page = open_browser(browser, WIDTHS[device])
    page.goto(url + "#tickets")
    total = page.locator("[data-order-total]")
    expect(total).to_have_text("£0.00")

    page.fill(f'[name="quantity_{adult.pk}"]', "2")
    expect(total).to_have_text("£48.00")
    page.fill(f'[name="quantity_{child.pk}"]', "3")
    expect(total).to_have_text("£85.50")
    expect(page.locator("tr[data-ticket-line]").nth(1).locator("[data-line-total]")).to_have_text("£37.50")
    expect(page.locator("[data-checkout-submit]")).to_have_text("Continue to payment")
    page.locator("#tickets").scroll_into_view_if_needed()
    shot(page, f"event-live-total-{device}")
    assert_accessible(page, "event page")

    page.fill('[name="email"]', "ann@")
    page.click("[data-checkout-submit]")
    summary = page.locator("#checkout-errors")
    expect(summary).to_have_attribute("tabindex", "-1")
    expect(summary).to_contain_text("Please tell us your name.")
    expect(summary).to_contain_text("Please accept the Terms of Service")
    shot(page, f"event-errors-{device}")
    assert_accessible(page, "event page with errors")
    assert Order.objects.count() == 0
    # The form's own answer is a 400 (Chromium logs it); nothing else may fail.
    assert [e for e in page.console_errors if "status of 400" not in e] == []
    context.close()


@pytest.mark.parametrize("device", WIDTHS)
def test_without_javascript_the_review_step_shows_the_total_then_pays(browser, show, device):
    _, url, event = show
    adult, child = ticket_types(event)
    context, page = open_browser(browser, WIDTHS[device], javascript=False)
    page.goto(url)
    page.fill(f'[name="quantity_{adult.pk}"]', "1")
    page.fill(f'[name="quantity_{child.pk}"]', "2")
    page.fill('[name="name"]', "Ann Example")
    page.fill('[name="email"]', "ann@example.com")
    page.check('[name="accept_terms"]')
    page.click("text=Review your order")

    expect(page.locator("h1")).to_have_text("Review your order")
    expect(page.locator("[data-review-total]")).to_have_text("£49.00")
    shot(page, f"review-{device}")
    assert Order.objects.count() == 0, "nothing is reserved on the review page"
    page.click("text=Pay £49.00")

    expect(page).to_have_url(re.compile(r"/sandbox/sumup/pay/"))
    expect(page.locator(".merchant")).to_be_visible()
    page.click("button:has-text('Pay')")
    # The sandbox goes back to the shop by itself, as SumUp does (no script needed).
    expect(page.locator(".order")).to_have_attribute("data-state", "paid", timeout=15_000)
    assert Order.objects.get().total == 49
    context.close()


@pytest.mark.parametrize("device", WIDTHS)
def test_a_purchase_by_keyboard_alone_ends_paid(browser, show, device):
    base, url, event = show
    adult, _ = ticket_types(event)
    context, page = open_browser(browser, WIDTHS[device])
    page.goto(url)

    tab_to(page, f'[name="quantity_{adult.pk}"]')
    page.keyboard.type("2")
    tab_to(page, '[name="name"]')
    page.keyboard.type("Ann Example")
    tab_to(page, '[name="email"]')
    page.keyboard.type("ann@example.com")
    tab_to(page, '[name="accept_terms"]')
    page.keyboard.press("Space")
    expect(page.locator("[data-order-total]")).to_have_text("£48.00")
    tab_to(page, "[data-checkout-submit]")
    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(r"/sandbox/sumup/pay/"))
    tab_to(page, "button[value=pay]")
    page.keyboard.press("Enter")
    expect(page.locator(".order")).to_have_attribute("data-state", "paid", timeout=15_000)
    assert Order.objects.get().status == Order.Status.PAID
    shot(page, f"order-paid-{device}")
    assert_accessible(page, "order page")
    assert page.console_errors == []
    context.close()


def test_the_home_page_and_the_review_step_pass_axe(browser, show):
    base, url, event = show
    adult, _ = ticket_types(event)
    home_page()
    context, page = open_browser(browser, WIDTHS["desktop"])
    page.goto(base + "/")
    shot(page, "home-desktop")
    assert_accessible(page, "home page")

    # The review step, reached as a browser without the script would (step=review).
    page.goto(url)
    page.evaluate("document.querySelector('[data-checkout-step]').value = 'review'")
    page.fill(f'[name="quantity_{adult.pk}"]', "2")
    page.fill('[name="name"]', "Ann Example")
    page.fill('[name="email"]', "ann@example.com")
    page.check('[name="accept_terms"]')
    page.click("[data-checkout-submit]")
    expect(page.locator("h1")).to_have_text("Review your order")
    assert_accessible(page, "review step")
    context.close()


@pytest.mark.parametrize("device", WIDTHS)
def test_the_last_seats_gone_during_the_review_say_sold_out_and_offer_the_waiting_list(
    browser, sumup_sandbox, device
):
    event = make_event("Quayside Quartet", types=[("Standard", "18.00", 2)])
    event_page = make_event_page(event)
    (standard,) = ticket_types(event)
    context, page = open_browser(browser, WIDTHS[device], javascript=False)
    page.goto(sumup_sandbox.url + event_page.url)
    page.fill(f'[name="quantity_{standard.pk}"]', "2")
    page.fill('[name="name"]', "Ann Example")
    page.fill('[name="email"]', "ann@example.com")
    page.check('[name="accept_terms"]')
    page.click("text=Review your order")
    expect(page.locator("h1")).to_have_text("Review your order")
    make_order(event, {"Standard": 2}, email="quicker@example.com")  # someone else was quicker

    page.click("text=Pay £36.00")

    expect(page.locator("h1")).to_have_text("Quayside Quartet is sold out")
    expect(page.locator(".waiting-list-link")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTHS[device], "no sideways scrolling"
    shot(page, f"sold-out-{device}")
    assert Order.objects.count() == 1, "nothing was reserved for Ann"
    back = page.locator("text=Back to the event").get_attribute("href")
    assert back.endswith(event_page.url), back  # the event's public address, as in calendars
    context.close()
