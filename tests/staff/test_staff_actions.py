"""Every staff action posted by each role that may not take it: refused, and nothing changed.

Who may take each action is the walk's table (`ACCESS` in test_admin_walk), so the two cannot
disagree: a role that may not open an action's page may not post its form either.
"""

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.urls import reverse

from legal.models import DataRequest
from tests.factories import make_staff, signed_in
from tests.staff.conftest import ROLES, make_member
from tests.staff.test_admin_walk import ACCESS, refused
from ticketing.models import BuyerEmail, Event, Refund, Ticket

pytestmark = pytest.mark.django_db


@dataclass
class Action:
    label: str  # its URL's name, as in ACCESS
    url: Callable
    data: Callable
    state: Callable  # what the action would change, to compare before and after


def order_state(r):
    order = r["order"]
    order.refresh_from_db()
    return (
        order.status,
        order.name,
        order.email,
        BuyerEmail.objects.filter(order=order).count(),
        Refund.objects.filter(payment__order=order).count(),
        sorted(order.tickets.filter(voided_at__isnull=True).values_list("pk", flat=True)),
    )


def mismatch_state(r):
    r["mismatch"].refresh_from_db()
    return (r["mismatch"].resolved_at, r["mismatch"].resolution)


def data_request_state(r):
    return list(DataRequest.objects.values_list("pk", "kind", "email", "status", "notes"))


ACTIONS = [
    Action(
        "ticketing_order_refund",
        lambda r: reverse("ticketing_order_refund", args=[r["order"].pk]),
        lambda r: {"whole_order": "on", "confirmed": "True", "reason": "asked at the door"},
        order_state,
    ),
    Action(
        "ticketing_order_resend_tickets",
        lambda r: reverse("ticketing_order_resend_tickets", args=[r["order"].pk]),
        lambda r: {"email": "thief@example.com"},
        order_state,
    ),
    Action(
        "ticketing_order_cancel",
        lambda r: reverse("ticketing_order_cancel", args=[r["order"].pk]),
        lambda r: {},
        order_state,
    ),
    Action(
        "ticketing_order_mark_reviewed",
        lambda r: reverse("ticketing_order_mark_reviewed", args=[r["order"].pk]),
        lambda r: {},
        lambda r: (order_state(r), type(r["order"]).objects.get(pk=r["order"].pk).reviewed_at),
    ),
    Action(
        "ticketing_order_correct_contact",
        lambda r: reverse("ticketing_order_correct_contact", args=[r["order"].pk]),
        lambda r: {"name": "Someone Else", "email": "thief@example.com", "resend": "on"},
        order_state,
    ),
    Action(
        "ticketing_order_modeladmin_edit",
        lambda r: reverse("ticketing_order_modeladmin_edit", args=[r["order"].pk]),
        lambda r: {"name": "Someone Else", "email": "thief@example.com"},
        order_state,
    ),
    Action(
        "ticketing_mismatch_resolve",
        lambda r: reverse("ticketing_mismatch_resolve", args=[r["mismatch"].pk]),
        lambda r: {"resolution": "nothing to see here"},
        mismatch_state,
    ),
    Action(
        "ticketing:check-in-event",
        lambda r: reverse("ticketing:check-in-event", args=[r["event"].pk]),
        lambda r: {"code": r["order"].tickets.filter(voided_at__isnull=True).first().display_code},
        lambda r: Ticket.objects.filter(checked_in_at__isnull=False).count(),
    ),
    Action(
        "ticketing_event_cancel",
        lambda r: reverse("ticketing_event_cancel", args=[r["event"].pk]),
        lambda r: {"title": r["event"].title},
        lambda r: (Event.objects.get(pk=r["event"].pk).status, order_state(r)),
    ),
    Action(
        "ticketing_event_modeladmin_create",
        lambda r: reverse("ticketing_event_modeladmin_create"),
        lambda r: {"title": "Pop-up", "venue": "Fort Regent", "status": "on_sale"},
        lambda r: Event.objects.count(),
    ),
    Action(
        "legal_datarequest_modeladmin_create",
        lambda r: reverse("legal_datarequest_modeladmin_create"),
        lambda r: {"kind": "erasure", "email": "ann@example.com"},
        data_request_state,
    ),
    Action(
        "legal_datarequest_modeladmin_edit",
        lambda r: reverse("legal_datarequest_modeladmin_edit", args=[r["data_request"].pk]),
        lambda r: {"kind": "erasure", "email": "someone@example.com", "status": "completed"},
        data_request_state,
    ),
]


@pytest.mark.parametrize("action", ACTIONS, ids=lambda action: action.label)
def test_an_action_posted_by_a_role_that_may_not_take_it_is_refused_and_changes_nothing(
    action, records, client
):
    forbidden = [role for role in ROLES if role not in ACCESS[action.label]]
    assert forbidden, f"every role may {action.label}"
    for role in forbidden:
        member = signed_in(make_member(role), client)
        before = action.state(records)
        response = member.post(action.url(records), action.data(records))
        assert refused(response), f"{role}: {response.status_code} {response.get('Location', '')}"
        assert action.state(records) == before, f"{role} changed something with {action.label}"


def test_staff_holding_the_generic_change_permissions_still_may_not_resend_or_resolve(records, client):
    """Resending and resolving have permissions of their own: "change" alone no longer grants them."""
    clerk = signed_in(
        make_staff("clerk", "access_admin", "view_order", "change_order", "change_reconciliationmismatch"),
        client,
    )
    before = order_state(records), mismatch_state(records)
    assert refused(
        clerk.post(reverse("ticketing_order_resend_tickets", args=[records["order"].pk]), {"email": "x@y.je"})
    )
    assert refused(
        clerk.post(reverse("ticketing_mismatch_resolve", args=[records["mismatch"].pk]), {"resolution": "-"})
    )
    assert (order_state(records), mismatch_state(records)) == before
