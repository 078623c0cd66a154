"""Building blocks for the delivery and check-in tests: paid orders, refunds, the worker, a clock, QR reading."""

import io
import re
import uuid
from datetime import timedelta
from decimal import Decimal

import zxingcpp
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Worker
from PIL import Image, ImageDraw

from tests.factories import BROWSER, ticket_types
from ticketing.checkout import Buyer, place_order
from ticketing.models import Order, Payment, Refund, Ticket

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def make_paid_order(event, quantities=None, *, email="ann@example.com", name="Ann Example", ip="203.0.113.7"):
    """A paid order with its tickets, made without the payment path (and so without an e-mail).

    `quantities`: {ticket type name: how many}; defaults to one of the event's first type.
    """
    types = {ticket_type.name: ticket_type for ticket_type in ticket_types(event)}
    quantities = quantities or {next(iter(types)): 1}
    order = place_order(event, Buyer(name, email, ip, BROWSER), {types[n]: q for n, q in quantities.items()})
    Order.objects.filter(pk=order.pk).update(status=Order.Status.PAID, paid_at=timezone.now())
    Ticket.objects.bulk_create(
        Ticket(order=order, ticket_type=types[type_name])
        for type_name, quantity in quantities.items()
        for _ in range(quantity)
    )
    order.refresh_from_db()
    return order


def make_refund(order, kind=Refund.Kind.STAFF, *, amount=None, tickets=(), status=Refund.Status.SUCCEEDED):
    """A refund of the order's payment as the refund service records it, without calling SumUp.

    `tickets` are voided, as a staff refund of them does; `amount` defaults to their price, or
    to the whole order when there are none.
    """
    payment = Payment.objects.create(
        order=order,
        checkout_id=uuid.uuid4().hex,
        checkout_reference=uuid.uuid4().hex,
        amount=order.total,
        currency=order.currency,
        status=Payment.Status.PAID,
    )
    prices = {line.ticket_type_id: line.unit_price for line in order.lines.all()}
    if amount is None:
        amount = sum((prices[t.ticket_type_id] for t in tickets), Decimal("0.00")) or order.total
    refund = Refund.objects.create(payment=payment, amount=amount, kind=kind, status=status)
    refund.tickets.set(tickets)
    Ticket.objects.filter(pk__in=[ticket.pk for ticket in tickets]).update(voided_at=timezone.now())
    return refund


def run_worker():
    """Run django-tasks-db's own worker until no job is due, as `manage.py db_worker --batch`."""
    Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test-worker",
        excluded_queue_names=[],
    ).run()


class Clock:
    """`django.utils.timezone.now`, moved forward at will (the worker reads it too)."""

    def __init__(self):
        self.offset = timedelta()
        self._real_now = timezone.now

    def now(self):
        return self._real_now() + self.offset

    def advance(self, **delta):
        self.offset += timedelta(**delta)


def decode_qr(image: Image.Image) -> str:
    """The text of the one QR code in an image, read by ZXing."""
    results = zxingcpp.read_barcodes(image)
    assert len(results) == 1, f"expected one QR code, read {len(results)}"
    return results[0].text


def decode_png(data: bytes) -> str:
    return decode_qr(Image.open(io.BytesIO(data)))


_SVG_VIEWBOX = re.compile(r'viewBox="0 0 (\d+) (\d+)"')
_SVG_RUN = re.compile(r"M(\d+) (\d+)h(\d+)v1h-\d+z")


def decode_svg(svg: str, scale: int = 8) -> str:
    """Draw our QR SVG (one path of horizontal runs) as pixels and read it back."""
    size = int(_SVG_VIEWBOX.search(svg).group(1))
    image = Image.new("L", (size * scale, size * scale), 255)
    draw = ImageDraw.Draw(image)
    for x, y, width in _SVG_RUN.findall(svg):
        x, y, width = int(x), int(y), int(width)
        draw.rectangle([x * scale, y * scale, (x + width) * scale - 1, (y + 1) * scale - 1], fill=0)
    return decode_qr(image)
