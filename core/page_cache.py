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

The cache knows no app of the site. It listens to Wagtail's page signals and the site settings
itself (`listen_for_content_changes`, from CoreConfig.ready()); the apps whose rows pages show
tell it about them from their own ready(): ticketing about events and their stock, legal about
the cookie banner.
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

from core.csrf import get_token

ENTRY_TTL = 300
LISTING_TTL = 10
LOCAL_SECONDS = 1.0
CONTENT_KEY = "pagecache:content"
CSRF_PLACEHOLDER = "__CSRF_TOKEN__"
_CSRF_INPUT = re.compile(r'(name="csrfmiddlewaretoken" value=")[^"]+(")')


def _event_key(event_id):
    return f"pagecache:event:{event_id}"


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
    seconds = (moment - timezone.now()).total_seconds()
    if seconds <= 0:
        return
    # Whole seconds, and at least one: a page rendered in the last second before sales open
    # must not be kept for the full ENTRY_TTL.
    page["ttl"] = max(1, min(page["ttl"], int(seconds)))


def _bump(key):
    try:
        cache.incr(key)
    except ValueError:
        cache.set(key, 1, None)


def forget_local_entries():
    """Drop the copies this process keeps for LOCAL_SECONDS (after a change it made itself)."""
    _local_entries.clear()


def content_changed(**kwargs):
    """Something any page may show has changed (a page published, moved or deleted, a setting
    saved): every cached page is rendered again. A signal receiver, hence **kwargs."""
    _bump(CONTENT_KEY)
    forget_local_entries()


def mark_event_changed(event_id):
    """Make every process's cached copy of this event's page stale, through the shared cache.

    Other processes notice within LOCAL_SECONDS, when they next check the copy they keep;
    `availability_changed` also drops this process's own copies at once.
    """
    _bump(_event_key(event_id))


def availability_changed(event_id, **kwargs):
    """An event's stock, prices or dates changed: its page is rendered again on the next visit.

    The page cache knows events only by id; the app that sells them connects its signals
    here (see `refresh_event_page_when_saved`). A signal receiver, hence **kwargs.
    """
    mark_event_changed(event_id)
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


def _setting_saved(sender, created=False, **kwargs):
    if not created:  # made with its defaults on a first render: the page already shows those
        content_changed()


def refresh_pages_when_saved(setting_label):
    """Render every page again after an editor saves this site setting ("app_label.ModelName").

    For settings that every page shows (the footer, the cookie banner); an app calls it from
    its AppConfig.ready(), so the page cache need not know the app.
    """
    post_save.connect(_setting_saved, sender=setting_label, dispatch_uid=f"pagecache-saved-{setting_label}")


def refresh_event_page_when_saved(model_label, event_id_field):
    """Render an event's page again when a row of `model_label` about it is saved.

    `event_id_field` names the attribute holding the event's id ("pk" for the event itself).
    Staff's edits (a price, a date, a capacity) are not stock changes, so no other signal
    tells the cache about them.
    """

    def saved(sender, instance, **kwargs):
        availability_changed(getattr(instance, event_id_field))

    # weak=False: the receiver is made here, and nothing else would keep it alive.
    post_save.connect(saved, sender=model_label, weak=False, dispatch_uid=f"pagecache-saved-{model_label}")


def listen_for_content_changes():
    """Connect what every site has: Wagtail's page changes and the site settings (CoreConfig.ready)."""
    page_published.connect(content_changed, dispatch_uid="pagecache-published")
    page_unpublished.connect(content_changed, dispatch_uid="pagecache-unpublished")
    post_page_move.connect(content_changed, dispatch_uid="pagecache-moved")
    post_delete.connect(content_changed, sender="wagtailcore.Page", dispatch_uid="pagecache-page-deleted")
    refresh_pages_when_saved("core.SiteSettings")
