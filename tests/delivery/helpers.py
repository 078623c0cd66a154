"""What the delivery tests need beyond tests.factories: the real queue and its worker, a clock, QR reading."""

import io
import re
from datetime import timedelta

import zxingcpp
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Worker
from PIL import Image, ImageDraw

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


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
