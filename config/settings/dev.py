"""Development (`make demo`): SQLite, the SumUp sandbox, e-mail written to files, no CAPTCHA."""

from config.env import env_bool, env_list, env_str

from .base import *  # noqa: F403
from .base import BASE_DIR, INSTALLED_APPS, SITE_URL

DEBUG = env_bool("DEBUG", True)
SECRET_KEY = env_str("SECRET_KEY", "dev-only-insecure-key-never-used-in-production")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])

# The sandbox answers on this same server, so the demo needs no SumUp account and no network.
# It is a development tool: installed here and in the test settings, never in production.
INSTALLED_APPS = [*INSTALLED_APPS, "sumup_sandbox"]
SUMUP_SANDBOX = env_bool("SUMUP_SANDBOX", True)
SUMUP_API_BASE = env_str("SUMUP_API_BASE", f"{SITE_URL}/sandbox/sumup")
SUMUP_API_KEY = env_str("SUMUP_API_KEY", "sup_sk_sandbox_demo")
SUMUP_MERCHANT_CODE = env_str("SUMUP_MERCHANT_CODE", "MSANDBOX1")
# The name the sandbox's payment page shows the buyer, as SumUp shows the merchant's own.
SUMUP_SANDBOX_MERCHANT_NAME = env_str("SUMUP_SANDBOX_MERCHANT_NAME", "Jersey Events")

# The demo's superuser `admin` signs in with its password alone; members of Finance and Privacy
# still set up two-factor sign-in, as in production.
ADMIN_2FA_FOR_SUPERUSERS = env_bool("ADMIN_2FA_FOR_SUPERUSERS", False)

# No CAPTCHA service is reachable offline.
CAPTCHA_ENABLED = env_bool("CAPTCHA_ENABLED", False)

EMAIL_PROVIDER = env_str("EMAIL_PROVIDER", "file").lower()
EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH", str(BASE_DIR / "var" / "mail"))
EMAIL_BACKEND = EMAIL_BACKENDS.get(EMAIL_PROVIDER, EMAIL_BACKENDS["file"])  # noqa: F405

# `make demo` runs with DEBUG off (DEMO_DEBUG=0 in the Makefile), so a visitor meets the site's
# own 404 and 500 pages, as in production; `manage.py runserver` on these settings keeps DEBUG
# on, with Django's technical pages, for debugging. Either way static files come straight from
# the apps' folders through WhiteNoise (no collectstatic), and uploaded images are served.
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
SERVE_MEDIA = True
