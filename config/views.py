"""Health checks and the site's own error pages."""

import logging

from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render

logger = logging.getLogger(__name__)


def health(request):
    """The process is up: no database, no cache, nothing that can be slow."""
    return JsonResponse({"status": "ok"})


def _database_answers():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        return cursor.fetchone() == (1,)


def _cache_answers():
    cache.set("health:ready", "1", 10)
    return cache.get("health:ready") == "1"


def _worker_state():
    from ticketing.schedule import worker_state

    return worker_state()


def ready(request):
    """Ready to serve: the database and the cache answer. Names the part that does not.

    It also says whether the worker runs its periodic jobs on time ("worker": "ok", "late" or
    "unknown"). A late worker does not make this instance unready: the shop sells without it,
    and taking every web instance out of service because the worker died would close the shop.
    """
    failing = []
    for name, probe in (("database", _database_answers), ("cache", _cache_answers)):
        try:
            if not probe():
                failing.append(name)
        except Exception:  # any failure at all means "not ready", never a 500
            logger.warning("readiness check failed", extra={"component": name}, exc_info=True)
            failing.append(name)
    if failing:
        return JsonResponse({"status": "unavailable", "failing": failing}, status=503)
    try:
        worker = _worker_state()
    except Exception:  # never a 500 from a health check
        logger.warning("worker state unknown", exc_info=True)
        worker = "unknown"
    return JsonResponse({"status": "ok", "worker": worker})


def favicon(request):
    """Browsers ask for /favicon.ico on pages that name no icon (the sandbox's, SumUp-like)."""
    from django.http import HttpResponsePermanentRedirect
    from django.templatetags.static import static

    return HttpResponsePermanentRedirect(static("img/favicon.svg"))


def bad_request(request, exception=None):
    return render(request, "400.html", status=400)


def permission_denied(request, exception=None):
    return render(request, "403.html", status=403)


def page_not_found(request, exception=None):
    return render(request, "404.html", status=404)


def server_error(request):
    # No context processors that could fail again: a plain render of a static template.
    from django.http import HttpResponseServerError
    from django.template.loader import get_template

    return HttpResponseServerError(get_template("500.html").render())


def csrf_failure(request, reason=""):
    return render(request, "403_csrf.html", status=403)


def rate_limited(request, exception=None):
    response = render(request, "429.html", status=429)
    response["Retry-After"] = "60"
    return response
