"""Velocity limits and "same buyer" rules see one mailbox however its address is spelt; the
order keeps the address as the buyer typed it, for sending."""

import pytest

from tests.factories import BROWSER, make_event, make_event_page, ticket_types
from ticketing import fraud
from ticketing.checkout import Buyer, CheckoutRefused, place_order
from ticketing.forms import CheckoutForm

pytestmark = pytest.mark.django_db


@pytest.fixture
def event():
    event = make_event("Comedy Club", types=[("Adult", "15.00", 50)])
    make_event_page(event)
    return event


def order_from(event, email, ip, quantity=2):
    (adult,) = ticket_types(event)
    buyer = Buyer(name="Ann Example", email=email, ip=ip, user_agent=BROWSER)
    return place_order(event, buyer, {adult: quantity})


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("ann@example.com", "ann@example.com"),
        ("Ann@Example.COM", "ann@example.com"),
        ("ann+tickets@example.com", "ann@example.com"),
        ("ann+a+b@example.com", "ann@example.com"),
        ("a.n.n@example.com", "a.n.n@example.com"),  # dots matter outside Gmail
        ("A.N.N+x@GMail.com", "ann@gmail.com"),
        ("ann@googlemail.com", "ann@gmail.com"),
        ("+tickets@example.com", "+tickets@example.com"),  # nothing left without the tag
    ],
)
def test_the_email_key_is_one_spelling_per_mailbox(typed, key):
    assert fraud.email_key(typed) == key


@pytest.mark.parametrize("variant", ["ANN@example.com", "ann+second@example.com", "ann+x@EXAMPLE.com"])
def test_trivial_variants_of_one_address_share_the_email_velocity_limit(event, settings, variant):
    settings.MAX_TICKETS_PER_EMAIL_PER_EVENT = 3
    order_from(event, "ann@example.com", "203.0.113.1")
    with pytest.raises(CheckoutRefused, match="one e-mail address"):
        order_from(event, variant, "198.51.100.2")


def test_gmail_dots_and_googlemail_are_one_mailbox(event, settings):
    settings.MAX_TICKETS_PER_EMAIL_PER_EVENT = 3
    order_from(event, "ann.example@gmail.com", "203.0.113.1")
    with pytest.raises(CheckoutRefused, match="one e-mail address"):
        order_from(event, "annexample+x@googlemail.com", "198.51.100.2")


def test_another_person_at_the_same_address_shares_no_limit(event, settings):
    settings.MAX_TICKETS_PER_EMAIL_PER_EVENT = 3
    order_from(event, "ann@example.com", "203.0.113.1")
    order_from(event, "bea@example.com", "198.51.100.2")


def test_a_variant_of_the_same_mailbox_is_not_another_email_on_a_shared_address(event):
    order_from(event, "ann@example.com", "203.0.113.1", quantity=1)
    second = order_from(event, "Ann+again@example.com", "203.0.113.1", quantity=1)
    third = order_from(event, "bea@example.com", "203.0.113.1", quantity=1)
    assert "shared_ip_other_email" not in second.risk_flags
    assert "shared_ip_other_email" in third.risk_flags


def test_the_order_keeps_the_address_as_typed_and_its_key(event):
    order = order_from(event, "Ann.Example+Jazz@Example.com", "203.0.113.1")
    order.refresh_from_db()
    assert order.email == "Ann.Example+Jazz@Example.com"
    assert order.email_key == "ann.example@example.com"


def test_the_form_keeps_the_address_as_typed_without_surrounding_spaces(event):
    (adult,) = ticket_types(event)
    form = CheckoutForm(
        {
            "name": "Ann",
            "email": "  Ann.Example@Example.com ",
            "accept_terms": "on",
            f"quantity_{adult.pk}": 1,
        },
        event=event,
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data["email"] == "Ann.Example@Example.com"


def test_staff_find_an_order_typed_with_capitals(event, admin_client):
    order = order_from(event, "Ann.Example@Example.com", "203.0.113.1")
    other = order_from(event, "bea@example.com", "203.0.113.2")
    found = admin_client.get("/admin/ticketing/order/", {"q": "ann.example@example.com"})
    html = found.content.decode()
    assert order.reference in html and other.reference not in html
