"""What staff do with a data request: record it, export the person's data, erase it, or reject it.

Each action here does three things, in this order: the work (`legal.privacy` finds, exports
and erases the person's data), the request's new status (`legal.data_requests`, the only code
that changes it) and an entry in Wagtail's audit log saying who did what and when. The admin
screens (`legal.admin`) only ask and confirm; the commands and jobs call `legal.privacy`
directly, because nobody asked them.

Two rules decide what may be done to a request:

* only an open request can be handled: a completed or rejected one is a record, not a task;
* a person's data is exported or erased only once the request is *confirmed*: the requester
  opened the link e-mailed to the address (so it is theirs), or staff recorded the request
  saying how they checked who was asking. A request still waiting for its link can only be
  rejected.

The audit log names the request ("Erasure request #12") and carries counts, never the
address: the log outlives the data it speaks of.
"""

from dataclasses import dataclass, field

from django.db import transaction
from wagtail.log_actions import log

from legal import data_requests, privacy
from legal.models import DataRequest

LOG_RECORD = "legal.datarequest.record"
LOG_EXPORT = "legal.datarequest.export"
LOG_ERASE = "legal.datarequest.erase"
LOG_REJECT = "legal.datarequest.reject"

# The audit log's wording for each action (registered in legal/wagtail_hooks.py).
LOG_ACTIONS = {
    LOG_RECORD: ("Record data request", "Data request recorded by staff"),
    LOG_EXPORT: ("Export personal data", "Personal data exported"),
    LOG_ERASE: ("Erase personal data", "Personal data erased"),
    LOG_REJECT: ("Reject data request", "Data request rejected"),
}


class CannotHandle(Exception):
    """The request cannot be handled now; the message says why, in staff's words."""


def check_open(request: DataRequest) -> None:
    """Raise CannotHandle unless the request is still waiting for an answer."""
    if not request.is_open:
        raise CannotHandle(
            f"{request} is {request.get_status_display().lower()}: nothing more can be done to it."
        )


def check_can_act(request: DataRequest) -> None:
    """Raise CannotHandle unless the person's data may be exported or erased for this request."""
    check_open(request)
    if request.status != DataRequest.Status.CONFIRMED:
        raise CannotHandle(
            f"{request} waits for the requester to open the link we e-mailed them: until then we "
            "do not know the address is theirs. It can be rejected, not carried out."
        )
    if not request.email:
        raise CannotHandle(f"{request} no longer has an address: the person's data was already erased.")


def as_it_is_now(request: DataRequest) -> DataRequest:
    """The request reloaded: another member of staff may have answered it since the page was
    shown, and a person's data is not erased for a request that is already closed."""
    return DataRequest.objects.get(pk=request.pk)


# --- Recording a request that reached staff ----------------------------------------------------


def record(*, email: str, kind: str, channel: str, identity_check: str, by) -> DataRequest:
    """A request received by e-mail, letter, phone or in person, confirmed by staff's own check."""
    with transaction.atomic():
        request = data_requests.record(
            email=email, kind=kind, channel=channel, identity_check=identity_check, by=by
        )
        log(instance=request, action=LOG_RECORD, user=by, data={"kind": kind, "channel": channel})
    return request


# --- Export ------------------------------------------------------------------------------------


def held_counts(export: dict) -> dict[str, int]:
    """How many records of each kind an export (`privacy.export_person`) holds, for pages and
    outcomes that must say what was found without saying what it was."""
    orders = export["orders"]

    def of_orders(key):
        return sum(len(order[key]) for order in orders)

    return {
        "orders": len(orders),
        "tickets": of_orders("tickets"),
        "payments": of_orders("payments"),
        "refunds": of_orders("refunds"),
        "e-mails sent": of_orders("emails"),
        "data requests": len(export["data_requests"]),
    }


_ONE = {
    "orders": "order",
    "tickets": "ticket",
    "payments": "payment",
    "refunds": "refund",
    "e-mails sent": "e-mail sent",
    "data requests": "data request",
}


def describe_counts(counts: dict[str, int]) -> str:
    """ "1 order, 3 tickets, 1 payment": the kinds held, in words; "nothing held" when none."""
    held = [
        f"{number} {_ONE.get(name, name) if number == 1 else name}"
        for name, number in counts.items()
        if number
    ]
    return ", ".join(held) or "nothing held"


def export(request: DataRequest, *, by) -> dict:
    """Everything held about the requester, as the JSON-ready dict staff download.

    For an export request this answers it: the request is completed, its outcome the counts.
    Either way the export is written to the audit log, because a copy of someone's data left
    the system.
    """
    request = as_it_is_now(request)
    check_can_act(request)
    exported = privacy.export_person(request.email)
    counts = held_counts(exported)
    with transaction.atomic():
        if request.kind == DataRequest.Kind.EXPORT:
            request = data_requests.complete(request, by=by, outcome=f"Exported: {describe_counts(counts)}")
        log(instance=request, action=LOG_EXPORT, user=by, data={"counts": counts})
    return {"request": str(request), **exported}


# --- Erasure -----------------------------------------------------------------------------------


@dataclass
class ErasurePreview:
    """What erasing a request's person would touch: counts, and the orders staff must decide about."""

    counts: dict[str, int]
    future_orders: list

    @property
    def needs_decision(self) -> bool:
        return bool(self.future_orders)


def preview_erasure(request: DataRequest) -> ErasurePreview:
    check_can_erase(request)
    return ErasurePreview(
        counts=held_counts(privacy.export_person(request.email)),
        future_orders=list(privacy.future_orders(request.email)),
    )


def check_can_erase(request: DataRequest) -> None:
    check_can_act(request)
    if request.kind != DataRequest.Kind.ERASURE:
        raise CannotHandle(f"{request} asks for a copy, not an erasure: record an erasure request for that.")


def erase(request: DataRequest, *, by, future_tickets: str | None = None):
    """Erase the requester's personal data and complete the request with what was done.

    `future_tickets` is staff's choice for orders of events not yet held ("keep" the tickets
    valid, anonymous; or "refund" them through SumUp); without one, such orders raise
    `privacy.DecisionNeeded` and nothing changes. When erasure stops (a refund SumUp refused)
    the request stays open and the error reaches the caller.
    """
    request = as_it_is_now(request)
    check_can_erase(request)
    report = privacy.erase_person(request.email, future_tickets=future_tickets, by=by)
    with transaction.atomic():
        request = data_requests.complete(request, by=by, outcome=report.summary())
        log(instance=request, action=LOG_ERASE, user=by, data={"outcome": report.summary()})
    return report


@dataclass
class BulkErasure:
    """Several erasure requests, sorted by what can be done to them at once.

    `erasable`: confirmed erasure requests whose person holds no tickets for an event still to
    come; `needs_decision`: those whose person does (staff decide one by one whether the
    tickets stay valid or are refunded); `ignored`: requests that are not confirmed erasure
    requests (waiting for their link, already answered, or asking for a copy). After
    `bulk_erase`, `erased` holds the requests completed and `failed` (request, reason) pairs.
    """

    erasable: list = field(default_factory=list)
    needs_decision: list = field(default_factory=list)
    ignored: list = field(default_factory=list)
    erased: list = field(default_factory=list)
    failed: list = field(default_factory=list)


def sort_for_bulk_erasure(requests) -> BulkErasure:
    """Sort requests for the confirmation page; nothing is changed."""
    sorted_requests = BulkErasure()
    for request in requests:
        try:
            check_can_erase(request)
        except CannotHandle:
            sorted_requests.ignored.append(request)
            continue
        if privacy.future_orders(request.email):
            sorted_requests.needs_decision.append(request)
        else:
            sorted_requests.erasable.append(request)
    return sorted_requests


def bulk_erase(requests, *, by) -> BulkErasure:
    """Erase each erasable request's person and complete the request, one at a time.

    A person with tickets for an event still to come is skipped, never decided for: keeping
    or refunding someone's tickets is staff's choice on that request's own page. One request
    that cannot be erased (it changed meanwhile) does not stop the others.
    """
    outcome = sort_for_bulk_erasure(requests)
    for request in outcome.erasable:
        try:
            erase(request, by=by)
        except privacy.DecisionNeeded:
            outcome.needs_decision.append(request)
        except (CannotHandle, data_requests.NotOpen, privacy.ErasureStopped) as refused:
            outcome.failed.append((request, str(refused) or "it was answered meanwhile"))
        else:
            outcome.erased.append(request)
    return outcome


# --- Rejection ---------------------------------------------------------------------------------


def reject(request: DataRequest, *, by, reason: str) -> DataRequest:
    """Refuse the request, saying why (kept on the request, and in the audit log)."""
    check_open(request)
    with transaction.atomic():
        request = data_requests.reject(request, by=by, reason=reason)
        # The reason stays on the request: typed by staff, it could name the person.
        log(instance=request, action=LOG_REJECT, user=by)
    return request
