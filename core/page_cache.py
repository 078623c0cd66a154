"""Serving rendered pages from the cache, so an on-sale rush does not cost a Wagtail render a hit.

A page opts in by calling `cache_this_page(request, ...)` while it serves, before it reads
anything from the database. The middleware then stores its HTML with the CSRF token cut out,
and later fills in a fresh token for each visitor, so the cached page still works without
JavaScript. An entry is valid while

* no page has been published, unpublished, moved or deleted since (the content version), and
* for an event page, its event's availability is unchanged (a version per event, bumped by
  event edits, after each release commits, and after a sale commits that changed what the page
  shows). Listing pages show many events and are simply kept for a few seconds: a rush on one
  event must not re-render the index on every sale, and the checkout re-checks stock anyway.

At an on-sale rush most sales change nothing a page shows ("Available" stays "Available"), and
rendering the page again after each would cost a full render per sale. So the app that sells
tells `event_shows` a fingerprint of what the page shows of the stock after each committed sale;
the version is bumped only when it differs from the last one told for the event (kept in the
shared cache), when that cannot be read (the cache down, the key evicted: as before, every sale
bumps), or when the app says a comparison cannot be trusted. Which it is the app's to judge: two
sales that commit at once each read the stock a moment after their own commit, so both may read
the same final count while a page rendered between them shows the one before; ticketing makes
such sales bump whatever the fingerprint (`ticketing.shop.refresh_event_page` states its rule).

The versions are read before the page reads the database, so a sale committed while the page
renders makes the new entry stale at once rather than caching old availability.

Each process also keeps the entries it has just checked for LOCAL_SECONDS, so in a rush most
hits cost no round trip to Redis at all: a page may be that much older than the shared cache,
which the "availability may be cached for seconds" rule allows (the checkout re-checks stock).

What an entry is for is its host, its path and the visitor's state that pages show (the cookie
banner's: asked, answered, or answered yes to analytics — told by the app that owns it through
`pages_vary_by`); nothing else a visitor sends can make a new one. Anything that could would let anyone buy a full render
(about a hundred times the work of a hit) and a new entry, with every made-up value:

* The query string is ignored, but for `page` on a listing split into pages (the events
  index). Such a page says so with `listing_has_pages`; it then has an entry per page it has,
  and one shared by every other value (a word, 0, a number past the end), all of which it
  answers with the same 404. Pages read no other parameter, and the cookie banner returns to
  the path alone (`return_address` in templates/base.html), so `?utm_source=…` gets the plain
  entry: the page would render the same HTML for it.
* Only visitors signed in (editors, who see Wagtail's user bar) get a fresh render. A session
  cookie counts only when it names a stored session of a signed-in user: anyone can send one.

When the shared cache is down, every page is rendered without it: a lookup that fails is a
miss, nothing is stored, and one warning is logged for the outage (core.shared_cache.Outage).
Sales and edits made meanwhile could not make their pages stale, so when the cache answers
again this process makes every page stale once.

The cache knows no app of the site. It listens to Wagtail's page signals and the site settings
itself (`listen_for_content_changes`, from CoreConfig.ready()); the apps whose rows pages show
tell it about them from their own ready(): ticketing about events and their stock, legal about
the cookie banner.
"""

import contextlib
import hashlib
import re
import time

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.http import HttpResponse
from django.utils import timezone
from wagtail.signals import page_published, page_unpublished, post_page_move

from core import staff_sessions
from core.csrf import get_token
from core.shared_cache import Outage, Unavailable, shared_cache

ENTRY_TTL = 300
LISTING_TTL = 10
LOCAL_SECONDS = 1.0
# How long the last fingerprint told for an event is kept (`event_shows`): when it is gone, the
# next sale makes the page stale, as every sale did before.
SHOWN_TTL = 24 * 3600
CONTENT_KEY = "pagecache:content"
CSRF_PLACEHOLDER = "__CSRF_TOKEN__"
_CSRF_INPUT = re.compile(r'(name="csrfmiddlewaretoken" value=")[^"]+(")')
# The query parameter of a listing split into pages, and the one entry shared by every value
# of it that names no page the listing has.
PAGE_PARAMETER = "page"
NO_SUCH_PAGE = "none"


def _event_key(event_id):
    return f"pagecache:event:{event_id}"


def cache_this_page(request, event_id=None):
    """Called by a page as it starts serving: its response may be cached.

    `event_id`: the one event whose availability the page shows exactly (an event page);
    without it the entry lives LISTING_TTL seconds.
    """
    if not hasattr(request, "page_cache_content_version"):
        return  # not served through the middleware (a preview, a test calling serve()), or the cache is down
    events = [event_id] if event_id is not None else []
    try:
        event_versions = _versions(events)[1:] if events else []
    except Unavailable:
        return
    request.page_cache = {
        "events": events,
        "versions": [request.page_cache_content_version, *event_versions],
        "ttl": ENTRY_TTL if event_id is not None else LISTING_TTL,
        "pages": None,
    }


def listing_has_pages(request, count):
    """Called by a listing split into pages (`?page=1` to `count`) while it serves.

    Its entries are then kept per page, and every other value of `page` shares one entry: the
    listing must answer all of those alike (this site's listings answer them with a 404).
    """
    page = getattr(request, "page_cache", None)
    if page is not None:
        page["pages"] = count


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
    """Make the entries that depend on `key` stale.

    With the cache down there is nothing to make stale just now, and what was missed is made
    up for when it answers again (`_outage` makes every page stale then).
    """
    try:
        try:
            _outage.call(shared_cache.incr, key)
        except ValueError:  # not set yet, or evicted
            _outage.call(shared_cache.set, key, 1, None)
    except Unavailable:
        pass


def forget_local_entries():
    """Drop the copies this process keeps for LOCAL_SECONDS (after a change it made itself)."""
    _local_entries.clear()
    for forget in _forget_with_entries:
        forget()


def forget_along_with_local_entries(forget):
    """Call `forget()` whenever this process drops its copies of entries: for another module that
    keeps what pages draw in this process for LOCAL_SECONDS (`core.site_furniture`)."""
    if forget not in _forget_with_entries:
        _forget_with_entries.append(forget)


def content_changed(**kwargs):
    """Something any page may show has changed (a page published, moved or deleted, a setting
    saved): every cached page is rendered again. A signal receiver, hence **kwargs."""
    _bump(CONTENT_KEY)
    forget_local_entries()


# The cache could not be told of changes while it was down: every page is stale once it is back.
_outage = Outage("the page cache", when_back=content_changed)


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


def _shown_key(event_id):
    return f"pagecache:shown:{event_id}"


def event_shows(event_id, fingerprint, *, compare=True):
    """After a committed change to an event's stock: `fingerprint` (a str) is everything its page
    shows of that stock now, as the app that sells it judges (see the module's docstring).

    The page is made stale (`availability_changed`) unless `compare` and the fingerprint is the
    one last told for this event; when that cannot be read (the cache down, the key evicted or
    never set) it is made stale as before. The fingerprint is stored after the page is made
    stale, so a process stopped in between costs a render, never a stale page.
    """
    key = _shown_key(event_id)
    if compare and _last_shown(key) == fingerprint:
        return
    availability_changed(event_id)
    with contextlib.suppress(Unavailable):
        _outage.call(shared_cache.set, key, fingerprint, SHOWN_TTL)


def _last_shown(key):
    """The fingerprint last told, or None when it cannot be read."""
    try:
        return _outage.call(shared_cache.get, key)
    except Unavailable:
        return None


# --- What a request asks for ----------------------------------------------------------------


# Functions of a request naming what else about the visitor a page's HTML shows (see
# `pages_vary_by`), and what each forgets along with this process's copies of entries.
_variants = []
_forget_with_entries = [staff_sessions.forget_local_marks]  # the marks _signed_in reads


def pages_vary_by(variant, forget=None):
    """Pages show something about the visitor: `variant(request)` names it, as one of a few
    fixed labels ("ask", "quiet"), each of which gets its own entries.

    Never return a value the visitor chose (a cookie's text): each new one would buy a render
    and an entry. Called before the cache is looked up, and again after a render, when the
    label must name what that render showed. `forget()` drops whatever the function keeps in
    this process, whenever this process drops its copies of entries.
    An app calls it from its AppConfig.ready(), so the page cache need not know the app.
    """
    if variant not in _variants:
        _variants.append(variant)
    if forget is not None and forget not in _forget_with_entries:
        _forget_with_entries.append(forget)


def _address(request):
    """Whose entries these are: the host, the path, and the visitor's state that pages show."""
    state = ",".join(variant(request) for variant in _variants)
    return hashlib.sha256(f"{state}|{request.get_host()}|{request.path}".encode()).hexdigest()


def _entry_key(address, page_number=1):
    return f"pagecache:entry:{address}" + ("" if page_number == 1 else f":{page_number}")


def _requested_page(request):
    """The page of a listing asked for: 1 without `?page=`, else the number as a listing reads
    it (int() of the last value, as Django's Paginator does), or NO_SUCH_PAGE when no listing
    could have it (not a number, below 1)."""
    value = request.GET.get(PAGE_PARAMETER)
    if value is None:
        return 1
    try:
        number = int(value)
    except ValueError:
        return NO_SUCH_PAGE
    return number if number >= 1 else NO_SUCH_PAGE


def _signed_in(request):
    """Editors, signed in, see Wagtail's user bar, so they always get a fresh render.

    A session cookie proves nothing (anyone can send one), so it counts only when it names a
    stored session that holds a signed-in user: one indexed query instead of a render, and
    only for a cookie the shared cache knows was signed in with.
    """
    session_key = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
    if not session_key or not staff_sessions.may_be_signed_in(session_key):
        return False  # a made-up cookie costs no query (core.staff_sessions)
    return SESSION_KEY in request.session


def _cacheable_request(request):
    # No check for Django's messages cookie: public pages show no messages, so a page served
    # from the cache loses none, and a made-up cookie must not buy a render either.
    return (
        request.method in ("GET", "HEAD")
        and not request.path.startswith(
            ("/admin/", "/tickets/", "/sandbox/", "/health/", "/static/", "/media/")
        )
        and not _signed_in(request)
    )


def _candidate_keys(address, wanted):
    """The entries that may answer: the plain one (page 1, or a page that is no listing), and
    for another page number that page's, and the one shared by pages a listing does not have."""
    keys = [_entry_key(address)]
    if wanted != 1:
        if wanted != NO_SUCH_PAGE:
            keys.append(_entry_key(address, wanted))
        keys.append(_entry_key(address, NO_SUCH_PAGE))
    return keys


def _answering_key(address, wanted, entries):
    """Which entry answers a request for page `wanted`, judged from the current `entries`;
    None when none of them says whether the page is a listing (then it is rendered)."""
    plain = _entry_key(address)
    if wanted == 1:
        return plain
    known = entries.get(plain) or next(iter(entries.values()), None)
    if known is None:
        return None
    pages = known["pages"]
    if pages is None:
        return plain  # not a listing: `page` means nothing to it
    if wanted != NO_SUCH_PAGE and wanted <= pages:
        return _entry_key(address, wanted)
    return _entry_key(address, NO_SUCH_PAGE)


def _key_for_answer(address, wanted, pages, status):
    """Where a rendered answer is kept, or None: a page's 200 for the page it showed, and a
    listing's 404 for a page it does not have where every such request finds it."""
    if pages is None:  # not a listing, so it ignored `page`: the same HTML as without it
        return _entry_key(address) if status == 200 else None
    has_page = wanted != NO_SUCH_PAGE and wanted <= pages
    if status == 200 and has_page:
        return _entry_key(address, wanted)
    if status == 404 and not has_page:
        return _entry_key(address, NO_SUCH_PAGE)
    return None


# --- Entries kept in this process -----------------------------------------------------------

# Page address -> the event ids its entries depend on (bounded; it only saves a round trip).
_dependencies = {}
# Entry key -> (valid until, entry): entries this process checked a moment ago.
_local_entries = {}
_DEPENDENCIES_MAX = 5000


def _remember(address, events):
    if len(_dependencies) >= _DEPENDENCIES_MAX:
        _dependencies.clear()
    _dependencies[address] = events


def _local_copies(keys):
    now = time.monotonic()
    copies = {}
    for key in keys:
        local = _local_entries.get(key)
        if local is not None and local[0] > now:
            copies[key] = local[1]
    return copies


def _keep_locally(entries):
    if len(_local_entries) + len(entries) > _DEPENDENCIES_MAX:
        _local_entries.clear()
    until = time.monotonic() + LOCAL_SECONDS
    for key, entry in entries.items():
        _local_entries[key] = (until, entry)


def _version_keys(event_ids):
    return [CONTENT_KEY, *(_event_key(i) for i in event_ids)]


def _versions(event_ids):
    keys = _version_keys(event_ids)
    values = _outage.call(shared_cache.get_many, keys)
    return [values.get(key, 0) for key in keys]


def _lookup_shared(address, keys):
    """The current entries among `keys` and the versions a new entry must carry, in one cache
    round trip when possible.

    Which events a page depends on is remembered in this process, so the entries and the
    versions can be fetched together; a page not seen before costs a second round trip.
    """
    events = _dependencies.get(address, [])
    ended_before = _outage.outages_ended
    values = _outage.call(shared_cache.get_many, [*keys, *_version_keys(events)])
    if _outage.outages_ended != ended_before:
        # This very call ended an outage, and read the versions before every page was made
        # stale for the changes missed meanwhile: read them again, and render.
        return {}, _versions(events)
    entries = {key: values[key] for key in keys if key in values}
    stored_events = next((entry["events"] for entry in entries.values()), events)
    if stored_events != events:
        _remember(address, stored_events)
        current = _versions(stored_events)
    else:
        current = [values.get(key, 0) for key in _version_keys(events)]
    return {key: entry for key, entry in entries.items() if entry["versions"] == current}, current


# --- The middleware ---------------------------------------------------------------------------


class CachedPageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not _cacheable_request(request):
            return self.get_response(request)
        address, wanted = _address(request), _requested_page(request)
        try:
            entry, current = self._lookup(address, wanted)
        except Unavailable:
            return self.get_response(request)  # rendered without the cache; nothing is stored
        if entry is not None:
            return self._from_entry(request, entry)
        # Read before anything is rendered: a publish during the render makes the entry stale.
        request.page_cache_content_version = current[0]
        response = self.get_response(request)
        # Kept for what the page showed, which it judged from the settings it read itself.
        self._store(request, _address(request), wanted, response)
        return response

    @staticmethod
    def _lookup(address, wanted):
        """The entry that answers this request (None: render it) and the versions it must match."""
        keys = _candidate_keys(address, wanted)
        local = _local_copies(keys)
        key = _answering_key(address, wanted, local)
        if key in local:
            return local[key], local[key]["versions"]
        entries, current = _lookup_shared(address, keys)
        _keep_locally(entries)
        return entries.get(_answering_key(address, wanted, entries)), current

    @staticmethod
    def _from_entry(request, entry):
        html = entry["html"].replace(CSRF_PLACEHOLDER, get_token(request))
        response = HttpResponse(html, content_type=entry["content_type"], status=entry["status"])
        response["X-Page-Cache"] = "hit"
        # The middleware that would add these sits below this one, and a hit skips it.
        response["X-Frame-Options"] = settings.X_FRAME_OPTIONS
        return response

    @staticmethod
    def _store(request, address, wanted, response):
        page = getattr(request, "page_cache", None)
        if page is None or response.streaming:
            return
        key = _key_for_answer(address, wanted, page["pages"], response.status_code)
        if key is None:
            return
        if response.cookies.keys() - {settings.CSRF_COOKIE_NAME}:
            return  # the page set something personal
        html = _CSRF_INPUT.sub(rf"\g<1>{CSRF_PLACEHOLDER}\g<2>", response.content.decode(response.charset))
        entry = {
            "html": html,
            "content_type": response["Content-Type"],
            "status": response.status_code,
            **page,
        }
        try:
            _outage.call(shared_cache.set, key, entry, page["ttl"])
        except Unavailable:
            return
        _remember(address, page["events"])
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
        event_id = getattr(instance, event_id_field)
        availability_changed(event_id)
        # And again once the edit commits: a page rendered between the save and the commit read
        # the old row, and a sale after it may not make the page stale (`event_shows`).
        transaction.on_commit(lambda: availability_changed(event_id))

    # weak=False: the receiver is made here, and nothing else would keep it alive.
    post_save.connect(saved, sender=model_label, weak=False, dispatch_uid=f"pagecache-saved-{model_label}")


def listen_for_content_changes():
    """Connect what every site has: Wagtail's page changes and the site settings (CoreConfig.ready)."""
    page_published.connect(content_changed, dispatch_uid="pagecache-published")
    page_unpublished.connect(content_changed, dispatch_uid="pagecache-unpublished")
    post_page_move.connect(content_changed, dispatch_uid="pagecache-moved")
    post_delete.connect(content_changed, sender="wagtailcore.Page", dispatch_uid="pagecache-page-deleted")
    refresh_pages_when_saved("core.SiteSettings")
