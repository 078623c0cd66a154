"""A refund whose answer is lost: SumUp refunded, but the answer never reached us.

The sandbox makes the refund and then holds its answer back longer than our client waits, over
real HTTP, as a timeout or a dropped connection would. An unknown outcome is not a failure:
the refund is recorded as unknown, staff are told the truth, and it is settled by asking SumUp
— at once, from the worker's job, and in reconciliation — voiding exactly the refunded tickets.
Until then the tickets do not admit at the door.
"""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from sumup_sandbox import faults
from sumup_sandbox import state as sandbox
from sumup_sandbox.models import SandboxRefund, SandboxTransaction
from tests.payments.helpers import buy, callback_body, deliver, reload
from ticketing import checkin, checkout, tickets
from ticketing.inventory import check_inventory
from ticketing.models import Order, Refund, Ticket
from ticketing.payments import reconcile, refunds

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def quick_timeout(settings):
    settings.SUMUP_TIMEOUT_SECONDS = 1
    yield
    faults.reset()


@pytest.fixture
def paid(buyer, event, sumup_sandbox):
    payment = buy(buyer, event)
    sandbox.press(payment.checkout_id, "pay", notify=False)
    deliver(sumup_sandbox.url, callback_body(payment.checkout_id))
    payment.refresh_from_db()
    assert payment.order.status == Order.Status.PAID
    return payment


@pytest.fixture
def cashier(django_user_model):
    user = django_user_model.objects.create_user("cashier", "cashier@staff.example", "unused-password")
    user.user_permissions.set(
        Permission.objects.filter(codename__in=["access_admin", "view_order", "refund_order"])
    )
    client = Client()
    client.force_login(user)
    client.user = user
    return client


def adult_tickets(order):
    return list(Ticket.objects.filter(order=order, ticket_type__name="Adult").order_by("pk"))


def refunded_at_sumup(payment):
    return SandboxTransaction.objects.get(transaction_id=payment.transaction_id).refunded_amount


def test_a_lost_answer_is_settled_at_once_and_voids_exactly_the_refunded_ticket(paid, event):
    order = paid.order
    first, second = adult_tickets(order)
    faults.lose_refund_answers(1)

    refund = refunds.execute(refunds.plan_ticket_refund(order, [first]))

    assert refund.status == Refund.Status.SUCCEEDED, "settled by asking SumUp straight away"
    assert refunded_at_sumup(paid) == Decimal("20.00") and SandboxRefund.objects.count() == 1
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.voided_at is not None and second.voided_at is None
    assert reload(order).status == Order.Status.PARTIALLY_REFUNDED
    assert event.ticket_types.get(name="Adult").refresh_sold() == 1
    assert check_inventory() == []


def test_staff_read_the_truth_when_sumup_cannot_be_asked_after_losing_the_answer(paid, cashier):
    """The answer is lost and SumUp then goes down: "checking", never "nothing changed"."""
    order = paid.order
    ticket = adult_tickets(order)[0]
    faults.lose_refund_answers(1, then_go_down=True)

    response = cashier.post(
        reverse("ticketing_order_refund", args=[order.pk]),
        {"tickets": [ticket.pk], "confirmed": "True"},
        follow=True,
    )

    text = response.content.decode()
    assert "SumUp did not answer" in text and "do not refund again" in text
    assert "nothing changed" not in text.lower()
    refund = Refund.objects.get()
    assert refund.status == Refund.Status.UNKNOWN
    assert refunded_at_sumup(paid) == Decimal("20.00"), "SumUp did give the money back"

    # The door refuses the ticket while the refund is being checked.
    door = cashier.user
    result = checkin.check_in(tickets.sign_ticket_code(ticket.code), order.event, door)
    assert not result.admitted and "Refund being checked" in result.headline

    # No second refund of the payment can start meanwhile.
    faults.come_back()
    with pytest.raises(refunds.RefundRefused):
        refunds.execute(refunds.plan_ticket_refund(reload(order), [adult_tickets(order)[1]]))

    # The worker's job settles it now that SumUp answers again.
    assert refunds.settle_unknown_refunds() == "1 of 1 unknown refunds settled"
    refund.refresh_from_db()
    ticket.refresh_from_db()
    assert refund.status == Refund.Status.SUCCEEDED and ticket.voided_at is not None
    assert reload(order).status == Order.Status.PARTIALLY_REFUNDED
    assert not checkin.check_in(tickets.sign_ticket_code(ticket.code), order.event, door).admitted
    assert SandboxRefund.objects.count() == 1, "the buyer was paid back once"


def test_a_refund_request_that_never_reached_sumup_is_marked_failed_and_changes_nothing(paid):
    order = paid.order
    ticket = adult_tickets(order)[0]
    faults.lose_refund_requests(1)

    with pytest.raises(refunds.RefundFailed, match="SumUp did not make this refund"):
        refunds.execute(refunds.plan_ticket_refund(order, [ticket]))

    assert Refund.objects.get().status == Refund.Status.FAILED
    assert refunded_at_sumup(paid) == Decimal("0.00")
    ticket.refresh_from_db()
    assert ticket.voided_at is None and reload(order).status == Order.Status.PAID
    assert checkin.check_in(tickets.sign_ticket_code(ticket.code), order.event, None).admitted


def test_reconciliation_settles_an_unknown_refund(paid):
    order = paid.order
    ticket = adult_tickets(order)[0]
    faults.lose_refund_answers(1, then_go_down=True)
    with pytest.raises(refunds.RefundOutcomeUnknown):
        refunds.execute(refunds.plan_ticket_refund(order, [ticket]))
    assert Refund.objects.get().status == Refund.Status.UNKNOWN
    faults.come_back()

    reconcile.reconcile_payments()

    assert Refund.objects.get().status == Refund.Status.SUCCEEDED
    ticket.refresh_from_db()
    assert ticket.voided_at is not None
    assert check_inventory() == []


def test_an_automatic_refund_whose_answer_is_lost_is_not_made_twice(buyer, event, sumup_sandbox):
    """A second payment for a paid order is refunded automatically; its answer is lost."""
    first = buy(buyer, event)
    second = checkout.start_payment(reload(first.order))  # two checkouts open, as in a SumUp outage
    sandbox.press(first.checkout_id, "pay", notify=False)
    deliver(sumup_sandbox.url, callback_body(first.checkout_id))
    faults.lose_refund_answers(1, then_go_down=True)
    sandbox.press(second.checkout_id, "pay", notify=False)
    deliver(sumup_sandbox.url, callback_body(second.checkout_id))
    refund = Refund.objects.get(payment=second)
    assert refund.status == Refund.Status.UNKNOWN
    faults.come_back()

    deliver(sumup_sandbox.url, callback_body(second.checkout_id))  # SumUp retries the callback
    refunds.settle_unknown_refunds()

    refund.refresh_from_db()
    assert refund.status == Refund.Status.SUCCEEDED
    assert SandboxRefund.objects.filter(transaction__checkout_id=second.checkout_id).count() == 1
    assert reload(first.order).status == Order.Status.PAID
