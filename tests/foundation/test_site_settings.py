"""The site settings, now in the core app: editors find them where they always did."""

from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from wagtail.models import Site

from core.models import SiteSettings
from home.models import EventPage
from tests.factories import home_page

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


@pytest.mark.django_db(transaction=True)
def test_a_database_from_before_the_move_keeps_its_settings_and_permissions():
    """Migrate back to where home owned SiteSettings, edit it there, migrate forward again."""
    site = home_page().get_site()
    home_owns_it = ("home", "0002_site_settings_terms_privacy")
    executor = MigrationExecutor(connection)
    executor.migrate([home_owns_it, ("core", None)])
    old = executor.loader.project_state(home_owns_it).apps
    old_settings = old.get_model("home", "SiteSettings").objects.create(
        site_id=site.pk, tagline="Written before the move"
    )
    permission = old.get_model("auth", "Permission").objects.get(
        content_type__app_label="home", codename="change_sitesettings"
    )
    editors = old.get_model("auth", "Group").objects.create(name="Settings editors")
    editors.permissions.add(permission)

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    ContentType.objects.clear_cache()
    moved = SiteSettings.objects.get(site=site)
    assert (moved.pk, moved.tagline) == (old_settings.pk, "Written before the move")
    assert list(ContentType.objects.filter(model="sitesettings").values_list("app_label", flat=True)) == [
        "core"
    ]
    assert Group.objects.get(name="Settings editors").permissions.get().content_type.app_label == "core"
