"""Issue 9's audit: "Find my tickets" through the two outages its own tests met only in part.

The form sends an e-mail to any address typed in, so it must not go on without its rate limit:
with the test's own Redis killed (not a patched function) it comes back with a 503, the address
as typed, and nothing queued. With Google's CAPTCHA check unreachable (a real refused port) it
fails closed in the same way.
"""

import pytest
from django.core import mail
from django.urls import reverse

from tests.factories import BROWSER
from tests.network import closed_port
from ticketing.forms import CAPTCHA_UNAVAILABLE
from ticketing.models import OrderLookup
from ticketing.views import FIND_ORDERS_PAUSED

pytestmark = pytest.mark.django_db

ADDRESS = "Ann.Example+jazz@example.com"


def ask_for_orders(client, **extra):
    return client.post(reverse("ticketing:find-orders"), {"email": ADDRESS, **extra}, HTTP_USER_AGENT=BROWSER)


def assert_refused_with_the_address_kept(response, message):
    html = response.content.decode()
    assert response.status_code == 503
    assert message in html
    assert f'value="{ADDRESS}"' in html
    assert not OrderLookup.objects.exists() and not mail.outbox


def test_find_my_tickets_is_refused_with_a_503_while_redis_is_down(
    redis_server, client, django_capture_on_commit_callbacks
):
    assert ask_for_orders(client).status_code == 303  # counted in Redis while it answers
    OrderLookup.objects.all().delete()
    redis_server.kill()

    with django_capture_on_commit_callbacks(execute=True):
        response = ask_for_orders(client)

    assert_refused_with_the_address_kept(response, FIND_ORDERS_PAUSED)
    assert response["Retry-After"] == "60"


def test_find_my_tickets_fails_closed_with_the_address_kept_when_google_is_unreachable(
    client, settings, django_capture_on_commit_callbacks
):
    settings.CAPTCHA_ENABLED = True
    settings.RECAPTCHA_DOMAIN = f"127.0.0.1:{closed_port()}"

    with django_capture_on_commit_callbacks(execute=True):
        response = ask_for_orders(client, **{"g-recaptcha-response": "a-token-from-the-widget"})

    assert_refused_with_the_address_kept(response, CAPTCHA_UNAVAILABLE)
    assert 'class="g-recaptcha' in response.content.decode()
