"""Any byte, any length, anywhere in a request: a 4xx or the form again, never a 500, nothing changed.

Worth most on PostgreSQL (CI runs the suite there): PostgreSQL refuses a NUL in text, which is
what turned these requests into 500s; SQLite stores the NUL and hides the problem.

Every URL pattern of the shop and the legal pages is walked with hostile path arguments, query
strings and form bodies (urlencoded and multipart), signed in as staff so that staff-only pages
are reached too; Wagtail's pages, documents and the admin's searches of every ticketing and
privacy list get the same.
"""

from urllib.parse import unquote_to_bytes

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.converters import IntConverter

from legal.models import DataRequest
from tests.factories import BROWSER, make_event, make_event_page, ticket_types
from tests.network import closed_port
from ticketing.models import Order, Payment, Refund, Ticket, WebhookEvent

pytestmark = pytest.mark.django_db

# Percent-encoded, as they arrive on the wire.
HOSTILE = {
    "nul": "%00",
    "nul-inside": "abc%00def",
    "control": "%01",
    "terminal-escape": "%1b%5b31m",
    "delete": "%7f",
    "newline": "a%0ab",
    "invalid-utf8": "%ff%fe",
    "overlong-nul": "%c0%80",
    "surrogate": "%ed%a0%80",
    "huge": "x" * 5000,
}
PLACEHOLDER = "HOSTILE-PLACEHOLDER"
# Namespaces whose every URL pattern is walked.
WALKED_NAMESPACES = ("ticketing", "legal")


def changed_rows():
    """What a request could have changed: rows of every kind a buyer, staff or SumUp can create."""
    return {
        "orders": Order.objects.count(),
        "payments": Payment.objects.count(),
        "refunds": Refund.objects.count(),
        "webhook events": WebhookEvent.objects.count(),
        "data requests": DataRequest.objects.count(),
        "checked in": Ticket.objects.filter(checked_in_at__isnull=False).count(),
    }


@pytest.fixture
def shop(settings, staff_client):
    """An event on sale with its page, SumUp unreachable (nothing may get that far), no rate limits."""
    settings.SUMUP_API_BASE = f"http://127.0.0.1:{closed_port()}/sandbox/sumup"
    settings.CHECKOUT_RATE_LIMIT = "100000/m"
    settings.WEBHOOK_RATE_LIMIT = "100000/m"
    event = make_event("Jazz Night", types=[("Adult", "20.00", 10), ("Child", "7.50", 5)])
    page = make_event_page(event)
    staff_client.defaults["HTTP_USER_AGENT"] = BROWSER
    # A 500 is an answer to count, not an exception to stop at: each test lists every one.
    staff_client.raise_request_exception = False
    return {"event": event, "page": page, "client": staff_client}


def walked_urls(event):
    """(name, URL) of every pattern in WALKED_NAMESPACES, str arguments set to PLACEHOLDER.

    Integer arguments get the event's id, so the view itself runs.
    """
    urls = []

    def walk(patterns, namespace):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, entry.namespace or namespace)
            elif isinstance(entry, URLPattern) and namespace in WALKED_NAMESPACES and entry.name:
                kwargs = {
                    name: event.pk if isinstance(converter, IntConverter) else PLACEHOLDER
                    for name, converter in entry.pattern.converters.items()
                }
                urls.append(
                    (f"{namespace}:{entry.name}", reverse(f"{namespace}:{entry.name}", kwargs=kwargs))
                )

    walk(get_resolver().url_patterns, None)
    return urls


def site_urls(shop):
    page_url = shop["page"].url
    return [
        *walked_urls(shop["event"]),
        ("wagtail page", f"/{PLACEHOLDER}/"),
        ("wagtail child page", f"{page_url}{PLACEHOLDER}/"),
        ("event page", page_url),
        ("document", f"/documents/1/{PLACEHOLDER}"),
        ("admin login", "/admin/login/"),
    ]


def admin_search_urls():
    """Every list of the ticketing and privacy admin, and Wagtail's own searches."""
    lists = [
        name
        for name in get_resolver().reverse_dict
        if isinstance(name, str)
        and name.endswith("_modeladmin_index")
        and name.startswith(("ticketing_", "legal_"))
    ]
    wagtail = [
        "wagtailadmin_pages:search",
        "wagtailimages:index",
        "wagtaildocs:index",
        "wagtailusers_users:index",
    ]
    return [reverse(name) for name in sorted(lists) + wagtail]


def form_body(value: str) -> bytes:
    raw = value.encode()
    return b"&".join(
        [raw + b"=1", b"name=" + raw, b"email=" + raw, b"code=" + raw, b"next=" + raw, b"choice=" + raw]
    )


def multipart_body(value: str) -> tuple[bytes, str]:
    """A multipart form whose field names and values carry the (decoded) hostile bytes."""
    boundary = "hostileboundary"
    decoded = unquote_to_bytes(value)
    parts = []
    for name, content in ((b"name", decoded), (decoded, b"1"), (b"code", decoded)):
        parts.append(
            b"--" + boundary.encode() + b"\r\n"
            b'Content-Disposition: form-data; name="' + name + b'"\r\n\r\n' + content + b"\r\n"
        )
    body = b"".join(parts) + b"--" + boundary.encode() + b"--\r\n"
    return body, f"multipart/form-data; boundary={boundary}"


def requests_for(url: str, value: str):
    """(description, send) for each way of carrying `value` to `url`."""
    path = url.replace(PLACEHOLDER, value)
    multipart, multipart_type = multipart_body(value)
    return [
        ("GET path", lambda c: c.get(path)),
        ("GET query", lambda c: c.get(f"{path}?q={value}&{value}=1")),
        ("POST urlencoded", lambda c: c.post(path, form_body(value), "application/x-www-form-urlencoded")),
        ("POST multipart", lambda c: c.post(path, multipart, multipart_type)),
    ]


def test_the_walk_covers_every_buyer_and_door_url(shop):
    names = {name for name, _ in walked_urls(shop["event"])}
    expected = {"checkout", "order", "pay-again", "tickets", "sumup-webhook", "check-in", "check-in-event"}
    assert {f"ticketing:{name}" for name in expected} <= names
    assert "legal:cookie-choice" in names


@pytest.mark.parametrize("value", HOSTILE.values(), ids=HOSTILE.keys())
def test_every_url_answers_hostile_paths_queries_and_forms_without_a_500(shop, value):
    client, before = shop["client"], changed_rows()
    failures = []
    for name, url in site_urls(shop):
        for how, send in requests_for(url, value):
            status = send(client).status_code
            if status >= 500:
                failures.append(f"{how} {name}: {status}")
    assert failures == []
    assert changed_rows() == before


@pytest.mark.parametrize("value", [*HOSTILE.values(), "x" * 100_000], ids=[*HOSTILE.keys(), "enormous"])
def test_every_admin_search_answers_hostile_queries_without_a_500(shop, value):
    client, before = shop["client"], changed_rows()
    failures = []
    for url in admin_search_urls():
        status = client.get(f"{url}?q={value}").status_code
        if status >= 500:
            failures.append(f"{url}: {status}")
    assert failures == []
    assert changed_rows() == before


def checkout_data(event, **fields):
    adult, child = ticket_types(event)
    data = {
        "name": "Ann Example",
        "email": "ann@example.com",
        "accept_terms": "on",
        f"quantity_{adult.pk}": "1",
        f"quantity_{child.pk}": "0",
    }
    data.update(fields)
    return data


LONGER_THAN_THE_EMAIL_COLUMN = "a" * 64 + "@" + ("b" * 60 + ".") * 4 + "com"  # 312 characters


@pytest.mark.parametrize(
    "field, value",
    [
        ("name", "Ann\x00Example"),
        ("name", "Ann\x01Example"),
        ("name", "Ann\x1b[31mExample"),
        ("name", "A" * 201),
        ("name", "A" * 100_000),
        ("email", "ann\x00@example.com"),
        ("email", LONGER_THAN_THE_EMAIL_COLUMN),
        ("email", "a" * 250 + "@example.com"),
        # 212 characters, but twice as many once lower-cased ("İ" is "i" and a dot above): the
        # mailbox it is counted as would not fit its column either.
        ("email", "\u0130" * 200 + "@example.com"),
        ("email", "a" * 65 + "@example.com"),
        ("quantity", "\x00"),
        ("quantity", "9" * 5000),
        ("accept_terms", "\x00"),
    ],
)
def test_a_checkout_with_one_hostile_field_shows_the_form_again_and_creates_nothing(shop, field, value):
    event, client = shop["event"], shop["client"]
    adult = ticket_types(event)[0]
    key = f"quantity_{adult.pk}" if field == "quantity" else field
    before = changed_rows()
    response = client.post(
        reverse("ticketing:checkout", args=[event.pk]), checkout_data(event, **{key: value})
    )
    assert response.status_code == 400
    assert changed_rows() == before


@pytest.mark.parametrize(
    "header",
    ["Firefox\x00", "Firefox\x01", "Firefox\r\nX-Injected: 1"],
    ids=["nul", "control", "line-break"],
)
def test_a_checkout_from_a_hostile_user_agent_is_refused_and_creates_nothing(shop, header):
    event, client = shop["event"], shop["client"]
    before = changed_rows()
    response = client.post(
        reverse("ticketing:checkout", args=[event.pk]), checkout_data(event), HTTP_USER_AGENT=BROWSER + header
    )
    assert response.status_code == 400
    assert changed_rows() == before


@pytest.mark.parametrize(
    "body",
    [
        b'{"event_type": "CHECKOUT_STATUS_CHANGED", "id": "abc\\u0000def"}',
        b'{"id": "evt_1\\u0000", "type": "checkouts.paid", "object": {"id": "chk", "type": "checkout"}}',
        b'{"id": "evt_1", "type": "checkouts.paid", "object": {"id": "\\u0000", "type": "checkout"}}',
        b'{"event_type": "CHECKOUT\\u0000", "id": "abc"}',
        b'{"id": "\x00"}',
        b'{"id": "\xff\xfe"}',
        b'{"id": "\\ud800"}',
        b'{"id": "' + b"x" * 15_000 + b'"}',
        b"\x00" * 100,
    ],
    ids=[
        "nul-in-callback-id",
        "nul-in-event-id",
        "nul-in-checkout-id",
        "nul-in-event-type",
        "raw-nul",
        "invalid-utf8",
        "lone-surrogate",
        "huge-id",
        "only-nuls",
    ],
)
def test_the_webhook_answers_hostile_json_with_a_4xx_or_ignores_it_and_stores_nothing(shop, body):
    before = changed_rows()
    response = shop["client"].post(reverse("ticketing:sumup-webhook"), body, "application/json")
    assert response.status_code < 500
    assert changed_rows() == before


def test_an_absurdly_long_path_is_refused_with_the_sites_own_400_page(shop):
    response = shop["client"].get("/tickets/orders/" + "x" * 3000 + "/")
    assert response.status_code == 400
    assert "We couldn’t understand that request" in response.content.decode()


def test_a_nul_in_an_order_url_gets_the_sites_own_400_page(shop):
    response = shop["client"].get("/tickets/orders/%00/")
    assert response.status_code == 400
    assert "We couldn’t understand that request" in response.content.decode()


def test_a_textarea_may_still_send_lines_and_tabs(shop):
    """CR, LF and tab are what a multi-line form field sends: they are not refused."""
    response = shop["client"].post(
        reverse("legal:cookie-choice"),
        "choice=necessary&next=%2F&note=line%0D%0Aline%09tab",
        "application/x-www-form-urlencoded",
    )
    assert response.status_code == 303


def test_a_webhook_sent_as_a_small_multipart_form_still_gets_its_own_answer(shop):
    """Parsing a form's fields must not take the raw body away from a view that reads it."""
    body, content_type = multipart_body("hello")
    response = shop["client"].post(reverse("ticketing:sumup-webhook"), body, content_type)
    assert response.status_code == 415


@pytest.mark.parametrize(
    "body, content_type",
    [
        (b"garbage", "multipart/form-data"),
        (b"--x\r\ngarbage", "multipart/form-data; boundary=x"),
        (b"a=1", "application/x-www-form-urlencoded; charset=latin-1"),
        (b"a=1", "application/x-www-form-urlencoded; charset=no-such-charset"),
        (b"name=%ff%fe", "application/x-www-form-urlencoded"),
    ],
    ids=["no-boundary", "broken-multipart", "latin-1-form", "unknown-charset", "invalid-utf8"],
)
def test_bodies_that_cannot_be_parsed_get_a_4xx_everywhere(shop, body, content_type):
    client, before = shop["client"], changed_rows()
    failures = []
    for name, url in site_urls(shop):
        status = client.generic(
            "POST", url.replace(PLACEHOLDER, "x"), body, content_type=content_type
        ).status_code
        if status >= 500:
            failures.append(f"{name}: {status}")
    assert failures == []
    assert changed_rows() == before


def test_a_hostile_host_header_gets_a_400(shop):
    assert shop["client"].get("/tickets/orders/abc/", HTTP_HOST="exa\x00mple").status_code == 400
