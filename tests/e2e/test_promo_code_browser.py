"""A promo code in a real browser, at a phone's width and a desktop's: a wrong code is shown beside
its box (nothing reserved), a right one sends the buyer to the review step, which shows the
discount the server computed, and SumUp is asked for the discounted total.

Screenshots go to /tmp/shots-promo/ for a person to look at.
"""

import re
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.test_checkout_browser import WIDTHS, assert_accessible, open_browser
from tests.factories import make_event, make_event_page, ticket_types
from ticketing.models import Order, PromoCode

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/shots-promo")  # noqa: S108 - screenshots for a person, never read back


def shot(page, name):
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.fixture
def show(sumup_sandbox):
    event = make_event("Harbour Lights Festival", types=[("Adult", "24.00", 50), ("Child", "12.50", 50)])
    page = make_event_page(event)
    PromoCode.objects.create(code="LIGHTS20", event=event, kind=PromoCode.Kind.PERCENT, value=Decimal("20"))
    return sumup_sandbox.url + page.url, event


@pytest.mark.parametrize("device", WIDTHS)
def test_a_promo_code_is_checked_shown_on_the_review_step_and_charged(browser, show, device):
    url, event = show
    adult, child = ticket_types(event)
    context, page = open_browser(browser, WIDTHS[device])
    page.goto(url + "#tickets")
    page.fill(f'[name="quantity_{adult.pk}"]', "2")
    page.fill(f'[name="quantity_{child.pk}"]', "1")
    page.fill('[name="name"]', "Ann Example")
    page.fill('[name="email"]', "ann@example.com")
    page.check('[name="accept_terms"]')
    submit = page.locator("[data-checkout-submit]")
    expect(submit).to_have_text("Continue to payment")
    page.fill('[name="promo_code"]', "lights2O")  # a letter O for a zero
    # The discount is the server's: with a code typed, the form goes to the review step.
    expect(submit).to_have_text("Review your order")
    submit.click()

    summary = page.locator("#checkout-errors")
    expect(summary).to_contain_text("We don’t know the promo code LIGHTS2O")
    expect(page.locator("#id_promo_code_error")).to_contain_text("LIGHTS2O")
    expect(page.locator("#id_promo_code")).to_have_attribute(
        "aria-describedby", re.compile("id_promo_code_error")
    )
    page.locator("#id_promo_code").scroll_into_view_if_needed()
    shot(page, f"promo-refused-{device}")
    assert_accessible(page, "event page with a refused promo code")
    assert Order.objects.count() == 0

    page.fill('[name="promo_code"]', "lights20")
    page.check('[name="accept_terms"]')
    page.locator("[data-checkout-submit]").click()
    expect(page.locator("h1")).to_have_text("Review your order")
    expect(page.locator("[data-review-discount]")).to_contain_text("−£12.10")
    expect(page.locator("[data-review-total]")).to_have_text("£48.40")
    shot(page, f"promo-review-{device}")
    assert_accessible(page, "review step with a promo code")
    assert Order.objects.count() == 0, "nothing is reserved on the review page"

    page.click("text=Pay £48.40")
    expect(page).to_have_url(re.compile(r"/sandbox/sumup/pay/"))
    page.click("button:has-text('Pay')")
    expect(page.locator(".order")).to_have_attribute("data-state", "paid", timeout=15_000)
    order = Order.objects.get()
    assert order.total == Decimal("48.40") and order.payments.get().amount == Decimal("48.40")
    expect(page.locator("body")).to_contain_text("Promo code LIGHTS20")
    shot(page, f"promo-paid-{device}")
    context.close()
