"""What a buyer meets at the checkout before paying: the total, the limits, every error at once,
the review step that shows the total without JavaScript, and no dead ends (a GET, the rate limit)."""

import re
from datetime import timedelta
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import BROWSER, make_event, make_event_page, make_order, ticket_types
from ticketing.models import Order, TicketType

pytestmark = pytest.mark.django_db


@pytest.fixture
def show():
    """Folk Night: Adult £12.50 (at most 4 per order, 20 left), Child £6.00 (at most 6, 3 left)."""
    event = make_event("Folk Night", types=[("Adult", "12.50", 20), ("Child", "6.00", 3)])
    TicketType.objects.filter(event=event, name="Adult").update(max_per_order=4)
    TicketType.objects.filter(event=event, name="Child").update(max_per_order=6)
    make_event_page(event)
    return event


def order_data(event, adult=2, child=1, **overrides):
    adult_type, child_type = ticket_types(event)
    data = {
        "name": "Ann Example",
        "email": "ann@example.com",
        "accept_terms": "on",
        f"quantity_{adult_type.pk}": adult,
        f"quantity_{child_type.pk}": child,
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def checkout(client, event, data, **headers):
    headers.setdefault("HTTP_USER_AGENT", BROWSER)
    return client.post(reverse("ticketing:checkout", args=[event.pk]), data, **headers)


def text_of(response):
    """The page's words, tags removed, spaces collapsed: what a reader sees."""
    html = response.content.decode()
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html))).strip()


def nothing_happened(event):
    return Order.objects.count() == 0 and all(t.sold == 0 for t in ticket_types(event))


def hidden_fields(response):
    html = response.content.decode()
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', html))


def described_by_ids_exist(html):
    """Every id an aria-describedby names is on the page (none points at nothing)."""
    ids = set(re.findall(r'\bid="([^"]+)"', html))
    named = {name for value in re.findall(r'aria-describedby="([^"]*)"', html) for name in value.split()}
    return named and named <= ids, named - ids


# --- The review step: the total before payment, without JavaScript ----------------------------


def test_the_review_step_shows_lines_unit_prices_line_totals_and_the_total(client, show):
    response = checkout(client, show, {**order_data(show, adult=2, child=1), "step": "review"})

    assert response.status_code == 200
    words = text_of(response)
    assert "Review your order" in words
    assert "Adult £12.50 2 £25.00" in words
    assert "Child £6.00 1 £6.00" in words
    assert "Total £31.00" in words
    assert "Pay £31.00" in words
    assert "Ann Example" in words and "ann@example.com" in words
    assert response["Cache-Control"].count("no-store") == 1
    assert nothing_happened(show), "nothing is reserved until the buyer presses Pay"


def test_the_review_carries_the_order_on_to_pay_for_the_same_total(sumup_sandbox, client, settings):
    event = make_event("Folk Night", types=[("Adult", "12.50", 20), ("Child", "6.00", 3)])
    make_event_page(event)
    review = checkout(client, event, {**order_data(event, adult=2, child=1), "step": "review"})
    fields = hidden_fields(review)
    assert fields["name"] == "Ann Example" and fields["accept_terms"] == "on"

    response = checkout(client, event, {**fields, "step": "pay"})

    assert response.status_code == 303
    assert "/sandbox/sumup/pay/" in response["Location"]
    order = Order.objects.get()
    assert str(order.total) == "31.00"
    assert {line.ticket_type.name: line.quantity for line in order.lines.all()} == {"Adult": 2, "Child": 1}


def test_change_your_order_goes_back_to_the_form_with_what_was_typed(client, show):
    adult, _ = ticket_types(show)
    review = checkout(client, show, {**order_data(show, adult=3, child=0), "step": "review"})

    response = checkout(client, show, {**hidden_fields(review), "step": "change"})

    html = response.content.decode()
    assert response.status_code == 200
    assert f'name="quantity_{adult.pk}" value="3"' in html
    assert 'value="Ann Example"' in html
    assert "checkout-errors" not in html
    assert nothing_happened(show)


def test_without_the_step_the_order_goes_straight_to_payment_as_the_live_total_asks(client, show):
    # A bad e-mail keeps SumUp out of it: the answer is the form, not a review page.
    response = checkout(client, show, {**order_data(show), "email": "nope", "step": "pay"})
    assert response.status_code == 400
    assert "Pay £" not in text_of(response)


# --- Limits said up front -----------------------------------------------------------------------


def test_quantity_inputs_carry_the_real_maximum_and_say_the_limit(client, show):
    adult, child = ticket_types(show)
    html = client.get(show.pages.first().url).content.decode()

    adult_input = re.search(rf'<input[^>]*name="quantity_{adult.pk}"[^>]*>', html).group(0)
    child_input = re.search(rf'<input[^>]*name="quantity_{child.pk}"[^>]*>', html).group(0)
    assert 'max="4"' in adult_input, "the order maximum, fewer than the 20 left"
    assert 'max="3"' in child_input, "what is left, fewer than the order maximum of 6"
    assert 'min="0"' in adult_input
    assert "At most 4 per order." in html and "At most 6 per order." in html
    assert f'data-price="{adult.price}"' in html


def test_the_per_email_limit_says_the_limit(client, show, settings):
    settings.MAX_TICKETS_PER_EMAIL_PER_EVENT = 3
    make_order(show, {"Adult": 2}, ip="198.51.100.9")

    response = checkout(client, show, order_data(show, adult=2, child=0))

    assert response.status_code == 409
    assert "We sell at most 3 tickets for this event to one e-mail address" in text_of(response)
    assert Order.objects.count() == 1


# --- Every error in one round, summed up at the top ---------------------------------------------


def test_every_error_is_shown_in_one_round_with_a_summary_that_takes_focus(client, show):
    data = order_data(show, adult=0, child=0, name="", email="ann@", accept_terms=None)

    response = checkout(client, show, data)

    assert response.status_code == 400
    html = response.content.decode()
    summary = re.search(r'<div class="form-errors[^>]*id="checkout-errors"[^>]*>(.*?)</div>', html, re.S)
    assert summary, html
    assert 'tabindex="-1"' in summary.group(0) and "autofocus" in summary.group(0)
    for message in (
        "Choose at least one ticket.",
        "Please tell us your name.",
        "does not look right",
        "Please accept the Terms of Service",
    ):
        assert message in summary.group(1), message
    assert '<a href="#id_email">' in summary.group(1), "each field's error links to the field"
    assert html.count('id="checkout-errors"') == 1
    assert nothing_happened(show)


def test_two_types_over_their_maximum_are_both_named_at_once(client, show):
    TicketType.objects.filter(event=show).update(capacity=50)
    response = checkout(client, show, order_data(show, adult=5, child=7, email="bad"))

    words = text_of(response)
    assert response.status_code == 400
    assert "at most 4 Adult tickets" in words
    assert "at most 6 Child tickets" in words
    assert "does not look right" in words
    assert nothing_happened(show)


def test_a_number_that_does_not_parse_does_not_claim_no_ticket_was_chosen(client, show):
    response = checkout(client, show, order_data(show, adult="two", child=0))

    words = text_of(response)
    assert "Enter a whole number of tickets." in words
    assert "Choose at least one ticket." not in words


@pytest.mark.parametrize("with_errors", [False, True])
def test_inputs_are_described_only_by_elements_that_exist(client, show, with_errors):
    if with_errors:
        response = checkout(client, show, order_data(show, adult=9, name="", email="x"))
    else:
        response = client.get(show.pages.first().url)
    html = response.content.decode()

    ok, missing = described_by_ids_exist(html)
    assert ok, f"aria-describedby names missing ids: {missing}"
    if with_errors:
        assert re.search(r'<input[^>]*aria-describedby="id_email_helptext id_email_error"', html)
        assert re.search(r'<input[^>]*aria-invalid="true"[^>]*id="id_name"', html)


# --- No dead ends ---------------------------------------------------------------------------------


def test_a_get_on_the_checkout_goes_to_the_event_pages_tickets(client, show):
    response = client.get(reverse("ticketing:checkout", args=[show.pk]))

    assert response.status_code == 302
    assert response["Location"] == show.pages.first().url + "#tickets"


def test_a_get_for_an_unknown_event_or_one_without_a_page_is_a_404(client):
    bare = make_event("No Page Yet")
    assert client.get(reverse("ticketing:checkout", args=[999999])).status_code == 404
    assert client.get(reverse("ticketing:checkout", args=[bare.pk])).status_code == 404


def test_over_the_rate_limit_the_form_comes_back_with_what_was_typed(client, show, settings):
    settings.CHECKOUT_RATE_LIMIT = "1/d"
    adult, _ = ticket_types(show)
    assert checkout(client, show, {**order_data(show, adult=1), "step": "review"}).status_code == 200

    response = checkout(client, show, {**order_data(show, adult=3), "step": "review"})

    html = response.content.decode()
    assert response.status_code == 429
    assert response["Retry-After"] == "60"
    assert "Too many orders have come from your connection" in text_of(response)
    assert 'value="Ann Example"' in html and 'value="ann@example.com"' in html
    assert f'name="quantity_{adult.pk}" value="3"' in html
    assert nothing_happened(show)


# --- Bad input: a clear 4xx, nothing changed ---------------------------------------------------------


@pytest.mark.parametrize(
    "change",
    [
        {"name": "A" * 10_000},
        {"email": "ann\x00@example.com"},
        {"name": "\x00"},
        {"quantity_999999": "1"},
        {"email": "a" * 300 + "@example.com"},
    ],
)
@pytest.mark.parametrize("step", ["review", "pay", "change"])
def test_bad_input_at_any_step_is_a_4xx_and_changes_nothing(client, show, change, step):
    data = {**order_data(show), "step": step, **change}

    response = checkout(client, show, data)

    assert 200 <= response.status_code < 500
    assert nothing_happened(show)


def test_a_review_for_an_event_whose_sales_closed_is_refused(client, show):
    show.sales_end = timezone.now() - timedelta(minutes=1)
    show.save()

    response = checkout(client, show, {**order_data(show), "step": "review"})

    assert response.status_code in (400, 409)
    assert "Pay £" not in text_of(response)
    assert nothing_happened(show)
