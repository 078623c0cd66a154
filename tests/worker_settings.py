"""Settings for a `db_worker` a test starts in a process of its own (tests/delivery/test_schedule.py):
the test settings, with jobs on django-tasks-db's queue as in production. DATABASE_URL names the
test's own database."""

from config.settings.test import *  # noqa: F403

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# The daily reconciliation runs when the worker seeds it: SumUp is where nothing answers (the
# discard port), so it fails at once, as it would with SumUp down, and calls no one's server.
SUMUP_API_BASE = "http://127.0.0.1:9/sumup"
