"""The demo's starter Terms, Privacy and Cookie policies: marked for a lawyer's review, and true
to what the site does (what the checkout records, how long, who processes it, which cookies)."""

import io

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from wagtail.models import Site

from home.management.commands import load_demo_content
from legal.consent import CONSENT_COOKIE
from legal.models import CookieConsentSettings, LegalPage

pytestmark = pytest.mark.django_db

STARTER = "Starter text — to be reviewed by a lawyer before launch"


@pytest.fixture
def demo(monkeypatch, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    monkeypatch.setattr(load_demo_content, "IMAGE_SIZE", (320, 180))

    def load():
        call_command("load_demo_content", stdout=io.StringIO())
        return {page.slug: page for page in LegalPage.objects.all()}

    return load


def test_every_starter_text_says_it_awaits_a_lawyer_and_carries_its_version(demo):
    pages = demo()
    assert set(pages) == {"terms", "privacy", "cookies"}
    for page in pages.values():
        assert page.body.startswith(f"<p><b>{STARTER}.</b>"), page.slug
        assert page.version == "2026-12" and f"version {page.version}" in page.body
        html = Client().get(page.url).content.decode()
        assert STARTER in html and "Version 2026-12" in html


def test_the_privacy_policy_says_what_the_checkout_records_and_for_how_long(demo, settings):
    settings.PERSONAL_DATA_RETENTION_DAYS = 400
    privacy = demo()["privacy"].body
    for recorded in ("name and e-mail address", "IP address", "user agent", "fraud"):
        assert recorded in privacy, recorded
    assert "400 days" in privacy
    for processor in ("SumUp", "SendGrid", "Mailgun", "Sentry", "hosting provider"):
        assert processor in privacy, processor
    assert "JOIC" in privacy and "Jersey Office of the Information Commissioner" in privacy
    assert 'href="/legal/data-request/"' in privacy
    assert 'href="/terms/"' in privacy  # refunds are the Terms' to say


def test_the_cookie_policy_names_the_cookies_the_site_really_sets(demo):
    cookies = demo()["cookies"].body
    for name in (settings.CSRF_COOKIE_NAME, settings.SESSION_COOKIE_NAME, CONSENT_COOKIE):
        assert f"<b>{name}</b>" in cookies, name
    assert 'href="/legal/cookies/"' in cookies


def test_the_banner_starts_with_the_cookie_policys_version(demo):
    demo()
    banner = CookieConsentSettings.for_site(Site.objects.get(is_default_site=True))
    assert banner.policy_version == "2026-12" and banner.policy_page.slug == "cookies"


def test_a_rerun_keeps_what_editors_changed(demo):
    privacy = demo()["privacy"]
    privacy.body, privacy.version = "<p>Our own lawyer's words.</p>", "2027-02"
    privacy.save_revision().publish()
    banner = CookieConsentSettings.for_site(Site.objects.get(is_default_site=True))
    banner.policy_version = "3"
    banner.save()
    again = demo()
    assert again["privacy"].body == "<p>Our own lawyer's words.</p>" and again["privacy"].version == "2027-02"
    assert CookieConsentSettings.objects.get(pk=banner.pk).policy_version == "3"
    assert LegalPage.objects.count() == 3
