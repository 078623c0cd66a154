"""How long a staff session lasts: until the browser closes, and never past a working day idle.

Buyers have no accounts, so every signed-in session is staff's. Box-office and door machines
are shared, so:

* the session cookie has no expiry date (SESSION_EXPIRE_AT_BROWSER_CLOSE, and the sign-in form
  has no "Remember me"): closing the browser signs out;
* a session unused for ADMIN_SESSION_IDLE_MINUTES (480, a working day) is signed out at its
  next request, whatever the browser keeps.
"""

import time

from django.conf import settings
from django.contrib.auth import logout
from wagtail.admin.forms.auth import LoginForm

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
