"""What one read of a checkout costs the emulator in queries, on the paths every buyer takes.

The emulator shares the machine with the site in every benchmark, test and demo, so the reads a
paid order makes of it (the site's payment look-ups, the hosted page before and after Pay) are
kept to a fixed, small number of queries. These go through Django's test client in this process,
so the queries can be counted, with the URLs and no middleware as on the emulator's own server
(config/settings/sandbox_server.py, what the benchmarks run): the site's middleware makes queries
of its own. The other tests reach the emulator over HTTP, as the SDK does.
"""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _own_server(settings):
    settings.ROOT_URLCONF = "sumup_sandbox.server_urls"
    settings.MIDDLEWARE = []


@pytest.fixture
def auth(settings):
    return {"HTTP_AUTHORIZATION": f"Bearer {settings.SUMUP_API_KEY}"}


@pytest.fixture
def create(client, auth, settings):
    counter = iter(range(1, 1000))

    def make(**overrides):
        body = {
            "checkout_reference": f"count-{next(counter)}",
            "amount": 25.5,
            "currency": "GBP",
            "merchant_code": settings.SUMUP_MERCHANT_CODE,
            "hosted_checkout": {"enabled": True},
            **overrides,
        }
        response = client.post(
            "/sandbox/sumup/v0.1/checkouts", json.dumps(body), content_type="application/json", **auth
        )
        assert response.status_code == 201, response.content
        return response.json()

    return make


def test_reading_a_paid_checkout_takes_two_queries(client, auth, create, django_assert_max_num_queries):
    checkout = create()
    assert client.post(checkout["hosted_checkout_url"], {"action": "pay"}).status_code == 302

    with django_assert_max_num_queries(2):
        response = client.get(f"/sandbox/sumup/v0.1/checkouts/{checkout['id']}", **auth)

    assert response.json()["status"] == "PAID"
    assert len(response.json()["transactions"]) == 1


def test_the_hosted_page_takes_one_query(client, create, django_assert_max_num_queries):
    checkout = create()

    with django_assert_max_num_queries(1):
        page = client.get(checkout["hosted_checkout_url"])
    assert page.status_code == 200
    assert client.post(checkout["hosted_checkout_url"], {"action": "pay"}).status_code == 302
    with django_assert_max_num_queries(1):
        paid = client.get(checkout["hosted_checkout_url"])

    assert "Payment successful" in paid.content.decode()


def test_a_checkout_past_valid_until_still_reads_expired(client, auth, create):
    checkout = create(valid_until=(timezone.now() - timedelta(seconds=1)).isoformat())

    response = client.get(f"/sandbox/sumup/v0.1/checkouts/{checkout['id']}", **auth)

    assert response.json()["status"] == "EXPIRED"
    assert "Checkout expired" in client.get(checkout["hosted_checkout_url"]).content.decode()
