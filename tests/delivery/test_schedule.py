"""Periodic jobs on the django-tasks-db queue: seeded once, run by the worker, chained, healed."""

from collections import Counter
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from tests.concurrency import run_concurrently
from tests.delivery.helpers import run_worker
from tests.factories import BROWSER, make_event, ticket_types
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

    clock.advance(minutes=31)  # past the job's timeout: presumed dead
    assert schedule.ensure_scheduled() == ["expire-orders"]
    assert pending_runs() == {name: 1 for name in JOB_NAMES}

    # Were the dead run to finish after all, it would not enqueue a second successor.
    schedule.run_job("expire-orders", str(dead.pk))
    assert pending_runs() == {name: 1 for name in JOB_NAMES}


def test_the_worker_command_seeds_the_jobs_then_works(database_tasks):
    call_command(schedule.WorkerCommand(), "--batch", "--no-reload", "--no-startup-delay", verbosity=0)
    assert set(ScheduledJob.objects.values_list("name", flat=True)) == JOB_NAMES
    assert all(state.last_outcome == "ok" for state in ScheduledJob.objects.all())
    assert pending_runs() == {name: 1 for name in JOB_NAMES}


def test_nothing_is_scheduled_on_a_backend_that_cannot_wait():
    """The immediate backend (the test default) would run a chain forever on the spot."""
    assert schedule.ensure_scheduled() == []
    assert not ScheduledJob.objects.exists() and not DBTaskResult.objects.exists()
