"""Monitoring: the slow-query log (SQL without its values) and Sentry's trace sample rate."""

import logging
import os

import pytest
from django.db import connection

from tests.factories import make_event, make_order
from tests.foundation.test_settings import production_env, run_python

SLOW_LOGGER = "config.slow_queries"


@pytest.mark.django_db
def test_a_query_slower_than_the_setting_is_logged_without_its_values(settings, caplog):
    settings.SLOW_QUERY_MS = 100
    with caplog.at_level(logging.WARNING, logger=SLOW_LOGGER), connection.cursor() as cursor:
        cursor.execute("SELECT pg_sleep(%s), %s", [0.2, "ann@example.com"])
    records = [record for record in caplog.records if record.name == SLOW_LOGGER]
    assert len(records) == 1
    message = records[0].getMessage()
    assert "SELECT pg_sleep(%s), %s" in message
    assert "ann@example.com" not in message and "0.2" not in message
    assert records[0].duration_ms >= 200


@pytest.mark.django_db
def test_quick_queries_and_a_threshold_of_zero_log_nothing(settings, caplog):
    settings.SLOW_QUERY_MS = 1000
    with caplog.at_level(logging.WARNING, logger=SLOW_LOGGER):
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        settings.SLOW_QUERY_MS = 0
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_sleep(0.2)")
    assert not [record for record in caplog.records if record.name == SLOW_LOGGER]


@pytest.mark.django_db
def test_an_orm_query_names_no_buyer(settings, caplog):
    """The ORM sends values as parameters: a slow lookup by e-mail logs the column, not the address."""
    settings.SLOW_QUERY_MS = 0.001  # every query is "slow"
    order = make_order(make_event(), email="bea@example.org", name="Bea Buyer")
    with caplog.at_level(logging.WARNING, logger=SLOW_LOGGER):
        assert type(order).objects.filter(email="bea@example.org", token=order.token).exists()
    text = " ".join(record.getMessage() for record in caplog.records if record.name == SLOW_LOGGER)
    assert '"email"' in text
    assert "bea@example.org" not in text and str(order.token) not in text


@pytest.mark.skipif("postgres" not in os.environ.get("DATABASE_URL", ""), reason="pg_sleep is PostgreSQL's")
def test_the_slow_query_log_is_installed_in_every_process(tmp_path):
    """A fresh process (as the worker or a command) logs slow queries with no test set-up at all."""
    code = (
        "import django, logging, sys; django.setup();"
        "logging.getLogger('config.slow_queries').addHandler(logging.StreamHandler(sys.stdout));"
        "from django.db import connection;"
        "connection.cursor().execute('SELECT pg_sleep(%s)', [0.15])"
    )
    env = {
        **production_env(tmp_path),
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "SLOW_QUERY_MS": "100",
    }
    env["DATABASE_URL"] = os.environ["DATABASE_URL"]
    del env["REDIS_URL"]  # the test settings' in-process cache
    result = run_python(["-c", code], env)
    assert result.returncode == 0, result.stderr
    assert "slow query" in result.stdout and "SELECT pg_sleep(%s)" in result.stdout


@pytest.mark.parametrize(("raw", "expected"), [(None, 0.0), ("0.25", 0.25), ("1", 1.0)])
def test_sentry_traces_the_configured_share_of_requests(tmp_path, raw, expected):
    """Sentry starts with the sample rate; starting it sends nothing (no event, no network)."""
    env = production_env(
        tmp_path, SENTRY_DSN="https://public@o0.ingest.sentry.io/0", SENTRY_TRACES_SAMPLE_RATE=raw
    )
    code = (
        "import django; django.setup(); import sentry_sdk;"
        "print(sentry_sdk.get_client().options['traces_sample_rate'])"
    )
    result = run_python(["-c", code], env)
    assert result.returncode == 0, result.stderr
    assert float(result.stdout.strip()) == expected


@pytest.mark.parametrize("raw", ["often", "1.5", "-0.1"])
def test_production_refuses_a_sample_rate_that_is_not_a_share(tmp_path, raw):
    result = run_python(
        ["-c", "import config.settings.production"], production_env(tmp_path, SENTRY_TRACES_SAMPLE_RATE=raw)
    )
    assert result.returncode != 0
    assert "SENTRY_TRACES_SAMPLE_RATE must be a number from 0 to 1" in result.stderr
