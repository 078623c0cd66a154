"""Doors scanning the same ticket at the same instant admit it once.

Each scanner is a thread with its own database connection, released together by a barrier:
the database (PostgreSQL in CI) arbitrates, as it does between gunicorn workers.
"""

from collections import Counter

import pytest

from tests.concurrency import run_concurrently
from ticketing import checkin, tickets
from ticketing.models import Event, Ticket

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.concurrency]

DOORS = 20


def scan(payload_or_code, event_id, user):
    return checkin.check_in(payload_or_code, Event.objects.get(pk=event_id), user).outcome


def test_twenty_doors_scanning_one_ticket_admit_it_once(order, event, door):
    ticket = order.tickets.first()
    payload = tickets.sign_ticket_code(ticket.code)
    # Half scan the QR code, half type the code: both paths meet at the same UPDATE.
    args = [(payload if i % 2 else ticket.display_code, event.pk, door) for i in range(DOORS)]

    outcomes = run_concurrently(scan, args)

    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    assert Counter(outcomes) == {checkin.Verdict.ADMITTED: 1, checkin.Verdict.ALREADY_CHECKED_IN: DOORS - 1}
    assert Ticket.objects.filter(checked_in_at__isnull=False).count() == 1
    assert checkin.event_counts(event).checked_in == 1


def test_each_ticket_of_an_order_scanned_at_once_is_admitted_once(order, event, door):
    codes = [tickets.sign_ticket_code(code) for code in order.tickets.values_list("code", flat=True)]
    outcomes = run_concurrently(scan, [(code, event.pk, door) for code in codes for _ in range(4)])
    assert Counter(outcomes) == {checkin.Verdict.ADMITTED: 3, checkin.Verdict.ALREADY_CHECKED_IN: 9}
