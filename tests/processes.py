"""The site in processes of its own (gunicorn, `db_worker`), for tests of what several servers
see together. Each process reads the test's own database, which a transactional test commits to."""

import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import httpx
from django.db import connection

BASE_DIR = Path(__file__).resolve().parents[1]


def database_url():
    """This test's database, for a process of its own (a transactional test commits its rows)."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    password = f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else ""
    return f"postgres://{quote(db['USER'])}{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


class WebInstance:
    """One web instance as the platform runs it: `gunicorn config.wsgi:application` with the
    project's gunicorn.conf.py, on a port of its own, on the test's database and a given Redis."""

    def __init__(self, port, log_path, *, settings_module="config.settings.test", **environment):
        self.url = f"http://127.0.0.1:{port}"
        self.log_path = log_path
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": settings_module,
            "DATABASE_URL": database_url(),
            "PORT": str(port),
            "WEB_CONCURRENCY": "2",
            **{name: str(value) for name, value in environment.items()},
        }
        command = [sys.executable, "-m", "gunicorn", "config.wsgi:application", "--bind", f"127.0.0.1:{port}"]
        with open(log_path, "ab") as log:
            self.process = subprocess.Popen(command, cwd=BASE_DIR, env=env, stdout=log, stderr=log)
        self._wait_until_up()

    def _wait_until_up(self, timeout=60.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited:\n{self.log()}")
            try:
                if httpx.get(f"{self.url}/health/", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:] if self.log_path.exists() else ""

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


def start_worker(log_path, **environment):
    """`manage.py db_worker` in a process of its own, checking its periodic chains every second."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.worker_settings",
        "DATABASE_URL": database_url(),
        **{name: str(value) for name, value in environment.items()},
    }
    command = [sys.executable, "manage.py", "db_worker", "--no-reload", "--no-startup-delay"]
    options = ["--interval", "0.2", "--schedule-check-interval", "1"]
    with open(log_path, "ab") as log:
        return subprocess.Popen([*command, *options], cwd=BASE_DIR, env=env, stdout=log, stderr=log)


def kill(worker):
    """SIGKILL, as an out-of-memory kill or a lost machine: the worker finishes nothing."""
    worker.kill()
    worker.wait(10)
