"""The cache the site's own code shares between processes, and how its outage shows.

In production this is Redis under the name "shared" in CACHES (config/settings/base.py). The
"default" name, which libraries such as Wagtail use, is the same Redis with its errors turned
into misses; here they are raised, because what an outage means depends on who asks: the page
cache renders without it, the checkout refuses rather than sell without rate limits, the
webhook counts its rate limit in the process so that payments are still confirmed.
"""

import logging

from django.core.cache import caches
from django.utils.connection import ConnectionProxy
from django_redis.exceptions import ConnectionInterrupted
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

ALIAS = "shared"
shared_cache = ConnectionProxy(caches, ALIAS)

# What a call raises when the cache server does not answer (refused, timed out, gone).
# LocMemCache, in dev and tests, never does.
SERVER_ERRORS = (RedisError, ConnectionInterrupted)


class Unavailable(Exception):
    """The shared cache did not answer."""


class Outage:
    """One part of the site's view of the shared cache: answering, or down since an error.

    It logs one warning when the cache stops answering and one line when it answers again, so
    a rush during an outage does not write a line per request. Safe enough across threads: a
    race costs at most a repeated line.
    """

    def __init__(self, part: str, *, when_back=None):
        self.part = part
        self.down = False
        # Called once when the cache answers again, e.g. to announce what could not be said.
        self.when_back = when_back
        # How many outages have ended: a caller can tell whether its own call ended one.
        self.outages_ended = 0

    def failed(self, error: Exception) -> None:
        if not self.down:
            self.down = True
            # The error's class only: its text names the server's address.
            logger.warning(
                "shared cache unreachable; %s goes on without it",
                self.part,
                extra={"part": self.part, "error": type(error).__name__},
            )

    def answered(self) -> bool:
        """Note that the cache answered; True when that ends an outage."""
        if not self.down:
            return False
        self.down = False
        self.outages_ended += 1
        logger.info("shared cache answers again", extra={"part": self.part})
        if self.when_back is not None:
            self.when_back()
        return True

    def call(self, operation, *args, **kwargs):
        """`operation(*args, **kwargs)` on the shared cache; raises Unavailable when it fails."""
        try:
            result = operation(*args, **kwargs)
        except SERVER_ERRORS as error:
            self.failed(error)
            raise Unavailable from error
        self.answered()
        return result
