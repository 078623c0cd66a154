"""`manage.py reconcile_payments`: SumUp's transaction history (the sandbox's, read page by page
through the SDK) against our payments and refunds; each kind of mismatch it claims to find."""

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from sumup_sandbox import services
from sumup_sandbox import state as sandbox
from sumup_sandbox.models import SandboxTransaction
from tests.factories import buy
from tests.payments.helpers import alerts, reload
from ticketing.models import BuyerEmail, Order, Payment, ReconciliationMismatch, Refund, Ticket
from ticketing.payments import reconcile

pytestmark = pytest.mark.django_db(transaction=True)

Kind = ReconciliationMismatch.Kind


def run(*args) -> str:
    out = io.StringIO()
    call_command("reconcile_payments", *args, stdout=out)
    return out.getvalue()


def open_kinds():
    return sorted(
        ReconciliationMismatch.objects.filter(resolved_at__isnull=True).values_list("kind", flat=True)
    )


def test_a_clean_history_reports_no_mismatches(paid):
    report = run()
    assert "No mismatches." in report and "1 SumUp transaction," in report
    assert not ReconciliationMismatch.objects.exists() and not alerts()


def test_a_missed_webhook_is_confirmed_through_the_normal_path(buyer, event, sumup_sandbox):
    payment = buy(buyer, event)
    sandbox.press(payment.checkout_id, "pay", notify=False)  # no callback, and the buyer never came back

    report = run()

    order = reload(payment.order)
    assert order.status == Order.Status.PAID
    assert Ticket.objects.filter(order=order).count() == 3 and BuyerEmail.objects.count() == 1
    assert f"FIXED Order {order.reference}" in report and "No mismatches." in report
    fixed = ReconciliationMismatch.objects.get()
    assert fixed.kind == Kind.CONFIRMED_LATE and not fixed.is_open
    assert not alerts()


def test_a_payment_sumup_holds_that_matches_nothing_here(paid, settings):
    stranger = sandbox.create_foreign_checkout(
        merchant_code=settings.SUMUP_MERCHANT_CODE, amount="30.00", description="Paid by phone"
    )

    report = run()

    mismatch = ReconciliationMismatch.objects.get()
    txn = stranger.transactions.get()
    assert (mismatch.kind, mismatch.transaction_code, mismatch.sumup_amount) == (
        Kind.PAID_AT_SUMUP_ONLY,
        txn.transaction_code,
        Decimal("30.00"),
    )
    assert "NEW  Paid at SumUp, not here" in report and txn.transaction_code in report
    [alert] = alerts()
    assert "1 new payment mismatch" in alert.subject and txn.transaction_code in alert.body


def test_paid_here_but_not_at_sumup(paid):
    SandboxTransaction.objects.filter(checkout_id=paid.checkout_id).delete()  # SumUp has no such payment

    report = run()

    mismatch = ReconciliationMismatch.objects.get()
    assert (mismatch.kind, mismatch.order, mismatch.our_amount) == (
        Kind.PAID_HERE_ONLY,
        paid.order,
        Decimal("47.50"),
    )
    assert "Paid here, not at SumUp" in report and paid.order.reference in report


def test_amount_and_currency_differences(buyer, event, sumup_sandbox):
    short = buy(buyer, event)
    sandbox.mark_paid(short.checkout_id, amount="4.75")
    euros = buy(buyer, event, email="bob@example.com")
    sandbox.mark_paid(euros.checkout_id, currency="EUR")

    report = run()

    amount = ReconciliationMismatch.objects.get(kind=Kind.AMOUNT)
    assert (amount.order, amount.sumup_amount, amount.our_amount) == (
        short.order,
        Decimal("4.75"),
        Decimal("47.50"),
    )
    currency = ReconciliationMismatch.objects.get(kind=Kind.CURRENCY)
    assert (currency.order, currency.currency) == (euros.order, "EUR")
    # Money is held for both with no tickets: both orders went to review, never paid.
    assert open_kinds() == sorted(
        [Kind.AMOUNT, Kind.CURRENCY, Kind.PAID_AT_SUMUP_ONLY, Kind.PAID_AT_SUMUP_ONLY]
    )
    assert {reload(short.order).status, reload(euros.order).status} == {Order.Status.NEEDS_REVIEW}
    assert not Ticket.objects.exists()
    assert "Amount differs" in report and "Currency differs" in report


def test_a_refund_made_only_at_sumup(paid):
    services.refund(
        sandbox.get_checkout(paid.checkout_id).merchant_code, paid.transaction_id, Decimal("10.00")
    )

    report = run()

    mismatch = ReconciliationMismatch.objects.get()
    assert (mismatch.kind, mismatch.sumup_amount, mismatch.our_amount) == (
        Kind.REFUND_AT_SUMUP_ONLY,
        Decimal("10.00"),
        Decimal("0.00"),
    )
    assert "Refunded at SumUp, not here" in report


def test_a_refund_recorded_only_here(paid):
    Refund.objects.create(payment=paid, amount=Decimal("5.00"), status=Refund.Status.SUCCEEDED)

    run()

    mismatch = ReconciliationMismatch.objects.get()
    assert (mismatch.kind, mismatch.sumup_amount, mismatch.our_amount) == (
        Kind.REFUND_HERE_ONLY,
        Decimal("0.00"),
        Decimal("5.00"),
    )


def test_a_refund_of_an_older_payment_is_checked_too(paid):
    """The payment is older than the window; its refund is not: SumUp is asked for the transaction."""
    ten_days_ago = timezone.now() - timedelta(days=10)
    SandboxTransaction.objects.filter(checkout_id=paid.checkout_id).update(created_at=ten_days_ago)
    Payment.objects.filter(pk=paid.pk).update(created_at=ten_days_ago)
    services.refund(
        sandbox.get_checkout(paid.checkout_id).merchant_code, paid.transaction_id, Decimal("7.50")
    )

    run("--since", (timezone.now() - timedelta(days=1)).isoformat())

    assert open_kinds() == [Kind.REFUND_AT_SUMUP_ONLY]


def test_running_again_updates_rather_than_repeats_and_closes_what_is_fixed(paid):
    services.refund(
        sandbox.get_checkout(paid.checkout_id).merchant_code, paid.transaction_id, Decimal("10.00")
    )
    run()
    run()
    mismatch = ReconciliationMismatch.objects.get()
    assert mismatch.times_seen == 2 and len(alerts()) == 1  # alerted once, when new

    # Staff record the refund someone made in SumUp's dashboard: the next run closes it.
    Refund.objects.create(payment=paid, amount=Decimal("10.00"), status=Refund.Status.SUCCEEDED)
    report = run()

    mismatch.refresh_from_db()
    assert not mismatch.is_open and "No longer found" in mismatch.resolution
    assert "No mismatches." in report and "Closed 1 earlier mismatch" in report


def test_the_history_is_read_across_cursor_pages(settings, sumup_sandbox):
    for n in range(reconcile.sumup.HISTORY_PAGE_SIZE + 5):
        sandbox.create_foreign_checkout(merchant_code=settings.SUMUP_MERCHANT_CODE, amount=f"{n + 1}.00")

    report = reconcile.reconcile_payments()

    assert report.sumup_items == reconcile.sumup.HISTORY_PAGE_SIZE + 5
    assert ReconciliationMismatch.objects.count() == reconcile.sumup.HISTORY_PAGE_SIZE + 5


def test_since_limits_the_history(paid, settings):
    sandbox.create_foreign_checkout(merchant_code=settings.SUMUP_MERCHANT_CODE, amount="30.00")
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    report = run("--since", tomorrow)
    assert "0 SumUp transactions," in report and not ReconciliationMismatch.objects.exists()
    with pytest.raises(CommandError):
        call_command("reconcile_payments", "--since", "last tuesday")


def test_sumup_unreachable_closed_port_fails_loudly(sumup_sandbox, settings):
    settings.SUMUP_API_BASE = "http://127.0.0.1:9/sumup-is-down"
    with pytest.raises(CommandError, match="could not be read"):
        run()
    # The daily job alerts instead of failing silently, and records nothing.
    assert reconcile.run_scheduled().startswith("not run")
    [alert] = alerts()
    assert "could not read SumUp" in alert.subject
    assert not ReconciliationMismatch.objects.exists()
