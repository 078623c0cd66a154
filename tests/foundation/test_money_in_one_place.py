"""Money is formatted in one place, `core.money`: no template or module spells a currency itself.

A hard-coded "£" once made an order in euros read "£40.00". Every product file is read here
(templates, the apps' Python, templates and text), and each of these fails with its file and
line:

* a currency sign typed in ("£", "€"): the sign belongs to the amount's currency;
* an amount followed by its currency code, as `{{ amount }} {{ currency }}` in a template or
  f"{amount} {payment.currency}" in Python: that is `format_money` done by hand, and forgets
  the sign, the thousands and the rounding.

`core/money.py`, which owns the signs, is the one file allowed them. The SumUp sandbox is not
read: it imitates SumUp's own payment page, which is not ours to word.
"""

import re
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]
READ = ("templates", "core", "home", "legal", "ticketing", "config")
SUFFIXES = {".py", ".html", ".txt"}
OWNER = BASE_DIR / "core" / "money.py"

SIGNS = re.compile("[£€]")
# `{{ amount }} {{ order.currency }}` in a template; f"{amount} {payment.currency}" in Python.
AMOUNT_THEN_CODE = re.compile(r"}}\s*{{\s*[\w.]*currency\s*}}|\{[^{}]*\}\s*\{[\w.()]*currency\}")


def product_files():
    for folder in READ:
        for path in sorted((BASE_DIR / folder).rglob("*")):
            if path.suffix in SUFFIXES and path != OWNER and "migrations" not in path.parts:
                yield path


def offences(pattern):
    found = []
    for path in product_files():
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if pattern.search(line):
                found.append(f"{path.relative_to(BASE_DIR)}:{number}: {line.strip()}")
    return found


def test_the_files_read_include_the_pages_the_emails_and_the_payment_code():
    read = {path.relative_to(BASE_DIR).as_posix() for path in product_files()}
    assert {
        "templates/ticketing/order_detail.html",
        "templates/emails/tickets.txt",
        "ticketing/payments/refunds.py",
    } <= read
    assert "core/money.py" not in read


def test_no_currency_sign_is_typed_in_outside_core_money():
    assert offences(SIGNS) == [], "format money with format_money or {{ amount|money:currency }}"


def test_no_amount_is_followed_by_its_currency_code_by_hand():
    assert offences(AMOUNT_THEN_CODE) == [], "format money with format_money or {{ amount|money:currency }}"


def test_the_patterns_catch_what_they_are_meant_to():
    assert SIGNS.search("<td>£{{ order.total }}</td>")
    assert AMOUNT_THEN_CODE.search("<td>{{ refund.amount }} {{ refund.payment.currency }}</td>")
    assert AMOUNT_THEN_CODE.search('f"{amount} {payment.currency} is more than"')
    assert not AMOUNT_THEN_CODE.search("{{ order.total|money:order.currency }}")
    assert not AMOUNT_THEN_CODE.search('f"{format_money(amount, payment.currency)} is more than"')
