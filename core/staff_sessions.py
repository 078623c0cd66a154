"""How long a staff session lasts: until the browser closes, and never past a working day idle.

Buyers have no accounts, so every signed-in session is staff's. Box-office and door machines
are shared, so:

* the session cookie has no expiry date (SESSION_EXPIRE_AT_BROWSER_CLOSE, and the sign-in form
  has no "Remember me"): closing the browser signs out;
* a session unused for ADMIN_SESSION_IDLE_MINUTES (480, a working day) is signed out at its
  next request, whatever the browser keeps.

Public pages are served from the page cache to everyone but signed-in staff, and anyone can
send a session cookie: telling a made-up one from a real one cost a database query on every
such request. So each sign-in leaves a mark of its session in the shared cache (a hash of the
key, never the key), removed at sign-out: a session cookie without a mark is no signed-in
session (`may_be_signed_in`), and only one with a mark is looked up. While the cache is down,
every session cookie is looked up, as before. A mark lost from the cache (evicted) leaves its
editor seeing the public pages as visitors do, without Wagtail's user bar, until they sign in
again; nothing more.
"""

import contextlib
import hashlib
import time

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in, user_logged_out
from wagtail.admin.forms.auth import LoginForm

from core.shared_cache import Outage, Unavailable, shared_cache

# Where the time of the session's last request is kept (seconds since the epoch).
LAST_ACTIVITY_KEY = "staff_last_activity"
# The stored time is refreshed at most this often: a session is not written on every request.
_REFRESH_SECONDS = 60


class SignInForm(LoginForm):
    """Wagtail's sign-in form without "Remember me": no staff session outlives its browser."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields.pop("remember", None)


def _last_activity(session) -> float | None:
    last = session.get(LAST_ACTIVITY_KEY)
    return last if isinstance(last, (int, float)) else None


def idle_too_long(session, now: float) -> bool:
    """Whether the session's last request was longer ago than ADMIN_SESSION_IDLE_MINUTES."""
    last = _last_activity(session)
    return last is not None and now - last > settings.ADMIN_SESSION_IDLE_MINUTES * 60


class IdleStaffSessionMiddleware:
    """Sign out a session idle past ADMIN_SESSION_IDLE_MINUTES; note the time of every other one.

    A request after the limit is answered as anonymous from the start (the admin sends it to
    the sign-in page, and back to the page asked for afterwards), so nothing is done in the name
    of a session left open overnight.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = time.time()
            last = _last_activity(request.session)
            if idle_too_long(request.session, now):
                logout(request)
            elif last is None or now - last >= _REFRESH_SECONDS:
                request.session[LAST_ACTIVITY_KEY] = now
        return self.get_response(request)


# --- Which session cookies may be signed in -----------------------------------------------------

_outage = Outage("the staff session marks")


def _mark(session_key: str) -> str:
    return "staff-session:" + hashlib.sha256(session_key.encode()).hexdigest()


def may_be_signed_in(session_key: str) -> bool:
    """False when no one signed in with this session key, as the shared cache can say without
    the database; True when someone did, or the cache cannot say (then ask the session)."""
    try:
        return _outage.call(shared_cache.get, _mark(session_key)) is not None
    except Unavailable:
        return True


def _signed_in(sender, request, user, **kwargs):
    if request is None or not request.session.session_key:
        return
    with contextlib.suppress(Unavailable):
        _outage.call(shared_cache.set, _mark(request.session.session_key), 1, settings.SESSION_COOKIE_AGE)


def _signed_out(sender, request, user, **kwargs):
    if request is None or not request.session.session_key:
        return
    with contextlib.suppress(Unavailable):  # the session itself is gone: a mark left costs a query
        _outage.call(shared_cache.delete, _mark(request.session.session_key))


def mark_sessions_at_sign_in():
    """Connect the marks to Django's sign-in and sign-out (CoreConfig.ready())."""
    user_logged_in.connect(_signed_in, dispatch_uid="staff-session-mark")
    user_logged_out.connect(_signed_out, dispatch_uid="staff-session-unmark")
