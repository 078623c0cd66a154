"""The e-mail that carries a data request's confirmation link to the address it is about.

Opening the link is what proves the requester owns the address, so the message goes to that
address and nowhere else, and reads the same whether or not we hold anything for it: the form
and this e-mail must not tell a stranger whether an address has bought tickets.
"""

import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse

from legal import data_requests
from legal.models import DataRequest
from legal.tasks import send_data_request_link
from ticketing.delivery import site_details

logger = logging.getLogger(__name__)


def queue_confirmation_link(request: DataRequest) -> None:
    """Send the link once the request is committed: the job names the request by id alone."""
    request_id = request.pk
    transaction.on_commit(lambda: send_data_request_link.enqueue(request_id))


def send_confirmation_link(request_id: int) -> str:
    """The job's work: "sent", or "skipped" when there is no longer a link to send.

    A request confirmed or answered meanwhile, or whose address was erased, needs no link.
    """
    request = DataRequest.objects.filter(pk=request_id).first()
    if request is None or not request.email or request.status != DataRequest.Status.RECEIVED:
        logger.info("data request link not sent: nothing to confirm", extra={"data_request": request_id})
        return "skipped"
    compose(request).send()
    logger.info("data request link sent", extra={"data_request": request_id, "kind": request.kind})
    return "sent"


def confirmation_url(request: DataRequest) -> str:
    token = data_requests.confirmation_token(request)
    return settings.SITE_URL + reverse("legal:data-request-confirm", args=[token])


def compose(request: DataRequest) -> EmailMultiAlternatives:
    """The message: subject, text and HTML, with a fresh link (each sending restarts its days)."""
    site_name, contact_email = site_details()
    context = {
        "request": request,
        "kind": request.kind,
        "confirm_url": confirmation_url(request),
        "link_days": settings.DATA_REQUEST_LINK_DAYS,
        "form_url": settings.SITE_URL + reverse("legal:data-request"),
        "site_name": site_name,
        "contact_email": contact_email,
    }
    subject = " ".join(render_to_string("emails/data_request_link_subject.txt", context).split())
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("emails/data_request_link.txt", context),
        to=[request.email],
    )
    message.attach_alternative(render_to_string("emails/data_request_link.html", context), "text/html")
    # Seen by the provider (SendGrid, Mailgun) in its logs; ignored by other backends.
    message.tags = ["data-request"]
    message.metadata = {"data_request": str(request.pk)}
    return message
