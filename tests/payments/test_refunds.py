"""Staff refunds from the Wagtail admin: choose, confirm, refund through SumUp (the sandbox).

Orders are bought and paid over the real path; the admin is driven with Django's test client
as a logged-in staff user; SumUp's side is read back from the sandbox.
"""

import uuid
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse
from wagtail.models import ModelLogEntry

from sumup_sandbox import services
from sumup_sandbox import state as sandbox
from sumup_sandbox.models import SandboxRefund, SandboxTransaction
from tests.payments.helpers import buy, buyer_mail, callback_body, deliver, reload
from ticketing.inventory import check_inventory
from ticketing.models import BuyerEmail, Order, Payment, Refund, Ticket

pytestmark = pytest.mark.django_db(transaction=True)


def staff_client(django_user_model, username, *codenames):
    user = django_user_model.objects.create_user(username, f"{username}@staff.example", "unused-password")
    user.user_permissions.set(
        Permission.objects.filter(codename__in=["access_admin", "view_order", *codenames])
    )
    client = Client()
    client.force_login(user)
    client.user = user
    return client


@pytest.fixture
def cashier(django_user_model):
    return staff_client(django_user_model, "cashier", "refund_order")


@pytest.fixture
def paid(buyer, event, sumup_sandbox):
    """A paid order: 2 adults at 20.00 and 1 child at 7.50 (£47.50)."""
    payment = buy(buyer, event)
    sandbox.press(payment.checkout_id, "pay", notify=False)
    deliver(sumup_sandbox.url, callback_body(payment.checkout_id))
    payment.refresh_from_db()
    assert payment.order.status == Order.Status.PAID and payment.transaction_id
    return payment


def refund_url(order):
    return reverse("ticketing_order_refund", args=[order.pk])


def inspect_url(order):
    return reverse("ticketing_order_modeladmin_inspect", args=[order.pk])


def tickets_of(order, type_name=None):
    tickets = Ticket.objects.filter(order=order).select_related("ticket_type").order_by("pk")
    return list(tickets.filter(ticket_type__name=type_name) if type_name else tickets)


def sold(event, type_name):
    return event.ticket_types.get(name=type_name).refresh_sold()


def refunded_at_sumup(payment):
    return SandboxTransaction.objects.get(transaction_id=payment.transaction_id).refunded_amount


def test_a_partial_then_a_full_refund(cashier, paid, event):
    order = paid.order
    adult = tickets_of(order, "Adult")[0]

    chooser = cashier.get(refund_url(order))
    assert chooser.status_code == 200 and adult.display_code in chooser.content.decode()

    review = cashier.post(refund_url(order), {"tickets": [adult.pk], "reason": "cannot come"})
    assert review.status_code == 200 and "Refund £20.00?" in review.content.decode()
    assert not SandboxRefund.objects.exists()  # the first step only shows what will happen

    done = cashier.post(
        refund_url(order), {"tickets": [adult.pk], "reason": "cannot come", "confirmed": "True"}
    )
    assert done.status_code == 302 and done["Location"] == inspect_url(order)
    assert refunded_at_sumup(paid) == Decimal("20.00")
    order = reload(order)
    assert order.status == Order.Status.PARTIALLY_REFUNDED
    adult.refresh_from_db()
    assert adult.voided_at is not None
    assert Ticket.objects.filter(order=order, voided_at__isnull=True).count() == 2
    assert (sold(event, "Adult"), sold(event, "Child")) == (1, 1)
    refund = Refund.objects.get()
    assert (refund.amount, refund.status, refund.kind, refund.requested_by) == (
        Decimal("20.00"),
        Refund.Status.SUCCEEDED,
        Refund.Kind.STAFF,
        cashier.user,
    )
    assert list(refund.tickets.all()) == [adult] and refund.reason == "cannot come"
    entry = ModelLogEntry.objects.get(action="ticketing.refund")
    assert entry.user == cashier.user and entry.object_id == str(order.pk) and entry.data["amount"] == "20.00"
    assert "refunded £20.00" in buyer_mail()[-1].body and "1 ticket" in buyer_mail()[-1].body
    assert adult.display_code in buyer_mail()[-1].body
    notice = BuyerEmail.objects.get(refund=refund)
    assert (notice.kind, notice.order, notice.status) == (
        BuyerEmail.Kind.REFUND,
        order,
        BuyerEmail.Status.SENT,
    )

    cashier.post(refund_url(order), {"whole_order": "on", "confirmed": "True"})

    assert refunded_at_sumup(paid) == Decimal("47.50")
    assert reload(order).status == Order.Status.REFUNDED
    assert not Ticket.objects.filter(order=order, voided_at__isnull=True).exists()
    assert (sold(event, "Adult"), sold(event, "Child")) == (0, 0)
    assert [r.amount for r in Refund.objects.order_by("pk")] == [Decimal("20.00"), Decimal("27.50")]
    assert "for 2 tickets" in buyer_mail()[-1].body and "other tickets" not in buyer_mail()[-1].body
    assert check_inventory() == []
    # Nothing is left to refund: the page says so, and the button is gone.
    assert "nothing left to refund" in cashier.get(refund_url(order)).content.decode()
    assert refund_url(order) not in cashier.get(inspect_url(order)).content.decode()


def test_a_whole_order_refund_at_once(cashier, paid, event):
    order = paid.order
    assert refund_url(order) in cashier.get(inspect_url(order)).content.decode()  # the button

    review = cashier.post(refund_url(order), {"whole_order": "on"})
    assert "Refund £47.50?" in review.content.decode()
    response = cashier.post(refund_url(order), {"whole_order": "on", "confirmed": "True"}, follow=True)

    assert "Refunded £47.50 for every ticket" in response.content.decode()
    assert refunded_at_sumup(paid) == Decimal("47.50")
    assert reload(order).status == Order.Status.REFUNDED
    assert (sold(event, "Adult"), sold(event, "Child")) == (0, 0)
    assert "your whole order" in buyer_mail()[-1].body
    assert check_inventory() == []


def _refund_part_at_sumup(payment):
    """Someone refunds 30.00 in SumUp's own dashboard."""
    services.refund(
        sandbox.get_checkout(payment.checkout_id).merchant_code, payment.transaction_id, Decimal("30.00")
    )


def _refund_all_at_sumup(payment):
    services.refund(sandbox.get_checkout(payment.checkout_id).merchant_code, payment.transaction_id, None)


def _forget_transaction(payment):
    Payment.objects.filter(pk=payment.pk).update(transaction_id=str(uuid.uuid4()))


@pytest.mark.parametrize(
    ("arrange", "message"),
    [
        pytest.param(_refund_part_at_sumup, "SumUp shows £30.00 refunded", id="part-refunded-elsewhere"),
        pytest.param(_refund_all_at_sumup, "SumUp shows £47.50 refunded", id="all-refunded-elsewhere"),
    ],
)
def test_no_refund_while_sumup_shows_refunds_not_recorded_here(cashier, paid, event, arrange, message):
    """A refund whose answer was lost (a timeout), or one made in SumUp's dashboard: refunding
    again could pay the buyer twice, so nothing is refunded until the records agree."""
    order = paid.order
    arrange(paid)
    before = refunded_at_sumup(paid)

    response = cashier.post(refund_url(order), {"whole_order": "on", "confirmed": "True"}, follow=True)

    assert message in response.content.decode()
    assert "£0.00 is recorded here" in response.content.decode()
    assert refunded_at_sumup(paid) == before
    assert reload(order).status == Order.Status.PAID
    assert Ticket.objects.filter(order=order, voided_at__isnull=True).count() == 3
    assert (sold(event, "Adult"), sold(event, "Child")) == (2, 1)
    assert not Refund.objects.exists()
    assert len(buyer_mail()) == 1  # the tickets only
    assert check_inventory() == []


def test_unknown_transaction_at_sumup_refunds_nothing(cashier, paid, event):
    order = paid.order
    _forget_transaction(paid)
    response = cashier.post(refund_url(order), {"whole_order": "on", "confirmed": "True"}, follow=True)
    assert "could not be asked what is already refunded" in response.content.decode()
    assert reload(order).status == Order.Status.PAID
    assert Ticket.objects.filter(order=order, voided_at__isnull=True).count() == 3
    assert check_inventory() == []


def test_sumup_unreachable_closed_port_refunds_nothing(cashier, paid, settings):
    settings.SUMUP_API_BASE = "http://127.0.0.1:9/sumup-is-down"
    response = cashier.post(refund_url(paid.order), {"whole_order": "on", "confirmed": "True"}, follow=True)
    assert "could not be reached" in response.content.decode()
    assert reload(paid.order).status == Order.Status.PAID
    assert Ticket.objects.filter(voided_at__isnull=True).count() == 3


def test_refunds_need_the_refund_permission(django_user_model, paid):
    clerk = staff_client(django_user_model, "clerk", "change_order")
    for response in (
        clerk.get(refund_url(paid.order)),
        clerk.post(refund_url(paid.order), {"whole_order": "on", "confirmed": "True"}),
    ):  # Wagtail answers a refused admin view with a redirect to its dashboard
        assert response.status_code == 302 and response["Location"] == reverse("wagtailadmin_home")
    assert refund_url(paid.order) not in clerk.get(inspect_url(paid.order)).content.decode()
    assert not SandboxRefund.objects.exists() and reload(paid.order).status == Order.Status.PAID


def test_a_refund_of_tickets_already_refunded_is_refused(cashier, paid):
    adult = tickets_of(paid.order, "Adult")[0]
    cashier.post(refund_url(paid.order), {"tickets": [adult.pk], "confirmed": "True"})

    again = cashier.post(refund_url(paid.order), {"tickets": [adult.pk], "confirmed": "True"})

    assert again.status_code == 200 and "Select a valid choice" in again.content.decode()
    assert refunded_at_sumup(paid) == Decimal("20.00") and Refund.objects.count() == 1


def test_a_payment_for_an_order_in_review_is_refunded_whole(cashier, buyer, event, sumup_sandbox):
    payment = buy(buyer, event)
    sandbox.mark_paid(payment.checkout_id, amount="4.75")  # SumUp took the wrong amount
    deliver(sumup_sandbox.url, callback_body(payment.checkout_id))
    order = reload(payment.order)
    assert order.status == Order.Status.NEEDS_REVIEW

    review = cashier.post(refund_url(order), {"payment": payment.pk})
    assert "Refund £4.75?" in review.content.decode()
    cashier.post(refund_url(order), {"payment": payment.pk, "confirmed": "True"})

    assert SandboxTransaction.objects.get(checkout_id=payment.checkout_id).refunded_amount == Decimal("4.75")
    assert reload(order).status == Order.Status.REFUNDED
    assert Refund.objects.get().amount == Decimal("4.75")
    assert check_inventory() == []
