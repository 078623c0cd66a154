"""Serving rendered pages from the cache, so an on-sale rush does not cost a Wagtail render a hit.

A page opts in by calling `cache_this_page(request, ...)` while it serves, before it reads
anything from the database. The middleware then stores its HTML with the CSRF token cut out,
and later fills in a fresh token for each visitor, so the cached page still works without
JavaScript. An entry is valid while

* no page has been published, unpublished, moved or deleted since (the content version), and
* for an event page, its event's availability is unchanged (a version per event, bumped after
  each reservation or release commits, and by event edits). Listing pages show many events
  and are simply kept for a few seconds: a rush on one event must not re-render the index on
  every sale, and the checkout re-checks stock anyway.

The versions are read before the page reads the database, so a sale committed while the page
renders makes the new entry stale at once rather than caching old availability.

Each process also keeps the entries it has just checked for LOCAL_SECONDS, so in a rush most
hits cost no round trip to Redis at all: a page may be that much older than the shared cache,
which the "availability may be cached for seconds" rule allows (the checkout re-checks stock).

Visitors with a session (editors, who see Wagtail's user bar) always get a fresh render.
"""

import hashlib
import re
import time

from django.conf import settings
from django.core.cache import cache
from django.db.models.signals import post_delete, post_save
from django.http import HttpResponse
from django.utils import timezone
from wagtail.signals import page_published, page_unpublished, post_page_move

from home.csrf import get_token
from ticketing.signals import availability_changed as availability_signal

ENTRY_TTL = 300
LOCAL_SECONDS = 1.0
CONTENT_KEY = "pagecache:content"
CSRF_PLACEHOLDER = "__CSRF_TOKEN__"
_CSRF_INPUT = re.compile(r'(name="csrfmiddlewaretoken" value=")[^"]+(")')


def _event_key(event_id):
    return f"pagecache:event:{event_id}"


LISTING_TTL = 10


def cache_this_page(request, event_id=None):
    """Called by a page as it starts serving: its response may be cached.

    `event_id`: the one event whose availability the page shows exactly (an event page);
    without it the entry lives LISTING_TTL seconds.
    """
    if not hasattr(request, "page_cache_content_version"):
        return  # not served through the middleware (a preview, a test calling serve())
    events = [event_id] if event_id is not None else []
    request.page_cache = {
        "events": events,
        "versions": [request.page_cache_content_version, *_versions(events)[1:]],
        "ttl": ENTRY_TTL if event_id is not None else LISTING_TTL,
    }


def expire_page_by(request, moment):
    """Keep this page's entry no later than `moment` (e.g. when its event's sales open or
    close): a clock change is not a version change, so nothing else would refresh it."""
    page = getattr(request, "page_cache", None)
    if page is None or moment is None:
        return
    seconds = int((moment - timezone.now()).total_seconds())
    if seconds <= 0:
        return
    page["ttl"] = max(1, min(page["ttl"], seconds))


def _bump(key):
    try:
        cache.incr(key)
    except ValueError:
        cache.set(key, 1, None)


def forget_local_entries():
    _local_entries.clear()


def content_changed(**kwargs):
    _bump(CONTENT_KEY)
    forget_local_entries()


def availability_changed(event_id, **kwargs):
    _bump(_event_key(event_id))
    forget_local_entries()


def _entry_key(request):
    consent = "c" if "cookie_consent" in request.COOKIES else "n"
    address = hashlib.sha256(f"{request.get_host()}|{request.get_full_path()}".encode()).hexdigest()
    return f"pagecache:page:{consent}:{address}"


def _cacheable_request(request):
    return (
        request.method in ("GET", "HEAD")
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and "messages" not in request.COOKIES
        # Only the query strings pages use: arbitrary ones must not fill the cache.
        and set(request.GET) <= {"page"}
        and not request.path.startswith(
            ("/admin/", "/tickets/", "/sandbox/", "/health/", "/static/", "/media/")
        )
    )


# Page cache key -> the event ids its entry depends on (bounded; it only saves a round trip).
_dependencies = {}
# Page cache key -> (valid until, entry): entries this process checked a moment ago.
_local_entries = {}
_DEPENDENCIES_MAX = 5000


def _remember(key, events):
    if len(_dependencies) >= _DEPENDENCIES_MAX:
        _dependencies.clear()
    _dependencies[key] = events


def _versions(event_ids):
    keys = [CONTENT_KEY, *(_event_key(i) for i in event_ids)]
    values = cache.get_many(keys)
    return [values.get(key, 0) for key in keys]


class CachedPageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not _cacheable_request(request):
            return self.get_response(request)
        key = _entry_key(request)
        entry, current = self._lookup(key)
        if entry is not None and entry["versions"] == current:
            return self._from_entry(request, entry)
        # Read before anything is rendered: a publish during the render makes the entry stale.
        request.page_cache_content_version = current[0]
        response = self.get_response(request)
        self._store(request, key, response)
        return response

    @staticmethod
    def _lookup(key):
        local = _local_entries.get(key)
        if local is not None and local[0] > time.monotonic():
            return local[1], local[1]["versions"]
        entry, current = CachedPageMiddleware._lookup_shared(key)
        if entry is not None and entry["versions"] == current:
            if len(_local_entries) >= _DEPENDENCIES_MAX:
                _local_entries.clear()
            _local_entries[key] = (time.monotonic() + LOCAL_SECONDS, entry)
        return entry, current

    @staticmethod
    def _lookup_shared(key):
        """The entry and the versions it must match, in one cache round trip when possible.

        Which events a page depends on is remembered in this process, so the entry and the
        versions can be fetched together; a page not seen before costs a second round trip.
        """
        events = _dependencies.get(key, [])
        keys = [key, CONTENT_KEY, *(_event_key(i) for i in events)]
        values = cache.get_many(keys)
        entry = values.get(key)
        if entry is not None and entry["events"] != events:
            _remember(key, entry["events"])
            return entry, _versions(entry["events"])
        return entry, [values.get(k, 0) for k in keys[1:]]

    @staticmethod
    def _from_entry(request, entry):
        html = entry["html"].replace(CSRF_PLACEHOLDER, get_token(request))
        response = HttpResponse(html, content_type=entry["content_type"])
        response["X-Page-Cache"] = "hit"
        # The middleware that would add these sits below this one, and a hit skips it.
        response["X-Frame-Options"] = settings.X_FRAME_OPTIONS
        return response

    @staticmethod
    def _store(request, key, response):
        page = getattr(request, "page_cache", None)
        if page is None or response.status_code != 200 or response.streaming:
            return
        if response.cookies.keys() - {settings.CSRF_COOKIE_NAME}:
            return  # the page set something personal
        html = _CSRF_INPUT.sub(rf"\g<1>{CSRF_PLACEHOLDER}\g<2>", response.content.decode(response.charset))
        entry = {"html": html, "content_type": response["Content-Type"], **page}
        cache.set(key, entry, page["ttl"])
        _remember(key, page["events"])
        response["X-Page-Cache"] = "miss"


def _on_model_change(sender, instance, created=False, **kwargs):
    from ticketing.models import Event, TicketType

    if created and sender._meta.label in ("home.SiteSettings", "legal.CookieConsentSettings"):
        return  # made with its defaults on a first render: the page already shows those
    if sender is Event:
        availability_changed(instance.pk)
    elif sender is TicketType:
        availability_changed(instance.event_id)
    else:
        content_changed()


availability_signal.connect(availability_changed, dispatch_uid="pagecache-availability")
page_published.connect(content_changed, dispatch_uid="pagecache-published")
page_unpublished.connect(content_changed, dispatch_uid="pagecache-unpublished")
post_page_move.connect(content_changed, dispatch_uid="pagecache-moved")
post_delete.connect(_on_model_change, sender="wagtailcore.Page", dispatch_uid="pagecache-page-deleted")
post_save.connect(_on_model_change, sender="ticketing.Event", dispatch_uid="pagecache-event-saved")
post_save.connect(_on_model_change, sender="ticketing.TicketType", dispatch_uid="pagecache-tickettype-saved")
post_save.connect(_on_model_change, sender="home.SiteSettings", dispatch_uid="pagecache-settings-saved")
post_save.connect(
    _on_model_change, sender="legal.CookieConsentSettings", dispatch_uid="pagecache-consent-saved"
)
