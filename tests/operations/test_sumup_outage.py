"""SumUp unreachable after the buyer paid: their order page waits, honestly, and nothing is
half-done; once SumUp answers again the same page confirms the order, once.

(SumUp down at checkout, for the webhook and at refund: tests/ticketing/test_checkout.py,
tests/payments/test_webhook_honest.py, tests/payments/test_refunds.py; docs/OPERATIONS.md,
"Faults survived".)
"""

import pytest
from django.urls import reverse

from sumup_sandbox import state as sandbox
from tests.factories import buy
from tests.network import closed_port
from ticketing.models import Order, Payment, Ticket

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_order_page_during_a_sumup_outage_says_confirming_and_confirms_once_sumup_is_back(
    buyer, event, sumup_sandbox, settings
):
    payment = buy(buyer, event)
    sandbox.press(payment.checkout_id, "pay", notify=False)  # paid at SumUp; no callback came
    settings.SUMUP_API_BASE = f"http://127.0.0.1:{closed_port()}/sumup-is-down"
    order_url = reverse("ticketing:order", args=[payment.order.token])

    waiting = buyer.get(order_url)

    assert waiting.status_code == 200
    assert "Confirming your payment" in waiting.content.decode()
    assert Order.objects.get(pk=payment.order.pk).status == Order.Status.PENDING
    assert not Ticket.objects.exists() and Payment.objects.count() == 1

    settings.SUMUP_API_BASE = f"{sumup_sandbox.url}/sandbox/sumup"
    for _ in range(2):  # the page reloads itself; the second visit changes nothing
        buyer.get(order_url)
    assert Order.objects.get(pk=payment.order.pk).status == Order.Status.PAID
    assert Ticket.objects.count() == 3


def test_paying_again_during_a_sumup_outage_is_refused_clearly_and_changes_nothing(
    buyer, event, sumup_sandbox, settings
):
    payment = buy(buyer, event)
    sandbox.press(payment.checkout_id, "decline", notify=False)
    order_url = reverse("ticketing:order", args=[payment.order.token])
    assert "did not go through" in buyer.get(order_url).content.decode()
    settings.SUMUP_API_BASE = f"http://127.0.0.1:{closed_port()}/sumup-is-down"
    before = Order.objects.values_list("status", flat=True).get(pk=payment.order.pk)

    response = buyer.post(reverse("ticketing:pay-again", args=[payment.order.token]))

    assert 400 <= response.status_code < 600 and response.status_code != 500
    assert "Location" not in response  # not sent to a SumUp page that does not exist
    assert Order.objects.values_list("status", flat=True).get(pk=payment.order.pk) == before
    assert not Ticket.objects.exists()
    assert not Payment.objects.filter(status=Payment.Status.PAID).exists()
