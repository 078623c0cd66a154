"""Tests: PostgreSQL through DATABASE_URL when set (CI), else SQLite; the SumUp sandbox on."""

from config.env import env_bool, env_int, env_list, env_str

from .base import *  # noqa: F403

DEBUG = False
SECRET_KEY = env_str("SECRET_KEY", "test-only-insecure-key-with-enough-length-0123456789")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["*"])
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed only, test users

# The SumUp emulator plays SumUp for the suite; only these and the dev settings install it.
INSTALLED_APPS = [*INSTALLED_APPS, "sumup_sandbox"]  # noqa: F405
SUMUP_SANDBOX = env_bool("SUMUP_SANDBOX", True)
# The live test server sets the real address at run time (tests/conftest.py).
SUMUP_API_BASE = env_str("SUMUP_API_BASE", "http://127.0.0.1:8000/sandbox/sumup")
SUMUP_API_KEY = env_str("SUMUP_API_KEY", "sup_sk_sandbox_test")
SUMUP_MERCHANT_CODE = env_str("SUMUP_MERCHANT_CODE", "MTEST0001")
SUMUP_TIMEOUT_SECONDS = env_int("SUMUP_TIMEOUT_SECONDS", 5)
# Tests pay and deliver callbacks within milliseconds of asking SumUp; the interval that bounds
# repeated questions is switched on by the tests that prove it.
SUMUP_CHECK_INTERVAL_SECONDS = env_int("SUMUP_CHECK_INTERVAL_SECONDS", 0)

CAPTCHA_ENABLED = env_bool("CAPTCHA_ENABLED", False)
# As in the demo: superusers sign in with a password; the tests that prove the rule turn it on.
ADMIN_2FA_FOR_SUPERUSERS = env_bool("ADMIN_2FA_FOR_SUPERUSERS", False)
# Google's published test keys: the widget always passes; tests never call Google.
RECAPTCHA_PUBLIC_KEY = env_str("RECAPTCHA_PUBLIC_KEY", "6LeIxAcTAAAAAJcZVRqyHh71UMIEGNQ_MXjiZKhI")
RECAPTCHA_PRIVATE_KEY = env_str("RECAPTCHA_PRIVATE_KEY", "6LeIxAcTAAAAAGG-vFI1TnRWxMZNFuojJ4WifJWe")
SILENCED_SYSTEM_CHECKS = [  # noqa: F405
    *SILENCED_SYSTEM_CHECKS,  # noqa: F405
    "django_recaptcha.recaptcha_test_key_error",
]

EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    import os

    # A file, not memory: concurrency tests need real separate connections. One per
    # process, so parallel runs do not share it.
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / "var" / f"test-{os.getpid()}.sqlite3")}  # noqa: F405
    (BASE_DIR / "var").mkdir(exist_ok=True)  # noqa: F405

LOGGING = logging_config("text", env_str("LOG_LEVEL", "WARNING"))  # noqa: F405

# The sandbox's return_url callbacks: always twice (SumUp "sometimes" does), so every test
# that pays also proves duplicate deliveries change nothing.
SUMUP_SANDBOX_DUPLICATE_CALLBACKS = True

# Connections are not kept between requests: the live server's request threads end, and a
# connection they kept open would stop the test database from being dropped afterwards.
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
# Static files are served from the app folders; there is no collectstatic in tests.
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True

# No slow-query log lines in the suite (lock-waiting tests are slow on purpose); the tests of
# the slow-query log turn it on.
SLOW_QUERY_MS = env_int("SLOW_QUERY_MS", 0)
