"""A purchase over real HTTP (checkout → SumUp sandbox → webhook) sends the tickets exactly once."""

import time
from collections import Counter

import pytest
from django.core import mail
from django.db.models import Sum
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from sumup_sandbox import state as sandbox
from tests.concurrency import run_concurrently
from tests.delivery.helpers import decode_png, run_worker
from tests.factories import ticket_types
from tests.sandbox_buyer import press_on_hosted_page
from ticketing import tickets
from ticketing.models import BuyerEmail, Order, Payment, WebhookEvent
from ticketing.payments.confirmation import refresh_payment

pytestmark = pytest.mark.django_db(transaction=True)


def buy(client, event, adults=2, children=1):
    adult, child = ticket_types(event)
    response = client.post(
        reverse("ticketing:checkout", args=[event.pk]),
        {
            "name": "Ann Example",
            "email": "ann@example.com",
            "accept_terms": "on",
            f"quantity_{adult.pk}": adults,
            f"quantity_{child.pk}": children,
        },
    )
    assert response.status_code == 303
    return Payment.objects.select_related("order").get()


def wait_for(condition, timeout=10):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_paying_sends_one_email_with_every_ticket(buyer, event, sumup_sandbox):
    payment = buy(buyer, event)
    # The buyer pays on the hosted page; the sandbox then calls our webhook, twice (test settings).
    press_on_hosted_page(payment.hosted_checkout_url, "pay")
    wait_for(lambda: (WebhookEvent.objects.aggregate(n=Sum("deliveries"))["n"] or 0) >= 2)
    # ...and the buyer's browser comes back to the order page, which asks SumUp again.
    order_page = buyer.get(reverse("ticketing:order", args=[payment.order.token]))
    assert "Payment received" in order_page.content.decode()

    order = Order.objects.get()
    assert order.status == Order.Status.PAID
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == ["ann@example.com"] and "Jazz Night" in sent.subject
    ticket_email = BuyerEmail.objects.get()
    assert ticket_email.order == order and ticket_email.status == BuyerEmail.Status.SENT
    images = [attachment for attachment in sent.attachments if attachment.get_content_maintype() == "image"]
    assert len(images) == order.tickets.count() == 3
    decoded = {tickets.verify_payload(decode_png(image.get_payload(decode=True))) for image in images}
    assert decoded == set(order.tickets.values_list("code", flat=True))
    assert f"{sumup_sandbox.url}/tickets/orders/{order.token}/tickets/" in sent.body


def test_ten_concurrent_confirmations_make_one_email_job(buyer, event, database_tasks):
    payment = buy(buyer, event, adults=1, children=0)
    sandbox.press(payment.checkout_id, "pay", notify=False)

    outcomes = run_concurrently(refresh_payment, [(Payment.objects.get(pk=payment.pk),) for _ in range(10)])

    assert Counter(outcomes) == {"confirmed": 1, "already_paid": 9}
    jobs = DBTaskResult.objects.filter(task_path="ticketing.tasks.send_buyer_email")
    assert jobs.count() == 1 and BuyerEmail.objects.count() == 1
    assert mail.outbox == []  # the job waits for the worker
    run_worker()
    assert len(mail.outbox) == 1
    assert BuyerEmail.objects.get().status == BuyerEmail.Status.SENT


def test_a_payment_that_rolls_back_leaves_no_email_job(buyer, event, database_tasks, monkeypatch):
    """The job is a row in the paying transaction: if that fails, there is no job either."""
    from ticketing import audit

    payment = buy(buyer, event, adults=1, children=0)
    sandbox.press(payment.checkout_id, "pay", notify=False)

    def log_and_fail(*args, **kwargs):
        raise RuntimeError("crash after the tickets and the job were written")

    # The audit line is written inside the paying transaction, after the tickets and the job.
    monkeypatch.setattr(audit, "order_state_changed", log_and_fail)
    with pytest.raises(RuntimeError):
        refresh_payment(Payment.objects.get(pk=payment.pk))
    assert Order.objects.get().status == Order.Status.PENDING
    assert BuyerEmail.objects.count() == 0 and DBTaskResult.objects.count() == 0
