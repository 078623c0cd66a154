"""Site-wide middleware: health checks, a request id for every log line, security headers."""

import re
import uuid
from urllib.parse import urlsplit

from django.conf import settings

from config import views
from config.logging import request_id_var

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
            "script-src": ["'self'", *static, *captcha],
            "style-src": ["'self'", *static],
            "img-src": ["'self'", "data:", *media, *static],
            "frame-src": ["'self'", *(["https://www.google.com/recaptcha/"] if captcha else [])],
            "connect-src": ["'self'"],
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
