"""Hostile input, generated: every public endpoint answers a 4xx or its form again, writes
nothing, and never answers 500, whatever Hypothesis sends.

tests/foundation/test_hostile_input.py walks every URL with a fixed list of bad bytes; this file
lets Hypothesis invent the values (oversized, wrongly typed, unicode, control characters, SQL
and HTML injection) for each field a buyer, a door or SumUp can send, and sends some twice
(replays). The examples are bounded (`EXAMPLES`) so CI runs the file in a minute or two, and
fixed (derandomised) so a failure in CI fails again on a laptop. For a longer hunt with fresh
examples: `HOSTILE_EXAMPLES=500 pytest tests/operations/test_hostile_properties.py`.

Each property holds for one endpoint:
- the answer is below 500;
- nothing is written (`changed_rows()` before and after), except where a value turns out to be
  an acceptable one (a name with an apostrophe is a name): then it is stored exactly as typed
  and shown escaped, never interpreted;
- an answer that shows the typed value back shows it escaped.
"""

import json
import os
import string
from urllib.parse import quote

import pytest
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.urls import reverse
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from legal.models import DataRequest
from tests.factories import BROWSER, make_event, make_event_page, make_paid_order, make_staff, signed_in
from tests.network import closed_port
from ticketing.models import BuyerEmail, Order, Payment, Refund, Ticket, WebhookEvent

pytestmark = pytest.mark.django_db

HUNT = int(os.environ.get("HOSTILE_EXAMPLES") or 0)
EXAMPLES = HUNT or 30
bounded = settings(
    max_examples=EXAMPLES,
    deadline=None,
    # The fixtures (an event, a signed-in client) are made once per test, not per example: each
    # example compares the row counts it found with those it leaves.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=not HUNT,  # CI sees the same examples each run: a failure is reproducible
    database=None,  # nothing written beside the project (the example database)
)

# --- What a hostile client sends ------------------------------------------------------------

SQL_INJECTION = [
    "' OR '1'='1",
    "'; DROP TABLE ticketing_order; --",
    '" OR ""="',
    "1; SELECT pg_sleep(5)--",
    "') UNION SELECT password FROM auth_user--",
    "%' AND 1=1 --",
]
HTML_INJECTION = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "javascript:alert(1)",
    "{{ settings.SECRET_KEY }}",
    "{% debug %}",
    "<svg/onload=alert(1)>",
]
CONTROL = "".join(chr(c) for c in [*range(0, 9), 11, 12, *range(14, 32), 127])

control_text = st.builds(
    lambda head, bad, tail: head + bad + tail,
    st.text(max_size=20),
    st.text(alphabet=CONTROL, min_size=1, max_size=5),
    st.text(max_size=20),
)
oversized = st.builds(lambda char, n: char * n, st.sampled_from("aé€𝄞<'"), st.integers(300, 20_000))
injection = st.sampled_from(SQL_INJECTION + HTML_INJECTION)
wrongly_typed = st.one_of(
    st.integers().map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(["[]", "{}", "null", "true", "-1", "1e309", "0x10", "NaN", "Infinity"]),
)
# Any text: unicode of every plane, surrogates excluded (they cannot be sent as UTF-8).
any_text = st.text(max_size=200)

hostile = st.one_of(control_text, oversized, injection, wrongly_typed, any_text)
# Values that can never be a valid answer: each field refuses them whatever the field.
always_invalid = st.one_of(control_text, st.builds(lambda n: "x" * n, st.integers(400, 20_000)))


def changed_rows():
    """What any request could have written: every kind of row a buyer, staff or SumUp creates."""
    return {
        "orders": Order.objects.count(),
        "payments": Payment.objects.count(),
        "refunds": Refund.objects.count(),
        "webhook events": WebhookEvent.objects.count(),
        "data requests": DataRequest.objects.count(),
        "buyer e-mails": BuyerEmail.objects.count(),
        "checked in": Ticket.objects.filter(checked_in_at__isnull=False).count(),
    }


def is_email(value: str) -> bool:
    try:
        validate_email(value.strip())
    except ValidationError:
        return False
    return True


def shows_no_raw_markup(response, value):
    """An answer that repeats what was typed must escape it: no injected tag is ever live."""
    if "<" not in value or not response.get("Content-Type", "").startswith("text/html"):
        return True
    return value not in response.content.decode(errors="replace")


# --- The shop --------------------------------------------------------------------------------


@pytest.fixture
def shop(settings, client):
    """An event on sale, SumUp unreachable (nothing hostile may get that far), limits lifted, and
    a buyer's browser that reports a 500 as an answer instead of raising it."""
    settings.SUMUP_API_BASE = f"http://127.0.0.1:{closed_port()}/sandbox/sumup"
    for limit in (
        "CHECKOUT_RATE_LIMIT",
        "WEBHOOK_RATE_LIMIT",
        "DATA_REQUEST_RATE_LIMIT",
        "FIND_ORDERS_RATE_LIMIT",
        "PAY_AGAIN_RATE_LIMIT",
        "PAY_AGAIN_RATE_LIMIT_PER_ORDER",
    ):
        setattr(settings, limit, "1000000/m")
    event = make_event("Jazz Night", types=[("Adult", "20.00", 10), ("Child", "7.50", 5)])
    make_event_page(event)
    client.defaults["HTTP_USER_AGENT"] = BROWSER
    client.raise_request_exception = False
    return {"event": event, "client": client}


def checkout_fields(event, **fields):
    adult, child = event.ticket_types.order_by("pk")
    data = {
        "name": "Ann Example",
        "email": "ann@example.com",
        "accept_terms": "on",
        f"quantity_{adult.pk}": "1",
        f"quantity_{child.pk}": "0",
    }
    data.update(fields)
    return data


def quantity_key(event):
    return f"quantity_{event.ticket_types.order_by('pk').first().pk}"


CHECKOUT_FIELDS = ["name", "email", "accept_terms", "quantity", "step", "captcha", "quantity_999999"]


@bounded
@given(field=st.sampled_from(CHECKOUT_FIELDS), value=hostile)
@example(field="name", value="Siân O'Brien <script>alert(1)</script>")  # accepted, and escaped
@example(field="name", value="'; DROP TABLE ticketing_order; --")
def test_the_checkout_review_answers_any_field_with_the_form_or_the_review_and_writes_nothing(
    shop, field, value
):
    """The review step validates everything and reserves nothing: a 400 with the form, or the
    review page when the value is an acceptable one, shown escaped."""
    event, client = shop["event"], shop["client"]
    key = quantity_key(event) if field == "quantity" else field
    data = {**checkout_fields(event, **{key: value}), "step": "review"}
    if field == "step":
        data["step"] = value
        data["name"] = "x" * 400  # whatever the step, the order itself is refused
    before = changed_rows()
    response = client.post(reverse("ticketing:checkout", args=[event.pk]), data)
    assert response.status_code in (200, 400, 409), response.status_code
    assert changed_rows() == before
    assert shows_no_raw_markup(response, value)


@bounded
@given(field=st.sampled_from(["name", "email", "quantity"]), value=always_invalid)
def test_placing_an_order_with_a_field_no_form_accepts_gets_the_form_again_and_reserves_nothing(
    shop, field, value
):
    event, client = shop["event"], shop["client"]
    key = quantity_key(event) if field == "quantity" else field
    before = changed_rows()
    response = client.post(
        reverse("ticketing:checkout", args=[event.pk]), checkout_fields(event, **{key: value})
    )
    assert response.status_code == 400
    assert changed_rows() == before


@bounded
@given(
    fields=st.dictionaries(st.text(max_size=30), st.lists(hostile, max_size=3), max_size=6),
    user_agent=st.one_of(st.just(BROWSER), hostile),
)
def test_a_checkout_post_of_any_shape_never_answers_500_nor_reserves_without_a_valid_order(
    shop, fields, user_agent
):
    """Arbitrary field names (repeated, empty, unicode) and user agents: the view sees a QueryDict
    of lists, as a real attacker's form gives it."""
    event, client = shop["event"], shop["client"]
    before = changed_rows()
    response = client.post(
        reverse("ticketing:checkout", args=[event.pk]), fields, HTTP_USER_AGENT=user_agent.replace("\n", " ")
    )
    assert 400 <= response.status_code < 500 or response.status_code == 200
    assert changed_rows() == before


def test_the_properties_reach_the_accepting_branch_too(shop):
    """The baseline: a well-formed order reaches the review page with its name escaped, and a
    well-formed data request is stored; so a property's 400s are the hostile values' own."""
    event, client = shop["event"], shop["client"]
    name = "Siân <b>O'Brien</b>"
    review = client.post(
        reverse("ticketing:checkout", args=[event.pk]),
        {**checkout_fields(event, name=name), "step": "review"},
    )
    assert review.status_code == 200
    assert "Siân &lt;b&gt;O&#x27;Brien&lt;/b&gt;" in review.content.decode()
    assert (
        client.post(reverse("legal:data-request"), {"email": "ann@example.com", "kind": "export"}).status_code
        == 303
    )


# --- Order, ticket and check-in URLs ---------------------------------------------------------

ORDER_URLS = ["/tickets/orders/{}/", "/tickets/orders/{}/pay/", "/tickets/orders/{}/tickets/",
              "/tickets/orders/{}/calendar.ics", "/legal/data-request/confirm/{}/"]  # fmt: skip


@bounded
@given(template=st.sampled_from(ORDER_URLS), token=hostile, method=st.sampled_from(["get", "post"]))
def test_an_order_or_ticket_url_with_any_token_is_a_4xx_and_changes_nothing(shop, template, token, method):
    client = shop["client"]
    before = changed_rows()
    response = getattr(client, method)(template.format(quote(token, safe="")))
    assert 400 <= response.status_code < 500, response.status_code
    assert changed_rows() == before


@pytest.fixture
def door(shop):
    """A door with a paid order's tickets for the event, the door staff signed in."""
    order = make_paid_order(shop["event"], {"Adult": 2})
    client = signed_in(make_staff("door", "check_in_ticket"))
    client.raise_request_exception = False
    return {"client": client, "order": order, "event": shop["event"]}


@bounded
@given(code=hostile, as_json=st.booleans())
def test_a_check_in_with_any_code_admits_nobody(door, code, as_json):
    client, event = door["client"], door["event"]
    before = changed_rows()
    headers = {"HTTP_ACCEPT": "application/json"} if as_json else {}
    response = client.post(reverse("ticketing:check-in-event", args=[event.pk]), {"code": code}, **headers)
    assert response.status_code < 500
    if response.status_code == 200 and as_json:
        assert response.json()["admitted"] is False
    assert changed_rows() == before
    assert shows_no_raw_markup(response, code)


def test_a_replayed_check_in_admits_the_ticket_once(door):
    client, event = door["client"], door["event"]
    ticket = door["order"].tickets.first()
    url = reverse("ticketing:check-in-event", args=[event.pk])
    answers = [
        client.post(url, {"code": ticket.code}, HTTP_ACCEPT="application/json").json() for _ in range(3)
    ]
    assert Ticket.objects.filter(checked_in_at__isnull=False).count() == 1
    assert [answer["admitted"] for answer in answers] == [True, False, False]
    assert answers[1]["outcome"] == answers[2]["outcome"] == "already_checked_in"
    assert answers[2]["checked_in"] == 1


# --- The SumUp webhook -----------------------------------------------------------------------

json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), hostile),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(hostile, children, max_size=4),
    max_leaves=12,
)
callback_shaped = st.fixed_dictionaries(
    {"event_type": st.one_of(st.just("CHECKOUT_STATUS_CHANGED"), hostile), "id": json_values}
)
event_shaped = st.fixed_dictionaries(
    {
        "id": json_values,
        "type": st.one_of(st.just("checkouts.paid"), hostile),
        "object": st.one_of(json_values, st.fixed_dictionaries({"id": json_values, "type": json_values})),
    }
)
webhook_bodies = st.one_of(
    callback_shaped.map(lambda body: json.dumps(body).encode()),
    event_shaped.map(lambda body: json.dumps(body).encode()),
    json_values.map(lambda body: json.dumps(body).encode()),
    st.binary(max_size=2000),
    st.builds(lambda n: b'{"id": "' + b"x" * n + b'"}', st.integers(10_000, 40_000)),
)
header_values = st.one_of(
    st.text(alphabet=string.printable.strip() + " ", max_size=300), st.sampled_from(["", "t=1,v1=abc", "v1="])
)
content_types = st.sampled_from(
    [
        "application/json",
        "application/json; charset=utf-16",
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data",
        "application/json; charset=nonsense",
        "",
    ]  # fmt: skip
)


@bounded
@given(
    body=webhook_bodies,
    content_type=content_types,
    signature=st.one_of(st.none(), header_values),
    signed=st.booleans(),
)
def test_the_webhook_answers_any_body_and_header_without_a_500_and_stores_nothing(
    shop, settings, body, content_type, signature, signed
):
    """With and without an event-signing secret; each delivery sent twice, as a replay."""
    settings.SUMUP_WEBHOOK_SECRET = "whsec_hostile_test_secret" if signed else ""
    headers = {} if signature is None else {"HTTP_X_SUMUP_WEBHOOK_SIGNATURE": signature}
    before = changed_rows()
    answers = [
        shop["client"]
        .generic("POST", reverse("ticketing:sumup-webhook"), body, content_type, **headers)
        .status_code
        for _ in range(2)
    ]
    assert all(status < 500 for status in answers), answers
    assert answers[0] == answers[1]
    assert changed_rows() == before


# --- The legal forms -------------------------------------------------------------------------


@bounded
@given(choice=hostile, next_url=st.one_of(hostile, st.sampled_from(["//evil.example/", "https://evil.example/",
       "/\\evil.example", "javascript:alert(1)", "/ok/"])))  # fmt: skip
def test_the_cookie_form_refuses_unknown_choices_and_never_sends_the_buyer_elsewhere(shop, choice, next_url):
    before = changed_rows()
    response = shop["client"].post(reverse("legal:cookie-choice"), {"choice": choice, "next": next_url})
    assert response.status_code in (303, 400)
    if response.status_code == 303:
        location = response["Location"]
        assert location.startswith("/") and not location.startswith(("//", "/\\"))
    assert changed_rows() == before


@bounded
@given(email=hostile, kind=st.one_of(st.sampled_from(["export", "erase"]), hostile))
@example(email="o'brien+x@example.com", kind="export")  # an address: stored as typed
def test_the_data_request_form_refuses_what_is_not_an_address_and_stores_an_address_as_typed(
    shop, email, kind
):
    before = changed_rows()
    response = shop["client"].post(reverse("legal:data-request"), {"email": email, "kind": kind})
    assert response.status_code in (303, 400), response.status_code
    if response.status_code == 400:
        assert changed_rows() == before
        assert shows_no_raw_markup(response, email)
    else:  # an address a mail server would take, and a kind of request there is
        assert is_email(email)
        latest = DataRequest.objects.order_by("-pk").first()
        assert latest.email == email.strip()
        assert changed_rows()["data requests"] == before["data requests"] + 1


@bounded
@given(email=hostile)
def test_find_my_tickets_refuses_what_is_not_an_address_and_writes_nothing_either_way(shop, email):
    before = changed_rows()
    response = shop["client"].post(reverse("ticketing:find-orders"), {"email": email})
    assert response.status_code in (303, 400), response.status_code
    if response.status_code == 400:
        assert shows_no_raw_markup(response, email)
    else:
        assert is_email(email)
    assert changed_rows() == before


@bounded
@given(
    path=st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=300),
    query=st.text(max_size=300),
)
def test_any_path_and_query_on_the_site_is_answered_below_500(shop, path, query):
    before = changed_rows()
    response = shop["client"].get("/" + quote(path, safe="/"), {"q": query})
    assert response.status_code < 500, response.status_code
    assert changed_rows() == before
