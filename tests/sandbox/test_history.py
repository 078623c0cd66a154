"""The transaction history: SumUp's shape, filters, and cursor pages followed through the SDK."""

from datetime import timedelta
from urllib.parse import parse_qs

import pytest
from django.utils import timezone

from sumup_sandbox import state
from sumup_sandbox.models import SandboxTransaction

pytestmark = pytest.mark.django_db(transaction=True)


def _sdk_kwargs(href):
    """The ``next`` link's query string as keyword arguments for ``sdk.transactions.list``."""
    params = parse_qs(href)
    kwargs = {key: values[0] for key, values in params.items() if not key.endswith("[]")}
    kwargs.update({key[:-2]: values for key, values in params.items() if key.endswith("[]")})
    if "limit" in kwargs:
        kwargs["limit"] = int(kwargs["limit"])
    return kwargs


def _walk(sdk, merchant_code, **query):
    """Every page of the history, following ``next`` links; the pages' item lists."""
    pages = []
    while True:
        page = sdk.transactions.list(merchant_code, **query)
        pages.append(page.items)
        nexts = [link for link in page.links if link.rel == "next"]
        if not nexts:
            return pages
        query = _sdk_kwargs(nexts[0].href)


@pytest.fixture
def twelve_payments(merchant_code):
    """Twelve paid checkouts a minute apart, oldest first, as SumUp would hold them."""
    start = timezone.now() - timedelta(hours=1)
    checkouts = []
    for n in range(12):
        checkout = state.create_foreign_checkout(
            merchant_code=merchant_code, amount=f"{10 + n}.00", description=f"JE-HIST{n:02d} · 1 ticket"
        )
        SandboxTransaction.objects.filter(checkout=checkout).update(created_at=start + timedelta(minutes=n))
        checkouts.append(checkout)
    return checkouts


def test_pages_follow_the_cursor_over_every_item(sdk, merchant_code, twelve_payments):
    first_txn = twelve_payments[0].transactions.get()
    sdk.transactions.refund(merchant_code, str(first_txn.transaction_id), amount=4)

    pages = _walk(sdk, merchant_code)

    assert [len(p) for p in pages] == [10, 3]
    items = [item for page in pages for item in page]
    assert len({item.id for item in items}) == 13
    assert [item.timestamp for item in items] == sorted(item.timestamp for item in items)
    payments = [item for item in items if item.type == "PAYMENT"]
    assert [p.product_summary for p in payments] == [f"JE-HIST{n:02d} · 1 ticket" for n in range(12)]
    assert [p.amount for p in payments] == [float(10 + n) for n in range(12)]
    [refund] = [item for item in items if item.type == "REFUND"]
    assert (refund.amount, refund.status, refund.product_summary) == (
        4.0,
        "SUCCESSFUL",
        "JE-HIST00 · 1 ticket",
    )
    assert refund.transaction_id == str(first_txn.transaction_id)
    assert refund.transaction_code == first_txn.transaction_code
    assert payments[0].refunded_amount == 4.0
    assert payments[0].status == "SUCCESSFUL"


def test_the_next_link_looks_like_sumups(api, merchant_code, twelve_payments):
    body = api.get(f"/v2.1/merchants/{merchant_code}/transactions/history").json()

    assert len(body["items"]) == 10
    [link] = body["links"]
    assert link["rel"] == "next"
    assert link["href"] == f"limit=10&oldest_ref={body['items'][-1]['id']}&order=ascending"
    item = body["items"][0]
    assert item["id"] == item["transaction_id"]
    assert {
        "transaction_code",
        "amount",
        "currency",
        "timestamp",
        "status",
        "payment_type",
        "type",
    } <= item.keys()
    assert (item["payment_type"], item["type"], item["currency"]) == ("ECOM", "PAYMENT", "GBP")


def test_descending_pages(sdk, merchant_code, twelve_payments):
    pages = _walk(sdk, merchant_code, order="descending", limit=5)

    assert [len(p) for p in pages] == [5, 5, 2]
    amounts = [item.amount for page in pages for item in page]
    assert amounts == [float(10 + n) for n in reversed(range(12))]


def test_time_window_and_filters(sdk, merchant_code, twelve_payments):
    start = twelve_payments[0].transactions.get().created_at

    window = sdk.transactions.list(
        merchant_code, oldest_time=start + timedelta(minutes=3), newest_time=start + timedelta(minutes=6)
    )
    assert [i.amount for i in window.items] == [13.0, 14.0, 15.0]
    assert window.links == []

    sdk.transactions.refund(merchant_code, str(twelve_payments[5].transactions.get().transaction_id))
    refunds = sdk.transactions.list(merchant_code, types=["REFUND"])
    assert [(i.type, i.amount) for i in refunds.items] == [("REFUND", 15.0)]
    refunded = sdk.transactions.list(merchant_code, statuses=["REFUNDED"])
    assert [(i.type, i.status, i.refunded_amount) for i in refunded.items] == [("PAYMENT", "REFUNDED", 15.0)]
    by_code = sdk.transactions.list(
        merchant_code, transaction_code=twelve_payments[2].transactions.get().transaction_code
    )
    assert [i.amount for i in by_code.items] == [12.0]


def test_changes_since_finds_old_payments_refunded_later(sdk, merchant_code, twelve_payments):
    before_refund = timezone.now()
    sdk.transactions.refund(
        merchant_code, str(twelve_payments[0].transactions.get().transaction_id), amount=1
    )

    changed = sdk.transactions.list(merchant_code, changes_since=before_refund)

    assert sorted((i.type, i.amount) for i in changed.items) == [("PAYMENT", 10.0), ("REFUND", 1.0)]


def test_failed_payments_are_in_the_history(sdk, merchant_code, new_checkout, browser):
    checkout = new_checkout(amount=42.01)
    browser.press(checkout.hosted_checkout_url, "pay")

    [item] = sdk.transactions.list(merchant_code).items

    assert (item.status, item.type, item.amount) == ("FAILED", "PAYMENT", 42.01)


def test_other_merchants_payments_are_not_in_the_history(sdk, merchant_code):
    state.create_foreign_checkout(amount="99.00")

    assert sdk.transactions.list(merchant_code).items == []


@pytest.mark.parametrize(
    "query",
    ["limit=0", "limit=ten", "limit=100000", "order=sideways", "oldest_time=yesterday", "oldest_ref=nope"],
)
def test_bad_parameters_are_refused(api, merchant_code, query):
    response = api.get(f"/v2.1/merchants/{merchant_code}/transactions/history?{query}")

    assert response.status_code == 400
    assert response.json()["error_code"] == "INVALID"
