"""Reading settings from the environment.

Every setting an operator may need to change can be overridden by an environment variable of
the same name in every settings module, so each module calls these helpers with its own default.
An empty variable counts as unset: platforms often define a variable with no value, and
`SECURE_SSL_REDIRECT=` must not quietly turn a protection off.
"""

import os

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _raw(name):
    value = os.environ.get(name)
    return None if value is None or value.strip() == "" else value


def env_str(name, default=""):
    raw = _raw(name)
    return default if raw is None else raw


def env_bool(name, default=False):
    raw = _raw(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), not {raw!r}.")


def env_int(name, default):
    raw = _raw(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}.") from None


def env_list(name, default=()):
    raw = _raw(name)
    if raw is None:
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]
