"""Getting tickets to the buyer: the ticket e-mail, its retries, and staff resends.

The life of a ticket e-mail (`TicketEmail`, one row per promise to send):

1. `queue_ticket_email(order)` runs inside the transaction that marks the order paid. It
   writes the `TicketEmail` row and enqueues the `send_ticket_email` task on the
   django-tasks-db backend, whose job is a row in the same database: both commit or roll back
   with the payment, so there is an e-mail job exactly when there are tickets.
2. The worker runs `deliver()`: it claims the row with a conditional UPDATE
   (`queued → sending`, so two jobs for one row cannot both send), renders the e-mail and
   sends it through the configured backend (anymail in production).
3. A failure is recorded on the row (attempts, error with any address blanked) and the task
   is enqueued again with `run_after` = now + the next delay of `RETRY_DELAYS` (django-tasks
   has no retries of its own). After the last delay the row is marked `failed` and an error
   is logged (Sentry alerts on it); staff see it in the admin and can resend.
4. `requeue_stalled()`, run by the scheduler every few minutes, puts back to work a row whose
   job was lost: a worker killed mid-send (stuck in `sending` past `SENDING_LEASE`) or a queued
   row whose job is no longer in the queue. Delivery is therefore at-least-once: a worker that
   dies between the provider's "accepted" and our "sent" sends that e-mail again, which is the
   right side to err on.

Logs name the order by reference, never the buyer's address; bodies are not stored.
"""

import logging
import re
import smtplib
from datetime import timedelta
from email.mime.image import MIMEImage
from email.utils import parseaddr

from anymail.exceptions import AnymailInvalidAddress, AnymailRecipientsRefused
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from wagtail.log_actions import log

from ticketing.models import Order, Ticket, TicketEmail
from ticketing.tickets import qr_png, sign_ticket_code

logger = logging.getLogger(__name__)

# Minutes to wait before each retry: 7 attempts over about ten and a half hours, long enough
# to ride out a provider's outage, short enough that the buyer has tickets before the event.
DEFAULT_RETRY_MINUTES = (1, 5, 15, 60, 180, 360)
# A row in `sending` for longer than this belongs to a worker that died.
SENDING_LEASE = timedelta(minutes=10)
# Orders in these states own valid tickets.
TICKET_STATES = (Order.Status.PAID, Order.Status.PARTIALLY_REFUNDED)
RESEND_LOG_ACTION = "ticketing.resend_tickets"

# Failures that no retry can cure: the provider refuses this address. Staff correct it and resend.
PERMANENT_ERRORS = (AnymailRecipientsRefused, AnymailInvalidAddress, smtplib.SMTPRecipientsRefused)

_ADDRESS = re.compile(r"[^\s@<>\"'(),;:]+@[^\s@<>\"'(),;:]+")


def retry_delays() -> list[timedelta]:
    minutes = getattr(settings, "TICKET_EMAIL_RETRY_MINUTES", DEFAULT_RETRY_MINUTES)
    return [timedelta(minutes=float(m)) for m in minutes]


def max_attempts() -> int:
    return len(retry_delays()) + 1


class CannotResend(Exception):
    """The order has no valid tickets to send (not paid, or refunded)."""


# --- Queueing -----------------------------------------------------------------------------


def queue_ticket_email(order: Order, *, reason=TicketEmail.Reason.PAID, requested_by=None) -> TicketEmail:
    """Promise the buyer an e-mail with their tickets; call inside the transaction that pays.

    Returns the new `TicketEmail`. Its job is enqueued in the same transaction when the task
    backend keeps jobs in this database (django-tasks-db); any other backend (the immediate
    one in tests) is handed the job only once the transaction has committed, so no e-mail is
    ever sent for a payment that then rolled back.
    """
    ticket_email = TicketEmail.objects.create(
        order=order, reason=reason, requested_by=requested_by, next_attempt_at=timezone.now()
    )
    _enqueue(ticket_email.pk)
    logger.info("ticket e-mail queued", extra={"order": order.reference, "reason": reason})
    return ticket_email


def _backend_is_transactional(backend) -> bool:
    from django_tasks_db import DatabaseBackend

    return isinstance(backend, DatabaseBackend)


def _enqueue(ticket_email_id: int, run_after=None) -> None:
    from ticketing.tasks import send_ticket_email

    task = send_ticket_email
    backend = task.get_backend()
    if run_after is not None:
        if not backend.supports_defer:
            # Nothing can wait in this backend's queue: `requeue_stalled` enqueues it when due.
            return
        task = task.using(run_after=run_after)

    def enqueue():
        result = task.enqueue(ticket_email_id)
        TicketEmail.objects.filter(pk=ticket_email_id).update(task_id=str(result.id))

    if _backend_is_transactional(backend):
        enqueue()
    else:
        transaction.on_commit(enqueue)


# --- Sending ------------------------------------------------------------------------------


def deliver(ticket_email_id: int) -> str:
    """Make one attempt at sending a ticket e-mail; the body of the `send_ticket_email` task.

    Returns what happened: "sent", "retry", "failed", "cancelled", or "skipped" when the row
    is not due (already sent, being sent by another job, or waiting for a later retry).
    """
    now = timezone.now()
    claimed = TicketEmail.objects.filter(
        pk=ticket_email_id, status=TicketEmail.Status.QUEUED, next_attempt_at__lte=now
    )
    if not claimed.update(status=TicketEmail.Status.SENDING, attempts=F("attempts") + 1, last_attempt_at=now):
        return "skipped"
    ticket_email = TicketEmail.objects.select_related("order__event").get(pk=ticket_email_id)
    order = ticket_email.order
    tickets = list(valid_tickets(order)) if order.status in TICKET_STATES else []
    if not tickets:
        _finish(ticket_email, TicketEmail.Status.CANCELLED, next_attempt_at=None)
        logger.info("ticket e-mail cancelled: no valid tickets", extra={"order": order.reference})
        return "cancelled"
    try:
        build_ticket_email(order, tickets).send()
    except Exception as error:  # any failure of rendering or the provider: record, retry
        return _after_failure(ticket_email, error)
    _finish(
        ticket_email, TicketEmail.Status.SENT, sent_at=timezone.now(), next_attempt_at=None, last_error=""
    )
    logger.info("ticket e-mail sent", extra={"order": order.reference, "attempt": ticket_email.attempts})
    return "sent"


def _finish(ticket_email: TicketEmail, status: str, **fields) -> None:
    TicketEmail.objects.filter(pk=ticket_email.pk, status=TicketEmail.Status.SENDING).update(
        status=status, **fields
    )


def _after_failure(ticket_email: TicketEmail, error: Exception) -> str:
    order = ticket_email.order
    description = describe_error(error)
    log_extra = {"order": order.reference, "attempt": ticket_email.attempts, "error": type(error).__name__}
    delays = retry_delays()
    if isinstance(error, PERMANENT_ERRORS) or ticket_email.attempts > len(delays):
        _finish(ticket_email, TicketEmail.Status.FAILED, next_attempt_at=None, last_error=description)
        logger.error("ticket e-mail failed; giving up until staff resend", extra=log_extra)
        return "failed"
    retry_at = timezone.now() + delays[ticket_email.attempts - 1]
    _finish(ticket_email, TicketEmail.Status.QUEUED, next_attempt_at=retry_at, last_error=description)
    _enqueue(ticket_email.pk, run_after=retry_at)
    logger.warning("ticket e-mail failed; will retry", extra={**log_extra, "retry_at": retry_at.isoformat()})
    return "retry"


def describe_error(error: Exception) -> str:
    """The error for staff to read: its class and message, any e-mail address blanked out."""
    message = _ADDRESS.sub("[address]", str(error)).strip()
    text = type(error).__name__ + (f": {message}" if message else "")
    return text[:300]


def valid_tickets(order: Order):
    return (
        order.tickets.filter(voided_at__isnull=True)
        .select_related("ticket_type")
        .order_by("ticket_type__sort_order", "id")
    )


def tickets_url(order: Order) -> str:
    return settings.SITE_URL + reverse("ticketing:tickets", args=[order.token])


def site_details():
    """The site's name and contact address as editors set them (Settings → Site settings)."""
    from wagtail.models import Site

    from core.models import SiteSettings

    name, contact = settings.WAGTAIL_SITE_NAME, ""
    site = Site.objects.filter(is_default_site=True).first()
    if site is not None:
        site_settings = SiteSettings.for_site(site)
        name, contact = site_settings.site_name or name, site_settings.contact_email
    return name, contact


def _content_id(ticket: Ticket) -> str:
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "tickets.invalid"
    return f"ticket-{ticket.code}@{domain}"


def build_ticket_email(order: Order, tickets: list[Ticket]) -> EmailMultiAlternatives:
    """The ticket e-mail: plain text and HTML, one inline QR code (PNG) per ticket.

    The message is multipart/related (the HTML part and the images it shows by Content-ID),
    inside which multipart/alternative holds the text and HTML versions. Anymail passes images
    attached with a Content-ID to SendGrid and Mailgun as inline images.
    """
    event = order.event
    site_name, contact_email = site_details()
    items = [{"ticket": ticket, "cid": _content_id(ticket)} for ticket in tickets]
    context = {
        "order": order,
        "event": event,
        "items": items,
        "tickets_url": tickets_url(order),
        "order_url": settings.SITE_URL + reverse("ticketing:order", args=[order.token]),
        "site_name": site_name,
        "contact_email": contact_email,
    }
    subject = " ".join(render_to_string("emails/tickets_subject.txt", context).split())
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("emails/tickets.txt", context),
        to=[order.email],
    )
    message.attach_alternative(render_to_string("emails/tickets.html", context), "text/html")
    message.mixed_subtype = "related"
    for item in items:
        ticket = item["ticket"]
        image = MIMEImage(qr_png(sign_ticket_code(ticket.code)), "png")
        image.add_header("Content-ID", f"<{item['cid']}>")
        image.add_header("Content-Disposition", "inline", filename=f"ticket-{ticket.display_code}.png")
        message.attach(image)
    # Seen by the provider (SendGrid, Mailgun) in its logs and events; ignored by other backends.
    message.tags = ["tickets"]
    message.metadata = {"order_reference": order.reference}
    return message


# --- Recovery and resend ----------------------------------------------------------------------


def requeue_stalled(now=None) -> int:
    """Put back to work the ticket e-mails whose job was lost; returns how many.

    * `sending` for longer than `SENDING_LEASE`: the worker died mid-attempt. The row goes
      back to `queued` (or to `failed` when it has had all its attempts) and gets a new job.
    * `queued` and overdue by more than the lease, with no job waiting for it in the queue
      (a job lost, or a retry the task backend could not schedule): it gets a new job.

    A job that turns up anyway is harmless: `deliver` claims the row before sending.
    """
    now = now or timezone.now()
    cutoff = now - SENDING_LEASE
    stuck = TicketEmail.objects.filter(status=TicketEmail.Status.SENDING, last_attempt_at__lt=cutoff)
    stuck.filter(attempts__gte=max_attempts()).update(
        status=TicketEmail.Status.FAILED,
        next_attempt_at=None,
        last_error="Worker stopped during the last attempt",
    )
    revived = list(stuck.values_list("pk", flat=True))
    TicketEmail.objects.filter(pk__in=revived, status=TicketEmail.Status.SENDING).update(
        status=TicketEmail.Status.QUEUED, next_attempt_at=now, last_error="Worker stopped during the attempt"
    )
    overdue = TicketEmail.objects.filter(
        status=TicketEmail.Status.QUEUED, next_attempt_at__lt=cutoff
    ).exclude(pk__in=revived)
    waiting = _jobs_waiting(overdue.exclude(task_id="").values_list("task_id", flat=True))
    lost = [pk for pk, task_id in overdue.values_list("pk", "task_id") if task_id not in waiting]
    for pk in [*revived, *lost]:
        _enqueue(pk)
    for order_reference in TicketEmail.objects.filter(pk__in=[*revived, *lost]).values_list(
        "order__reference", flat=True
    ):
        logger.warning("ticket e-mail job lost; queued again", extra={"order": order_reference})
    return len(revived) + len(lost)


def _jobs_waiting(task_ids) -> set[str]:
    """Which of these task ids are still waiting or running in the database queue."""
    from ticketing.tasks import send_ticket_email

    task_ids = list(task_ids)
    if not task_ids or not _backend_is_transactional(send_ticket_email.get_backend()):
        return set()
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    alive = DBTaskResult.objects.filter(
        id__in=task_ids, status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING]
    ).values_list("id", flat=True)
    return {str(task_id) for task_id in alive}


def resend_tickets(order: Order, staff_user, email: str | None = None) -> TicketEmail:
    """Send the order's tickets again, to a corrected address if given; written to the audit log.

    The new address replaces the order's (so later e-mails go there too). The audit entry
    records who resent and whether the address changed, not the addresses themselves: personal
    data in the log would be one more place for erasure to find.
    """
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        if order.status not in TICKET_STATES or not valid_tickets(order).exists():
            raise CannotResend(f"Order {order.reference} has no valid tickets to send.")
        address_changed = bool(email) and email != order.email
        if address_changed:
            order.email = email
            order.save(update_fields=["email", "updated_at"])
        ticket_email = queue_ticket_email(order, reason=TicketEmail.Reason.RESEND, requested_by=staff_user)
        log(
            instance=order,
            action=RESEND_LOG_ACTION,
            user=staff_user,
            data={"ticket_email": ticket_email.pk, "address_changed": address_changed},
        )
    return ticket_email
