"""What an event page tells search engines and the sites it is shared on: schema.org Event data
(JSON-LD) and the picture, title and address that Open Graph and Twitter cards show.

Everything is read from what the page already holds (its event and ticket types, loaded once
for the page), so the page costs no query per ticket type. The JSON is escaped as Django's
`json_script` escapes it, so no title an editor types can close the script element.
"""

import json
from dataclasses import dataclass

from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from ticketing import shop

# The picture shared sites show: the size Open Graph recommends (1.91:1), as JPEG, which every
# site that reads the tags understands.
SHARE_RENDITION = "fill-1200x630|format-jpeg"
# Every venue this site sells is on the island.
VENUE_COUNTRY = "JE"

SCHEMA = "https://schema.org/"
IN_STOCK, SOLD_OUT, PRE_ORDER = SCHEMA + "InStock", SCHEMA + "SoldOut", SCHEMA + "PreOrder"
# What a buyer can do now, by the event's sales state, as schema.org's offer availability.
# On sale, each ticket type says for itself whether any are left. A draft event's page makes
# no offer at all.
AVAILABILITY = {
    shop.SalesState.NOT_YET: PRE_ORDER,
    shop.SalesState.SOLD_OUT: SOLD_OUT,
    shop.SalesState.CLOSED: SOLD_OUT,
    shop.SalesState.CANCELLED: SOLD_OUT,
}

_JSON_SCRIPT_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


@dataclass(frozen=True)
class SharedImage:
    """The page's picture, as the sites it is shared on show it."""

    url: str
    width: int
    height: int
    alt: str


def shared_image(page, request) -> SharedImage | None:
    """The hero image at SHARE_RENDITION, by its absolute address; None without one."""
    if page.hero_image is None:
        return None
    rendition = page.hero_image.get_rendition(SHARE_RENDITION)
    return SharedImage(
        url=request.build_absolute_uri(rendition.url),
        width=rendition.width,
        height=rendition.height,
        alt=rendition.alt or page.hero_image.title,
    )


def offer_availability(sales_state, ticket_type) -> str:
    if sales_state == shop.SalesState.ON_SALE:
        return IN_STOCK if ticket_type.remaining > 0 else SOLD_OUT
    return AVAILABILITY[sales_state]


def event_data(page, shown, *, url: str, image: SharedImage | None, description: str) -> dict:
    """schema.org's Event for an event page (`shown`: what `shop.event_for_page` returned)."""
    event = shown.event
    data = {
        "@context": "https://schema.org",
        "@type": "Event",
        "name": page.title,
        "description": description,
        "startDate": timezone.localtime(event.starts_at).isoformat(),
        "eventStatus": SCHEMA
        + ("EventCancelled" if shown.sales_state == shop.SalesState.CANCELLED else "EventScheduled"),
        "eventAttendanceMode": SCHEMA + "OfflineEventAttendanceMode",
        "location": {
            "@type": "Place",
            "name": event.venue,
            "address": {
                "@type": "PostalAddress",
                "streetAddress": event.venue,
                "addressCountry": VENUE_COUNTRY,
            },
        },
        "url": url,
    }
    if event.ends_at:
        data["endDate"] = timezone.localtime(event.ends_at).isoformat()
    if image is not None:
        data["image"] = [image.url]
    if shown.sales_state != shop.SalesState.DRAFT:
        data["offers"] = [
            {
                "@type": "Offer",
                "name": ticket_type.name,
                # A string, as schema.org writes prices: exact, never a float.
                "price": str(ticket_type.price),
                "priceCurrency": event.currency,
                "availability": offer_availability(shown.sales_state, ticket_type),
                "validFrom": timezone.localtime(event.sales_start).isoformat(),
                "url": f"{url}#tickets",
            }
            for ticket_type in shown.ticket_types
        ]
    return data


def json_ld(data: dict) -> SafeString:
    """`data` in a <script type="application/ld+json">, escaped as `json_script` escapes."""
    text = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False).translate(_JSON_SCRIPT_ESCAPES)
    return format_html('<script type="application/ld+json">{}</script>', mark_safe(text))  # noqa: S308
