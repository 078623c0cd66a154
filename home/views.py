"""What calendars and search engines read: the public calendar of upcoming events on sale (one
.ics feed to subscribe to), the sitemap of public pages, and robots.txt."""

from django.conf import settings
from django.http import HttpResponse
from django.urls import reverse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe
from wagtail.contrib.sitemaps.views import sitemap as wagtail_sitemap

from core.models import SiteSettings
from core.page_cache import cache_this_page
from home.models import upcoming_event_pages
from ticketing import shop


@require_safe
def events_calendar(request):
    """The events the listings show that are on sale, with their pages' addresses.

    Served from the page cache as the listings are (kept a few seconds, fresh after a publish),
    so a calendar app polling it costs no query. The query string is read by nothing here.
    """
    cache_this_page(request)
    pages = shop.on_sale(upcoming_event_pages()).public()
    entries = [
        shop.calendar_entry(
            page.event,
            url=page.get_full_url(request) or "",
            description=page.search_description or page.summary,
        )
        for page in pages
    ]
    name = SiteSettings.for_request(request).site_name
    return HttpResponse(shop.calendar_file(entries, name=name), content_type=shop.CALENDAR_CONTENT_TYPE)


@require_safe
def sitemap(request):
    """Wagtail's sitemap of the site's live, public pages (no drafts, none behind a password or
    a sign-in), served from the page cache like the listings.

    Django's sitemap reads `?p=` (its own pages of 50,000 addresses): a word or a number past
    the end is its 404, never an error.
    """
    cache_this_page(request)
    return wagtail_sitemap(request)


# Where search engines have no business: the admin, each buyer's order (and its tickets and
# calendar file), the door's check-in, the checkout (a POST target) and the waiting list, and the e-mailed links
# that confirm a data request. The paths are checked against the URLconf by the tests.
ROBOTS_DISALLOW = (
    "/admin/",
    "/tickets/orders/",
    "/tickets/check-in/",
    "/tickets/events/",
    "/tickets/waiting-list/",
    "/legal/data-request/confirm/",
)


@require_safe
@cache_control(max_age=3600, public=True)
def robots_txt(request):
    """robots.txt: what crawlers may skip, and where the sitemap is (at the site's address)."""
    lines = ["User-agent: *", *(f"Disallow: {path}" for path in ROBOTS_DISALLOW), ""]
    lines.append(f"Sitemap: {settings.SITE_URL}{reverse('sitemap')}")
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")
