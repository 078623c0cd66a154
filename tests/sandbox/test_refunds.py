"""Refunds and single-transaction reads, through the SDK's transactions resource."""

import uuid

import pytest
from sumup import errors as sdk_errors

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def paid(sdk, new_checkout, browser):
    """A checkout for £40.00 the buyer has paid; the SDK's view of it."""

    def make(amount=40.0):
        checkout = new_checkout(amount=amount, description="JE-REFUND · 2 tickets")
        browser.press(checkout.hosted_checkout_url, "pay")
        return sdk.checkouts.get(checkout.id)

    return make


def test_a_full_refund(sdk, paid, merchant_code):
    checkout = paid()

    assert sdk.transactions.refund(merchant_code, checkout.transaction_id) == {}

    txn = sdk.transactions.get(merchant_code, id=checkout.transaction_id)
    assert (txn.status, txn.simple_status, txn.amount) == ("REFUNDED", "REFUNDED", 40.0)
    assert [(e.type, e.status, e.amount) for e in txn.events] == [("REFUND", "REFUNDED", 40.0)]
    assert [(e.event_type, e.amount) for e in txn.transaction_events] == [("REFUND", 40.0)]
    assert not [link for link in txn.links if link.rel == "refund"]
    # The checkout stays PAID: a refund is a transaction event, not a checkout status.
    assert sdk.checkouts.get(checkout.id).status == "PAID"


def test_partial_refunds_until_nothing_is_left(sdk, paid, merchant_code, api):
    checkout = paid()

    sdk.transactions.refund(merchant_code, checkout.transaction_id, amount=15.5)
    txn = sdk.transactions.get(merchant_code, id=checkout.transaction_id)
    assert txn.status == "SUCCESSFUL"
    [link] = [link for link in txn.links if link.rel == "refund"]
    assert link.max_amount == 24.5
    assert (
        api.get(f"/v2.1/merchants/{merchant_code}/transactions", params={"id": txn.id}).json()[
            "refunded_amount"
        ]
        == 15.5
    )

    sdk.transactions.refund(merchant_code, checkout.transaction_id)  # the rest
    txn = sdk.transactions.get(merchant_code, id=checkout.transaction_id)
    assert txn.status == "REFUNDED"
    assert sorted(e.amount for e in txn.events) == [15.5, 24.5]


def test_a_refund_larger_than_what_is_left_is_unprocessable(sdk, paid, merchant_code):
    checkout = paid()
    sdk.transactions.refund(merchant_code, checkout.transaction_id, amount=30)

    with pytest.raises(sdk_errors.UnprocessableEntityError) as raised:
        sdk.transactions.refund(merchant_code, checkout.transaction_id, amount=10.01)

    problem = raised.value.problem
    assert problem.type == "https://developer.sumup.com/problem/unprocessable-entity"
    assert (problem.status, problem.detail) == (422, "Refund failed.")
    assert problem.additional_properties["errors"] == [
        {
            "code": "INVALID_AMOUNT",
            "detail": "Amount exceeds the refundable amount",
            "reason": "amount_too_high",
            "max_refundable_amount": 10.0,
        }
    ]
    assert sdk.transactions.get(merchant_code, id=checkout.transaction_id).status == "SUCCESSFUL"


def test_an_unknown_transaction_is_not_found(sdk, paid, merchant_code):
    checkout = paid()
    for transaction_id in (str(uuid.uuid4()), "not-a-uuid", checkout.transaction_code):
        with pytest.raises(sdk_errors.NotFoundError) as raised:
            sdk.transactions.refund(merchant_code, transaction_id)
        assert raised.value.problem.detail == "Transaction not found"


@pytest.mark.parametrize("amount", [0, -5])
def test_a_refund_of_nothing_is_a_bad_request(sdk, paid, merchant_code, amount):
    checkout = paid()

    with pytest.raises(sdk_errors.BadRequestError) as raised:
        sdk.transactions.refund(merchant_code, checkout.transaction_id, amount=amount)

    assert raised.value.problem.detail == "amount must be greater than zero"


@pytest.mark.parametrize("raw", [b"{oops", b'{"amount": "5"}', b'{"amount": 1.234}', b"[5]"])
def test_a_malformed_refund_body_is_a_bad_request(api, paid, merchant_code, raw):
    checkout = paid()

    response = api.post(
        f"/v1.0/merchants/{merchant_code}/payments/{checkout.transaction_id}/refunds",
        content=raw,
        headers={"Content-Type": "application/json"},
    )

    assert response.status_code == 400
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.json()["type"] == "https://developer.sumup.com/problem/bad-request"


def test_a_refunded_transaction_is_not_refundable_again(sdk, paid, merchant_code):
    checkout = paid()
    sdk.transactions.refund(merchant_code, checkout.transaction_id)

    with pytest.raises(sdk_errors.ConflictError) as raised:
        sdk.transactions.refund(merchant_code, checkout.transaction_id, amount=1)

    assert raised.value.problem.detail == "The transaction is not refundable in its current state"


def test_a_failed_transaction_is_not_refundable(sdk, new_checkout, browser, merchant_code):
    checkout = new_checkout(amount=11.00)
    browser.press(checkout.hosted_checkout_url, "pay")
    [failed] = sdk.checkouts.get(checkout.id).transactions

    with pytest.raises(sdk_errors.ConflictError):
        sdk.transactions.refund(merchant_code, failed.id)


def test_another_merchants_transactions_are_forbidden(sdk, paid):
    checkout = paid()

    with pytest.raises(sdk_errors.PermissionDeniedError):
        sdk.transactions.refund("MSOMEONEELSE", checkout.transaction_id)
    with pytest.raises(sdk_errors.APIError) as raised:
        sdk.transactions.get("MSOMEONEELSE", id=checkout.transaction_id)
    assert raised.value.status == 403


def test_a_transaction_is_found_by_id_or_code(sdk, paid, merchant_code):
    checkout = paid(amount=12.5)

    by_id = sdk.transactions.get(merchant_code, id=checkout.transaction_id)
    by_code = sdk.transactions.get(merchant_code, transaction_code=checkout.transaction_code)

    assert by_id == by_code
    assert (by_id.id, by_id.transaction_code) == (checkout.transaction_id, checkout.transaction_code)
    assert (by_id.amount, by_id.currency, by_id.status, by_id.simple_status) == (
        12.5,
        "GBP",
        "SUCCESSFUL",
        "SUCCESSFUL",
    )
    assert by_id.product_summary == "JE-REFUND · 2 tickets"
    assert by_id.timestamp is not None
    with pytest.raises(sdk_errors.NotFoundError):
        sdk.transactions.get(merchant_code, transaction_code="TNOSUCHCODE")
    with pytest.raises(sdk_errors.APIError) as raised:
        sdk.transactions.get(merchant_code)
    assert raised.value.status == 400
