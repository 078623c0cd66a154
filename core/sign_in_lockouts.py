"""Failed sign-ins: the lock-out rule, what a locked-out person reads, and lifting a lock.

django-axes counts failed sign-ins (wrong passwords, and wrong two-factor codes: see
core/two_factor.py) in the database, per account and per client address, and refuses the next
sign-in of either once ADMIN_LOGIN_FAILURE_LIMIT is reached, for ADMIN_LOGIN_COOLOFF_MINUTES
after the last failure; a failure during the lock-out starts the cool-off again, so an attack
that carries on stays locked out. The settings are in config/settings/base.py ("Staff sign-in").

A superuser lifts a lock from Settings → Locked-out sign-ins (written to Wagtail's audit log)
or with `manage.py axes_reset_username USERNAME` / `axes_reset_ip ADDRESS`.

Log lines never name the account tried or the address it came from: axes is given
`client_description`, which says neither.
"""

from dataclasses import dataclass
from datetime import datetime

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_cool_off, get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.db import transaction
from django.db.models import Max, Sum
from django.shortcuts import render
from django.utils import timezone
from wagtail.log_actions import log

LOG_UNLOCK = "core.sign_in_unlock"


def client_description(username, ip_address, user_agent, path_info, request) -> str:
    """How axes' log lines name a client: by the page tried, never by account or address."""
    return f"a client of {path_info}"


def locked_out_page(request, original_response=None, credentials=None):
    """The page a locked-out sign-in gets instead of the sign-in form: 429, the admin's look."""
    minutes = int(get_cool_off(request).total_seconds() // 60)
    # Rendered now: AxesMiddleware puts it in place of a response that was already rendered.
    return render(
        request,
        "core/sign_in_locked.html",
        {"cooloff_minutes": minutes, "failure_limit": get_failure_limit(request, credentials)},
        status=settings.AXES_HTTP_RESPONSE_CODE,
    )


def is_locked(request, username: str) -> bool:
    """Whether a sign-in as `username` from this request's address would be refused."""
    return AxesProxyHandler.is_locked(request, {"username": username})


def record_failed_code(request, username: str) -> bool:
    """Count a wrong two-factor code as a failed sign-in of `username` from this address; True
    when that locks the sign-in (the caller then signs the session out)."""
    user_login_failed.send(sender=__name__, credentials={"username": username}, request=request)
    return bool(getattr(request, "axes_locked_out", False))


@dataclass(frozen=True)
class Lock:
    """One account or one address that cannot sign in now."""

    kind: str  # "account" or "address"
    value: str
    failures: int
    last_failure: datetime
    until: datetime


def current_locks() -> list[Lock]:
    """Every account and address locked now, the most recent first."""
    since = timezone.now() - settings.AXES_COOLOFF_TIME
    recent = AccessAttempt.objects.filter(attempt_time__gte=since)
    locks = []
    for kind, field in (("account", "username"), ("address", "ip_address")):
        rows = (
            recent.exclude(**{f"{field}__isnull": True})
            .values(field)
            .annotate(failures=Sum("failures_since_start"), last=Max("attempt_time"))
            .filter(failures__gte=settings.AXES_FAILURE_LIMIT)
        )
        for row in rows:
            until = row["last"] + settings.AXES_COOLOFF_TIME
            locks.append(Lock(kind, row[field], row["failures"], row["last"], until))
    return sorted(locks, key=lambda lock: lock.last_failure, reverse=True)


@transaction.atomic
def unlock(kind: str, value: str, *, by) -> int:
    """Lift the lock of one account or address (and forget its failures); the rows removed.

    Written to Wagtail's audit log with who did it. Unlocking an account leaves the addresses
    that failed on it locked (an attacker's stays paused), and the other way round.
    """
    field = {"account": "username", "address": "ip_address"}[kind]
    attempts = list(AccessAttempt.objects.select_for_update().filter(**{field: value}))
    if attempts:
        latest = max(attempts, key=lambda attempt: attempt.attempt_time)
        log(latest, LOG_UNLOCK, user=by, title=f"Sign-in lock of an {kind}", data={"kind": kind})
    # Axes keeps one row per account and address together: the account's failures are forgotten
    # by forgetting whose they were, so they still count for the address they came from.
    AccessAttempt.objects.filter(pk__in=[attempt.pk for attempt in attempts]).update(**{field: None})
    AccessAttempt.objects.filter(username__isnull=True, ip_address__isnull=True).delete()
    return len(attempts)
