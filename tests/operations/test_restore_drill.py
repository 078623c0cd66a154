"""The restore drill (scripts/restore_drill.py), run for real: pg_dump of the test database,
pg_restore into a scratch database, the checks, the erasures re-applied, the copy dropped."""

import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.db import connection

from legal.privacy import KEEP, erase_person
from tests.factories import make_event, make_paid_order
from ticketing.models import Order, TicketType

pytestmark = [
    pytest.mark.django_db(transaction=True),  # the drill's own processes must see the rows
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the drill is for PostgreSQL"),
]

DRILL = settings.BASE_DIR / "scripts" / "restore_drill.py"


def database_url():
    """The test database's address (pytest-django's test_… database, not DATABASE_URL's)."""
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def drill(*args):
    env = {**os.environ, "DATABASE_URL": database_url()}
    return subprocess.run(
        [sys.executable, str(DRILL), "--settings", "config.settings.test", *args],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.fixture
def shop():
    """Three buyers' paid orders; Ann erased before any backup."""
    event = make_event("Jazz Night")
    orders = {
        who: make_paid_order(event, email=f"{who}@example.com", name=f"{who.title()} Buyer")
        for who in ("ann", "bea", "cy")
    }
    erase_person("ann@example.com", future_tickets=KEEP)
    return orders


def scratch_databases():
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_database WHERE datname LIKE %s", ["%restore_drill%"])
        return cursor.fetchone()[0]


def test_the_drill_restores_a_whole_copy_and_drops_it(shop):
    result = drill()
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "Restore drill PASSED" in out
    for check in ("pg_restore", "schema", "migrate --check", "row counts", "check_inventory", "erasures"):
        assert f"ok         {check}" in out, check
    assert "no erased person's data is back (1 in the ledger)" in out
    assert "ann@example.com" not in out and "Bea Buyer" not in out, "the summary holds counts only"
    assert scratch_databases() == 0


def test_an_erasure_made_after_the_backup_is_made_again_in_the_restored_copy(shop, tmp_path):
    backup = tmp_path / "nightly.dump"
    assert drill("--backup-to", str(backup)).returncode == 0
    assert backup.stat().st_size > 0
    erase_person("bea@example.com", future_tickets=KEEP)  # after the backup: the copy still has Bea

    result = drill("--restore-from", str(backup))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Erasures re-applied: 1 order anonymised" in result.stdout  # Bea's; Ann's was in the backup
    assert "no erased person's data is back (2 in the ledger)" in result.stdout
    assert Order.objects.filter(email="cy@example.com").exists(), "the drill changes nothing in the source"
    assert scratch_databases() == 0


def test_a_difference_fails_the_drill(shop, tmp_path):
    backup = tmp_path / "nightly.dump"
    assert drill("--backup-to", str(backup)).returncode == 0
    # The source's counters go wrong after the backup: the copy's check_inventory disagrees.
    TicketType.objects.update(sold=99)

    result = drill("--restore-from", str(backup))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "DIFFERENT  check_inventory" in result.stdout
    assert "Restore drill FAILED (1 difference(s))" in result.stdout
    assert scratch_databases() == 0


def test_a_backup_whose_counts_differ_fails_the_drill(shop, tmp_path):
    backup = tmp_path / "nightly.dump"
    assert drill("--backup-to", str(backup)).returncode == 0
    counts = backup.with_name("nightly.dump.counts.json")
    counts.write_text(counts.read_text().replace('"ticketing_order": 3', '"ticketing_order": 4'))

    result = drill("--restore-from", str(backup))
    assert result.returncode == 1
    assert "DIFFERENT  row counts: ticketing_order 4 → 3" in result.stdout


def test_the_drill_refuses_settings_that_send_e_mail():
    result = subprocess.run(
        [sys.executable, str(DRILL), "--settings", "config.settings.production"],
        cwd=settings.BASE_DIR,
        env={**os.environ, "DATABASE_URL": database_url()},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2 and "send no e-mail" in result.stderr
