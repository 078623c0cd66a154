"""Rate limits and velocity limits count clients by network, and no address gets a free pass.

One IPv6 connection is usually given a whole /64, so counting each IPv6 address as a client
would let one household (or one attacker) hold an event's stock from 2^64 "different" clients.
"""

import pytest
from django.urls import reverse

from tests.factories import BROWSER, make_event, make_event_page, ticket_types
from ticketing import fraud
from ticketing.checkout import Buyer, CheckoutRefused, place_order
from ticketing.models import Order

pytestmark = pytest.mark.django_db


@pytest.fixture
def event():
    event = make_event("Comedy Club", types=[("Adult", "15.00", 50)])
    make_event_page(event)
    return event


def buyer(ip, email="ann@example.com"):
    return Buyer(name="Ann Example", email=email, ip=ip, user_agent=BROWSER)


def order_from(event, ip, email, quantity=2):
    (adult,) = ticket_types(event)
    return place_order(event, buyer(ip, email), {adult: quantity})


def checkout(client, event, **headers):
    """A checkout with no tickets: refused by the rules (400) unless the rate limit says 429."""
    (adult,) = ticket_types(event)
    data = {"name": "Ann", "email": "ann@example.com", "accept_terms": "on", f"quantity_{adult.pk}": 0}
    return client.post(
        reverse("ticketing:checkout", args=[event.pk]), data, HTTP_USER_AGENT=BROWSER, **headers
    ).status_code


def webhook(client, **headers):
    """A callback about a checkout we never created: answered 204 unless rate limited."""
    return client.post(
        reverse("ticketing:sumup-webhook"),
        {"event_type": "CHECKOUT_STATUS_CHANGED", "id": "not-one-of-ours"},
        content_type="application/json",
        **headers,
    ).status_code


# --- The client key -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "key"),
    [
        ("203.0.113.9", "203.0.113.9"),
        ("::ffff:203.0.113.9", "203.0.113.9"),
        ("2001:db8:1:2::1", "2001:db8:1:2::/64"),
        ("2001:DB8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::/64"),
        ("not an address", "unparseable"),
        ("", "unparseable"),
        (None, "unparseable"),
    ],
)
def test_the_client_key_is_the_ipv4_address_or_the_ipv6_network(address, key):
    assert fraud.client_key(address) == key


def test_the_ipv6_prefix_is_a_setting(settings):
    settings.IPV6_CLIENT_PREFIX = 48
    assert fraud.client_key("2001:db8:1:2::1") == fraud.client_key("2001:db8:1:ffff::1") == "2001:db8:1::/48"


# --- Velocity limits ------------------------------------------------------------------------


def test_two_addresses_in_one_ipv6_64_share_a_velocity_limit(event, settings):
    settings.MAX_TICKETS_PER_IP_PER_EVENT = 3
    order_from(event, "2001:db8:1:2::1", "ann@example.com")
    with pytest.raises(CheckoutRefused, match="one connection"):
        order_from(event, "2001:db8:1:2:ffff::2", "bea@example.com")
    # The next /64 is another client.
    order_from(event, "2001:db8:1:3::1", "cy@example.com")


def test_an_ipv4_mapped_address_is_the_plain_ipv4_client(event, settings):
    settings.MAX_TICKETS_PER_IP_PER_EVENT = 3
    order_from(event, "203.0.113.9", "ann@example.com")
    with pytest.raises(CheckoutRefused, match="one connection"):
        order_from(event, "::ffff:203.0.113.9", "bea@example.com")


def test_orders_with_no_readable_address_share_one_velocity_limit(event, settings):
    settings.MAX_TICKETS_PER_IP_PER_EVENT = 3
    order_from(event, None, "ann@example.com")
    with pytest.raises(CheckoutRefused, match="one connection"):
        order_from(event, None, "bea@example.com")


def test_the_order_keeps_the_address_as_given_and_the_client_it_counts_as(event):
    order = order_from(event, "2001:db8:1:2::1", "ann@example.com")
    order.refresh_from_db()
    assert order.created_ip == "2001:db8:1:2::1"
    assert order.client_key == "2001:db8:1:2::/64"


def test_garbage_forwarded_for_behind_a_trusted_proxy_is_limited_not_unlimited(
    client, event, settings, sumup_sandbox
):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.MAX_TICKETS_PER_IP_PER_EVENT = 3
    (adult,) = ticket_types(event)
    url = reverse("ticketing:checkout", args=[event.pk])

    def buy(forwarded_for, email):
        data = {"name": "Ann", "email": email, "accept_terms": "on", f"quantity_{adult.pk}": 2}
        return client.post(url, data, HTTP_USER_AGENT=BROWSER, HTTP_X_FORWARDED_FOR=forwarded_for)

    assert buy("garbage", "ann@example.com").status_code == 303
    response = buy("more-garbage", "bea@example.com")
    assert response.status_code == 409
    assert "one connection" in response.content.decode()
    assert Order.objects.count() == 1


def test_an_address_with_an_interface_zone_is_stored_without_it(client, event, settings, sumup_sandbox):
    """The zone (`%eth0`) names an interface of the machine that saw the address, not the
    client; PostgreSQL's inet column cannot even hold it."""
    settings.TRUSTED_PROXY_COUNT = 1
    (adult,) = ticket_types(event)
    data = {"name": "Ann", "email": "ann@example.com", "accept_terms": "on", f"quantity_{adult.pk}": 1}
    response = client.post(
        reverse("ticketing:checkout", args=[event.pk]),
        data,
        HTTP_USER_AGENT=BROWSER,
        HTTP_X_FORWARDED_FOR="fe80::1%eth0",
    )
    assert response.status_code == 303
    order = Order.objects.get()
    assert order.created_ip == "fe80::1"
    assert order.client_key == "fe80::/64"


# --- Rate limits ----------------------------------------------------------------------------


def test_two_addresses_in_one_ipv6_64_share_the_checkout_rate_limit(client, event, settings):
    settings.CHECKOUT_RATE_LIMIT = "2/d"
    assert checkout(client, event, REMOTE_ADDR="2001:db8:1:2::1") == 400
    assert checkout(client, event, REMOTE_ADDR="2001:db8:1:2::2") == 400
    assert checkout(client, event, REMOTE_ADDR="2001:db8:1:2:ffff::3") == 429
    assert checkout(client, event, REMOTE_ADDR="2001:db8:1:3::1") == 400


def test_mapped_and_plain_ipv4_share_the_checkout_rate_limit(client, event, settings):
    settings.CHECKOUT_RATE_LIMIT = "2/d"
    assert checkout(client, event, REMOTE_ADDR="198.51.100.1") == 400
    assert checkout(client, event, REMOTE_ADDR="::ffff:198.51.100.1") == 400
    assert checkout(client, event, REMOTE_ADDR="198.51.100.1") == 429


def test_garbage_forwarded_for_shares_one_checkout_rate_limit(client, event, settings):
    settings.CHECKOUT_RATE_LIMIT = "2/d"
    settings.TRUSTED_PROXY_COUNT = 1
    assert checkout(client, event, HTTP_X_FORWARDED_FOR="garbage") == 400
    assert checkout(client, event, HTTP_X_FORWARDED_FOR="999.1.1.1") == 400
    assert checkout(client, event, HTTP_X_FORWARDED_FOR="fe80::zz") == 429
    assert checkout(client, event, HTTP_X_FORWARDED_FOR="198.51.100.2") == 400


def test_two_addresses_in_one_ipv6_64_share_the_webhook_rate_limit(client, settings):
    settings.WEBHOOK_RATE_LIMIT = "2/d"
    assert webhook(client, REMOTE_ADDR="2001:db8:1:2::1") == 204
    assert webhook(client, REMOTE_ADDR="2001:db8:1:2::2") == 204
    assert webhook(client, REMOTE_ADDR="2001:db8:1:2::3") == 429
    assert webhook(client, REMOTE_ADDR="2001:db8:9:9::1") == 204
