"""Background tasks run by `python manage.py db_worker` (django-tasks with django-tasks-db).

Each task is a thin entry point: the work and its rules live in `ticketing.delivery` and
`ticketing.schedule`, which can be called and tested without a queue. Arguments are ids and
names only: a job row must not carry personal data, and it may run after the data changed.
"""

from django_tasks import task

# Periodic jobs (expiring holds frees tickets during an on-sale rush) go ahead of e-mails;
# both are short.
PERIODIC_PRIORITY = 10
EMAIL_PRIORITY = 0


@task(priority=EMAIL_PRIORITY)
def send_ticket_email(ticket_email_id: int) -> str:
    """One attempt at sending a `TicketEmail`; failures are retried by enqueueing again."""
    from ticketing.delivery import deliver

    return deliver(ticket_email_id)


@task(priority=PERIODIC_PRIORITY, takes_context=True)
def run_periodic_job(context, name: str) -> str:
    """One run of a periodic job; it then enqueues its own next run (see `ticketing.schedule`)."""
    from ticketing.schedule import run_job

    return run_job(name, task_id=context.task_result.id)
