"""Production: refuses to start when a setting would make it unsafe.

Each refusal names the variable to fix, so a failed deploy says what is wrong in its log.
"""

import re

import sentry_sdk
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_int, env_str

from .base import *  # noqa: F403
from .base import (
    ALLOW_NO_CAPTCHA,
    ALLOWED_HOSTS,
    ANYMAIL,
    BOT_USER_AGENTS,
    CAPTCHA_ENABLED,
    CSP_EXTRA_CONNECT_SRC,
    CSP_EXTRA_SCRIPT_SRC,
    DEBUG,
    EMAIL_PROVIDER,
    ERASURE_LEDGER_SALT,
    IPV6_CLIENT_PREFIX,
    RECAPTCHA_PRIVATE_KEY,
    RECAPTCHA_PUBLIC_KEY,
    REDIS_URL,
    SECRET_KEY,
    SENTRY_DSN,
    SENTRY_TRACES_SAMPLE_RATE,
    SITE_URL,
    SUMUP_API_BASE,
    SUMUP_API_KEY,
    SUMUP_MERCHANT_CODE,
    SUMUP_SANDBOX,
    logging_config,
)


def _refuse(message):
    raise ImproperlyConfigured(f"Production settings refused: {message}")


def _secret_key_problem(key):
    """Why `key` is not a secret worth signing tickets with, or None. Never says the key.

    The rule: at least 50 characters with at least 20 different ones (what
    `get_random_secret_key()` makes passes easily: 50 characters, about 30 different), not the
    dev or test settings' key (public, in this repository), not Django's "django-insecure" kind.
    """
    published = {
        "dev-only-insecure-key-never-used-in-production",
        "test-only-insecure-key-with-enough-length-0123456789",
    }
    if not key or len(key) < 50:
        return "SECRET_KEY must be set to a random value of at least 50 characters."
    if key in published:
        return "SECRET_KEY is the development or test settings' key, which is public; make a new one."
    if key.startswith("django-insecure"):
        return "SECRET_KEY must not start with django-insecure: that is a key made for development."
    if len(set(key)) < 20:
        return "SECRET_KEY must be random: at least 20 different characters, not a repeated pattern."
    return None


def _is_wildcard_host(host):
    """True for an entry that accepts hosts the site does not own: `*`, a glob, or a leading-dot
    entry covering a whole top-level domain (`.`, `.je`). `.example.je` (the site and its
    subdomains) is allowed."""
    return "*" in host or (host.startswith(".") and "." not in host[1:].strip("."))


def _bad_bot_pattern(patterns):
    """The first BOT_USER_AGENTS entry that is not a regular expression, or None."""
    for pattern in patterns:
        try:
            re.compile(pattern)
        except re.error:
            return pattern
    return None


# An https origin, optionally with a path: no keyword ('unsafe-inline'), scheme alone (https:)
# or bare wildcard (*), any of which would let any script run on the public pages.
_CSP_ORIGIN = re.compile(r"^https://(\*\.)?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+(:[0-9]+)?(/[A-Za-z0-9._~/-]*)?$")


def _bad_csp_source(sources):
    """The first CSP_EXTRA_* entry that is not an https origin, or None."""
    return next((source for source in sources if not _CSP_ORIGIN.match(source)), None)


if problem := _secret_key_problem(SECRET_KEY):
    _refuse(problem)
if DEBUG:
    _refuse("DEBUG must be off (DEBUG=False).")
if not ALLOWED_HOSTS:
    _refuse("ALLOWED_HOSTS must list the site's host names (comma-separated).")
if any(_is_wildcard_host(host) for host in ALLOWED_HOSTS):
    _refuse(
        "ALLOWED_HOSTS must name the site's hosts: no *, and a leading-dot entry must name a "
        "domain (.example.je), not a whole top-level domain."
    )
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
if not SUMUP_API_BASE.startswith("https://"):
    # Plain HTTP could be read or answered on the way, or be an emulator that fakes payments.
    _refuse("SUMUP_API_BASE must be an https:// address (SumUp's is https://api.sumup.com).")
# A network shorter than /32 would count a whole provider's customers as one buyer.
if not 32 <= IPV6_CLIENT_PREFIX <= 128:
    _refuse("IPV6_CLIENT_PREFIX must be a whole number from 32 to 128 (64 counts one connection).")
if (pattern := _bad_bot_pattern(BOT_USER_AGENTS)) is not None:
    _refuse(f"BOT_USER_AGENTS entry {pattern!r} is not a regular expression.")
# The erasure ledger's hashes are keyed with it: derived from SECRET_KEY, a key rotation would
# leave every past erasure unmatched, and a restored backup would bring those people back.
if len(ERASURE_LEDGER_SALT) < 32 or ERASURE_LEDGER_SALT == SECRET_KEY:
    _refuse(
        "ERASURE_LEDGER_SALT must be set to a random value of at least 32 characters, other than "
        "SECRET_KEY, and never changed (it keys the erasure ledger)."
    )


def _sample_rate(raw):
    """SENTRY_TRACES_SAMPLE_RATE as a float from 0 to 1, or None when it is not one."""
    try:
        rate = float(raw)
    except (TypeError, ValueError):
        return None
    return rate if 0 <= rate <= 1 else None


TRACES_SAMPLE_RATE = _sample_rate(SENTRY_TRACES_SAMPLE_RATE)
if TRACES_SAMPLE_RATE is None:
    _refuse("SENTRY_TRACES_SAMPLE_RATE must be a number from 0 to 1 (0.1 traces one request in ten).")
for _name, _sources in (
    ("CSP_EXTRA_SCRIPT_SRC", CSP_EXTRA_SCRIPT_SRC),
    ("CSP_EXTRA_CONNECT_SRC", CSP_EXTRA_CONNECT_SRC),
):
    if (source := _bad_csp_source(_sources)) is not None:
        _refuse(f"{_name} entry {source!r} must be an https:// origin such as https://plausible.io.")
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
        # Performance tracing: a share of requests and jobs, their queries' SQL without values
        # (send_default_pii is off). 0 by default: errors only.
        traces_sample_rate=TRACES_SAMPLE_RATE,
        environment=env_str("SENTRY_ENVIRONMENT", "production"),
    )
