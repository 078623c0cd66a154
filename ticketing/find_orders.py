"""Find my tickets: a buyer types their e-mail address and is e-mailed links to their orders.

The page must not tell a visitor whether an address has bought anything, by its words or by its
time: the view only records the request and queues a job (`ask`), the same two writes for every
address, and the lookup happens in the job (`send_order_links`). The job is named by the
request's id, never its address, and deletes the request as it starts. Every address gets one
e-mail: its orders (paid or partly refunded: the order page; still held and unpaid: the order
page, which offers payment), or a word that none were found under it.

Logs say how many orders were sent, never the address, an order's token or a ticket code.
"""

import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from ticketing.delivery import order_url, site_details
from ticketing.models import Order, OrderLookup

logger = logging.getLogger(__name__)

# Orders a buyer can still do something with: go (their tickets admit) or pay (held).
GOING = Order.OWNS_TICKETS


def ask(email: str) -> None:
    """Record the request and queue its e-mail once committed; the same work for any address."""
    from ticketing.tasks import send_order_links

    lookup = OrderLookup.objects.create(email=email.strip())
    lookup_id = lookup.pk
    transaction.on_commit(lambda: send_order_links.enqueue(lookup_id))


def orders_of(email: str, now=None):
    """The address's orders worth a link: paid or partly refunded, or unpaid and still held."""
    now = now or timezone.now()
    held = Q(status=Order.Status.PENDING, expires_at__gt=now)
    return (
        Order.objects.filter(email__iexact=email.strip())
        .filter(Q(status__in=GOING) | held)
        .select_related("event")
        .order_by("-event__starts_at", "-created_at")
    )


def send_order_links(lookup_id: int) -> str:
    """The job's work: "sent", "skipped" (the request is gone: sent already, or erased) or "failed"."""
    with transaction.atomic():
        lookup = OrderLookup.objects.select_for_update(skip_locked=True).filter(pk=lookup_id).first()
        if lookup is None:
            logger.info("order lookup skipped: nothing waiting", extra={"order_lookup": lookup_id})
            return "skipped"
        email = lookup.email
        lookup.delete()  # the address is kept no longer than it takes to send this e-mail
    orders = list(orders_of(email))
    try:
        compose(email, orders).send()
    except Exception as error:  # the provider's message may quote the address: its class only
        logger.warning(
            "order lookup e-mail failed", extra={"order_lookup": lookup_id, "error": type(error).__name__}
        )
        return "failed"
    logger.info("order lookup e-mail sent", extra={"order_lookup": lookup_id, "orders": len(orders)})
    return "sent"


def compose(email: str, orders: list[Order]) -> EmailMultiAlternatives:
    site_name, contact_email = site_details()
    context = {
        "going": [(order, order_url(order)) for order in orders if order.status in GOING],
        "unpaid": [(order, order_url(order)) for order in orders if order.status == Order.Status.PENDING],
        "find_url": settings.SITE_URL + reverse("ticketing:find-orders"),
        "site_name": site_name,
        "contact_email": contact_email,
    }
    subject = " ".join(render_to_string("emails/find_orders_subject.txt", context).split())
    message = EmailMultiAlternatives(
        subject=subject, body=render_to_string("emails/find_orders.txt", context), to=[email]
    )
    message.attach_alternative(render_to_string("emails/find_orders.html", context), "text/html")
    message.tags = ["find-orders"]
    return message
