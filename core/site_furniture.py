"""What every page draws around its content, and the lookups every page makes to draw it.

The furniture: the site's name, tagline, contact, menu and footer.

Every page's `base.html` draws it, so building it from the database (the site settings row,
its footer StreamField and the pages it links, the menu's pages) on every render was the
largest single cost of a page that missed the page cache. It changes only when an editor
saves the site settings or publishes, moves or deletes a page, so it is built once per site
and kept in the shared cache until then (`forget`, connected in CoreConfig.ready). While the
cache is down the furniture is built for each page again: slower, never wrong. (A change made
during an outage is forgotten when the entry ends, at most TTL_SECONDS later.)

The same mechanism keeps the other things every request looked up in the database:

* which Site a host is (`site_for_request`, Wagtail's `Site.find_for_request` on every
  render): kept per host under the sites' version, which any Site saved or deleted bumps;
* a site's settings rows (`site_setting`, e.g. the cookie banner's): kept per site, forgotten
  when the row is saved (`keep_site_setting`, called by the app that owns it) and when a page
  is published, moved or deleted (the pages they link to);
* anything else that depends on versions the caller names (`cached_under`), e.g. an event's
  public address, kept under the page cache's content version and the sites' version.

Each process also keeps what it read for `page_cache.LOCAL_SECONDS`, as the page cache keeps
its entries: a page rendered in a rush asked the shared cache four or five times for these,
a round trip each. A change made in this process forgets those copies at once; other processes
see it within that second, as they see a change of a cached page.
"""

import contextlib
import pickle
import time
from dataclasses import dataclass

from django.db.models.signals import post_delete, post_save
from django.http.request import split_domain_port
from wagtail.models import Page, PageViewRestriction, Site
from wagtail.models.sites import get_site_for_hostname
from wagtail.signals import page_published, page_unpublished, post_page_move

from core import page_cache
from core.shared_cache import Outage, Unavailable, shared_cache

KEY = "site-furniture:v1"
RESTRICTIONS_KEY = "site-furniture:view-restrictions:v1"
SITE_KEY = "site-furniture:site-for-host:v1"
SETTING_KEY = "site-furniture:setting:v1"
# Versions: bumped by every change of what they name, so entries kept under them go stale.
SITES_VERSION = "site-furniture:sites-version"
RESTRICTIONS_VERSION = "site-furniture:view-restrictions-version"
# A bound on staleness should a signal ever be missed (a change made straight in the database).
TTL_SECONDS = 600
_outage = Outage("the site furniture cache")


# What this process read lately: {key: (monotonic time it is kept until, value)}. Bounded, as
# the host a request names is part of some keys (`site_for_request`) and anyone can make one up.
_local = {}
_LOCAL_MAX = 1000
_NOT_KEPT = object()


def _kept_locally(key):
    """A copy of its own for each request, as the shared cache gives: Wagtail caches on the
    objects it is given (a Site's root page, a page's specific object), and one request's
    reading must not leak into the next."""
    kept = _local.get(key)
    if kept is None or kept[0] < time.monotonic():
        return _NOT_KEPT
    return pickle.loads(kept[1])  # noqa: S301 - our own bytes, made in this process


def _keep_locally(key, value):
    if len(_local) >= _LOCAL_MAX:
        _local.clear()
    _local[key] = (time.monotonic() + page_cache.LOCAL_SECONDS, pickle.dumps(value))


def forget_local_copies():
    """Drop what this process keeps (after a change made here; with the page cache's copies)."""
    _local.clear()


page_cache.forget_along_with_local_entries(forget_local_copies)


def _cached(key, build):
    """The value under `key`, or `build()` stored there; `build()` alone while the cache is down."""
    value = _kept_locally(key)
    if value is not _NOT_KEPT:
        return value
    try:
        value = _outage.call(shared_cache.get, key)
    except Unavailable:
        return build()
    if value is None:
        value = build()
        with contextlib.suppress(Unavailable):
            _outage.call(shared_cache.set, key, value, TTL_SECONDS)
    _keep_locally(key, value)
    return value


def _delete(key):
    forget_local_copies()
    with contextlib.suppress(Unavailable):  # the entry then ends by itself within TTL_SECONDS
        _outage.call(shared_cache.delete, key)


def cached_under(key, versions, build):
    """The value under `key` while the `versions` (cache keys of version counters) are those it
    was built under, else `build()` stored there; `build()` alone while the cache is down.

    The versions are read with the entry, in one round trip, and before `build()` reads the
    database: a change committed while it builds makes the new entry stale at once. A version
    never set counts as 0. The value may be None.
    """
    value = _kept_locally(key)
    if value is not _NOT_KEPT:
        return value
    try:
        values = _outage.call(shared_cache.get_many, [key, *versions])
    except Unavailable:
        return build()
    current = [values.get(version, 0) for version in versions]
    entry = values.get(key)
    if entry is not None and entry["versions"] == current:
        value = entry["value"]
    else:
        value = build()
        with contextlib.suppress(Unavailable):
            _outage.call(shared_cache.set, key, {"versions": current, "value": value}, TTL_SECONDS)
    _keep_locally(key, value)
    return value


def bump(version):
    """Make every entry kept under `version` stale (see `cached_under`)."""
    forget_local_copies()
    try:
        try:
            _outage.call(shared_cache.incr, version)
        except ValueError:  # never set, or evicted
            _outage.call(shared_cache.set, version, 1, None)
    except Unavailable:
        pass  # entries then end by themselves within TTL_SECONDS


# --- Which site a request is for --------------------------------------------------------------


def site_for_request(request) -> Site | None:
    """`Site.find_for_request(request)`, without its query on every request.

    Wagtail keeps the answer on the request (`_wagtail_site`), and every later lookup of the
    same request (page URLs, `pageurl`, site settings) reads it there: this fills it in from the
    cache, kept per host and port under SITES_VERSION, so a Site added, edited or deleted is
    seen on the next request. None, as for Wagtail, when no Site answers the host.
    """
    if hasattr(request, "_wagtail_site"):
        return request._wagtail_site
    # As Wagtail does: the raw host, so that ALLOWED_HOSTS is not checked here.
    hostname = split_domain_port(request._get_raw_host())[0]
    port = request.get_port()
    site = cached_under(f"{SITE_KEY}:{hostname}:{port}", [SITES_VERSION], lambda: _site_for(hostname, port))
    request._wagtail_site = site
    return site


def _site_for(hostname, port):
    try:
        return get_site_for_hostname(hostname, port)
    except Site.DoesNotExist:
        return None


class SiteLookupMiddleware:
    """Finds the request's Site through `site_for_request` before Wagtail looks for it.

    Only for GET and HEAD, the requests that render pages: a POST that redirects (a checkout,
    a webhook) never needs the site and pays nothing. Sits below the page cache, so a page
    served from the cache pays nothing either.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method in ("GET", "HEAD"):
            site_for_request(request)
        return self.get_response(request)


def _sites_changed(**kwargs):
    bump(SITES_VERSION)


# --- Site settings rows -------------------------------------------------------------------


def site_setting(model, site):
    """`model.for_site(site)` (a Wagtail BaseSiteSetting), kept in the shared cache per site.

    The model must be kept by `keep_site_setting`, so that saving the row forgets it. Its
    foreign keys to pages are loaded before it is kept, so drawing them costs no query; it is
    kept under the page cache's content version, so a page it links to that is moved,
    unpublished or deleted is read again.
    """
    key = f"{SETTING_KEY}:{model._meta.label_lower}:{site.pk}"
    return cached_under(key, [page_cache.CONTENT_KEY], lambda: _load_setting(model, site))


def _load_setting(model, site):
    setting = model.for_site(site)
    for field in model._meta.concrete_fields:
        if field.is_relation and field.name != "site":
            getattr(setting, field.name)  # loaded now, so kept with the row
    return setting


def _setting_changed(sender, instance, **kwargs):
    _delete(f"{SETTING_KEY}:{sender._meta.label_lower}:{instance.site_id}")


def keep_site_setting(model_label):
    """Let `site_setting` keep this setting ("app_label.ModelName"), forgotten when saved.

    Called from the owning app's AppConfig.ready(), in every process, so that a row saved in
    any of them (the admin's) is forgotten everywhere.
    """
    for signal in (post_save, post_delete):
        signal.connect(
            _setting_changed, sender=model_label, dispatch_uid=f"furniture-setting-{model_label}-{id(signal)}"
        )


@dataclass(frozen=True)
class Link:
    """A page the menu or footer links to; named like a Page's attributes, as the templates read them."""

    title: str
    url: str
    pk: int
    path: str


@dataclass(frozen=True)
class SiteFurniture:
    site_name: str
    tagline: str
    contact_email: str
    menu: tuple[Link, ...]
    footer_links: tuple[Link, ...]
    terms_url: str
    # What "I accept the Terms" refers to (core.models.TermsInForce), recorded with each order.
    terms: object | None = None


def for_request(request) -> SiteFurniture | None:
    """The furniture of the site this request is for (None on a host no Site answers)."""
    site = site_for_request(request)
    if site is None:
        return None
    return _cached(f"{KEY}:{site.pk}", lambda: _build(site, request))


def _build(site, request) -> SiteFurniture:
    from core.models import SiteSettings  # models import this module's app; load them late

    settings = SiteSettings.for_site(site)
    footer = tuple(
        _link(block.value["label"], block.value["page"], request)
        for block in settings.footer_links
        if block.value["page"] is not None
    )
    menu = tuple(
        _link(page.title, page, request) for page in Page.objects.live().in_menu().child_of(site.root_page)
    )
    terms = settings.terms_page
    return SiteFurniture(
        site_name=settings.site_name,
        tagline=settings.tagline,
        contact_email=settings.contact_email,
        menu=menu,
        footer_links=footer,
        terms_url=(terms.get_url(request) or "") if terms is not None else "",
        terms=settings.terms_in_force(),
    )


def _link(title, page, request) -> Link:
    return Link(title=title, url=page.get_url(request) or "", pk=page.pk, path=page.path)


def forget(**kwargs):
    """Build the furniture again on the next render (a signal receiver, hence **kwargs)."""
    for site_id in Site.objects.values_list("pk", flat=True):
        _delete(f"{KEY}:{site_id}")


def view_restrictions_exist() -> bool:
    """Whether any page has a view restriction (a password, a login); asked on every render.

    Almost every site has none, and Wagtail asks the database for each page's (two queries). A
    restriction saved or deleted forgets the answer at once; an outage of the cache asks again.
    """
    return _cached(RESTRICTIONS_KEY, PageViewRestriction.objects.exists)


def _forget_restrictions(**kwargs):
    _delete(RESTRICTIONS_KEY)
    bump(RESTRICTIONS_VERSION)


def forget_when_content_changes():
    """Connect `forget` to everything the furniture shows (called from CoreConfig.ready)."""
    post_save.connect(forget, sender="core.SiteSettings", dispatch_uid="furniture-settings-saved")
    post_save.connect(forget, sender="wagtailcore.Site", dispatch_uid="furniture-site-saved")
    post_save.connect(_sites_changed, sender="wagtailcore.Site", dispatch_uid="furniture-sites-saved")
    post_delete.connect(_sites_changed, sender="wagtailcore.Site", dispatch_uid="furniture-sites-deleted")
    page_published.connect(forget, dispatch_uid="furniture-published")
    page_unpublished.connect(forget, dispatch_uid="furniture-unpublished")
    post_page_move.connect(forget, dispatch_uid="furniture-moved")
    post_delete.connect(forget, sender="wagtailcore.Page", dispatch_uid="furniture-page-deleted")
    for signal in (post_save, post_delete):
        signal.connect(
            _forget_restrictions,
            sender="wagtailcore.PageViewRestriction",
            dispatch_uid=f"furniture-vr-{id(signal)}",
        )
