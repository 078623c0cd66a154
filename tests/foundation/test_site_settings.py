"""The site settings, now in the core app: editors find them where they always did."""

from pathlib import Path

import pytest
from wagtail.models import Site

from core.models import SiteSettings
from home.models import EventPage

BASE_DIR = Path(__file__).resolve().parents[2]


@pytest.mark.usefixtures("demo_site")
def test_the_settings_menu_still_says_site_settings(staff_client):
    response = staff_client.get("/admin/")
    assert response.status_code == 200
    assert "Site settings" in response.content.decode()
    assert "/admin/settings/core/sitesettings/" in response.content.decode()


@pytest.mark.usefixtures("demo_site")
def test_an_editors_old_bookmark_opens_the_settings(staff_client):
    site = Site.objects.get(is_default_site=True)
    for old, new in (
        ("/admin/settings/home/sitesettings/", "/admin/settings/core/sitesettings/"),
        (f"/admin/settings/home/sitesettings/{site.pk}/", f"/admin/settings/core/sitesettings/{site.pk}/"),
    ):
        response = staff_client.get(old, follow=True)
        assert response.redirect_chain[0][0] == new
        assert response.status_code == 200
        assert SiteSettings.for_site(site).site_name in response.content.decode()


@pytest.mark.usefixtures("demo_site")
def test_the_footer_and_checkout_read_the_settings(client):
    site_settings = SiteSettings.for_site(Site.objects.get(is_default_site=True))
    site_settings.contact_email = "boxoffice@example.je"
    site_settings.save()
    assert "mailto:boxoffice@example.je" in client.get("/").content.decode()
    event_page = EventPage.objects.live().first()
    terms_link = f'<a href="{site_settings.terms_page.url}">Terms of Service</a>'
    assert terms_link in client.get(event_page.url).content.decode()


def test_no_template_asks_for_the_settings_by_their_old_app():
    """`settings.home.SiteSettings` now raises at render time: a 500 instead of a page."""
    templates = [*(BASE_DIR / "templates").rglob("*.html"), *(BASE_DIR / "templates").rglob("*.txt")]
    stale = [str(path.relative_to(BASE_DIR)) for path in templates if "settings.home." in path.read_text()]
    assert stale == []
