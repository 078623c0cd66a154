"""Site-wide middleware: health checks, a request id for every log line, malformed requests refused,
security headers."""

import logging
import re
import uuid
from urllib.parse import unquote_plus, urlsplit

from django.conf import settings
from django.http import UnreadablePostError
from django.urls import get_resolver, get_urlconf

from config import views
from config.logging import request_id_var

logger = logging.getLogger(__name__)

_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class HealthCheckMiddleware:
    """Answer GET and HEAD on /health/ and /health/ready/, before host validation and the HTTPS
    redirect. This is their only route: the URLconf has none.

    Platform probes call the container directly, over plain HTTP, with a Host header of their
    own (Railway's is healthcheck.railway.app): neither is a reason to report the app down.
    Any other method goes down the stack like every request (and is refused there).
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.checks = {"/health/": views.health, "/health/ready/": views.ready}

    def __call__(self, request):
        check = self.checks.get(request.path_info)
        if check is not None and request.method in ("GET", "HEAD"):
            return check(request)
        return self.get_response(request)


class RequestIdMiddleware:
    """Take the platform's X-Request-ID when it looks sane, else make one; echo it back."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _VALID_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        token = request_id_var.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        response["X-Request-ID"] = request_id
        return response


def _origin(url):
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None


def _payment_page_origins():
    """Where the checkout form's redirect may land: SumUp's hosted page, or our sandbox's."""
    origins = [settings.SUMUP_CHECKOUT_ORIGIN]
    if settings.SUMUP_SANDBOX and _origin(settings.SUMUP_API_BASE):
        origins.append(_origin(settings.SUMUP_API_BASE))
    return origins


def content_security_policy(admin=False):
    """The CSP for public pages, or the looser one Wagtail's admin needs (inline scripts)."""
    media = [settings.MEDIA_URL] if settings.MEDIA_URL.startswith("http") else []
    static = [settings.STATIC_URL] if settings.STATIC_URL.startswith("http") else []
    captcha_scripts = ["https://www.google.com/recaptcha/", "https://www.gstatic.com/recaptcha/"]
    captcha = captcha_scripts if settings.CAPTCHA_ENABLED else []
    if admin:
        directives = {
            "default-src": ["'self'"],
            "script-src": ["'self'", "'unsafe-inline'", *static],
            "style-src": ["'self'", "'unsafe-inline'", *static],
            "img-src": ["'self'", "data:", "blob:", *media, *static],
            "media-src": ["'self'", "blob:"],
            "frame-src": ["'self'"],
        }
    else:
        directives = {
            "default-src": ["'self'"],
            "script-src": ["'self'", *static, *captcha, *settings.CSP_EXTRA_SCRIPT_SRC],
            "style-src": ["'self'", *static],
            "img-src": ["'self'", "data:", *media, *static],
            "frame-src": ["'self'", *(["https://www.google.com/recaptcha/"] if captcha else [])],
            "connect-src": ["'self'", *settings.CSP_EXTRA_CONNECT_SRC],
            "media-src": ["'self'", "mediastream:", "blob:"],
        }
    directives.update(
        {
            "object-src": ["'none'"],
            "base-uri": ["'self'"],
            "frame-ancestors": ["'self'"],
            # Chrome applies form-action to the redirect after a POST: the checkout form
            # ends on SumUp's hosted page.
            "form-action": ["'self'", *_payment_page_origins()],
        }
    )
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


class SecurityHeadersMiddleware:
    """Content-Security-Policy and Permissions-Policy.

    The policies are built once and rebuilt only when a setting they depend on changes (tests
    point the SumUp sandbox at a live server's port at run time).
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self._key = None
        self._policies = None

    def _current_policies(self):
        key = (
            settings.SUMUP_API_BASE,
            settings.SUMUP_CHECKOUT_ORIGIN,
            settings.CAPTCHA_ENABLED,
            settings.MEDIA_URL,
            settings.STATIC_URL,
            settings.SUMUP_SANDBOX,
            tuple(settings.CSP_EXTRA_SCRIPT_SRC),
            tuple(settings.CSP_EXTRA_CONNECT_SRC),
        )
        if key != self._key:
            self._policies = (content_security_policy(), content_security_policy(admin=True))
            self._key = key
        return self._policies

    def __call__(self, request):
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            public, admin = self._current_policies()
            is_admin = request.path.startswith(("/admin/", "/django-admin/"))
            response["Content-Security-Policy"] = admin if is_admin else public
        # The check-in scanner is the only page that needs the camera.
        response.setdefault("Permissions-Policy", "camera=(self), microphone=(), geolocation=()")
        return response


# Characters no URL, header or form field of ours ever carries. PostgreSQL cannot store a NUL
# at all (a NUL reaching a query fails the request with a 500), and the other control
# characters only ever come from tampering or a broken client.
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")
# A form value may hold the lines of a textarea (CR, LF) and tabs; nothing else below 0x20.
_CONTROL_CHARACTERS_IN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# A header value may hold a tab (HTTP allows it); a line break in one is an injection attempt.
_CONTROL_CHARACTERS_IN_HEADER = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
# Our longest real paths (Wagtail's admin) are a few hundred characters; browsers and proxies
# commonly stop at about 2,000.
MAX_PATH_LENGTH = 2048
_FORM_CONTENT_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class MalformedInputMiddleware:
    """Refuse with the site's own 400 page any request carrying characters no page of ours accepts.

    A NUL or another control character in the path, the query string (names or values), a
    header or a form field (names or values, urlencoded or the text fields of a multipart form),
    or a path longer than MAX_PATH_LENGTH, is answered 400 before any view runs, so it changes
    nothing. One check at the door keeps every URL, form and admin search safe, including the
    ones whose own validation would let such a value through to the database.

    Other bad input is Django's to refuse and already answered 400: invalid UTF-8 becomes U+FFFD
    when decoded, and a body that is too large or a multipart body that cannot be parsed raises
    one of Django's "bad request" errors.

    Bodies of other types (the SumUp webhook's JSON) are left to their views, which parse them.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        part = self._malformed_part(request)
        if part:
            # Which part, never its value: paths and forms carry order tokens and buyers' details.
            logger.info("malformed request refused", extra={"part": part})
            return self._bad_request(request)
        return self.get_response(request)

    def _malformed_part(self, request) -> str | None:
        """The part of the request ("path", "query", "header", "form") that is malformed, or None."""
        path = request.path_info
        if len(path) > MAX_PATH_LENGTH or _CONTROL_CHARACTERS.search(path):
            return "path"
        if _CONTROL_CHARACTERS.search(unquote_plus(request.META.get("QUERY_STRING", ""), errors="replace")):
            return "query"
        for key, value in request.META.items():
            if key.startswith("HTTP_") and _CONTROL_CHARACTERS_IN_HEADER.search(str(value)):
                return "header"
        try:
            fields = self._form_fields(request)
        except UnreadablePostError:  # the client went away half-way through its body
            return "form"
        for name, values in fields:
            if _CONTROL_CHARACTERS.search(name) or any(_CONTROL_CHARACTERS_IN_TEXT.search(v) for v in values):
                return "form"
        return None

    def _form_fields(self, request):
        """(name, values) of a POSTed form's text fields; nothing for any other request.

        Parsing a multipart body reads it from the network once and for all. When the body is
        small enough for Django to keep in memory, it is read into memory first, so a view that
        wants the raw bytes (the SumUp webhook reads `request.body`) still has them.
        """
        if request.method != "POST" or request.content_type not in _FORM_CONTENT_TYPES:
            return []
        if request.content_type == "multipart/form-data" and self._fits_in_memory(request):
            request.body  # noqa: B018 - read on purpose: Django keeps it for later readers
        return request.POST.lists()

    @staticmethod
    def _fits_in_memory(request) -> bool:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return False
        return limit is None or declared <= limit

    @staticmethod
    def _bad_request(request):
        # The URLconf's handler400: the same page as every other 400 of the site.
        return get_resolver(get_urlconf()).resolve_error_handler(400)(request, None)
