"""The worker SIGKILLed in the middle of sending a ticket e-mail: after a restart the e-mail is
sent, and sent once.

A real `db_worker` (tests/processes.py) claims the e-mail and hands it to a provider that never
answers (`StallingBackend`); the test kills it there with SIGKILL, as an out-of-memory kill or a
lost machine would, so it records nothing. A second worker, with a provider that works, then
finds the e-mail through its own periodic sweep (`requeue-ticket-emails`) once the sending
lease has run out, and sends it. The mail folder holds exactly one message for the buyer.

(If a worker died after the provider had accepted a message but before recording it, the
message would be sent again: delivery is at least once by nature. The window is the few
milliseconds between the provider's answer and one UPDATE.)
"""

import os
import re
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.mail.backends.base import BaseEmailBackend
from django.test import TestCase, override_settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from tests.delivery.helpers import DATABASE_TASKS
from tests.factories import make_event, make_order, record_payment, wait_for
from tests.processes import kill, start_worker
from ticketing import orders
from ticketing.delivery import SENDING_LEASE
from ticketing.models import BuyerEmail, ScheduledJob

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.concurrency]


class StallingBackend(BaseEmailBackend):
    """The provider accepts the connection and never answers: leaves a mark, then waits."""

    def send_messages(self, messages):
        Path(os.environ["STALL_MARKER"]).write_text("sending")
        time.sleep(600)
        return 0


def wait_for_worker(condition, log, timeout=120.0):
    """Wait for the worker; on a timeout say what its log shows."""
    return wait_for(
        condition,
        timeout,
        interval=0.2,
        failure=lambda: "timed out; worker log:\n" + log.read_text(errors="replace")[-3000:],
    )


def sent_to(mail_folder, address):
    return sum(
        re.findall(r"^To: (\S+)$", message.read_text(errors="replace"), re.MULTILINE).count(address)
        for message in mail_folder.glob("*.log")
    )


def paid_order():
    event = make_event(types=[("Standard", "10.00", 10)])
    with override_settings(TASKS=DATABASE_TASKS), TestCase.captureOnCommitCallbacks(execute=True):
        order = make_order(event, {"Standard": 2}, email="kim@example.com")
        assert orders.mark_paid(order, record_payment(order))
    return order


def test_a_worker_killed_mid_send_outage_the_email_is_sent_exactly_once_after_restart(tmp_path):
    order = paid_order()
    ticket_email = order.buyer_emails.get(kind=BuyerEmail.Kind.TICKETS)
    mail_folder, log, marker = tmp_path / "mail", tmp_path / "worker.log", tmp_path / "stalled"

    first = start_worker(
        log, DJANGO_SETTINGS_MODULE="tests.operations.stalling_worker_settings", STALL_MARKER=marker
    )
    try:
        wait_for_worker(marker.exists, log)  # the worker has claimed the e-mail and is mid-send
    finally:
        kill(first)
    ticket_email.refresh_from_db()
    assert ticket_email.status == BuyerEmail.Status.SENDING  # as the dead worker left it

    # The sending lease (10 minutes) runs out, and the 5-minutely sweep comes due.
    BuyerEmail.objects.filter(pk=ticket_email.pk).update(
        last_attempt_at=timezone.now() - SENDING_LEASE - timedelta(seconds=1)
    )
    second = start_worker(log, EMAIL_FILE_PATH=mail_folder)
    try:
        wait_for_worker(lambda: ScheduledJob.objects.filter(name="requeue-ticket-emails").exists(), log)
        sweep = ScheduledJob.objects.get(name="requeue-ticket-emails")
        DBTaskResult.objects.filter(id=sweep.pending_task_id).update(run_after=timezone.now())
        wait_for_worker(
            lambda: BuyerEmail.objects.get(pk=ticket_email.pk).status == BuyerEmail.Status.SENT, log
        )
        time.sleep(2)  # a second send, if there were one, would be on its way by now
    finally:
        kill(second)

    assert sent_to(mail_folder, "kim@example.com") == 1
    ticket_email.refresh_from_db()
    assert ticket_email.attempts == 2  # the killed attempt counted, and the one that worked
