"""Getting every e-mail to its buyer: attempts, retries, giving up, recovery and staff resends.

The life of a buyer e-mail (`BuyerEmail`, one row per promise to send: the tickets, a refund
notice, or the apology for an automatic refund):

1. `ticketing.outbox` writes the row and enqueues its job, in the transaction that makes the
   promise (the one that pays, resends or records a refund).
2. The worker runs `deliver()`: it claims the row with a conditional UPDATE
   (`queued → sending`, so two jobs for one row cannot both send), renders the e-mail its kind
   calls for, from the database as it is now, and sends it through the configured backend
   (anymail in production).
3. A failure is recorded on the row (attempts, error with any address blanked) and a new job
   is enqueued to run after the next delay of `retry_delays()` (django-tasks has no retries
   of its own). After the last delay the row is marked `failed` and an error is logged
   (Sentry alerts on it); staff see it in the admin (and can resend tickets).
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

from ticketing import calendar, cancellation, order_summary, outbox
from ticketing.models import BuyerEmail, Order, Refund, Ticket, valid_tickets_of
from ticketing.tickets import qr_png, sign_ticket_code

logger = logging.getLogger(__name__)

# Minutes to wait before each retry: 7 attempts over about ten and a half hours, long enough
# to ride out a provider's outage, short enough that the buyer has tickets before the event.
# The setting keeps the name it had when only ticket e-mails were retried; it covers every kind.
DEFAULT_RETRY_MINUTES = (1, 5, 15, 60, 180, 360)
# A row in `sending` for longer than this belongs to a worker that died.
SENDING_LEASE = timedelta(minutes=10)
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


class NothingToSend(Exception):
    """The e-mail has lost its purpose since it was queued; the message says why, for staff."""


# --- Sending ------------------------------------------------------------------------------


def deliver(buyer_email_id: int) -> str:
    """Make one attempt at sending a buyer e-mail; the body of the `send_buyer_email` task.

    Returns what happened: "sent", "retry", "failed", "cancelled", or "skipped" when the row
    is not due (already sent, being sent by another job, or waiting for a later retry).
    """
    now = timezone.now()
    claimed = BuyerEmail.objects.filter(
        pk=buyer_email_id, status=BuyerEmail.Status.QUEUED, next_attempt_at__lte=now
    )
    if not claimed.update(status=BuyerEmail.Status.SENDING, attempts=F("attempts") + 1, last_attempt_at=now):
        return "skipped"
    buyer_email = BuyerEmail.objects.select_related("order__event", "refund__payment").get(pk=buyer_email_id)
    log_extra = {
        "order": buyer_email.order.reference,
        "kind": buyer_email.kind,
        "attempt": buyer_email.attempts,
    }
    try:
        compose(buyer_email).send()
    except NothingToSend as why:
        _finish(buyer_email, BuyerEmail.Status.CANCELLED, next_attempt_at=None, last_error=str(why))
        logger.info("buyer e-mail cancelled: %s", why, extra=log_extra)
        return "cancelled"
    except Exception as error:  # any failure of rendering or the provider: record, retry
        return _after_failure(buyer_email, error)
    _finish(buyer_email, BuyerEmail.Status.SENT, sent_at=timezone.now(), next_attempt_at=None, last_error="")
    logger.info("buyer e-mail sent", extra=log_extra)
    return "sent"


def compose(buyer_email: BuyerEmail) -> EmailMultiAlternatives:
    """The message this e-mail is now, from the order (and refund) as they are at this attempt.

    Raises `NothingToSend` when there is no longer anything to say: no address to send to, or
    tickets to send that are no longer valid.
    """
    order = buyer_email.order
    if not order.email:
        raise NothingToSend("The order has no e-mail address.")
    if buyer_email.kind == BuyerEmail.Kind.TICKETS:
        tickets = valid_tickets_of(order) if order.status in Order.OWNS_TICKETS else []
        if not tickets:
            raise NothingToSend("No valid tickets to send.")
        return build_ticket_email(order, tickets)
    return build_refund_email(buyer_email.refund)


def _finish(buyer_email: BuyerEmail, status: str, **fields) -> None:
    BuyerEmail.objects.filter(pk=buyer_email.pk, status=BuyerEmail.Status.SENDING).update(
        status=status, **fields
    )


def _after_failure(buyer_email: BuyerEmail, error: Exception) -> str:
    description = describe_error(error)
    log_extra = {
        "order": buyer_email.order.reference,
        "kind": buyer_email.kind,
        "attempt": buyer_email.attempts,
        "error": type(error).__name__,
    }
    delays = retry_delays()
    if isinstance(error, PERMANENT_ERRORS) or buyer_email.attempts > len(delays):
        _finish(buyer_email, BuyerEmail.Status.FAILED, next_attempt_at=None, last_error=description)
        logger.error("buyer e-mail failed; giving up until staff act", extra=log_extra)
        return "failed"
    retry_at = timezone.now() + delays[buyer_email.attempts - 1]
    _finish(buyer_email, BuyerEmail.Status.QUEUED, next_attempt_at=retry_at, last_error=description)
    outbox.enqueue_attempt(buyer_email.pk, run_after=retry_at)
    logger.warning("buyer e-mail failed; will retry", extra={**log_extra, "retry_at": retry_at.isoformat()})
    return "retry"


def describe_error(error: Exception) -> str:
    """The error for staff to read: its class and message, any e-mail address blanked out."""
    message = _ADDRESS.sub("[address]", str(error)).strip()
    text = type(error).__name__ + (f": {message}" if message else "")
    return text[:300]


def valid_tickets(order: Order):
    """`models.valid_tickets_of` as a queryset, for staff pages that count or test for them."""
    return (
        order.tickets.filter(voided_at__isnull=True)
        .select_related("ticket_type")
        .order_by("ticket_type__sort_order", "id")
    )


def tickets_url(order: Order) -> str:
    return settings.SITE_URL + reverse("ticketing:tickets", args=[order.token])


def order_url(order: Order) -> str:
    return settings.SITE_URL + reverse("ticketing:order", args=[order.token])


SITE_DETAILS_KEY = "ticketing:site-details:v1"
# Bumped by every save or deletion of the site settings (connected in TicketingConfig.ready).
SITE_DETAILS_VERSION = "ticketing:site-details-version"


def site_details():
    """The site's name and contact address as editors set them (Settings → Site settings).

    Asked for every e-mail, so kept in the shared cache (`site_furniture.cached_under`) under
    the sites' version (a Site added, edited or deleted) and `SITE_DETAILS_VERSION` (the site
    settings saved or deleted): an edit is seen by the next e-mail. While the cache is down it
    is read from the database, as before.
    """
    from core import site_furniture

    return site_furniture.cached_under(
        SITE_DETAILS_KEY, [site_furniture.SITES_VERSION, SITE_DETAILS_VERSION], _load_site_details
    )


def site_details_changed(**kwargs):
    """The site settings were saved or deleted: the next e-mail reads them again (a receiver)."""
    from core import site_furniture

    site_furniture.bump(SITE_DETAILS_VERSION)


def _load_site_details():
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
        "order_url": order_url(order),
        "find_orders_url": settings.SITE_URL + reverse("ticketing:find-orders"),
        "site_name": site_name,
        "contact_email": contact_email,
        # Found once for both versions of the message: the event page's address is a query.
        "calendar": calendar.add_to_calendar(order),
    }
    message = _render("tickets", context, to=order.email)
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


def build_refund_email(refund: Refund) -> EmailMultiAlternatives:
    """The buyer's news of a refund: plain text and HTML.

    Which words depends on the refund's kind (a staff refund, an apology for a payment that
    came after the tickets were gone, a note about a second payment) and on whether SumUp has
    accepted it yet. A staff refund lists the tickets it voided, so the buyer knows which of
    theirs no longer admit anyone.
    """
    order = refund.payment.order
    site_name, contact_email = site_details()
    # What the order page says too, from the same place: the refund's tickets, what still admits.
    summary = order_summary.summarise(order)
    line = order_summary.refund_line(summary, refund)
    refunded_tickets = list(line.tickets) if line else []
    context = {
        "refund": refund,
        "order": order,
        "event": order.event,
        "currency": refund.payment.currency,
        "refunded_tickets": refunded_tickets,
        "ticket_count": len(refunded_tickets),
        "whole_order": bool(refunded_tickets) and len(refunded_tickets) == order.tickets.count(),
        "others_valid": bool(summary.admitting),
        "admitting": summary.admitting,
        "remaining": summary.remaining,
        "succeeded": refund.status == Refund.Status.SUCCEEDED,
        "event_cancelled": cancellation.refund_follows_cancellation(refund),
        "order_url": order_url(order),
        "site_name": site_name,
        "contact_email": contact_email,
    }
    message = _render("refund", context, to=order.email)
    message.tags = ["refund"]
    message.metadata = {"order_reference": order.reference}
    return message


def _render(template: str, context: dict, *, to: str) -> EmailMultiAlternatives:
    """emails/<template>_subject.txt, .txt and .html made into one message (subject on one line)."""
    subject = " ".join(render_to_string(f"emails/{template}_subject.txt", context).split())
    message = EmailMultiAlternatives(
        subject=subject, body=render_to_string(f"emails/{template}.txt", context), to=[to]
    )
    message.attach_alternative(render_to_string(f"emails/{template}.html", context), "text/html")
    return message


# --- Recovery and resend ----------------------------------------------------------------------


def requeue_stalled(now=None) -> int:
    """Put back to work the buyer e-mails whose job was lost; returns how many.

    * `sending` for longer than `SENDING_LEASE`: the worker died mid-attempt. The row goes
      back to `queued` (or to `failed` when it has had all its attempts) and gets a new job.
    * `queued` and overdue by more than the lease, with no job waiting for it in the queue
      (a job lost, or a retry the task backend could not schedule): it gets a new job.

    A job that turns up anyway is harmless: `deliver` claims the row before sending.
    """
    now = now or timezone.now()
    cutoff = now - SENDING_LEASE
    stuck = BuyerEmail.objects.filter(status=BuyerEmail.Status.SENDING, last_attempt_at__lt=cutoff)
    stuck.filter(attempts__gte=max_attempts()).update(
        status=BuyerEmail.Status.FAILED,
        next_attempt_at=None,
        last_error="Worker stopped during the last attempt",
    )
    revived = list(stuck.values_list("pk", flat=True))
    BuyerEmail.objects.filter(pk__in=revived, status=BuyerEmail.Status.SENDING).update(
        status=BuyerEmail.Status.QUEUED, next_attempt_at=now, last_error="Worker stopped during the attempt"
    )
    overdue = BuyerEmail.objects.filter(status=BuyerEmail.Status.QUEUED, next_attempt_at__lt=cutoff).exclude(
        pk__in=revived
    )
    waiting = outbox.jobs_waiting(overdue.exclude(task_id="").values_list("task_id", flat=True))
    lost = [pk for pk, task_id in overdue.values_list("pk", "task_id") if task_id not in waiting]
    for pk in [*revived, *lost]:
        outbox.enqueue_attempt(pk)
    for order_reference, kind in BuyerEmail.objects.filter(pk__in=[*revived, *lost]).values_list(
        "order__reference", "kind"
    ):
        logger.warning("buyer e-mail job lost; queued again", extra={"order": order_reference, "kind": kind})
    return len(revived) + len(lost)


def resend_tickets(order: Order, staff_user, email: str | None = None) -> BuyerEmail:
    """Send the order's tickets again, to a corrected address if given; written to the audit log.

    The new address replaces the order's (so later e-mails go there too). The audit entry
    records who resent and whether the address changed, not the addresses themselves: personal
    data in the log would be one more place for erasure to find.
    """
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        if order.status not in Order.OWNS_TICKETS or not valid_tickets(order).exists():
            raise CannotResend(f"Order {order.reference} has no valid tickets to send.")
        address_changed = bool(email) and email != order.email
        if address_changed:
            order.email = email
            order.save(update_fields=["email", "updated_at"])
        buyer_email = outbox.queue_tickets(order, reason=BuyerEmail.Reason.RESEND, requested_by=staff_user)
        log(
            instance=order,
            action=RESEND_LOG_ACTION,
            user=staff_user,
            # "ticket_email" is the key earlier entries of this action use.
            data={"ticket_email": buyer_email.pk, "address_changed": address_changed},
        )
    return buyer_email
