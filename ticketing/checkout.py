"""Placing an order and sending the buyer to pay for it: the purchase path from the form to SumUp.

`place_order` checks the order's rules and runs one short transaction: the pending order, its
lines and the reservation (`ticketing.orders.place`) commit together or not at all. `start_payment` runs after that commit, because it calls
SumUp and no network call may happen while inventory rows are locked.
"""

import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import OperationalError, connection, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from wagtail.models import Revision

from core.models import TermsInForce
from ticketing import fraud, orders, promo_codes
from ticketing.inventory import SoldOut, refuse_when_short
from ticketing.models import Event, Order, Payment, PromoCode, TicketType
from ticketing.payments import sumup
from ticketing.payments.confirmation import close_open_checkouts

logger = logging.getLogger(__name__)

# A payment page that would close within this time is not worth opening.
MIN_TIME_TO_PAY = timedelta(minutes=1)


class CheckoutRefused(Exception):
    """The order cannot be placed; the message is for the buyer.

    `ticket_type` names the ticket type the refusal is about, when it is about one, so the form
    can show the message beside that quantity; `field` names another field of the form it is
    about ("promo_code").
    """

    def __init__(self, message, *, ticket_type=None, field=None):
        super().__init__(message)
        self.ticket_type = ticket_type
        self.field = field


class OrderRuleBroken(CheckoutRefused):
    """The order asks for something no order may have (too many of a type, none at all)."""


class NotEnoughLeft(CheckoutRefused):
    """The tickets asked for, or the promo code's uses, ran out (overdue holds freed first)."""


class CheckoutBusy(CheckoutRefused):
    """The stock could not be locked quickly (a stuck transaction): try again in a moment."""


class PaymentUnavailable(Exception):
    """SumUp could not start a payment; the message is for the buyer."""


class PaymentDelayed(PaymentUnavailable):
    """SumUp asked us to slow down (429): the order keeps its hold; the buyer pays again shortly."""

    def __init__(self, order):
        super().__init__(
            "Our payment provider is very busy just now. Your tickets are held for you: "
            "press “Try paying again” in a moment."
        )
        self.order = order


@dataclass(frozen=True)
class Buyer:
    name: str
    email: str
    ip: str | None
    user_agent: str
    # The Terms they accepted with the checkout's box: those in force on the site as they
    # bought (core.models.SiteSettings.terms_in_force), or None when the site has none.
    terms: TermsInForce | None = None


def orders_accepted_terms_on(page_ids) -> bool:
    """Whether an order records acceptance of a revision of any of these pages.

    Those revisions are the evidence of what buyers agreed to (`Order.terms_revision`): the
    pages that hold them must not be deleted.
    """
    return Order.objects.filter(
        terms_revision__in=Revision.page_revisions.filter(object_id__in=[str(pk) for pk in page_ids])
    ).exists()


def order_total(quantities: dict[TicketType, int], promo_code: PromoCode | None = None) -> Decimal:
    """The amount to charge, from the prices in our database only (with a checked promo code)."""
    return promo_codes.price_order(quantities, promo_code).total


@dataclass(frozen=True)
class OrderLinePreview:
    ticket_type: TicketType
    quantity: int
    line_total: Decimal
    unit_price: Decimal | None = None  # after the promo code; the ticket type's price without one


@dataclass(frozen=True)
class OrderPreview:
    """What the buyer is about to pay for, before anything is reserved: the review step's table."""

    lines: list[OrderLinePreview]
    total: Decimal
    promo_code: PromoCode | None = None
    discount: Decimal = Decimal("0.00")


def preview_order(quantities: dict[TicketType, int], promo_code: PromoCode | None = None) -> OrderPreview:
    """The lines and total of an order of `quantities`, priced from our database only.

    The same arithmetic as the order `place_order` would create (`promo_codes.price_order`), so
    the "Pay" amount on the review page is the amount SumUp is asked for.
    """
    priced = promo_codes.price_order(quantities, promo_code)
    lines = [
        OrderLinePreview(
            ticket_type=line.ticket_type,
            quantity=line.quantity,
            line_total=line.line_total,
            unit_price=line.unit_price,
        )
        for line in priced.lines
    ]
    return OrderPreview(lines=lines, total=priced.total, promo_code=promo_code, discount=priced.discount)


def check_promo_code(event: Event, typed: str | None, quantities: dict[TicketType, int]) -> PromoCode | None:
    """The promo code the buyer typed, checked for this order (None when the box was empty).

    Raises OrderRuleBroken about the form's "promo_code" field; nothing is reserved.
    """
    try:
        return promo_codes.check(event, typed, quantities)
    except promo_codes.PromoCodeRefused as refused:
        raise OrderRuleBroken(str(refused), field="promo_code") from None


def check_order_rules(event: Event, quantities: dict[TicketType, int], now=None) -> None:
    """Every rule about what one order may contain, in the buyer's words. Raises CheckoutRefused.

    The form only parses what was typed; these rules are the shop's, so they hold for any
    caller (a form, a test, a future API). Stock is not among them: only the inventory's
    conditional UPDATE can say whether tickets remain.
    """
    problems = order_rule_problems(event, quantities, now)
    if problems:
        raise problems[0]


def order_rule_problems(
    event: Event, quantities: dict[TicketType, int], now=None, *, count_none_chosen=True
) -> list[CheckoutRefused]:
    """Every rule `quantities` break, each as the refusal to show the buyer, all at once.

    The checkout shows them together with the form's own errors, so a buyer fixes everything in
    one round instead of meeting one message at a time. `count_none_chosen=False` leaves out
    "Choose at least one ticket" for a form whose quantities did not all parse: the buyer may
    well have chosen some.
    """
    closed = event.why_not_on_sale(now)
    if closed:
        return [CheckoutRefused(closed)]  # a conflict with the clock, not the buyer's mistake
    if any(t.event_id != event.pk for t in quantities):
        return [OrderRuleBroken("Your order named a ticket type that is not sold for this event.")]
    if any(n < 0 for n in quantities.values()):
        return [OrderRuleBroken("The number of tickets cannot be negative.")]
    if not any(quantities.values()):
        return [OrderRuleBroken("Choose at least one ticket.")] if count_none_chosen else []
    problems = [
        OrderRuleBroken(
            f"You can buy at most {ticket_type.max_per_order} {ticket_type.name} tickets in one order.",
            ticket_type=ticket_type,
        )
        for ticket_type, n in quantities.items()
        if n > ticket_type.max_per_order
    ]
    if not problems and order_total(quantities) <= 0:
        problems.append(OrderRuleBroken("These tickets cannot be bought online; please contact us."))
    return problems


def place_order(
    event: Event, buyer: Buyer, quantities: dict[TicketType, int], promo_code: str | None = None
) -> Order:
    """Create a pending order holding `quantities` for ORDER_HOLD_MINUTES.

    Raises CheckoutRefused (nothing created, nothing reserved) when a rule of the order is
    broken, the promo code cannot be used, a velocity limit is reached or the tickets (or the
    code's uses) are gone; CheckoutBusy when the stock could not be locked in time. When stock
    runs short, holds of this event that have run out are released here first and the
    reservation is tried once more, so tickets never wait for the worker's expiry job.
    """
    check_order_rules(event, quantities)
    quantities = {t: n for t, n in quantities.items() if n}
    code = check_promo_code(event, promo_code, quantities)
    try:
        refuse_when_short(event, quantities)  # the rows read for this request, before any lock
        return _place(event, buyer, quantities, code)
    except SoldOut as sold_out:
        freed = orders.expire_overdue_holds(event_id=event.pk)
        if code is not None:
            # A site-wide code's uses may be held by overdue orders of other events.
            freed += orders.expire_overdue_holds(promo_code_id=code.pk)
        if not freed:
            raise _sold_out_refusal(sold_out) from None
    try:
        return _place(event, buyer, quantities, code)
    except SoldOut as sold_out:
        raise _sold_out_refusal(sold_out) from None


def _sold_out_refusal(sold_out: SoldOut) -> NotEnoughLeft:
    """Tickets, or the promo code's uses, ran out: said beside the field it is about."""
    return NotEnoughLeft(
        str(sold_out), ticket_type=sold_out.ticket_type, field=getattr(sold_out, "field", None)
    )


def _place(event: Event, buyer: Buyer, quantities: dict[TicketType, int], code: PromoCode | None) -> Order:
    """One short transaction: velocity limits, then the order, its lines and its stock."""
    try:
        with transaction.atomic():
            _limit_lock_wait()
            # Velocity limits see every order of this buyer that committed before: one buyer's
            # simultaneous checkouts queue on the buyer's own locks (not on a row every buyer
            # needs) and then see each other. The stock rows are locked last, by orders.place.
            keys = fraud.buyer_keys(buyer.ip, buyer.email)
            fraud.queue_buyer(event.pk, keys)
            flags = fraud.assess(event.pk, keys, quantities, buyer.user_agent)
            priced = promo_codes.price_order(quantities, code)
            return orders.place(
                event,
                orders.NewOrder(
                    name=buyer.name,
                    email=buyer.email,
                    ip=buyer.ip,
                    client_key=keys.client,
                    email_key=keys.email,
                    user_agent=buyer.user_agent,
                    quantities=quantities,
                    total=priced.total,
                    risk_flags=flags,
                    terms=buyer.terms,
                    promo_code=code,
                    unit_prices=priced.unit_prices,
                    discount=priced.discount,
                ),
            )
    except fraud.VelocityLimitExceeded as refused:
        raise CheckoutRefused(str(refused)) from None
    except OperationalError as error:
        if not _is_lock_timeout(error):
            raise
        logger.warning("checkout gave up waiting for a lock", extra={"event": event.pk})
        raise CheckoutBusy(
            "So many people are buying tickets right now that we could not hold yours. "
            "Nothing has been charged; please try again in a moment."
        ) from None


def _limit_lock_wait() -> None:
    """On PostgreSQL, wait at most CHECKOUT_LOCK_TIMEOUT_MS for a lock in this transaction.

    A transaction stuck holding a stock row (a hung worker, a slow admin save) would otherwise
    queue every buyer behind it until the web server's own timeout; this way each buyer gets a
    clear "busy, try again" instead. SQLite has its busy timeout for the same purpose.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL lock_timeout = %s", [f"{int(settings.CHECKOUT_LOCK_TIMEOUT_MS)}ms"])


def _is_lock_timeout(error: OperationalError) -> bool:
    # PostgreSQL's SQLSTATE for "lock_not_available" (a lock_timeout that ran out).
    return getattr(getattr(error, "__cause__", None), "pgcode", None) == "55P03"


def callback_url() -> str | None:
    """Our webhook, for SumUp's unsigned `return_url` callbacks.

    None when SumUp's signed events are configured (SUMUP_WEBHOOK_SECRET): the webhook then
    refuses anything unsigned, so asking SumUp for unsigned callbacks would only earn retries.
    """
    if settings.SUMUP_WEBHOOK_SECRET:
        return None
    return settings.SITE_URL + reverse("ticketing:sumup-webhook")


def order_url(order: Order) -> str:
    return settings.SITE_URL + reverse("ticketing:order", args=[order.token])


def start_payment(order: Order, *, retry: bool = False, placed_now: bool = False) -> Payment:
    """Open a SumUp hosted checkout for exactly the order's total; the buyer is sent there.

    Each attempt gets a fresh checkout reference (SumUp refuses a reused one). One attempt at a
    time owns the order (a short lease taken with a conditional UPDATE), and a retry closes the
    earlier checkouts first, so an order has one payable checkout at any moment even when two
    tabs press "Try paying again" together. If SumUp cannot be reached for the first attempt,
    the order is cancelled and its tickets released at once, rather than held for a buyer who
    cannot pay; a failed retry keeps the hold, and so does SumUp throttling us (429): that says
    nothing about this buyer, who pays again from the order page (PaymentDelayed).

    `placed_now`: the order was placed by this very request, whose answer has not yet given its
    token to anyone, so no other attempt can exist or start until this one has finished: the
    lease (two UPDATEs on every checkout) is not needed and not taken.
    """
    if placed_now and not retry:
        return _open_checkout(order, retry=False)
    if not _take_payment_lease(order):
        raise PaymentUnavailable(
            "Your payment page is being opened in another window. Use that one, or try again in a moment."
        )
    try:
        return _open_checkout(order, retry=retry)
    finally:
        Order.objects.filter(pk=order.pk).update(payment_lease_until=None)


def _take_payment_lease(order: Order) -> bool:
    now = timezone.now()
    return bool(
        Order.objects.filter(pk=order.pk)
        .filter(Q(payment_lease_until__isnull=True) | Q(payment_lease_until__lt=now))
        .update(payment_lease_until=now + timedelta(seconds=settings.PAYMENT_START_LEASE_SECONDS))
    )


def _open_checkout(order: Order, *, retry: bool) -> Payment:
    first_attempt = not retry
    if retry:
        close_open_checkouts(order)
        order.refresh_from_db()
    now = timezone.now()
    if order.status in Order.WAS_PAID:
        raise PaymentUnavailable("This order has already been paid.")
    if order.status != Order.Status.PENDING or order.expires_at - now < MIN_TIME_TO_PAY:
        raise PaymentUnavailable("The hold on these tickets has ended. Please start a new order.")
    reference = f"{order.reference}-{secrets.token_hex(4)}"
    try:
        state = sumup.create_checkout(
            reference=reference,
            amount=order.total,
            currency=order.currency,
            description=f"{order.reference} {order.event.title}"[:255],
            return_url=callback_url(),
            redirect_url=order_url(order),
            valid_until=order.expires_at,
        )
    except sumup.SumUpError as error:
        logger.warning(
            "payment could not start",
            extra={"order": order.reference, "first_attempt": first_attempt, "status": error.status},
        )
        if error.status == 429:
            raise PaymentDelayed(order) from None
        if first_attempt:
            orders.cancel(order, cause="payment could not start")
        raise PaymentUnavailable(
            "We could not reach our payment provider just now, so nothing has been charged"
            + (" and your tickets have been released." if first_attempt else ".")
            + " Please try again in a few minutes."
        ) from None
    return Payment.objects.create(
        order=order,
        checkout_id=state.id,
        checkout_reference=reference,
        hosted_checkout_url=state.hosted_checkout_url,
        amount=order.total,
        currency=order.currency,
        status=state.status or Payment.Status.PENDING,
        raw=state.raw,
    )
