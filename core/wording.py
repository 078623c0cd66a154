"""Counts as a person writes them: "1 order", "2 orders", never "2 order(s)".

Through Django's plural support (`ngettext`), so a translation of the site would pluralise by
its own language's rules, not by adding an "s".
"""

from django.utils.translation import ngettext


def counted(number: int, singular: str, plural: str) -> str:
    """`number` with the word that fits it: counted(1, "order", "orders") is "1 order"."""
    return ngettext("%(number)d " + singular, "%(number)d " + plural, number) % {"number": number}
