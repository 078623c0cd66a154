"""Every page type renders from the demo content; bad input gets a 404 in the site's design."""

import pytest
from wagtail.models import Site

from home.models import EventIndexPage, EventPage, HomePage
from legal.models import LegalPage

pytestmark = pytest.mark.usefixtures("demo_site")


def template_names(response):
    return [template.name for template in response.templates]


def get_ok(client, url):
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response


def test_home_page_renders_at_the_site_root(client):
    response = get_ok(client, "/")
    assert "home/home_page.html" in template_names(response)
    assert isinstance(response.context["page"], HomePage)
    # The next upcoming events are listed on the home page.
    first_event = EventPage.objects.live().order_by("event__starts_at").first()
    assert first_event.title.encode() in response.content.replace(b"&#x27;", b"'")


def test_any_host_name_reaches_the_default_site(client):
    assert Site.objects.get(is_default_site=True).root_page.specific_class is HomePage
    response = client.get("/", HTTP_HOST="tickets.example.je")
    assert response.status_code == 200
    assert isinstance(response.context["page"], HomePage)


def test_event_index_lists_upcoming_events(client):
    index = EventIndexPage.objects.get()
    response = get_ok(client, index.url)
    assert "home/event_index_page.html" in template_names(response)
    listed = [page.pk for page in response.context["events"]]
    assert listed == list(EventPage.objects.live().order_by("event__starts_at").values_list("pk", flat=True))


def test_every_event_page_renders_with_prices_and_checkout(client):
    pages = EventPage.objects.live().select_related("event")
    assert pages.count() >= 4
    for page in pages:
        response = get_ok(client, page.url)
        assert "home/event_page.html" in template_names(response)
        html = response.content.decode()
        for ticket_type in page.event.ticket_types.all():
            assert f"{ticket_type.price}" in html, (page.title, ticket_type.name)
        assert f"/tickets/events/{page.event_id}/checkout/" in html


def test_legal_pages_render(client):
    for slug in ("terms", "privacy", "cookies"):
        page = LegalPage.objects.get(slug=slug)
        response = get_ok(client, page.url)
        assert isinstance(response.context["page"], LegalPage)
        assert page.title in response.content.decode()


def test_unknown_page_is_a_404_in_the_site_design(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "404.html" in template_names(response)
    assert "base.html" in template_names(response)


def test_bad_page_number_on_the_index_is_a_404(client):
    index = EventIndexPage.objects.get()
    for page_number in ("abc", "999", "0", "-1", "1.5", "%ff"):
        response = client.get(index.url, {"page": page_number})
        assert response.status_code == 404, page_number
        # The first is rendered; the others share its entry in the page cache.
        assert "We can’t find that page" in response.content.decode(), page_number


MALFORMED_QUERIES = ("page=%ff%fe", "a=%zz", "page=%00", "%=%", "page=1&page=%ff", "&&&=", "q=" + "x" * 3000)


def test_malformed_query_string_is_never_a_500(client):
    for path in ("/", EventIndexPage.objects.get().url, EventPage.objects.first().url, "/terms/"):
        for query in MALFORMED_QUERIES:
            response = client.get(f"{path}?{query}")
            assert response.status_code in (200, 400, 404), (path, query[:20], response.status_code)
