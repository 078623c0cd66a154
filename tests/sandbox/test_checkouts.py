"""Checkout endpoints, driven through SumUp's SDK over HTTP exactly as our client uses them."""

import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sumup import Sumup
from sumup import errors as sdk_errors

from sumup_sandbox.models import SandboxCheckout

pytestmark = pytest.mark.django_db(transaction=True)


def test_create_returns_a_pending_hosted_checkout(new_checkout, sumup_sandbox, merchant_code):
    valid_until = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=15)

    checkout = new_checkout(amount=25.5, valid_until=valid_until, return_url="https://shop.example/hook")

    assert uuid.UUID(checkout.id).version == 4
    assert checkout.status == "PENDING"
    assert checkout.amount == 25.5
    assert checkout.currency == "GBP"
    assert checkout.merchant_code == merchant_code
    assert checkout.description == "JE-ABC123 · 2 tickets"
    assert checkout.return_url == "https://shop.example/hook"
    assert checkout.valid_until == valid_until
    assert checkout.date is not None
    assert checkout.transactions == []
    assert checkout.hosted_checkout_url == f"{sumup_sandbox.url}/sandbox/sumup/pay/{checkout.id}/"


def test_get_returns_what_was_created(sdk, new_checkout):
    created = new_checkout(checkout_reference="order-JE-1-1")

    fetched = sdk.checkouts.get(created.id)

    assert fetched.id == created.id
    assert fetched.checkout_reference == "order-JE-1-1"
    assert fetched.status == "PENDING"
    assert fetched.redirect_url == "https://shop.example/orders/abc/"
    assert fetched.transaction_id is None
    assert fetched.transactions == []


def test_hosted_url_is_left_out_when_not_asked_for(new_checkout):
    checkout = new_checkout(hosted_checkout={"enabled": False})

    assert checkout.hosted_checkout_url is None


def test_list_by_reference(sdk, new_checkout):
    wanted = new_checkout(checkout_reference="order-JE-2-1")
    new_checkout(checkout_reference="order-JE-2-2")

    found = sdk.checkouts.list(checkout_reference="order-JE-2-1")

    assert [c.id for c in found] == [wanted.id]
    assert sdk.checkouts.list(checkout_reference="no-such-reference") == []


def test_amounts_keep_their_pence(sdk, new_checkout):
    checkout = new_checkout(amount=0.1 + 0.2)  # 0.30000000000000004 as a float

    assert SandboxCheckout.objects.get(pk=checkout.id).amount.as_tuple().exponent == -2
    assert sdk.checkouts.get(checkout.id).amount == 0.3


@pytest.mark.parametrize("key", ["sup_sk_wrong", "Basic c3VwOnNr"])
def test_a_wrong_key_is_unauthorized(sumup_sandbox, settings, key):
    with (
        Sumup(api_key=key, base_url=settings.SUMUP_API_BASE) as client,
        pytest.raises(sdk_errors.AuthenticationError) as raised,
    ):
        client.checkouts.list()

    problem = raised.value.problem
    assert problem.type == "https://developer.sumup.com/problem/unauthorized"
    assert (problem.title, problem.status, problem.detail) == ("Unauthorized", 401, "Unauthorized.")
    assert raised.value.response.headers["Content-Type"] == "application/problem+json"


def test_every_endpoint_wants_the_key(sumup_sandbox, settings, merchant_code):
    base = settings.SUMUP_API_BASE
    paths = [
        ("POST", "/v0.1/checkouts"),
        ("GET", f"/v0.1/checkouts/{uuid.uuid4()}"),
        ("DELETE", f"/v0.1/checkouts/{uuid.uuid4()}"),
        ("POST", f"/v1.0/merchants/{merchant_code}/payments/{uuid.uuid4()}/refunds"),
        ("GET", f"/v2.1/merchants/{merchant_code}/transactions/history"),
        ("GET", f"/v2.1/merchants/{merchant_code}/transactions?id={uuid.uuid4()}"),
    ]
    for method, path in paths:
        assert httpx.request(method, base + path).status_code == 401, path


def test_a_reused_reference_is_a_conflict(new_checkout):
    new_checkout(checkout_reference="order-JE-3-1")

    with pytest.raises(sdk_errors.ConflictError) as raised:
        new_checkout(checkout_reference="order-JE-3-1")

    assert raised.value.body.error_code == "DUPLICATED_CHECKOUT"
    assert raised.value.body.message == (
        "Checkout with this checkout reference and pay to email already exists"
    )


def test_another_merchant_code_is_forbidden(new_checkout):
    with pytest.raises(sdk_errors.PermissionDeniedError) as raised:
        new_checkout(merchant_code="MSOMEONEELSE")

    body = raised.value.body
    assert (body.error_code, body.error_message, body.status_code) == (
        "FORBIDDEN",
        "checkout_payments_not_allowed",
        "403",
    )


def test_an_empty_required_field_is_missing(new_checkout):
    with pytest.raises(sdk_errors.BadRequestError) as raised:
        new_checkout(checkout_reference="")

    body = raised.value.body
    assert (body.message, body.error_code, body.param) == (
        "Validation error",
        "MISSING",
        "checkout_reference",
    )


GOOD = {"checkout_reference": "r-1", "amount": 10, "currency": "GBP", "merchant_code": None}


@pytest.mark.parametrize(
    ("change", "error_code", "param"),
    [
        ({"merchant_code": ...}, "MISSING", "merchant_code"),
        ({"amount": ...}, "MISSING", "amount"),
        ({"currency": ...}, "MISSING", "currency"),
        ({"checkout_reference": "x" * 65}, "INVALID", "checkout_reference"),
        ({"amount": "10.00"}, "INVALID", "amount"),
        ({"amount": 0}, "INVALID", "amount"),
        ({"amount": -5}, "INVALID", "amount"),
        ({"amount": 10.005}, "INVALID", "amount"),
        ({"amount": True}, "INVALID", "amount"),
        ({"amount": 1e300}, "INVALID", "amount"),
        ({"currency": "XYZ"}, "INVALID", "currency"),
        ({"return_url": "javascript:alert(1)"}, "INVALID", "return_url"),
        ({"redirect_url": 42}, "INVALID", "redirect_url"),
        ({"valid_until": "tomorrow"}, "INVALID", "valid_until"),
        ({"hosted_checkout": {}}, "MISSING", "hosted_checkout.enabled"),
        ({"hosted_checkout": {"enabled": "yes"}}, "INVALID", "hosted_checkout.enabled"),
        ({"purpose": "DONATION"}, "INVALID", "purpose"),
    ],
)
def test_invalid_fields_are_named(api, merchant_code, change, error_code, param):
    body = {**GOOD, "merchant_code": merchant_code, **change}
    body = {key: value for key, value in body.items() if value is not ...}

    response = api.post("/v0.1/checkouts", json=body)

    assert response.status_code == 400
    assert response.json() == {"message": "Validation error", "error_code": error_code, "param": param}
    assert not SandboxCheckout.objects.exists()


def test_a_reference_of_64_characters_is_fine(new_checkout):
    assert new_checkout(checkout_reference="x" * 64).status == "PENDING"


@pytest.mark.parametrize("raw", [b"{not json", b"[1, 2]", b"NaN", b'{"amount": NaN}', b"\xff\xfe", b'"text"'])
def test_a_body_that_is_not_a_json_object_is_a_bad_request(api, raw):
    response = api.post("/v0.1/checkouts", content=raw, headers={"Content-Type": "application/json"})

    assert response.status_code == 400
    assert response.json()["error_code"] == "INVALID"


def test_an_unknown_checkout_is_not_found(sdk, api):
    for checkout_id in (str(uuid.uuid4()), "not-a-uuid"):
        with pytest.raises(sdk_errors.NotFoundError) as raised:
            sdk.checkouts.get(checkout_id)
        assert (raised.value.body.error_code, raised.value.body.message) == (
            "NOT_FOUND",
            "Resource not found",
        )
    assert api.delete(f"/v0.1/checkouts/{uuid.uuid4()}").status_code == 404


def test_deactivate_expires_a_pending_checkout(sdk, new_checkout):
    checkout = new_checkout()

    deactivated = sdk.checkouts.deactivate(checkout.id)

    assert deactivated.status == "EXPIRED"
    assert sdk.checkouts.get(checkout.id).status == "EXPIRED"
    assert sdk.checkouts.deactivate(checkout.id).status == "EXPIRED"  # again: no harm


def test_a_paid_checkout_cannot_be_deactivated(sdk, new_checkout, browser):
    checkout = new_checkout()
    browser.press(checkout.hosted_checkout_url, "pay")

    with pytest.raises(sdk_errors.ConflictError) as raised:
        sdk.checkouts.deactivate(checkout.id)

    assert (raised.value.body.error_code, raised.value.body.message) == (
        "CHECKOUT_PROCESSED",
        "Checkout is already processed",
    )
    assert sdk.checkouts.get(checkout.id).status == "PAID"


def test_a_checkout_past_valid_until_reads_expired(sdk, new_checkout):
    checkout = new_checkout(valid_until=datetime.now(UTC) - timedelta(seconds=1))

    assert sdk.checkouts.get(checkout.id).status == "EXPIRED"
    assert [c.status for c in sdk.checkouts.list(checkout_reference=checkout.checkout_reference)] == [
        "EXPIRED"
    ]


def test_unknown_paths_and_methods_answer_json(api):
    for path in ("/v0.1/nothing", "/v0.1/me", "/", "/v0.1/checkouts/"):
        response = api.get(path)
        assert response.status_code == 404, path
        assert response.json() == {"error_code": "NOT_FOUND", "message": "Resource not found"}
    assert api.put("/v0.1/checkouts").status_code == 405
    assert api.patch(f"/v0.1/checkouts/{uuid.uuid4()}").status_code == 405
