"""/health/ (the process is up) and /health/ready/ (database and cache answer): the paths and
bodies platform probes and uptime monitors are set up with, so they never change."""

import pytest
from django.core.cache import caches
from django.db import connection
from django.test import Client, override_settings

UNREACHABLE_REDIS = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
        "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.5, "SOCKET_TIMEOUT": 0.5},
    }
}


@pytest.mark.django_db
def test_health_is_ok_in_zero_queries(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/health/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_health_needs_no_database_at_all(client):
    """Without the django_db mark any database access raises: /health/ must not try."""
    response = client.get("/health/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_ready_when_database_and_cache_answer(client):
    response = client.get("/health/ready/")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


@pytest.fixture
def dead_database():
    """Point the default connection at a database that cannot be reached, then restore it.

    PostgreSQL: a closed port. SQLite: a file in a directory that does not exist. Needs a
    transactional test: the connection is closed and reopened, which an open test
    transaction would not survive.
    """
    original = dict(connection.settings_dict)
    connection.close()
    if connection.vendor == "sqlite":
        connection.settings_dict["NAME"] = "/nonexistent-directory/dead.sqlite3"
    else:
        connection.settings_dict.update(HOST="127.0.0.1", PORT="1", OPTIONS={"connect_timeout": 2})
    yield
    connection.close()
    connection.settings_dict.clear()
    connection.settings_dict.update(original)


@pytest.mark.django_db(transaction=True)
def test_ready_names_the_database_when_it_is_down(client, dead_database):
    response = client.get("/health/ready/")
    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["database"]
    assert "nonexistent" not in response.content.decode() and "127.0.0.1" not in response.content.decode()


@pytest.mark.django_db
def test_ready_names_the_cache_when_it_is_down(client):
    with override_settings(CACHES=UNREACHABLE_REDIS):  # resets django.core.cache.caches
        response = client.get("/health/ready/")
        assert caches["default"].__class__.__name__ == "RedisCache"
    assert response.status_code == 503
    assert response.json()["failing"] == ["cache"]
    assert "redis://" not in response.content.decode()


@pytest.mark.django_db
def test_both_answer_a_probe_with_a_host_name_of_its_own(client, settings):
    """Platforms probe the container directly (Railway's Host: healthcheck.railway.app)."""
    settings.ALLOWED_HOSTS = ["tickets.example.je"]
    for path in ("/health/", "/health/ready/"):
        response = client.get(path, HTTP_HOST="healthcheck.railway.app")
        assert response.status_code == 200, path
        assert response.json()["status"] == "ok"
    assert client.get("/", HTTP_HOST="healthcheck.railway.app").status_code == 400  # anything else


@pytest.mark.django_db
def test_a_head_request_is_answered_too(client):
    assert client.head("/health/").status_code == 200


@pytest.mark.django_db
def test_a_form_post_to_health_is_refused_like_any_other():
    response = Client(enforce_csrf_checks=True).post("/health/")
    assert response.status_code == 403
