"""What every page draws around its content: the site's name, tagline, contact, menu and footer.

Every page's `base.html` draws it, so building it from the database (the site settings row,
its footer StreamField and the pages it links, the menu's pages) on every render was the
largest single cost of a page that missed the page cache. It changes only when an editor
saves the site settings or publishes, moves or deletes a page, so it is built once per site
and kept in the cache until then (`forget`, connected in CoreConfig.ready). The cache's
"default" name turns an outage into a miss: the furniture is then built again, never wrong.
"""

from dataclasses import dataclass

from django.core.cache import cache
from django.db.models.signals import post_delete, post_save
from wagtail.models import Page, PageViewRestriction, Site
from wagtail.signals import page_published, page_unpublished, post_page_move

KEY = "site-furniture:v1"
RESTRICTIONS_KEY = "site-furniture:view-restrictions:v1"
# A bound on staleness should a signal ever be missed (a change made straight in the database).
TTL_SECONDS = 600


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
    key = f"{KEY}:{site.pk}"
    furniture = cache.get(key)
    if furniture is None:
        furniture = _build(site, request)
        cache.set(key, furniture, TTL_SECONDS)
    return furniture


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
        cache.delete(f"{KEY}:{site_id}")


def view_restrictions_exist() -> bool:
    """Whether any page has a view restriction (a password, a login); asked on every render.

    Almost every site has none, and Wagtail asks the database for each page's (two queries). A
    restriction saved or deleted forgets the answer at once; an outage of the cache asks again.
    """
    exist = cache.get(RESTRICTIONS_KEY)
    if exist is None:
        exist = PageViewRestriction.objects.exists()
        cache.set(RESTRICTIONS_KEY, exist, TTL_SECONDS)
    return exist


def _forget_restrictions(**kwargs):
    cache.delete(RESTRICTIONS_KEY)


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
