"""Health checks and the site's own error pages."""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import Max, Min
from django.http import JsonResponse
from django.shortcuts import render
from django.utils import timezone

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


def _worker_stale(now=None) -> bool:
    """True when the worker has run no periodic job for more than WORKER_STALE_MINUTES.

    Only where the django-tasks-db queue is in use (`scheduling_available`): elsewhere (tests'
    immediate backend) no worker exists to be dead. The expiry job runs every minute, so a live
    worker starts a run at least every minute or two; a database whose jobs were scheduled
    (after `migrate`) but never started counts from when the first run was due. One aggregate
    over the few ScheduledJob rows: cheap enough for a probe every few seconds.
    """
    from ticketing.models import ScheduledJob
    from ticketing.schedule import scheduling_available

    if not scheduling_available():
        return False
    seen = ScheduledJob.objects.aggregate(
        started=Max("last_started_at"), finished=Max("last_finished_at"), first_due=Min("next_run_at")
    )
    last_run = max((moment for moment in (seen["started"], seen["finished"]) if moment), default=None)
    since = last_run or seen["first_due"]
    if since is None:  # no job was ever scheduled here: nothing to judge the worker by
        return False
    now = now or timezone.now()
    return since < now - timedelta(minutes=settings.WORKER_STALE_MINUTES)


def ready(request):
    """Ready to serve: the database and the cache answer, and the worker is alive. Names the part
    that does not.

    It also says whether the worker runs its periodic jobs on time ("worker": "ok", "late" or
    "unknown"). When no periodic job has run for WORKER_STALE_MINUTES, the worker is dead, not
    only late: the answer is 503 naming "worker", so the uptime monitor alerts. The platforms'
    instance checks use /health/, never this one, so a dead worker alerts a person without
    taking the web instances (and so the shop, which sells without the worker) out of service.
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
        stale = _worker_stale()
    except Exception:  # never a 500 from a health check
        logger.warning("worker state unknown", exc_info=True)
        worker, stale = "unknown", False
    if stale:
        return JsonResponse({"status": "unavailable", "failing": ["worker"], "worker": "late"}, status=503)
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
    """The answer to an unhandled error: the friendly 503 page when the database cannot be
    reached (an outage of ours, over in minutes: worth a retry), else the 500 page.

    Django calls this inside its `except` block, so the error is still in `sys.exc_info()`.
    No context processors that could fail again: a plain render of a static template.
    """
    import sys

    from django.http import HttpResponseServerError
    from django.template.loader import get_template

    if _database_unreachable(sys.exc_info()[1]):
        return database_unavailable(request)
    return HttpResponseServerError(get_template("500.html").render())


def _database_unreachable(error) -> bool:
    """A lost or refused database connection (Django wraps the driver's error in these two).

    Also a deadlock or a serialisation failure (PostgreSQL's kinds of OperationalError): those
    are momentary too, and "try again in a minute" is the right answer to them as well.
    """
    from django.db import InterfaceError, OperationalError

    return isinstance(error, (OperationalError, InterfaceError))


def database_unavailable(request=None):
    """503 with the stand-alone "back in a moment" page and a Retry-After, no stack trace."""
    from django.http import HttpResponse
    from django.template.loader import get_template

    response = HttpResponse(get_template("503.html").render(), status=503)
    response["Retry-After"] = "60"
    return response


def csrf_failure(request, reason=""):
    return render(request, "403_csrf.html", status=403)


def rate_limited(request, exception=None):
    """429 with a Retry-After: the friendly page for a person, a line of JSON for a JSON client
    (SumUp's webhook deliveries), which would only throw a rendered page away."""
    if request.content_type == "application/json":
        response = JsonResponse({"error": "too many requests"}, status=429)
    else:
        response = render(request, "429.html", status=429)
    response["Retry-After"] = "60"
    return response
