"""The emulator in a server of its own (config/settings/sandbox_server.py), as the benchmarks run it.

That server has none of the site's middleware and only the emulator's URLs, at the paths the
site serves them at: the same API, the same hosted page with its CSRF-protected buttons, the
same callback to the shop, and a JSON 404 for everything else.
"""

import re

import httpx
import pytest
from sumup import Sumup

from tests.processes import WebInstance
from tests.redis_server import free_port
from tests.sandbox.conftest import checkout_fields

pytestmark = pytest.mark.django_db(transaction=True)

CSRF_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
STYLESHEET = re.compile(r'<link rel="stylesheet" href="([^"]+)"')


@pytest.fixture
def own_server(tmp_path, settings):
    server = WebInstance(
        free_port(),
        tmp_path / "sandbox.log",
        settings_module="config.settings.sandbox_server",
        SUMUP_API_KEY=settings.SUMUP_API_KEY,
        SUMUP_MERCHANT_CODE=settings.SUMUP_MERCHANT_CODE,
        SUMUP_SANDBOX_CALLBACK_DELAY=0,
        SUMUP_SANDBOX_DUPLICATE_CALLBACKS=0,
        WEB_CONCURRENCY=1,
    )
    yield server
    server.stop()


@pytest.fixture
def own_sdk(own_server, settings):
    base_url = f"{own_server.url}/sandbox/sumup"
    with Sumup(api_key=settings.SUMUP_API_KEY, base_url=base_url, timeout=10) as client:
        yield client


def _checkout(sdk, merchant_code, **overrides):
    return sdk.checkouts.create(
        **{**checkout_fields(merchant_code), "checkout_reference": "own-server-1", **overrides}
    )


def test_a_buyer_pays_on_the_hosted_page_and_the_shop_hears_of_it(own_server, own_sdk, receiver, settings):
    checkout = _checkout(own_sdk, settings.SUMUP_MERCHANT_CODE, return_url=receiver.url)
    assert checkout.hosted_checkout_url == f"{own_server.url}/sandbox/sumup/pay/{checkout.id}/"

    with httpx.Client(follow_redirects=True, timeout=10) as browser:
        page = browser.get(checkout.hosted_checkout_url)
        assert page.status_code == 200
        assert "25.50" in page.text and "JE-ABC123" in page.text
        stylesheet = browser.get(own_server.url + STYLESHEET.search(page.text).group(1))
        assert stylesheet.status_code == 200
        assert stylesheet.headers["Content-Type"].startswith("text/css")

        token = CSRF_TOKEN.search(page.text).group(1)
        paid = browser.post(
            checkout.hosted_checkout_url, data={"action": "pay", "csrfmiddlewaretoken": token}
        )

    assert "Payment successful" in paid.text
    assert 'content="2;url=https://shop.example/orders/abc/"' in paid.text
    after = own_sdk.checkouts.get(checkout.id)
    assert after.status == "PAID"
    assert [t.status for t in after.transactions] == ["SUCCESSFUL"]
    [delivery] = receiver.wait_for(1)
    assert delivery.json() == {"event_type": "CHECKOUT_STATUS_CHANGED", "id": checkout.id}


def test_the_pay_button_keeps_its_csrf_protection(own_server, own_sdk, settings):
    checkout = _checkout(own_sdk, settings.SUMUP_MERCHANT_CODE)

    refused = httpx.post(checkout.hosted_checkout_url, data={"action": "pay"})

    assert refused.status_code == 403
    assert own_sdk.checkouts.get(checkout.id).status == "PENDING"


def test_the_api_wants_its_key_and_every_other_path_is_a_json_404(own_server):
    api = f"{own_server.url}/sandbox/sumup"

    assert httpx.get(f"{api}/v0.1/checkouts").status_code == 401
    for path in ("/sandbox/sumup/v9/unknown", "/", "/tickets/"):
        answer = httpx.get(own_server.url + path)
        assert answer.status_code == 404
        assert answer.json()["error_code"] == "NOT_FOUND"
