"""Cancelling an event: sales stop, every buyer is refunded through SumUp (the sandbox) in the
background, their tickets voided and seats released, and each buyer e-mailed why.

Orders are bought and paid over the real path. The test settings' task backend runs the refund
job as soon as the cancellation commits, as a worker would a moment later; where a test needs
the job not to have run yet (to race two runs of it), the queue holds it, as a stopped worker
would.
"""

from decimal import Decimal

import pytest
from django.core import mail
from django.test import override_settings
from django.urls import reverse
from wagtail.models import ModelLogEntry

from sumup_sandbox import faults
from sumup_sandbox import state as sandbox
from sumup_sandbox.models import SandboxCheckout, SandboxRefund, SandboxTransaction
from tests.concurrency import run_concurrently
from tests.factories import buy, make_staff, signed_in
from tests.payments.helpers import alerts, buyer_mail, callback_body, deliver, reload
from ticketing import cancellation
from ticketing.inventory import check_inventory
from ticketing.models import Event, EventCancellation, Order, Payment, Refund, Ticket

pytestmark = pytest.mark.django_db(transaction=True)

# A queue that keeps its jobs and runs none: the worker has not got to the refund job yet.
HELD_TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
BUYERS = ("ann@example.com", "bo@example.com", "cy@example.com")


def treasurer(username="treasurer"):
    """Finance's rights on events (the group itself is tested in tests/staff: transactional
    tests empty the tables the migrations filled)."""
    return make_staff(username, "access_admin", "view_event", "cancel_event", "view_order", "refund_order")


@pytest.fixture
def finance():
    return signed_in(treasurer())


def cancel_url(event):
    return reverse("ticketing_event_cancel", args=[event.pk])


def pay_for(buyer, event, email, **quantities) -> Payment:
    """A buyer checks out and pays at SumUp; SumUp's callback arrives."""
    payment = buy(buyer, event, email=email, **quantities)
    sandbox.press(payment.checkout_id, "pay", notify=False)
    deliver(buyer.live_url, callback_body(payment.checkout_id))
    payment.refresh_from_db()
    assert payment.order.status == Order.Status.PAID
    return payment


@pytest.fixture
def sold(buyer, event, sumup_sandbox):
    """Three paid orders of 2 adults and 1 child (£47.50 each), and one buyer still at SumUp."""
    buyer.live_url = sumup_sandbox.url
    payments = [pay_for(buyer, event, email) for email in BUYERS]
    paying = buy(buyer, event, adult=1, child=0, email="dee@example.com")
    mail.outbox.clear()
    return payments, paying


def refunded_at_sumup(payment):
    return SandboxTransaction.objects.get(transaction_id=payment.transaction_id).refunded_amount


def valid_tickets(event):
    return Ticket.objects.filter(order__event=event, voided_at__isnull=True)


def test_staff_see_what_will_happen_before_anything_does(finance, sold, event):
    page = finance.get(cancel_url(event)).content.decode()

    assert "3 paid orders with 9 valid tickets are refunded" in page
    assert "£142.50" in page
    assert "1 unpaid order holding 1 ticket is cancelled" in page
    assert reload_event(event).status == Event.Status.ON_SALE
    assert not SandboxRefund.objects.exists() and not EventCancellation.objects.exists()


def reload_event(event):
    return Event.objects.get(pk=event.pk)


def test_cancelling_refunds_every_buyer_voids_the_tickets_and_e_mails_them(finance, sold, event):
    payments, paying = sold

    response = finance.post(cancel_url(event), {"title": event.title})

    assert response.status_code == 302 and response["Location"] == cancel_url(event)
    assert reload_event(event).status == Event.Status.CANCELLED
    for payment in payments:
        assert refunded_at_sumup(payment) == Decimal("47.50")
        assert reload(payment.order).status == Order.Status.REFUNDED
    assert SandboxRefund.objects.count() == 3, "one refund per order"
    assert reload(paying.order).status == Order.Status.CANCELLED
    assert not valid_tickets(event).exists()
    assert [t.refresh_sold() for t in event.ticket_types.order_by("pk")] == [0, 0]
    assert reload_event(event).refresh_sold() == 0 and check_inventory() == []
    refunds = Refund.objects.filter(payment__order__event=event)
    assert {(r.status, r.reason, r.requested_by) for r in refunds} == {
        (Refund.Status.SUCCEEDED, cancellation.REFUND_REASON, finance.user)
    }
    done = EventCancellation.objects.get(event=event)
    assert done.finished_at is not None and set(done.refunds.all()) == set(refunds)
    assert (done.paid_orders, done.tickets, done.pending_orders) == (3, 9, 1)
    # Every paying buyer hears why, and which tickets no longer work; the unpaid one nothing.
    for email, payment in zip(BUYERS, payments, strict=True):
        (notice,) = buyer_mail(email)
        assert notice.subject.startswith(f"Cancelled: {event.title}.")
        assert f"{event.title} has been cancelled" in notice.body and "£47.50" in notice.body
        assert f"{event.title} has been cancelled" in notice.alternatives[0][0]
        for ticket in payment.order.tickets.all():
            assert ticket.display_code in notice.body
    assert buyer_mail("dee@example.com") == []
    # The paying buyer's checkout was closed at SumUp: they cannot pay for a cancelled event.
    assert sandbox.get_checkout(paying.checkout_id).status == SandboxCheckout.Status.EXPIRED
    assert Payment.objects.get(pk=paying.pk).status == Payment.Status.EXPIRED

    progress = finance.get(cancel_url(event)).content.decode()
    assert "Refunded 3 of 3 orders." in progress and "Finished" in progress


def test_sales_are_closed_as_soon_as_the_event_is_cancelled(finance, buyer, event, sumup_sandbox):
    with override_settings(TASKS=HELD_TASKS):
        cancellation.cancel_event(event, finance.user)
    orders_before = Order.objects.count()

    adult, child = event.ticket_types.order_by("pk")
    response = buyer.post(
        reverse("ticketing:checkout", args=[event.pk]),
        {"name": "Eve", "email": "eve@example.com", "accept_terms": "on", f"quantity_{adult.pk}": 1},
    )

    assert 400 <= response.status_code < 500
    assert "This event has been cancelled." in response.content.decode()
    assert Order.objects.count() == orders_before


def test_a_second_cancel_changes_nothing(finance, sold, event):
    first = cancellation.cancel_event(event, finance.user)
    refunds_made = SandboxRefund.objects.count()
    mails = len(mail.outbox)

    again = cancellation.cancel_event(event, treasurer("second-treasurer"))
    response = finance.post(cancel_url(event), {"title": event.title}, follow=True)

    assert again == first and EventCancellation.objects.count() == 1
    assert again.requested_by == finance.user
    assert "already cancelled: nothing changed" in response.content.decode()
    assert SandboxRefund.objects.count() == refunds_made == 3 and len(mail.outbox) == mails
    assert ModelLogEntry.objects.filter(action=cancellation.LOG_CANCEL_EVENT).count() == 1


def test_a_failed_refund_is_recorded_shown_and_completed_by_the_resume(finance, sold, event, settings):
    """SumUp never gets the first refund request: the refund is settled as failed, shown with
    SumUp's answer; the periodic resume refunds that order and finishes the cancellation."""
    payments, _ = sold
    settings.SUMUP_TIMEOUT_SECONDS = 1
    faults.lose_refund_requests(1)

    finance.post(cancel_url(event), {"title": event.title})

    first = payments[0]
    assert refunded_at_sumup(first) == Decimal("0.00")
    assert reload(first.order).status == Order.Status.PAID
    failed = Refund.objects.get(payment=first)
    assert failed.status == Refund.Status.FAILED and failed.error
    assert [refunded_at_sumup(p) for p in payments[1:]] == [Decimal("47.50")] * 2
    done = EventCancellation.objects.get(event=event)
    assert done.finished_at is None
    page = finance.get(cancel_url(event)).content.decode()
    assert "Refunded 2 of 3 orders." in page and first.order.reference in page and failed.error in page

    assert cancellation.resume_cancellations() == "1 event cancellation(s) resumed"

    assert refunded_at_sumup(first) == Decimal("47.50") and SandboxRefund.objects.count() == 3
    assert reload(first.order).status == Order.Status.REFUNDED
    done.refresh_from_db()
    assert done.finished_at is not None and done.refunds.count() == 4  # the failed one stays recorded
    assert len(buyer_mail(BUYERS[0])) == 1, "the buyer hears once, when the money went back"
    assert "Refunded 3 of 3 orders." in finance.get(cancel_url(event)).content.decode()
    # Resuming again, with nothing left to do, changes nothing.
    cancellation.resume_cancellations()
    assert SandboxRefund.objects.count() == 3 and Refund.objects.count() == 4


def test_an_unanswered_refund_is_not_made_twice(finance, sold, event, settings):
    """SumUp makes the refund but its answer is lost and SumUp goes down: the refund is in
    flight, the resume leaves it alone, and it finishes once the refund is settled."""
    payments, _ = sold
    settings.SUMUP_TIMEOUT_SECONDS = 1
    faults.lose_refund_answers(1, then_go_down=True)

    finance.post(cancel_url(event), {"title": event.title})
    first = payments[0]
    assert Refund.objects.get(payment=first).status == Refund.Status.UNKNOWN
    faults.come_back()

    cancellation.resume_cancellations()
    assert SandboxRefund.objects.filter(transaction__transaction_id=first.transaction_id).count() == 1
    assert EventCancellation.objects.get(event=event).finished_at is None

    from ticketing.payments import refunds

    refunds.settle_unknown_refunds()
    cancellation.resume_cancellations()

    assert refunded_at_sumup(first) == Decimal("47.50") and SandboxRefund.objects.count() == 3
    assert EventCancellation.objects.get(event=event).finished_at is not None


def test_concurrent_runs_refund_each_order_once(finance, sold, event):
    """The queued job and two periodic resumes (two workers) all start at once."""
    payments, _ = sold
    with override_settings(TASKS=HELD_TASKS):
        done = cancellation.cancel_event(event, finance.user)
    assert not SandboxRefund.objects.exists(), "the job has not run yet"

    results = run_concurrently(
        lambda run: run(),
        [
            (lambda: cancellation.refund_orders(EventCancellation.objects.get(pk=done.pk)),),
            (cancellation.resume_cancellations,),
            (cancellation.resume_cancellations,),
        ],
    )

    assert not [r for r in results if isinstance(r, Exception)], results
    assert SandboxRefund.objects.count() == 3
    assert [refunded_at_sumup(p) for p in payments] == [Decimal("47.50")] * 3
    assert Refund.objects.filter(status=Refund.Status.SUCCEEDED).count() == Refund.objects.count() == 3
    assert alerts() == []
    assert check_inventory() == []
    for email in BUYERS:
        assert len(buyer_mail(email)) == 1
    # Whatever the runs did, a later resume finishes what is left and refunds nothing twice.
    cancellation.resume_cancellations()
    assert EventCancellation.objects.get(pk=done.pk).finished_at is not None
    assert SandboxRefund.objects.count() == 3
