"""Every migration of ours runs backwards: each app migrated back to zero, then all forward again.

This is what `manage.py migrate <app> <earlier migration>` relies on in a rollback
(docs/OPERATIONS.md, "Rollback"): every schema change has its reverse, and every data migration
a reverse function or a deliberate no-op (`RunPython.noop`, where the forward step only filled
in or relabelled data that the older schema does not need). Run on PostgreSQL in CI; one pass
down and up, so it stays quick.
"""

import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader

pytestmark = pytest.mark.django_db(transaction=True)

# Ours, in an order where each is unapplied after those that depend on it.
OUR_APPS = ["ticketing", "legal", "core", "home", "sumup_sandbox"]


def applied(app):
    loader = MigrationLoader(connection)
    return sorted(name for label, name in loader.applied_migrations if label == app)


def written(app):
    loader = MigrationLoader(connection)
    return sorted(name for label, name in loader.disk_migrations if label == app)


def migrate(*args):
    call_command("migrate", *args, interactive=False, verbosity=0, stdout=io.StringIO())


def test_every_app_of_ours_migrates_back_to_zero_and_forward_again():
    for app in OUR_APPS:
        assert applied(app) == written(app), f"{app} is not fully migrated to begin with"

    # All the way down in one plan (what `migrate <app> zero` does for each, rendered once).
    executor = MigrationExecutor(connection)
    executor.migrate([(app, None) for app in OUR_APPS])
    for app in OUR_APPS:
        assert applied(app) == [], f"{app} did not go back to zero"

    migrate()  # as a release does: forward, with the post-migrate steps (permissions, jobs)
    for app in OUR_APPS:
        assert applied(app) == written(app)
    # Forward again leaves nothing for makemigrations to find: the reverse lost no state.
    call_command("makemigrations", "--check", "--dry-run", *OUR_APPS, verbosity=0, stdout=io.StringIO())


def test_every_data_migration_of_ours_says_how_to_go_back():
    """A RunPython without a reverse makes the whole app irreversible: each must name one."""
    from django.db.migrations.operations import RunPython, RunSQL

    loader = MigrationLoader(None, ignore_no_migrations=True)
    missing = [
        f"{label}.{name}"
        for (label, name), migration in loader.disk_migrations.items()
        if label in OUR_APPS
        for operation in migration.operations
        if isinstance(operation, (RunPython, RunSQL)) and not operation.reversible
    ]
    assert missing == []
