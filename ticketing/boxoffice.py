"""What the box office may do to one order: cancel it while unpaid, mark it reviewed, and
correct the buyer's name or e-mail (then send the tickets again).

The admin's confirmation pages (`ticketing.admin.order_actions`) ask and show; the rules are
here. Each action is written to Wagtail's audit log, so it shows in the order's history with who
did it, and each log entry says what happened in yes-or-no terms: never the buyer's name or
address, which the log would otherwise keep after the order's personal data is erased.

Status still changes only in `ticketing.orders` (cancelling goes through `orders.cancel`);
reviewing changes no status at all.
"""

from django.db import transaction
from django.utils import timezone
from wagtail.log_actions import log

from ticketing import delivery, orders
from ticketing.models import Order, Payment
from ticketing.payments.confirmation import close_open_checkouts

Status = Order.Status

# Wagtail log actions (their labels are registered in ticketing/wagtail_hooks.py).
LOG_CANCEL = "ticketing.cancel_unpaid_order"
LOG_REVIEWED = "ticketing.review_order"
LOG_CONTACT_CORRECTED = "ticketing.correct_buyer_contact"

# The permissions that open each action (given to the Box office group, migration 0014).
CANCEL_PERMISSION = "ticketing.cancel_unpaid_order"
REVIEW_PERMISSION = "ticketing.review_order"
CORRECT_CONTACT_PERMISSION = "ticketing.correct_buyer_contact"

# Unpaid orders that may still become paid or still wait for someone: the ones worth cancelling.
# An expired order is over already (its tickets are back on sale); a paid one is refunded instead.
# The states the lifecycle's `cancel` moves from (pending, needs review), read from its table.
CANCELLABLE = orders.sources("cancel")


class Refused(Exception):
    """The action cannot be taken on this order now; the message says why, in staff's words."""


# --- Cancel an unpaid order -------------------------------------------------------------------


def can_cancel(order: Order) -> bool:
    return order.status in CANCELLABLE


def why_not_cancel(order: Order) -> str:
    """Why `order` cannot be cancelled here (for the confirmation page and the refusal)."""
    if order.status in Order.WAS_PAID:
        return (
            f"Order {order.reference} is {order.get_status_display().lower()}: a paid order is not "
            "cancelled here. Finance can refund it."
        )
    return f"Order {order.reference} is {order.get_status_display().lower()} already: there is nothing to cancel."


def money_taken(order: Order) -> bool:
    """Whether SumUp took money for this unpaid order (a payment in review): cancelling it
    does not give that back, a refund does."""
    return order.payments.filter(status=Payment.Status.PAID).exists()


def cancel_unpaid_order(order: Order, staff_user) -> None:
    """Cancel an order that is not paid; a pending order's tickets go back on sale at once.

    A pending order's SumUp checkouts are closed first (no transaction open: it is a call to
    SumUp), so the buyer can no longer pay on SumUp's page; if they paid a moment ago, the
    order is confirmed through the normal path and the cancellation is refused. Raises
    `Refused` (nothing changed) when the order is paid, over, or moved on meanwhile.
    """
    order = Order.objects.get(pk=order.pk)
    if not can_cancel(order):
        raise Refused(why_not_cancel(order))
    if order.status == Status.PENDING:
        close_open_checkouts(order)
        order.refresh_from_db(fields=["status"])
        if not can_cancel(order):
            raise Refused(why_not_cancel(order))
    old = order.status
    with transaction.atomic():
        # `orders.cancel` moves the order only from the state it was seen in: of two staff
        # cancelling at once, or a payment arriving now, exactly one wins.
        if not orders.cancel(order, cause="cancelled by the box office"):
            order.refresh_from_db(fields=["status"])
            raise Refused(why_not_cancel(order))
        log(instance=order, action=LOG_CANCEL, user=staff_user, data={"from_status": old})


# --- Mark reviewed ----------------------------------------------------------------------------


def is_flagged(order: Order) -> bool:
    """Whether the order asks for a person: risk flags, or in review."""
    return bool(order.risk_flags) or order.status == Status.NEEDS_REVIEW


def waits_for_review(order: Order) -> bool:
    return is_flagged(order) and order.reviewed_at is None


def mark_reviewed(order: Order, staff_user) -> None:
    """Record that a person looked at this flagged order: it stops counting as waiting.

    Its status stays as it is (an order in review stays unpaid and holds no tickets). Once
    only: raises `Refused` when it is not flagged or was reviewed already (a second click).
    """
    if not is_flagged(order):
        raise Refused(f"Order {order.reference} has no risk flags and is not in review: nothing to review.")
    now = timezone.now()
    with transaction.atomic():
        marked = Order.objects.filter(pk=order.pk, reviewed_at__isnull=True).update(
            reviewed_at=now, reviewed_by=staff_user, updated_at=now
        )
        if not marked:
            raise Refused(f"Order {order.reference} was marked reviewed already.")
        order.reviewed_at, order.reviewed_by = now, staff_user
        log(
            instance=order,
            action=LOG_REVIEWED,
            user=staff_user,
            data={"status": order.status, "risk_flags": list(order.risk_flags or ())},
        )


# --- Correct the buyer's name or e-mail ---------------------------------------------------------


def can_correct_contact(order: Order) -> bool:
    """Erased personal data stays erased: nobody writes a name or address back into it."""
    return order.personal_data_erased_at is None


def correct_buyer_contact(order: Order, staff_user, *, name: str, email: str, resend: bool = False) -> None:
    """Save the buyer's corrected name and e-mail (those columns only), then, if asked and the
    order owns tickets, e-mail the tickets again to the corrected address.

    All or nothing: a resend that cannot be made undoes the correction. Raises `Refused` for an
    erased order, or when nothing would change (so a second click of the same form does
    nothing); the resend's own refusal (`delivery.CannotResend`) is raised as `Refused` too.
    """
    with transaction.atomic():
        locked = Order.objects.select_for_update().get(pk=order.pk)
        if not can_correct_contact(locked):
            raise Refused(
                f"The personal data of order {locked.reference} was erased: it cannot be corrected."
            )
        changed = [
            field for field, value in (("name", name), ("email", email)) if getattr(locked, field) != value
        ]
        if not changed:
            raise Refused(
                "The name and e-mail are already these: nothing to correct. "
                "To send the tickets again as they are, use “Resend tickets”."
            )
        locked.name, locked.email = name, email
        # Those columns only: a full-row save would write back whatever else was loaded.
        locked.save(update_fields=[*changed, "updated_at"])
        resend = resend and locked.status in Order.OWNS_TICKETS
        log(
            instance=locked,
            action=LOG_CONTACT_CORRECTED,
            user=staff_user,
            data={
                "name_changed": "name" in changed,
                "email_changed": "email" in changed,
                "tickets_resent": resend,
            },
        )
        if resend:
            try:
                delivery.resend_tickets(locked, staff_user)
            except delivery.CannotResend as refused:
                raise Refused(str(refused)) from None
    order.name, order.email = name, email
