"""Speed and memory of the site as buyers meet it: gunicorn, PostgreSQL, Redis, wrk.

Prints, against the targets in the developers' guide:
  * requests/s of an event page and of /health/ on the same gunicorn (target: page >= 0.5x),
    also with a made-up query string and made-up cookies on every request;
  * checkouts/s (POST to the SumUp redirect) at 64 concurrent buyers, with p50/p95 latency
    (target: >= 100/s, p95 < 1 s);
  * resident memory of each gunicorn worker after the load (target: < 150 MiB).

SumUp is played by the project's sandbox in a gunicorn of its own on another port, so the
checkout makes its real HTTP call. Needs PostgreSQL and Redis (the machine's services) and wrk
(`apt-get install wrk`). It creates and drops its own database.

    .venv/bin/python benchmarks/http_benchmark.py [--seconds 10] [--connections 64]
"""

import argparse
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
# BENCH_PORT, BENCH_DB and BENCH_REDIS_DB let two benchmarks run side by side on one machine.
APP_PORT = int(os.environ.get("BENCH_PORT", "8100"))
SUMUP_PORT = APP_PORT + 1
DB_NAME = os.environ.get("BENCH_DB", "jersey_http_bench")
REDIS_DB = os.environ.get("BENCH_REDIS_DB", "3")
PG = "postgres://postgres@127.0.0.1:5432"

CHECKOUT_LUA = r"""
local counter = 0
local thread_id = 0
local threads = {}
function setup(thread)
  thread:set("id", thread_id)
  thread_id = thread_id + 1
  table.insert(threads, thread)
end
function request()
  counter = counter + 1
  local body = "csrfmiddlewaretoken=" .. token .. "&name=Bench+Buyer&accept_terms=on&" ..
    field .. "=1&email=b" .. id .. "-" .. counter .. "%40example.com"
  -- Each buyer has an address of their own, as the platform's proxy reports it.
  headers["X-Forwarded-For"] = string.format("10.%d.%d.%d", id, math.floor(counter / 250) % 250, counter % 250)
  return wrk.format("POST", path, headers, body)
end
function done(summary, latency, requests)
  io.write(string.format("p50_ms=%.1f p95_ms=%.1f p99_ms=%.1f\n",
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000))
  io.write(string.format("non2xx3xx=%d errors=%d\n", summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
"""


# What anyone can send to make a page look new: a query string no page reads, and cookies
# of the site's names with made-up values (a well-formed session key no one signed in with, a CSRF token, a
# consent answer nobody gave). Each must still be answered from the page cache.
JUNK_LUA = r"""
local counter = 0
function request()
  counter = counter + 1
  local query = string.format("?utm_source=mail%d&ref=%d&q=%x", counter, counter * 7919, counter * 104729)
  local cookies = string.format(
    "sessionid=%032d; csrftoken=x%031d; cookie_consent=v%d; other=%d", counter, counter, counter, counter)
  return wrk.format("GET", path .. (junk_query and query or ""), {["Cookie"] = junk_cookies and cookies or nil})
end
"""


def environment():
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.dev",
        DEBUG="0",
        DATABASE_URL=f"{PG}/{DB_NAME}",
        REDIS_URL=f"redis://127.0.0.1:6379/{REDIS_DB}",
        SITE_URL=f"http://127.0.0.1:{APP_PORT}",
        SUMUP_API_BASE=f"http://127.0.0.1:{SUMUP_PORT}/sandbox/sumup",
        # Buyers come through one proxy that names them (X-Forwarded-For), each from an address
        # of their own: the default rate and velocity limits apply as in production.
        TRUSTED_PROXY_COUNT="1",
        LOG_LEVEL="WARNING",
        SUMUP_SANDBOX_CALLBACK_DELAY="3600",  # callbacks are not what is measured here
        CONN_MAX_AGE="600",
    )
    return env


def manage(env, *args):
    subprocess.run([PY, "manage.py", *args], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)


def prepare(env):
    """A fresh database and Redis, migrated, with one event on sale (its page URL and ids)."""
    subprocess.run(["psql", PG + "/postgres", "-qc", f"DROP DATABASE IF EXISTS {DB_NAME}"], check=True)
    subprocess.run(["psql", PG + "/postgres", "-qc", f"CREATE DATABASE {DB_NAME}"], check=True)
    subprocess.run(["redis-cli", "-n", REDIS_DB, "flushdb"], check=True, stdout=subprocess.DEVNULL)
    manage(env, "migrate", "--noinput")
    manage(env, "collectstatic", "--noinput")
    return add_event(env, "Benchmark Night", [("Standard", "25.00", 10_000_000), ("VIP", "60.00", 100)])


def add_event(env, title, types):
    """Put an event with `types` ([(name, price, capacity)]) on sale: (page URL, event id, first type id)."""
    script = (
        "from tests.factories import make_event, make_event_page\n"
        f"e = make_event({title!r}, types={types!r})\n"
        "p = make_event_page(e)\n"
        "print(p.url, e.pk, e.ticket_types.order_by('pk').first().pk)\n"
    )
    out = (
        subprocess.run(
            [PY, "manage.py", "shell", "-c", script],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        .stdout.strip()
        .splitlines()[-1]
        .split()
    )
    return out[0], int(out[1]), int(out[2])


def start_sandbox(env, workers, threads=8):
    """The SumUp sandbox in a gunicorn of its own on SUMUP_PORT, as SumUp is a server of its own.

    With its own lean settings (config/settings/sandbox_server.py: its app, its paths, none of
    the site's middleware), so that its CPU is the emulator's and not the site's stack.
    """
    sandbox_env = dict(
        env, DJANGO_SETTINGS_MODULE="config.settings.sandbox_server", GUNICORN_THREADS=str(threads)
    )
    return start_gunicorn(sandbox_env, SUMUP_PORT, workers)


def start_gunicorn(env, port, workers=None):
    """gunicorn with gunicorn.conf.py, on `port`; `workers` None keeps its default."""
    env = dict(env, PORT=str(port))
    if workers is not None:
        env["WEB_CONCURRENCY"] = str(workers)
    process = subprocess.Popen(
        [PY, "-m", "gunicorn", "config.wsgi:application", "--access-logfile", "/dev/null"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    for _ in range(100):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health/", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.2)
    raise RuntimeError(f"gunicorn on {port} did not start")


def wrk(url, seconds, connections, script=None):
    args = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", url]
    if script:
        args[1:1] = ["-s", script]
    output = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    return rate, output


def cpu_seconds(master):
    """User + system CPU of a gunicorn master's workers so far."""
    ticks = os.sysconf("SC_CLK_TCK")
    children = subprocess.run(
        ["ps", "--ppid", str(master.pid), "-o", "pid="], capture_output=True, text=True
    ).stdout
    total = 0
    for pid in children.split():
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / ticks


def worker_memory_mib(master):
    children = subprocess.run(
        ["ps", "--ppid", str(master.pid), "-o", "rss="], capture_output=True, text=True
    ).stdout
    return [int(kb) / 1024 for kb in children.split()]


def main():
    parser = argparse.ArgumentParser(description="HTTP speed and memory figures")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--workers", type=int, default=None, help="default: gunicorn.conf.py's")
    parser.add_argument("--threads", type=int, default=None, help="per worker; default: gunicorn.conf.py's")
    args = parser.parse_args()
    env = environment()
    page_path, event_id, type_id = prepare(env)
    sumup = start_sandbox(env, 2)
    site_env = env if args.threads is None else dict(env, GUNICORN_THREADS=str(args.threads))
    app = start_gunicorn(site_env, APP_PORT, args.workers)
    base = f"http://127.0.0.1:{APP_PORT}"
    try:
        for _ in range(3):  # warm: imports, connections, the page cache
            httpx.get(base + page_path)
            httpx.get(base + "/health/")
        for url in (base + "/health/", base + page_path):  # and every worker, as on a live site
            wrk(url, 2, args.connections)
        health, _ = wrk(base + "/health/", args.seconds, args.connections)
        page, _ = wrk(base + page_path, args.seconds, args.connections)
        print(f"/health/            {health:8.0f} req/s")
        print(f"event page          {page:8.0f} req/s   ratio {page / health:.2f} (target >= 0.50)")
        for label, query, cookies in (
            ("junk query strings", "true", "false"),
            ("made-up cookies", "false", "true"),
        ):
            with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as junk:
                junk.write(
                    f'path = "{page_path}"\njunk_query = {query}\njunk_cookies = {cookies}\n' + JUNK_LUA
                )
            rate, _ = wrk(base + page_path, args.seconds, args.connections, junk.name)
            print(f"  with {label:20s}{rate:6.0f} req/s   ratio {rate / health:.2f} (target >= 0.50)")

        with httpx.Client() as browser:
            html = browser.get(base + page_path).text
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
            cookie = browser.cookies["csrftoken"]
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
            script.write(
                f'token = "{token}"\nfield = "quantity_{type_id}"\npath = "/tickets/events/{event_id}/checkout/"\n'
                f'headers = {{["Content-Type"] = "application/x-www-form-urlencoded", '
                f'["Cookie"] = "csrftoken={cookie}", ["User-Agent"] = "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0"}}\n'
                + CHECKOUT_LUA
            )
        cpu_before = cpu_seconds(app), cpu_seconds(sumup)
        rate, output = wrk(base + "/", args.seconds, args.connections, script.name)
        cpu_app, cpu_sumup = cpu_seconds(app) - cpu_before[0], cpu_seconds(sumup) - cpu_before[1]
        stats = dict(re.findall(r"(\w+)=([\d.]+)", output))
        print(
            f"checkout            {rate:8.0f} req/s   at {args.connections} buyers, "
            f"p50 {stats['p50_ms']} ms, p95 {stats['p95_ms']} ms (target >= 100/s, p95 < 1000 ms)"
        )
        print(
            f"                    non-2xx/3xx answers: {stats['non2xx3xx']}, socket errors: {stats['errors']}"
        )
        done = rate * args.seconds
        print(
            f"                    CPU per checkout: site {cpu_app / done * 1000:.1f} ms, "
            f"SumUp sandbox {cpu_sumup / done * 1000:.1f} ms (the sandbox shares these 2 cores)"
        )
        memory = worker_memory_mib(app)
        print("worker memory       " + ", ".join(f"{m:.0f} MiB" for m in memory) + " (target < 150 MiB)")
        check = subprocess.run(
            [PY, "manage.py", "check_inventory"], cwd=ROOT, env=env, capture_output=True, text=True
        )
        statuses = subprocess.run(
            [
                "psql",
                f"{PG}/{DB_NAME}",
                "-tAc",
                "SELECT status, count(*) FROM ticketing_order GROUP BY status",
            ],
            capture_output=True,
            text=True,
        ).stdout.split()
        print("orders by status    " + ", ".join(statuses))
        print("check_inventory     " + (check.stdout.strip() or check.stderr.strip()).splitlines()[-1])
    finally:
        for process in (app, sumup):
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)
        subprocess.run(["psql", PG + "/postgres", "-qc", f"DROP DATABASE IF EXISTS {DB_NAME}"], check=False)


if __name__ == "__main__":
    main()
