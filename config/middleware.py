"""Site-wide middleware: a request id for every log line, and security headers."""

import re
import uuid

from django.conf import settings

from config.logging import request_id_var

_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


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
            "form-action": ["'self'", settings.SUMUP_CHECKOUT_ORIGIN],
        }
    )
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


class SecurityHeadersMiddleware:
    """Content-Security-Policy and Permissions-Policy, computed once per process."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.public_csp = content_security_policy()
        self.admin_csp = content_security_policy(admin=True)

    def __call__(self, request):
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            is_admin = request.path.startswith(("/admin/", "/django-admin/"))
            response["Content-Security-Policy"] = self.admin_csp if is_admin else self.public_csp
        # The check-in scanner is the only page that needs the camera.
        response.setdefault("Permissions-Policy", "camera=(self), microphone=(), geolocation=()")
        return response
