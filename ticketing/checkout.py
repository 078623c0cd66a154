"""Placing an order and sending the buyer to pay for it (DESIGN.md, purchase path step 2).

`place_order` is one short transaction: the pending order, its lines and the reservation
commit together or not at all. `start_payment` runs after that commit, because it calls
SumUp and no network call may happen while inventory rows are locked.
"""

import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from ticketing import audit, fraud
from ticketing.inventory import SoldOut, end_hold, reserve_tickets
from ticketing.models import Event, Order, OrderLine, Payment, TicketType
from ticketing.payments import sumup
from ticketing.payments.confirmation import close_open_checkouts

logger = logging.getLogger(__name__)

# A payment page that would close within this time is not worth opening.
MIN_TIME_TO_PAY = timedelta(minutes=1)


class CheckoutRefused(Exception):
    """The order cannot be placed; the message is for the buyer."""


class PaymentUnavailable(Exception):
    """SumUp could not start a payment; the message is for the buyer."""


@dataclass(frozen=True)
class Buyer:
    name: str
    email: str
    ip: str | None
    user_agent: str


def order_total(quantities: dict[TicketType, int]) -> Decimal:
    """The amount to charge, from the prices in our database only."""
    return sum((t.price * n for t, n in quantities.items()), Decimal("0.00")).quantize(Decimal("0.01"))


def place_order(event: Event, buyer: Buyer, quantities: dict[TicketType, int]) -> Order:
    """Create a pending order holding `quantities` for ORDER_HOLD_MINUTES.

    Raises CheckoutRefused (nothing created, nothing reserved) when sales are closed, a
    velocity limit is reached or the tickets are gone.
    """
    closed = event.why_not_on_sale()
    if closed:
        raise CheckoutRefused(closed)
    if any(t.event_id != event.pk for t in quantities):
        raise CheckoutRefused("Your order named a ticket type that is not sold for this event.")
    wanted = sum(quantities.values())
    total = order_total(quantities)
    if total <= 0:
        raise CheckoutRefused("These tickets cannot be bought online; please contact us.")
    try:
        with transaction.atomic():
            reserve_tickets(event.pk, {t.pk: n for t, n in quantities.items()})
            # After the reservation, which holds the event's row until commit: one buyer's
            # simultaneous checkouts queue here and each sees the orders of the one before.
            flags = fraud.assess(event.pk, buyer.ip, buyer.email, quantities, buyer.user_agent)
            order = Order.objects.create(
                event=event,
                name=buyer.name,
                email=buyer.email,
                total=total,
                currency=event.currency,
                expires_at=timezone.now() + timedelta(minutes=settings.ORDER_HOLD_MINUTES),
                created_ip=buyer.ip,
                user_agent=buyer.user_agent[:400],
                risk_flags=flags,
            )
            OrderLine.objects.bulk_create(
                OrderLine(order=order, ticket_type=t, quantity=n, unit_price=t.price)
                for t, n in sorted(quantities.items(), key=lambda item: item[0].pk)
            )
    except (SoldOut, fraud.VelocityLimitExceeded) as refused:
        raise CheckoutRefused(str(refused)) from None
    audit.order_state_changed(
        order, "", order.status, "order placed", tickets=wanted, risk_flags=",".join(flags)
    )
    return order


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


def start_payment(order: Order, *, retry: bool = False) -> Payment:
    """Open a SumUp hosted checkout for exactly the order's total; the buyer is sent there.

    Each attempt gets a fresh checkout reference (SumUp refuses a reused one). If SumUp cannot
    be reached for the first attempt, the order is cancelled and its tickets released at once,
    rather than held for a buyer who cannot pay; a failed `retry` keeps the hold.
    """
    first_attempt = not retry
    if retry:
        # One payable checkout per order at a time, so a buyer cannot pay twice by accident.
        close_open_checkouts(order)
        order.refresh_from_db()
    now = timezone.now()
    if order.status == Order.Status.PAID:
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
    except sumup.SumUpError:
        logger.warning(
            "payment could not start", extra={"order": order.reference, "first_attempt": first_attempt}
        )
        if first_attempt:
            end_hold(order, Order.Status.CANCELLED)
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
