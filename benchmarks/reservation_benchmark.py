"""Reservations per second and latency for 1, 8 and 32 concurrent buyers, as processes.

Each buyer is a process of its own (as gunicorn's workers are: no interpreter lock shared) with
its own database connection, placing orders through `ticketing.checkout.place_order` (the same
transaction the checkout view runs: velocity checks, the conditional stock UPDATEs, the order and
its lines); first all on one ticket type (the hot row of an on-sale rush), then spread over 16.

Beside each figure, PostgreSQL's own rate for the same shape of work from `pgbench` on the same
machine: one conditional UPDATE of one hot row (or of 16 rows) per transaction, the ceiling any
reservation of a counter row can reach here.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench .venv/bin/python benchmarks/reservation_benchmark.py
"""

import argparse
import multiprocessing
import os
import re
import subprocess
import tempfile
import time

from _setup import percentile, throwaway_database

PGBENCH_SCRIPT = """\\set id random(1, {rows})
UPDATE bench_stock SET sold = sold + 1 WHERE id = :id AND sold + 1 <= capacity;
"""


def buyer(index, event_id, type_ids, orders, start, results):
    """One buyer process: `orders` orders, each for one ticket; puts (latencies, refused)."""
    from django.db import connections

    from ticketing.checkout import Buyer, CheckoutRefused, place_order
    from ticketing.models import Event, TicketType

    event = Event.objects.get(pk=event_id)
    types = list(TicketType.objects.filter(pk__in=type_ids).order_by("pk"))
    latencies, refused = [], 0
    start.wait()
    for n in range(orders):
        who = Buyer(f"B{index}", f"b{index}-{n}@example.com", f"10.{index}.{n // 250}.{n % 250}", "bench")
        began = time.perf_counter()
        try:
            place_order(event, who, {types[(index + n) % len(types)]: 1})
        except CheckoutRefused:
            refused += 1
        latencies.append(time.perf_counter() - began)
    connections.close_all()
    results.put((latencies, refused))


def run(concurrency, orders_per_buyer, type_count):
    from django.db import connections

    from tests.factories import make_event, ticket_types

    event = make_event(
        f"Bench {concurrency}x{type_count}",
        types=[(f"Type {i}", "10.00", 1_000_000) for i in range(type_count)],
    )
    type_ids = [t.pk for t in ticket_types(event)]
    connections.close_all()  # children must not share the parent's connection
    fork = multiprocessing.get_context("fork")
    start, results = fork.Barrier(concurrency + 1), fork.Queue()
    buyers = [
        fork.Process(target=buyer, args=(i, event.pk, type_ids, orders_per_buyer, start, results))
        for i in range(concurrency)
    ]
    for process in buyers:
        process.start()
    start.wait()
    began = time.perf_counter()
    answers = [results.get() for _ in buyers]
    elapsed = time.perf_counter() - began
    for process in buyers:
        process.join()
    latencies = [seconds for mine, _ in answers for seconds in mine]
    refused = sum(count for _, count in answers)
    return len(latencies) / elapsed, percentile(latencies, 0.5), percentile(latencies, 0.95), refused


def pgbench(database_url, concurrency, rows, seconds):
    """PostgreSQL's own transactions/s for one conditional UPDATE of one of `rows` counter rows."""
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as script:
        script.write(PGBENCH_SCRIPT.format(rows=rows))
    output = subprocess.run(
        [
            "pgbench",
            "-n",
            "-c",
            str(concurrency),
            "-j",
            str(min(concurrency, 2)),
            "-T",
            str(seconds),
            "-f",
            script.name,
            database_url,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    os.unlink(script.name)
    return float(re.search(r"tps = ([\d.]+)", output).group(1))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=400, help="orders per scenario (split among buyers)")
    parser.add_argument("--pgbench-seconds", type=int, default=5)
    args = parser.parse_args()
    with throwaway_database():
        from django.conf import settings
        from django.db import connection

        settings.MAX_TICKETS_PER_IP_PER_EVENT = settings.MAX_TICKETS_PER_EMAIL_PER_EVENT = 10**9
        params = connection.get_connection_params()
        database_url = (
            f"postgresql://{params.get('user', '')}@{params.get('host', '127.0.0.1')}:{params.get('port', 5432)}"
            f"/{params['dbname']}"
        )
        with connection.cursor() as cursor:
            cursor.execute(
                "CREATE TABLE bench_stock (id int PRIMARY KEY, sold int NOT NULL, capacity int NOT NULL)"
            )
            cursor.execute("INSERT INTO bench_stock SELECT g, 0, 2000000000 FROM generate_series(1, 16) g")
        print(f"database: {connection.vendor}; buyers are processes")
        print(f"{'scenario':<20}{'buyers':>7}{'orders/s':>10}{'p50 ms':>9}{'p95 ms':>9}{'pgbench tps':>13}")
        for label, type_count in (("one ticket type", 1), ("16 ticket types", 16)):
            for concurrency in (1, 8, 32):
                per_buyer = max(1, args.orders // concurrency)
                rate, p50, p95, refused = run(concurrency, per_buyer, type_count)
                assert refused == 0, "stock was plentiful: nothing should be refused"
                ceiling = pgbench(database_url, concurrency, type_count, args.pgbench_seconds)
                print(
                    f"{label:<20}{concurrency:>7}{rate:>10.0f}{p50 * 1000:>9.1f}{p95 * 1000:>9.1f}{ceiling:>13.0f}"
                )
        from ticketing.inventory import check_inventory

        assert check_inventory() == [], "counters drifted from the orders"
        print("check_inventory: counters match the orders")


if __name__ == "__main__":
    main()
