"""Where the CPU of one buyer goes: CPU time of each step of the buyer path, one buyer at a time.

`buyer_path.py` measures the rush; this measures its parts without contention, so each figure is
the CPU a step costs and not the time it waited. One site worker, one sandbox worker and the task
worker run as in production; buyers walk the path one after another (as in buyer_path.py) and
the CPU of each process is read from /proc before and after every step:

  event page → checkout POST → SumUp's hosted page → Pay → the order page SumUp returns to →
  one second for the callback (webhook) and the ticket e-mail → the order page again

and, once the event has sold out, the event page and the checkout POST that meets "sold out"
(each page is visited once first, so the figure is that of a page the cache holds).
It prints milliseconds of CPU per step for the site, the sandbox and the worker, and the sum for
one paid order (the issue's target: ≤ 20 ms for the site and for the emulator). /health/ is
measured too, as the floor of any request through gunicorn and the middleware.

    .venv/bin/python benchmarks/cpu_per_step.py [--buyers 40]
"""

import argparse
import collections
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from buyer_path import _CSRF, _RETURN, _STATE, BROWSER, process_cpu_seconds, start_worker  # noqa: E402
from http_benchmark import APP_PORT, add_event, environment, prepare, start_gunicorn, start_sandbox  # noqa: E402

PAID_PATH = (
    "event page",
    "checkout POST",
    "hosted page",
    "pay POST",
    "order page (return)",
    "callback and e-mail",
)


def worker_pids(master):
    out = subprocess.run(["ps", "--ppid", str(master.pid), "-o", "pid="], capture_output=True, text=True)
    return [int(pid) for pid in out.stdout.split()]


class Meter:
    """CPU seconds of the site's, the sandbox's and the task worker's processes, per step."""

    def __init__(self, site, sandbox, worker):
        self.groups = (worker_pids(site), worker_pids(sandbox), [worker.pid])
        self.steps = collections.defaultdict(list)

    def now(self):
        return tuple(sum(process_cpu_seconds(pid) for pid in pids) for pids in self.groups)

    def step(self, name, action):
        before = self.now()
        result = action()
        self.steps[name].append(tuple(b - a for a, b in zip(before, self.now(), strict=True)))
        return result

    def relabel(self, name, new_name):
        """The last figure of `name` belongs to `new_name` (known only once the step answered)."""
        self.steps[new_name].append(self.steps[name].pop())

    def mean_ms(self, name):
        rows = self.steps[name]
        return tuple(sum(column) / len(rows) * 1000 for column in zip(*rows, strict=True))


def one_buyer(meter, number, base, page_path, event_id, type_id):
    """Walk the path once; True if paid, False if the checkout met "sold out"."""
    headers = {"User-Agent": BROWSER, "X-Forwarded-For": f"10.9.{number // 250}.{number % 250 + 1}"}
    with httpx.Client(headers=headers, timeout=30) as browser:
        browser.get(base + page_path)  # the first visit may fill the page cache
        page = meter.step("event page", lambda: browser.get(base + page_path))
        token = _CSRF.search(page.text)
        form = {
            "csrfmiddlewaretoken": token.group(1) if token else "",
            "name": f"Buyer {number}",
            "email": f"buyer{number}@example.com",
            f"quantity_{type_id}": "1",
            "accept_terms": "on",
        }
        url = f"{base}/tickets/events/{event_id}/checkout/"
        answer = meter.step(
            "checkout POST", lambda: browser.post(url, data=form, headers={"Referer": base + page_path})
        )
        if answer.status_code != 303:
            meter.relabel("event page", "event page, sold out")
            meter.relabel("checkout POST", "checkout POST, sold out")
            return False
        hosted_url = answer.headers["Location"]
        hosted = meter.step("hosted page", lambda: browser.get(hosted_url))
        pay_token = _CSRF.search(hosted.text)
        pay_form = {"action": "pay", **({"csrfmiddlewaretoken": pay_token.group(1)} if pay_token else {})}
        paid = meter.step(
            "pay POST",
            lambda: browser.post(
                hosted_url, data=pay_form, headers={"Referer": hosted_url}, follow_redirects=True
            ),
        )
        order_url = _RETURN.search(paid.text).group(1).replace("&amp;", "&")
        meter.step("order page (return)", lambda: browser.get(order_url))
        meter.step("callback and e-mail", lambda: time.sleep(1.0))
        again = meter.step("order page (again)", lambda: browser.get(order_url))
        state = _STATE.search(again.text)
        if state is None or state.group(1) != "paid":
            raise RuntimeError(f"order not paid after the path: {again.status_code}")
        return True


def main():
    parser = argparse.ArgumentParser(description="CPU per step of the buyer path")
    parser.add_argument("--buyers", type=int, default=40, help="paid buyers; a few more then meet sold out")
    args = parser.parse_args()
    env = environment()
    env["SUMUP_SANDBOX_CALLBACK_DELAY"] = "0.2"
    prepare(env)
    sandbox = start_sandbox(env, 1)
    site = start_gunicorn(dict(env), APP_PORT, 1)
    worker = start_worker(env)
    base = f"http://127.0.0.1:{APP_PORT}"
    try:
        page_path, event_id, type_id = add_event(env, "Steps", [("Standard", "25.00", args.buyers)])
        for _ in range(3):  # imports and connections, as on a live site
            httpx.get(base + "/health/")
        meter = Meter(site, sandbox, worker)
        for _ in range(50):
            meter.step("/health/", lambda: httpx.get(base + "/health/"))
        for number in range(args.buyers + 5):
            one_buyer(meter, number, base, page_path, event_id, type_id)
        print(f"{'step':26s} {'n':>4s} {'site':>9s} {'sandbox':>9s} {'worker':>9s}   (ms of CPU)")
        for name in meter.steps:
            site_ms, sandbox_ms, worker_ms = meter.mean_ms(name)
            count = len(meter.steps[name])
            print(f"{name:26s} {count:4d} {site_ms:9.1f} {sandbox_ms:9.1f} {worker_ms:9.1f}")
        totals = [sum(meter.mean_ms(name)[i] for name in PAID_PATH) for i in range(3)]
        print(
            f"{'one paid order':26s} {'':4s} {totals[0]:9.1f} {totals[1]:9.1f} {totals[2]:9.1f}"
            "   (target: site <= 20, sandbox <= 20)"
        )
    finally:
        for process in (site, sandbox, worker):
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)
        subprocess.run(
            [
                "psql",
                env["DATABASE_URL"].rsplit("/", 1)[0] + "/postgres",
                "-qc",
                f"DROP DATABASE IF EXISTS {env['DATABASE_URL'].rsplit('/', 1)[1]}",
            ],
            check=False,
        )


if __name__ == "__main__":
    main()
