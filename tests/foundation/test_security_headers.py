"""The headers every public page and the admin carry (issue 2, "Security headers")."""

import pytest
from django.test import override_settings

from tests.factories import make_event, make_event_page

pytestmark = pytest.mark.django_db


def directives(response):
    return {
        part.split()[0]: part.split()[1:]
        for part in (p.strip() for p in response["Content-Security-Policy"].split(";"))
        if part
    }


def test_public_pages_allow_only_what_the_site_uses(client, settings):
    settings.CAPTCHA_ENABLED = False
    page = make_event_page(make_event())
    response = client.get(page.url)
    csp = directives(response)
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"] == ["'self'"]  # no inline scripts, no third parties
    assert csp["style-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'self'"]  # Wagtail's preview frames our own pages
    assert "https://checkout.sumup.com" in csp["form-action"]  # the checkout redirect lands there
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "camera=(self)" in response["Permissions-Policy"]


def test_recaptcha_is_allowed_only_when_captcha_is_on(client, settings):
    page = make_event_page(make_event())
    settings.CAPTCHA_ENABLED = True
    csp = directives(client.get(page.url))
    assert "https://www.google.com/recaptcha/" in csp["script-src"]
    assert "https://www.google.com/recaptcha/" in csp["frame-src"]


def test_the_admin_gets_the_policy_wagtail_needs(admin_client):
    csp = directives(admin_client.get("/admin/"))
    assert "'unsafe-inline'" in csp["script-src"]
    assert csp["frame-ancestors"] == ["'self'"]


@override_settings(
    SECURE_SSL_REDIRECT=True,
    SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https"),
    SECURE_HSTS_SECONDS=31536000,
    SECURE_HSTS_INCLUDE_SUBDOMAINS=True,
)
def test_behind_the_proxy_http_is_redirected_and_https_gets_hsts(client):
    assert client.get("/", HTTP_X_FORWARDED_PROTO="http").status_code == 301
    secure = client.get("/no-such-page/", HTTP_X_FORWARDED_PROTO="https")
    assert secure["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    # Platform probes use plain HTTP and are answered, not redirected.
    assert client.get("/health/", HTTP_X_FORWARDED_PROTO="http").status_code == 200
