"""Settings shared by every environment.

Each environment module (dev, test, production) imports this and changes only what differs.
Every setting an operator may need to change reads an environment variable of the same name,
so any of them can be overridden anywhere without editing code.
"""

from datetime import timedelta
from pathlib import Path

import dj_database_url

from config.env import env_bool, env_int, env_list, env_str
from config.logging import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent.parent

SECRET_KEY = env_str("SECRET_KEY")
SECRET_KEY_FALLBACKS = env_list("SECRET_KEY_FALLBACKS")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
WAGTAILADMIN_BASE_URL = SITE_URL

INSTALLED_APPS = [
    "core",
    "home",
    "ticketing",
    "legal",
    "wagtail.contrib.settings",
    "wagtail.contrib.redirects",
    "wagtail.contrib.sitemaps",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "wagtail_modeladmin",
    "modelcluster",
    "taggit",
    "django_recaptcha",
    "django_tasks",
    "django_tasks_db",
    "anymail",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
]

MIDDLEWARE = [
    "config.middleware.RequestIdMiddleware",
    "config.middleware.MalformedInputMiddleware",
    "config.middleware.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.gzip.GZipMiddleware",
    "config.middleware.SecurityHeadersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    # Below CSRF, so that a page served from the cache still gets its CSRF cookie on the way
    # out; above the rest, which a cached page does not need.
    "core.page_cache.CachedPageMiddleware",
    # Which Site the request is for, from the cache rather than a query (core/site_furniture.py).
    "core.site_furniture.SiteLookupMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Staff sign-in (core/staff_sessions.py, core/two_factor.py): an idle session ends first,
    # then a signed-in user is marked verified by a one-time code or not, then the admin is
    # closed to whoever still owes one.
    "core.staff_sessions.IdleStaffSessionMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "core.two_factor.TwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    # Turns a refused rate limit into RATELIMIT_VIEW's friendly 429 page.
    "django_ratelimit.middleware.RatelimitMiddleware",
    # Last, so that it sees the sign-in view's answer and replaces it with the lock-out page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wagtail.contrib.settings.context_processors.settings",
                "core.context_processors.navigation",
                "legal.context_processors.cookie_consent",
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"
# Loaded by each gunicorn worker before its first request (config/wsgi.py): the pages of an
# on-sale rush, the event page, the checkout's answers and the order page.
WARM_UP_TEMPLATES = (
    "home/event_page.html",
    "ticketing/checkout_form.html",
    "ticketing/checkout_sold_out.html",
    "ticketing/refused.html",
    "ticketing/order_detail.html",
)

# SQLite is the zero-setup default (make demo); PostgreSQL comes through DATABASE_URL.
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("CONN_MAX_AGE", 60))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE makes a writer take the lock at BEGIN, so concurrent buyers queue on the
    # busy timeout instead of failing with "database is locked" half-way through an order.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

# --- Staff sign-in ------------------------------------------------------------------------
# Buyers have no accounts: every account is staff's. django-axes counts failed sign-ins in the
# database (it survives a Redis outage and is shared by every process) and refuses the next
# one; its backend comes first so a locked account is refused before its password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
# Locked per account (a password guessed from many addresses still stops) and, separately, per
# client address (one address trying many accounts stops too). The price: anyone can keep one
# account locked for the cool-off by failing on purpose; a superuser can lift it at once.
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_FAILURE_LIMIT = env_int("ADMIN_LOGIN_FAILURE_LIMIT", 5)
ADMIN_LOGIN_COOLOFF_MINUTES = env_int("ADMIN_LOGIN_COOLOFF_MINUTES", 15)
AXES_COOLOFF_TIME = timedelta(minutes=ADMIN_LOGIN_COOLOFF_MINUTES)
# The client address as every limit of the site reads it (TRUSTED_PROXY_COUNT, X-Forwarded-For).
AXES_CLIENT_IP_CALLABLE = "ticketing.fraud.client_ip"
AXES_LOCKOUT_CALLABLE = "core.sign_in_lockouts.locked_out_page"
# Axes' own log lines name the attempted username and the address: ours say neither.
AXES_CLIENT_STR_CALLABLE = "core.sign_in_lockouts.client_description"
AXES_VERBOSE = False
# No row per successful sign-in: lock-outs need only the failures.
AXES_DISABLE_ACCESS_LOG = True
AXES_RESET_ON_SUCCESS = True
AXES_HTTP_RESPONSE_CODE = 429

# Two-factor sign-in (core/two_factor.py): members of these groups, and superusers when
# ADMIN_2FA_FOR_SUPERUSERS is on, must confirm an authenticator app before the admin opens.
ADMIN_2FA_REQUIRED_GROUPS = env_list("ADMIN_2FA_REQUIRED_GROUPS", ["Finance", "Privacy"])
ADMIN_2FA_FOR_SUPERUSERS = env_bool("ADMIN_2FA_FOR_SUPERUSERS", True)
# The name authenticator apps show beside the code.
OTP_TOTP_ISSUER = env_str("OTP_TOTP_ISSUER", "Jersey Events")

# Staff sessions end after this much inactivity, and when the browser closes (shared machines
# at the box office): the session cookie carries no expiry date.
ADMIN_SESSION_IDLE_MINUTES = env_int("ADMIN_SESSION_IDLE_MINUTES", 480)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
WAGTAILADMIN_USER_LOGIN_FORM = "core.staff_sessions.SignInForm"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Staff passwords guard refunds and buyers' personal data: twelve characters at least. The
# validators run wherever a password is chosen in a form (the admin, password reset) and in
# `ensure_demo_admin`; set_password alone does not run them.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": env_int("ADMIN_PASSWORD_MIN_LENGTH", 12)},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env_str("TIME_ZONE", "Europe/Jersey")
USE_I18N = True
USE_TZ = True

STATIC_URL = env_str("STATIC_URL", "/static/")
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = env_str("MEDIA_URL", "/media/")
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Uploaded images go to S3-compatible object storage (DigitalOcean Spaces, S3) when its
# bucket is named: app platforms have ephemeral disks and several instances.
AWS_STORAGE_BUCKET_NAME = env_str("AWS_STORAGE_BUCKET_NAME")
if AWS_STORAGE_BUCKET_NAME:
    AWS_S3_ENDPOINT_URL = env_str("AWS_S3_ENDPOINT_URL") or None
    AWS_S3_REGION_NAME = env_str("AWS_S3_REGION_NAME") or None
    AWS_S3_CUSTOM_DOMAIN = env_str("AWS_S3_CUSTOM_DOMAIN") or None
    AWS_ACCESS_KEY_ID = env_str("AWS_ACCESS_KEY_ID")
    AWS_SECRET_ACCESS_KEY = env_str("AWS_SECRET_ACCESS_KEY")
    AWS_DEFAULT_ACL = "public-read"
    AWS_QUERYSTRING_AUTH = False
    AWS_S3_OBJECT_PARAMETERS = {"CacheControl": "max-age=31536000, public"}
    STORAGES["default"] = {"BACKEND": "storages.backends.s3.S3Storage"}

# Hashed static file names never change content, so browsers and CDNs may keep them a year.
WHITENOISE_MAX_AGE = 31536000

# --- Cache -------------------------------------------------------------------------------
# Rate limits must be shared by every worker and need an atomic increment, so production
# requires Redis (django-redis, which django-ratelimit supports). Dev and tests run in one
# process, where LocMemCache is shared by everything that counts.
REDIS_URL = env_str("REDIS_URL")


def redis_caches(url):
    """Production's caches: one Redis, seen two ways, so that its outage closes nothing.

    "default" is the cache libraries use (Wagtail keeps its site lookup there): on it a Redis
    error is a miss, and every page still renders. "shared" is the site's own: rate
    limits, the page cache, alert throttles. There an error is raised, so each of them decides
    what an outage means (core/shared_cache.py; the README's "When Redis is down").
    """
    redis = {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": url,
        "KEY_PREFIX": "je",
        "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 2, "SOCKET_TIMEOUT": 2},
    }
    return {
        "default": {**redis, "OPTIONS": {**redis["OPTIONS"], "IGNORE_EXCEPTIONS": True}},
        "shared": redis,
    }


SILENCED_SYSTEM_CHECKS = []
if REDIS_URL:
    CACHES = redis_caches(REDIS_URL)
else:
    # One LOCATION: both names share one store in the process, as both share Redis in production.
    in_process = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "jersey-events"}
    CACHES = {"default": in_process, "shared": in_process}
    # django-ratelimit rejects LocMemCache because it is not shared between processes;
    # dev and tests are one process, and production refuses to start without REDIS_URL.
    SILENCED_SYSTEM_CHECKS += ["django_ratelimit.E003", "django_ratelimit.W001"]
# Rate limits count in the shared cache, where an outage is an error that the views handle
# (core/rate_limits.py): they never silently stop counting.
RATELIMIT_USE_CACHE = "shared"
RATELIMIT_FAIL_OPEN = False

# --- Wagtail ----------------------------------------------------------------------------
WAGTAIL_SITE_NAME = env_str("WAGTAIL_SITE_NAME", "Jersey Events")
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILDOCS_EXTENSIONS = ["pdf", "txt"]
WAGTAILADMIN_NOTIFICATION_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "tickets@jerseyevents.je")
# Wagtail shows staff avatars from gravatar.com by default: the admin's Content Security Policy
# blocks that host (and staff e-mail addresses should not go to it), so the default avatar shows.
WAGTAIL_GRAVATAR_PROVIDER_URL = None

# --- E-mail -----------------------------------------------------------------------------
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Jersey Events <tickets@jerseyevents.je>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_PROVIDER = env_str("EMAIL_PROVIDER", "console").lower()
EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH", str(BASE_DIR / "var" / "mail"))
ANYMAIL = {
    "SENDGRID_API_KEY": env_str("SENDGRID_API_KEY"),
    "MAILGUN_API_KEY": env_str("MAILGUN_API_KEY"),
    "MAILGUN_SENDER_DOMAIN": env_str("MAILGUN_SENDER_DOMAIN"),
}
EMAIL_BACKENDS = {
    "sendgrid": "anymail.backends.sendgrid.EmailBackend",
    "mailgun": "anymail.backends.mailgun.EmailBackend",
    "file": "django.core.mail.backends.filebased.EmailBackend",
    "console": "django.core.mail.backends.console.EmailBackend",
}
EMAIL_BACKEND = EMAIL_BACKENDS.get(EMAIL_PROVIDER, EMAIL_BACKENDS["console"])

# --- Background work --------------------------------------------------------------------
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# --- Ticketing --------------------------------------------------------------------------
ORDER_HOLD_MINUTES = env_int("ORDER_HOLD_MINUTES", 15)
# Minutes a waiting-list offer holds its seats for the person it was made to (issue 12).
WAITING_LIST_OFFER_MINUTES = env_int("WAITING_LIST_OFFER_MINUTES", 60)
# "Join the waiting list" requests per client (like "Find my tickets": each may send an e-mail).
WAITING_LIST_RATE_LIMIT = env_str("WAITING_LIST_RATE_LIMIT", "5/h")
# SumUp is asked about one payment at most once per this many seconds from the order page
# and the webhook, however often they are hit.
SUMUP_CHECK_INTERVAL_SECONDS = env_int("SUMUP_CHECK_INTERVAL_SECONDS", 3)
# Pay-again attempts (each opens a SumUp checkout): per client address and per order.
PAY_AGAIN_RATE_LIMIT = env_str("PAY_AGAIN_RATE_LIMIT", "10/m")
PAY_AGAIN_RATE_LIMIT_PER_ORDER = env_str("PAY_AGAIN_RATE_LIMIT_PER_ORDER", "3/m")
# The buyer's own changes to one order (cancelling tickets, saving attendee names), per order.
ORDER_CHANGES_RATE_LIMIT_PER_ORDER = env_str("ORDER_CHANGES_RATE_LIMIT_PER_ORDER", "20/h")
# How long one payment attempt owns its order while SumUp opens the checkout.
PAYMENT_START_LEASE_SECONDS = env_int("PAYMENT_START_LEASE_SECONDS", 30)
# How long a checkout waits for a stock lock on PostgreSQL before telling the buyer to retry.
CHECKOUT_LOCK_TIMEOUT_MS = env_int("CHECKOUT_LOCK_TIMEOUT_MS", 3000)
# /health/ready/ reports the worker as late when the expiry job has not finished for this long.
WORKER_LATE_AFTER_MINUTES = env_int("WORKER_LATE_AFTER_MINUTES", 5)
# /health/ready/ answers 503 ("failing": ["worker"]) when no periodic job has run for this long.
WORKER_STALE_MINUTES = env_int("WORKER_STALE_MINUTES", 10)
CHECKOUT_RATE_LIMIT = env_str("CHECKOUT_RATE_LIMIT", "10/m")
# A data request's confirmation link (e-mailed to the address asked about) lasts this long.
DATA_REQUEST_LINK_DAYS = env_int("DATA_REQUEST_LINK_DAYS", 7)
# Buyers' names, addresses and client details are erased this many days after their event
# (`legal.privacy.anonymise_old_orders`, daily): long enough for refunds, chargebacks and
# disputes; the orders themselves (amounts, dates, references) stay for the accounts.
PERSONAL_DATA_RETENTION_DAYS = env_int("PERSONAL_DATA_RETENTION_DAYS", 730)
# The key of the erasure ledger's address hashes. Unset: derived from SECRET_KEY (dev, tests);
# production requires its own, so that rotating SECRET_KEY never orphans the ledger.
ERASURE_LEDGER_SALT = env_str("ERASURE_LEDGER_SALT")
# "Your data" requests per client (each sends an e-mail to the address typed), and as many
# presses of the e-mailed link's button, counted apart.
DATA_REQUEST_RATE_LIMIT = env_str("DATA_REQUEST_RATE_LIMIT", "5/h")
# "Find my tickets" requests per client (each sends an e-mail to the address typed).
FIND_ORDERS_RATE_LIMIT = env_str("FIND_ORDERS_RATE_LIMIT", "5/h")
# SumUp's callbacks come from a few addresses, one or two per paid order: at an on-sale rush
# 600/m refused most of them, and each refusal came back again. 6000/m (100 a second) stays
# above any rush we can sell and still bounds what one address's flood costs (an unknown
# checkout id is answered without asking SumUp).
WEBHOOK_RATE_LIMIT = env_str("WEBHOOK_RATE_LIMIT", "6000/m")
MAX_TICKETS_PER_IP_PER_EVENT = env_int("MAX_TICKETS_PER_IP_PER_EVENT", 20)
MAX_TICKETS_PER_EMAIL_PER_EVENT = env_int("MAX_TICKETS_PER_EMAIL_PER_EVENT", 10)
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
# IPv6 clients are counted by network: one connection is usually given a whole /64.
IPV6_CLIENT_PREFIX = env_int("IPV6_CLIENT_PREFIX", 64)
# Regular expressions (case-insensitive, searched anywhere in the agent) naming automation
# refused at the checkout door; an empty agent is refused too. Each names a client's own
# product token or a crawler's, never a bare word: "bot" alone would refuse Cubot phones.
# Override with a comma-separated BOT_USER_AGENTS (so a pattern cannot contain a comma).
BOT_USER_AGENTS = env_list(
    "BOT_USER_AGENTS",
    [
        r"\bcurl/",
        r"\bwget/",
        r"\bpython-requests/",
        r"\bpython-urllib",
        r"\bpython-httpx/",
        r"\baiohttp/",
        r"\bhttpie/",
        r"\bgo-http-client/",
        r"\bjava/",
        r"\bokhttp/",
        r"\blibwww-perl/",
        r"\bscrapy/",
        r"\bheadlesschrome/",
        r"\bphantomjs/",
        r"\bpuppeteer\b",
        r"\bplaywright\b",
        r"\bselenium\b",
        r"\bnode-fetch/",
        r"\baxios/",
        r"\bpostmanruntime/",
        # Crawlers: a word ending in bot, spider or crawler followed by its version
        # (Googlebot/2.1, bingbot/2.0, AhrefsBot/7.0, Baiduspider/2.0).
        r"\b\w*(?:bot|spider|crawler)/",
    ],
)

# SumUp is reached with an API key for one merchant. (SUMUP_CLIENT_ID and SUMUP_CLIENT_SECRET,
# OAuth credentials, are not read: .env.example says why they are listed.)
SUMUP_API_KEY = env_str("SUMUP_API_KEY")
SUMUP_MERCHANT_CODE = env_str("SUMUP_MERCHANT_CODE")
SUMUP_API_BASE = env_str("SUMUP_API_BASE", "https://api.sumup.com")
SUMUP_WEBHOOK_SECRET = env_str("SUMUP_WEBHOOK_SECRET")
SUMUP_TIMEOUT_SECONDS = env_int("SUMUP_TIMEOUT_SECONDS", 10)
SUMUP_SANDBOX = env_bool("SUMUP_SANDBOX", False)
# Where SumUp hosts its payment page; the checkout form redirects there.
SUMUP_CHECKOUT_ORIGIN = env_str("SUMUP_CHECKOUT_ORIGIN", "https://checkout.sumup.com")

PAYMENT_ALERT_EMAILS = env_list("PAYMENT_ALERT_EMAILS")
PAYMENT_FAILURE_ALERT_THRESHOLD = env_int("PAYMENT_FAILURE_ALERT_THRESHOLD", 10)

# --- CAPTCHA ----------------------------------------------------------------------------
CAPTCHA_ENABLED = env_bool("CAPTCHA_ENABLED", True)
ALLOW_NO_CAPTCHA = env_bool("ALLOW_NO_CAPTCHA", False)
RECAPTCHA_PUBLIC_KEY = env_str("RECAPTCHA_PUBLIC_KEY")
RECAPTCHA_PRIVATE_KEY = env_str("RECAPTCHA_PRIVATE_KEY")

# --- Security headers -------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Wagtail's preview shows the page in an iframe of its own admin: same origin only.
X_FRAME_OPTIONS = "SAMEORIGIN"
# Origins (https://host) added to the public pages' Content-Security-Policy, for an analytics
# provider an editor turns on in the cookie banner settings: its script's host, and the host its
# script reports to. Nothing else is loosened: inline scripts stay blocked.
CSP_EXTRA_SCRIPT_SRC = env_list("CSP_EXTRA_SCRIPT_SRC")
CSP_EXTRA_CONNECT_SRC = env_list("CSP_EXTRA_CONNECT_SRC")
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
CSRF_FAILURE_VIEW = "config.views.csrf_failure"

# --- Errors and logs --------------------------------------------------------------------
SENTRY_DSN = env_str("SENTRY_DSN")
# Share of requests and jobs Sentry traces for performance (0 to 1). 0: errors only, no tracing.
SENTRY_TRACES_SAMPLE_RATE = env_str("SENTRY_TRACES_SAMPLE_RATE", "0")
# Queries slower than this many milliseconds are logged (SQL only, never its values); 0: none.
SLOW_QUERY_MS = env_int("SLOW_QUERY_MS", 500)
LOG_FORMAT = env_str("LOG_FORMAT", "text")
LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
LOGGING = logging_config(LOG_FORMAT, LOG_LEVEL)
RATELIMIT_VIEW = "config.views.rate_limited"
