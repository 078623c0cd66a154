"""A `db_worker` whose e-mail provider takes the message and never answers: the worker is then
mid-send for as long as the test likes, and a SIGKILL catches it there (test_worker_killed.py)."""

from tests.worker_settings import *  # noqa: F403

EMAIL_BACKEND = "tests.operations.test_worker_killed.StallingBackend"
