"""Production settings refuse unsafe configurations, and pass `check --deploy` when set up right.

Each case runs in a fresh interpreter: settings are read once per process at import.
"""

import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.management.utils import get_random_secret_key

BASE_DIR = settings.BASE_DIR


def production_env(tmp_path, **overrides):
    """Realistic production variables (no real secrets), with `overrides`; None removes one."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": get_random_secret_key(),
        "ERASURE_LEDGER_SALT": get_random_secret_key(),
        "DEBUG": "0",
        "ALLOWED_HOSTS": "tickets.example.je",
        "SITE_URL": "https://tickets.example.je",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'production.sqlite3'}",
        "REDIS_URL": "redis://127.0.0.1:6379/0",
        "CAPTCHA_ENABLED": "1",
        "RECAPTCHA_PUBLIC_KEY": "6Lc-public-key-for-tests-only-000000000000",
        "RECAPTCHA_PRIVATE_KEY": "6Lc-private-key-for-tests-only-00000000000",
        "SUMUP_SANDBOX": "0",
        "SUMUP_API_KEY": "sup_sk_live_key_for_tests_only",
        "SUMUP_CLIENT_ID": "cc_client_id_for_tests",
        "SUMUP_CLIENT_SECRET": "cc_client_secret_for_tests",
        "SUMUP_MERCHANT_CODE": "MTEST0001",
        "EMAIL_PROVIDER": "sendgrid",
        "SENDGRID_API_KEY": "SG.key-for-tests-only",
    }
    env.update(overrides)
    return {name: value for name, value in env.items() if value is not None}


def run_python(args, env):
    return subprocess.run(
        [sys.executable, *args], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120
    )


def import_production_settings(env):
    return run_python(["-c", "import config.settings.production"], env)


def test_realistic_production_settings_import(tmp_path):
    result = import_production_settings(production_env(tmp_path))
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"SECRET_KEY": None}, "SECRET_KEY must be set"),
        ({"SECRET_KEY": "short"}, "SECRET_KEY must be set"),
        ({"DEBUG": "1"}, "DEBUG must be off"),
        ({"ALLOWED_HOSTS": ""}, "ALLOWED_HOSTS must list"),
        ({"ALLOWED_HOSTS": None}, "ALLOWED_HOSTS must list"),
        ({"SUMUP_SANDBOX": "1"}, "SumUp sandbox must be off"),
        ({"REDIS_URL": None}, "REDIS_URL must be set"),
        ({"CAPTCHA_ENABLED": "0"}, "CAPTCHA_ENABLED is off"),
        ({"SITE_URL": "http://tickets.example.je"}, "SITE_URL must be the site's https://"),
        ({"EMAIL_PROVIDER": "console"}, "EMAIL_PROVIDER must be mailgun or sendgrid"),
        ({"SENDGRID_API_KEY": None}, "SENDGRID_API_KEY must be set"),
        ({"RECAPTCHA_PRIVATE_KEY": None}, "RECAPTCHA_PUBLIC_KEY and RECAPTCHA_PRIVATE_KEY must be set"),
        ({"SUMUP_API_KEY": None}, "SUMUP_API_KEY and SUMUP_MERCHANT_CODE must be set"),
        ({"SUMUP_MERCHANT_CODE": ""}, "SUMUP_API_KEY and SUMUP_MERCHANT_CODE must be set"),
        ({"ERASURE_LEDGER_SALT": None}, "ERASURE_LEDGER_SALT must be set"),
        ({"ERASURE_LEDGER_SALT": "too-short"}, "ERASURE_LEDGER_SALT must be set"),
        ({"SECRET_KEY": get_random_secret_key()[:40]}, "SECRET_KEY must be set"),
        ({"SECRET_KEY": "ab" * 40}, "SECRET_KEY must be random"),
        ({"SECRET_KEY": "0123456789abcdef" * 4}, "SECRET_KEY must be random"),
        ({"SECRET_KEY": "django-insecure-" + get_random_secret_key()}, "SECRET_KEY must not start"),
        ({"ALLOWED_HOSTS": "*"}, "ALLOWED_HOSTS must name the site's hosts"),
        ({"ALLOWED_HOSTS": "tickets.example.je,*"}, "ALLOWED_HOSTS must name the site's hosts"),
        ({"ALLOWED_HOSTS": "*.example.je"}, "ALLOWED_HOSTS must name the site's hosts"),
        ({"ALLOWED_HOSTS": "."}, "ALLOWED_HOSTS must name the site's hosts"),
        ({"ALLOWED_HOSTS": ".je"}, "ALLOWED_HOSTS must name the site's hosts"),
        ({"SUMUP_API_BASE": "http://api.sumup.com"}, "SUMUP_API_BASE must be an https://"),
        ({"SUMUP_API_BASE": "http://127.0.0.1:8000/sandbox/sumup"}, "SUMUP_API_BASE must be an https://"),
        ({"IPV6_CLIENT_PREFIX": "8"}, "IPV6_CLIENT_PREFIX must be"),
        ({"IPV6_CLIENT_PREFIX": "129"}, "IPV6_CLIENT_PREFIX must be"),
        ({"BOT_USER_AGENTS": r"curl/,(unclosed"}, "BOT_USER_AGENTS"),
    ],
    ids=[
        "no-secret-key",
        "short-secret-key",
        "debug-on",
        "empty-allowed-hosts",
        "no-allowed-hosts",
        "sandbox-on",
        "no-redis",
        "no-captcha",
        "plain-http-site-url",
        "console-email",
        "no-email-api-key",
        "no-recaptcha-key",
        "no-sumup-key",
        "no-merchant-code",
        "no-erasure-ledger-salt",
        "short-erasure-ledger-salt",
        "40-character-secret-key",
        "repeating-secret-key",
        "hex-pattern-secret-key",
        "django-insecure-secret-key",
        "any-host",
        "any-host-among-others",
        "glob-host",
        "dot-host",
        "top-level-domain-host",
        "plain-http-sumup",
        "sandbox-sumup",
        "ipv6-prefix-too-short",
        "ipv6-prefix-too-long",
        "bot-pattern-not-a-regex",
    ],
)
def test_production_refuses_to_start(tmp_path, overrides, message):
    result = import_production_settings(production_env(tmp_path, **overrides))
    assert result.returncode != 0
    assert "Production settings refused" in result.stderr
    assert message in result.stderr


def default_secret_key(settings_module, tmp_path):
    """The SECRET_KEY a settings module falls back to when none is given."""
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path)}
    result = run_python(["-c", f"import {settings_module} as s; print(s.SECRET_KEY)"], env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


@pytest.mark.parametrize("settings_module", ["config.settings.dev", "config.settings.test"])
def test_production_refuses_the_development_and_test_keys(tmp_path, settings_module):
    key = default_secret_key(settings_module, tmp_path)
    result = import_production_settings(production_env(tmp_path, SECRET_KEY=key))
    assert result.returncode != 0
    assert "Production settings refused: SECRET_KEY" in result.stderr
    assert key not in result.stderr  # even a published key is not echoed into a deploy log


def test_a_subdomain_wildcard_of_the_site_is_allowed(tmp_path):
    result = import_production_settings(production_env(tmp_path, ALLOWED_HOSTS=".example.je"))
    assert result.returncode == 0, result.stderr


def test_captcha_may_be_switched_off_on_purpose(tmp_path):
    env = production_env(tmp_path, CAPTCHA_ENABLED="0", ALLOW_NO_CAPTCHA="1")
    result = import_production_settings(env)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    "email",
    [
        {"EMAIL_PROVIDER": "sendgrid", "SENDGRID_API_KEY": "SG.key-for-tests-only"},
        {"EMAIL_PROVIDER": "mailgun", "MAILGUN_API_KEY": "key-for-tests-only", "SENDGRID_API_KEY": None},
    ],
    ids=["sendgrid", "mailgun"],
)
def test_check_deploy_reports_no_issues(tmp_path, email):
    env = production_env(tmp_path, **email)
    result = run_python(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
