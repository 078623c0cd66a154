"""Background tasks run by `python manage.py db_worker` (django-tasks with django-tasks-db).

This is the only module that defines tasks. Each is a thin entry point: the work and its rules
live in `ticketing.delivery` and `ticketing.schedule`, which can be called and tested without a
queue. Arguments are ids and names only: a job row must not carry personal data, and it may
run after the data changed.

A job names its task by import path, and a live queue holds jobs for hours (a retry waits up to
six), so a task's path outlives the code that enqueued it: rename or move one only by keeping
the old name working too.
"""

from django_tasks import task

# Periodic jobs (expiring holds frees tickets during an on-sale rush) go ahead of e-mails;
# both are short.
PERIODIC_PRIORITY = 10
EMAIL_PRIORITY = 0


@task(priority=EMAIL_PRIORITY)
def send_buyer_email(buyer_email_id: int) -> str:
    """One attempt at sending a `BuyerEmail` of any kind; failures are retried by enqueueing again."""
    from ticketing.delivery import deliver

    return deliver(buyer_email_id)


@task(priority=EMAIL_PRIORITY)
def send_ticket_email(ticket_email_id: int) -> str:
    """The former name of `send_buyer_email`, kept for jobs enqueued under it.

    Before every buyer e-mail had a row, ticket e-mails alone did, and their jobs named this
    task; retries among them wait up to six hours. Those rows became `BuyerEmail` rows with the
    same ids, so such a job delivers by id as before. Nothing enqueues it any more: it can go
    once no job in the queue names `ticketing.tasks.send_ticket_email`.
    """
    from ticketing.delivery import deliver

    return deliver(ticket_email_id)


@task(priority=PERIODIC_PRIORITY, takes_context=True)
def run_periodic_job(context, name: str) -> str:
    """One run of a periodic job; it then enqueues its own next run (see `ticketing.schedule`)."""
    from ticketing.schedule import run_job

    return run_job(name, task_id=context.task_result.id)


@task(priority=EMAIL_PRIORITY)
def refund_cancelled_event(cancellation_id: int) -> str:
    """Refund the buyers of a cancelled event (`ticketing.cancellation`); resumed if cut short."""
    from ticketing.cancellation import refund_orders
    from ticketing.models import EventCancellation

    return refund_orders(EventCancellation.objects.get(pk=cancellation_id))


@task(priority=EMAIL_PRIORITY)
def send_order_links(order_lookup_id: int) -> str:
    """E-mail a "Find my tickets" request its orders' links; the id, never the address, names it."""
    from ticketing.find_orders import send_order_links

    return send_order_links(order_lookup_id)


@task(priority=EMAIL_PRIORITY)
def send_waiting_list_offer(waiting_list_entry_id: int) -> str:
    """One attempt at a waiting-list offer e-mail (`ticketing.waiting_list`); the entry's id only."""
    from ticketing.waiting_list import deliver_offer

    return deliver_offer(waiting_list_entry_id)
