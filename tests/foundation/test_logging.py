"""Logs are JSON lines with the request id; error reports carry no personal data."""

import json
import logging

import pytest

from config.logging import JsonFormatter, RequestIdFilter, request_id_var, scrub_sentry_event


def test_json_lines_carry_the_request_id_and_extra_fields():
    record = logging.LogRecord("ticketing.checkout", logging.INFO, __file__, 1, "order placed", (), None)
    record.order = "JE-ABCD2345"
    token = request_id_var.set("req-12345678")
    try:
        RequestIdFilter().filter(record)
    finally:
        request_id_var.reset(token)
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "order placed"
    assert line["request_id"] == "req-12345678"
    assert line["order"] == "JE-ABCD2345"
    assert line["level"] == "INFO"


@pytest.mark.django_db
def test_every_response_names_its_request_id(client):
    given = client.get("/health/", HTTP_X_REQUEST_ID="platform-id-1234")
    assert given["X-Request-ID"] == "platform-id-1234"
    made = client.get("/no-such-page/", HTTP_X_REQUEST_ID="<script>")
    assert len(made["X-Request-ID"]) == 32 and made["X-Request-ID"].isalnum()


def test_sentry_events_lose_personal_data():
    event = {
        "request": {
            "url": "https://tickets.example/tickets/orders/SECRET-TOKEN/",
            "data": {"email": "ann@example.com", "name": "Ann"},
            "cookies": {"sessionid": "abc"},
            "query_string": "email=ann@example.com",
            "headers": {"User-Agent": "Firefox", "X-Forwarded-For": "203.0.113.9", "Accept": "text/html"},
            "env": {"REMOTE_ADDR": "203.0.113.9"},
        },
        "user": {"ip_address": "203.0.113.9", "email": "ann@example.com"},
        "exception": {
            "values": [
                {
                    "stacktrace": {
                        "frames": [
                            {"function": "place_order", "vars": {"buyer": "Buyer(email='ann@example.com')"}}
                        ]
                    }
                }
            ]
        },
    }
    scrubbed = scrub_sentry_event(event, None)
    text = json.dumps(scrubbed)
    for secret in ("ann@example.com", "203.0.113.9", "SECRET-TOKEN", "Firefox", "sessionid"):
        assert secret not in text
    assert scrubbed["request"]["headers"] == {"Accept": "text/html"}
