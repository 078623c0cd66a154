"""WSGI entry point: `gunicorn config.wsgi:application` (production settings by default)."""

import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

application = get_wsgi_application()


def _freeze_loaded_code():
    """Leave everything loaded at start-up out of the garbage collector's full collections.

    Django, Wagtail and their admin leave a few hundred thousand long-lived objects (modules,
    classes, URL patterns); every full collection walked them all, about 3 ms of CPU per
    checkout in a profile of a worker under load (README, "Benchmarks"). Importing every view
    through the URL patterns first, and collecting what start-up left as garbage, means the
    frozen objects are the live code and nothing that could have been freed.
    """
    get_resolver().url_patterns  # noqa: B018 - imports every URLconf, view and admin module
    gc.collect()
    gc.freeze()


_freeze_loaded_code()
