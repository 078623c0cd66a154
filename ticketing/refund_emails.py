"""The buyer's e-mail about a refund: staff refunds, and the apologies for automatic ones.

The task carries only the refund's id and renders the e-mail when it runs, from the refund
as it is then: no personal data waits in the job queue, and the body is not stored anywhere.
It is queued when the transaction that recorded the refund commits. A failed send is logged
(staff see the refund in the admin and can contact the buyer); it never undoes the refund.
"""

import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django_tasks import task

from ticketing import delivery

logger = logging.getLogger(__name__)


def queue(refund_id: int) -> None:
    """E-mail the buyer about this refund once the current transaction commits."""
    transaction.on_commit(lambda: send_refund_email.enqueue(refund_id))


@task()
def send_refund_email(refund_id: int) -> str:
    from ticketing.models import Refund

    refund = Refund.objects.select_related("payment__order__event").filter(pk=refund_id).first()
    if refund is None or not refund.payment.order.email:
        return "skipped"
    order = refund.payment.order
    try:
        build_refund_email(refund).send()
    except Exception:  # the refund stands whatever happens to its e-mail
        logger.exception("refund e-mail failed", extra={"order": order.reference, "refund": refund.pk})
        return "failed"
    logger.info("refund e-mail sent", extra={"order": order.reference, "refund": refund.pk})
    return "sent"


def build_refund_email(refund) -> EmailMultiAlternatives:
    """Plain text and HTML; which words depends on the refund's kind and whether SumUp accepted it."""
    order = refund.payment.order
    site_name, contact_email = delivery.site_details()
    ticket_count = refund.tickets.count()
    context = {
        "refund": refund,
        "order": order,
        "event": order.event,
        "currency": refund.payment.currency,
        "ticket_count": ticket_count,
        "whole_order": bool(ticket_count) and ticket_count == order.tickets.count(),
        "others_valid": order.tickets.filter(voided_at__isnull=True).exists(),
        "succeeded": refund.status == refund.Status.SUCCEEDED,
        "order_url": settings.SITE_URL + reverse("ticketing:order", args=[order.token]),
        "site_name": site_name,
        "contact_email": contact_email,
    }
    subject = " ".join(render_to_string("emails/refund_subject.txt", context).split())
    message = EmailMultiAlternatives(
        subject=subject, body=render_to_string("emails/refund.txt", context), to=[order.email]
    )
    message.attach_alternative(render_to_string("emails/refund.html", context), "text/html")
    message.tags = ["refund"]
    message.metadata = {"order_reference": order.reference}
    return message
