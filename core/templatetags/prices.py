"""Money in templates, in the words of `core.money.format_money` (which owns every rule).

* `{{ amount|money:currency }}`: any amount (an order's total, a refund, a payment).
* `{{ price|price:currency }}`: a ticket's price on a price list, where nothing to pay reads
  "Free" rather than a zero amount.

Both need the currency: a template that forgot it is refused when it is compiled, instead of
quietly showing pounds. Like Django's own filters they never raise while a page renders: a
value that is not an amount (a float included) shows as nothing, not as an error page.
"""

from decimal import Decimal, InvalidOperation

from django import template

from core.money import format_money

register = template.Library()


@register.filter
def money(amount, currency):
    return _shown(_as_amount(amount), currency)


@register.filter
def price(amount, currency):
    amount = _as_amount(amount)
    if amount == 0:
        return "Free"
    return _shown(amount, currency)


def _as_amount(value) -> Decimal | int | None:
    """The amount a template was given, or None when it is not one.

    A numeric string (a form's value) is read exactly. A float is not an amount (see
    `core.money`), nor are NaN and the infinities.
    """
    if isinstance(value, str):
        try:
            value = Decimal(value.strip())
        except InvalidOperation:
            return None
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        return None
    if isinstance(value, Decimal) and not value.is_finite():
        return None
    return value


def _shown(amount, currency) -> str:
    return format_money(amount, str(currency or ""))
