"""The order lifecycle has one owner (`ticketing.orders`), and the rules of an order hold for any
caller of the checkout service, not only for the form.

The first tests read the source of the product: they fail the day another module writes
`Order.status` or a `sold` counter, or the diagram in docs/ARCHITECTURE.md drifts from the
transitions table.
"""

import ast
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection, transaction
from django.utils import timezone

from tests.factories import BROWSER, make_event
from tests.guarded_writes import guarded_writes
from ticketing import orders
from ticketing.checkout import Buyer, CheckoutBusy, CheckoutRefused, place_order
from ticketing.inventory import check_inventory
from ticketing.models import Event, Order, ScheduledJob, Ticket
from ticketing.schedule import EXPIRY_JOB, worker_state

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ("ticketing", "home", "legal", "core", "config", "sumup_sandbox")
# The only modules allowed to write each guarded column.
OWNERS = {
    "Order.status": {"ticketing/orders.py"},
    "sold": {"ticketing/inventory.py"},
    "PromoCode.used": {"ticketing/inventory.py"},
}

BUYER = Buyer(name="Ann Example", email="ann@example.com", ip="203.0.113.9", user_agent=BROWSER)


def product_modules():
    for app in PRODUCT:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path.relative_to(ROOT).as_posix(), path.read_text()


def test_the_scan_finds_each_kind_of_write():
    """The scan itself can fail: each way of writing the guarded columns is found, and the
    other models' `status` columns are told apart from the order's."""
    source = """
Order.objects.filter(pk=1).update(status='paid')
event.orders.update(status='expired')
order.status = 'paid'
self.order.status = 'paid'
TicketType.objects.filter(pk=1).update(sold=F('sold') + 1)
ticket_type.sold = 3
Payment.objects.filter(pk=1).update(status='PAID')
order.payments.filter(pk=1).update(status='PAID')
def expire_all(event):
    overdue = Order.objects.filter(event=event)
    overdue.update(status='expired')
    later = overdue.exclude(pk=1)
    later.update(**{'status': 'expired'})
    setattr(order, 'status', 'paid')
    order.save(update_fields=['status'])
    Order.objects.bulk_update(orders, ['status'])
    Order.objects.create(event=event, name='Ann')
    rows = Payment.objects.all()
    rows = rows.exclude(pk=2)
    rows.update(status='FAILED')
    cursor.execute('UPDATE ticketing_order SET status = %s WHERE id = %s', ['paid', 1])
    cursor.execute('UPDATE "ticketing_tickettype" SET sold = sold + 1')
    something.update(status='paid')
class Refund:
    def fail(self):
        self.status = 'failed'
"""
    assert guarded_writes(source) == [
        (2, "Order.status"),  # update() on Order.objects
        (3, "Order.status"),  # on a related manager of orders
        (4, "Order.status"),  # assigned to an order
        (5, "Order.status"),
        (6, "sold"),  # F() on a counter
        (7, "sold"),
        # 8, 9: a payment's status
        (12, "Order.status"),  # a local name for orders
        (14, "Order.status"),  # through **{...}, from a name made from that name
        (15, "Order.status"),  # setattr
        (16, "Order.status"),  # save(update_fields=...)
        (17, "Order.status"),  # bulk_update
        (18, "Order.status"),  # a new order, with its first state
        # 19-21: payments, however the name was narrowed
        (22, "Order.status"),  # raw SQL
        (23, "sold"),
        (24, "Order.status"),  # rows nobody can tell: counted as an order's
        # 27: a refund writing its own status
    ]


def test_the_scan_finds_writes_of_a_promo_codes_uses():
    source = """
PromoCode.objects.filter(pk=1).update(used=F('used') + 1)
order.promo_code.used = 3
Event.objects.filter(pk=1).update(used=2)
"""
    assert guarded_writes(source) == [(2, "PromoCode.used"), (3, "PromoCode.used")]


def test_only_the_owning_module_writes_order_status_and_sold_counters():
    offenders = [
        f"{path}:{line} writes {column}"
        for path, source in product_modules()
        for line, column in guarded_writes(source)
        if path not in OWNERS[column]
    ]
    assert offenders == []


def test_the_architecture_document_shows_the_transitions_table():
    document = (ROOT / "docs" / "ARCHITECTURE.md").read_text()
    assert f"```mermaid\n{orders.state_diagram()}\n```" in document


def order_state_groups(source: str) -> list[int]:
    """Lines of `source` that spell out a group of two or more order states (a tuple, list or
    set of `Order.Status.X`, or of `Status.X` where `Status = Order.Status`)."""
    tree = ast.parse(source)
    aliases = {"Order.Status"} | {
        target.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign) and ast.unparse(node.value) == "Order.Status"
        for target in node.targets
        if isinstance(target, ast.Name)
    }

    def is_order_state(element):
        return isinstance(element, ast.Attribute) and ast.unparse(element.value) in aliases

    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Tuple | ast.List | ast.Set)
        and len(node.elts) >= 2
        and all(is_order_state(element) for element in node.elts)
    ]


def test_groups_of_order_states_are_spelled_out_only_on_the_order_and_in_the_transitions():
    """ "Holds stock", "owns tickets", "was paid", "hold ended" mean one thing everywhere: any
    other module names the group on `Order` (or asks `orders.sources`), never its members."""
    assert order_state_groups("GOING = (Order.Status.PAID, Order.Status.PARTIALLY_REFUNDED)") == [1]
    assert order_state_groups("Status = Order.Status\nx = [Status.PENDING, Status.PAID]") == [2]
    assert order_state_groups("Status = Payment.Status\nx = (Status.PAID, Status.FAILED)") == []
    offenders = [
        f"{path}:{line}"
        for path, source in product_modules()
        if path not in {"ticketing/models.py", "ticketing/orders.py"}
        for line in order_state_groups(source)
    ]
    assert offenders == []


def test_the_screens_offer_a_move_from_exactly_the_states_the_table_allows():
    assert orders.sources("cancel") == (Order.Status.PENDING, Order.Status.NEEDS_REVIEW)
    assert set(orders.sources("send_to_review")) == {Order.Status.PENDING, *Order.HOLD_ENDED}


def test_every_state_appears_in_the_transitions_and_groups_are_defined_on_the_order():
    reachable = {t.target for t in orders.TRANSITIONS}
    assert reachable == set(Order.Status.values)
    assert set(Order.OWNS_TICKETS) < set(Order.HOLDS_STOCK)
    assert set(Order.OWNS_TICKETS) < set(Order.WAS_PAID)


def test_moves_the_table_does_not_declare_do_not_exist():
    assert orders.transition_for("mark_paid", Order.Status.PENDING, Order.Status.PAID) is not None
    assert orders.transition_for("mark_paid", Order.Status.REFUNDED, Order.Status.PAID) is None
    assert orders.transition_for("expire", Order.Status.PAID, Order.Status.EXPIRED) is None


@pytest.mark.django_db
def test_a_stale_save_of_an_order_never_writes_its_status():
    """An admin form loaded before the payment must not put the order back to pending."""
    event = make_event(types=[("Adult", "20.00", 10)])
    order = place_order(event, BUYER, {event.ticket_types.get(): 2})
    stale = Order.objects.get(pk=order.pk)
    assert orders.mark_paid(order)
    stale.name = "Ann Corrected"
    stale.save()
    fresh = Order.objects.get(pk=order.pk)
    assert (fresh.status, fresh.name) == (Order.Status.PAID, "Ann Corrected")
    assert Ticket.objects.filter(order=order).count() == 2


@pytest.mark.django_db
def test_paying_issues_tickets_once_and_refunds_release_only_the_refunded_seats():
    event = make_event(types=[("Adult", "20.00", 10)])
    adult = event.ticket_types.get()
    order = place_order(event, BUYER, {adult: 3})
    assert orders.mark_paid(order) and not orders.mark_paid(Order.objects.get(pk=order.pk))
    tickets = list(order.tickets.all())
    assert len(tickets) == 3
    with transaction.atomic():
        assert orders.record_refund(order, tickets=tickets[:1], cause="one ticket back")
    assert order.status == Order.Status.PARTIALLY_REFUNDED
    assert adult.refresh_sold() == 2
    with transaction.atomic():
        assert orders.record_refund(order, tickets=tickets[1:], cause="the rest back")
    assert Order.objects.get(pk=order.pk).status == Order.Status.REFUNDED
    assert adult.refresh_sold() == 0
    assert check_inventory() == []


# --- The order's rules belong to the checkout service ---------------------------------------


@pytest.mark.django_db
def test_the_checkout_service_refuses_more_than_the_per_order_limit():
    event = make_event(types=[("Adult", "20.00", 100)])
    adult = event.ticket_types.get()
    adult.max_per_order = 4
    adult.save()
    with pytest.raises(CheckoutRefused, match="at most 4 Adult tickets") as refused:
        place_order(event, BUYER, {adult: 50})
    assert refused.value.ticket_type == adult
    assert Order.objects.count() == 0 and adult.refresh_sold() == 0


@pytest.mark.django_db
def test_the_checkout_service_refuses_an_order_of_nothing():
    event = make_event(types=[("Adult", "20.00", 100)])
    with pytest.raises(CheckoutRefused, match="Choose at least one ticket"):
        place_order(event, BUYER, {event.ticket_types.get(): 0})
    assert Order.objects.count() == 0


@pytest.mark.django_db
def test_the_form_shows_the_services_limit_beside_the_quantity(buyer, event):
    adult = event.ticket_types.get(name="Adult")
    adult.max_per_order = 2
    adult.save()
    response = buyer.post(
        f"/tickets/events/{event.pk}/checkout/",
        {"name": "Ann", "email": "ann@example.com", f"quantity_{adult.pk}": 3, "accept_terms": "on"},
    )
    assert response.status_code == 400
    assert "You can buy at most 2 Adult tickets in one order." in response.content.decode()
    assert response.context["checkout_form"].errors[f"quantity_{adult.pk}"]
    assert Order.objects.count() == 0


# --- Sales never wait for the worker ----------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_sold_out_show_sells_again_when_a_hold_ran_out_even_with_the_worker_stopped():
    event = make_event(types=[("Adult", "20.00", 2)])
    adult = event.ticket_types.get()
    abandoned = place_order(event, BUYER, {adult: 2})
    Order.objects.filter(pk=abandoned.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    other = Buyer(name="Bea", email="bea@example.com", ip="198.51.100.7", user_agent=BROWSER)

    order = place_order(event, other, {adult: 2})

    assert order.status == Order.Status.PENDING
    assert Order.objects.get(pk=abandoned.pk).status == Order.Status.EXPIRED
    assert adult.refresh_sold() == 2
    assert check_inventory() == []
    with pytest.raises(CheckoutRefused, match="not enough Adult tickets"):
        place_order(event, Buyer(name="Cy", email="cy@example.com", ip=None, user_agent=BROWSER), {adult: 1})


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="lock_timeout is PostgreSQL's")
def test_a_stuck_transaction_holding_the_stock_gives_buyers_a_clear_busy_answer(settings, buyer, event):
    """Another connection holds the event's row; the checkout gives up after the lock timeout,
    and the buyer at the form reads "try again" (503: they did nothing wrong)."""
    settings.CHECKOUT_LOCK_TIMEOUT_MS = 300
    adult = event.ticket_types.get(name="Adult")
    locked, release = threading.Event(), threading.Event()

    def stuck_transaction():
        from django.db import connections

        with transaction.atomic():
            list(Event.objects.select_for_update().filter(pk=event.pk))
            locked.set()
            release.wait(10)
        connections.close_all()

    holder = threading.Thread(target=stuck_transaction)
    holder.start()
    try:
        assert locked.wait(10)
        started = timezone.now()
        with pytest.raises(CheckoutBusy, match="try again in a moment"):
            place_order(event, BUYER, {adult: 1})
        assert timezone.now() - started < timedelta(seconds=5)
        response = buyer.post(
            f"/tickets/events/{event.pk}/checkout/",
            {"name": "Ann", "email": "ann@example.com", f"quantity_{adult.pk}": 1, "accept_terms": "on"},
        )
        assert response.status_code == 503
        assert "please try again in a moment" in response.content.decode()
    finally:
        release.set()
        holder.join(10)
    assert Order.objects.count() == 0 and adult.refresh_sold() == 0
    assert place_order(event, BUYER, {adult: 1}).status == Order.Status.PENDING


@pytest.mark.django_db
def test_readiness_says_when_the_expiry_job_is_late(client, settings):
    settings.WORKER_LATE_AFTER_MINUTES = 5
    assert worker_state() == "unknown"
    job = ScheduledJob.objects.create(name=EXPIRY_JOB, next_run_at=timezone.now() + timedelta(seconds=30))
    assert client.get("/health/ready/").json() == {"status": "ok", "worker": "ok"}
    job.next_run_at = timezone.now() - timedelta(minutes=6)
    job.save()
    response = client.get("/health/ready/")
    assert response.status_code == 200, "a dead worker must not take the web instances out of service"
    assert response.json() == {"status": "ok", "worker": "late"}
