"""Two `db_worker` processes on one queue: every e-mail sent once, every periodic job run once.

The platform may run more than one worker (or briefly two, during a deploy). django-tasks-db
claims each job with `SELECT ... FOR UPDATE SKIP LOCKED`, and the periodic chains are leased
(`ticketing.schedule`); these tests run two real workers side by side and count what they did.
"""

import re
import time
from collections import Counter

import pytest
from django.test import TestCase, override_settings
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from tests.delivery.helpers import DATABASE_TASKS
from tests.factories import make_event, make_order, record_payment, wait_for
from tests.processes import kill, start_worker
from ticketing import orders
from ticketing.models import BuyerEmail, ScheduledJob

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.concurrency]

ORDERS = 30


def wait_for_workers(condition, workers_log, timeout=90.0):
    """`wait_for` the worker processes: on failure, show their log."""
    return wait_for(
        condition,
        timeout,
        interval=0.2,
        failure=lambda: "timed out; workers' log:\n" + workers_log.read_text(errors="replace")[-3000:],
    )


def test_two_workers_send_each_ticket_email_exactly_once(tmp_path):
    event = make_event(types=[("Standard", "10.00", 100)])
    with override_settings(TASKS=DATABASE_TASKS), TestCase.captureOnCommitCallbacks(execute=True):
        for n in range(ORDERS):
            order = make_order(
                event, {"Standard": 1}, email=f"buyer{n}@example.com", ip=f"198.51.100.{n + 1}"
            )
            assert orders.mark_paid(order, record_payment(order))
    mail_folder, log = tmp_path / "mail", tmp_path / "workers.log"
    workers = [start_worker(log, EMAIL_FILE_PATH=mail_folder) for _ in range(2)]
    try:
        sent = BuyerEmail.objects.filter(kind=BuyerEmail.Kind.TICKETS, status=BuyerEmail.Status.SENT)
        wait_for_workers(lambda: sent.count() == ORDERS, log)
        time.sleep(1)  # anything sent twice would be on its way by now
    finally:
        for worker in workers:
            kill(worker)

    recipients = Counter(
        address
        for message in mail_folder.glob("*.log")
        for address in re.findall(r"^To: (\S+)$", message.read_text(errors="replace"), re.MULTILINE)
    )
    assert recipients == {f"buyer{n}@example.com": 1 for n in range(ORDERS)}


def test_two_workers_keep_one_chain_per_periodic_job_and_never_overlap_its_runs(tmp_path):
    log = tmp_path / "workers.log"
    workers = [start_worker(log) for _ in range(2)]
    try:
        ran = ScheduledJob.objects.filter(name="expire-orders", last_outcome="ok")
        wait_for_workers(ran.exists, log)
        time.sleep(3)  # both workers check every chain each second in this set-up
    finally:
        for worker in workers:
            kill(worker)

    waiting = DBTaskResult.objects.filter(
        task_path="ticketing.tasks.run_periodic_job", status=TaskResultStatus.READY
    )
    per_job = Counter(row["args_kwargs"]["args"][0] for row in waiting.values("args_kwargs"))
    assert set(per_job.values()) == {1}, per_job
    # No job ran twice for one slot: each finished run was the one its chain had scheduled.
    finished = DBTaskResult.objects.filter(task_path="ticketing.tasks.run_periodic_job").exclude(
        status=TaskResultStatus.READY
    )
    runs = Counter(
        (row["args_kwargs"]["args"][0], row["run_after"])
        for row in finished.values("args_kwargs", "run_after")
    )
    assert runs and set(runs.values()) == {1}, runs
