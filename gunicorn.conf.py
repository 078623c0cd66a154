"""gunicorn's settings, read automatically from the working directory by
`gunicorn config.wsgi:application` (Procfile, Dockerfile, .do/app.yaml all run exactly that)."""

import os

bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
# 4 single-thread processes, not 2 × 4 threads (issue 14, README "Benchmarks"): on the 2-core
# machine 4 × 1 answered /health/ and the checkout faster, and one thread per process leaves
# Python's lock to nobody else, with 4 database connections per instance instead of 8.
workers = int(os.environ.get("WEB_CONCURRENCY", "4"))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
# gthread: keep-alive connections and slow clients wait in the worker's own loop, not in
# the thread serving requests; GUNICORN_THREADS adds threads where SumUp's latency dominates.
worker_class = "gthread"
timeout = 30
graceful_timeout = 20
keepalive = 5
# Recycle workers now and then, so that a slow leak can never grow without bound. Not too
# often: a worker starting again costs over a second of CPU (Django, Wagtail, the admin), and at
# an on-sale rush 5,000 requests went by in a few seconds, so each worker was restarting in the
# middle of the rush (README, "Benchmarks"). Their memory stays level under load (≈ 135 MiB).
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "50000"))
max_requests_jitter = max_requests // 10
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
# gunicorn 27's runtime control socket: unused, and the app user has no writable home.
control_socket_disable = True
accesslog = "-"
# Works out only the fields the format below names (config/access_log.py), with gunicorn's meanings.
logger_class = "config.access_log.AccessLogger"
# No client address, user agent or path: order URLs carry secret tokens, and addresses are
# personal data. The request id ties a line to the application's own logs.
access_log_format = "%(t)s %(m)s %(s)s %(B)s %(M)sms request_id=%({x-request-id}o)s"
