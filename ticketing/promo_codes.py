"""Promo codes: which code a buyer may use, and what it takes off. The checkout calls this module.

The rules, each once:

* A code is typed in any case (`normalise`): "summer10" is SUMMER10.
* It works for its event, or for every event when it has none; while it is active and within
  its dates; for its chosen ticket types, or all of them when none are chosen.
* It takes a percentage, or a fixed amount, off **each ticket** it applies to (`discounted_price`,
  the one function that computes a discount; Decimal, rounded half up to the penny). Per
  ticket, so that every ticket has the price it was paid: the order's lines store it, and SumUp's
  amount, the order page, e-mails, refunds of single tickets and reconciliation all read it.
* No ticket may come to nothing: free tickets cannot be issued online (SumUp takes no payment of
  zero, and the shop has no free-ticket path), so an order on which the code would make a ticket
  free is refused, with a word to contact the box office. Every ticket costs at least 0.01.
* Its uses are counted when the order is placed (`ticketing.inventory.take_promo_use`, a
  conditional UPDATE, never more than `max_uses`) and given back when the unpaid order expires
  or is cancelled (`ticketing.orders`' transitions, exactly once). A refund of a paid order does
  not give a use back: the code was used.

Nothing here writes: `check` and `price_order` only read, so a refused code reserves nothing.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone

from core.money import format_money
from ticketing.models import Event, Order, PromoCode, TicketType

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
HUNDRED = Decimal("100")


class PromoCodeRefused(Exception):
    """The code cannot be used for this order; the message is for the buyer. Nothing was reserved."""


def normalise(typed: str | None) -> str:
    """The code as stored: without surrounding spaces, in capitals."""
    return (typed or "").strip().upper()


def discounted_price(code: PromoCode | None, ticket_type: TicketType) -> Decimal:
    """What one ticket of `ticket_type` costs with `code`: the one place a discount is computed.

    The list price when there is no code or it does not apply to this type. Never below zero
    (a fixed amount larger than the price); `check` refuses an order in which it would be zero.
    """
    price = ticket_type.price
    if code is None or not applies_to(code, ticket_type):
        return price
    if code.kind == PromoCode.Kind.PERCENT:
        off = (price * code.value / HUNDRED).quantize(CENT, rounding=ROUND_HALF_UP)
    else:
        off = code.value
    return max(price - off, ZERO).quantize(CENT, rounding=ROUND_HALF_UP)


def applies_to(code: PromoCode, ticket_type: TicketType) -> bool:
    """Whether the code takes anything off this ticket type (its event's, and a chosen type)."""
    if code.event_id is not None and code.event_id != ticket_type.event_id:
        return False
    chosen = _chosen_type_ids(code)
    return not chosen or ticket_type.pk in chosen


def _chosen_type_ids(code: PromoCode) -> set[int]:
    cached = getattr(code, "_chosen_type_ids", None)
    if cached is None:
        cached = set(code.ticket_types.values_list("pk", flat=True)) if code.pk else set()
        code._chosen_type_ids = cached
    return cached


@dataclass(frozen=True)
class PricedLine:
    ticket_type: TicketType
    quantity: int
    list_price: Decimal  # the ticket type's price
    unit_price: Decimal  # what each ticket costs in this order (after the code)

    @property
    def line_total(self) -> Decimal:
        return (self.unit_price * self.quantity).quantize(CENT)

    @property
    def discounted(self) -> bool:
        return self.unit_price != self.list_price


@dataclass(frozen=True)
class PricedOrder:
    """An order's lines and total as the server prices them, with its code (or none)."""

    lines: tuple[PricedLine, ...]
    code: PromoCode | None

    @property
    def total(self) -> Decimal:
        return sum((line.line_total for line in self.lines), ZERO).quantize(CENT)

    @property
    def discount(self) -> Decimal:
        full = sum(((line.list_price * line.quantity) for line in self.lines), ZERO)
        return (full - self.total).quantize(CENT)

    @property
    def unit_prices(self) -> dict[TicketType, Decimal]:
        return {line.ticket_type: line.unit_price for line in self.lines}


def price_order(quantities: dict[TicketType, int], code: PromoCode | None = None) -> PricedOrder:
    """Price `quantities` from our database only, with `code` (already checked) if any."""
    lines = tuple(
        PricedLine(t, n, t.price, discounted_price(code, t))
        for t, n in sorted(quantities.items(), key=lambda item: (item[0].sort_order or 0, item[0].pk))
        if n
    )
    return PricedOrder(lines=lines, code=code)


def check(event: Event, typed: str | None, quantities: dict[TicketType, int], now=None) -> PromoCode | None:
    """The code the buyer typed, if it may be used on this order; None when nothing was typed.

    Raises PromoCodeRefused, in the buyer's words. Whether a use is left is said here too, but
    only `ticketing.inventory.take_promo_use`, as the order is placed, can say it for certain.
    """
    wanted = normalise(typed)
    if not wanted:
        return None
    now = now or timezone.now()
    code = PromoCode.objects.filter(code=wanted).prefetch_related("ticket_types").first()
    if code is None or not code.active or (code.event_id is not None and code.event_id != event.pk):
        raise PromoCodeRefused(
            f"We don’t know the promo code {wanted} for this event. Check it, or leave the box empty."
        )
    if code.valid_from and now < code.valid_from:
        raise PromoCodeRefused(f"The promo code {wanted} does not work yet.")
    if code.valid_until and now >= code.valid_until:
        raise PromoCodeRefused(f"The promo code {wanted} has expired.")
    if code.max_uses is not None and code.used >= code.max_uses and not _held_by_overdue_orders(code, now):
        raise PromoCodeRefused(f"Sorry, the promo code {wanted} has been used as many times as it can be.")
    code._chosen_type_ids = {t.pk for t in code.ticket_types.all()}
    chosen = [t for t, n in quantities.items() if n]
    if chosen and not any(applies_to(code, t) for t in chosen):
        raise PromoCodeRefused(f"The promo code {wanted} does not apply to the tickets you chose.")
    free = [t.name for t in chosen if discounted_price(code, t) <= ZERO]
    if free:
        raise PromoCodeRefused(
            f"The promo code {wanted} would make {', '.join(free)} tickets free, and free tickets "
            "cannot be issued online. Please contact us."
        )
    return code


def _held_by_overdue_orders(code: PromoCode, now) -> bool:
    """Whether unpaid orders whose hold has run out still count a use: the checkout frees those
    (`ticketing.orders.expire_overdue_holds`) before it gives up, as it does for seats."""
    return code.orders.filter(status=Order.Status.PENDING, expires_at__lte=now).exists()


def describe(code: PromoCode, currency: str) -> str:
    """What the code takes off, for staff and buyers: "10% off each ticket", "5.00 off each ticket" with its currency."""
    if code.kind == PromoCode.Kind.PERCENT:
        return f"{code.value.normalize():f}% off each ticket"
    return f"{format_money(code.value, currency)} off each ticket"
