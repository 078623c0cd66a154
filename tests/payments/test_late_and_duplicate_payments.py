"""Money that arrives when it should not: after the hold ended, or a second time for one order.

The hold is ended the way expiry ends it (`orders.expire`), with the checkout left payable at the
sandbox, as happens when SumUp cannot be reached to deactivate it; the buyer then pays.
"""

import pytest
from wagtail.models import ModelLogEntry

from sumup_sandbox import services
from sumup_sandbox import state as sandbox
from sumup_sandbox.models import SandboxRefund, SandboxTransaction
from tests.concurrency import run_concurrently
from tests.factories import make_event, make_event_page
from tests.payments.helpers import alerts, buy, buyer_mail, callback_body, deliver, reload
from ticketing import checkout, orders
from ticketing.inventory import check_inventory
from ticketing.models import BuyerEmail, Order, Refund, Ticket, WebhookEvent
from ticketing.payments import reconcile

pytestmark = pytest.mark.django_db(transaction=True)


def expire(order):
    assert orders.expire(Order.objects.get(pk=order.pk))


def sumup_refunds(payment):
    return list(SandboxRefund.objects.filter(transaction__checkout_id=payment.checkout_id))


def late_payment_after_sell_out(buyer, small_event, sumup_sandbox):
    """A payment made after its hold ended, for tickets another buyer has meanwhile bought."""
    late = buy(buyer, small_event, adult=2, child=0, email="late@example.com")
    expire(late.order)
    other = buy(buyer, small_event, adult=2, child=0, email="other@example.com")
    sandbox.press(other.checkout_id, "pay", notify=False)
    deliver(sumup_sandbox.url, callback_body(other.checkout_id))
    sandbox.press(late.checkout_id, "pay", notify=False)
    return late


def refund_first_fails(late, sumup_sandbox):
    """SumUp reports the checkout PAID but, for a while, without its transaction: the automatic
    refund's first attempt has nothing to refund and fails. Returns SumUp's transaction."""
    paying = SandboxTransaction.objects.get(checkout_id=late.checkout_id)
    SandboxTransaction.objects.filter(pk=paying.pk).update(status=SandboxTransaction.Status.PENDING)
    deliver(sumup_sandbox.url, callback_body(late.checkout_id))
    assert Refund.objects.get(payment=late).status == Refund.Status.FAILED
    SandboxTransaction.objects.filter(pk=paying.pk).update(status=SandboxTransaction.Status.SUCCESSFUL)
    return paying


def test_paid_after_the_hold_ended_with_tickets_left_is_confirmed(buyer, event, sumup_sandbox):
    payment = buy(buyer, event)
    expire(payment.order)
    assert event.ticket_types.get(name="Adult").refresh_sold() == 0
    sandbox.press(payment.checkout_id, "pay", notify=False)

    assert deliver(sumup_sandbox.url, callback_body(payment.checkout_id)).status_code == 204

    order = reload(payment.order)
    assert order.status == Order.Status.PAID
    assert Ticket.objects.filter(order=order).count() == 3 and BuyerEmail.objects.count() == 1
    assert event.ticket_types.get(name="Adult").refresh_sold() == 2  # reserved again
    assert WebhookEvent.objects.get().outcome == "late_payment_confirmed"
    assert not sumup_refunds(payment) and not alerts()
    assert check_inventory() == []


@pytest.fixture
def small_event(sumup_sandbox):
    event = make_event("Tiny Gig", types=[("Adult", "20.00", 2), ("Child", "7.50", 2)])
    make_event_page(event)
    return event


def test_paid_after_the_hold_ended_and_sold_out_is_refunded_with_an_apology(
    buyer, small_event, sumup_sandbox
):
    late = buy(buyer, small_event, adult=2, child=0, email="late@example.com")
    expire(late.order)
    other = buy(buyer, small_event, adult=2, child=0, email="other@example.com")
    sandbox.press(other.checkout_id, "pay", notify=False)
    deliver(sumup_sandbox.url, callback_body(other.checkout_id))
    sandbox.press(late.checkout_id, "pay", notify=False)  # the late buyer pays after all

    assert deliver(sumup_sandbox.url, callback_body(late.checkout_id)).status_code == 204

    order = reload(late.order)
    assert order.status == Order.Status.NEEDS_REVIEW
    assert (
        not Ticket.objects.filter(order=order).exists()
        and not BuyerEmail.objects.filter(order=order, kind=BuyerEmail.Kind.TICKETS).exists()
    )
    [at_sumup] = sumup_refunds(late)
    assert at_sumup.amount == late.amount == order.total
    refund = Refund.objects.get(payment=late)
    assert (refund.kind, refund.status, refund.amount) == (
        Refund.Kind.LATE_PAYMENT,
        Refund.Status.SUCCEEDED,
        order.total,
    )
    [apology] = buyer_mail("late@example.com")
    assert "Sorry" in apology.subject and "refunded the full amount" in apology.body
    notice = BuyerEmail.objects.get(order=order)
    assert (notice.kind, notice.refund, notice.status) == (
        BuyerEmail.Kind.LATE_PAYMENT,
        refund,
        BuyerEmail.Status.SENT,
    )
    [alert] = alerts()
    assert "Automatic refund" in alert.subject and order.reference in alert.subject
    assert "late@example.com" not in alert.body
    assert ModelLogEntry.objects.filter(action="ticketing.automatic_refund").count() == 1
    assert Ticket.objects.filter(order=other.order).count() == 2  # the other buyer keeps theirs
    assert check_inventory() == []


@pytest.mark.concurrency
def test_ten_concurrent_deliveries_of_a_late_sold_out_payment_refund_it_once(
    buyer, small_event, sumup_sandbox
):
    late = late_payment_after_sell_out(buyer, small_event, sumup_sandbox)

    responses = run_concurrently(deliver, [(sumup_sandbox.url, callback_body(late.checkout_id))] * 10)

    assert [r.status_code for r in responses] == [204] * 10
    assert len(sumup_refunds(late)) == 1 and Refund.objects.filter(payment=late).count() == 1
    assert reload(late.order).status == Order.Status.NEEDS_REVIEW
    assert len(buyer_mail("late@example.com")) == 1 and len(alerts()) == 1
    assert check_inventory() == []


def test_a_second_payment_for_a_paid_order_is_refunded_and_recorded(buyer, event, sumup_sandbox):
    first = buy(buyer, event)
    # A second checkout for the same order while the first is still open (as when SumUp could
    # not be reached to close the first one): the buyer pays both.
    second = checkout.start_payment(reload(first.order))
    sandbox.press(first.checkout_id, "pay", notify=False)
    sandbox.press(second.checkout_id, "pay", notify=False)

    assert deliver(sumup_sandbox.url, callback_body(first.checkout_id)).status_code == 204
    assert deliver(sumup_sandbox.url, callback_body(second.checkout_id)).status_code == 204

    order = reload(first.order)
    assert order.status == Order.Status.PAID and Ticket.objects.filter(order=order).count() == 3
    assert not sumup_refunds(first)
    [at_sumup] = sumup_refunds(second)
    assert at_sumup.amount == order.total
    refund = Refund.objects.get()
    assert (refund.payment, refund.kind, refund.status) == (
        second,
        Refund.Kind.DUPLICATE_PAYMENT,
        Refund.Status.SUCCEEDED,
    )
    assert dict(WebhookEvent.objects.values_list("checkout_id", "outcome")) == {
        first.checkout_id: "confirmed",
        second.checkout_id: "duplicate_payment",
    }
    notes = buyer_mail()
    assert len(notes) == 2 and "second payment" in notes[1].subject  # tickets, then the refund note
    assert BuyerEmail.objects.get(refund=refund).kind == BuyerEmail.Kind.DUPLICATE_PAYMENT
    assert len(alerts()) == 1

    # Every later delivery, for either payment, changes nothing: the first is never refunded.
    for payment in (first, second, first, second):
        deliver(sumup_sandbox.url, callback_body(payment.checkout_id))
    assert len(SandboxRefund.objects.all()) == 1 and Refund.objects.count() == 1
    assert reload(order).status == Order.Status.PAID
    assert SandboxTransaction.objects.get(checkout_id=first.checkout_id).refunded_amount == 0


def test_an_automatic_refund_that_failed_is_made_by_the_next_reconciliation(
    buyer, small_event, sumup_sandbox
):
    late = late_payment_after_sell_out(buyer, small_event, sumup_sandbox)
    # SumUp reports the checkout PAID but, for a while, without its transaction: nothing to refund.
    paying = SandboxTransaction.objects.get(checkout_id=late.checkout_id)
    SandboxTransaction.objects.filter(pk=paying.pk).update(status=SandboxTransaction.Status.PENDING)

    deliver(sumup_sandbox.url, callback_body(late.checkout_id))

    refund = Refund.objects.get(payment=late)
    assert refund.status == Refund.Status.FAILED and "no SumUp transaction id" in refund.error
    assert reload(late.order).status == Order.Status.NEEDS_REVIEW and not sumup_refunds(late)
    [alert] = alerts()
    assert "Automatic refund FAILED" in alert.subject
    [apology] = buyer_mail("late@example.com")
    assert "We are refunding the full amount" in apology.body

    SandboxTransaction.objects.filter(pk=paying.pk).update(status=SandboxTransaction.Status.SUCCESSFUL)
    report = reconcile.reconcile_payments()

    refund.refresh_from_db()
    assert refund.status == Refund.Status.SUCCEEDED
    assert [r.amount for r in sumup_refunds(late)] == [late.amount]
    assert report.open_findings == []
    assert "refunded the full amount" in buyer_mail("late@example.com")[-1].body
    # One notice for the first try ("we are refunding"), one for the success: each its own row.
    assert list(BuyerEmail.objects.filter(refund=refund).values_list("status", flat=True)) == [
        BuyerEmail.Status.SENT,
        BuyerEmail.Status.SENT,
    ]
    assert check_inventory() == []


def test_a_failed_automatic_refund_is_not_retried_after_staff_refunded_by_hand(
    buyer, small_event, sumup_sandbox
):
    late = late_payment_after_sell_out(buyer, small_event, sumup_sandbox)
    refund_first_fails(late, sumup_sandbox)
    # Staff refund it by hand (recorded as a succeeded refund of the whole payment).
    Refund.objects.create(
        payment=late, amount=late.amount, kind=Refund.Kind.STAFF, status=Refund.Status.SUCCEEDED
    )

    deliver(sumup_sandbox.url, callback_body(late.checkout_id))
    reconcile.reconcile_payments()

    assert not sumup_refunds(late), "the money must not be refunded a second time"
    assert Refund.objects.get(payment=late, kind=Refund.Kind.LATE_PAYMENT).status == Refund.Status.FAILED


def test_an_automatic_refund_whose_answer_was_lost_is_recorded_not_repeated(
    buyer, small_event, sumup_sandbox
):
    late = late_payment_after_sell_out(buyer, small_event, sumup_sandbox)
    paying = refund_first_fails(late, sumup_sandbox)
    # SumUp did refund, but its answer never reached us (a timeout): only SumUp knows.
    services.refund(paying.merchant_code, str(paying.transaction_id), None)

    reconcile.reconcile_payments()

    assert len(sumup_refunds(late)) == 1, "refunded once, not twice"
    assert Refund.objects.get(payment=late).status == Refund.Status.SUCCEEDED
