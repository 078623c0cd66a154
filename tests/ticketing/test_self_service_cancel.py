"""A buyer cancels chosen tickets from their order page, within the event's policy: the page
confirms the refund first, the refund goes through the refund service to the SumUp sandbox over
HTTP, the seats go back on sale at once and the refund e-mail goes through the outbox. Outside
the policy, or for a ticket that was used or refunded, nothing is offered and a forged POST
changes nothing. Two cancellations at once make one refund.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from sumup_sandbox import state as sandbox
from tests.concurrency import run_concurrently
from tests.factories import buy, make_staff
from tests.payments.helpers import callback_body, deliver
from ticketing import checkin, self_service
from ticketing.models import BuyerEmail, Event, Order, Refund, Ticket, TicketType
from ticketing.payments import refunds, sumup

pytestmark = pytest.mark.django_db(transaction=True)


def set_policy(event, *, days=7, fee="0.00"):
    Event.objects.filter(pk=event.pk).update(buyer_cancel_days=days, buyer_cancel_fee=Decimal(fee))
    event.refresh_from_db()


@pytest.fixture
def paid(buyer, event, sumup_sandbox):
    """Two adults at £20.00 and a child at £7.50 (£47.50), bought and paid through the sandbox;
    the event (in three weeks) lets buyers cancel until 7 days before, keeping £1.50 a ticket."""
    set_policy(event, days=7, fee="1.50")
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


def order_url(order):
    return reverse("ticketing:order", args=[order.token])


def cancel_url(order):
    return reverse("ticketing:cancel-tickets", args=[order.token])


def post_cancel(client, order, tickets, step="confirm"):
    ids = [str(ticket.pk) if isinstance(ticket, Ticket) else ticket for ticket in tickets]
    return client.post(cancel_url(order), {"ticket": ids, "step": step})


def sold(type_name):
    return TicketType.objects.get(name=type_name).sold


def nothing_changed(order, before_sold):
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert not Refund.objects.filter(payment__order=order).exists()
    assert Ticket.objects.filter(order=order, voided_at__isnull=False).count() == 0
    assert sold("Adult") == before_sold
    assert not [m for m in mail.outbox if "refund" in m.subject.lower()]


# --- Offered, confirmed, refunded --------------------------------------------------------------


def test_the_order_page_offers_the_valid_tickets_with_the_policy(buyer, paid):
    html = buyer.get(order_url(paid)).content.decode()

    assert 'id="cancel"' in html
    for ticket in tickets_of(paid):
        assert f'name="ticket" value="{ticket.pk}"' in html
    assert "a fee of £1.50 per ticket is kept" in html


def test_the_confirmation_shows_the_refund_and_changes_nothing(buyer, paid):
    adult = tickets_of(paid, "Adult")[0]
    response = post_cancel(buyer, paid, [adult], step="review")

    assert response.status_code == 200
    html = response.content.decode()
    assert "Cancel 1 ticket?" in html
    assert "Cancellation fee" in html and "-£1.50" in html
    assert "Cancel and refund £18.50" in html
    assert adult.display_code in html
    nothing_changed(paid, before_sold=2)


def test_confirmed_the_tickets_are_refunded_less_the_fee_and_the_seats_released(buyer, paid):
    adult = tickets_of(paid, "Adult")[0]
    (child,) = tickets_of(paid, "Child")

    response = post_cancel(buyer, paid, [adult, child])

    assert response.status_code == 303
    assert response["Location"] == order_url(paid) + "?done=cancelled"
    refund = Refund.objects.get(payment__order=paid)
    assert refund.kind == Refund.Kind.BUYER
    assert refund.status == Refund.Status.SUCCEEDED
    assert refund.amount == Decimal("24.50")  # 20.00 + 7.50 less 2 × 1.50
    assert set(refund.tickets.all()) == {adult, child}
    # SumUp (the sandbox, asked over HTTP) refunded exactly that.
    assert sumup.refunded_amount(refund.payment.transaction_id) == Decimal("24.50")
    paid.refresh_from_db()
    assert paid.status == Order.Status.PARTIALLY_REFUNDED
    assert Ticket.objects.filter(pk__in=[adult.pk, child.pk], voided_at__isnull=False).count() == 2
    assert (sold("Adult"), sold("Child")) == (1, 0)  # back on sale at once
    # The refund e-mail went through the outbox and names the tickets.
    notice = BuyerEmail.objects.get(order=paid, kind=BuyerEmail.Kind.REFUND, refund=refund)
    assert notice.status == BuyerEmail.Status.SENT
    (message,) = [m for m in mail.outbox if "refund" in m.subject.lower()]
    assert message.to == [paid.email]
    assert adult.display_code in message.body and child.display_code in message.body
    assert "£24.50" in message.body
    assert "You cancelled tickets on your order page" in message.body

    html = buyer.get(response["Location"]).content.decode()
    assert "Your tickets are cancelled" in html
    assert "£24.50 refunded" in html
    assert f'name="ticket" value="{adult.pk}"' not in html  # no longer offered


def test_cancelling_every_ticket_refunds_the_order(buyer, paid):
    response = post_cancel(buyer, paid, tickets_of(paid))

    assert response.status_code == 303
    paid.refresh_from_db()
    assert paid.status == Order.Status.REFUNDED
    assert Refund.objects.get(payment__order=paid).amount == Decimal("43.00")  # 47.50 less 3 × 1.50
    assert (sold("Adult"), sold("Child")) == (0, 0)
    assert "has been refunded in full" in buyer.get(order_url(paid)).content.decode()


def test_without_a_fee_the_whole_price_comes_back(buyer, paid):
    set_policy(paid.event, days=7, fee="0.00")
    adult = tickets_of(paid, "Adult")[0]

    assert post_cancel(buyer, paid, [adult]).status_code == 303
    assert Refund.objects.get(payment__order=paid).amount == Decimal("20.00")


def test_the_fee_is_never_more_than_the_ticket(paid):
    set_policy(paid.event, days=7, fee="10.00")
    paid.refresh_from_db()
    (child,) = tickets_of(paid, "Child")

    offer = self_service.quote(paid, [child.pk])

    assert (offer.price, offer.fee, offer.refund) == (Decimal("7.50"), Decimal("7.50"), Decimal("0.00"))


# --- Not offered, and refused when forged -----------------------------------------------------


def test_after_the_deadline_nothing_is_offered_and_a_forged_post_is_refused(buyer, paid):
    set_policy(paid.event, days=30)  # the event is three weeks away: the deadline has passed
    adult = tickets_of(paid, "Adult")[0]

    assert 'id="cancel"' not in buyer.get(order_url(paid)).content.decode()
    response = post_cancel(buyer, paid, [adult])

    assert response.status_code == 403
    assert "can no longer be cancelled" in response.content.decode()
    nothing_changed(paid, before_sold=2)


def test_an_event_without_a_policy_offers_nothing_and_refuses(buyer, paid):
    set_policy(paid.event, days=None)
    adult = tickets_of(paid, "Adult")[0]

    assert 'id="cancel"' not in buyer.get(order_url(paid)).content.decode()
    assert post_cancel(buyer, paid, [adult]).status_code == 403
    assert post_cancel(buyer, paid, [adult], step="review").status_code == 403
    nothing_changed(paid, before_sold=2)


def test_a_checked_in_ticket_is_not_offered_and_cannot_be_cancelled(buyer, paid):
    adult, other = tickets_of(paid, "Adult")
    door = make_staff("door", "check_in_ticket")
    assert checkin.check_in(adult.code, paid.event, door).admitted

    html = buyer.get(order_url(paid)).content.decode()
    assert f'name="ticket" value="{adult.pk}"' not in html
    assert f'name="ticket" value="{other.pk}"' in html
    response = post_cancel(buyer, paid, [adult])

    assert response.status_code == 409
    nothing_changed(paid, before_sold=2)


def test_a_refunded_ticket_cannot_be_cancelled_again(buyer, paid):
    adult = tickets_of(paid, "Adult")[0]
    refunds.execute(refunds.plan_ticket_refund(paid, [adult]))
    mail.outbox.clear()

    response = post_cancel(buyer, paid, [adult])

    assert response.status_code == 409
    assert Refund.objects.filter(payment__order=paid).count() == 1
    assert sold("Adult") == 1


def test_another_orders_ticket_and_junk_are_refused(buyer, paid, event):
    other_payment = buy(buyer, event, adult=1, child=0, email="bob@example.com")
    other_ticket_id = 10**9  # no such ticket at all
    for tickets, status in [
        ([other_ticket_id], 409),
        (["abc"], 400),
        (["1; DROP TABLE"], 400),
        ([], 400),
    ]:
        response = post_cancel(buyer, paid, tickets)
        assert response.status_code == status, tickets
    assert other_payment.order.status == Order.Status.PENDING
    nothing_changed(paid, before_sold=3)


def test_a_get_of_the_cancel_address_is_refused(buyer, paid):
    assert buyer.get(cancel_url(paid)).status_code == 405
    assert buyer.post(reverse("ticketing:cancel-tickets", args=["no-such-order"]), {}).status_code == 404


def test_the_cancel_post_is_rate_limited_per_order(buyer, paid, settings):
    settings.ORDER_CHANGES_RATE_LIMIT_PER_ORDER = "2/d"
    adult = tickets_of(paid, "Adult")[0]

    assert post_cancel(buyer, paid, [adult], step="review").status_code == 200
    assert post_cancel(buyer, paid, [adult], step="review").status_code == 200
    assert post_cancel(buyer, paid, [adult]).status_code == 429
    nothing_changed(paid, before_sold=2)


def test_a_cancelled_event_offers_nothing(buyer, paid):
    Event.objects.filter(pk=paid.event_id).update(status=Event.Status.CANCELLED)

    assert 'id="cancel"' not in buyer.get(order_url(paid)).content.decode()
    assert post_cancel(buyer, paid, tickets_of(paid)[:1]).status_code == 403


def test_the_policy_is_read_at_the_deadline(paid):
    deadline = self_service.cancel_deadline(paid.event)
    assert deadline == paid.event.starts_at - timedelta(days=7)
    assert self_service.cancellable_tickets(paid, now=deadline - timedelta(minutes=1))
    assert self_service.cancellable_tickets(paid, now=deadline) == []
    assert timezone.now() < deadline


# --- Two at once ------------------------------------------------------------------------------


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks are PostgreSQL's")
def test_two_concurrent_cancellations_make_one_refund(paid):
    ids = [ticket.pk for ticket in tickets_of(paid, "Adult")]

    def cancel():
        return self_service.cancel(Order.objects.select_related("event").get(pk=paid.pk), ids)

    results = run_concurrently(cancel, [(), (), ()])

    made = [result for result in results if isinstance(result, Refund)]
    refused = [result for result in results if isinstance(result, self_service.CancelRefused)]
    assert len(made) == 1 and len(refused) == 2, results
    assert Refund.objects.filter(payment__order=paid).count() == 1
    refund = Refund.objects.get(payment__order=paid)
    assert refund.amount == Decimal("37.00")
    assert sumup.refunded_amount(refund.payment.transaction_id) == Decimal("37.00")
    assert sold("Adult") == 0
