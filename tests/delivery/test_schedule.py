"""Periodic jobs on the django-tasks-db queue: seeded once, run by the worker, chained, healed."""

import logging
import threading
import time
from collections import Counter
from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection, connections, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from tests.concurrency import run_concurrently
from tests.delivery.helpers import run_worker
from tests.factories import BROWSER, make_event, ticket_types, wait_for
from tests.processes import kill, start_worker
from ticketing import schedule
from ticketing.checkout import Buyer, place_order
from ticketing.models import Order, ScheduledJob

pytestmark = pytest.mark.django_db(transaction=True)

# The jobs these tests run: this issue's own, which need nothing outside the database.
# (Reconciliation, say, reads SumUp; the registry test below checks the real list.)
LOCAL_JOBS = tuple(job for job in schedule.JOBS if job.name in {"expire-orders", "requeue-ticket-emails"})
JOB_NAMES = {job.name for job in LOCAL_JOBS}


@pytest.fixture(autouse=True)
def _local_jobs(monkeypatch):
    monkeypatch.setattr(schedule, "JOBS", LOCAL_JOBS)


def pending_runs():
    """{job name: number of runs waiting} — the invariant is exactly one each."""
    waiting = DBTaskResult.objects.filter(
        task_path="ticketing.tasks.run_periodic_job", status=TaskResultStatus.READY
    )
    return Counter(row["args_kwargs"]["args"][0] for row in waiting.values("args_kwargs"))


def pending_run(name):
    state = ScheduledJob.objects.get(name=name)
    return DBTaskResult.objects.get(id=state.pending_task_id)


def test_the_registry_runs_expire_orders_every_minute(monkeypatch):
    monkeypatch.undo()  # the real registry
    jobs = schedule.jobs_by_name()
    assert len(jobs) == len(schedule.JOBS), "job names are unique"
    assert jobs["expire-orders"].function == "ticketing.holds.expire_orders"
    assert jobs["expire-orders"].every == timedelta(minutes=1)
    assert jobs["requeue-ticket-emails"].every == timedelta(minutes=5)
    for job in jobs.values():
        assert callable(import_string(job.function)), job.name


def test_each_job_is_leased_for_about_two_of_its_intervals(monkeypatch):
    """A dead run holds its job for its lease: minutes for the frequent jobs, not half an hour."""
    monkeypatch.undo()
    leases = {job.name: job.lease for job in schedule.JOBS}
    assert leases["expire-orders"] == timedelta(minutes=2)
    assert leases["requeue-ticket-emails"] == timedelta(minutes=10)
    assert leases["reconcile-payments"] == timedelta(hours=1)
    for job in schedule.JOBS:
        assert timedelta(0) < job.lease <= min(2 * job.every, timedelta(hours=1)), job.name


def test_seeding_is_idempotent(database_tasks):
    assert set(schedule.ensure_scheduled()) == JOB_NAMES
    assert schedule.ensure_scheduled() == []
    assert schedule.ensure_scheduled() == []
    assert pending_runs() == {name: 1 for name in JOB_NAMES}
    for state in ScheduledJob.objects.all():
        assert pending_run(state.name).status == TaskResultStatus.READY


def test_concurrent_seeding_still_gives_one_run_per_job(database_tasks):
    results = run_concurrently(schedule.ensure_scheduled, [() for _ in range(8)])
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sorted(name for started in results for name in started) == sorted(JOB_NAMES)
    assert pending_runs() == {name: 1 for name in JOB_NAMES}


def test_the_worker_expires_orders_and_schedules_the_next_run(database_tasks, clock):
    event = make_event(types=[("Standard", "25.00", 10)])
    (standard,) = ticket_types(event)
    order = place_order(event, Buyer("Ann", "ann@example.com", "203.0.113.9", BROWSER), {standard: 2})
    Order.objects.filter(pk=order.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    schedule.ensure_scheduled()
    planned = ScheduledJob.objects.get(name="expire-orders").next_run_at
    run_worker()

    order.refresh_from_db()
    standard.refresh_from_db()
    assert order.status == Order.Status.EXPIRED and standard.sold == 0
    state = ScheduledJob.objects.get(name="expire-orders")
    assert (state.last_outcome, state.last_result) == ("ok", "1")
    assert state.next_run_at == planned + timedelta(minutes=1)
    assert pending_run("expire-orders").run_after == state.next_run_at
    assert pending_runs() == {name: 1 for name in JOB_NAMES}

    # A minute later the worker runs it again, and only it (the e-mail sweep is every 5 minutes).
    clock.advance(minutes=1)
    run_worker()
    state.refresh_from_db()
    assert state.next_run_at == planned + timedelta(minutes=2) and state.last_result == "0"
    assert ScheduledJob.objects.get(name="requeue-ticket-emails").last_finished_at < state.last_finished_at
    assert pending_runs() == {name: 1 for name in JOB_NAMES}


def test_missed_slots_are_skipped_not_run_in_a_burst(database_tasks, clock):
    schedule.ensure_scheduled()
    planned = ScheduledJob.objects.get(name="expire-orders").next_run_at
    clock.advance(hours=3, seconds=30)  # the worker was down for three hours
    run_worker()
    state = ScheduledJob.objects.get(name="expire-orders")
    assert DBTaskResult.objects.filter(status=TaskResultStatus.SUCCESSFUL).count() == 2  # once each
    assert state.next_run_at == planned + timedelta(hours=3, minutes=1)
    assert pending_runs() == {name: 1 for name in JOB_NAMES}


def test_next_run_time():
    start = timezone.now()
    minute = timedelta(minutes=1)
    assert schedule.next_run_time(start, minute, start) == start + minute
    assert schedule.next_run_time(start, minute, start + timedelta(seconds=59)) == start + minute
    assert schedule.next_run_time(start, minute, start + minute) == start + 2 * minute
    assert (
        schedule.next_run_time(start, minute, start + timedelta(minutes=90, seconds=1)) == start + 91 * minute
    )


def test_a_failing_job_is_recorded_and_its_chain_goes_on(database_tasks, monkeypatch):
    monkeypatch.setattr(
        schedule,
        "JOBS",
        (schedule.PeriodicJob("explodes", "tests.delivery.test_schedule.explode", timedelta(hours=1)),),
    )
    schedule.ensure_scheduled()
    run_worker()
    state = ScheduledJob.objects.get(name="explodes")
    assert (state.last_outcome, state.last_result) == ("error", "ZeroDivisionError")
    assert pending_runs() == {"explodes": 1}


def explode():
    return 1 / 0


def test_a_run_killed_mid_way_is_restarted_and_cannot_double_the_chain(database_tasks, clock):
    schedule.ensure_scheduled()
    dead = pending_run("expire-orders")
    # The worker claimed the run and was killed (SIGKILL, out of memory): it stays RUNNING.
    DBTaskResult.objects.filter(pk=dead.pk).update(status=TaskResultStatus.RUNNING, started_at=timezone.now())
    assert schedule.ensure_scheduled() == []  # it might still be working

    clock.advance(minutes=1, seconds=59)  # within the job's lease (two minutes): maybe still working
    assert schedule.ensure_scheduled() == []
    clock.advance(seconds=2)  # past it: presumed dead
    assert schedule.ensure_scheduled() == ["expire-orders"]
    assert pending_runs() == {name: 1 for name in JOB_NAMES}

    # Were the dead run to finish after all, it would not enqueue a second successor.
    schedule.run_job("expire-orders", str(dead.pk))
    assert pending_runs() == {name: 1 for name in JOB_NAMES}


@pytest.fixture
def worker_loggers_restored():
    """The worker command sets its loggers for the whole process (at verbosity 0 to CRITICAL,
    with a handler of its own): put them back, or later tests never hear a worker's failures."""
    loggers = [logging.getLogger(name) for name in ("django_tasks", "django_tasks_db")]
    saved = [(each, each.level, list(each.handlers)) for each in loggers]
    yield
    for each, level, handlers in saved:
        each.setLevel(level)
        each.handlers[:] = handlers


def test_the_worker_command_seeds_the_jobs_then_works(database_tasks, worker_loggers_restored):
    call_command(schedule.WorkerCommand(), "--batch", "--no-reload", "--no-startup-delay", verbosity=0)
    assert set(ScheduledJob.objects.values_list("name", flat=True)) == JOB_NAMES
    assert all(state.last_outcome == "ok" for state in ScheduledJob.objects.all())
    assert pending_runs() == {name: 1 for name in JOB_NAMES}


def test_nothing_is_scheduled_on_a_backend_that_cannot_wait():
    """The immediate backend (the test default) would run a chain forever on the spot."""
    assert schedule.ensure_scheduled() == []
    assert not ScheduledJob.objects.exists() and not DBTaskResult.objects.exists()


# --- Real worker processes ------------------------------------------------------------------


def wait_for_worker(condition, log_path, timeout=30.0):
    """`wait_for` a real worker process, which is slow to start: on failure, show its log."""

    def failure():
        log = log_path.read_text()[-3000:] if log_path.exists() else ""
        return f"timed out waiting; worker log:\n{log}"

    return wait_for(condition, timeout, interval=0.1, failure=failure)


def overdue_order():
    event = make_event(types=[("Standard", "25.00", 10)])
    (standard,) = ticket_types(event)
    order = place_order(event, Buyer("Ann", "ann@example.com", "203.0.113.9", BROWSER), {standard: 2})
    Order.objects.filter(pk=order.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    return order


def status_of(row):
    return type(row).objects.values_list("status", flat=True).get(pk=row.pk)


@contextmanager
def order_row_locked(order):
    """Hold the order's row lock from another connection: a run that expires it waits mid-way."""
    locked, release = threading.Event(), threading.Event()

    def hold():
        try:
            with transaction.atomic():
                Order.objects.select_for_update().get(pk=order.pk)
                locked.set()
                release.wait(60)
        finally:
            connections.close_all()

    holder = threading.Thread(target=hold)
    holder.start()
    assert locked.wait(10)
    try:
        yield
    finally:
        release.set()
        holder.join(10)


def test_a_running_worker_notices_a_dead_run_and_runs_the_job_again(database_tasks, tmp_path):
    """Checked from the worker's loop, not only as it starts: this worker was running already."""
    log = tmp_path / "worker.log"
    worker = start_worker(log)
    try:
        wait_for_worker(
            lambda: ScheduledJob.objects.filter(name="expire-orders", last_outcome="ok").exists(), log
        )
        order = overdue_order()
        lease = schedule.jobs_by_name()["expire-orders"].lease
        claimed_at = timezone.now() - lease - timedelta(seconds=1)
        # As a worker killed mid-run leaves it: claimed when it was due, still "running".
        dead = pending_run("expire-orders")
        DBTaskResult.objects.filter(pk=dead.pk).update(status=TaskResultStatus.RUNNING, started_at=claimed_at)
        ScheduledJob.objects.filter(name="expire-orders").update(next_run_at=claimed_at)

        wait_for_worker(lambda: status_of(order) == Order.Status.EXPIRED, log)
        wait_for_worker(lambda: pending_runs().get("expire-orders") == 1, log)
    finally:
        kill(worker)
    assert ScheduledJob.objects.get(name="expire-orders").pending_task_id != dead.pk
    assert pending_runs()["expire-orders"] == 1


def test_a_worker_killed_mid_run_is_replaced_and_its_job_runs_again_once_the_lease_ends(
    database_tasks, tmp_path
):
    if connection.vendor != "postgresql":
        pytest.skip("holds a row lock from another connection to keep the run going: PostgreSQL")
    log = tmp_path / "worker.log"
    order = overdue_order()
    schedule.ensure_scheduled()
    with order_row_locked(order):
        first = start_worker(log)
        try:
            wait_for_worker(lambda: status_of(pending_run("expire-orders")) == TaskResultStatus.RUNNING, log)
            dead = pending_run("expire-orders")  # claimed, and waiting for the order's row: mid-run
        finally:
            kill(first)  # also when the wait fails: a worker left running would take later tests' jobs
    assert status_of(dead) == TaskResultStatus.RUNNING  # and it stays so: nobody is left to finish it

    second = start_worker(log)
    try:
        time.sleep(3)  # three of its checks: within the lease the run may still be working
        assert status_of(order) == Order.Status.PENDING
        assert ScheduledJob.objects.get(name="expire-orders").pending_task_id == dead.pk
        lease = schedule.jobs_by_name()["expire-orders"].lease
        # The lease runs out, as if its two minutes had passed since the run started.
        DBTaskResult.objects.filter(pk=dead.pk).update(started_at=F("started_at") - lease)
        wait_for_worker(lambda: status_of(order) == Order.Status.EXPIRED, log, timeout=15)
        # The run that expired it chains the next one as it ends: wait for that, then stop.
        wait_for_worker(lambda: pending_runs().get("expire-orders") == 1, log, timeout=15)
    finally:
        kill(second)
    assert pending_runs()["expire-orders"] == 1
