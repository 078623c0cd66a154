"""`{{ amount|price:currency }}`: a price as buyers read it, on event pages and in the checkout.

"Free" for nothing, a £ or € sign for the island's currencies, else the ISO code after the
amount; always two decimals. (Staff's admin lists format money their own way.)
"""

from django import template
from django.template.defaultfilters import floatformat

register = template.Library()

_SIGNS = {"GBP": "£", "EUR": "€"}


@register.filter
def price(amount, currency="GBP"):
    if amount == 0:
        return "Free"
    # floatformat rounds a Decimal exactly (half up), never through a float.
    digits = floatformat(amount, 2)
    currency = currency or "GBP"
    if currency in _SIGNS:
        return f"{_SIGNS[currency]}{digits}"
    return f"{digits} {currency}"
