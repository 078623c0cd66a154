"""Running the same thing from many threads at once, each with its own database connection."""

import threading

from django.db import connections


def run_concurrently(fn, args_list, timeout=120):
    """Call fn(*args) for each args in args_list, all released at the same instant.

    Returns the results (or raised exceptions) in the order of args_list.
    """
    barrier = threading.Barrier(len(args_list))
    results = [None] * len(args_list)

    def worker(index, args):
        try:
            barrier.wait()
            results[index] = fn(*args)
        except Exception as error:  # collected and judged by the test
            results[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i, a)) for i, a in enumerate(args_list)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
        assert not thread.is_alive(), "a concurrent worker hung"
    return results
