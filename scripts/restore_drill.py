#!/usr/bin/env python
"""The backup and restore drill: back up DATABASE_URL's database, restore the backup into a
scratch database, prove the copy is whole, re-apply erasures, drop the copy.

    python scripts/restore_drill.py                         # back up now, then restore and check
    python scripts/restore_drill.py --backup-to FILE        # only back up (FILE and FILE.counts.json)
    python scripts/restore_drill.py --restore-from FILE     # restore and check an earlier backup

Run from the project's root, where `manage.py` is. The checks, each source against restored:

1. the schema: `manage.py showmigrations --plan` says the same of both (the restored copy
   needs no migration the source does not need; `migrate --check` compares it with the code);
2. the row count of every table, the source's counted in the snapshot the backup was taken
   from (`pg_export_snapshot`), so a live site writing meanwhile makes no false difference;
3. `manage.py check_inventory` answers the same for both;
4. erasures: the source's erasure ledger as it is now (it holds erasures made after the
   backup) is merged into the copy and `manage.py reapply_erasures` run there; then no order
   or data request of the copy may belong to an address in the ledger.

It prints a summary (counts only: no personal data) and exits 1 on any difference, 2 when a
step could not run. The scratch database is dropped whatever happens. Commands against both
databases run with `--settings` (default: the dev settings, which send no real e-mail and
call no real SumUp): a drill must not e-mail anyone. PostgreSQL only; needs pg_dump and
pg_restore of at least the server's major version on PATH.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg2
from psycopg2 import sql

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SETTINGS = "config.settings.dev"


class DrillError(Exception):
    """A step could not run at all (a tool failed): the drill stops, exit status 2."""


# --- Databases ------------------------------------------------------------------------------


def with_database(url: str, name: str) -> str:
    """`url` naming another database on the same server."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


def database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def connect(url: str):
    return psycopg2.connect(url)


def table_counts(cursor) -> dict[str, int]:
    """Rows in every table of the public schema: Django's, Wagtail's, the queue's and ours."""
    cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
    counts = {}
    for (table,) in cursor.fetchall():
        cursor.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table)))
        counts[table] = cursor.fetchone()[0]
    return counts


def create_scratch(source_url: str) -> str:
    name = f"{database_name(source_url)}_restore_drill_{os.getpid()}"[:63]
    admin = connect(with_database(source_url, "postgres"))
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    finally:
        admin.close()
    return with_database(source_url, name)


def drop_scratch(scratch_url: str) -> None:
    admin = connect(with_database(scratch_url, "postgres"))
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            name = sql.Identifier(database_name(scratch_url))
            cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
    finally:
        admin.close()


# --- Tools ----------------------------------------------------------------------------------


def run(args, *, env=None, check=True) -> subprocess.CompletedProcess:
    result = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True)  # noqa: S603 - our own tools
    if check and result.returncode != 0:
        # The tool's own message: pg_* and manage.py name tables and options, not buyers.
        raise DrillError(
            f"{Path(args[0]).name} {args[1] if len(args) > 1 else ''} failed: {result.stderr.strip()}"
        )
    return result


def manage(database_url: str, settings: str, mail_dir: str, *commands: list[str]) -> list[dict]:
    """Each of `commands` (`manage.py` arguments) against `database_url`, in one process.

    Returns what each said ({"returncode", "stdout", "stderr"}, in order); any e-mail they send
    is written to `mail_dir`. One process per database, not per command: starting Django is
    most of a command's time (scripts/manage_many.py).
    """
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": settings,
        "EMAIL_PROVIDER": "file",
        "EMAIL_FILE_PATH": mail_dir,
    }
    batch = run([sys.executable, str(ROOT / "scripts" / "manage_many.py"), json.dumps(commands)], env=env)
    return json.loads(batch.stdout)


def succeeded(result: dict, command: list[str]) -> dict:
    """`result`, if its command succeeded; else the drill cannot go on (exit status 2)."""
    if result["returncode"] != 0:
        raise DrillError(f"manage.py {command[0]} failed: {result['stderr'].strip()}")
    return result


# --- Backup ---------------------------------------------------------------------------------


def counts_file(backup: Path) -> Path:
    return backup.with_name(backup.name + ".counts.json")


def take_backup(source_url: str, backup: Path) -> dict[str, int]:
    """pg_dump (custom format) of the source, and its row counts in the dump's own snapshot."""
    connection = connect(source_url)
    try:
        connection.set_session(isolation_level="REPEATABLE READ", readonly=True)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
            run(
                [
                    "pg_dump",
                    "--format=custom",
                    "--no-owner",
                    "--no-acl",
                    f"--snapshot={snapshot}",
                    f"--file={backup}",
                    f"--dbname={source_url}",
                ]
            )
            counts = table_counts(cursor)
    finally:
        connection.close()
    counts_file(backup).write_text(json.dumps({"tables": counts}, indent=1, sort_keys=True))
    return counts


# --- Checks ---------------------------------------------------------------------------------


class Summary:
    def __init__(self):
        self.lines: list[str] = []
        self.differences = 0

    def same(self, what: str, detail: str = "") -> None:
        self.lines.append(f"  ok         {what}{': ' + detail if detail else ''}")

    def different(self, what: str, detail: str) -> None:
        self.differences += 1
        self.lines.append(f"  DIFFERENT  {what}: {detail}")

    def compare(self, what: str, equal: bool, detail: str, difference: str) -> None:
        self.same(what, detail) if equal else self.different(what, difference)


def unapplied_migrations(output: str) -> list[str]:
    return [line.strip() for line in output.splitlines() if line.strip().startswith("[ ]")]


def compare_schema(summary, source_plan: dict, copy_plan: dict, copy_migrate_check: dict) -> None:
    source = unapplied_migrations(source_plan["stdout"])
    restored = unapplied_migrations(copy_plan["stdout"])
    summary.compare(
        "schema",
        source == restored,
        f"same migrations applied ({len(source)} unapplied in both)",
        f"the source needs {len(source)} migration(s), the copy {len(restored)}",
    )
    summary.compare(
        "migrate --check",
        copy_migrate_check["returncode"] == 0 or bool(source),
        "the copy needs no migration",
        "the copy needs migrations the code has",
    )


def compare_counts(summary, expected: dict[str, int], scratch_url: str) -> None:
    connection = connect(scratch_url)
    try:
        with connection.cursor() as cursor:
            restored = table_counts(cursor)
    finally:
        connection.close()
    differing = sorted(
        table for table in set(expected) | set(restored) if expected.get(table) != restored.get(table)
    )
    rows = sum(expected.values())
    summary.compare(
        "row counts",
        not differing,
        f"{len(expected)} tables, {rows} rows, the same in both",
        ", ".join(f"{t} {expected.get(t, 'missing')} → {restored.get(t, 'missing')}" for t in differing),
    )


def compare_inventory(summary, source: dict, restored: dict) -> None:
    same = (source["returncode"], source["stdout"]) == (restored["returncode"], restored["stdout"])
    summary.compare(
        "check_inventory",
        same,
        restored["stdout"].strip() or "no output",
        f"source says {(source['stdout'] + source['stderr']).strip()!r}, "
        f"the copy {(restored['stdout'] + restored['stderr']).strip()!r}",
    )


def erased_people_back(scratch_url: str, settings: str) -> int:
    """Orders and data requests of the copy whose address is in its erasure ledger."""
    os.environ["DJANGO_SETTINGS_MODULE"] = settings
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()  # for the ledger's key only: no query goes through Django here
    from legal.models import DataRequest, ErasedPerson
    from legal.privacy import address_hash
    from ticketing.models import Order

    connection = connect(scratch_url)
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                sql.SQL("SELECT address_hash FROM {}").format(sql.Identifier(ErasedPerson._meta.db_table))
            )
            ledger = {row[0] for row in cursor.fetchall()}
            back = 0
            for model in (Order, DataRequest):
                table = sql.Identifier(model._meta.db_table)
                cursor.execute(sql.SQL("SELECT email FROM {} WHERE email <> ''").format(table))
                back += sum(1 for (email,) in cursor.fetchall() if address_hash(email) in ledger)
    finally:
        connection.close()
    return back


def compare_erasures(summary, ledger: dict, applied: dict, scratch_url: str, settings: str) -> None:
    summary.same("reapply_erasures", " ".join(applied["stdout"].split()))
    back = erased_people_back(scratch_url, settings)
    summary.compare(
        "erasures",
        back == 0,
        f"no erased person's data is back ({len(json.loads(ledger['stdout'] or '[]'))} in the ledger)",
        f"{back} order(s) or data request(s) of erased people are still in the copy",
    )


# What is asked of both databases. The copy's erasures are re-applied last, once the rest has
# been compared as it was restored; its rows are counted before any command touches it.
PLAN = ["showmigrations", "--plan"]
MIGRATE_CHECK = ["migrate", "--check"]
INVENTORY = ["check_inventory"]
LEDGER = ["dumpdata", "legal.ErasedPerson"]


def check_copy(summary, source_url, scratch_url, expected, settings, work: Path) -> None:
    """Every check of the restored copy against the source, with one process per database."""
    mail_dir = str(work / "mail")
    compare_counts(summary, expected, scratch_url)
    source_plan, source_inventory, ledger = manage(source_url, settings, mail_dir, PLAN, INVENTORY, LEDGER)
    ledger_file = work / "ledger.json"
    ledger_file.write_text(succeeded(ledger, LEDGER)["stdout"])
    reapply = ["reapply_erasures", "--ledger", str(ledger_file)]
    copy_plan, copy_migrate_check, copy_inventory, applied = manage(
        scratch_url, settings, mail_dir, PLAN, MIGRATE_CHECK, INVENTORY, reapply
    )
    compare_schema(summary, succeeded(source_plan, PLAN), succeeded(copy_plan, PLAN), copy_migrate_check)
    compare_inventory(summary, source_inventory, copy_inventory)
    compare_erasures(summary, ledger, succeeded(applied, reapply), scratch_url, settings)


def restore_and_check(source_url: str, backup: Path, expected: dict[str, int], settings: str) -> Summary:
    summary = Summary()
    with tempfile.TemporaryDirectory(prefix="restore-drill-") as work:
        scratch_url = create_scratch(source_url)
        try:
            started = time.monotonic()
            run(
                [
                    "pg_restore",
                    "--no-owner",
                    "--no-acl",
                    "--exit-on-error",
                    f"--dbname={scratch_url}",
                    str(backup),
                ]
            )
            summary.same("pg_restore", f"{time.monotonic() - started:.1f} s")
            check_copy(summary, source_url, scratch_url, expected, settings, Path(work))
        finally:
            drop_scratch(scratch_url)
    summary.same("scratch database dropped")
    return summary


# --- The command ----------------------------------------------------------------------------


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--backup-to", type=Path, metavar="FILE", help="Only take the backup (and FILE.counts.json)."
    )
    mode.add_argument(
        "--restore-from", type=Path, metavar="FILE", help="Restore and check this earlier backup."
    )
    parser.add_argument(
        "--settings",
        default=DEFAULT_SETTINGS,
        help="Settings for the commands run against both databases (default: %(default)s).",
    )
    parser.add_argument(
        "--database-url", default=os.environ.get("DATABASE_URL", ""), help="Default: $DATABASE_URL."
    )
    options = parser.parse_args(argv)

    source_url = options.database_url
    if urlsplit(source_url).scheme not in ("postgres", "postgresql"):
        parser.error("DATABASE_URL must be a postgres:// address: the drill is for PostgreSQL.")
    if options.settings.endswith(".production"):
        parser.error("run the drill with settings that send no e-mail (the default, config.settings.dev).")

    started = time.monotonic()
    try:
        if options.backup_to:
            counts = take_backup(source_url, options.backup_to)
            print(
                f"Backup written to {options.backup_to}: {len(counts)} tables, {sum(counts.values())} rows."
            )
            return 0
        if options.restore_from:
            backup = options.restore_from
            expected = json.loads(counts_file(backup).read_text())["tables"]
            summary = restore_and_check(source_url, backup, expected, options.settings)
        else:
            with tempfile.TemporaryDirectory(prefix="restore-drill-backup-") as folder:
                backup = Path(folder) / "drill.dump"
                expected = take_backup(source_url, backup)
                summary = restore_and_check(source_url, backup, expected, options.settings)
    except (DrillError, OSError, psycopg2.Error, ValueError, KeyError) as error:
        print(f"Restore drill could not run: {error}", file=sys.stderr)
        return 2
    took = time.monotonic() - started
    print(f"Restore drill of {database_name(source_url)}:")
    print("\n".join(summary.lines))
    verdict = "PASSED" if not summary.differences else f"FAILED ({summary.differences} difference(s))"
    print(f"Restore drill {verdict} in {took:.1f} s.")
    return 0 if not summary.differences else 1


if __name__ == "__main__":
    sys.exit(main())
