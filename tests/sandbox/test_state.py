"""The helpers other tests use to arrange what SumUp reports, seen through the SDK."""

import uuid

import pytest

from sumup_sandbox import state

pytestmark = pytest.mark.django_db(transaction=True)


def test_mark_paid_reports_a_paid_checkout(sdk, new_checkout):
    checkout = new_checkout(amount=30)

    state.mark_paid(checkout.id)

    paid = sdk.checkouts.get(checkout.id)
    assert (paid.status, paid.amount) == ("PAID", 30.0)
    assert [t.status for t in paid.transactions] == ["SUCCESSFUL"]
    assert paid.transaction_id == paid.transactions[0].id


def test_mark_paid_can_report_what_we_did_not_ask_for(sdk, new_checkout):
    checkout = new_checkout(amount=30, currency="GBP")

    state.mark_paid(checkout.id, amount="0.01", currency="EUR", merchant_code="MATTACKER")
    state.mark_paid(checkout.id, amount="0.02")  # again: still one transaction

    paid = sdk.checkouts.get(checkout.id)
    assert (paid.amount, paid.currency, paid.merchant_code) == (0.02, "EUR", "MATTACKER")
    [txn] = paid.transactions
    assert (txn.amount, txn.currency, txn.merchant_code) == (0.02, "EUR", "MATTACKER")


def test_a_foreign_checkout_is_readable_but_not_ours(sdk, merchant_code):
    foreign = state.create_foreign_checkout(amount="12.00", checkout_reference="order-JE-9-1")

    seen = sdk.checkouts.get(str(foreign.id))

    assert (seen.status, seen.amount, seen.checkout_reference) == ("PAID", 12.0, "order-JE-9-1")
    assert seen.merchant_code == state.FOREIGN_MERCHANT_CODE != merchant_code
    assert sdk.transactions.list(merchant_code).items == []


def test_press_without_a_browser(sdk, new_checkout):
    checkout = new_checkout(amount=11.00)

    assert state.press(checkout.id, "pay").status == "FAILED"
    with pytest.raises(state.SandboxCheckout.DoesNotExist):
        state.press(uuid.uuid4(), "pay")
