"""One structured log line for every change of an order's or a payment's state.

Operations reads these lines ("ticketing.audit" logger, one JSON object per line in
production) to answer "what happened to order JE-XXXX, when, and why". Each line names the
order by reference and carries the old state, the new state and the cause: never the buyer's
name, e-mail or address, so the logs hold no personal data for erasure to find.

Staff actions (refunds, resolving a mismatch) are also written to Wagtail's audit log, which
records who did them; these lines cover every change, staff-made or automatic.
"""

import logging

logger = logging.getLogger("ticketing.audit")


def _reference(order) -> str:
    return order if isinstance(order, str) else order.reference


def order_state_changed(order, old: str, new: str, cause: str, **details) -> None:
    """Log `order` (an Order or its reference) moving from `old` to `new` because of `cause`."""
    logger.info(
        "order state changed",
        extra={
            "audit": "order",
            "order": _reference(order),
            "old_state": str(old),
            "new_state": str(new),
            "cause": cause,
            **details,
        },
    )


def payment_state_changed(payment, old: str, new: str, cause: str, **details) -> None:
    """Log a payment's status change; the payment is named by its order and checkout reference."""
    logger.info(
        "payment state changed",
        extra={
            "audit": "payment",
            "order": payment.order.reference,
            "payment": payment.checkout_reference,
            "old_state": str(old),
            "new_state": str(new),
            "cause": cause,
            **details,
        },
    )
