"""Issue 9's audit: SumUp bounds and a lost refund answer, where the earlier tests left gaps.

"Try paying again" is limited per client as well as per order: one client holding many orders
(each under its own per-order limit) still cannot make SumUp open checkouts without end. And an
unsigned delivery is one question to SumUp per checkout whatever envelope it comes in: SumUp's
callback shape and a signed event's shape name the same checkout, so they share one count.
A refund whose answer is lost is settled by the worker's own periodic job, which gives back
exactly the refunded ticket's seat. The sandbox counts the requests it receives, over real HTTP.
"""

from collections import Counter

import pytest
from django.test import Client

from sumup_sandbox import faults
from sumup_sandbox import state as sandbox
from tests.factories import BROWSER, buy
from tests.payments.helpers import callback_body, deliver, reload, signed_event
from ticketing import checkin, tickets
from ticketing.inventory import check_inventory
from ticketing.models import Order, Refund, Ticket, WebhookEvent
from ticketing.payments import refunds
from ticketing.schedule import jobs_by_name
from ticketing.tasks import run_periodic_job

pytestmark = pytest.mark.django_db(transaction=True)


def pay_again(client, order):
    return client.post(f"/tickets/orders/{order.token}/pay/").status_code


def test_pay_again_is_limited_per_client_across_all_its_orders(buyer, event, settings):
    """Four orders of one client, each far under its own limit: the client's limit stops the third press."""
    settings.MAX_TICKETS_PER_IP_PER_EVENT = 50
    settings.PAY_AGAIN_RATE_LIMIT = "2/d"
    settings.PAY_AGAIN_RATE_LIMIT_PER_ORDER = "100/d"
    orders = [buy(buyer, event, adult=1, child=0, email=f"buyer{n}@example.com").order for n in range(4)]
    for order in orders:
        sandbox.press(order.payments.get().checkout_id, "decline", notify=False)
    created_before = faults.calls("POST", "checkouts")

    statuses = [pay_again(buyer, order) for order in orders]

    assert statuses == [303, 303, 429, 429]
    assert faults.calls("POST", "checkouts") - created_before == 2
    # Another client is another count: its own order can still be paid again.
    other = Client(HTTP_USER_AGENT=BROWSER, REMOTE_ADDR="198.51.100.44")
    assert pay_again(other, orders[3]) == 303
    assert all(reload(order).status == Order.Status.PENDING for order in orders)


def test_pay_again_over_the_client_limit_opens_no_sumup_checkout_whatever_the_order(buyer, event, settings):
    """Made-up tokens count too: a client cannot spend its limit on 404s and keep the real presses."""
    settings.PAY_AGAIN_RATE_LIMIT = "3/d"
    order = buy(buyer, event).order
    sandbox.press(order.payments.get().checkout_id, "decline", notify=False)

    made_up = Counter(buyer.post(f"/tickets/orders/not-a-token-{n}/pay/").status_code for n in range(3))

    assert made_up == Counter({404: 3})
    created_before = faults.calls("POST", "checkouts")
    assert pay_again(buyer, order) == 429
    assert faults.calls("POST", "checkouts") == created_before


def test_callbacks_and_event_shaped_copies_of_one_checkout_share_one_question_to_sumup(
    buyer, event, sumup_sandbox, settings
):
    """Whatever the envelope (SumUp's callback, or a signed event's shape with made-up ids and
    types), an unsigned delivery counts under the checkout it names."""
    settings.SUMUP_CHECK_INTERVAL_SECONDS = 30
    payment = buy(buyer, event)
    asked_before = faults.calls("GET", "checkout_detail")
    bodies = [callback_body(payment.checkout_id)]
    for n in range(10):
        bodies.append(signed_event(payment.checkout_id, event_id=f"evt_made_up_{n}"))
        bodies.append(signed_event(payment.checkout_id, event_type="checkout.completed", event_id=f"x{n}"))
        bodies.append(callback_body(payment.checkout_id))

    statuses = [deliver(sumup_sandbox.url, body).status_code for body in bodies]

    assert faults.calls("GET", "checkout_detail") - asked_before == 1
    assert statuses[0] == 204 and 500 not in statuses
    assert WebhookEvent.objects.count() == 1
    assert not WebhookEvent.objects.filter(dedupe_key__contains="evt_made_up")
    assert reload(payment.order).status == Order.Status.PENDING


# --- A refund whose answer is lost, settled by the worker's own job ----------------------------


def test_the_workers_periodic_job_settles_a_lost_refund_answer_and_gives_the_seat_back(paid, event, settings):
    """Through the worker's entry point (the periodic task, by its schedule name), not the function."""
    settings.SUMUP_TIMEOUT_SECONDS = 1
    job = jobs_by_name()["settle-unknown-refunds"]
    assert job.function == "ticketing.payments.refunds.settle_unknown_refunds" and job.lease <= 2 * job.every
    order = paid.order
    adult = event.ticket_types.get(name="Adult")
    first, second = Ticket.objects.filter(order=order, ticket_type=adult).order_by("pk")
    sold_before = adult.refresh_sold()
    faults.lose_refund_answers(1, then_go_down=True)
    with pytest.raises(refunds.RefundOutcomeUnknown):
        refunds.execute(refunds.plan_ticket_refund(order, [first]))
    assert not checkin.check_in(tickets.sign_ticket_code(first.code), event, None).admitted
    assert adult.refresh_sold() == sold_before, "a seat comes back only once SumUp shows the money went back"
    faults.come_back()

    run_periodic_job.enqueue("settle-unknown-refunds")

    assert Refund.objects.get().status == Refund.Status.SUCCEEDED
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.voided_at is not None and second.voided_at is None
    assert adult.refresh_sold() == sold_before - 1
    assert checkin.check_in(tickets.sign_ticket_code(second.code), event, None).admitted
    assert reload(order).status == Order.Status.PARTIALLY_REFUNDED
    assert check_inventory() == []
