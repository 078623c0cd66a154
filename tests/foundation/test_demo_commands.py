"""`load_demo_content` and `ensure_demo_admin` are idempotent: `make demo` may run any number of times."""

import io
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone
from wagtail.images import get_image_model
from wagtail.models import Page, Revision, Site

from core.models import SiteSettings
from home.models import EventIndexPage, EventPage, HomePage
from legal.models import CookieConsentSettings, LegalPage
from ticketing.models import Event, TicketType

pytestmark = pytest.mark.django_db


def snapshot():
    """What a re-run must not change: how many of everything, and which ids."""
    return {
        "pages": sorted(Page.objects.values_list("pk", flat=True)),
        "revisions": Revision.objects.count(),
        "sites": sorted(Site.objects.values_list("pk", "root_page_id")),
        "events": sorted(Event.objects.values_list("pk", "title")),
        "ticket_types": sorted(TicketType.objects.values_list("pk", "event_id", "name", "price", "capacity")),
        "images": sorted(get_image_model().objects.values_list("pk", "title")),
        "site_settings": SiteSettings.objects.count(),
        "cookie_settings": CookieConsentSettings.objects.count(),
    }


def test_load_demo_content_twice_creates_nothing_new(demo_site):
    first = snapshot()
    call_command("load_demo_content", stdout=io.StringIO())
    assert snapshot() == first


def test_demo_content_replaces_the_welcome_page(demo_site):
    assert not Page.objects.filter(title__startswith="Welcome to your new Wagtail site").exists()
    site = Site.objects.get(is_default_site=True)
    assert isinstance(site.root_page.specific, HomePage)
    assert EventIndexPage.objects.child_of(site.root_page).live().count() == 1


def test_demo_events_are_on_sale_soon_at_jersey_venues(demo_site):
    now = timezone.now()
    pages = EventPage.objects.live().select_related("event")
    assert pages.count() >= 4
    for page in pages:
        event = page.event
        assert event.status == Event.Status.ON_SALE
        assert event.sales_start < now
        assert (
            now + timedelta(weeks=2) - timedelta(days=1)
            <= event.starts_at
            <= now + timedelta(weeks=8, days=1)
        )
        assert event.sales_state() == Event.SalesState.ON_SALE
        assert 1 <= event.ticket_types.count() <= 3
        assert page.hero_image is not None
        assert {block.block_type for block in page.body} >= {"paragraph", "quote", "image"}
    venues = " ".join(Event.objects.values_list("venue", flat=True))
    for venue in ("Jersey Opera House", "Jersey Arts Centre", "Fort Regent", "Royal Jersey Showground"):
        assert venue in venues
    shared = Event.objects.filter(capacity__isnull=False)
    assert any(event.ticket_types.count() >= 2 for event in shared), "one event shares its capacity"


def test_demo_legal_pages_and_settings(demo_site):
    site = Site.objects.get(is_default_site=True)
    titles = set(LegalPage.objects.live().child_of(site.root_page).values_list("title", flat=True))
    assert titles == {"Terms of Service", "Privacy Policy", "Cookie Policy"}
    privacy = LegalPage.objects.get(slug="privacy").body
    for topic in ("e-mail", "IP address", "browser", "Your rights", "How long"):
        assert topic in privacy
    footer = SiteSettings.for_site(site).footer_links
    assert [block.value["page"].title for block in footer] == [
        "Terms of Service",
        "Privacy Policy",
        "Cookie Policy",
    ]
    assert CookieConsentSettings.for_site(site).policy_page.specific.title == "Cookie Policy"


def test_rerun_keeps_event_ids_and_moves_past_events_forward(demo_site):
    event = Event.objects.order_by("pk").first()
    Event.objects.filter(pk=event.pk).update(starts_at=timezone.now() - timedelta(days=30))
    TicketType.objects.filter(event=event).update(sold=2)
    call_command("load_demo_content", stdout=io.StringIO())
    event.refresh_from_db()
    assert event.starts_at > timezone.now() + timedelta(weeks=1)
    assert set(TicketType.objects.filter(event=event).values_list("sold", flat=True)) == {2}


def test_ensure_demo_admin_twice_makes_one_admin(monkeypatch):
    monkeypatch.setenv("DEMO_ADMIN_PASSWORD", "a-demo-password-for-tests")
    first, second = io.StringIO(), io.StringIO()
    call_command("ensure_demo_admin", stdout=first)
    admin = get_user_model().objects.get(username="admin")
    password_hash = admin.password
    call_command("ensure_demo_admin", stdout=second)
    assert get_user_model().objects.filter(username="admin").count() == 1
    admin.refresh_from_db()
    assert admin.is_superuser and admin.is_staff
    assert admin.check_password("a-demo-password-for-tests")
    assert admin.password == password_hash
    assert "a-demo-password-for-tests" not in first.getvalue()
    assert "already exists" in second.getvalue()


def test_ensure_demo_admin_prints_a_generated_password_once(monkeypatch):
    monkeypatch.delenv("DEMO_ADMIN_PASSWORD", raising=False)
    out = io.StringIO()
    call_command("ensure_demo_admin", stdout=out)
    password = out.getvalue().split("password: ")[1].split()[0]
    assert get_user_model().objects.get(username="admin").check_password(password)
    again = io.StringIO()
    call_command("ensure_demo_admin", stdout=again)
    assert password not in again.getvalue()


SEASONS_AND_MONTHS = [
    "spring",
    "summer",
    "autumn",
    "winter",
    "christmas",
    "easter",
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
]


def test_demo_words_fit_whatever_the_date(demo_site):
    """Demo events start a few weeks from whenever the demo is loaded, so no title or summary
    may name a season or a month (a "summer" show in December tells the visitor it is wrong)."""
    for event_page in EventPage.objects.live():
        words = f"{event_page.title} {event_page.event.title} {event_page.search_description}".lower()
        assert not [word for word in SEASONS_AND_MONTHS if f" {word} " in f" {words} "], event_page.title


def test_demo_pictures_carry_no_words(demo_site):
    """Titles are set by the page over or beside the picture; none is baked into the image.
    Words were drawn in pure white; the artwork itself never reaches it."""
    from PIL import Image, ImageChops

    for image in get_image_model().objects.filter(title__startswith="Demo:"):
        with image.open_file() as file, Image.open(file) as picture:
            red, green, blue = picture.convert("RGB").split()
            darkest = ImageChops.darker(ImageChops.darker(red, green), blue)  # min(r, g, b)
            near_white = sum(darkest.histogram()[236:])
            assert near_white < picture.width * picture.height / 2000, image.title
