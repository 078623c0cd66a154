"""Prices as buyers read them on event pages and in the checkout (`{{ amount|price:currency }}`)."""

from decimal import Decimal

import pytest
from django.template import Context, Template


def shown(amount, currency):
    return Template("{% load prices %}{{ amount|price:currency }}").render(
        Context({"amount": amount, "currency": currency})
    )


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        (Decimal("0.00"), "GBP", "Free"),
        (Decimal("12.5"), "GBP", "£12.50"),
        (Decimal("12.50"), "", "£12.50"),
        (Decimal("7"), "EUR", "€7.00"),
        (Decimal("20.00"), "USD", "20.00 USD"),
        (Decimal("1250.00"), "GBP", "£1250.00"),
        (Decimal("2.675"), "GBP", "£2.68"),  # half up, exactly: no float on the way
    ],
)
def test_price_reads_as_buyers_expect(amount, currency, expected):
    assert shown(amount, currency) == expected


def test_an_odd_currency_code_is_escaped():
    assert shown(Decimal("5.00"), "<b>") == "5.00 &lt;b&gt;"
