"""The outbox: the only way to promise a buyer an e-mail.

Every e-mail to a buyer (their tickets, or news of a refund of their money) starts here, as a
`BuyerEmail` row and a job for the worker. The caller is in the middle of a transaction that
changes what the buyer must hear about (an order paid, a refund recorded); the promise is part
of that change:

* with django-tasks-db (production) the job is a row in the same database, enqueued in the same
  transaction: both commit or roll back together, so there is an e-mail job exactly when there
  is something to tell;
* any other task backend (the immediate one in tests) is handed the job only once the
  transaction has committed, so nothing is ever sent about a change that then rolled back.

Should a process die between the row and its job (a caller outside any transaction), the row
waits in `queued` with no job, and the recovery sweep (`delivery.requeue_stalled`) gives it one.

This module writes rows and enqueues jobs, nothing more: making the attempts, retrying and
giving up is `ticketing.delivery`'s work. It imports only the models and the task.
"""

import logging

from django.db import transaction
from django.utils import timezone

from ticketing.models import BuyerEmail, Order, Refund, WaitingListEntry
from ticketing.tasks import send_buyer_email, send_waiting_list_offer

logger = logging.getLogger(__name__)

# What the buyer is told about each kind of refund.
NOTICE_FOR_REFUND = {
    Refund.Kind.STAFF: BuyerEmail.Kind.REFUND,
    Refund.Kind.BUYER: BuyerEmail.Kind.REFUND,
    Refund.Kind.LATE_PAYMENT: BuyerEmail.Kind.LATE_PAYMENT,
    Refund.Kind.DUPLICATE_PAYMENT: BuyerEmail.Kind.DUPLICATE_PAYMENT,
}


def queue_tickets(order: Order, *, reason=BuyerEmail.Reason.PAID, requested_by=None) -> BuyerEmail:
    """Promise the buyer an e-mail with their tickets; call inside the transaction that pays.

    `reason` says why (the order was paid, or staff resent it: then `requested_by` is who).
    """
    return _queue(order, BuyerEmail.Kind.TICKETS, reason=reason, requested_by=requested_by)


def queue_refund_notice(refund: Refund) -> BuyerEmail:
    """Promise the buyer news of this refund; call in the transaction that recorded its outcome.

    The words depend on the refund's kind (a staff refund, or the apology for an automatic
    one) and on its state when the e-mail is sent, which is rendered from the refund as it is
    then. A refund may be notified more than once (an automatic refund that failed, then
    succeeded on a later try): each notice is its own row.
    """
    return _queue(refund.payment.order, NOTICE_FOR_REFUND[refund.kind], refund=refund, reason="")


def _queue(order: Order, kind: str, **fields) -> BuyerEmail:
    buyer_email = BuyerEmail.objects.create(order=order, kind=kind, next_attempt_at=timezone.now(), **fields)
    enqueue_attempt(buyer_email.pk)
    logger.info(
        "buyer e-mail queued",
        extra={"order": order.reference, "kind": kind, "reason": buyer_email.reason},
    )
    return buyer_email


def enqueue_attempt(buyer_email_id: int, run_after=None) -> None:
    """Give the e-mail a job that makes its next attempt, at once or at `run_after`.

    django-tasks has no retries of its own, so a retry is a new job that waits until it is due.
    A backend that cannot hold a job until later gets none: the recovery sweep enqueues the
    attempt once it is due. The job's id is kept on the row, so the sweep can tell a waiting
    job from a lost one.
    """
    task = send_buyer_email
    backend = task.get_backend()
    if run_after is not None:
        if not backend.supports_defer:
            return
        task = task.using(run_after=run_after)

    def enqueue():
        result = task.enqueue(buyer_email_id)
        BuyerEmail.objects.filter(pk=buyer_email_id).update(task_id=str(result.id))

    if queue_is_in_database():
        enqueue()
    else:
        transaction.on_commit(enqueue)


def queue_waiting_list_offer(entry_id: int) -> None:
    """Promise the person at the head of a waiting list the e-mail with their offer; call in the
    transaction that makes the offer.

    Someone on a waiting list is not a buyer yet, so there is no order to hang a `BuyerEmail` on:
    the entry records its one e-mail itself (state, tries, last error, as staff see them), and
    `ticketing.waiting_list.deliver_offer` sends and retries it like any buyer e-mail.
    """
    WaitingListEntry.objects.filter(pk=entry_id).update(
        notice_status=WaitingListEntry.NoticeStatus.QUEUED, notice_next_attempt_at=timezone.now()
    )
    enqueue_waiting_list_offer(entry_id)


def enqueue_waiting_list_offer(entry_id: int, run_after=None) -> None:
    """A job for the offer e-mail's next attempt, at once or at `run_after` (see `enqueue_attempt`)."""
    task = send_waiting_list_offer
    if run_after is not None:
        if not task.get_backend().supports_defer:
            return  # the periodic sweep (`waiting_list.requeue_stalled_notices`) picks it up
        task = task.using(run_after=run_after)
    if queue_is_in_database():
        task.enqueue(entry_id)
    else:
        transaction.on_commit(lambda: task.enqueue(entry_id))


def queue_is_in_database() -> bool:
    """Whether jobs are rows of this database (django-tasks-db), written in the caller's transaction."""
    from django_tasks_db import DatabaseBackend

    return isinstance(send_buyer_email.get_backend(), DatabaseBackend)


def jobs_waiting(task_ids) -> set[str]:
    """Which of these task ids are still waiting or running in the database queue."""
    task_ids = list(task_ids)
    if not task_ids or not queue_is_in_database():
        return set()
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    alive = DBTaskResult.objects.filter(
        id__in=task_ids, status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING]
    ).values_list("id", flat=True)
    return {str(task_id) for task_id in alive}
