"""A checkout costs a fixed, small number of queries (issue 14), whatever it buys.

Counted on the site's own connection, for the POST from the event page to SumUp's redirect;
SumUp's side (the sandbox, in the live server's thread) is not counted. A change that adds a
query per ticket type or per ticket breaks the equality long before it reaches the bound.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import buy, make_event, make_event_page

pytestmark = pytest.mark.django_db(transaction=True)

# Measured 3 Dec 2026 (issue 14): 16 for seven tickets of two types, two of them this test's
# own (the types' ids, the payment made): the event with its types (one query), then 8 in the
# order's transaction (BEGIN, lock timeout, the buyer's locks, velocity, order, lines, stock,
# COMMIT), the payment's row, and after the commit the page cache's one read of what the event
# page shows. A checkout's own first payment takes no lease (nobody else knows the order yet).
# A query per ticket type in the order stays: each type's conditional UPDATE, in id order, is
# what makes overselling impossible.
CHECKOUT_QUERY_BOUND = 16


def counted_checkout(client, event, **quantities):
    with CaptureQueriesContext(connection) as queries:
        buy(client, event, **quantities)
    return [q["sql"] for q in queries.captured_queries]


def test_a_checkout_takes_the_same_small_number_of_queries_for_one_ticket_or_many(buyer, sumup_sandbox):
    event = make_event("Counted Night", types=[("Adult", "20.00", 50), ("Child", "7.50", 50)])
    make_event_page(event)
    buy(buyer, event, adult=1, child=0, email="warm@example.com")  # per-process caches warm

    one = counted_checkout(buyer, event, adult=1, child=0, email="one@example.com")
    many = counted_checkout(buyer, event, adult=4, child=3, email="many@example.com")

    report = "\n".join(many)
    assert len(many) <= len(one) + 1, f"1 ticket: {len(one)} queries, 7 of two types: {len(many)}\n{report}"
    assert len(many) <= CHECKOUT_QUERY_BOUND, f"{len(many)} queries:\n{report}"
