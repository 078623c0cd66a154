"""Query counts do not grow with content: the events index and an event page render in a fixed,
small number of queries however many events and ticket types there are."""

from io import BytesIO

import pytest
from django.core.cache import cache
from django.core.files.images import ImageFile
from PIL import Image as PILImage
from wagtail.images import get_image_model

from core import page_cache
from home.models import EVENTS_PER_PAGE
from tests.factories import events_index, make_event, make_event_page

pytestmark = pytest.mark.django_db

# Explicit ceilings, measured with headroom (see the report in each assertion message): a
# change that adds a query per event or per ticket type breaks the equality checks below
# long before it reaches these.
HOME_QUERY_BOUND = 20
# Issue 14: a page that misses the page cache is cheap too. The site's furniture (settings, menu,
# footer) comes from its own cache, an event page is found in one query, its event and types in
# one, its hero image and renditions in two.
INDEX_QUERY_BOUND = 10
EVENT_PAGE_QUERY_BOUND = 8


def poster(title):
    """A tiny real image, so that cards and heroes render renditions as in production."""
    buffer = BytesIO()
    PILImage.new("RGB", (64, 36), (30, 60, 90)).save(buffer, format="PNG")
    return get_image_model().objects.create(title=title, file=ImageFile(buffer, name=f"{title}.png"))


def add_events(count, start=0, types=3):
    for number in range(start, start + count):
        event = make_event(
            f"Event {number:03}",
            types=[(f"Type {t}", f"{10 + t}.50", 100) for t in range(types)],
        )
        make_event_page(event, hero_image=poster(f"poster-{number}"))


def miss_page_cache():
    """Every cached page stale, as after a publish; the site furniture's own cache is kept,
    as it is on a live site between editors' changes."""
    from core import page_cache

    page_cache.content_changed()


def render(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return response


def warm(client, *urls):
    """Render once so that one-off work is done (content types, image renditions generated
    and stored), as on any running server; the measured render follows with a page-cache miss."""
    for url in urls:
        cache.clear()  # a page-cache hit would skip the very work this is meant to do
        page_cache.forget_local_entries()  # and so would this process's copies of a moment ago
        render(client, url)
    miss_page_cache()


def test_events_index_queries_do_not_grow_with_events(client, count_page_queries):
    url = events_index().url
    add_events(5)
    warm(client, url)
    few_response, few = count_page_queries(lambda: render(client, url))
    assert len(few_response.context["events"]) == 5

    add_events(45, start=5)
    warm(client, url, *(f"{url}?page={number}" for number in range(2, 6)))
    many_response, many = count_page_queries(lambda: render(client, url))
    assert len(many_response.context["events"]) == EVENTS_PER_PAGE
    assert many == few, f"5 events: {few} queries, 50 events: {many}"
    assert many <= INDEX_QUERY_BOUND, f"{many} queries"

    miss_page_cache()
    _, last_page = count_page_queries(lambda: render(client, f"{url}?page=5"))
    assert last_page <= INDEX_QUERY_BOUND, f"{last_page} queries on the last page"


def test_event_page_queries_do_not_grow_with_ticket_types(client, count_page_queries):
    one = make_event("One type", types=[("Standard", "20.00", 100)])
    ten = make_event("Ten types", types=[(f"Type {t}", f"{10 + t}.00", 50) for t in range(10)])
    one_page = make_event_page(one, hero_image=poster("one"))
    ten_page = make_event_page(ten, hero_image=poster("ten"))
    warm(client, one_page.url, ten_page.url)

    _, with_one = count_page_queries(lambda: render(client, one_page.url))
    miss_page_cache()
    response, with_ten = count_page_queries(lambda: render(client, ten_page.url))
    assert len(response.context["ticket_types"]) == 10
    assert with_ten == with_one, f"1 ticket type: {with_one} queries, 10 ticket types: {with_ten}"
    assert with_ten <= EVENT_PAGE_QUERY_BOUND, f"{with_ten} queries"


def test_home_page_queries_do_not_grow_with_events(client, count_page_queries):
    add_events(3)
    warm(client, "/")
    _, few = count_page_queries(lambda: render(client, "/"))
    add_events(30, start=3)
    warm(client, "/")
    _, many = count_page_queries(lambda: render(client, "/"))
    assert many == few, f"3 events: {few} queries, 33 events: {many}"
    assert many <= HOME_QUERY_BOUND, f"{many} queries"
