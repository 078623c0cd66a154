"""Refund notices and apologies go through the outbox: a row each, sent, retried, given up, swept.

The refunds are recorded directly (`make_refund`), as the refund service records them: what
is tested here is the e-mail, not SumUp (tests/payments drive real refunds end to end).
"""

import importlib
import logging
from datetime import timedelta
from pathlib import Path

import pytest
from django.apps import apps
from django.core import mail
from django.db import IntegrityError, transaction
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

import ticketing.migrations
from tests.delivery.helpers import make_paid_order, make_refund, run_worker
from tests.factories import make_event
from ticketing import delivery, outbox
from ticketing.models import BuyerEmail, Order, Refund, Ticket
from ticketing.tasks import send_buyer_email

pytestmark = pytest.mark.django_db

ADDRESS = "ann@example.com"


@pytest.fixture
def event():
    return make_event("Harbour Jazz Night", types=[("Adult", "20.00", 50), ("Child", "8.00", 50)])


@pytest.fixture
def order(event):
    """Paid: two adults and a child, £48.00."""
    return make_paid_order(event, {"Adult": 2, "Child": 1}, email=ADDRESS)


@pytest.fixture
def late_order(event):
    """Paid after its hold ended and the tickets were gone: no tickets, in review, £40.00."""
    order = make_paid_order(event, {"Adult": 2}, email=ADDRESS)
    Ticket.objects.filter(order=order).delete()
    Order.objects.filter(pk=order.pk).update(status=Order.Status.NEEDS_REVIEW)
    return order


def send(refund, django_capture_on_commit_callbacks):
    """Queue the notice as the refund service does and let the (immediate) task backend send it."""
    with django_capture_on_commit_callbacks(execute=True):
        notice = outbox.queue_refund_notice(refund)
    notice.refresh_from_db()
    return notice


def text_and_html(message):
    (html,) = [alternative.content for alternative in message.alternatives]
    return message.body, html


def test_a_staff_refund_notice_is_recorded_and_names_the_amount_and_the_refunded_tickets(
    order, django_capture_on_commit_callbacks
):
    adult, other_adult, child = delivery.valid_tickets(order)
    refund = make_refund(order, tickets=[adult])

    notice = send(refund, django_capture_on_commit_callbacks)

    assert (notice.kind, notice.refund, notice.order, notice.reason) == (
        BuyerEmail.Kind.REFUND,
        refund,
        order,
        "",
    )
    assert (notice.status, notice.attempts, notice.last_error) == (BuyerEmail.Status.SENT, 1, "")
    [sent] = mail.outbox
    assert sent.to == [ADDRESS] and sent.subject == f"Your refund for order {order.reference}"
    for body in text_and_html(sent):
        assert "£20.00" in body and order.reference in body and "Harbour Jazz Night" in body
        assert adult.display_code in body and "Adult" in body
        assert other_adult.display_code not in body and child.display_code not in body
    words = " ".join(sent.body.split())
    assert (
        f"for 1 ticket of order {order.reference}" in words and "Your other tickets are still valid." in words
    )
    assert sent.tags == ["refund"] and sent.metadata == {"order_reference": order.reference}


def test_a_refund_of_the_whole_order_lists_every_ticket(order, django_capture_on_commit_callbacks):
    tickets = list(delivery.valid_tickets(order))
    send(make_refund(order, tickets=tickets), django_capture_on_commit_callbacks)

    [sent] = mail.outbox
    assert "£48.00" in sent.body and "your whole order" in sent.body
    assert all(ticket.display_code in sent.body for ticket in tickets)
    assert "other tickets" not in sent.body


@pytest.mark.parametrize(
    ("status", "words"),
    [
        (Refund.Status.SUCCEEDED, "We have refunded the full amount, £40.00"),
        (Refund.Status.FAILED, "We are refunding the full amount, £40.00"),
    ],
)
def test_the_apology_for_a_late_payment_is_recorded_and_says_where_the_money_is(
    late_order, status, words, django_capture_on_commit_callbacks
):
    refund = make_refund(late_order, Refund.Kind.LATE_PAYMENT, status=status)

    notice = send(refund, django_capture_on_commit_callbacks)

    assert (notice.kind, notice.refund, notice.status) == (
        BuyerEmail.Kind.LATE_PAYMENT,
        refund,
        BuyerEmail.Status.SENT,
    )
    [sent] = mail.outbox
    assert sent.subject.startswith("Sorry") and late_order.reference in sent.subject
    text, html = text_and_html(sent)
    assert words in " ".join(text.split())
    assert "<strong>£40.00</strong>" in html and "could not issue them" in html


def test_the_notice_of_a_refunded_second_payment_is_recorded_and_says_the_tickets_stand(
    order, django_capture_on_commit_callbacks
):
    refund = make_refund(order, Refund.Kind.DUPLICATE_PAYMENT)

    notice = send(refund, django_capture_on_commit_callbacks)

    assert (notice.kind, notice.status) == (BuyerEmail.Kind.DUPLICATE_PAYMENT, BuyerEmail.Status.SENT)
    [sent] = mail.outbox
    assert sent.subject == f"Your second payment for order {order.reference} has been refunded"
    words = " ".join(sent.body.split())
    assert "We have refunded the second payment, £48.00" in words
    assert "Your tickets are valid and unchanged" in words


def test_a_notice_for_an_order_with_no_address_is_cancelled_not_retried(
    order, django_capture_on_commit_callbacks
):
    refund = make_refund(order)
    Order.objects.filter(pk=order.pk).update(email="")

    notice = send(refund, django_capture_on_commit_callbacks)

    assert notice.status == BuyerEmail.Status.CANCELLED and notice.next_attempt_at is None
    assert notice.last_error == "The order has no e-mail address."
    assert mail.outbox == []


def test_a_refund_notice_is_never_written_without_its_refund(order):
    with pytest.raises(IntegrityError), transaction.atomic():
        BuyerEmail.objects.create(order=order, kind=BuyerEmail.Kind.REFUND)


# --- Through the real queue and worker ----------------------------------------------------------


def waiting_jobs():
    return DBTaskResult.objects.filter(
        task_path="ticketing.tasks.send_buyer_email", status=TaskResultStatus.READY
    )


def queue(refund):
    with transaction.atomic():  # as the transaction that records the refund does
        return outbox.queue_refund_notice(refund)


def assert_close(moment, expected):
    assert abs((moment - expected).total_seconds()) < 2, (moment, expected)


@pytest.mark.django_db(transaction=True)
def test_a_refund_notice_that_fails_is_retried_on_the_back_off_schedule_until_sent(
    order, database_tasks, flaky_mail, clock
):
    flaky_mail.reset(failures=2)
    adult = delivery.valid_tickets(order).first()
    notice = queue(make_refund(order, tickets=[adult]))

    for attempt, delay in enumerate([1, 5], start=1):  # minutes: DEFAULT_RETRY_MINUTES begins so
        run_worker()
        notice.refresh_from_db()
        assert (notice.status, notice.attempts) == (BuyerEmail.Status.QUEUED, attempt)
        assert notice.last_error.startswith("ConnectionError: Provider unreachable")
        assert ADDRESS not in notice.last_error
        expected = clock.now() + timedelta(minutes=delay)
        assert_close(notice.next_attempt_at, expected)
        (job,) = waiting_jobs()
        assert_close(job.run_after, expected)
        assert str(job.id) == notice.task_id
        assert mail.outbox == []
        clock.advance(minutes=delay)

    run_worker()
    notice.refresh_from_db()
    assert (notice.status, notice.attempts, notice.last_error) == (BuyerEmail.Status.SENT, 3, "")
    [sent] = mail.outbox
    assert "£20.00" in sent.body and adult.display_code in sent.body
    assert not waiting_jobs().exists()


@pytest.mark.django_db(transaction=True)
def test_an_apology_that_keeps_failing_is_given_up_and_logged_without_the_address(
    late_order, database_tasks, flaky_mail, clock, settings, caplog
):
    settings.TICKET_EMAIL_RETRY_MINUTES = [1, 2]
    flaky_mail.reset(failures=100)
    refund = make_refund(late_order, Refund.Kind.LATE_PAYMENT)
    notice = queue(refund)

    with caplog.at_level(logging.INFO):
        for minutes in (0, 1, 2):
            clock.advance(minutes=minutes)
            run_worker()

    notice.refresh_from_db()
    assert (notice.status, notice.attempts, notice.next_attempt_at) == (BuyerEmail.Status.FAILED, 3, None)
    assert "ConnectionError" in notice.last_error and ADDRESS not in notice.last_error
    assert flaky_mail.attempts == 3 and mail.outbox == [] and not waiting_jobs().exists()
    (gave_up,) = [r for r in caplog.records if r.levelno == logging.ERROR and r.name == "ticketing.delivery"]
    assert (gave_up.order, gave_up.kind, gave_up.attempt) == (late_order.reference, "late_payment", 3)
    assert all(
        ADDRESS not in record.getMessage() and ADDRESS not in str(vars(record)) for record in caplog.records
    )
    # The money is returned whatever happened to the e-mail.
    refund.refresh_from_db()
    assert refund.status == Refund.Status.SUCCEEDED


@pytest.mark.django_db(transaction=True)
def test_a_second_job_for_the_same_notice_sends_nothing(order, database_tasks):
    notice = queue(make_refund(order, Refund.Kind.DUPLICATE_PAYMENT))
    outbox.enqueue_attempt(notice.pk)  # a duplicate job, as a recovery sweep might make

    run_worker()

    assert len(mail.outbox) == 1
    assert DBTaskResult.objects.filter(return_value="skipped").count() == 1
    notice.refresh_from_db()
    assert (notice.status, notice.attempts) == (BuyerEmail.Status.SENT, 1)


@pytest.mark.django_db(transaction=True)
def test_a_notice_whose_job_was_lost_is_found_by_the_sweep_and_sent(order, database_tasks, clock):
    notice = queue(make_refund(order))
    DBTaskResult.objects.all().delete()  # its job vanished (say, a restored database)

    clock.advance(minutes=30)
    assert delivery.requeue_stalled() == 1
    run_worker()

    notice.refresh_from_db()
    assert notice.status == BuyerEmail.Status.SENT and len(mail.outbox) == 1


def outbox_migration():
    """The migration that carries old refund e-mail jobs over, found by name: its number may change."""
    (path,) = Path(ticketing.migrations.__file__).parent.glob("*_carry_over_refund_email_jobs.py")
    return importlib.import_module(f"ticketing.migrations.{path.stem}")


@pytest.mark.django_db(transaction=True)
def test_a_refund_email_job_queued_before_the_outbox_is_carried_over_and_sent(order, database_tasks):
    refund = make_refund(order, Refund.Kind.LATE_PAYMENT)
    # A job as the retired refund e-mail task left it in the queue: its path, the refund's id.
    job = send_buyer_email.enqueue(refund.pk)
    DBTaskResult.objects.filter(id=job.id).update(task_path="ticketing.refund_emails.send_refund_email")

    outbox_migration().carry_over_waiting_refund_emails(apps, schema_editor=None)
    run_worker()

    notice = BuyerEmail.objects.get()
    assert (notice.kind, notice.refund, notice.status, notice.task_id) == (
        BuyerEmail.Kind.LATE_PAYMENT,
        refund,
        BuyerEmail.Status.SENT,
        str(job.id),
    )
    [sent] = mail.outbox
    assert sent.to == [ADDRESS] and "We have refunded the full amount" in sent.body
    assert DBTaskResult.objects.get(id=job.id).status == TaskResultStatus.SUCCESSFUL


@pytest.mark.django_db(transaction=True)
def test_a_ticket_email_job_queued_under_the_old_task_name_still_delivers(order, database_tasks):
    from ticketing.tasks import send_ticket_email

    with transaction.atomic():
        ticket_email = outbox.queue_tickets(order)
    DBTaskResult.objects.all().delete()
    send_ticket_email.enqueue(ticket_email.pk)  # as the code before the outbox enqueued it

    run_worker()

    ticket_email.refresh_from_db()
    assert ticket_email.status == BuyerEmail.Status.SENT and len(mail.outbox) == 1
