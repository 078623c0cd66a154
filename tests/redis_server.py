"""A Redis server of a test's own, which the test can kill: outages are tested against the real thing.

Each server listens on a free port of its own (never the machine's Redis on 6379), keeps
nothing on disk, and is stopped by its process id.
"""

import os
import signal
import socket
import subprocess

import pytest
import redis
from django.test import override_settings

from config.settings.base import redis_caches
from core import page_cache
from tests.factories import wait_for


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RedisServer:
    def __init__(self):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.client = redis.Redis.from_url(self.url)
        wait_for(self._answers, 10.0, interval=0.02, failure="Redis did not start")

    def _answers(self) -> bool:
        try:
            return self.client.ping()
        except redis.exceptions.ConnectionError:
            return False

    def keys(self, pattern="*") -> list[str]:
        return [key.decode() for key in self.client.keys(pattern)]

    def kill(self):
        """Stop the server as an outage does: at once, without a goodbye to its clients."""
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def pause(self):
        """Freeze the server (SIGSTOP): it keeps its data, but answers nobody, as a hung or
        unreachable Redis does; clients wait for their timeout."""
        os.kill(self.process.pid, signal.SIGSTOP)

    def resume(self):
        os.kill(self.process.pid, signal.SIGCONT)

    def stop(self):
        self.client.close()
        self.kill()


@pytest.fixture
def redis_server():
    """A Redis of the test's own, with the site's caches pointed at it as production points
    them (`config.settings.base.redis_caches`); `redis_server.kill()` is the outage."""
    server = RedisServer()
    try:
        with override_settings(CACHES=redis_caches(server.url)):
            page_cache.forget_local_entries()
            yield server
    finally:
        page_cache.forget_local_entries()
        server.stop()
