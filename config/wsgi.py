"""WSGI entry point: `gunicorn config.wsgi:application` (production settings by default)."""

import gc
import os

from django.conf import settings
from django.core.validators import validate_email
from django.core.wsgi import get_wsgi_application
from django.template.loader import get_template
from django.urls import URLResolver, get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

application = get_wsgi_application()


def _compile_url_patterns(resolver):
    """Compile every URL pattern's regex, which Django does on the first request it is matched."""
    for pattern in resolver.url_patterns:
        pattern.pattern.regex  # noqa: B018
        if isinstance(pattern, URLResolver):
            _compile_url_patterns(pattern)


def _warm_up():
    """Do now what each worker's first buyers would otherwise pay for: tens of milliseconds of
    CPU in all (the e-mail validator's regexes alone take most of it), once per worker, which in
    a rush falls on the first checkouts after a deploy."""
    _compile_url_patterns(get_resolver())  # also imports every URLconf, view and admin module
    validate_email("warm-up@example.com")
    for name in settings.WARM_UP_TEMPLATES:
        get_template(name)


def _freeze_loaded_code():
    """Leave everything loaded at start-up out of the garbage collector's full collections.

    Django, Wagtail and their admin leave a few hundred thousand long-lived objects (modules,
    classes, URL patterns); every full collection walked them all, about 3 ms of CPU per
    checkout in a profile of a worker under load (README, "Benchmarks"). Importing every view
    through the URL patterns first (`_warm_up`), and collecting what start-up left as garbage,
    means the frozen objects are the live code and nothing that could have been freed.
    """
    _warm_up()
    gc.collect()
    gc.freeze()


_freeze_loaded_code()
