# Jersey Events: the production image.
#
# The steps are the ones the Makefile, CI and the Procfile run: `pip install -r
# requirements.txt`, `python manage.py collectstatic --noinput`, `gunicorn config.wsgi:application`.
#
#   docker build -t jersey-events .
#   docker run --env-file .env -p 8000:8000 jersey-events                        # web
#   docker run --env-file .env --no-healthcheck jersey-events python manage.py db_worker
#   docker run --env-file .env --no-healthcheck jersey-events python manage.py migrate --noinput

ARG PYTHON_IMAGE=python:3.11-slim

# ---- builder: the dependencies, in a virtualenv that the runtime stage copies whole -------
FROM ${PYTHON_IMAGE} AS builder

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1

RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

COPY requirements.txt /tmp/requirements.txt
RUN pip install -r /tmp/requirements.txt

# ---- runtime ------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime

# manage.py defaults to the dev settings; every process in this image (gunicorn, the worker,
# migrate) must run the production ones, which refuse to start with unsafe configuration.
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DJANGO_SETTINGS_MODULE=config.settings.production

RUN groupadd --system app \
    && useradd --system --gid app --home-dir /app --no-create-home --shell /usr/sbin/nologin app

WORKDIR /app
COPY --from=builder /opt/venv /opt/venv
# The code stays owned by root: the app user can read it but not change it.
COPY . .

# collectstatic runs here, once, so every container starts with the same hashed files that
# WhiteNoise serves. It runs with the BASE settings and a throwaway SECRET_KEY given to this
# RUN step only (nothing secret exists at build time, and this value never reaches the
# running image): production settings refuse to load without SECRET_KEY, ALLOWED_HOSTS,
# REDIS_URL and an https SITE_URL, and a build must not need real secrets or break whenever
# production gains a new refusal. Production takes every static-file setting (INSTALLED_APPS,
# STATICFILES_DIRS, STATIC_ROOT, the storage backend) from base.py unchanged, so the collected
# files and their manifest are the ones it serves; collectstatic opens no database or cache.
# Not the dev settings: they add the SumUp sandbox, which .dockerignore leaves out of the image.
RUN DJANGO_SETTINGS_MODULE=config.settings.base SECRET_KEY=build-time-only-not-a-secret \
    python manage.py collectstatic --noinput

# The only places the app may write: uploaded media when no object storage is configured
# (AWS_STORAGE_BUCKET_NAME unset; a container's disk is lost on redeploy) and var/ (e-mail
# files when EMAIL_PROVIDER=file).
RUN mkdir -p /app/media /app/var && chown app:app /app/media /app/var

USER app

EXPOSE 8000

# /health/ answers without touching the database, for any Host header and over plain HTTP
# (it is served before host validation and the HTTPS redirect). A worker container has no web
# server: run it with --no-healthcheck (platforms ignore this instruction and use their own
# check, configured in .do/app.yaml or the Railway service settings).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD python -c "import os, urllib.request as r; r.urlopen('http://127.0.0.1:%s/health/' % os.environ.get('PORT', '8000'), timeout=4)"

# gunicorn.conf.py (read from the working directory) binds to $PORT, runs $WEB_CONCURRENCY
# workers and writes an access log without client IPs, user agents or paths (order and ticket
# URLs carry secret tokens).
CMD ["gunicorn", "config.wsgi:application"]
