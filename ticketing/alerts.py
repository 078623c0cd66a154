"""Telling staff when money needs a person: e-mail to PAYMENT_ALERT_EMAILS, plus Sentry.

Alerts are sent for payments that do not match their order, automatic refunds, mismatches
found by reconciliation, and a burst of failed payments. They name orders by reference and
carry amounts, never a buyer's name, e-mail or address.

An alert is sent once the transaction that caused it commits (a rolled-back change alerts
nobody), and a failing mail server or Sentry never breaks the payment path that raised it:
the failure is logged instead. Alerts that the same cause could raise many times (every
webhook retry of one mismatched payment, every failed payment in a burst) carry a `once_key`:
the first sends, the rest within `once_for` seconds are dropped, counted in the shared cache.
"""

import logging
from datetime import timedelta

import sentry_sdk
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from core.money import format_money
from core.shared_cache import shared_cache
from core.wording import counted

logger = logging.getLogger("ticketing.alerts")

SUBJECT_PREFIX = "[Payments] "
FAILURE_WINDOW = timedelta(minutes=15)
ONE_DAY = 24 * 60 * 60


def _first_time(once_key: str, once_for: int) -> bool:
    """True for the first caller with this key in `once_for` seconds (atomic in Redis and LocMem)."""
    try:
        # The shared cache raises when Redis is down; the default one would answer None,
        # which reads as "sent already" and would drop the alert.
        return shared_cache.add(f"payment-alert:{once_key}", 1, timeout=once_for)
    except Exception:  # the cache is down: better a repeated alert than none
        logger.warning("alert throttle unavailable; sending anyway", exc_info=True)
        return True


def send_alert(
    subject: str,
    lines: list[str],
    *,
    once_key: str | None = None,
    once_for: int = ONE_DAY,
    level: str = "warning",
) -> bool:
    """Alert staff (after the current transaction commits). Returns False if throttled."""
    if once_key is not None and not _first_time(once_key, once_for):
        return False
    transaction.on_commit(lambda: _deliver(subject, lines, level))
    return True


def _deliver(subject: str, lines: list[str], level: str) -> None:
    logger.log(logging.ERROR if level == "error" else logging.WARNING, "payment alert: %s", subject)
    try:
        sentry_sdk.capture_message(f"Payment alert: {subject}", level=level)
    except Exception:  # Sentry must never break a payment
        logger.warning("could not send the alert to Sentry", exc_info=True)
    recipients = list(settings.PAYMENT_ALERT_EMAILS)
    if not recipients:
        return
    body = "\n".join(
        [*lines, "", f"Sent by {settings.WAGTAIL_SITE_NAME} at {timezone.now():%Y-%m-%d %H:%M %Z}."]
    )
    try:
        send_mail(SUBJECT_PREFIX + subject, body, None, recipients)
    except Exception:
        logger.exception("could not e-mail a payment alert")


def _money(amount, currency) -> str:
    return format_money(amount, currency) or "-"


# --- The alerts ------------------------------------------------------------------------------


def payment_mismatch(payment, problems: list[str], state) -> None:
    """SumUp's checkout does not match the order: the order went to review, no tickets."""
    order = payment.order
    send_alert(
        f"Payment for order {order.reference} does not match it ({', '.join(problems)})",
        [
            f"SumUp reports checkout {payment.checkout_reference} as {state.status}, but it differs from "
            f"order {order.reference} in: {', '.join(problems)}.",
            f"Order: {_money(order.total, order.currency)}. SumUp: {_money(state.amount, state.currency)}"
            f" (merchant {state.merchant_code or '-'}, reference {state.checkout_reference or '-'}).",
            "",
            f"The order is now '{order.get_status_display()}' if it was unpaid; no tickets were issued.",
            "Check the payment in SumUp's dashboard and refund it from the order in the admin if needed.",
        ],
        once_key=f"mismatch:{payment.pk}",
        level="error",
    )


def automatic_refund(refund, reason: str) -> None:
    """An automatic refund was made, or failed and must now be made by hand."""
    order = refund.payment.order
    succeeded = refund.status == refund.Status.SUCCEEDED
    if succeeded:
        subject = f"Automatic refund of {_money(refund.amount, refund.payment.currency)} for order {order.reference}"
        action = "SumUp accepted the refund. The buyer has been e-mailed."
    else:
        subject = f"Automatic refund FAILED for order {order.reference}: refund it by hand"
        action = f"SumUp refused or could not be reached: {refund.error or 'no reason given'}. Refund it from the order in the admin."
    send_alert(
        subject,
        [
            f"Order {order.reference}: {reason}.",
            f"Payment {refund.payment.checkout_reference}, SumUp transaction {refund.payment.transaction_code or refund.payment.transaction_id or '-'}.",
            f"Refund of {_money(refund.amount, refund.payment.currency)} ({refund.get_kind_display()}).",
            action,
        ],
        level="warning" if succeeded else "error",
    )


def refund_records_disagree(payment, at_sumup, recorded) -> None:
    """SumUp has refunded more of a payment than we recorded: a refund's answer was lost."""
    order = payment.order
    send_alert(
        f"Refunds of order {order.reference} differ between SumUp and here",
        [
            f"SumUp shows {_money(at_sumup, payment.currency)} refunded on payment "
            f"{payment.checkout_reference}; {_money(recorded, payment.currency)} is recorded here.",
            "A refund's answer was probably lost (SumUp did not answer in time). No further refund "
            "of this payment is made until the records agree: check it in SumUp's dashboard.",
        ],
        once_key=f"refund-disagree:{payment.pk}",
        level="error",
    )


def reconciliation_mismatches(mismatches) -> None:
    """One alert per reconciliation run that found new problems, listing them."""
    if not mismatches:
        return
    lines = [
        f"Reconciliation with SumUp found {counted(len(mismatches), 'new mismatch', 'new mismatches')}:",
        "",
    ]
    for mismatch in mismatches:
        lines.append(f"- {mismatch.get_kind_display()}: {mismatch.detail}")
    lines += ["", "They are listed in the admin under Payment mismatches."]
    send_alert(
        f"Reconciliation found {counted(len(mismatches), 'new payment mismatch', 'new payment mismatches')}",
        lines,
        level="error",
    )


def failed_payment_recorded() -> None:
    """Count failed payments of the last 15 minutes; alert once per window above the threshold.

    Counted with a query (the payments SumUp reported FAILED in the window), which is exact
    across every web process without a shared counter to drift.
    """
    from ticketing.models import Payment

    threshold = settings.PAYMENT_FAILURE_ALERT_THRESHOLD
    since = timezone.now() - FAILURE_WINDOW
    failures = Payment.objects.filter(status=Payment.Status.FAILED, updated_at__gte=since).count()
    if failures <= threshold:
        return
    send_alert(
        f"{failures} failed payments in the last 15 minutes",
        [
            f"SumUp reported {failures} failed payments in the last 15 minutes (alert threshold: {threshold}).",
            "This can be card testing by fraudsters, or a problem at SumUp or with our checkout.",
            "Look at Payments in the admin (filter: FAILED) and at SumUp's dashboard.",
        ],
        once_key="failed-payments-burst",
        once_for=int(FAILURE_WINDOW.total_seconds()),
        level="error",
    )
