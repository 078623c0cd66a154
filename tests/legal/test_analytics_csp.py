"""An analytics provider needs its host in the Content-Security-Policy: the operator adds it
(CSP_EXTRA_SCRIPT_SRC, CSP_EXTRA_CONNECT_SRC) and nothing else is loosened."""

import pytest
from django.test import Client

from tests.factories import home_page
from tests.foundation.test_settings import import_production_settings, production_env

pytestmark = pytest.mark.django_db


def directives(response):
    policy = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in policy.split("; ")}


def test_the_public_policy_allows_no_analytics_host_by_default_and_never_inline_scripts():
    home_page()
    policy = directives(Client().get("/"))
    assert "https://plausible.io" not in policy["script-src"]
    assert "'unsafe-inline'" not in policy["script-src"]


def test_the_operator_adds_the_analytics_hosts_to_script_and_connect_sources(settings):
    home_page()
    settings.CSP_EXTRA_SCRIPT_SRC = ["https://plausible.io"]
    settings.CSP_EXTRA_CONNECT_SRC = ["https://plausible.io"]
    policy = directives(Client().get("/"))
    assert "https://plausible.io" in policy["script-src"]
    assert "https://plausible.io" in policy["connect-src"]
    assert "'unsafe-inline'" not in policy["script-src"] and policy["default-src"] == ["'self'"]


@pytest.mark.parametrize(
    "name, value",
    [
        ("CSP_EXTRA_SCRIPT_SRC", "'unsafe-inline'"),
        ("CSP_EXTRA_SCRIPT_SRC", "*"),
        ("CSP_EXTRA_SCRIPT_SRC", "https:"),
        ("CSP_EXTRA_SCRIPT_SRC", "http://plausible.io"),
        ("CSP_EXTRA_CONNECT_SRC", "https://plausible.io 'unsafe-eval'"),
    ],
)
def test_production_refuses_a_csp_addition_that_is_not_an_https_origin(tmp_path, name, value):
    result = import_production_settings(production_env(tmp_path, **{name: value}))
    assert result.returncode != 0
    assert f"{name} entry" in result.stderr and "must be an https:// origin" in result.stderr


def test_production_accepts_an_analytics_providers_origins(tmp_path):
    env = production_env(
        tmp_path,
        CSP_EXTRA_SCRIPT_SRC="https://plausible.io,https://www.googletagmanager.com",
        CSP_EXTRA_CONNECT_SRC="https://*.google-analytics.com",
    )
    result = import_production_settings(env)
    assert result.returncode == 0, result.stderr
