"""A sale makes the cached event page stale only when it changes what the page shows of the stock.

At an on-sale rush most sales leave "Available" as it was: the page is then served from the
cache, not rendered again after each sale. A sale that leaves a type with few tickets, or none,
and any seats coming back, make the next visitor see the page as it now is.
"""

import time

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from core import page_cache
from tests.concurrency import run_concurrently
from tests.factories import BROWSER, make_event, make_event_page, ticket_types
from ticketing import orders, shop
from ticketing.checkout import Buyer, place_order
from ticketing.models import Event, TicketType

pytestmark = pytest.mark.django_db


def buyer(n):
    return Buyer(f"Buyer {n}", f"buyer{n}@example.com", f"192.0.2.{n}", BROWSER)


def visit(page):
    response = Client().get(page.url)
    assert response.status_code == 200
    return response


@pytest.fixture
def sell(django_capture_on_commit_callbacks):
    """Place an order as the checkout does, its transaction committing (so the page cache hears)."""
    sold = []

    def sell(event, quantities):
        with django_capture_on_commit_callbacks(execute=True):
            order = place_order(event, buyer(len(sold) + 1), quantities)
        sold.append(order)
        return order

    return sell


@pytest.fixture
def give_back(django_capture_on_commit_callbacks):
    def give_back(order):
        with django_capture_on_commit_callbacks(execute=True):
            assert orders.cancel(order, cause="box office")

    return give_back


def test_the_first_sale_of_an_event_makes_its_page_stale_as_nothing_is_known_to_compare(sell):
    event = make_event("Big Show", types=[("Standard", "10.00", 100)])
    page = make_event_page(event)
    visit(page)
    (standard,) = ticket_types(event)

    sell(event, {standard: 2})

    assert visit(page)["X-Page-Cache"] == "miss"


def test_a_sale_that_changes_nothing_shown_keeps_the_cached_page(sell):
    event = make_event("Big Show", types=[("Standard", "10.00", 100)])
    page = make_event_page(event)
    (standard,) = ticket_types(event)
    sell(event, {standard: 1})
    visit(page)
    assert visit(page)["X-Page-Cache"] == "hit"

    sell(event, {standard: 2})

    with CaptureQueriesContext(connection) as queries:
        after = visit(page)
    assert after["X-Page-Cache"] == "hit"  # not rendered again
    assert len(queries) == 0
    # Nor in any other process: the shared version did not move.
    time.sleep(page_cache.LOCAL_SECONDS + 0.1)
    assert visit(page)["X-Page-Cache"] == "hit"


def test_the_sale_that_leaves_few_tickets_shows_it_on_the_next_visit(sell):
    event = make_event("Big Show", types=[("Standard", "10.00", 25)])
    page = make_event_page(event)
    (standard,) = ticket_types(event)
    sell(event, {standard: 1})
    visit(page)
    sell(event, {standard: 4})  # 20 left: still plainly available
    assert visit(page)["X-Page-Cache"] == "hit"

    sell(event, {standard: 10})  # 10 left: "few left"

    after = visit(page)
    assert after["X-Page-Cache"] == "miss"
    assert "Only 10 left" in after.content.decode()
    sell(event, {standard: 1})  # every sale from here changes the number shown
    assert "Only 9 left" in visit(page).content.decode()


def test_the_sale_of_the_last_tickets_shows_sold_out_on_the_next_visit(sell):
    event = make_event("Small Show", types=[("Standard", "10.00", 12)])
    page = make_event_page(event)
    (standard,) = ticket_types(event)
    sell(event, {standard: 2})
    assert "Only 10 left" in visit(page).content.decode()

    sell(event, {standard: 10})

    after = visit(page).content.decode()
    assert "Sold out" in after and "Only" not in after
    assert f'name="quantity_{standard.pk}"' not in after


def test_a_sale_of_one_type_keeps_the_page_of_an_event_with_another_type_sold_out(sell):
    """A type already sold out stays as the page shows it: a sale of the other type changes nothing."""
    event = make_event("Two Types", types=[("Early bird", "8.00", 2), ("Standard", "10.00", 100)])
    page = make_event_page(event)
    early, standard = ticket_types(event)
    sell(event, {early: 2})
    sell(event, {standard: 1})
    assert "Sold out" in visit(page).content.decode()
    assert visit(page)["X-Page-Cache"] == "hit"

    sell(event, {standard: 3})

    assert visit(page)["X-Page-Cache"] == "hit"


def test_under_an_event_capacity_a_sale_of_any_type_can_show_few_left_on_every_type(sell):
    event = make_event("Capped Show", capacity=15, types=[("Adult", "10.00", 100), ("Child", "5.00", 100)])
    page = make_event_page(event)
    adult, child = ticket_types(event)
    visit(page)

    sell(event, {adult: 5})  # the event has 10 left: so has each type

    after = visit(page).content.decode()
    assert after.count("Only 10 left") == 2


def test_tickets_given_back_after_selling_out_show_the_type_available_again(sell, give_back):
    event = make_event("Small Show", types=[("Standard", "10.00", 20)])
    page = make_event_page(event)
    (standard,) = ticket_types(event)
    first = sell(event, {standard: 10})
    second = sell(event, {standard: 10})
    assert "Sold out" in visit(page).content.decode()

    give_back(second)
    assert "Only 10 left" in visit(page).content.decode()
    give_back(first)

    after = visit(page).content.decode()
    assert "Sold out" not in after and "Only" not in after
    assert f'name="quantity_{standard.pk}"' in after


def test_staff_raising_the_capacity_of_a_sold_out_type_shows_it_available(sell):
    event = make_event("Small Show", types=[("Standard", "10.00", 10)])
    page = make_event_page(event)
    (standard,) = ticket_types(event)
    sell(event, {standard: 10})
    assert "Sold out" in visit(page).content.decode()

    standard = TicketType.objects.get(pk=standard.pk)
    standard.capacity = 100
    standard.save()

    after = visit(page).content.decode()
    assert "Sold out" not in after and f'name="quantity_{standard.pk}"' in after


@pytest.mark.django_db(transaction=True)
@pytest.mark.concurrency
def test_sales_committing_at_once_leave_the_page_showing_the_final_stock():
    """Each sale reads the stock a moment after its own commit, while others commit: whatever
    order that happens in, the page ends showing what is left."""
    event = make_event("Rush", types=[("Standard", "10.00", 30)])
    page = make_event_page(event)
    (standard,) = ticket_types(event)
    visit(page)

    def buy_one(n):
        place_order(Event.objects.get(pk=event.pk), buyer(n), {standard: 1})
        visit(page)  # pages rendered, and cached, while the others' sales commit

    results = run_concurrently(buy_one, [(n,) for n in range(1, 25)])

    assert [r for r in results if isinstance(r, Exception)] == []
    time.sleep(page_cache.LOCAL_SECONDS + 0.1)  # as long as any process may keep a copy it checked
    assert "Only 6 left" in visit(page).content.decode()


# --- When Redis cannot say what the page showed: every sale makes the page stale, as before ----


def test_outage_a_sale_while_redis_is_down_reaches_the_cached_page_when_it_answers_again(redis_server, sell):
    event = make_event("Big Show", types=[("Standard", "10.00", 100)])
    page = make_event_page(event)
    (standard,) = ticket_types(event)
    sell(event, {standard: 1})
    visit(page)
    assert visit(page)["X-Page-Cache"] == "hit"

    redis_server.pause()
    sell(event, {standard: 1})  # nothing shown changes, but nothing can be compared either
    redis_server.resume()

    assert visit(page)["X-Page-Cache"] == "miss"
    assert visit(page)["X-Page-Cache"] == "hit"


def test_outage_a_sale_after_redis_evicted_what_the_page_showed_makes_the_page_stale(redis_server, sell):
    event = make_event("Big Show", types=[("Standard", "10.00", 100)])
    page = make_event_page(event)
    (standard,) = ticket_types(event)
    sell(event, {standard: 1})
    visit(page)
    assert visit(page)["X-Page-Cache"] == "hit"
    shown = redis_server.keys("*pagecache:shown:*")
    assert shown  # the last fingerprint of the event is kept in Redis
    redis_server.client.delete(*shown)  # as Redis evicts keys when short of memory

    sell(event, {standard: 1})

    assert visit(page)["X-Page-Cache"] == "miss"


def test_what_the_page_shows_of_the_stock_is_read_in_one_query(django_assert_num_queries):
    event = make_event("Two Types", types=[("Early bird", "8.00", 5), ("Standard", "10.00", 100)])
    with django_assert_num_queries(1):
        shown = shop.stock_shown(event.pk)
    early, standard = ticket_types(event)
    assert shown.exact_types == {early.pk}  # "Only 5 left"; the standard type just "Available"


def test_stock_the_page_shows_alike_has_one_fingerprint(sell):
    event = make_event("Big Show", types=[("Standard", "10.00", 100)])
    (standard,) = ticket_types(event)
    plenty = shop.stock_shown(event.pk).fingerprint
    sell(event, {standard: 9})  # 91 left: "Available" still
    assert shop.stock_shown(event.pk).fingerprint == plenty
    TicketType.objects.filter(pk=standard.pk).update(sold=95)
    assert shop.stock_shown(event.pk).fingerprint != plenty  # "Only 5 left"
