"""Rate limits per client, counted in the shared cache, and what a view does when it is down.

django-ratelimit counts in RATELIMIT_USE_CACHE ("shared": Redis in production, seen with its
errors raised). Read as "no count", an outage would either switch every limit off or refuse
everything; neither happens silently here. A view chooses instead:

* `limit_or_refuse`: the request is answered by the view's own refusal (the checkout shows
  the buyer's form again with a 503: no purchase without its limits);
* `limit_here_if_down`: the request is counted in this process alone (the payment webhook,
  which must keep confirming payments; each process then allows the full rate).

Over the limit, both raise django-ratelimit's `Ratelimited`, which RatelimitMiddleware turns
into RATELIMIT_VIEW's friendly 429.
"""

import functools
import re
import threading
import time

from django_ratelimit.core import is_ratelimited
from django_ratelimit.exceptions import Ratelimited

from core.shared_cache import Outage, Unavailable

_outage = Outage("rate limiting")


def _group(view) -> str:
    """The counter's name: the one django-ratelimit's own decorator gives a view function, so
    counts carry on across a deploy that changes decorators."""
    return f"{view.__module__}.{view.__qualname__}"


def _over_shared_limit(request, group, key, rate) -> bool:
    """Count the request in the shared cache; raises Unavailable when the cache is down."""
    return _outage.call(is_ratelimited, request, group=group, key=key, rate=rate, increment=True)


def limit_or_refuse(*, key, rate, refuse, group=None):
    """Decorate a view: over `rate` per `key` it is refused with a 429; with the counters down,
    `refuse(request, *args, **kwargs)` answers instead. `key`, `rate` and `group` are
    django-ratelimit's (callables of (group, request), or strings; the group names the count,
    by default after the view)."""

    def decorate(view):
        counted_as = group or _group(view)

        @functools.wraps(view)
        def limited(request, *args, **kwargs):
            try:
                over = _over_shared_limit(request, counted_as, key, rate)
            except Unavailable:
                return refuse(request, *args, **kwargs)
            if over:
                raise Ratelimited()
            return view(request, *args, **kwargs)

        return limited

    return decorate


def limit_here_if_down(*, key, rate):
    """Decorate a view: over `rate` per `key` it is refused with a 429, counted in the shared
    cache, or in this process while the shared cache is down."""

    def decorate(view):
        group = _group(view)
        local = ProcessCounter()

        @functools.wraps(view)
        def limited(request, *args, **kwargs):
            try:
                over = _over_shared_limit(request, group, key, rate)
            except Unavailable:
                over = local.over(_value(key, group, request), _value(rate, group, request))
            if over:
                raise Ratelimited()
            return view(request, *args, **kwargs)

        return limited

    return decorate


def _value(setting, group, request):
    return setting(group, request) if callable(setting) else setting


_RATE = re.compile(r"^(\d+)/(\d*)([smhd])$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """django-ratelimit's rate syntax: "600/m" or "10/5m" → (requests allowed, per seconds)."""
    match = _RATE.match(rate)
    if match is None:
        raise ValueError(f"not a rate: {rate!r}")
    count, multiple, unit = match.groups()
    return int(count), int(multiple or 1) * _UNIT_SECONDS[unit]


class ProcessCounter:
    """Requests per client in fixed windows, counted in this process only.

    The stand-in while the shared counters are down. Memory is bounded: the counts are for the
    current window alone, and at most MAX_CLIENTS of them (past that a new window starts).
    """

    MAX_CLIENTS = 10_000

    def __init__(self):
        self._lock = threading.Lock()
        self._window = None
        self._counts = {}

    def over(self, client: str, rate: str) -> bool:
        limit, period = parse_rate(rate)
        window = (period, int(time.time() // period))
        with self._lock:
            if window != self._window or len(self._counts) >= self.MAX_CLIENTS:
                self._window, self._counts = window, {}
            self._counts[client] = count = self._counts.get(client, 0) + 1
        return count > limit
