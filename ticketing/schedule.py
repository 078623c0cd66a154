"""Periodic jobs run by the task worker itself: no cron, no beat, no extra service to start.

`JOBS` is the registry. A job is a function taking no arguments (named by its dotted path, so
this module imports nothing it schedules) and how often to run it. To add one, add one line:

    PeriodicJob("reconcile-payments", "ticketing.payments.reconcile.reconcile_payments", every=timedelta(days=1)),

How it works, on the django-tasks-db queue the worker already reads:

* Each job is a chain of `run_periodic_job` tasks. A run does the work, then enqueues the next
  run with `run_after` = its planned time + `every`. Slots missed while no worker ran are
  skipped, so a worker back after a night off runs each job once, not 600 times, and the
  schedule does not drift by the time each run takes.
* `ScheduledJob` holds each chain's state, above all the id of its one pending task. Every
  change to it is made under a row lock (on SQLite, the write lock `IMMEDIATE` transactions
  take), so there is exactly one pending run per job: a seeder that finds the chain alive does
  nothing, and a run that finds it was replaced meanwhile (presumed dead) does not continue it.
* `ensure_scheduled()` seeds missing chains and restarts dead ones (its pending run finished
  without a successor, vanished, or has been running longer than the job's `timeout`: a
  worker killed mid-run). It runs when the worker starts (`WorkerCommand`, the `db_worker`
  command), after `migrate` (`seed_after_migrate`), and after every periodic run, so the
  jobs keep one another alive.

Runs are at-least-once and may be late (the worker may be busy): jobs must be safe to run at
any time and twice, as `expire_orders` is.
"""

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks_db.management.commands.db_worker import Command as DatabaseWorkerCommand

from ticketing.models import ScheduledJob

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    function: str  # dotted path of a callable taking no arguments
    every: timedelta
    # A run still going after this long is presumed dead (its worker was killed) and the job
    # is started again. Make it longer than the job can ever take.
    timeout: timedelta = timedelta(minutes=30)


EXPIRY_JOB = "expire-orders"

JOBS = (
    # End the holds of unpaid orders: frees their tickets for other buyers.
    PeriodicJob(EXPIRY_JOB, "ticketing.holds.expire_orders", every=timedelta(minutes=1)),
    # Give ticket e-mails whose job was lost (a killed worker) a new one.
    PeriodicJob("requeue-ticket-emails", "ticketing.delivery.requeue_stalled", every=timedelta(minutes=5)),
    # Settle refunds whose answer SumUp never gave, by asking SumUp what it refunded.
    PeriodicJob(
        "settle-unknown-refunds",
        "ticketing.payments.refunds.settle_unknown_refunds",
        every=timedelta(minutes=2),
    ),
    # Compare SumUp's transaction history with our payments (ticketing.payments.reconcile).
    PeriodicJob("reconcile-payments", "ticketing.payments.reconcile.run_scheduled", every=timedelta(days=1)),
)


def jobs_by_name() -> dict[str, PeriodicJob]:
    return {job.name: job for job in JOBS}


def _run_task():
    from ticketing.tasks import run_periodic_job

    return run_periodic_job


def scheduling_available() -> bool:
    """Chains need a queue that can hold a job until its `run_after`: django-tasks-db's.

    The immediate backend (tests) runs a job on the spot: a chain there would never end.
    """
    from django_tasks_db import DatabaseBackend

    return isinstance(_run_task().get_backend(), DatabaseBackend)


def next_run_time(planned, every: timedelta, now):
    """The first slot of the plan (planned + k·every, k ≥ 1) that is still in the future."""
    upcoming = planned + every
    if upcoming <= now:
        upcoming += ((now - upcoming) // every + 1) * every
    return upcoming


def _pending_run_alive(state: ScheduledJob, job: PeriodicJob, now) -> bool:
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    if state.pending_task_id is None:
        return False
    row = DBTaskResult.objects.filter(id=state.pending_task_id).values("status", "started_at").first()
    if row is None:
        return False
    if row["status"] == TaskResultStatus.READY:
        return True
    if row["status"] == TaskResultStatus.RUNNING:
        return row["started_at"] is not None and row["started_at"] > now - job.timeout
    return False  # finished without enqueueing its successor


def _enqueue_run(state: ScheduledJob, job: PeriodicJob, run_at) -> None:
    result = _run_task().using(run_after=run_at).enqueue(job.name)
    state.pending_task_id = result.id
    state.next_run_at = run_at


def ensure_scheduled(now=None) -> list[str]:
    """Give every job in `JOBS` exactly one pending run; returns the names (re)started.

    Idempotent and safe to call concurrently (several workers starting at once).
    """
    if not scheduling_available():
        logger.info("periodic jobs need the django-tasks-db backend: none scheduled")
        return []
    now = now or timezone.now()
    started = []
    for job in JOBS:
        ScheduledJob.objects.get_or_create(name=job.name)
        with transaction.atomic():
            state = ScheduledJob.objects.select_for_update().get(name=job.name)
            if _pending_run_alive(state, job, now):
                continue
            _enqueue_run(state, job, max(state.next_run_at or now, now))
            state.save(update_fields=["pending_task_id", "next_run_at"])
        logger.info(
            "periodic job scheduled", extra={"job": job.name, "run_after": state.next_run_at.isoformat()}
        )
        started.append(job.name)
    return started


def worker_state(now=None) -> str:
    """ "ok", "late" or "unknown": is the worker running the expiry job on time?

    Late means the job's run was due more than WORKER_LATE_AFTER_MINUTES ago and has not
    happened: the worker is down or stuck. Sales go on without it (the checkout releases ended
    holds itself), but ticket e-mails and reconciliation wait, so monitoring must hear of it.
    Unknown: the job was never scheduled (a database the worker has never seen).
    """
    now = now or timezone.now()
    due = ScheduledJob.objects.filter(name=EXPIRY_JOB).values_list("next_run_at", flat=True).first()
    if due is None:
        return "unknown"
    return "late" if due < now - timedelta(minutes=settings.WORKER_LATE_AFTER_MINUTES) else "ok"


def run_job(name: str, task_id: str) -> str:
    """One run of a periodic job (the body of the `run_periodic_job` task), then its next one."""
    job = jobs_by_name().get(name)
    if job is None:
        logger.warning("unknown periodic job: its chain ends here", extra={"job": name})
        return "unknown job"
    ScheduledJob.objects.filter(name=name).update(last_started_at=timezone.now())
    try:
        value = import_string(job.function)()
    except Exception as error:  # recorded and logged; the chain must go on
        logger.exception("periodic job failed", extra={"job": name})
        outcome, summary = "error", type(error).__name__
    else:
        outcome, summary = "ok", "" if value is None else str(value)
    _continue_chain(job, task_id, outcome, summary[:255])
    ensure_scheduled()
    return f"{outcome} {summary}".strip()


def _continue_chain(job: PeriodicJob, task_id: str, outcome: str, summary: str) -> None:
    now = timezone.now()
    ScheduledJob.objects.get_or_create(name=job.name)
    with transaction.atomic():
        state = ScheduledJob.objects.select_for_update().get(name=job.name)
        state.last_finished_at, state.last_outcome, state.last_result = now, outcome, summary
        # Only the chain's current run may enqueue its successor: if a seeder replaced this
        # run (it looked dead), continuing would make two chains.
        if str(state.pending_task_id) == str(task_id) and scheduling_available():
            _enqueue_run(state, job, next_run_time(state.next_run_at or now, job.every, now))
        state.save()


def seed_after_migrate(sender=None, **kwargs) -> None:
    """A `post_migrate` receiver: every deploy's release step (`migrate`) seeds the chains."""
    try:
        ensure_scheduled()
    except DatabaseError:
        logger.warning("could not schedule periodic jobs after migrate", exc_info=True)


class WorkerCommand(DatabaseWorkerCommand):
    """`manage.py db_worker` that first makes sure every periodic job is scheduled."""

    help = "Run the database task worker (ticket e-mails, periodic jobs); seeds the periodic jobs first."

    def handle(self, *args, **options):
        try:
            started = ensure_scheduled()
        except DatabaseError:
            # Not migrated yet: the worker still runs; the release's migrate seeds the jobs.
            logger.warning("could not schedule periodic jobs at worker start", exc_info=True)
        else:
            if started:
                logger.info("periodic jobs started: %s", ", ".join(started))
        return super().handle(*args, **options)
