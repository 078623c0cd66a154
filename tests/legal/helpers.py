"""Legal pages and cookie-banner settings as editors make them, for the legal tests."""

from wagtail.models import Site

from core.models import SiteSettings
from legal.models import CookieConsentSettings, LegalPage
from tests.factories import home_page

ANALYTICS_SNIPPET = (
    '<script defer data-domain="jerseyevents.je" src="https://plausible.io/js/script.js"></script>'
)


def publish_legal_page(slug="terms", *, version="2026-12", body="<p>Tickets are not refundable.</p>"):
    page = LegalPage(title=slug.title(), slug=slug, body=body, version=version)
    home_page().add_child(instance=page)
    page.save_revision().publish()
    return page


def publish_new_wording(page, *, version, body):
    """An editor changes the page's words and label and publishes them."""
    page = LegalPage.objects.get(pk=page.pk)
    page.body, page.version = body, version
    page.save_revision().publish()
    return page


def use_as_terms(page):
    site_settings = SiteSettings.for_site(Site.objects.get(is_default_site=True))
    site_settings.terms_page = page
    site_settings.save()


def cookie_banner(**fields):
    """The default site's cookie banner settings, with `fields` saved as an editor would."""
    home_page()
    banner = CookieConsentSettings.for_site(Site.objects.get(is_default_site=True))
    for name, value in fields.items():
        setattr(banner, name, value)
    banner.full_clean()
    banner.save()
    return banner


def enable_analytics(**fields):
    return cookie_banner(analytics_enabled=True, analytics_snippet=ANALYTICS_SNIPPET, **fields)
