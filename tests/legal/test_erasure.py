"""Erasing a person: orders anonymised but kept for the accounts, decisions about tickets still
to come (keep them valid, or refund them through SumUp first), and what erasure never touches."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from wagtail.models import ModelLogEntry

from legal import privacy
from legal.models import DataRequest, ErasedPerson
from sumup_sandbox import faults
from tests.factories import make_staff
from tests.legal.conftest import EMAIL, NAME, buy_and_pay, move_event_to
from ticketing import checkin, outbox
from ticketing.models import BuyerEmail, Order, Refund, Ticket

pytestmark = pytest.mark.django_db


def test_a_past_event_order_is_anonymised_and_kept_for_the_accounts(zephyrine, event):
    move_event_to(event, -10)
    payment = zephyrine.payments.get()
    tickets_before = list(zephyrine.tickets.values_list("code", "voided_at"))

    report = privacy.erase_person(EMAIL.upper())

    order = Order.objects.get(pk=zephyrine.pk)
    assert (order.name, order.email, order.created_ip, order.user_agent) == ("erased", "", None, "")
    assert (order.client_key, order.email_key) == ("", "")
    assert order.personal_data_erased_at is not None
    # What accounting needs stays: reference, amounts, status, SumUp's ids, the tickets.
    assert (order.reference, order.total, order.status) == (zephyrine.reference, zephyrine.total, "paid")
    assert order.payments.get().transaction_id == payment.transaction_id
    assert list(order.tickets.values_list("code", "voided_at")) == tickets_before
    assert report.orders_anonymised == 1
    assert report.summary().startswith("1 order anonymised")
    assert NAME not in report.summary() and EMAIL.lower() not in report.summary().lower()
    assert ErasedPerson.objects.filter(address_hash=privacy.address_hash(EMAIL)).exists()


def test_erasure_is_in_the_audit_log_by_reference_without_the_address(zephyrine, event):
    move_event_to(event, -10)
    officer = make_staff("privacy-officer", "handle_datarequest", "refund_order")
    privacy.erase_person(EMAIL, by=officer)
    entry = ModelLogEntry.objects.get(action=privacy.LOG_ERASURE)
    assert entry.label == zephyrine.reference and entry.user == officer
    assert entry.object_id == str(zephyrine.pk)
    assert entry.message == "The buyer's personal data was erased", "a registered action"
    text = f"{entry.label} {entry.data}".lower()
    assert EMAIL.lower() not in text and NAME.lower() not in text


def test_erasing_twice_is_harmless(zephyrine, event):
    move_event_to(event, -10)
    privacy.erase_person(EMAIL)
    again = privacy.erase_person(EMAIL)
    assert again.orders_anonymised == 0 and not again.changed_anything
    assert again.summary() == "0 orders anonymised"
    assert ErasedPerson.objects.count() == 1


def test_an_address_nobody_used_erases_nothing_but_is_remembered(db):
    report = privacy.erase_person("nobody@example.org")
    assert not report.changed_anything
    assert ErasedPerson.objects.count() == 1


def test_a_blank_address_or_a_made_up_choice_is_refused(db):
    with pytest.raises(ValueError):
        privacy.erase_person("   ")
    with pytest.raises(ValueError):
        privacy.erase_person("ann@example.com", future_tickets="maybe")


def test_tickets_for_an_event_to_come_need_a_decision_and_nothing_changes_meanwhile(zephyrine):
    assert privacy.future_orders(EMAIL.lower()) == [zephyrine]
    with pytest.raises(privacy.DecisionNeeded) as decision:
        privacy.erase_person(EMAIL)
    assert decision.value.orders == [zephyrine]
    assert zephyrine.reference in str(decision.value)
    order = Order.objects.get(pk=zephyrine.pk)
    assert (order.name, order.email, order.personal_data_erased_at) == (NAME, EMAIL, None)
    assert not ErasedPerson.objects.exists()


def test_kept_tickets_stay_valid_and_still_admit_at_the_door(zephyrine, event):
    report = privacy.erase_person(EMAIL, future_tickets=privacy.KEEP)
    assert (report.orders_anonymised, report.tickets_kept_valid, report.orders_refunded) == (1, 3, 0)
    order = Order.objects.get(pk=zephyrine.pk)
    assert order.status == Order.Status.PAID and order.name == "erased"
    door = make_staff("door", "check_in_ticket")
    ticket = order.tickets.first()
    result = checkin.check_in(ticket.code, event, door)
    assert result.admitted, result.headline


def test_refunded_tickets_go_back_through_sumup_before_the_data_goes(zephyrine, event):
    officer = make_staff("privacy-officer", "handle_datarequest", "refund_order")
    mail.outbox.clear()

    report = privacy.erase_person(EMAIL, future_tickets=privacy.REFUND, by=officer)

    assert (report.orders_refunded, report.orders_anonymised) == (1, 1)
    order = Order.objects.get(pk=zephyrine.pk)
    assert order.status == Order.Status.REFUNDED
    assert not Ticket.objects.filter(order=order, voided_at__isnull=True).exists()
    refund = Refund.objects.get(payment__order=order)
    assert refund.status == Refund.Status.SUCCEEDED and refund.amount == order.total
    assert refund.requested_by == officer
    # The refund notice went out while there was still an address to send it to.
    assert [m.to for m in mail.outbox] == [[EMAIL]]
    assert order.email == "" and order.personal_data_erased_at is not None


def test_a_refund_whose_answer_is_lost_stops_the_erasure_and_erases_nothing(zephyrine):
    faults.lose_refund_answers(1, then_go_down=True)
    try:
        with pytest.raises(privacy.ErasureStopped) as stopped:
            privacy.erase_person(EMAIL, future_tickets=privacy.REFUND)
    finally:
        faults.come_back()
    assert zephyrine.reference in str(stopped.value) and "Nothing was erased" in str(stopped.value)
    order = Order.objects.get(pk=zephyrine.pk)
    assert (order.name, order.email, order.personal_data_erased_at) == (NAME, EMAIL, None)
    assert not ErasedPerson.objects.exists()


def test_queued_emails_that_can_no_longer_be_sent_are_cancelled_with_a_reason(zephyrine, event, settings):
    move_event_to(event, -10)
    later = outbox.queue_tickets(zephyrine, reason=BuyerEmail.Reason.RESEND)
    # Retried later, so not sent before the erasure.
    BuyerEmail.objects.filter(pk=later.pk).update(
        status=BuyerEmail.Status.QUEUED, next_attempt_at=timezone.now() + timedelta(hours=1)
    )
    report = privacy.erase_person(EMAIL)
    later.refresh_from_db()
    assert later.status == BuyerEmail.Status.CANCELLED
    assert "erased" in later.last_error
    assert report.emails_cancelled == 1


def test_data_requests_of_the_person_lose_the_address_and_keep_the_record(zephyrine, event):
    move_event_to(event, -10)
    request = DataRequest.objects.create(
        email=EMAIL.lower(), kind=DataRequest.Kind.ERASURE, notes=f"Phoned: {NAME}, {EMAIL}"
    )
    other = DataRequest.objects.create(email="someone.else@example.org", kind=DataRequest.Kind.EXPORT)
    report = privacy.erase_person(EMAIL)
    request.refresh_from_db()
    other.refresh_from_db()
    assert request.email == "" and request.kind == DataRequest.Kind.ERASURE
    assert NAME not in request.notes and EMAIL.lower() not in request.notes.lower()
    assert "[erased]" in request.notes
    assert other.email == "someone.else@example.org"
    assert report.data_requests_blanked == 1


def test_another_buyers_orders_are_untouched(zephyrine, event, client, sumup_sandbox):
    other = buy_and_pay(
        client, sumup_sandbox, event, name="Ann Example", email="ann@example.com", adult=1, child=0
    )
    privacy.erase_person(EMAIL, future_tickets=privacy.KEEP)
    other.refresh_from_db()
    assert (other.name, other.email, other.personal_data_erased_at) == (
        "Ann Example",
        "ann@example.com",
        None,
    )
