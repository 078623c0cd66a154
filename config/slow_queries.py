"""Slow-query log: every database query slower than SLOW_QUERY_MS is logged as a warning.

The line carries the SQL as Django sent it, with its `%s` placeholders, never the parameters:
those are buyers' names, e-mail addresses, order tokens and ticket codes. It names how long the
query took and which database alias ran it, which is what finding the slow page or job needs
(the request id on every log line says which request it was).

`install()` runs once at start-up (`core.apps.CoreConfig.ready`), in the web processes, the
worker and management commands alike; each new database connection gets the wrapper.
"""

import logging
import time

from django.conf import settings
from django.db import connections
from django.db.backends.signals import connection_created

logger = logging.getLogger(__name__)

# Long statements (a bulk insert's VALUES list of placeholders) are cut: the start says which.
MAX_SQL_LENGTH = 2000


def log_slow_queries(execute, sql, params, many, context):
    """A Django execute_wrapper: run the query, log it when it took SLOW_QUERY_MS or more."""
    threshold = settings.SLOW_QUERY_MS
    if not threshold or threshold <= 0:
        return execute(sql, params, many, context)
    started = time.monotonic()
    try:
        return execute(sql, params, many, context)
    finally:
        took_ms = (time.monotonic() - started) * 1000
        if took_ms >= threshold:
            statement = str(sql)
            logger.warning(
                "slow query (%d ms, %s): %s",
                took_ms,
                context["connection"].alias,
                statement[:MAX_SQL_LENGTH],
                extra={"duration_ms": round(took_ms), "db_alias": context["connection"].alias},
            )


def _watch(sender=None, connection=None, **kwargs):
    # connection_created fires again after each reconnect (CONN_MAX_AGE), on the same wrapper
    # object: add the wrapper once.
    if log_slow_queries not in connection.execute_wrappers:
        connection.execute_wrappers.append(log_slow_queries)


def install() -> None:
    """Wrap every database connection of this process, present and future."""
    connection_created.connect(_watch, dispatch_uid="config.slow_queries")
    for connection in connections.all(initialized_only=True):
        _watch(connection=connection)
