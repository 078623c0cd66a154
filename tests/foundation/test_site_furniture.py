"""The site's furniture (name, tagline, contact, menu, footer) is built once and kept until an
editor changes it: a page that misses the page cache no longer reads the site settings, and
what editors save or publish shows on the next render."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from wagtail.models import Site

from core import page_cache
from core.models import SiteSettings
from legal.models import LegalPage
from tests.factories import events_index, home_page, make_event, make_event_page

pytestmark = pytest.mark.django_db


@pytest.fixture
def event_url():
    return make_event_page(make_event("Furniture Night")).url


def uncached(client, url):
    page_cache.content_changed()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return response.content.decode(), [q["sql"] for q in queries.captured_queries]


def test_a_page_missing_the_page_cache_does_not_read_the_site_settings_again(client, event_url):
    uncached(client, event_url)  # builds the furniture once
    html, queries = uncached(client, event_url)
    assert not [q for q in queries if "home_sitesettings" in q or '"show_in_menus" AND' in q]
    assert "Live music, theatre and comedy" in html  # the default tagline, from the kept copy


def test_saved_site_settings_show_on_the_next_render(client, event_url):
    uncached(client, event_url)
    settings = SiteSettings.for_site(Site.objects.get(is_default_site=True))
    settings.tagline = "Now with more jazz"
    settings.contact_email = "box@example.com"
    settings.save()
    html, _ = uncached(client, event_url)
    assert "Now with more jazz" in html and "mailto:box@example.com" in html


def test_a_published_menu_page_and_footer_link_show_on_the_next_render(client, event_url):
    events_index()
    uncached(client, event_url)
    page = home_page().add_child(
        instance=LegalPage(
            title="Accessibility", slug="access", show_in_menus=True, body="<p>Ramps.</p>", version="1"
        )
    )
    page.save_revision().publish()
    settings = SiteSettings.for_site(Site.objects.get(is_default_site=True))
    settings.footer_links = [("link", {"label": "Step-free access", "page": page})]
    settings.save()
    html, _ = uncached(client, event_url)
    assert f'href="{page.url}"' in html and "Accessibility</a>" in html
    assert "Step-free access</a>" in html


def test_a_page_moved_or_renamed_moves_its_menu_link(client, event_url):
    index = events_index()
    uncached(client, event_url)
    index.slug = "on-stage"
    index.save_revision().publish()
    html, _ = uncached(client, "/")
    assert 'href="/on-stage/"' in html
