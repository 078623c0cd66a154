"""/health/ready/ answers 503 naming the worker when no periodic job has run for
WORKER_STALE_MINUTES, where the database queue (and so a worker) is in use; /health/ stays 200.

The job state rows are real ScheduledJob rows, aged by moving their timestamps back.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from ticketing.models import ScheduledJob
from ticketing.schedule import EXPIRY_JOB, JOBS

DATABASE_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def database_queue(settings):
    """The production queue (django-tasks-db): the configuration in which a worker must run."""
    settings.TASKS = DATABASE_QUEUE


def jobs_last_ran(minutes_ago):
    """Every periodic job's state as a worker leaves it: last run `minutes_ago`, next run due."""
    ran = timezone.now() - timedelta(minutes=minutes_ago)
    for job in JOBS:
        ScheduledJob.objects.update_or_create(
            name=job.name,
            defaults={
                "last_started_at": ran,
                "last_finished_at": ran + timedelta(seconds=1),
                "next_run_at": ran + job.every,
                "last_outcome": "ok",
            },
        )


@pytest.mark.django_db
def test_ready_is_ok_while_the_worker_runs_its_jobs(client, database_queue):
    jobs_last_ran(minutes_ago=1)
    response = client.get("/health/ready/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "worker": "ok"}


@pytest.mark.django_db
def test_ready_names_the_worker_when_no_job_ran_for_longer_than_the_setting(client, settings, database_queue):
    settings.WORKER_STALE_MINUTES = 10
    jobs_last_ran(minutes_ago=11)
    response = client.get("/health/ready/")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "failing": ["worker"], "worker": "late"}
    assert client.get("/health/").status_code == 200, "the platform's instance check must stay green"


@pytest.mark.django_db
def test_one_recent_run_of_any_job_keeps_the_worker_alive(client, settings, database_queue):
    settings.WORKER_STALE_MINUTES = 10
    jobs_last_ran(minutes_ago=30)
    ScheduledJob.objects.filter(name="requeue-ticket-emails").update(last_finished_at=timezone.now())
    assert client.get("/health/ready/").status_code == 200


@pytest.mark.django_db
def test_the_threshold_is_the_setting(client, settings, database_queue):
    jobs_last_ran(minutes_ago=11)
    settings.WORKER_STALE_MINUTES = 15
    assert client.get("/health/ready/").status_code == 200
    settings.WORKER_STALE_MINUTES = 5
    assert client.get("/health/ready/").status_code == 503


@pytest.mark.django_db
def test_jobs_scheduled_but_never_run_count_from_when_they_were_due(client, settings, database_queue):
    """A deploy's migrate seeds the jobs; a worker that never started leaves them unrun."""
    settings.WORKER_STALE_MINUTES = 10
    ScheduledJob.objects.create(name=EXPIRY_JOB, next_run_at=timezone.now() - timedelta(minutes=2))
    assert client.get("/health/ready/").status_code == 200
    ScheduledJob.objects.filter(name=EXPIRY_JOB).update(next_run_at=timezone.now() - timedelta(minutes=20))
    assert client.get("/health/ready/").status_code == 503


@pytest.mark.django_db
def test_a_database_no_job_was_ever_scheduled_in_is_not_judged(client, database_queue):
    assert not ScheduledJob.objects.exists()
    assert client.get("/health/ready/").status_code == 200


@pytest.mark.django_db
def test_without_the_database_queue_no_worker_is_expected(client, settings):
    """The test settings' immediate backend runs tasks on the spot: there is no worker."""
    settings.TASKS = IMMEDIATE
    settings.WORKER_STALE_MINUTES = 10
    jobs_last_ran(minutes_ago=60)
    response = client.get("/health/ready/")
    assert response.status_code == 200


@pytest.mark.django_db
def test_the_worker_check_costs_one_query_however_many_jobs(
    client, database_queue, django_assert_num_queries
):
    jobs_last_ran(minutes_ago=1)
    with django_assert_num_queries(3):  # SELECT 1, the expiry job's due time, the one aggregate
        assert client.get("/health/ready/").status_code == 200
    for number in range(50):
        ScheduledJob.objects.create(
            name=f"old-job-{number}", last_started_at=timezone.now() - timedelta(days=1)
        )
    with django_assert_num_queries(3):
        assert client.get("/health/ready/").status_code == 200
