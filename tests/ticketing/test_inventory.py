"""Reserve and release: all or nothing, never past capacity, released exactly once."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from tests.factories import make_event, ticket_types
from ticketing import orders
from ticketing.checkout import Buyer, CheckoutRefused, place_order
from ticketing.inventory import SoldOut, check_inventory, reserve_tickets
from ticketing.models import Event, Order, TicketType

pytestmark = pytest.mark.django_db

BUYER = Buyer(
    name="Ann Example",
    email="ann@example.com",
    ip="203.0.113.5",
    user_agent="Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0",
)


def sold(obj):
    return type(obj).objects.values_list("sold", flat=True).get(pk=obj.pk)


def test_reserve_takes_stock_from_type_and_event():
    event = make_event(capacity=20, types=[("Adult", "20.00", 10), ("Child", "10.00", 10)])
    adult, child = ticket_types(event)
    reserve_tickets(event.pk, {adult.pk: 3, child.pk: 2})
    assert (sold(adult), sold(child), sold(event)) == (3, 2, 5)


def test_reserve_leaves_the_event_row_alone_without_an_overall_capacity():
    """Issue 14: the event's row is every type's hot row; without a capacity nothing needs it."""
    event = make_event(types=[("Adult", "20.00", 10), ("Child", "10.00", 10)])
    adult, child = ticket_types(event)
    reserve_tickets(event.pk, {adult.pk: 3, child.pk: 2})
    assert (sold(adult), sold(child), sold(event)) == (3, 2, 0)


def test_reserve_is_all_or_nothing_when_one_type_lacks_stock():
    event = make_event(types=[("Adult", "20.00", 10), ("Child", "10.00", 1)])
    adult, child = ticket_types(event)
    with pytest.raises(SoldOut) as refused, transaction.atomic():
        reserve_tickets(event.pk, {adult.pk: 3, child.pk: 2})
    assert refused.value.ticket_type == child
    assert (sold(adult), sold(child), sold(event)) == (0, 0, 0)


def test_event_wide_capacity_caps_types_together():
    event = make_event(capacity=5, types=[("Adult", "20.00", 10), ("Child", "10.00", 10)])
    adult, child = ticket_types(event)
    reserve_tickets(event.pk, {adult.pk: 4})
    with pytest.raises(SoldOut) as refused, transaction.atomic():
        reserve_tickets(event.pk, {child.pk: 2})
    assert refused.value.ticket_type is None
    reserve_tickets(event.pk, {child.pk: 1})
    assert (sold(adult), sold(child), sold(event)) == (4, 1, 5)


def test_reserve_refuses_a_ticket_type_of_another_event():
    event = make_event()
    other = make_event("Other")
    with pytest.raises(SoldOut), transaction.atomic():
        reserve_tickets(event.pk, {ticket_types(other)[0].pk: 1})
    assert sold(event) == 0 and sold(ticket_types(other)[0]) == 0


def test_place_order_computes_total_from_database_prices_and_holds_tickets(settings):
    settings.ORDER_HOLD_MINUTES = 15
    event = make_event(types=[("Adult", "20.50", 10), ("Child", "9.99", 10)])
    adult, child = ticket_types(event)
    order = place_order(event, BUYER, {adult: 2, child: 1})
    assert order.total == Decimal("50.99")
    assert order.status == Order.Status.PENDING
    assert timedelta(minutes=14) < order.expires_at - timezone.now() <= timedelta(minutes=15)
    assert {(line.ticket_type_id, line.quantity, line.unit_price) for line in order.lines.all()} == {
        (adult.pk, 2, Decimal("20.50")),
        (child.pk, 1, Decimal("9.99")),
    }
    assert order.created_ip == "203.0.113.5"
    assert check_inventory() == []


def test_place_order_when_sold_out_creates_nothing():
    event = make_event(types=[("Adult", "20.00", 2)])
    (adult,) = ticket_types(event)
    with pytest.raises(CheckoutRefused, match="not enough Adult tickets"):
        place_order(event, BUYER, {adult: 3})
    assert Order.objects.count() == 0
    assert sold(adult) == 0


def test_ending_a_hold_releases_its_tickets_exactly_once():
    event = make_event(types=[("Adult", "20.00", 10)])
    (adult,) = ticket_types(event)
    order = place_order(event, BUYER, {adult: 4})
    stale = Order.objects.get(pk=order.pk)
    assert orders.expire(order) is True
    assert orders.expire(Order.objects.get(pk=order.pk)) is False
    assert orders.cancel(stale, cause="a racing cancellation") is False
    assert sold(adult) == 0 and sold(event) == 0
    assert Order.objects.get(pk=order.pk).status == Order.Status.EXPIRED


def test_saving_a_ticket_type_never_writes_sold():
    """A form loaded before a sale must not overwrite that sale when saved."""
    event = make_event(types=[("Adult", "20.00", 10)])
    stale = TicketType.objects.get(event=event)
    TicketType.objects.filter(pk=stale.pk).update(sold=F("sold") + 3)
    stale.name = "Adult (standing)"
    stale.save()
    fresh = TicketType.objects.get(pk=stale.pk)
    assert (fresh.name, fresh.sold) == ("Adult (standing)", 3)


def test_saving_an_event_never_writes_sold():
    event = make_event(capacity=50)
    stale = Event.objects.get(pk=event.pk)
    Event.objects.filter(pk=event.pk).update(sold=F("sold") + 7)
    stale.title = "Renamed"
    stale.save()
    assert Event.objects.values_list("title", "sold").get(pk=event.pk) == ("Renamed", 7)


def test_check_inventory_finds_and_fixes_drift():
    event = make_event(types=[("Adult", "20.00", 10)])
    (adult,) = ticket_types(event)
    place_order(event, BUYER, {adult: 2})
    TicketType.objects.filter(pk=adult.pk).update(sold=5)
    differences = check_inventory()
    assert {(d["kind"], d["sold"], d["expected"]) for d in differences} == {("ticket_type", 5, 2)}
    with pytest.raises(CommandError, match="1 counter"):
        call_command("check_inventory")
    call_command("check_inventory", "--fix")
    assert sold(adult) == 2
    assert check_inventory() == []


def test_free_tickets_are_refused_before_anything_is_reserved():
    """SumUp cannot take a payment of nothing: a zero price is refused when it is set, and an
    order that would cost nothing is refused before any stock is held."""
    from django.core.exceptions import ValidationError

    event = make_event(types=[("Adult", "20.00", 10)])
    (adult,) = ticket_types(event)
    adult.price = Decimal("0.00")
    with pytest.raises(ValidationError, match="at least 0.01"):
        adult.clean()
    TicketType.objects.filter(pk=adult.pk).update(price=Decimal("0.00"))
    with pytest.raises(CheckoutRefused, match="cannot be bought online"):
        place_order(event, BUYER, {TicketType.objects.get(pk=adult.pk): 1})
    assert Order.objects.count() == 0 and sold(adult) == 0
