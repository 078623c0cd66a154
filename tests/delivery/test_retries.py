"""A failing e-mail provider: retried with back-off through the real queue and worker, never lost."""

import logging
from datetime import timedelta

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from tests.delivery.helpers import make_paid_order, run_worker
from tests.factories import make_event
from ticketing import delivery, outbox
from ticketing.models import BuyerEmail, Ticket

pytestmark = pytest.mark.django_db(transaction=True)

ADDRESS = "ann@example.com"


@pytest.fixture
def order():
    event = make_event("Harbour Jazz Night", types=[("Adult", "20.00", 50)])
    return make_paid_order(event, {"Adult": 2}, email=ADDRESS)


def queue(order):
    with transaction.atomic():  # as the paying transaction does
        return outbox.queue_tickets(order)


def waiting_jobs():
    return DBTaskResult.objects.filter(
        task_path="ticketing.tasks.send_buyer_email", status=TaskResultStatus.READY
    )


def assert_close(moment, expected):
    assert abs((moment - expected).total_seconds()) < 2, (moment, expected)


def test_failures_are_retried_on_the_back_off_schedule_until_sent(order, database_tasks, flaky_mail, clock):
    flaky_mail.reset(failures=3)
    ticket_email = queue(order)
    delays = [1, 5, 15]  # minutes: the first three steps of DEFAULT_RETRY_MINUTES

    for attempt, delay in enumerate(delays, start=1):
        run_worker()
        ticket_email.refresh_from_db()
        assert (ticket_email.status, ticket_email.attempts) == (BuyerEmail.Status.QUEUED, attempt)
        assert ticket_email.last_error.startswith("ConnectionError: Provider unreachable")
        assert ADDRESS not in ticket_email.last_error  # the address is blanked out
        expected = clock.now() + timedelta(minutes=delay)
        assert_close(ticket_email.next_attempt_at, expected)
        (job,) = waiting_jobs()
        assert_close(job.run_after, expected)
        assert str(job.id) == ticket_email.task_id
        assert mail.outbox == []

        # Not due yet: the worker leaves it alone.
        clock.advance(minutes=delay, seconds=-10)
        run_worker()
        assert flaky_mail.attempts == attempt
        clock.advance(seconds=10)

    run_worker()
    ticket_email.refresh_from_db()
    assert ticket_email.status == BuyerEmail.Status.SENT and ticket_email.attempts == 4
    assert ticket_email.last_error == "" and ticket_email.sent_at is not None
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [ADDRESS]
    assert not waiting_jobs().exists()
    assert Ticket.objects.filter(order=order).count() == 2


def test_after_the_last_retry_it_fails_for_staff_to_see(
    order, database_tasks, flaky_mail, clock, settings, caplog
):
    settings.TICKET_EMAIL_RETRY_MINUTES = [1, 2]
    flaky_mail.reset(failures=100)
    ticket_email = queue(order)
    with caplog.at_level(logging.INFO, logger="ticketing.delivery"):
        for minutes in (0, 1, 2):
            clock.advance(minutes=minutes)
            run_worker()
    ticket_email.refresh_from_db()
    assert ticket_email.status == BuyerEmail.Status.FAILED and ticket_email.attempts == 3
    assert ticket_email.next_attempt_at is None and "ConnectionError" in ticket_email.last_error
    assert not waiting_jobs().exists()
    assert flaky_mail.attempts == 3 and mail.outbox == []
    (gave_up,) = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert gave_up.order == order.reference and gave_up.attempt == 3
    assert all(
        ADDRESS not in record.getMessage() and ADDRESS not in str(vars(record)) for record in caplog.records
    )
    # The tickets are there whatever happened to the e-mail; staff resend from the admin.
    assert order.tickets.count() == 2


def test_a_refused_address_is_not_retried(order, database_tasks, settings):
    settings.EMAIL_BACKEND = "tests.delivery.mail_backends.RefusingBackend"
    ticket_email = queue(order)
    run_worker()
    ticket_email.refresh_from_db()
    assert ticket_email.status == BuyerEmail.Status.FAILED and ticket_email.attempts == 1
    assert ticket_email.last_error.startswith("AnymailRecipientsRefused")
    assert ADDRESS not in ticket_email.last_error
    assert not waiting_jobs().exists()


def test_a_second_job_for_the_same_email_sends_nothing(order, database_tasks):
    ticket_email = queue(order)
    outbox.enqueue_attempt(ticket_email.pk)  # a duplicate job, as a recovery sweep might make
    run_worker()
    assert len(mail.outbox) == 1
    assert DBTaskResult.objects.filter(return_value="skipped").count() == 1


def test_an_email_whose_worker_died_mid_send_is_sent_again(order, database_tasks, clock):
    ticket_email = queue(order)
    # The worker claimed it and was killed before it could record anything.
    BuyerEmail.objects.filter(pk=ticket_email.pk).update(
        status=BuyerEmail.Status.SENDING, attempts=1, last_attempt_at=timezone.now()
    )
    DBTaskResult.objects.update(status=TaskResultStatus.RUNNING, started_at=timezone.now())
    assert delivery.requeue_stalled() == 0  # within the lease: it may still be working

    clock.advance(minutes=11)
    assert delivery.requeue_stalled() == 1
    run_worker()
    ticket_email.refresh_from_db()
    assert ticket_email.status == BuyerEmail.Status.SENT and ticket_email.attempts == 2
    assert len(mail.outbox) == 1


def test_an_overdue_email_whose_job_was_lost_gets_a_new_one_but_a_waiting_job_is_not_doubled(
    order, database_tasks, clock
):
    lost = queue(order)
    DBTaskResult.objects.all().delete()  # its job vanished (say, a restored database)
    waiting = queue(order)  # this one's job is waiting, behind a busy queue
    clock.advance(minutes=30)
    assert delivery.requeue_stalled() == 1
    assert waiting_jobs().count() == 2  # lost's new job, and waiting's own: not a third
    run_worker()
    assert {e.status for e in BuyerEmail.objects.filter(pk__in=[lost.pk, waiting.pk])} == {
        BuyerEmail.Status.SENT
    }
    assert len(mail.outbox) == 2


def test_without_a_queue_that_can_wait_the_recovery_sweep_sends_the_retry(order, flaky_mail, clock):
    """The immediate backend (tests, or a misconfigured site) cannot hold a job until later."""
    flaky_mail.reset(failures=1)
    ticket_email = queue(order)  # sent at once on commit: fails
    ticket_email.refresh_from_db()
    assert ticket_email.status == BuyerEmail.Status.QUEUED and ticket_email.attempts == 1
    clock.advance(minutes=12)
    assert delivery.requeue_stalled() == 1
    ticket_email.refresh_from_db()
    assert ticket_email.status == BuyerEmail.Status.SENT and len(mail.outbox) == 1
