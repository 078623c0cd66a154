"""gunicorn's access log, with only the fields its format names worked out for each request.

gunicorn's own logger builds every field it knows for every request — the client's address,
the request line, the referrer, every request and response header and every WSGI environ
variable — and then copies them all to escape quotes, to print the five `access_log_format`
names (gunicorn.conf.py). That was 5 % of a paid order page's CPU. This logger reads the format's
names once and works out those alone, with gunicorn's meanings, so the line is the same.

Which fields the format names is also a privacy rule (gunicorn.conf.py): order URLs carry
secret tokens, and addresses and user agents are personal data. Only named fields are ever
computed here, so a field left out of the format cannot reach the log by another way.
"""

import os
import re

from gunicorn.glogging import Logger

# A field of gunicorn's format: `%(s)s`, or a header or environ variable, `%({x-request-id}o)s`.
_FIELD = re.compile(r"%\(([^)]+)\)")

# gunicorn's own one-letter fields (gunicorn.glogging.Logger.atoms), each from what it is
# given; "t" (the logger's clock) and "u" (the user) need the logger, so `_field` has them.
_SIMPLE = {
    "h": lambda resp, environ, took: environ.get("REMOTE_ADDR", "-"),
    "l": lambda resp, environ, took: "-",
    "r": lambda resp, environ, took: (
        f"{environ['REQUEST_METHOD']} {environ['RAW_URI']} {environ['SERVER_PROTOCOL']}"
    ),
    "s": lambda resp, environ, took: _status(resp),
    "m": lambda resp, environ, took: environ.get("REQUEST_METHOD"),
    "U": lambda resp, environ, took: environ.get("PATH_INFO"),
    "q": lambda resp, environ, took: environ.get("QUERY_STRING"),
    "H": lambda resp, environ, took: environ.get("SERVER_PROTOCOL"),
    "b": lambda resp, environ, took: str(resp.sent) if getattr(resp, "sent", None) is not None else "-",
    "B": lambda resp, environ, took: getattr(resp, "sent", None),
    "f": lambda resp, environ, took: environ.get("HTTP_REFERER", "-"),
    "a": lambda resp, environ, took: environ.get("HTTP_USER_AGENT", "-"),
    "T": lambda resp, environ, took: took.seconds,
    "D": lambda resp, environ, took: took.seconds * 1_000_000 + took.microseconds,
    "M": lambda resp, environ, took: took.seconds * 1000 + took.microseconds // 1000,
    "L": lambda resp, environ, took: f"{took.seconds}.{took.microseconds:06d}",
    "p": lambda resp, environ, took: f"<{os.getpid()}>",
}


def _status(resp):
    status = resp.status
    return status.split(None, 1)[0] if isinstance(status, str) else status


def _header(headers, name):
    """A value by its lower-case name from (name, value) pairs (gunicorn's headers, the WSGI
    environ), whatever their case, or None."""
    for key, value in headers or ():
        if key.lower() == name:
            return value
    return None


class AccessLogger(Logger):
    """gunicorn's Logger, its access line worked out from the fields the format names alone."""

    def setup(self, cfg):
        super().setup(cfg)
        self._fields = tuple(dict.fromkeys(_FIELD.findall(cfg.access_log_format)))

    def access(self, resp, req, environ, request_time):
        if not self.access_log_enabled:
            return
        fields = {}
        for name in self._fields:
            # SafeAtoms looks header and environ fields up by their lower-case names.
            key = name.lower() if name.startswith("{") else name
            fields[key] = self._field(name, resp, req, environ, request_time)
        try:
            # SafeAtoms, as gunicorn's own: quotes escaped, a field with no value printed as "-".
            self.access_log.info(self.cfg.access_log_format, self.atoms_wrapper_class(fields))
        except Exception:  # gunicorn's rule: a bad format line is reported, never a failed request
            self.exception("access log line could not be written")

    def _field(self, name, resp, req, environ, took):
        if name == "t":
            return self.now()
        if name == "u":
            return self._get_user(environ) or "-"
        compute = _SIMPLE.get(name)
        if compute is not None:
            return compute(resp, environ, took)
        if name.startswith("{") and len(name) > 3 and name[-2] == "}":
            key, kind = name[1:-2].lower(), name[-1]
            if kind == "o":
                return _header(resp.headers, key)
            if kind == "i":
                return _header(getattr(req, "headers", None), key)
            if kind == "e":
                return _header(environ.items(), key)
        return None
