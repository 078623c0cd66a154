"""The whole buyer path at an on-sale rush, as buyers' browsers walk it, end to end.

Each of N buyers (default 200, 32 at a time) is a fresh browser session with an address of its
own behind one trusted proxy (X-Forwarded-For, TRUSTED_PROXY_COUNT=1, as in production):

  GET the event page → POST the checkout → follow to SumUp's hosted page (the sandbox, in a
  gunicorn of its own) → press Pay → follow back to the order page → reload it until it says
  paid (or give up after --poll-limit seconds).

The site's own gunicorn, the sandbox's gunicorn and the task worker (`db_worker`: ticket
e-mails) run as in production; the sandbox's callbacks reach the webhook as SumUp's would.
Two scenarios, each on a fresh event: sell-out (capacity 50, so most buyers meet "sold out")
and sustained (capacity 1000). For each it prints orders/s, tickets sold against capacity and
`check_inventory`, errors and 5xx, p50/p95 of the whole path and of the checkout POST alone,
CPU per paid order (site, sandbox, worker) and peak RSS per gunicorn worker.

Needs PostgreSQL and Redis (the machine's services). It creates and drops its own database.
On a shared machine the absolute figures are noisy; compare runs made back to back.

    .venv/bin/python benchmarks/buyer_path.py [--buyers 200] [--concurrency 32]
        [--scenario sell-out|sustained|both] [--workers 4] [--threads 1]
"""

import argparse
import asyncio
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _setup import percentile  # noqa: E402
from http_benchmark import (  # noqa: E402
    APP_PORT,
    DB_NAME,
    PG,
    PY,
    ROOT,
    add_event,
    cpu_seconds,
    environment,
    prepare,
    start_gunicorn,
    start_sandbox,
    worker_memory_mib,
)

SCENARIOS = {"sell-out": 50, "sustained": 1000}
BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0"
# The buyers' browsers share the machine's two cores with the site and SumUp's emulator, so
# they must cost little: aiohttp takes about a third of httpx's CPU per request, and httpx's
# AsyncClient also built a TLS context per session (28 ms of CPU reading the CA bundle, even
# for http://), which made the browsers the largest user of CPU per paid order after the site.
_PATIENCE = aiohttp.ClientTimeout(total=30)
_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
_RETURN = re.compile(r'http-equiv="refresh" content="\d+;\s*url=([^"]+)"', re.IGNORECASE)
_STATE = re.compile(r'data-state="(\w+)"')


@dataclass
class Outcome:
    """What one buyer met: "paid", "sold out", "unpaid" (gave up polling) or "error: ..."."""

    result: str
    seconds: float = 0.0
    checkout_seconds: float | None = None
    server_errors: int = 0
    # The event page was rendered for this buyer (X-Page-Cache: miss), not served from the cache.
    page_rendered: bool = False
    # Times the buyer loaded the order page after paying: 1 when it said "paid" at once.
    order_page_loads: int = 0


@dataclass
class Tally:
    outcomes: list[Outcome] = field(default_factory=list)

    def count(self, result):
        return sum(1 for o in self.outcomes if o.result == result)


def buyer_address(number):
    """A client address of its own for each buyer, as the platform's proxy reports it."""
    return f"10.{number // 62500 % 250}.{number // 250 % 250}.{number % 250 + 1}"


async def one_buyer(number, base, page_path, event_id, type_id, args):
    """Walk the path once in a fresh session; never raises (an unexpected answer is an error)."""
    headers = {"User-Agent": BROWSER, "X-Forwarded-For": buyer_address(number)}
    started = time.perf_counter()
    outcome = Outcome("error: unfinished")
    # unsafe: keep the cookies of a site addressed by IP (127.0.0.1), as a browser does.
    session = aiohttp.ClientSession(
        headers=headers, timeout=_PATIENCE, cookie_jar=aiohttp.CookieJar(unsafe=True)
    )
    async with session as browser:
        rendered = []
        try:
            outcome = await _walk(browser, number, base, page_path, event_id, type_id, args, rendered)
        except (aiohttp.ClientError, TimeoutError) as error:
            outcome = Outcome(f"error: {type(error).__name__}")
        outcome.page_rendered = bool(rendered)
    outcome.seconds = time.perf_counter() - started
    return outcome


async def _load(browser, method, url, **options):
    """One request, read to the end: (status, headers, text). Redirects are not followed unless asked."""
    options.setdefault("allow_redirects", False)
    async with browser.request(method, url, **options) as answer:
        return answer.status, answer.headers, await answer.text()


async def _walk(browser, number, base, page_path, event_id, type_id, args, rendered):
    status, headers, text = await _load(browser, "GET", base + page_path)
    if headers.get("X-Page-Cache") != "hit":
        rendered.append(True)
    if status != 200:
        return Outcome(f"error: event page {status}", server_errors=status >= 500)
    token = _CSRF.search(text)
    form = {
        "csrfmiddlewaretoken": token.group(1) if token else "",
        "name": f"Buyer {number}",
        "email": f"buyer{number}@example.com",
        f"quantity_{type_id}": "1",
        "accept_terms": "on",
    }
    posted = time.perf_counter()
    status, headers, text = await _load(
        browser,
        "POST",
        f"{base}/tickets/events/{event_id}/checkout/",
        data=form,
        headers={"Referer": base + page_path},
    )
    checkout_seconds = time.perf_counter() - posted
    if status >= 500:
        return Outcome(f"error: checkout {status}", checkout_seconds=checkout_seconds, server_errors=1)
    if status != 303:
        sold_out = "not enough" in text or "sold out" in text.lower()
        result = "sold out" if sold_out else f"error: checkout {status}"
        return Outcome(result, checkout_seconds=checkout_seconds)
    hosted_url = headers["Location"]
    _, _, hosted = await _load(browser, "GET", hosted_url)
    pay_token = _CSRF.search(hosted)
    pay_form = {"action": "pay", **({"csrfmiddlewaretoken": pay_token.group(1)} if pay_token else {})}
    status, _, paid_page = await _load(
        browser, "POST", hosted_url, data=pay_form, headers={"Referer": hosted_url}, allow_redirects=True
    )
    back = _RETURN.search(paid_page)
    if status != 200 or back is None:
        return Outcome(f"error: hosted page {status}", checkout_seconds=checkout_seconds)
    return await _wait_until_paid(browser, back.group(1).replace("&amp;", "&"), checkout_seconds, args)


async def _wait_until_paid(browser, order_url, checkout_seconds, args):
    """Reload the order page as a waiting buyer does until it says paid."""
    deadline = time.perf_counter() + args.poll_limit
    server_errors = loads = 0
    while True:
        status, _, text = await _load(browser, "GET", order_url)
        loads += 1
        server_errors += status >= 500
        state = _STATE.search(text)
        seen = {
            "checkout_seconds": checkout_seconds,
            "server_errors": server_errors,
            "order_page_loads": loads,
        }
        if status == 200 and state and state.group(1) == "paid":
            return Outcome("paid", **seen)
        if time.perf_counter() > deadline:
            return Outcome("unpaid", **seen)
        await asyncio.sleep(args.poll_seconds)


async def rush(base, page_path, event_id, type_id, args):
    gate = asyncio.Semaphore(args.concurrency)

    async def gated(number):
        async with gate:
            return await one_buyer(number, base, page_path, event_id, type_id, args)

    offset = event_id * 10_000  # every scenario's buyers are new clients
    return await asyncio.gather(*(gated(offset + n) for n in range(args.buyers)))


def process_cpu_seconds(pid):
    """User + system CPU of one process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_mib(master):
    """Each gunicorn worker's peak resident memory (VmHWM) so far."""
    children = subprocess.run(["ps", "--ppid", str(master.pid), "-o", "pid="], capture_output=True, text=True)
    peaks = []
    for pid in children.stdout.split():
        status = Path(f"/proc/{pid}/status").read_text()
        peaks.append(int(re.search(r"VmHWM:\s+(\d+)", status).group(1)) / 1024)
    return peaks


def sql(query):
    return subprocess.run(
        ["psql", f"{PG}/{DB_NAME}", "-tAc", query], capture_output=True, text=True
    ).stdout.strip()


def scenario(name, capacity, env, base, processes, args):
    page_path, event_id, type_id = add_event(env, f"Rush {name}", [("Standard", "25.00", capacity)])
    cpu_before = {key: cpu(p) for key, (p, cpu) in processes.items()}
    buyers_before = time.process_time()
    started = time.perf_counter()
    outcomes = Tally(asyncio.run(rush(base, page_path, event_id, type_id, args)))
    elapsed = time.perf_counter() - started
    buyers_cpu = time.process_time() - buyers_before
    time.sleep(args.settle)  # callbacks and e-mails still under way belong to these orders
    cpu_used = {key: cpu(p) - cpu_before[key] for key, (p, cpu) in processes.items()}
    # The buyers' own browsers (this process) share the machine too.
    cpu_used["buyers' browsers (this script)"] = buyers_cpu
    report(name, capacity, event_id, outcomes, elapsed, cpu_used, env, processes["site"][0])


def report(name, capacity, event_id, outcomes, elapsed, cpu_used, env, site):
    paid = outcomes.count("paid")
    whole = [o.seconds for o in outcomes.outcomes if o.result == "paid"]
    posts = [o.checkout_seconds for o in outcomes.outcomes if o.checkout_seconds is not None]
    errors = [o.result for o in outcomes.outcomes if o.result.startswith("error")]
    # event_id is the integer our own set-up printed, never outside input.
    sold = sql(f"SELECT sold FROM ticketing_tickettype WHERE event_id = {int(event_id)}")  # noqa: S608
    emails = sql(
        "SELECT count(*) FROM ticketing_buyeremail e JOIN ticketing_order o ON o.id = e.order_id "  # noqa: S608
        f"WHERE o.event_id = {int(event_id)} AND e.sent_at IS NOT NULL"
    )
    check = subprocess.run(
        [PY, "manage.py", "check_inventory"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    per_order = {key: seconds / paid * 1000 if paid else float("nan") for key, seconds in cpu_used.items()}
    print(f"--- {name}: capacity {capacity}, {len(outcomes.outcomes)} buyers")
    print(f"orders/s            {paid / elapsed:8.1f}   ({paid} paid in {elapsed:.1f} s)")
    print(
        f"outcomes            paid {paid}, sold out {outcomes.count('sold out')}, "
        f"unpaid {outcomes.count('unpaid')}, errors {len(errors)}, 5xx {sum(o.server_errors for o in outcomes.outcomes)}"
    )
    if errors:
        print("                    " + ", ".join(sorted(set(errors))))
    print(f"sold                {sold} of {capacity}; ticket e-mails sent {emails or 0}")
    print("check_inventory     " + (check.stdout.strip() or check.stderr.strip()).splitlines()[-1])
    print(
        f"whole path          p50 {percentile(whole, 0.5) * 1000:.0f} ms, p95 {percentile(whole, 0.95) * 1000:.0f} ms"
    )
    print(
        f"checkout POST       p50 {percentile(posts, 0.5) * 1000:.0f} ms, p95 {percentile(posts, 0.95) * 1000:.0f} ms"
    )
    print(
        "CPU per paid order  "
        + ", ".join(f"{key} {ms:.0f} ms" for key, ms in per_order.items())
        + "  (all of every buyer's requests, sold-out ones included)"
    )
    loads = [o.order_page_loads for o in outcomes.outcomes if o.result == "paid"]
    if loads:
        print(
            f"order page loads    {sum(loads) / len(loads):.2f} per paid buyer "
            f"({sum(n == 1 for n in loads)} of {len(loads)} said paid at once)"
        )
    renders = sum(o.page_rendered for o in outcomes.outcomes)
    print(f"event page renders  {renders} of {len(outcomes.outcomes)} visits (the rest from the page cache)")
    print("peak RSS per worker " + ", ".join(f"{m:.0f} MiB" for m in peak_rss_mib(site)))


def warm_up(env, base, args):
    """A few buyers of another event first: imports, connections and caches, as on a live site."""
    page_path, event_id, type_id = add_event(env, "Warm-up", [("Standard", "25.00", 100)])
    quick = argparse.Namespace(**{**vars(args), "buyers": 8, "poll_limit": 5})
    asyncio.run(rush(base, page_path, event_id, type_id, quick))


def start_worker(env):
    return subprocess.Popen(
        [PY, "manage.py", "db_worker"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def main():
    parser = argparse.ArgumentParser(description="The whole buyer path at an on-sale rush")
    parser.add_argument("--buyers", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--scenario", choices=[*SCENARIOS, "both"], default="both")
    parser.add_argument(
        "--workers", type=int, default=None, help="site gunicorn workers (default: gunicorn.conf.py)"
    )
    parser.add_argument("--threads", type=int, default=None, help="threads per site worker")
    parser.add_argument("--poll-seconds", type=float, default=1.0, help="a waiting buyer reloads this often")
    parser.add_argument("--poll-limit", type=float, default=30.0, help="then gives up (counted unpaid)")
    parser.add_argument("--settle", type=float, default=2.0, help="seconds for callbacks and e-mails after")
    args = parser.parse_args()

    env = environment()
    # The buyer path includes SumUp's callback, as in production (http_benchmark turns it off).
    env["SUMUP_SANDBOX_CALLBACK_DELAY"] = "0.2"
    prepare(env)
    site_env = dict(env)
    if args.threads is not None:
        site_env["GUNICORN_THREADS"] = str(args.threads)
    sumup = start_sandbox(env, 2)
    site = start_gunicorn(site_env, APP_PORT, args.workers)
    worker = start_worker(env)
    processes = {
        "site": (site, cpu_seconds),
        "sandbox": (sumup, cpu_seconds),
        "worker": (worker, lambda p: process_cpu_seconds(p.pid)),
    }
    base = f"http://127.0.0.1:{APP_PORT}"
    try:
        warm_up(env, base, args)
        names = list(SCENARIOS) if args.scenario == "both" else [args.scenario]
        for name in names:
            scenario(name, SCENARIOS[name], env, base, processes, args)
        print(
            "worker memory now   "
            + ", ".join(f"{m:.0f} MiB" for m in worker_memory_mib(site))
            + " (target < 150 MiB)"
        )
    finally:
        for process in (site, sumup, worker):
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)
        subprocess.run(["psql", PG + "/postgres", "-qc", f"DROP DATABASE IF EXISTS {DB_NAME}"], check=False)


if __name__ == "__main__":
    main()
