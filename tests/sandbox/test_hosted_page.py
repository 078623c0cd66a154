"""The hosted checkout page: what a buyer sees and presses, and what SumUp then reports."""

import re
import threading
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from django.utils import timezone

from sumup_sandbox.models import SandboxCheckout, SandboxTransaction

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_page_shows_what_is_being_paid(new_checkout, browser):
    checkout = new_checkout(amount=25.5, description="JE-ABC123 · 2 tickets")

    page = browser.open(checkout.hosted_checkout_url)

    assert page.status_code == 200
    assert "Sandbox Merchant" in page.text
    assert "25.50" in page.text
    assert "GBP" in page.text
    assert "JE-ABC123 · 2 tickets" in page.text
    assert re.search(r'<button[^>]*value="pay"[^>]*>Pay</button>', page.text)
    assert re.search(r'<button[^>]*value="decline"[^>]*>Decline</button>', page.text)


def test_the_page_obeys_the_sites_content_security_policy(new_checkout, browser):
    page = browser.open(new_checkout().hosted_checkout_url)

    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert "<script" not in page.text
    assert "<style" not in page.text
    assert "style=" not in page.text
    stylesheet = re.search(r'<link rel="stylesheet" href="([^"]+)"', page.text).group(1)
    assert stylesheet.endswith("sumup_sandbox/sandbox.css")


def test_pay_makes_the_checkout_paid_with_a_transaction(sdk, new_checkout, browser):
    checkout = new_checkout(amount=25.5, currency="GBP")

    result = browser.press(checkout.hosted_checkout_url, "pay")

    assert result.status_code == 200
    assert "Payment successful" in result.text
    assert re.search(
        r'<a[^>]*href="https://shop.example/orders/abc/"[^>]*>Back to merchant website</a>', result.text
    )
    paid = sdk.checkouts.get(checkout.id)
    assert paid.status == "PAID"
    assert uuid.UUID(paid.transaction_id)
    assert re.fullmatch(r"[A-Z0-9]{10}", paid.transaction_code)
    [txn] = paid.transactions
    assert (txn.id, txn.transaction_code) == (paid.transaction_id, paid.transaction_code)
    assert (txn.status, txn.amount, txn.currency) == ("SUCCESSFUL", 25.5, "GBP")
    assert (txn.payment_type, txn.entry_mode, txn.merchant_code) == (
        "ECOM",
        "CUSTOMER_ENTRY",
        paid.merchant_code,
    )
    assert re.fullmatch(r"\d{6}", txn.auth_code)


def test_no_back_link_without_a_redirect_url(new_checkout, browser):
    checkout = new_checkout(redirect_url=None)

    result = browser.press(checkout.hosted_checkout_url, "pay")

    assert "Payment successful" in result.text
    assert "Back to merchant website" not in result.text


def test_decline_fails_the_checkout(sdk, new_checkout, browser):
    checkout = new_checkout()

    result = browser.press(checkout.hosted_checkout_url, "decline")

    assert "Payment failed" in result.text
    failed = sdk.checkouts.get(checkout.id)
    assert failed.status == "FAILED"
    assert failed.transaction_id is None
    assert [t.status for t in failed.transactions] == ["FAILED"]


def test_a_failed_checkout_can_be_paid_on_a_retry(sdk, new_checkout, browser):
    checkout = new_checkout()
    browser.press(checkout.hosted_checkout_url, "decline")

    result = browser.press(checkout.hosted_checkout_url, "pay")

    assert "Payment successful" in result.text
    paid = sdk.checkouts.get(checkout.id)
    assert paid.status == "PAID"
    assert [t.status for t in paid.transactions] == ["FAILED", "SUCCESSFUL"]
    assert paid.transaction_id == paid.transactions[1].id


@pytest.mark.parametrize("amount", [11.00, 42.01, 42.76, 42.91])
def test_sumups_forced_failure_amounts_always_fail(sdk, new_checkout, browser, amount):
    checkout = new_checkout(amount=amount)

    result = browser.press(checkout.hosted_checkout_url, "pay")

    assert "Payment failed" in result.text
    failed = sdk.checkouts.get(checkout.id)
    assert failed.status == "FAILED"
    assert [(t.status, t.amount) for t in failed.transactions] == [("FAILED", amount)]


def test_paying_a_paid_checkout_changes_nothing(sdk, new_checkout, browser):
    checkout = new_checkout()
    page = browser.open(checkout.hosted_checkout_url)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    browser.press(checkout.hosted_checkout_url, "pay")
    first = sdk.checkouts.get(checkout.id)

    # The buyer's second tab still shows the buttons: both of them arrive late.
    for action in ("pay", "decline"):
        replay = browser.client.post(
            checkout.hosted_checkout_url, data={"action": action, "csrfmiddlewaretoken": token}
        )
        assert "Payment successful" in replay.text

    again = sdk.checkouts.get(checkout.id)
    assert again.status == "PAID"
    assert again.transactions == first.transactions
    assert "csrfmiddlewaretoken" not in browser.open(checkout.hosted_checkout_url).text


def test_a_post_without_the_csrf_token_is_refused(sdk, new_checkout, sumup_sandbox):
    checkout = new_checkout()

    response = httpx.post(checkout.hosted_checkout_url, data={"action": "pay"})

    assert response.status_code == 403
    assert sdk.checkouts.get(checkout.id).status == "PENDING"


def test_concurrent_presses_pay_once(sdk, new_checkout, browser):
    checkout = new_checkout()
    token = re.search(
        r'name="csrfmiddlewaretoken" value="([^"]+)"', browser.open(checkout.hosted_checkout_url).text
    )
    cookies = dict(browser.client.cookies)
    barrier = threading.Barrier(6)

    def press():
        barrier.wait()
        data = {"action": "pay", "csrfmiddlewaretoken": token.group(1)}
        return httpx.post(checkout.hosted_checkout_url, data=data, cookies=cookies, timeout=20).status_code

    results = []
    threads = [threading.Thread(target=lambda: results.append(press())) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(results) == [302] * 6
    paid = sdk.checkouts.get(checkout.id)
    assert paid.status == "PAID"
    assert len(paid.transactions) == 1


def test_a_deactivated_checkout_cannot_be_paid(sdk, new_checkout, browser):
    checkout = new_checkout()
    sdk.checkouts.deactivate(checkout.id)

    page = browser.open(checkout.hosted_checkout_url)
    assert "Checkout expired" in page.text
    assert "csrfmiddlewaretoken" not in page.text

    assert sdk.checkouts.get(checkout.id).status == "EXPIRED"
    assert not SandboxTransaction.objects.exists()


def test_paying_after_valid_until_expires_the_checkout(sdk, new_checkout, browser):
    checkout = new_checkout(valid_until=datetime.now(UTC) + timedelta(minutes=5))
    page = browser.open(checkout.hosted_checkout_url)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    SandboxCheckout.objects.filter(pk=checkout.id).update(valid_until=timezone.now() - timedelta(seconds=1))

    result = browser.client.post(
        checkout.hosted_checkout_url, data={"action": "pay", "csrfmiddlewaretoken": token}
    )

    assert "Checkout expired" in result.text
    assert "Payment successful" not in result.text
    assert sdk.checkouts.get(checkout.id).status == "EXPIRED"
    assert not SandboxTransaction.objects.exists()


def test_the_hosted_session_ends_after_thirty_minutes(sdk, new_checkout, browser):
    checkout = new_checkout()
    page = browser.open(checkout.hosted_checkout_url)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    SandboxCheckout.objects.filter(pk=checkout.id).update(created_at=timezone.now() - timedelta(minutes=31))

    result = browser.client.post(
        checkout.hosted_checkout_url, data={"action": "pay", "csrfmiddlewaretoken": token}
    )

    assert "Checkout expired" in result.text
    assert not SandboxTransaction.objects.exists()
    # The page expired, the checkout did not: it had no valid_until (SumUp's own behaviour).
    assert sdk.checkouts.get(checkout.id).status == "PENDING"


def test_an_unknown_checkout_page_is_not_found(browser, sumup_sandbox):
    for checkout_id in (uuid.uuid4(), "nonsense"):
        page = browser.open(f"{sumup_sandbox.url}/sandbox/sumup/pay/{checkout_id}/")
        assert page.status_code == 404
        assert "Checkout not found" in page.text


def test_an_unknown_action_is_refused(sdk, new_checkout, browser):
    checkout = new_checkout()
    page = browser.open(checkout.hosted_checkout_url)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)

    result = browser.client.post(
        checkout.hosted_checkout_url, data={"action": "refund", "csrfmiddlewaretoken": token}
    )

    assert result.status_code == 400
    assert "Choose Pay or Decline." in result.text
    assert sdk.checkouts.get(checkout.id).status == "PENDING"


def test_the_page_without_its_trailing_slash_redirects(new_checkout, browser):
    checkout = new_checkout()

    page = browser.open(checkout.hosted_checkout_url.rstrip("/"))

    assert page.status_code == 200
    assert str(page.url) == checkout.hosted_checkout_url
