"""Logging: JSON lines or text with the request id, secrets redacted; scrubbing of error reports.

Logs name orders by reference, never by buyer. Our code never logs a buyer's name, e-mail
address, order token or ticket code; what other code puts in a line (Django's "Internal Server
Error: <path>", an e-mail provider's "recipient refused: <address>", a traceback quoting a URL)
is redacted by `redact` in both formatters, so no handler writes it. Sentry events get the same
redaction, and lose request bodies, cookies, query strings and user details besides, before
they leave the process.

Names cannot be recognised in free text; they stay out of logs because no code logs them (the
tests in tests/foundation/test_log_privacy.py provoke each kind of failure to prove it).
"""

import contextvars
import json
import logging
import re
from datetime import UTC, datetime

request_id_var = contextvars.ContextVar("request_id", default="-")

# The shapes below are those of ticketing.codes and ticketing.tickets; the log privacy tests
# make real ones there, so a change of shape that these miss fails a test.
_URL_SAFE = "A-Za-z0-9_-"
_TICKET_ALPHABET = "2-9A-HJKMNP-Z"  # ticketing.codes.ALPHABET: no 0/O, 1/I/L
_REDACTIONS = (
    # Whoever has an order's URL sees the order, pays for it and prints its tickets:
    # /tickets/orders/<token>/..., percent-encoded too inside another URL (SumUp's redirect_url).
    (
        re.compile(r"(tickets(?:/|%2F)orders(?:/|%2F))(?:(?!%2F)[^/\s\"'?#&<>()\[\]{}])+", re.IGNORECASE),
        r"\1<token>",
    ),
    # The signature of a ticket's QR payload, "<code>:<signature>": 43 base64url characters.
    (re.compile(rf"(?<=:)[{_URL_SAFE}]{{43}}(?![{_URL_SAFE}])"), "<signature>"),
    # A ticket code, 16 characters of the codes' alphabet, alone or in the groups of four staff see.
    (
        re.compile(
            rf"(?<![A-Za-z0-9])(?:[{_TICKET_ALPHABET}]{{16}}|[{_TICKET_ALPHABET}]{{4}}(?:-[{_TICKET_ALPHABET}]{{4}}){{3}})"
            r"(?![A-Za-z0-9])"
        ),
        "<ticket-code>",
    ),
    # An order token on its own: 32 URL-safe characters, among them a capital letter or a dash
    # (a random token has one but for a chance in forty million), which tells it from request
    # ids (lower-case hex) and from snake_case names in tracebacks.
    (
        re.compile(rf"(?<![{_URL_SAFE}])(?=[{_URL_SAFE}]{{0,31}}[A-Z-])[{_URL_SAFE}]{{32}}(?![{_URL_SAFE}])"),
        "<token>",
    ),
    # Anything that looks like an e-mail address, its "@" percent-encoded or not.
    (re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+(?:@|%40)[\w-]+(?:\.[\w-]+)*"), "<email>"),
)


def redact(text: str) -> str:
    """`text` without order tokens (in URLs or alone), ticket codes, QR signatures or e-mail addresses."""
    for pattern, replacement in _REDACTIONS:
        text = pattern.sub(replacement, text)
    return text


class RequestIdFilter(logging.Filter):
    def filter(self, record):
        record.request_id = request_id_var.get()
        return True


_STANDARD_ATTRS = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message",
    "asctime",
    "request_id",
}


class RedactingFormatter(logging.Formatter):
    """The standard text formatter, its whole line (message, traceback, stack) passed through `redact`."""

    def format(self, record):
        return redact(super().format(record))


class JsonFormatter(logging.Formatter):
    """One JSON object per line; `extra=` fields become keys of their own. Every text is redacted."""

    def format(self, record):
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
            "request_id": getattr(record, "request_id", "-"),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRS and not key.startswith("_"):
                # Django's request logger adds the request itself: its text is its path.
                entry[key] = (
                    value if isinstance(value, (int, float, bool, type(None))) else redact(str(value))
                )
        if record.exc_info:
            entry["exc_info"] = redact(self.formatException(record.exc_info))
        if record.stack_info:
            entry["stack_info"] = redact(self.formatStack(record.stack_info))
        return json.dumps(entry)


def logging_config(fmt, level):
    """Logs as JSON lines (production) or text (dev), each line with the request id, redacted.

    Everything is written by the one console handler, whose formatters both redact: Django's own
    loggers lose the handlers Django gives them by default (a console copy in development, and
    e-mails to ADMINS with the request in full) and propagate to it like every other logger.
    """
    formatter = "json" if fmt == "json" else "text"
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "config.logging.RequestIdFilter"}},
        "formatters": {
            "json": {"()": "config.logging.JsonFormatter"},
            "text": {
                "class": "config.logging.RedactingFormatter",
                "format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s",
            },
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": formatter,
                "filters": ["request_id"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "django": {"handlers": [], "propagate": True},
            # runserver's request lines, in development: their paths hold order tokens.
            "django.server": {"handlers": [], "propagate": True},
            "django.db.backends": {"level": "INFO"},
            # Wagtail queues a search and reference-index job for every page save.
            "django_tasks": {"level": "WARNING"},
            # Django logs every 404 and 4xx here as a warning: only server errors are worth a line.
            "django.request": {"level": "ERROR"},
        },
    }


def scrub_sentry_event(event, hint):
    """Drop every part of a Sentry event that can carry a buyer's personal data; redact the rest.

    What is dropped holds what cannot be recognised (a name in a form body or a local variable);
    every text left (the request's URL, breadcrumbs of earlier log lines, exception messages,
    the log message itself) goes through `redact`, as a log line does.
    """
    request = event.get("request") or {}
    for key in ("data", "cookies", "query_string", "env"):
        request.pop(key, None)
    headers = request.get("headers") or {}
    for key in list(headers):
        if key.lower() in {"cookie", "authorization", "x-forwarded-for", "user-agent", "referer"}:
            headers.pop(key)
    event.pop("user", None)
    # Local variables of stack frames (off in production's init too, as a second guard).
    for value in (event.get("exception") or {}).get("values") or []:
        for frame in (value.get("stacktrace") or {}).get("frames") or []:
            frame.pop("vars", None)
    # The values of earlier SQL queries, when Sentry is told to collect them: an order's INSERT
    # holds the buyer's name.
    for crumb in (event.get("breadcrumbs") or {}).get("values") or []:
        (crumb.get("data") or {}).pop("db.params", None)
    return _redacted(event)


def _redacted(value):
    """`value` (an event's dicts, lists and texts, however nested) with every text redacted."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {key: _redacted(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_redacted(item) for item in value]
    return value
