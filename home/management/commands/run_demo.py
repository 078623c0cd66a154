"""`manage.py run_demo`: the background worker plus the development server, for `make demo`.

The worker (`db_worker`) runs as a child process so that queued jobs (ticket e-mails) are
done; runserver runs in the foreground, and when it exits (Ctrl-C) the worker is stopped.
"""

import os
import signal
import subprocess
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run the task worker in the background and the development server in the foreground."

    def add_arguments(self, parser):
        parser.add_argument("--addrport", default="127.0.0.1:8000", help="Where runserver listens.")

    def handle(self, *args, addrport, **options):
        # runserver's autoreloader re-runs this command in a child process (RUN_MAIN=true);
        # only the outer process owns the worker, or every reload would start another.
        if os.environ.get("RUN_MAIN") == "true":
            call_command("runserver", addrport)
            return
        worker = subprocess.Popen([sys.executable, str(settings.BASE_DIR / "manage.py"), "db_worker"])  # noqa: S603
        # A SIGTERM (from a process manager) should also stop the worker: turn it into an exit.
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        try:
            call_command("runserver", addrport)
        except KeyboardInterrupt:
            pass
        finally:
            stop(worker)


def stop(worker, timeout=10):
    """Ask the worker to finish its current job and exit; kill it if it does not."""
    if worker.poll() is not None:
        return
    worker.terminate()
    try:
        worker.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()
