"""A person on a phone (390 px wide) asks for their data in a real browser, and confirms by the link."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from legal.models import DataRequest

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def site_url(live_server, settings):
    settings.SITE_URL = live_server.url  # the e-mailed link points at the live server
    return live_server.url


def test_asking_for_a_copy_on_a_phone_from_the_footer_to_the_confirmed_request(page, site_url):
    page.set_viewport_size(PHONE)
    page.goto(site_url + "/legal/data-request/sent/")
    page.click("footer >> text=Your data")
    expect(page.locator("h1")).to_have_text("Your data")

    # Sent without an address or a choice: the summary of what to fix takes the focus.
    page.click("text=Send me the link")
    summary = page.locator("#data-request-errors")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Please give the e-mail address your request is about.")
    expect(summary).to_contain_text("Please choose what you would like us to do.")
    assert DataRequest.objects.count() == 0

    page.fill('[name="email"]', "ann@example.com")
    page.click("text=Send me a copy of my data")  # the label ticks its radio button
    expect(page.locator("#id_kind_export")).to_be_checked()
    # No part of the page is wider than the phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.click("text=Send me the link")
    expect(page.locator("h1")).to_have_text("Check your inbox")

    (message,) = mail.outbox
    link = re.search(rf"{re.escape(site_url)}/legal/data-request/confirm/[^/\s]+/", message.body).group(0)
    page.goto(link)
    expect(page.locator(".data-request-confirm")).to_have_attribute("data-state", "waiting")
    assert DataRequest.objects.get().status == DataRequest.Status.RECEIVED  # opening is not confirming
    page.click("text=Confirm my request")
    expect(page.locator("h1")).to_have_text("Request confirmed")
    request = DataRequest.objects.get()
    assert request.status == DataRequest.Status.CONFIRMED
    expect(page.locator("time")).to_have_attribute("datetime", f"{request.due_on:%Y-%m-%d}")
    # Only the deliberate 400 of the empty form (its response, and the console's word on it).
    expected = {
        f"400 {site_url}/legal/data-request/",
        "Failed to load resource: the server responded with a status of 400 (Bad Request)",
    }
    assert set(page.console_errors) <= expected
