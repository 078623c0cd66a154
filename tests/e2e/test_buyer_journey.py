"""The buyer's whole journey in a real browser over real HTTP, SumUp's part played by the sandbox."""

import re

import pytest
from playwright.sync_api import expect

from tests.factories import make_event, make_event_page, ticket_types
from ticketing.inventory import check_inventory
from ticketing.models import Order

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def event_url(sumup_sandbox):
    event = make_event("Harbour Lights Festival", types=[("Adult", "24.00", 50), ("Child", "12.00", 50)])
    page = make_event_page(event)
    return sumup_sandbox.url + page.url, event


def fill_checkout(page, event, adults=2, children=1):
    adult, child = ticket_types(event)
    page.fill(f'[name="quantity_{adult.pk}"]', str(adults))
    page.fill(f'[name="quantity_{child.pk}"]', str(children))
    page.fill('[name="name"]', "Ann Example")
    page.fill('[name="email"]', "ann@example.com")
    page.check('[name="accept_terms"]')
    page.click("text=Continue to payment")


def test_buy_pay_and_see_the_tickets(page, event_url):
    url, event = event_url
    page.goto(url)
    expect(page.locator("h1")).to_contain_text("Harbour Lights Festival")
    fill_checkout(page, event)
    expect(page).to_have_url(re.compile(r"/sandbox/sumup/pay/"))
    expect(page.locator(".amount")).to_contain_text("60.00")
    page.click("button:has-text('Pay')")
    expect(page.locator("h1")).to_contain_text("Payment successful")
    page.click("text=Back to merchant website")
    expect(page.locator(".order")).to_have_attribute("data-state", "paid")
    expect(page.locator("text=Payment received")).to_be_visible()
    order = Order.objects.get()
    assert order.status == Order.Status.PAID
    expect(page.locator(".ticket-list li")).to_have_count(3)
    assert check_inventory() == []
    assert page.console_errors == []


def test_decline_then_pay_again(page, event_url):
    url, event = event_url
    page.goto(url)
    fill_checkout(page, event, adults=1, children=0)
    page.click("button:has-text('Decline')")
    expect(page.locator("h1")).to_contain_text("Payment failed")
    page.click("text=Back to merchant website")
    expect(page.locator(".order")).to_have_attribute("data-state", "failed")
    expect(page.locator("text=did not go through")).to_be_visible()
    page.click("text=Try paying again")
    expect(page).to_have_url(re.compile(r"/sandbox/sumup/pay/"))
    page.click("button:has-text('Pay')")
    page.click("text=Back to merchant website")
    expect(page.locator(".order")).to_have_attribute("data-state", "paid")
    assert Order.objects.get().tickets.count() == 1


def test_form_errors_come_back_on_the_event_page(page, event_url):
    url, event = event_url
    page.goto(url)
    adult, _ = ticket_types(event)
    page.fill(f'[name="quantity_{adult.pk}"]', "1")
    page.fill('[name="name"]', "Ann Example")
    page.fill('[name="email"]', "ann@example")
    page.click("text=Continue to payment")
    expect(page.locator(".field-error", has_text="does not look right")).to_be_visible()
    expect(page.locator(".field-error", has_text="Please accept the Terms of Service")).to_be_visible()
    expect(page.locator('[name="name"]')).to_have_value("Ann Example")
    assert Order.objects.count() == 0
