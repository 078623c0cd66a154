"""The SumUp emulator as a server of its own: `gunicorn` with these settings answers only SumUp.

The benchmarks run the emulator in a gunicorn of its own, as SumUp is a server of its own in
production. With the whole site's settings every request to it went through the site's
middleware (sessions, CSRF, the page cache, consent, Wagtail, security headers, ...) and the
site's URLconf, and that was most of the emulator's CPU per paid order. Here it gets only what
it needs: its own app, its templates and static file, and the same paths as on the site
(`/sandbox/sumup/...`, sumup_sandbox/server_urls.py), so SUMUP_API_BASE and the hosted page's URL
are the same whichever server plays SumUp.

The hosted page keeps its CSRF protection (`csrf_protect` on the view, the same check the
site's middleware makes); the API is exempt, as it is on the site. The defaults (API key,
merchant code, merchant name) are the demo's (dev.py), so a dev site and this server agree
out of the box; every one is read from the environment as elsewhere.

    DJANGO_SETTINGS_MODULE=config.settings.sandbox_server gunicorn config.wsgi:application
"""

from config.env import env_bool, env_str

from .dev import *  # noqa: F403

# A benchmark's or a test's tool, not a page anyone debugs: no query log growing in memory.
DEBUG = env_bool("DEBUG", False)

INSTALLED_APPS = ["sumup_sandbox", "django.contrib.staticfiles"]

MIDDLEWARE = [
    # /health/ as on the site: what the benchmarks and tests wait for before they start.
    "config.middleware.HealthCheckMiddleware",
    # The hosted page's stylesheet, from the app's folder (a dict look-up per request).
    "whitenoise.middleware.WhiteNoiseMiddleware",
]

ROOT_URLCONF = "sumup_sandbox.server_urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        # The hosted page needs only its checkout and the CSRF token (always in the context).
        "OPTIONS": {"context_processors": []},
    },
]

WARM_UP_TEMPLATES = ("sumup_sandbox/hosted.html",)

# Files found once at start-up, not searched for on every request as in the demo.
WHITENOISE_AUTOREFRESH = False
WHITENOISE_USE_FINDERS = True

# Django's own refusal page: the site's 403_csrf.html needs the site's templates and settings.
CSRF_FAILURE_VIEW = "django.views.csrf.csrf_failure"

# No "SELECT 1" before every request's first query: a lost connection fails one request of a
# test tool, which its caller retries or reports.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = False  # noqa: F405

# The callbacks' timing, which the benchmarks choose for a server they start (callbacks.py
# documents each); unset, callbacks.py's defaults. Duplicates: 1 always, 0 never, unset ~30%.
if env_str("SUMUP_SANDBOX_CALLBACK_DELAY"):
    SUMUP_SANDBOX_CALLBACK_DELAY = float(env_str("SUMUP_SANDBOX_CALLBACK_DELAY"))
if env_str("SUMUP_SANDBOX_DUPLICATE_CALLBACKS"):
    SUMUP_SANDBOX_DUPLICATE_CALLBACKS = env_bool("SUMUP_SANDBOX_DUPLICATE_CALLBACKS")
