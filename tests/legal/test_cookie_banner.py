"""The cookie banner tells the truth: a notice while the site sets only necessary cookies, a real
choice (no JavaScript needed) once an editor turns analytics on, and the analytics snippet only
for visitors who accepted the current Cookie Policy."""

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from tests.factories import make_event, make_event_page
from tests.legal.helpers import ANALYTICS_SNIPPET, cookie_banner, enable_analytics, publish_legal_page

pytestmark = pytest.mark.django_db

CHOICE = reverse("legal:cookie-choice")
NECESSARY_COOKIES = {"csrftoken", "sessionid", "messages", "cookie_consent"}
SNIPPET_HOST = "plausible.io"


@pytest.fixture
def pages():
    """The kinds of page a visitor reads: home, an event, a legal page. Returns their URLs."""
    event_page = make_event_page(make_event("Consent Night", types=[("Standard", "10.00", 20)]))
    policy = publish_legal_page("cookies", version="2026-12", body="<p>Our cookies.</p>")
    cookie_banner(policy_page=policy)
    return ["/", event_page.url, policy.url]


def html(response):
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def answer(client, choice, next_url="/"):
    response = client.post(CHOICE, {"choice": choice, "next": next_url})
    assert response.status_code == 303
    return response


def banner_of(page_html):
    """The banner's own markup, or "" when the page shows none."""
    start = page_html.find('<section class="cookie-banner"')
    return "" if start < 0 else page_html[start : page_html.index("</section>", start)]


def test_with_no_optional_cookies_the_banner_is_a_notice_with_one_ok_button(pages):
    client = Client()
    for url in pages:
        response = client.get(url)
        banner = banner_of(html(response))
        assert 'value="ok">OK</button>' in banner, url
        assert "Accept" not in banner and "Reject" not in banner, url
        assert "Read our Cookie Policy" in banner
        assert SNIPPET_HOST not in html(response)
        assert set(response.cookies) <= {"csrftoken"}, (url, set(response.cookies))


def test_dismissing_the_notice_records_it_in_a_necessary_cookie_and_hides_it(pages):
    client = Client()
    response = answer(client, "ok", pages[1])
    assert response["Location"] == pages[1]
    consent = response.cookies["cookie_consent"]
    assert consent.value == "ok:1" and consent["httponly"] and consent["samesite"] == "Lax"
    for url in pages:
        assert banner_of(html(client.get(url))) == "", url


def test_with_analytics_on_nothing_optional_runs_or_is_set_before_an_answer(pages):
    enable_analytics()
    client = Client()
    for url in pages:
        response = client.get(url)
        page = html(response)
        banner = banner_of(page)
        assert 'value="analytics">Accept analytics</button>' in banner, url
        assert 'value="necessary">Reject non-essential</button>' in banner, url
        assert "Read our Cookie Policy" in banner
        assert SNIPPET_HOST not in page, url
        assert set(response.cookies) <= {"csrftoken"}, (url, set(response.cookies))


def test_accepting_analytics_without_javascript_runs_the_snippet_on_every_page(pages):
    enable_analytics()
    client = Client()
    response = answer(client, "analytics", pages[1])
    assert response["Location"] == pages[1]
    assert set(response.cookies) <= NECESSARY_COOKIES  # the snippet's own cookies are the provider's
    for url in pages:
        page = html(client.get(url))
        assert ANALYTICS_SNIPPET in page, url
        assert banner_of(page) == ""


def test_rejecting_non_essential_cookies_keeps_the_snippet_out_and_the_banner_away(pages):
    enable_analytics()
    client = Client()
    answer(client, "necessary")
    for url in pages:
        page = html(client.get(url))
        assert SNIPPET_HOST not in page and banner_of(page) == "", url


def test_a_new_cookie_policy_version_asks_everyone_again(pages):
    enable_analytics(policy_version="2026-12")
    client = Client()
    answer(client, "analytics")
    assert ANALYTICS_SNIPPET in html(client.get("/"))
    cookie_banner(policy_version="2027-03")
    page = html(client.get("/"))
    assert "Accept analytics" in banner_of(page)
    assert SNIPPET_HOST not in page


def test_dismissing_the_notice_is_no_answer_once_analytics_is_asked_about(pages):
    client = Client()
    answer(client, "ok")
    enable_analytics()
    page = html(client.get("/"))
    assert "Accept analytics" in banner_of(page) and SNIPPET_HOST not in page


def test_turning_analytics_off_stops_the_snippet_for_those_who_accepted(pages):
    enable_analytics()
    client = Client()
    answer(client, "analytics")
    cookie_banner(analytics_enabled=False)
    page = html(client.get("/"))
    assert SNIPPET_HOST not in page and banner_of(page) == ""


@pytest.mark.parametrize(
    "value",
    [
        "garbage",
        "analytics",
        "analytics:",
        ":1",
        "all",
        "analytics:1:extra",
        "ANALYTICS:1",
        "analytics:" + "1" * 500,
    ],
)
def test_a_forged_or_garbage_consent_cookie_counts_as_no_answer(pages, value):
    enable_analytics()
    client = Client()
    client.cookies["cookie_consent"] = value
    for url in pages:
        page = html(client.get(url))
        assert "Accept analytics" in banner_of(page), url
        assert SNIPPET_HOST not in page, url


def test_the_footer_links_the_cookie_settings_page_where_the_choice_can_change(pages):
    enable_analytics()
    client = Client()
    assert f'href="{CHOICE}">Cookie settings</a>' in html(client.get(pages[1]))
    settings_page = html(client.get(CHOICE))
    assert "You have not chosen yet" in settings_page
    assert banner_of(settings_page) == ""  # the page is the banner's long form
    assert 'value="analytics">Accept analytics</button>' in settings_page
    assert 'value="necessary">Reject non-essential</button>' in settings_page

    accepted = client.post(CHOICE, {"choice": "analytics", "next": CHOICE}, follow=True)
    assert "analytics accepted" in html(accepted) and ANALYTICS_SNIPPET in html(accepted)
    rejected = client.post(CHOICE, {"choice": "necessary", "next": CHOICE}, follow=True)
    assert "non-essential cookies rejected" in html(rejected) and SNIPPET_HOST not in html(rejected)
    assert SNIPPET_HOST not in html(client.get(pages[1]))


def test_the_cookie_settings_page_offers_no_choice_while_there_is_nothing_optional(pages):
    page = html(Client().get(CHOICE))
    assert "nothing to choose" in page
    assert "Accept analytics" not in page and "Reject non-essential" not in page


def test_the_cookie_settings_page_is_never_cached_by_browsers_or_the_page_cache(pages):
    response = Client().get(CHOICE)
    assert "no-cache" in response["Cache-Control"] and "X-Page-Cache" not in response


def test_an_answer_the_banner_cannot_send_is_refused_and_sets_nothing(pages):
    response = Client().post(CHOICE, {"choice": "all", "next": "/"})
    assert response.status_code == 400
    assert "cookie_consent" not in response.cookies


def test_the_banner_goes_back_only_to_this_site(pages):
    for target in ("https://evil.example/", "//evil.example/", "javascript:alert(1)"):
        response = answer(Client(), "necessary", target)
        assert response["Location"] == "/", target


def test_other_methods_on_the_choice_url_are_refused(pages):
    assert Client().put(CHOICE).status_code == 405


def test_editors_cannot_turn_analytics_on_without_a_snippet_or_without_the_banner(pages):
    with pytest.raises(ValidationError, match="Paste the analytics snippet"):
        cookie_banner(analytics_enabled=True, analytics_snippet="  ")
    with pytest.raises(ValidationError, match="must be shown while analytics is on"):
        cookie_banner(analytics_enabled=True, analytics_snippet=ANALYTICS_SNIPPET, enabled=False)
    with pytest.raises(ValidationError, match="Use letters, digits"):
        cookie_banner(policy_version="May 2026; path=/")


def test_editors_may_hide_the_notice_while_nothing_optional_is_used(pages):
    cookie_banner(enabled=False)
    assert banner_of(html(Client().get("/"))) == ""


def test_only_staff_allowed_to_change_the_banner_setting_can_edit_the_snippet(pages):
    from tests.factories import make_staff, signed_in

    banner = cookie_banner()
    url = f"/admin/settings/legal/cookieconsentsettings/{banner.site_id}/"
    editor = signed_in(make_staff("editor", "access_admin"))
    refused = editor.get(url)
    assert refused.status_code in (302, 403)
    assert SNIPPET_HOST not in refused.content.decode()
    trusted = signed_in(make_staff("owner", "access_admin", "change_cookieconsentsettings"))
    form = html(trusted.get(url))
    assert 'name="analytics_snippet"' in form and "runs unchecked" in form
