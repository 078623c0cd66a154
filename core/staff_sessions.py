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
session (`may_be_signed_in`), and only one with a mark is looked up. Each process keeps the
marks for a second, so a sign-in shows in the other processes within that second (until then
they serve that editor the public page a visitor gets). While the cache is down, every
session cookie is looked up, as before. A mark lost from the cache (evicted) leaves its
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

# Every signed-in session's mark, in one entry: {sha256 of the session key: when it lapses (epoch
# seconds)}. A handful of staff sessions at a time, so one entry; each process keeps a copy for
# MARKS_LOCAL_SECONDS, and a made-up cookie then costs a dictionary lookup, not a round trip.
MARKS_KEY = "staff-sessions:marks:v1"
MARKS_LOCAL_SECONDS = 1.0
_outage = Outage("the staff session marks")
_local_marks = {"until": 0.0, "marks": {}}


def _mark(session_key: str) -> str:
    return hashlib.sha256(session_key.encode()).hexdigest()


def _shared_marks() -> dict:
    """The marks as the shared cache holds them (raises Unavailable)."""
    marks = _outage.call(shared_cache.get, MARKS_KEY)
    return marks if isinstance(marks, dict) else {}


def _keep_marks(marks: dict) -> None:
    _local_marks["marks"] = marks
    _local_marks["until"] = time.monotonic() + MARKS_LOCAL_SECONDS


def forget_local_marks() -> None:
    """Read the marks from the shared cache next time (the page cache's copies go with them)."""
    _local_marks["until"] = 0.0


def may_be_signed_in(session_key: str) -> bool:
    """False when no one signed in with this session key, as the marks say without the
    database; True when someone did, or the shared cache cannot say (then ask the session).

    A sign-in in another process is seen here within MARKS_LOCAL_SECONDS."""
    if time.monotonic() >= _local_marks["until"]:
        try:
            _keep_marks(_shared_marks())
        except Unavailable:
            return True
    lapses = _local_marks["marks"].get(_mark(session_key))
    return lapses is not None and lapses > time.time()


def _change_marks(session_key: str, *, signed_in: bool) -> None:
    """Add or remove one session's mark: read, change, write back, dropping lapsed marks.

    Two sign-ins at the same instant may lose one mark; its editor then sees public pages as a
    visitor until they sign in again, nothing worse (see the module's docstring).
    """
    now = time.time()
    with contextlib.suppress(Unavailable):  # while the cache is down every session is looked up
        marks = {mark: lapses for mark, lapses in _shared_marks().items() if lapses > now}
        if signed_in:
            marks[_mark(session_key)] = now + settings.SESSION_COOKIE_AGE
        else:
            marks.pop(_mark(session_key), None)
        _outage.call(shared_cache.set, MARKS_KEY, marks, settings.SESSION_COOKIE_AGE)
        _keep_marks(marks)


def _signed_in(sender, request, user, **kwargs):
    if request is not None and request.session.session_key:
        _change_marks(request.session.session_key, signed_in=True)


def _signed_out(sender, request, user, **kwargs):
    if request is not None and request.session.session_key:
        _change_marks(request.session.session_key, signed_in=False)


def mark_sessions_at_sign_in():
    """Connect the marks to Django's sign-in and sign-out (CoreConfig.ready())."""
    user_logged_in.connect(_signed_in, dispatch_uid="staff-session-mark")
    user_logged_out.connect(_signed_out, dispatch_uid="staff-session-unmark")
