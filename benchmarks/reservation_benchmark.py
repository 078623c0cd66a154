"""Reservations per second and latency for 1, 8 and 32 concurrent buyers.

Each buyer is a thread with its own database connection placing orders through
`ticketing.checkout.place_order` (the same transaction the checkout view runs: velocity
checks, conditional UPDATEs on the event and its ticket types, order and lines), first all on
one ticket type (the hot-row case of an on-sale rush), then spread over many ticket types.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench .venv/bin/python benchmarks/reservation_benchmark.py
"""

import argparse
import threading
import time

from _setup import percentile, throwaway_database


def run(concurrency, orders_per_buyer, type_count):
    from django.db import connections

    from tests.factories import make_event, ticket_types
    from ticketing.checkout import Buyer, CheckoutRefused, place_order

    event = make_event(
        f"Bench {concurrency}x{type_count}",
        types=[(f"Type {i}", "10.00", 1_000_000) for i in range(type_count)],
    )
    types = ticket_types(event)
    latencies, refused = [], []
    lock = threading.Lock()
    barrier = threading.Barrier(concurrency + 1)

    def buyer(index):
        mine = []
        barrier.wait()
        for n in range(orders_per_buyer):
            who = Buyer(
                f"B{index}",
                f"b{index}-{n}@example.com",
                f"10.{index}.{n // 250}.{n % 250}",
                "Mozilla/5.0 bench",
            )
            started = time.perf_counter()
            try:
                place_order(event, who, {types[(index + n) % type_count]: 1})
            except CheckoutRefused:
                refused.append(1)
            mine.append(time.perf_counter() - started)
        with lock:
            latencies.extend(mine)
        connections.close_all()

    threads = [threading.Thread(target=buyer, args=(i,)) for i in range(concurrency)]
    for t in threads:
        t.start()
    barrier.wait()
    started = time.perf_counter()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    return len(latencies) / elapsed, percentile(latencies, 0.5), percentile(latencies, 0.95), len(refused)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=400, help="orders per scenario (split among buyers)")
    args = parser.parse_args()
    with throwaway_database():
        from django.conf import settings
        from django.db import connection

        settings.MAX_TICKETS_PER_IP_PER_EVENT = settings.MAX_TICKETS_PER_EMAIL_PER_EVENT = 10**9
        print(f"database: {connection.vendor}")
        print(f"{'scenario':<22}{'buyers':>7}{'orders/s':>10}{'p50 ms':>9}{'p95 ms':>9}")
        for label, type_count in (("one ticket type", 1), ("many ticket types", 16)):
            for concurrency in (1, 8, 32):
                per_buyer = max(1, args.orders // concurrency)
                rate, p50, p95, refused = run(concurrency, per_buyer, type_count)
                assert refused == 0, "stock was plentiful: nothing should be refused"
                print(f"{label:<22}{concurrency:>7}{rate:>10.0f}{p50 * 1000:>9.1f}{p95 * 1000:>9.1f}")
        from ticketing.inventory import check_inventory

        assert check_inventory() == [], "counters drifted from the orders"
        print("check_inventory: counters match the orders")


if __name__ == "__main__":
    main()
