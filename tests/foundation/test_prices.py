"""Money in templates: `{{ amount|price:currency }}` on price lists, `{{ amount|money:currency }}`
for every other amount. The rules themselves are `core.money`'s (tests/foundation/test_money.py)."""

from decimal import Decimal

import pytest
from django.template import Context, Template, TemplateSyntaxError


def shown(amount, currency, tag="price"):
    return Template(f"{{% load prices %}}{{{{ amount|{tag}:currency }}}}").render(
        Context({"amount": amount, "currency": currency})
    )


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        (Decimal("0.00"), "GBP", "Free"),
        (Decimal("12.5"), "GBP", "£12.50"),
        (Decimal("12.50"), "", "12.50"),  # no currency: no guessed sign
        (Decimal("7"), "EUR", "€7.00"),
        (Decimal("20.00"), "USD", "$20.00"),
        (Decimal("12.50"), "CHF", "CHF 12.50"),
        (Decimal("1250.00"), "GBP", "£1,250.00"),
        (Decimal("2.675"), "GBP", "£2.68"),  # half up, exactly: no float on the way
    ],
)
def test_price_reads_as_buyers_expect(amount, currency, expected):
    assert shown(amount, currency) == expected


def test_money_shows_nothing_to_pay_as_an_amount_not_as_free():
    assert shown(Decimal("0.00"), "EUR", tag="money") == "€0.00"
    assert shown(Decimal("40.00"), "EUR", tag="money") == "€40.00"


@pytest.mark.parametrize("tag", ["price", "money"])
@pytest.mark.parametrize("value", [None, "", "lots", 12.5, "NaN", Decimal("Infinity")])
def test_what_is_not_an_amount_shows_as_nothing_rather_than_an_error_page(tag, value):
    assert shown(value, "GBP", tag=tag) == ""


def test_a_numeric_string_from_a_form_is_read_exactly():
    assert shown("1234.5", "EUR", tag="money") == "€1,234.50"


@pytest.mark.parametrize("tag", ["price", "money"])
def test_a_template_that_forgets_the_currency_is_refused_when_compiled(tag):
    with pytest.raises(TemplateSyntaxError):
        Template(f"{{% load prices %}}{{{{ amount|{tag} }}}}")


def test_an_odd_currency_code_is_escaped():
    assert shown(Decimal("5.00"), "<b>") == "&lt;B&gt; 5.00"
