"""Every bad checkout gets a clear answer and changes nothing: no order, nothing reserved."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import BROWSER, make_event, make_event_page, ticket_types
from ticketing.forms import CheckoutForm
from ticketing.models import Event, Order, TicketType

pytestmark = pytest.mark.django_db


@pytest.fixture
def event():
    event = make_event("Comedy Club", types=[("Adult", "15.00", 10), ("Child", "5.00", 10)])
    TicketType.objects.filter(event=event, name="Child").update(max_per_order=4)
    make_event_page(event)
    return event


def data_for(event, adult=1, child=0, **overrides):
    a, c = ticket_types(event)
    data = {
        "name": "Ann Example",
        "email": "ann@example.com",
        "accept_terms": "on",
        f"quantity_{a.pk}": adult,
        f"quantity_{c.pk}": child,
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def post(client, event, data, **headers):
    headers.setdefault("HTTP_USER_AGENT", BROWSER)
    return client.post(reverse("ticketing:checkout", args=[event.pk]), data, **headers)


def assert_refused(response, message, event):
    html = response.content.decode()
    assert 400 <= response.status_code < 500, response.status_code
    assert message in html, html[:3000]
    assert Order.objects.count() == 0
    assert all(t.sold == 0 for t in ticket_types(event))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"adult": 0}, "Choose at least one ticket."),
        ({"adult": -1}, "cannot be negative"),
        ({"adult": 100000}, "more Adult tickets than one order can hold"),
        ({"adult": "two"}, "Enter a whole number of tickets."),
        ({"child": 5}, "at most 4 Child tickets"),
        ({"email": "not-an-email"}, "does not look right"),
        ({"email": None}, "Please give an e-mail address"),
        ({"name": None}, "Please tell us your name."),
        ({"accept_terms": None}, "Please accept the Terms of Service"),
    ],
)
def test_bad_form_input_is_refused_with_a_clear_message(client, event, change, message):
    response = post(client, event, data_for(event, **change))
    assert_refused(response, message, event)


def test_what_the_buyer_typed_is_kept_on_error(client, event):
    html = post(client, event, data_for(event, accept_terms=None, name="Zoë Buyer")).content.decode()
    assert 'value="Zoë Buyer"' in html and 'value="ann@example.com"' in html


def test_ticket_type_of_another_event_is_refused(client, event):
    other = make_event("Other show")
    data = data_for(event, **{f"quantity_{ticket_types(other)[0].pk}": 2})
    assert_refused(post(client, event, data), "not sold for this event", event)


def test_price_in_the_form_is_ignored(client, event, sumup_sandbox):
    response = post(
        client, event, data_for(event, adult=2, price="0.01", total="0.01", **{"unit_price": "0"})
    )
    assert response.status_code == 303
    assert str(Order.objects.get().total) == "30.00"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"status": Event.Status.CANCELLED}, "This event has been cancelled."),
        ({"status": Event.Status.DRAFT}, "not on sale"),
        ({"sales_start": timezone.now() + timedelta(days=1)}, "not on sale yet"),
        ({"sales_end": timezone.now() - timedelta(minutes=1)}, "have closed"),
    ],
)
def test_checkout_outside_sales_is_refused(client, event, fields, message):
    Event.objects.filter(pk=event.pk).update(**fields)
    assert_refused(post(client, event, data_for(event)), message, event)


def test_sold_out_type_is_refused(client, event):
    TicketType.objects.filter(event=event, name="Adult").update(capacity=0)
    assert_refused(post(client, event, data_for(event, adult=1)), "not enough Adult tickets", event)


def test_unknown_event_is_a_404(client):
    assert post(client, Event(pk=999999), {}).status_code == 404


def test_other_methods_are_not_allowed(client, event):
    # A GET goes to the event page's tickets (tests/ticketing/test_checkout_review.py).
    assert client.put(reverse("ticketing:checkout", args=[event.pk])).status_code == 405


@pytest.mark.parametrize(
    "agent", ["", "curl/8.5.0", "python-requests/2.32", "Mozilla/5.0 HeadlessChrome/120.0"]
)
def test_bots_are_turned_away_at_the_door(client, event, agent):
    response = post(client, event, data_for(event), HTTP_USER_AGENT=agent)
    assert response.status_code == 403
    assert "Automated ticket buying is not allowed" in response.content.decode()
    assert Order.objects.count() == 0


def test_bot_blocklist_is_a_setting(client, event, settings):
    settings.BOT_USER_AGENTS = ["firefox"]
    assert post(client, event, data_for(event)).status_code == 403


def test_rate_limit_gives_a_friendly_429(client, event, settings):
    settings.CHECKOUT_RATE_LIMIT = "3/d"
    for _ in range(3):
        assert post(client, event, data_for(event, adult=0)).status_code == 400
    response = post(client, event, data_for(event, adult=0))
    assert response.status_code == 429
    assert "Too many" in response.content.decode() or "too many" in response.content.decode()
    # Another address is not affected.
    assert post(client, event, data_for(event, adult=0), REMOTE_ADDR="192.0.2.77").status_code == 400


def test_rate_limit_counts_the_client_behind_a_trusted_proxy(client, event, settings):
    settings.CHECKOUT_RATE_LIMIT = "2/d"
    settings.TRUSTED_PROXY_COUNT = 1
    for _ in range(2):
        post(client, event, data_for(event, adult=0), HTTP_X_FORWARDED_FOR="198.51.100.1")
    assert (
        post(client, event, data_for(event, adult=0), HTTP_X_FORWARDED_FOR="198.51.100.1").status_code == 429
    )
    assert (
        post(client, event, data_for(event, adult=0), HTTP_X_FORWARDED_FOR="198.51.100.2").status_code == 400
    )


def test_forged_forwarded_for_is_ignored_without_trusted_proxies(client, event, settings):
    settings.CHECKOUT_RATE_LIMIT = "2/d"
    for i in range(2):
        post(client, event, data_for(event, adult=0), HTTP_X_FORWARDED_FOR=f"10.0.0.{i}")
    assert post(client, event, data_for(event, adult=0), HTTP_X_FORWARDED_FOR="10.0.0.9").status_code == 429


def test_velocity_limit_per_email(client, event, settings, sumup_sandbox):
    settings.MAX_TICKETS_PER_EMAIL_PER_EVENT = 3
    assert post(client, event, data_for(event, adult=2)).status_code == 303
    response = post(client, event, data_for(event, adult=2), REMOTE_ADDR="192.0.2.9")
    assert response.status_code == 409
    assert "one e-mail address" in response.content.decode()
    assert Order.objects.count() == 1


def test_velocity_limit_per_ip(client, event, settings, sumup_sandbox):
    settings.MAX_TICKETS_PER_IP_PER_EVENT = 3
    assert post(client, event, data_for(event, adult=2)).status_code == 303
    response = post(client, event, data_for(event, adult=2, email="someone.else@example.com"))
    assert response.status_code == 409
    assert "one connection" in response.content.decode()


def test_unusual_orders_get_risk_flags(client, event, sumup_sandbox):
    post(client, event, data_for(event, adult=1))
    post(client, event, data_for(event, adult=1, email="1234567@example.com"))
    flagged = Order.objects.get(email="1234567@example.com")
    assert {"shared_ip_other_email", "numeric_email"} <= set(flagged.risk_flags)
    assert Order.objects.get(email="ann@example.com").risk_flags == []


class _GoogleAnswer:
    def __init__(self, success):
        self.success = success

    def close(self):
        pass

    def read(self):
        import json

        return json.dumps(
            {"success": self.success, "error-codes": [] if self.success else ["invalid-input-response"]}
        ).encode()


@pytest.fixture
def captcha_on(settings, monkeypatch):
    """CAPTCHA on, with Google's verification endpoint (outside our world) stubbed."""
    settings.CAPTCHA_ENABLED = True
    answers = {}

    def google(params):
        answers["asked"] = params
        return _GoogleAnswer(params.get("response") == "good-token")

    monkeypatch.setattr("django_recaptcha.client.recaptcha_request", lambda params: google(_decode(params)))
    return answers


def _decode(params):
    from urllib.parse import parse_qs

    return {k: v[0] for k, v in parse_qs(params.decode()).items()}


def test_captcha_google_stubbed_failing_verification_is_refused(client, event, captcha_on):
    response = post(client, event, data_for(event, **{"g-recaptcha-response": "forged"}))
    assert_refused(response, "Error verifying reCAPTCHA", event)
    assert captcha_on["asked"]["response"] == "forged"


def test_captcha_google_stubbed_missing_answer_is_refused(client, event, captcha_on):
    assert_refused(post(client, event, data_for(event)), "Please confirm you are not a robot.", event)


def test_captcha_google_stubbed_passing_verification_lets_the_order_through(
    client, event, captcha_on, sumup_sandbox
):
    response = post(client, event, data_for(event, **{"g-recaptcha-response": "good-token"}))
    assert response.status_code == 303
    assert Order.objects.count() == 1


def test_recaptcha_script_loads_only_on_pages_with_the_checkout_form(client, event, captcha_on):
    event_html = client.get(event.pages.first().url).content.decode()
    index_html = client.get(event.pages.first().get_parent().url).content.decode()
    assert "www.google.com/recaptcha/api.js" in event_html
    assert "recaptcha" not in index_html


def test_form_without_captcha_when_disabled(event):
    assert "captcha" not in CheckoutForm(event=event).fields
