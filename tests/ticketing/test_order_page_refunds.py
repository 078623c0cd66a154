"""After a refund the buyer's order page and refund e-mail tell the truth: what was refunded and
when, which tickets, what the order now comes to and which tickets still admit.

Orders are bought and paid over the real path and refunded through the refund service against
the SumUp sandbox (on the live server), as staff refunds are made; a refund whose answer is lost
is the sandbox holding SumUp's answer back.
"""

from decimal import Decimal

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from sumup_sandbox import faults
from sumup_sandbox import state as sandbox
from tests.factories import buy, make_event, make_paid_order, make_refund
from tests.payments.helpers import callback_body, deliver
from ticketing.models import Order, Ticket
from ticketing.payments import refunds

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def paid(buyer, event, sumup_sandbox):
    """Two adults at £20.00 and a child at £7.50 (£47.50), bought and paid through the sandbox."""
    payment = buy(buyer, event)
    sandbox.press(payment.checkout_id, "pay", notify=False)
    deliver(sumup_sandbox.url, callback_body(payment.checkout_id))
    order = Order.objects.get(pk=payment.order_id)
    assert order.status == Order.Status.PAID
    mail.outbox.clear()
    return order


def tickets_of(order, type_name=None):
    tickets = Ticket.objects.filter(order=order).select_related("ticket_type").order_by("pk")
    return list(tickets.filter(ticket_type__name=type_name) if type_name else tickets)


def order_page(client, order) -> str:
    response = client.get(reverse("ticketing:order", args=[order.token]))
    assert response.status_code == 200
    return response.content.decode()


def admitting_section(html: str) -> str:
    """The list of tickets the page says still admit ("" when it lists none)."""
    start = html.find("data-admitting")
    return html[start : html.index("</ul>", start)] if start >= 0 else ""


def refund_email():
    (message,) = [m for m in mail.outbox if "refund" in m.subject.lower()]
    (html,) = [content for content, _ in message.alternatives]
    return message.body, html


def today() -> str:
    return timezone.localtime().strftime("%-d %B %Y")


def test_after_a_partial_refund_the_page_lists_the_refund_and_the_tickets_that_still_admit(buyer, paid):
    adult, other_adult = tickets_of(paid, "Adult")
    (child,) = tickets_of(paid, "Child")

    refund = refunds.execute(refunds.plan_ticket_refund(paid, [adult]))
    assert refund.status == "succeeded"

    html = order_page(buyer, paid)
    assert "you're going" not in html
    assert "Part of this order has been refunded." in html
    assert f"£20.00 refunded</strong> on {today()}" in html
    assert adult.display_code in html.split("<h2>Refunds</h2>")[1].split("</ul>")[0]
    admitting = admitting_section(html)
    assert other_adult.display_code in admitting and child.display_code in admitting
    assert adult.display_code not in admitting
    assert 'Paid after refunds</th><td class="num">£27.50' in html
    assert "your order now comes to £27.50" in html

    text, email_html = refund_email()
    for body in (text, email_html):
        assert adult.display_code in body
        assert "£27.50" in body


def test_a_full_refund_says_so_with_its_amount_and_date(buyer, paid):
    refunds.execute(refunds.plan_ticket_refund(paid))

    html = order_page(buyer, paid)
    assert "This order has been refunded in full." in html
    assert f"£47.50 was refunded to the card you paid with on {today()}" in html
    assert 'Paid after refunds</th><td class="num">£0.00' in html
    assert admitting_section(html) == "" and "Show my tickets" not in html
    for ticket in tickets_of(paid):
        assert ticket.display_code in html  # named under the refund that voided it


def test_a_refund_in_two_parts_is_listed_part_by_part(buyer, paid):
    (child,) = tickets_of(paid, "Child")
    refunds.execute(refunds.plan_ticket_refund(paid, [child]))
    refunds.execute(refunds.plan_ticket_refund(paid))

    html = order_page(buyer, paid)
    assert "This order has been refunded in full." in html
    assert html.count('data-refund="made"') == 2
    assert "£7.50 refunded" in html and "£40.00 refunded" in html
    assert "£47.50 was refunded" in html and "the last part on" in html


def test_a_refund_whose_answer_is_lost_shows_as_being_processed_not_as_made(buyer, paid, settings):
    settings.SUMUP_TIMEOUT_SECONDS = 1
    (child,) = tickets_of(paid, "Child")
    faults.lose_refund_answers(1, then_go_down=True)
    try:
        with pytest.raises(refunds.RefundOutcomeUnknown):
            refunds.execute(refunds.plan_ticket_refund(paid, [child]))

        html = order_page(buyer, paid)
    finally:
        faults.reset()
    assert "A refund on this order is being processed." in html
    assert 'data-refund="processing"' in html and 'data-refund="made"' not in html
    assert "£7.50 being processed" in html and "£7.50 refunded" not in html
    assert child.display_code not in admitting_section(html)  # the door refuses it meanwhile
    assert 'Paid after refunds</th><td class="num">£47.50' in html  # nothing counted as given back yet
    assert not [m for m in mail.outbox if "refund" in m.subject.lower()]

    tickets = buyer.get(reverse("ticketing:tickets", args=[paid.token])).content.decode()
    assert "Refund being processed — this ticket will not admit." in tickets


@pytest.mark.django_db(transaction=False)
def test_the_order_page_runs_in_the_same_number_of_queries_however_many_refunds(client):
    """One refunded ticket of two, against eight refunds of a ten-ticket order."""
    event = make_event("Harbour Jazz", types=[("Adult", "20.00", 50)])
    small = make_paid_order(event, {"Adult": 2})
    make_refund(small, tickets=tickets_of(small)[:1])
    large = make_paid_order(event, {"Adult": 10}, email="bob@example.com")
    for ticket in tickets_of(large)[:8]:
        make_refund(large, tickets=[ticket])
    assert large.payments.get().refunds.count() == 8

    order_page(client, small)  # the site's settings, read once per process and cached
    counts = []
    for order in (small, large):
        with CaptureQueriesContext(connection) as queries:
            order_page(client, order)
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
    assert Decimal("0") < Order.objects.get(pk=large.pk).total
