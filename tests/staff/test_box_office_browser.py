"""In a real Chromium, a day at the box office and in finance: find an order by the buyer's
e-mail, resend its tickets, print the door list; then refund one ticket through SumUp (the
sandbox). Screenshots at 1280 px go to STAFF_SCREENSHOTS when it is set."""

import os
import re

import pytest
from django.core import mail
from django.urls import reverse
from playwright.sync_api import expect

from sumup_sandbox import state as sandbox
from tests.factories import buy, make_staff
from ticketing.models import Order, Refund

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# The groups' permissions, given directly: a transactional test empties the tables, and with
# them the groups the migrations made (their contents are test_staff_groups' concern).
BOX_OFFICE = (
    "access_admin",
    "view_order",
    "view_ticket",
    "view_buyeremail",
    "resend_tickets",
    "check_in_ticket",
)
FINANCE = ("access_admin", "view_order", "view_payment", "view_refund", "refund_order")
SHOTS = os.environ.get("STAFF_SCREENSHOTS")


def shoot(page, name):
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/{name}-1280.png", full_page=True)


def sign_in(page, base_url, username):
    page.goto(f"{base_url}/admin/login/")
    page.fill('input[name="username"]', username)
    page.fill('input[name="password"]', "staff-password-1")
    page.click('button[type="submit"]')
    page.wait_for_url(re.compile(r"/admin/$"))


@pytest.fixture
def paid_order(buyer, event):
    """Ann's paid order for Jazz Night (two adults, one child), paid on SumUp's sandbox."""
    payment = buy(buyer, event, email="ann.buyer@example.com")
    sandbox.press(payment.checkout_id, "pay", notify=False)
    # The buyer comes back from SumUp: the order page asks SumUp and confirms the payment.
    assert buyer.get(reverse("ticketing:order", args=[payment.order.token])).status_code == 200
    order = Order.objects.get(pk=payment.order_id)
    assert order.status == Order.Status.PAID
    mail.outbox.clear()
    return order


def test_the_box_office_finds_an_order_by_email_resends_it_and_prints_the_door_list(
    page, live_server, paid_order
):
    make_staff("counter", *BOX_OFFICE, password="staff-password-1")
    sign_in(page, live_server.url, "counter")

    page.goto(f"{live_server.url}/admin/ticketing/order/?q=ann.buyer%40example.com")
    row = page.get_by_role("row").filter(has_text=paid_order.reference)
    expect(row).to_have_count(1)
    shoot(page, "box-office-order-search")
    row.get_by_role("link").first.click()
    expect(page.get_by_text(paid_order.reference).first).to_be_visible()
    shoot(page, "box-office-order")

    page.get_by_role("link", name="Resend tickets").click()
    page.get_by_role("button", name="Yes, resend the tickets").click()
    expect(page.get_by_text(re.compile("e-mailed|resent|sent", re.I)).first).to_be_visible()
    assert [message.to for message in mail.outbox] == [["ann.buyer@example.com"]]

    page.goto(f"{live_server.url}/admin/ticketing/attendees/")
    page.get_by_role("link", name=re.compile("Door list")).first.click()
    door_list = page.locator(".door-list__table")
    expect(door_list).to_contain_text("Ann Example")
    assert door_list.locator("tbody tr").count() == 3  # one line a ticket, to tick at the door
    page.emulate_media(media="print")
    shoot(page, "box-office-door-list-printed")
    expect(page.locator("nav, .sidebar").first).to_be_hidden()
    page.emulate_media(media="screen")


def test_finance_refunds_one_ticket_of_an_order(page, live_server, paid_order):
    make_staff("accounts", *FINANCE, password="staff-password-1")
    sign_in(page, live_server.url, "accounts")
    child = paid_order.tickets.get(ticket_type__name="Child")

    page.goto(f"{live_server.url}/admin/ticketing/order/inspect/{paid_order.pk}/")
    page.get_by_role("link", name="Refund").click()
    page.locator(f'input[name="tickets"][value="{child.pk}"]').check()
    page.fill('input[name="reason"]', "Child unwell")
    shoot(page, "finance-refund-choose")
    page.get_by_role("button", name="Review the refund").click()
    page.get_by_role("button", name=re.compile(r"Yes, refund £7\.50")).click()
    shoot(page, "finance-refund-done")

    paid_order.refresh_from_db()
    assert paid_order.status == Order.Status.PARTIALLY_REFUNDED
    refund = Refund.objects.get(payment__order=paid_order)
    assert (refund.status, str(refund.amount), list(refund.tickets.all())) == (
        Refund.Status.SUCCEEDED,
        "7.50",
        [child],
    )
