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
  without a successor, vanished, or has been running longer than the job's `lease`: a
  worker killed mid-run). It runs when the worker starts, after `migrate`
  (`seed_after_migrate`), after every periodic run, and every WATCH_SECONDS in each running
  worker (`WorkerCommand`, the `db_worker` command, keeps a thread for it).
* A run killed with its worker stays "running" in the queue forever, so a job is leased, not
  held: a run still going after its `lease` (two of its intervals, at most an hour) is
  presumed dead and the job starts again. The expiry job, every minute, is back within about
  two and a half minutes of its worker's death, not the half hour a fixed timeout took.

Runs are at-least-once and may be late (the worker may be busy): jobs must be safe to run at
any time and twice, as `expire_orders` is.
"""

import logging
import os
import threading
import time
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, connections, transaction
from django.utils import timezone
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV
from django.utils.module_loading import import_string
from django_tasks_db.management.commands.db_worker import Command as DatabaseWorkerCommand

from ticketing.models import ScheduledJob

logger = logging.getLogger(__name__)


# How often a running worker checks that every job has a live run (WorkerCommand).
WATCH_SECONDS = 30
LONGEST_LEASE = timedelta(hours=1)


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    function: str  # dotted path of a callable taking no arguments
    every: timedelta
    # A run still going after this long is presumed dead (its worker was killed) and the job
    # is started again. It must be longer than a run can take, and short enough that a dead
    # run costs a couple of intervals: by default two intervals, at most LONGEST_LEASE. (A
    # live run presumed dead only means the job runs twice at once, which jobs allow.)
    lease: timedelta | None = None

    def __post_init__(self):
        if self.lease is None:
            object.__setattr__(self, "lease", min(2 * self.every, LONGEST_LEASE))


EXPIRY_JOB = "expire-orders"

JOBS = (
    # End the holds of unpaid orders: frees their tickets for other buyers.
    PeriodicJob(EXPIRY_JOB, "ticketing.holds.expire_orders", every=timedelta(minutes=1)),
    # Waiting-list offers that ran out pass to the next in line; lost offer e-mails get a job.
    PeriodicJob("waiting-list-offers", "ticketing.waiting_list.run_scheduled", every=timedelta(minutes=1)),
    # Give ticket e-mails whose job was lost (a killed worker) a new one.
    PeriodicJob("requeue-ticket-emails", "ticketing.delivery.requeue_stalled", every=timedelta(minutes=5)),
    # Settle refunds whose answer SumUp never gave, by asking SumUp what it refunded.
    PeriodicJob(
        "settle-unknown-refunds",
        "ticketing.payments.refunds.settle_unknown_refunds",
        every=timedelta(minutes=2),
    ),
    # Carry on cancelled events' refunds: failed ones again, and payments that came in after.
    PeriodicJob(
        "resume-event-cancellations",
        "ticketing.cancellation.resume_cancellations",
        every=timedelta(minutes=5),
    ),
    # Compare SumUp's transaction history with our payments (ticketing.payments.reconcile).
    PeriodicJob("reconcile-payments", "ticketing.payments.reconcile.run_scheduled", every=timedelta(days=1)),
    # Erase buyers' personal data once their event is PERSONAL_DATA_RETENTION_DAYS past (legal.privacy).
    PeriodicJob("anonymise-old-orders", "legal.privacy.run_retention", every=timedelta(days=1)),
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
        if row["started_at"] is not None and row["started_at"] > now - job.lease:
            return True
        logger.warning("periodic run presumed dead: running longer than its lease", extra={"job": job.name})
        return False
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


class ChainWatch(threading.Thread):
    """A worker's thread that calls `ensure_scheduled` every `seconds`.

    django-tasks-db's worker loop has no hook of its own, and without this a run killed
    mid-way would be noticed only by another job's run, or by the next worker to start. A
    daemon thread: it ends with the worker, and a check cut short commits nothing.
    """

    def __init__(self, seconds: float):
        super().__init__(name="periodic-job-watch", daemon=True)
        self.seconds = seconds

    def run(self):
        while True:
            time.sleep(self.seconds)
            check_chains("periodic jobs restarted")
            connections.close_all()  # this thread's own: no connection idles between checks


def check_chains(started_message: str) -> None:
    """`ensure_scheduled`, logged, from a worker: a database error must not end the worker."""
    try:
        started = ensure_scheduled()
    except DatabaseError:
        # Not migrated yet, or the database is away: the worker goes on; a later check seeds.
        logger.warning("could not check the periodic jobs", exc_info=True)
    else:
        if started:
            logger.info("%s: %s", started_message, ", ".join(started))


class WorkerCommand(DatabaseWorkerCommand):
    """`manage.py db_worker` that makes sure every periodic job is scheduled: as it starts,
    then every `--schedule-check-interval` seconds while it runs."""

    help = "Run the database task worker (ticket e-mails, periodic jobs); keeps the periodic jobs scheduled."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--schedule-check-interval",
            type=float,
            default=WATCH_SECONDS,
            help="Seconds between checks that every periodic job has a live run (default: %(default)s).",
        )

    def handle(self, *args, **options):
        check_chains("periodic jobs started")
        if self._runs_the_loop(options):
            ChainWatch(options["schedule_check_interval"]).start()
        return super().handle(*args, **options)

    @staticmethod
    def _runs_the_loop(options) -> bool:
        """A worker that keeps running (not --batch), and with --reload the child process that
        runs the loop, not the parent that only restarts it."""
        if options["batch"] or options["schedule_check_interval"] <= 0:
            return False
        return not options["reload"] or os.environ.get(DJANGO_AUTORELOAD_ENV) == "true"
