"""Google's CAPTCHA check unreachable: the order is refused (fail closed), in words, with the form kept.

Real network failures on this machine, no mock: django-recaptcha's verification request goes to
RECAPTCHA_DOMAIN, pointed here at a local port that refuses connections, or at one that accepts
and never answers. The refusal is a 503 (the buyer did nothing wrong; trying again in a minute
may work), the event page with its checkout form again.
"""

import pytest
from django.urls import reverse

from tests.factories import BROWSER, make_event, make_event_page, ticket_types
from tests.network import closed_port, silent_server
from ticketing.forms import CAPTCHA_UNAVAILABLE
from ticketing.models import Order, Payment

pytestmark = pytest.mark.django_db


@pytest.fixture
def event(settings):
    settings.CAPTCHA_ENABLED = True
    event = make_event("Comedy Club", types=[("Adult", "15.00", 10)])
    make_event_page(event)
    return event


def checkout(client, event):
    adult = ticket_types(event)[0]
    data = {
        "name": "Ann Example",
        "email": "ann@example.com",
        "accept_terms": "on",
        f"quantity_{adult.pk}": "3",
        "g-recaptcha-response": "a-token-from-the-widget",
    }
    return client.post(reverse("ticketing:checkout", args=[event.pk]), data, HTTP_USER_AGENT=BROWSER)


def assert_refused_with_the_form_kept(response, event):
    html = response.content.decode()
    assert response.status_code == 503
    assert CAPTCHA_UNAVAILABLE in html
    # What the buyer typed is still there, and the CAPTCHA to tick again.
    assert 'value="Ann Example"' in html and 'value="ann@example.com"' in html
    assert f'name="quantity_{ticket_types(event)[0].pk}"' in html and 'value="3"' in html
    assert 'class="g-recaptcha' in html
    assert Order.objects.count() == 0 and Payment.objects.count() == 0
    assert ticket_types(event)[0].sold == 0


def test_checkout_is_refused_with_the_form_kept_when_google_is_unreachable(client, event, settings):
    settings.RECAPTCHA_DOMAIN = f"127.0.0.1:{closed_port()}"
    assert_refused_with_the_form_kept(checkout(client, event), event)


def test_checkout_is_refused_with_the_form_kept_when_google_is_unreachable_and_silent(
    client, event, settings
):
    settings.RECAPTCHA_VERIFY_REQUEST_TIMEOUT = 1
    with silent_server() as port:
        settings.RECAPTCHA_DOMAIN = f"127.0.0.1:{port}"
        response = checkout(client, event)
    assert_refused_with_the_form_kept(response, event)


def test_a_missing_captcha_answer_is_still_the_buyers_to_fix_when_google_is_unreachable(
    client, event, settings
):
    """Without the widget's answer Google is not even asked: a plain 400, "please tick the box"."""
    settings.RECAPTCHA_DOMAIN = f"127.0.0.1:{closed_port()}"
    adult = ticket_types(event)[0]
    data = {"name": "Ann", "email": "ann@example.com", "accept_terms": "on", f"quantity_{adult.pk}": "1"}
    response = client.post(reverse("ticketing:checkout", args=[event.pk]), data, HTTP_USER_AGENT=BROWSER)
    assert response.status_code == 400
    assert "Please confirm you are not a robot." in response.content.decode()
    assert Order.objects.count() == 0
