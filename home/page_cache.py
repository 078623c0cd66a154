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

Visitors with a session (editors, who see Wagtail's user bar) always get a fresh render.
"""

import hashlib
import re

from django.conf import settings
from django.core.cache import cache
from django.db.models.signals import post_delete, post_save
from django.http import HttpResponse
from django.middleware.csrf import get_token
from wagtail.signals import page_published, page_unpublished, post_page_move

from ticketing.signals import availability_changed as availability_signal

ENTRY_TTL = 300
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


def _bump(key):
    try:
        cache.incr(key)
    except ValueError:
        cache.set(key, 1, None)


def content_changed(**kwargs):
    _bump(CONTENT_KEY)


def availability_changed(event_id, **kwargs):
    _bump(_event_key(event_id))


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
        and not request.path.startswith(("/admin/", "/tickets/", "/sandbox/", "/health/", "/static/", "/media/"))
    )


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
        entry = cache.get(key)
        current = _versions(entry["events"] if entry else [])
        if entry is not None and entry["versions"] == current:
            return self._from_entry(request, entry)
        # Read before anything is rendered: a publish during the render makes the entry stale.
        request.page_cache_content_version = current[0]
        response = self.get_response(request)
        self._store(request, key, response)
        return response

    @staticmethod
    def _from_entry(request, entry):
        html = entry["html"].replace(CSRF_PLACEHOLDER, get_token(request))
        response = HttpResponse(html, content_type=entry["content_type"])
        response["X-Page-Cache"] = "hit"
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
        response["X-Page-Cache"] = "miss"


def _on_model_change(sender, instance, **kwargs):
    from ticketing.models import Event, TicketType

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
post_save.connect(_on_model_change, sender="legal.CookieConsentSettings", dispatch_uid="pagecache-consent-saved")
