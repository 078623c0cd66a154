"""gunicorn's settings, read automatically from the working directory by
`gunicorn config.wsgi:application` (Procfile, Dockerfile, .do/app.yaml all run exactly that)."""

import os

bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
# gthread: a slow client or a SumUp call does not hold a whole process.
worker_class = "gthread"
timeout = 30
graceful_timeout = 20
keepalive = 5
# Recycle workers now and then, so that a slow leak can never grow without bound.
max_requests = 5000
max_requests_jitter = 500
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
# gunicorn 27's runtime control socket: unused, and the app user has no writable home.
control_socket_disable = True
accesslog = "-"
# No client address, user agent or path: order URLs carry secret tokens, and addresses are
# personal data. The request id ties a line to the application's own logs.
access_log_format = "%(t)s %(m)s %(s)s %(B)s %(M)sms request_id=%({x-request-id}o)s"
