"""Production: refuses to start when a setting would make it unsafe.

Each refusal names the variable to fix, so a failed deploy says what is wrong in its log.
"""

import sentry_sdk
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_int, env_str

from .base import *  # noqa: F403
from .base import (
    ALLOW_NO_CAPTCHA,
    ALLOWED_HOSTS,
    ANYMAIL,
    CAPTCHA_ENABLED,
    DEBUG,
    EMAIL_PROVIDER,
    RECAPTCHA_PRIVATE_KEY,
    RECAPTCHA_PUBLIC_KEY,
    REDIS_URL,
    SECRET_KEY,
    SENTRY_DSN,
    SITE_URL,
    SUMUP_API_KEY,
    SUMUP_MERCHANT_CODE,
    SUMUP_SANDBOX,
    logging_config,
)


def _refuse(message):
    raise ImproperlyConfigured(f"Production settings refused: {message}")


if not SECRET_KEY or len(SECRET_KEY) < 32:
    _refuse("SECRET_KEY must be set to a random value of at least 32 characters.")
if DEBUG:
    _refuse("DEBUG must be off (DEBUG=False).")
if not ALLOWED_HOSTS:
    _refuse("ALLOWED_HOSTS must list the site's host names (comma-separated).")
if SUMUP_SANDBOX:
    _refuse("the SumUp sandbox must be off (SUMUP_SANDBOX=0); it fakes payments.")
if not REDIS_URL:
    _refuse("REDIS_URL must be set: rate limits need a cache shared by every worker.")
if not CAPTCHA_ENABLED and not ALLOW_NO_CAPTCHA:
    _refuse("CAPTCHA_ENABLED is off; set ALLOW_NO_CAPTCHA=1 to run without it on purpose.")
if CAPTCHA_ENABLED and not (RECAPTCHA_PUBLIC_KEY and RECAPTCHA_PRIVATE_KEY):
    _refuse("RECAPTCHA_PUBLIC_KEY and RECAPTCHA_PRIVATE_KEY must be set while CAPTCHA is on.")
if not (SUMUP_API_KEY and SUMUP_MERCHANT_CODE):
    _refuse("SUMUP_API_KEY and SUMUP_MERCHANT_CODE must be set: without them no payment can be taken.")
if not SITE_URL.startswith("https://"):
    _refuse("SITE_URL must be the site's https:// address.")
if EMAIL_PROVIDER not in ("mailgun", "sendgrid"):
    _refuse("EMAIL_PROVIDER must be mailgun or sendgrid, or ticket e-mails would never leave.")
if not ANYMAIL[f"{EMAIL_PROVIDER.upper()}_API_KEY"]:
    _refuse(f"{EMAIL_PROVIDER.upper()}_API_KEY must be set for EMAIL_PROVIDER={EMAIL_PROVIDER}.")

# The platform's proxy terminates TLS and says so in this header.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
# /health/ is probed over plain HTTP inside the platform's network.
SECURE_REDIRECT_EXEMPT = [r"^health/"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = False
SILENCED_SYSTEM_CHECKS = [
    # X_FRAME_OPTIONS is SAMEORIGIN, not DENY: Wagtail's page preview frames our own pages.
    "security.W019",
    # No HSTS preload: joining browsers' preload list is a one-way decision for the domain
    # owner (every subdomain, for years), not something a deploy should do silently.
    "security.W021",
    # Anymail still sends through SendGrid; W003 only says its maintainers no longer test it.
    # Mailgun is the default provider; SendGrid remains for accounts that already use it.
    "anymail.W003",
]
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
CSRF_TRUSTED_ORIGINS = [SITE_URL]

LOGGING = logging_config(env_str("LOG_FORMAT", "json"), env_str("LOG_LEVEL", "INFO"))

if SENTRY_DSN:
    from config.logging import scrub_sentry_event

    sentry_sdk.init(
        dsn=SENTRY_DSN,
        send_default_pii=False,
        # Stack frames' local variables hold buyers (name, e-mail, address) during a checkout.
        include_local_variables=False,
        before_send=scrub_sentry_event,
        traces_sample_rate=float(env_str("SENTRY_TRACES_SAMPLE_RATE", "0") or 0),
        environment=env_str("SENTRY_ENVIRONMENT", "production"),
    )
