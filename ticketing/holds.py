"""Ending holds that ran out, from the worker. Safe to run at any time, concurrently."""

from django.utils import timezone

from ticketing import orders
from ticketing.models import Order
from ticketing.payments.confirmation import close_open_checkouts


def expire_orders(now=None) -> int:
    """Expire every pending order whose hold has ended; returns how many this run expired.

    Each order's SumUp checkouts are closed first, so SumUp stops taking money for it (a
    payment made at the last moment is confirmed instead, through the normal path).
    """
    now = now or timezone.now()
    expired = 0
    overdue = Order.objects.filter(status=Order.Status.PENDING, expires_at__lte=now).order_by("expires_at")
    for order in overdue.iterator():
        close_open_checkouts(order)
        order.refresh_from_db(fields=["status"])
        if orders.expire(order):
            expired += 1
    return expired
