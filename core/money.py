"""Money as people read it: `format_money(amount, currency)`, the one place an amount becomes text.

Every page, e-mail, admin screen and message to staff or buyers goes through it (templates
through `{{ amount|money:currency }}` and `{{ amount|price:currency }}`, admin list columns
through `core.admin.money`), so an event sold in euros reads "€40.00" wherever its money is
shown, never "£40.00" because one template assumed the island's usual currency.

The rules, in one sentence each:

* The currency's sign before the amount for the three currencies buyers here know by sign
  (£, €, $); any other currency by its ISO code and a space ("CHF 12.50"), which no reader
  can mistake.
* Always two decimals, rounded half up (as a till does), with thousands separated by commas.
* A minus before everything ("-£5.00"), and never a "-£0.00" from rounding a tiny negative.
* No amount (None) reads as nothing, so a template or a message can show "-" or leave a gap.

Amounts are `Decimal` (or whole numbers). A float is refused rather than formatted: a binary
float cannot hold most amounts of pence exactly, and a float reaching this function means the
exact amount was already lost somewhere upstream.
"""

from decimal import ROUND_HALF_UP, Context, Decimal

CENT = Decimal("0.01")

# Currencies shown by their sign; every other currency is shown by its ISO code.
SIGNS = {"GBP": "£", "EUR": "€", "USD": "$"}


def format_money(amount: Decimal | int | None, currency: str) -> str:
    """`amount` in `currency` as people read it: "£1,234.50", "€7.00", "CHF 12.50", "-$5.00".

    `currency` is an ISO 4217 code, case and surrounding spaces forgiven; a blank one (SumUp
    did not say) gives the amount alone rather than a guessed sign. None gives "".

    Raises TypeError for a float (or anything that is not a number), ValueError for NaN or an
    infinity: both are bugs upstream, and showing them would show a wrong amount.
    """
    if amount is None:
        return ""
    pence = _to_pence(amount)
    sign = "-" if pence < 0 else ""
    digits = f"{pence.copy_abs():,.2f}"  # copy_abs, unlike abs(), never rounds
    code = (currency or "").strip().upper()
    if code in SIGNS:
        return f"{sign}{SIGNS[code]}{digits}"
    if code:
        return f"{sign}{code} {digits}"
    return f"{sign}{digits}"


def _to_pence(amount: Decimal | int) -> Decimal:
    """The amount rounded half up to whole pence (cents), exactly: no float on the way."""
    if isinstance(amount, bool) or not isinstance(amount, Decimal | int):
        raise TypeError(f"an amount of money must be a Decimal, not {type(amount).__name__}")
    amount = Decimal(amount)
    if not amount.is_finite():
        raise ValueError(f"{amount} is not an amount of money")
    # Enough precision for every digit of the amount, so that a large one is never refused.
    precision = Context(prec=max(28, amount.adjusted() + 3))
    return amount.quantize(CENT, rounding=ROUND_HALF_UP, context=precision)
