"""Ending holds that ran out (DESIGN.md step 4). Safe to run at any time, concurrently."""

from django.utils import timezone

from ticketing.inventory import end_hold
from ticketing.models import Order
from ticketing.payments.confirmation import close_open_checkouts


def expire_orders(now=None) -> int:
    """Expire every pending order whose hold has ended; returns how many this run expired."""
    now = now or timezone.now()
    expired = 0
    overdue = Order.objects.filter(status=Order.Status.PENDING, expires_at__lte=now).order_by("expires_at")
    for order in overdue.iterator():
        close_open_checkouts(order)
        if end_hold(order, Order.Status.EXPIRED):
            expired += 1
    return expired
