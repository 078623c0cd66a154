"""Settings for a `db_worker` a test starts in a process of its own (tests/delivery/test_schedule.py):
the test settings, with jobs on django-tasks-db's queue as in production. DATABASE_URL names the
test's own database."""

import os

from config.settings.test import *  # noqa: F403

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# The daily reconciliation runs when the worker seeds it: SumUp is where nothing answers (the
# discard port), so it fails at once, as it would with SumUp down, and calls no one's server.
SUMUP_API_BASE = "http://127.0.0.1:9/sumup"
# E-mail to files when the test names a folder, so that it can count what every worker sent.
if os.environ.get("EMAIL_FILE_PATH"):
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = os.environ["EMAIL_FILE_PATH"]
