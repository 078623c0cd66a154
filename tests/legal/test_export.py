"""A person's copy of their data: everything held about their address, bought for real."""

import json

import pytest
from django.core import mail

from legal import privacy
from legal.models import DataRequest
from tests.factories import make_staff
from tests.legal.conftest import AGENT, EMAIL, IP, NAME
from ticketing.delivery import resend_tickets
from ticketing.payments import refunds

pytestmark = pytest.mark.django_db


def test_the_export_holds_orders_lines_tickets_payments_refunds_emails_and_requests(zephyrine):
    cashier = make_staff("cashier", "refund_order")
    child = zephyrine.tickets.get(ticket_type__name="Child")
    refunds.execute(refunds.plan_ticket_refund(zephyrine, [child]), user=cashier)
    resend_tickets(zephyrine, cashier)
    DataRequest.objects.create(email=EMAIL.lower(), kind=DataRequest.Kind.EXPORT)
    DataRequest.objects.create(email="someone.else@example.org", kind=DataRequest.Kind.EXPORT)
    mail.outbox.clear()

    export = privacy.export_person("  zephy.q+X@example.ORG ")

    assert json.loads(json.dumps(export)) == export, "JSON-serialisable as it is"
    [order] = export["orders"]
    assert order["reference"] == zephyrine.reference
    assert (order["name"], order["email"], order["created_ip"], order["user_agent"]) == (
        NAME,
        EMAIL,
        IP,
        AGENT,
    )
    assert order["event"]["title"] == "Jazz Night"
    assert order["status"] == "partially_refunded"
    assert order["total"] == {"amount": "47.50", "currency": "GBP", "formatted": "£47.50"}
    assert sorted((line["ticket_type"], line["quantity"]) for line in order["lines"]) == [
        ("Adult", 2),
        ("Child", 1),
    ]
    assert len(order["tickets"]) == 3
    voided = [ticket for ticket in order["tickets"] if ticket["voided_at"]]
    assert [ticket["code"] for ticket in voided] == [child.display_code]
    [payment] = order["payments"]
    assert payment["transaction_id"] == zephyrine.payments.get().transaction_id
    assert payment["amount"]["formatted"] == "£47.50" and payment["status"] == "PAID"
    [refund] = order["refunds"]
    assert refund["amount"]["formatted"] == "£7.50" and refund["status"] == "succeeded"
    assert sorted(sent["kind"] for sent in order["emails"]) == ["refund", "tickets", "tickets"]
    assert [request["kind"] for request in export["data_requests"]] == ["export"]
    summary = export["summary"]
    assert zephyrine.reference in summary and "£47.50" in summary and NAME in summary
    assert len(summary.splitlines()) <= 6


def test_an_unknown_address_exports_nothing(db):
    export = privacy.export_person("nobody@example.org")
    assert export["orders"] == [] and export["data_requests"] == []
    assert "no personal data" in export["summary"]
