"""Ticket e-mail: time to render and send one order's e-mail, and the worker's e-mails per second.

1. Render + send one order's e-mail (text, HTML, one QR PNG per ticket) to the in-memory
   (locmem) backend, for orders of 1 and of 10 tickets: median and p95 over `--repeat` runs.
2. The worker: `--orders` ticket e-mails (2 tickets each) enqueued on the django-tasks-db
   backend, then django-tasks-db's own worker (`db_worker --batch`) run until the queue is
   empty, sending to the locmem backend and to the file backend (`make demo`'s). That is
   the whole path of production but the provider's network: claim the job, claim the
   `BuyerEmail` row, render, send, record.

Figures are per process: run several workers for more.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench .venv/bin/python benchmarks/email_benchmark.py
    .venv/bin/python benchmarks/email_benchmark.py            # SQLite
"""

import argparse
import shutil
import statistics
import tempfile
import time

from _setup import percentile, throwaway_database


def render_and_send(order, repeat):
    from django.core import mail

    from ticketing.delivery import build_ticket_email, valid_tickets

    timings = []
    size = 0
    for _ in range(repeat):
        mail.outbox = []
        started = time.perf_counter()
        tickets = list(valid_tickets(order))
        message = build_ticket_email(order, tickets)
        message.send()
        timings.append(time.perf_counter() - started)
        size = len(message.message().as_bytes())
    return statistics.median(timings), percentile(timings, 0.95), size


def worker_throughput(event, count, backend_path):
    from django.core import mail
    from django.db import transaction
    from django.test.utils import override_settings
    from django_tasks_db.models import DBTaskResult

    from tests.delivery.helpers import DATABASE_TASKS, make_paid_order, run_worker
    from ticketing.models import BuyerEmail
    from ticketing.outbox import queue_tickets

    type_name = event.ticket_types.first().name
    orders = [make_paid_order(event, {type_name: 2}, email=f"buyer{i}@example.com") for i in range(count)]
    with override_settings(TASKS=DATABASE_TASKS, EMAIL_BACKEND=backend_path):
        with transaction.atomic():
            for order in orders:
                queue_tickets(order)
        mail.outbox = []
        started = time.perf_counter()
        run_worker()
        elapsed = time.perf_counter() - started
    sent = BuyerEmail.objects.filter(order__in=orders, status=BuyerEmail.Status.SENT).count()
    assert sent == count, f"only {sent} of {count} sent"
    DBTaskResult.objects.all().delete()
    return count / elapsed


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30, help="runs per single-order timing")
    parser.add_argument("--orders", type=int, default=200, help="e-mails the worker sends per backend")
    args = parser.parse_args()
    with throwaway_database():
        from django.conf import settings
        from django.db import connection

        from tests.delivery.helpers import make_paid_order
        from tests.factories import make_event

        settings.MAX_TICKETS_PER_IP_PER_EVENT = settings.MAX_TICKETS_PER_EMAIL_PER_EVENT = 10**9
        settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
        mail_dir = tempfile.mkdtemp(prefix="ticket-mail-")
        settings.EMAIL_FILE_PATH = mail_dir
        try:
            event = make_event("Benchmark Night", types=[("Adult", "20.00", 1_000_000)])
            print(f"database: {connection.vendor}")
            print(f"{'one order, render + send (locmem)':<40}{'median ms':>10}{'p95 ms':>9}{'size KB':>9}")
            for count in (1, 10):
                order = make_paid_order(event, {"Adult": count}, email=f"single{count}@example.com")
                median, p95, size = render_and_send(order, args.repeat)
                label = f"{count} ticket{'s' if count > 1 else ''}"
                print(f"{label:<40}{median * 1000:>10.1f}{p95 * 1000:>9.1f}{size / 1024:>9.1f}")
            print()
            print(f"{'worker (db_worker --batch), 2 tickets each':<40}{'e-mails':>10}{'per s':>9}")
            backends = (
                ("locmem backend", "django.core.mail.backends.locmem.EmailBackend"),
                ("file backend (make demo)", "django.core.mail.backends.filebased.EmailBackend"),
            )
            for label, backend in backends:
                rate = worker_throughput(event, args.orders, backend)
                print(f"{label:<40}{args.orders:>10}{rate:>9.1f}")
        finally:
            shutil.rmtree(mail_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
