"""A checkout that meets "sold out": a short, clear answer that changes nothing (issue 14).

At an on-sale rush most buyers press "Buy" after the last seat has gone. When nothing of the
event is left they get a short page (409) saying so, with the waiting list, instead of the whole
event page again; when other tickets are left they get the form back to choose those.
"""

import pytest
from django.urls import reverse

from tests.factories import BROWSER, make_event, make_event_page, make_order, ticket_types
from ticketing.inventory import check_inventory
from ticketing.models import Event, Order, TicketType

pytestmark = pytest.mark.django_db

# The answer reads the event and its types (one query) and the ids of any ended holds to free
# (one plain SELECT: no server-side cursor, whose DECLARE, FETCH and CLOSE were three round
# trips for every buyer turned away); the rate limit is counted in Redis and the site's
# furniture kept in the shared cache: a fixed two queries, however busy the rush.
SOLD_OUT_QUERIES = 2


def checkout(client, event, **quantities):
    return post_checkout(client, event, checkout_form(event, **quantities))


def checkout_form(event, **quantities):
    data = {"name": "Bo Buyer", "email": "bo@example.com", "accept_terms": "on"}
    for ticket_type in ticket_types(event):
        data[f"quantity_{ticket_type.pk}"] = quantities.get(ticket_type.name, 0)
    return data


def post_checkout(client, event, data):
    return client.post(reverse("ticketing:checkout", args=[event.pk]), data, HTTP_USER_AGENT=BROWSER)


def stock(event):
    return [(t.name, t.sold) for t in ticket_types(event)]


@pytest.fixture
def sold_out_show():
    event = make_event("Last Seats", types=[("Standard", "20.00", 2), ("Balcony", "12.00", 1)])
    make_event_page(event)
    make_order(event, {"Standard": 2, "Balcony": 1}, email="first@example.com")
    return event


def test_a_checkout_after_the_last_seat_gets_a_short_sold_out_page(client, sold_out_show):
    before = stock(sold_out_show)

    response = checkout(client, sold_out_show, Standard=1)

    html = response.content.decode()
    assert response.status_code == 409
    assert "Last Seats is sold out" in html
    assert "Nothing has been reserved or charged" in html
    assert reverse("ticketing:waiting-list", args=[sold_out_show.pk]) in html
    assert sold_out_show.pages.get().url in html  # back to the event
    assert "Review your order" not in html  # no form: there is nothing to choose
    assert Order.objects.count() == 1 and stock(sold_out_show) == before
    assert check_inventory() == []


def test_the_sold_out_answer_takes_a_fixed_few_queries(client, sold_out_show, django_assert_num_queries):
    checkout(client, sold_out_show, Standard=1)  # the site's furniture is in the cache now
    for quantities in ({"Standard": 1}, {"Standard": 2, "Balcony": 1}):
        data = checkout_form(sold_out_show, **quantities)
        with django_assert_num_queries(SOLD_OUT_QUERIES) as queries:
            assert post_checkout(client, sold_out_show, data).status_code == 409
        assert not [q for q in queries.captured_queries if q["sql"].startswith("DECLARE")]


def test_an_event_wide_capacity_reached_is_sold_out_too(client):
    event = make_event("Small Room", capacity=2, types=[("Standard", "20.00", 5), ("Reduced", "10.00", 5)])
    make_event_page(event)
    make_order(event, {"Standard": 2})

    response = checkout(client, event, Reduced=1)

    assert response.status_code == 409 and "Small Room is sold out" in response.content.decode()
    assert Order.objects.count() == 1 and Event.objects.get(pk=event.pk).sold == 2


def test_when_other_tickets_are_left_the_form_comes_back_to_choose_them(client):
    event = make_event("Half Full", types=[("Standard", "20.00", 1), ("Balcony", "12.00", 5)])
    make_event_page(event)
    make_order(event, {"Standard": 1})

    response = checkout(client, event, Standard=1)

    html = response.content.decode()
    assert response.status_code == 409
    assert "not enough Standard tickets left" in html
    assert "Review your order" in html and 'value="Bo Buyer"' in html  # the form, as typed
    assert Order.objects.count() == 1


def test_seats_held_by_an_ended_hold_are_sold_to_the_next_buyer(client, sumup_sandbox):
    event = make_event("Second Chance", types=[("Standard", "20.00", 2)])
    make_event_page(event)
    abandoned = make_order(event, {"Standard": 2}, email="gone@example.com")
    Order.objects.filter(pk=abandoned.pk).update(expires_at=abandoned.created_at)

    response = checkout(client, event, Standard=2)

    assert response.status_code == 303  # to SumUp's payment page
    assert Order.objects.get(pk=abandoned.pk).status == Order.Status.EXPIRED
    assert TicketType.objects.get(event=event).sold == 2
    assert check_inventory() == []
