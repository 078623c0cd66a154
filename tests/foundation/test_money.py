"""`core.money.format_money`: the one place an amount of money becomes text."""

from decimal import Decimal

import pytest

from core.money import format_money


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        # The sign for the currencies known by sign, the ISO code for the rest.
        (Decimal("40.00"), "GBP", "£40.00"),
        (Decimal("40.00"), "EUR", "€40.00"),
        (Decimal("40.00"), "USD", "$40.00"),
        (Decimal("12.50"), "CHF", "CHF 12.50"),
        (Decimal("99"), "SEK", "SEK 99.00"),
        # Always two decimals, rounded half up, exactly.
        (Decimal("7"), "GBP", "£7.00"),
        (Decimal("7.5"), "GBP", "£7.50"),
        (Decimal("2.675"), "GBP", "£2.68"),
        (Decimal("2.665"), "GBP", "£2.67"),  # half up, not to even
        (Decimal("2.6749"), "GBP", "£2.67"),
        (Decimal("0.005"), "EUR", "€0.01"),
        (7, "GBP", "£7.00"),
        (0, "GBP", "£0.00"),
        # Thousands separated.
        (Decimal("1234.50"), "GBP", "£1,234.50"),
        (Decimal("1234567.89"), "CHF", "CHF 1,234,567.89"),
        (Decimal("999.999"), "EUR", "€1,000.00"),
        # A minus before everything; a rounded-away negative is no "-£0.00".
        (Decimal("-5"), "GBP", "-£5.00"),
        (Decimal("-1234.5"), "CHF", "-CHF 1,234.50"),
        (Decimal("-0.001"), "GBP", "£0.00"),
        (Decimal("-0.00"), "EUR", "€0.00"),
        # The currency code's case and spaces are forgiven; a blank one gives the amount alone.
        (Decimal("3"), "eur", "€3.00"),
        (Decimal("3"), " usd ", "$3.00"),
        (Decimal("3"), "", "3.00"),
        (Decimal("-3"), None, "-3.00"),
        # Amounts far beyond any order still come out whole, every digit kept.
        (Decimal("123456789012345678901234567890.125"), "GBP", "£123,456,789,012,345,678,901,234,567,890.13"),
        (Decimal("1E+3"), "GBP", "£1,000.00"),
    ],
)
def test_an_amount_reads_as_people_expect(amount, currency, expected):
    assert format_money(amount, currency) == expected


def test_no_amount_reads_as_nothing():
    assert format_money(None, "GBP") == ""


@pytest.mark.parametrize("amount", [12.5, 0.1 + 0.2, "12.50", True])
def test_a_float_or_anything_else_that_is_not_an_exact_amount_is_refused(amount):
    with pytest.raises(TypeError):
        format_money(amount, "GBP")


@pytest.mark.parametrize("amount", [Decimal("NaN"), Decimal("Infinity"), Decimal("-Infinity")])
def test_nan_and_infinity_are_refused(amount):
    with pytest.raises(ValueError):
        format_money(amount, "GBP")
