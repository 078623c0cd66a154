"""What an event page tells search engines and the sites it is shared on: schema.org Event data
read back from the page, Open Graph and Twitter card tags, and the canonical address."""

import json
import re
from datetime import timedelta
from decimal import Decimal
from html import unescape
from io import BytesIO

import pytest
from django.core.files.images import ImageFile
from django.utils import timezone
from PIL import Image as PILImage
from wagtail.images import get_image_model

from tests.factories import events_index, make_event, make_event_page, make_order, ticket_types
from ticketing.models import Event

pytestmark = pytest.mark.django_db

JSON_LD = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.DOTALL)


def poster(title="poster"):
    buffer = BytesIO()
    PILImage.new("RGB", (1600, 900), (30, 60, 90)).save(buffer, format="PNG")
    return get_image_model().objects.create(title=title, file=ImageFile(buffer, name=f"{title}.png"))


def page_html(client, page):
    response = client.get(page.url)
    assert response.status_code == 200
    return response.content.decode()


def structured_data(client, page):
    [script] = JSON_LD.findall(page_html(client, page))
    return json.loads(script)


def meta(html, attribute, name):
    found = re.search(rf'<meta {attribute}="{re.escape(name)}" content="([^"]*)"', html)
    return unescape(found.group(1)) if found else None


def canonical(html):
    return re.search(r'<link rel="canonical" href="([^"]+)"', html).group(1)


def test_an_event_page_describes_its_event_for_search_engines(client):
    starts = timezone.now().replace(microsecond=0) + timedelta(days=30)
    event = make_event(
        "Blues Night",
        venue="Fort Regent",
        starts_at=starts,
        ends_at=starts + timedelta(hours=3),
        types=[("Adult", "20.00", 50), ("Child", "7.50", 20)],
    )
    page = make_event_page(event, summary="The best blues on the island.", hero_image=poster())

    data = structured_data(client, page)

    assert data["@context"] == "https://schema.org" and data["@type"] == "Event"
    assert data["name"] == "Blues Night"
    assert data["description"] == "The best blues on the island."
    assert data["eventStatus"] == "https://schema.org/EventScheduled"
    assert data["eventAttendanceMode"] == "https://schema.org/OfflineEventAttendanceMode"
    assert timezone.datetime.fromisoformat(data["startDate"]) == starts
    assert timezone.datetime.fromisoformat(data["endDate"]) == starts + timedelta(hours=3)
    assert data["location"]["@type"] == "Place" and data["location"]["name"] == "Fort Regent"
    assert data["location"]["address"]["streetAddress"] == "Fort Regent"
    assert data["url"] == page.get_full_url()
    [image] = data["image"]
    assert image.startswith("http://testserver/") and image.endswith(".jpg")
    offers = data["offers"]
    assert [(o["name"], Decimal(o["price"]), o["priceCurrency"]) for o in offers] == [
        ("Adult", Decimal("20.00"), "GBP"),
        ("Child", Decimal("7.50"), "GBP"),
    ]
    assert all(o["availability"] == "https://schema.org/InStock" for o in offers)
    assert all(timezone.datetime.fromisoformat(o["validFrom"]) == event.sales_start for o in offers)
    assert all(o["url"] == page.get_full_url() + "#tickets" for o in offers)


def availability(client, page):
    return [offer["availability"] for offer in structured_data(client, page)["offers"]]


def test_a_sold_out_ticket_type_is_sold_out_while_the_others_are_in_stock(client):
    event = make_event("Half Full", types=[("Adult", "20.00", 1), ("Child", "5.00", 10)])
    page = make_event_page(event)
    make_order(event, {"Adult": 1})
    assert availability(client, page) == ["https://schema.org/SoldOut", "https://schema.org/InStock"]


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"sales_start": timezone.now() + timedelta(days=2)}, "https://schema.org/PreOrder"),
        (
            {
                "sales_end": timezone.now() - timedelta(hours=1),
                "sales_start": timezone.now() - timedelta(days=3),
            },
            "https://schema.org/SoldOut",
        ),
        ({"status": Event.Status.CANCELLED}, "https://schema.org/SoldOut"),
    ],
)
def test_availability_follows_the_sales_state(client, fields, expected):
    page = make_event_page(make_event("Stateful", **fields))
    assert availability(client, page) == [expected]


def test_an_event_sold_out_overall_offers_nothing_in_stock(client):
    event = make_event("Small Room", capacity=1, types=[("Adult", "20.00", 5), ("Child", "5.00", 5)])
    page = make_event_page(event)
    make_order(event, {"Adult": 1})
    assert availability(client, page) == ["https://schema.org/SoldOut"] * 2


def test_a_cancelled_event_says_so(client):
    page = make_event_page(make_event("Called Off", status=Event.Status.CANCELLED))
    assert structured_data(client, page)["eventStatus"] == "https://schema.org/EventCancelled"


def test_a_page_of_a_draft_event_makes_no_offer(client):
    page = make_event_page(make_event("Not Yet Announced", status=Event.Status.DRAFT))
    assert "offers" not in structured_data(client, page)


def test_an_editors_title_cannot_break_out_of_the_script(client):
    title = '</script><script>alert("x")</script> & <!-- Rock'
    page = make_event_page(make_event(title))
    html = page_html(client, page)

    assert "<script>alert" not in html
    [script] = JSON_LD.findall(html)
    assert json.loads(script)["name"] == title


def test_open_graph_and_twitter_cards_show_the_hero_image_by_absolute_address(client):
    page = make_event_page(make_event("Shared Show"), summary="Come along.", hero_image=poster("hero"))
    html = page_html(client, page)

    image = meta(html, "property", "og:image")
    assert image.startswith("http://testserver/") and image == meta(html, "name", "twitter:image")
    assert client.get(image.removeprefix("http://testserver")).status_code in (
        200,
        404,
    )  # media not served in tests
    assert (meta(html, "property", "og:image:width"), meta(html, "property", "og:image:height")) == (
        "1200",
        "630",
    )
    assert meta(html, "property", "og:image:alt") == "hero"
    assert meta(html, "property", "og:title") == "Shared Show"
    assert meta(html, "property", "og:description") == "Come along."
    assert meta(html, "property", "og:url") == page.get_full_url()
    assert meta(html, "name", "twitter:card") == "summary_large_image"
    assert meta(html, "name", "twitter:title") == "Shared Show"
    assert meta(html, "name", "twitter:description") == "Come along."


def test_without_a_hero_image_the_card_is_a_summary(client):
    html = page_html(client, make_event_page(make_event("Plain Show")))
    assert meta(html, "name", "twitter:card") == "summary"
    assert meta(html, "property", "og:image") is None
    assert "image" not in json.loads(JSON_LD.findall(html)[0])


def test_pages_name_their_canonical_address(client):
    page = make_event_page(make_event("Canon"))
    assert canonical(page_html(client, page)) == page.get_full_url()
    assert canonical(client.get("/").content.decode()) == "http://localhost/"
    index = events_index()
    assert canonical(client.get(index.url + "?utm_source=mail").content.decode()) == index.get_full_url()


def test_a_listing_page_past_the_first_names_itself(client):
    for number in range(13):
        make_event_page(make_event(f"Event {number:02}"))
    index = events_index()
    html = client.get(index.url + "?page=2").content.decode()
    assert canonical(html) == index.get_full_url() + "?page=2"


def test_the_structured_data_of_a_cached_page_follows_a_sale(client, django_capture_on_commit_callbacks):
    event = make_event("Last Seat", types=[("Adult", "20.00", 1)])
    page = make_event_page(event)
    assert availability(client, page) == ["https://schema.org/InStock"]
    [adult] = ticket_types(event)
    with django_capture_on_commit_callbacks(execute=True):
        make_order(event, {adult.name: 1})
    assert availability(client, page) == ["https://schema.org/SoldOut"]
