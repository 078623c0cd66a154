"""After erasure the person is nowhere: not in any table of the whole database, not in any log.

A full history is made for a buyer with an unusual name and address: bought through the real
checkout and the SumUp sandbox, confirmed by SumUp's webhook, a ticket refunded through SumUp,
the tickets resent by staff, a data request confirmed by its link, e-mails sent by the real
queue's worker (django-tasks-db rows). Then the person is erased, and `pg_dump` of the test
database (committed data: these tests are transactional) is searched for them.
"""

import os
import subprocess

import pytest
from django.core import mail
from django.db import connection
from django_tasks_db.models import DBTaskResult

from legal import data_requests, privacy
from tests.delivery.helpers import DATABASE_TASKS, run_worker
from tests.factories import make_staff
from tests.foundation.test_log_privacy import written  # noqa: F401 (a fixture)
from tests.legal.conftest import AGENT, EMAIL, IP, NAME, buy_and_pay, move_event_to
from ticketing.delivery import resend_tickets
from ticketing.models import Order, WebhookEvent
from ticketing.payments import refunds

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_dump searches a PostgreSQL database"),
]

# Every form in which the person could still be found.
TRACES = [NAME, "Quillfeather", EMAIL, EMAIL.lower(), "zephy.q", IP, "Quillbrowser"]


def a_full_history(client, live_server, event, settings) -> Order:
    """Zephyrine's order with everything that can happen to one, every job run by the worker."""
    settings.TASKS = DATABASE_TASKS
    order = buy_and_pay(client, live_server, event)
    assert WebhookEvent.objects.exists()
    run_worker()  # the ticket e-mail
    cashier = make_staff("cashier", "refund_order")
    child = order.tickets.get(ticket_type__name="Child")
    refunds.execute(refunds.plan_ticket_refund(order, [child]), user=cashier, reason=f"{NAME} asked")
    resend_tickets(order, cashier)
    request = data_requests.submit(EMAIL, "erasure")
    data_requests.confirm(data_requests.confirmation_token(request))
    run_worker()  # the refund notice and the resent tickets
    assert sum(EMAIL in message.to for message in mail.outbox) == 3
    assert DBTaskResult.objects.filter(status="SUCCESSFUL").count() >= 3
    return order


def pg_dump() -> str:
    db = connection.settings_dict
    env = {**os.environ, "PGPASSWORD": db["PASSWORD"] or ""}
    command = ["pg_dump", "--no-owner", "-h", db["HOST"] or "127.0.0.1", "-p", str(db["PORT"] or 5432)]
    command += ["-U", db["USER"], db["NAME"]]
    return subprocess.run(command, env=env, capture_output=True, text=True, check=True, timeout=120).stdout


def found_in(text):
    lowered = text.lower()
    return [trace for trace in TRACES if trace.lower() in lowered]


def test_after_erasure_the_whole_database_holds_no_trace_of_the_person(
    client, sumup_sandbox, event, settings
):
    order = a_full_history(client, sumup_sandbox, event, settings)
    move_event_to(event, -3)
    assert found_in(pg_dump()) == TRACES, "the search finds the person before erasure"

    report = privacy.erase_person(EMAIL, by=make_staff("privacy-officer", "handle_datarequest"))

    assert found_in(pg_dump()) == []
    assert report.orders_anonymised == 1 and report.data_requests_blanked == 1
    assert report.task_rows_deleted >= 3
    order.refresh_from_db()
    assert order.status == Order.Status.PARTIALLY_REFUNDED and order.total == order.payments.get().amount


def test_nothing_logged_from_purchase_to_erasure_names_the_person(
    client,
    sumup_sandbox,
    event,
    settings,
    written,  # noqa: F811
):
    a_full_history(client, sumup_sandbox, event, settings)
    privacy.export_person(EMAIL)
    with pytest.raises(privacy.DecisionNeeded):
        privacy.erase_person(EMAIL)
    privacy.erase_person(EMAIL, future_tickets=privacy.REFUND)

    logs = written.everything()
    assert "personal data erased" in logs, "the flow was logged"
    assert found_in(logs) == []
    assert AGENT not in logs
