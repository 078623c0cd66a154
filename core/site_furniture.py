"""What every page draws around its content: the site's name, tagline, contact, menu and footer.

Every page's `base.html` draws it, so building it from the database (the site settings row,
its footer StreamField and the pages it links, the menu's pages) on every render was the
largest single cost of a page that missed the page cache. It changes only when an editor
saves the site settings or publishes, moves or deletes a page, so it is built once per site
and kept in the shared cache until then (`forget`, connected in CoreConfig.ready). While the
cache is down the furniture is built for each page again: slower, never wrong. (A change made
during an outage is forgotten when the entry ends, at most TTL_SECONDS later.)
"""

import contextlib
from dataclasses import dataclass

from django.db.models.signals import post_delete, post_save
from wagtail.models import Page, PageViewRestriction, Site
from wagtail.signals import page_published, page_unpublished, post_page_move

from core.shared_cache import Outage, Unavailable, shared_cache

KEY = "site-furniture:v1"
RESTRICTIONS_KEY = "site-furniture:view-restrictions:v1"
# A bound on staleness should a signal ever be missed (a change made straight in the database).
TTL_SECONDS = 600
_outage = Outage("the site furniture cache")


def _cached(key, build):
    """The value under `key`, or `build()` stored there; `build()` alone while the cache is down."""
    try:
        value = _outage.call(shared_cache.get, key)
    except Unavailable:
        return build()
    if value is None:
        value = build()
        with contextlib.suppress(Unavailable):
            _outage.call(shared_cache.set, key, value, TTL_SECONDS)
    return value


def _delete(key):
    with contextlib.suppress(Unavailable):  # the entry then ends by itself within TTL_SECONDS
        _outage.call(shared_cache.delete, key)


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
    site = Site.find_for_request(request)
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


def forget_when_content_changes():
    """Connect `forget` to everything the furniture shows (called from CoreConfig.ready)."""
    post_save.connect(forget, sender="core.SiteSettings", dispatch_uid="furniture-settings-saved")
    post_save.connect(forget, sender="wagtailcore.Site", dispatch_uid="furniture-site-saved")
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
