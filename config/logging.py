"""Log formatting: JSON lines with the request id, and scrubbing of error reports.

Logs name orders by reference, never by buyer; Sentry events lose request bodies, cookies,
query strings and user details before they leave the process.
"""

import contextvars
import json
import logging
from datetime import UTC, datetime

request_id_var = contextvars.ContextVar("request_id", default="-")


class RequestIdFilter(logging.Filter):
    def filter(self, record):
        record.request_id = request_id_var.get()
        return True


_STANDARD_ATTRS = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message",
    "asctime",
    "request_id",
}


class JsonFormatter(logging.Formatter):
    """One JSON object per line; `extra=` fields become keys of their own."""

    def format(self, record):
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRS and not key.startswith("_"):
                entry[key] = value if isinstance(value, (str, int, float, bool, type(None))) else str(value)
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        return json.dumps(entry)


def scrub_sentry_event(event, hint):
    """Drop every part of a Sentry event that can carry a buyer's personal data."""
    request = event.get("request") or {}
    for key in ("data", "cookies", "query_string", "env"):
        request.pop(key, None)
    headers = request.get("headers") or {}
    for key in list(headers):
        if key.lower() in {"cookie", "authorization", "x-forwarded-for", "user-agent", "referer"}:
            headers.pop(key)
    if request.get("url"):
        # Buyer-facing URLs carry secret order and ticket tokens.
        request["url"] = request["url"].split("/tickets/orders/")[0]
    event.pop("user", None)
    # Local variables of stack frames (off in production's init too, as a second guard).
    for value in (event.get("exception") or {}).get("values") or []:
        for frame in (value.get("stacktrace") or {}).get("frames") or []:
            frame.pop("vars", None)
    return event
