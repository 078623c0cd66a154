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
from ticketing import orders
from ticketing.checkout import Buyer, CheckoutBusy, CheckoutRefused, place_order
from ticketing.inventory import check_inventory
from ticketing.models import Event, Order, ScheduledJob, Ticket
from ticketing.schedule import EXPIRY_JOB, worker_state

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ("ticketing", "home", "legal", "core", "config", "sumup_sandbox")
WRITE_METHODS = {"update", "create", "bulk_create", "update_or_create", "get_or_create"}
# The only modules allowed to write each guarded column.
OWNERS = {
    "Order.status": {"ticketing/orders.py"},
    "sold": {"ticketing/inventory.py"},
    "PromoCode.used": {"ticketing/inventory.py"},
}

BUYER = Buyer(name="Ann Example", email="ann@example.com", ip="203.0.113.9", user_agent=BROWSER)


def _is_order_rows(expression: str) -> bool:
    """Does this receiver name orders (`Order.objects…`, `event.orders…`)?"""
    return expression.startswith("Order.") or ".orders." in f".{expression}." or expression == "orders"


def guarded_writes(source: str) -> list[tuple[int, str]]:
    """(line, column) for every write of `Order.status` or a `sold` counter in `source`."""
    found = []
    for node in sorted(ast.walk(ast.parse(source)), key=lambda n: getattr(n, "lineno", 0)):
        is_call = isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
        if is_call and node.func.attr in WRITE_METHODS:
            keywords = {keyword.arg for keyword in node.keywords}
            receiver = ast.unparse(node.func.value)
            if "sold" in keywords:
                found.append((node.lineno, "sold"))
            if "used" in keywords and receiver.startswith("PromoCode."):
                found.append((node.lineno, "PromoCode.used"))
            if "status" in keywords and _is_order_rows(receiver) and node.func.attr != "get_or_create":
                found.append((node.lineno, "Order.status"))
        targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
        for target in targets if isinstance(node, ast.Assign | ast.AugAssign) else []:
            if isinstance(target, ast.Attribute):
                owner = ast.unparse(target.value)
                if target.attr == "status" and (owner == "order" or owner.endswith(".order")):
                    found.append((node.lineno, "Order.status"))
                if target.attr == "sold" and owner != "self":  # models refresh their own copy
                    found.append((node.lineno, "sold"))
    return found


def product_modules():
    for app in PRODUCT:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path.relative_to(ROOT).as_posix(), path.read_text()


def test_the_scan_finds_each_kind_of_write():
    """The scan itself can fail: each way of writing the guarded columns is found."""
    source = "\n".join(
        [
            "Order.objects.filter(pk=1).update(status='paid')",
            "event.orders.update(status='expired')",
            "order.status = 'paid'",
            "self.order.status = 'paid'",
            "TicketType.objects.filter(pk=1).update(sold=F('sold') + 1)",
            "ticket_type.sold = 3",
            "Payment.objects.filter(pk=1).update(status='PAID')",  # a payment's status: allowed
            "PromoCode.objects.filter(pk=1).update(used=F('used') + 1)",
        ]
    )
    assert [column for _, column in guarded_writes(source)] == [
        "Order.status",
        "Order.status",
        "Order.status",
        "Order.status",
        "sold",
        "sold",
        "PromoCode.used",
    ]


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
def test_a_stuck_transaction_holding_the_stock_gives_buyers_a_clear_busy_answer(settings, client):
    """Another connection holds the event's row; the checkout gives up after the lock timeout."""
    settings.CHECKOUT_LOCK_TIMEOUT_MS = 300
    event = make_event(types=[("Adult", "20.00", 10)])
    adult = event.ticket_types.get()
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
