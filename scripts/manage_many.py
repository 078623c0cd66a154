#!/usr/bin/env python
"""Run several `manage.py` commands in one process, and print what each said as JSON.

    python scripts/manage_many.py '[["showmigrations", "--plan"], ["check_inventory"]]'

Prints a JSON list, one entry per command in order: {"returncode", "stdout", "stderr"}, as
`subprocess.run` would have given for `manage.py <command>` on its own. The restore drill
(scripts/restore_drill.py) asks several questions of each database; starting Django, Wagtail
and the admin once per database instead of once per question makes the drill (and its tests)
several times quicker. Settings come from DJANGO_SETTINGS_MODULE and the environment, as for
manage.py. Run from the project's root.
"""

import io
import json
import os
import sys
import traceback
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_one(argv: list[str]) -> dict:
    """One command, as `manage.py` would run it: its output and its exit status."""
    from django.core.management import ManagementUtility

    stdout, stderr = io.StringIO(), io.StringIO()
    returncode = 0
    with redirect_stdout(stdout), redirect_stderr(stderr):
        try:
            ManagementUtility(["manage.py", *argv]).execute()
        except SystemExit as exit:  # a CommandError, `migrate --check`, argparse's refusals
            returncode = exit.code if isinstance(exit.code, int) else 1
        except Exception:  # noqa: BLE001 - reported as manage.py would, and the next one runs
            traceback.print_exc()
            returncode = 1
    return {"returncode": returncode, "stdout": stdout.getvalue(), "stderr": stderr.getvalue()}


def main(argv=None) -> int:
    commands = json.loads((argv or sys.argv[1:])[0])
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    import django

    django.setup()
    print(json.dumps([run_one(command) for command in commands]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
