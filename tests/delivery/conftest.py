import pytest
from django.utils import timezone

from tests.delivery.helpers import DATABASE_TASKS, Clock
from tests.delivery.mail_backends import FlakyBackend


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(timezone, "now", clock.now)
    return clock


@pytest.fixture
def database_tasks(settings):
    """Jobs go to django-tasks-db's table, as in production, instead of running at once."""
    settings.TASKS = DATABASE_TASKS


@pytest.fixture
def flaky_mail(settings):
    """An e-mail provider that fails `FlakyBackend.failures_left` times, then delivers."""
    settings.EMAIL_BACKEND = "tests.delivery.mail_backends.FlakyBackend"
    FlakyBackend.reset()
    yield FlakyBackend
    FlakyBackend.reset()
