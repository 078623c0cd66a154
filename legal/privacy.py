"""Personal data: where it is kept, a person's copy of it, its erasure, and how long it stays.

`PERSONAL_DATA` below is the one list of every place the site stores something about a buyer
(or anyone who asked about their data), with how each place is erased and why the row around
it is kept. `NOT_PERSONAL` lists the fields whose names look personal but are not. A test walks
every model of our apps, the task queue and Wagtail's audit log, and fails when a field that
looks personal is on neither list: a new column cannot hold personal data unnoticed.

The services, which the commands, the jobs and the staff screens call:

* `export_person(email)`: everything held about an address, as JSON-ready data (`summary` too).
* `future_orders(email)`: the orders whose tickets are for an event still to come; staff decide
  whether those tickets stay valid (anonymous) or are refunded before the data goes.
* `erase_person(email, future_tickets=..., by=...)`: anonymise every place on the list for that
  address in one transaction, keep what accounting needs, and write the erasure ledger and the
  audit log.
* `reapply_erasures()`: after a backup is restored, erase again everyone in the ledger.
* `anonymise_old_orders()`: the daily retention run (PERSONAL_DATA_RETENTION_DAYS).
* `census()`: how much personal data is held now, by age, and what the next run will clear.

Erasure anonymises, it does not delete: an order is a record of money taken (and perhaps given
back), which the accounts and SumUp's own records refer to by reference and transaction id.
What identifies the person goes; amounts, dates, references, tickets and refunds stay.
"""

import hashlib
import hmac
import logging
import re
from dataclasses import dataclass, fields
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Coalesce, Lower
from django.utils import timezone
from wagtail.log_actions import log

from core.money import format_money
from core.wording import counted
from legal.models import DataRequest, ErasedPerson
from ticketing import waiting_list
from ticketing.models import (
    BuyerEmail,
    Order,
    OrderLookup,
    Payment,
    ReconciliationMismatch,
    Refund,
    Ticket,
    WebhookEvent,
)
from ticketing.payments import refunds

logger = logging.getLogger(__name__)

# Wagtail audit-log actions (registered in legal.apps): on each order, labelled by reference.
LOG_ERASURE = "legal.erase_personal_data"
LOG_RETENTION = "legal.anonymise_old_order"

# The daily retention job's name in ticketing.schedule.JOBS.
RETENTION_JOB = "anonymise-old-orders"

# What an erased name reads as, in the admin and on a kept ticket's page.
ERASED = "erased"
# What erased words inside free text (a staff note, a log entry) become.
ERASED_MARK = "[erased]"

# The choices `erase_person` takes for tickets to an event still to come.
KEEP = "keep"
REFUND = "refund"


# --- The one list ------------------------------------------------------------------------------


class How:
    """How a place is erased."""

    PLACEHOLDER = "replaced with the placeholder 'erased'"
    BLANK = "blanked"
    NULL = "set to null"
    SCRUB_KEYS = "personal keys removed from the JSON"
    SCRUB_TEXT = "the person's name and address cut out of the text"
    DELETE_ROW = "row deleted"
    NOTHING = "nothing to erase: holds no personal data (see why)"
    NOT_BY_PERSON = "not erased by person: staff accounts are removed by an administrator"


@dataclass(frozen=True)
class Place:
    """One place personal data is stored: model, fields, how erasure treats them, and why the
    row around them is kept (or why there is nothing to erase)."""

    model: str  # "app_label.ModelName"
    fields: tuple[str, ...]
    how: str
    why: str
    # For PLACEHOLDER / BLANK / NULL on an order: the value erasure writes.
    erased_value: object = None


PERSONAL_DATA: tuple[Place, ...] = (
    Place(
        "ticketing.Order",
        ("name",),
        How.PLACEHOLDER,
        "The order is the record of a sale (amount, date, reference, SumUp ids, tickets): "
        "accounting keeps it for years, the buyer's name is not needed for that.",
        erased_value=ERASED,
    ),
    Place(
        "ticketing.Order",
        ("email",),
        How.BLANK,
        "As for the name. Blank, not a made-up address: an e-mail can then never be sent for the "
        "order again (the outbox cancels what it finds with no address).",
        erased_value="",
    ),
    Place(
        "ticketing.Order",
        ("created_ip",),
        How.NULL,
        "Kept while the order is fresh for fraud checks (velocity limits, shared clients).",
        erased_value=None,
    ),
    Place(
        "ticketing.Order",
        ("user_agent",),
        How.BLANK,
        "Kept for bot and fraud checks only.",
        erased_value="",
    ),
    Place(
        "ticketing.Order",
        ("client_key", "email_key"),
        How.BLANK,
        "Derived from the IP address and the e-mail (the client network and the mailbox) for the "
        "velocity limits; an erased order counts for no one.",
        erased_value="",
    ),
    Place(
        "ticketing.Ticket",
        ("attendee_name",),
        How.BLANK,
        "Who a ticket is for, typed by the buyer when the event asks (ticketing.attendee_names). The "
        "ticket stays (it is part of the sale and may still admit); the name is not needed for that.",
        erased_value="",
    ),
    Place(
        "ticketing.Payment",
        ("raw",),
        How.SCRUB_KEYS,
        "SumUp's checkout as the SDK parsed it: amounts, ids, status, our reference and URLs. The "
        "SDK's checkout model has no payer fields; its only ones tied to a person (customer_id, "
        "payment_instrument, and personal_details should SumUp add them) are never set by us and "
        "are removed on erasure all the same. The rest is kept: reconciliation and refunds read it.",
    ),
    Place(
        "ticketing.WebhookEvent",
        ("payload",),
        How.SCRUB_KEYS,
        "Only the fields we read are kept (event id, type, checkout id: "
        "ticketing.payments.webhooks.Notification.as_payload), never the sender's other bytes: "
        "nothing personal. Scrubbed like Payment.raw in case that ever changes.",
    ),
    Place(
        "ticketing.BuyerEmail",
        ("last_error",),
        How.SCRUB_TEXT,
        "The ledger of e-mails holds no address and no body (it reads the order's address at each "
        "attempt); its error text has addresses blanked by ticketing.delivery.describe_error, and "
        "the name is cut out on erasure. Queued e-mails of an erased order are cancelled.",
    ),
    Place(
        "ticketing.Refund",
        ("reason", "error"),
        How.SCRUB_TEXT,
        "Money given back is an accounting record; a reason typed by staff might name the buyer.",
    ),
    Place(
        "ticketing.ReconciliationMismatch",
        ("detail", "resolution"),
        How.SCRUB_TEXT,
        "References and amounts only; a resolution typed by staff might name the buyer.",
    ),
    Place(
        "legal.DataRequest",
        ("email",),
        How.BLANK,
        "The request stays as the record that it was honoured (kind, dates, who handled it).",
    ),
    Place(
        "legal.DataRequest",
        ("identity_check", "notes", "rejection_reason", "outcome"),
        How.SCRUB_TEXT,
        "What staff wrote about the request stays; the person's name and address are cut out.",
    ),
    Place(
        "ticketing.OrderLookup",
        ("email",),
        How.DELETE_ROW,
        'A "Find my tickets" request waits only until the worker e-mails it (its job deletes it '
        "first); erasure deletes any still waiting.",
    ),
    Place(
        "ticketing.WaitingListEntry",
        ("email", "notice_last_error"),
        How.DELETE_ROW,
        "A place on a sold-out ticket's waiting list is kept only while it may lead to an offer; "
        "erasure withdraws an open offer (its seats pass to the next in line) and deletes the row. "
        "The e-mail's last error has addresses blanked, and goes with the row.",
    ),
    Place(
        "django_tasks_database.DBTaskResult",
        ("args_kwargs", "return_value", "traceback", "exception_class_path"),
        How.DELETE_ROW,
        "Our tasks take ids and names only (ticketing.tasks), so a job row holds no address. Finished "
        "e-mail jobs of the person's orders, and any finished row that mentions the address, are "
        "deleted: they are only the worker's bookkeeping.",
    ),
    Place(
        "wagtailcore.ModelLogEntry",
        ("label", "data"),
        How.SCRUB_TEXT,
        "Staff actions on orders are labelled by order reference (str(Order)) and their data holds "
        "ids and flags, not addresses (a resend records whether the address changed, not the "
        "address). Any entry that names the person anyway is scrubbed; the entry stays, as the "
        "record of who did what.",
    ),
    Place(
        "wagtailcore.PageLogEntry",
        ("label", "data"),
        How.SCRUB_TEXT,
        "Page titles and editors' actions; scrubbed like ModelLogEntry should one name the person.",
    ),
    Place(
        "legal.ErasedPerson",
        ("address_hash",),
        How.NOTHING,
        "The erasure ledger: a keyed hash of the address, needed to erase it again after a backup "
        "is restored. Without the key (ERASURE_LEDGER_SALT) it cannot be turned back into an address.",
    ),
    Place(
        "auth.User",
        ("username", "first_name", "last_name", "email"),
        How.NOT_BY_PERSON,
        "Staff accounts (buyers have none): kept while the person works here.",
    ),
)


@dataclass(frozen=True)
class NotPersonal:
    model: str
    fields: tuple[str, ...]
    why: str


NOT_PERSONAL: tuple[NotPersonal, ...] = (
    NotPersonal("wagtailcore.Page", ("title", "draft_title", "seo_title"), "Editors' page titles."),
    NotPersonal("ticketing.Event", ("title", "venue"), "What is sold and where: a public place."),
    NotPersonal("ticketing.TicketType", ("name",), "A kind of ticket (Adult, Child)."),
    NotPersonal(
        "ticketing.ScheduledJob",
        ("name", "last_outcome", "last_result"),
        "A periodic job's name, and its outcome in counts.",
    ),
    NotPersonal(
        "ticketing.Order", ("risk_flags",), "Names of checks an order tripped, not data about anyone."
    ),
    NotPersonal("ticketing.Order", ("personal_data_erased_at",), "When erasure happened: a date."),
    NotPersonal("ticketing.BuyerEmail", ("task_id", "reason"), "A job id; why tickets were sent (a choice)."),
    NotPersonal("ticketing.WebhookEvent", ("outcome",), "What we did with a delivery (a code word)."),
    NotPersonal(
        "core.SiteSettings",
        ("site_name", "contact_email", "footer_links"),
        "The business's own name, contact address and footer links, published on every page.",
    ),
    NotPersonal("home.HomePage", ("hero_title",), "Editors' page content."),
    NotPersonal("home.EventPage", ("body",), "Editors' page content."),
    NotPersonal(
        "django_tasks_database.DBTaskResult",
        ("worker_ids", "queue_name", "backend_name", "task_path"),
        "Worker and queue bookkeeping.",
    ),
    NotPersonal("sumup_sandbox", (), "Development-only emulator of SumUp; production has no such table."),
)


def places(model_label: str) -> list[Place]:
    return [place for place in PERSONAL_DATA if place.model == model_label]


def _order_erased_values() -> dict:
    """What erasure writes into an order, read from the list above (the list is the rule)."""
    return _erased_values("ticketing.Order")


def _erased_values(model_label: str) -> dict:
    """What erasure writes into a row of `model_label`, read from the list above."""
    values = {}
    for place in places(model_label):
        for name in place.fields:
            values[name] = place.erased_value
    return values


# SumUp payload keys that belong to a person rather than to a payment.
SUMUP_PERSONAL_KEYS = frozenset({"personal_details", "customer_id", "payment_instrument", "card"})


# --- Addresses and the ledger -------------------------------------------------------------------


def normalise(email: str) -> str:
    """The form an address is matched and hashed in: as stored, without spaces, lower-case.

    Orders keep the address as typed; matching ignores case (as staff search does), which is
    how mail servers treat the domain and how virtually all treat the name.
    """
    return (email or "").strip().lower()


# Mail's own limit on an address; nothing longer can be stored in an order.
MAX_ADDRESS_LENGTH = 254


def checked_address(email: str) -> str:
    """The normalised address, or ValueError (with a message for staff) for one that cannot be
    an address: empty, too long, or holding control characters (which PostgreSQL refuses)."""
    address = normalise(email)
    if not address:
        raise ValueError("An e-mail address is needed.")
    if len(address) > MAX_ADDRESS_LENGTH or not address.isprintable():
        raise ValueError("That is not an e-mail address.")
    return address


def ledger_key() -> bytes:
    """The ledger's HMAC key: ERASURE_LEDGER_SALT, or (dev and tests) one derived from SECRET_KEY."""
    salt = settings.ERASURE_LEDGER_SALT
    if not salt:
        salt = hashlib.sha256(b"legal.erasure-ledger:" + settings.SECRET_KEY.encode()).hexdigest()
    return salt.encode()


def address_hash(email: str) -> str:
    return hmac.new(ledger_key(), normalise(email).encode(), hashlib.sha256).hexdigest()


# --- Export -------------------------------------------------------------------------------------


def _orders_of(address: str):
    return Order.objects.filter(email__iexact=address) if address else Order.objects.none()


def _requests_of(address: str):
    return DataRequest.objects.filter(email__iexact=address) if address else DataRequest.objects.none()


def _when(moment):
    return moment.isoformat() if moment else None


def _amount(value, currency):
    return {"amount": str(value), "currency": currency, "formatted": format_money(value, currency)}


def export_person(email: str) -> dict:
    """Everything held about the address (matched ignoring case), JSON-serialisable.

    Keys: `email`, `exported_at`, `orders` (each with its lines, tickets, payments, refunds and
    e-mails sent), `data_requests`, and `summary`, a few lines of plain text saying the same.
    """
    address = checked_address(email)
    orders = []
    queryset = (
        _orders_of(address)
        .select_related("event")
        .prefetch_related("lines__ticket_type", "tickets__ticket_type", "payments__refunds", "buyer_emails")
        .order_by("created_at", "pk")
    )
    for order in queryset:
        currency = order.currency
        orders.append(
            {
                "reference": order.reference,
                "event": {
                    "title": order.event.title,
                    "starts_at": _when(order.event.starts_at),
                    "venue": order.event.venue,
                },
                "status": order.status,
                "status_display": order.get_status_display(),
                "total": _amount(order.total, currency),
                "created_at": _when(order.created_at),
                "paid_at": _when(order.paid_at),
                "name": order.name,
                "email": order.email,
                "created_ip": order.created_ip,
                "user_agent": order.user_agent,
                "risk_flags": list(order.risk_flags or []),
                "lines": [
                    {
                        "ticket_type": line.ticket_type.name,
                        "quantity": line.quantity,
                        "unit_price": _amount(line.unit_price, currency),
                        "line_total": _amount(line.line_total, currency),
                    }
                    for line in order.lines.all()
                ],
                "tickets": [
                    {
                        "code": ticket.display_code,
                        "ticket_type": ticket.ticket_type.name,
                        "checked_in_at": _when(ticket.checked_in_at),
                        "voided_at": _when(ticket.voided_at),
                        "attendee_name": ticket.attendee_name,
                    }
                    for ticket in order.tickets.all()
                ],
                "payments": [
                    {
                        "checkout_id": payment.checkout_id,
                        "checkout_reference": payment.checkout_reference,
                        "transaction_id": payment.transaction_id,
                        "transaction_code": payment.transaction_code,
                        "amount": _amount(payment.amount, payment.currency),
                        "status": payment.status,
                        "created_at": _when(payment.created_at),
                    }
                    for payment in order.payments.all()
                ],
                "refunds": [
                    {
                        "amount": _amount(refund.amount, payment.currency),
                        "status": refund.status,
                        "kind": refund.kind,
                        "created_at": _when(refund.created_at),
                        "completed_at": _when(refund.completed_at),
                    }
                    for payment in order.payments.all()
                    for refund in payment.refunds.all()
                ],
                "emails": [
                    {
                        "kind": sent.kind,
                        "status": sent.status,
                        "attempts": sent.attempts,
                        "created_at": _when(sent.created_at),
                        "sent_at": _when(sent.sent_at),
                    }
                    for sent in order.buyer_emails.all()
                ],
            }
        )
    requests = [
        {
            "kind": request.kind,
            "status": request.status,
            "email": request.email,
            "received_at": _when(request.created_at),
            "confirmed_at": _when(request.confirmed_at),
            "handled_at": _when(request.handled_at),
        }
        for request in _requests_of(address).order_by("created_at", "pk")
    ]
    waiting = [
        {
            "event": entry.event.title,
            "ticket_type": entry.ticket_type.name,
            "email": entry.email,
            "tickets_wanted": entry.quantity,
            "status": entry.status,
            "joined_at": _when(entry.joined_at),
            "offered_at": _when(entry.offered_at),
            "offer_expires_at": _when(entry.offer_expires_at),
        }
        for entry in waiting_list.entries_of(address)
        .select_related("event", "ticket_type")
        .order_by("joined_at", "pk")
    ]
    export = {
        "email": address,
        "exported_at": _when(timezone.now()),
        "orders": orders,
        "data_requests": requests,
        "waiting_lists": waiting,
    }
    export["summary"] = export_summary(export)
    return export


def export_summary(export: dict) -> str:
    """A few lines a person can read: what we hold, in words and amounts."""
    orders = export["orders"]
    waiting = export.get("waiting_lists", [])
    if not orders and not export["data_requests"] and not waiting:
        return f"We hold no personal data about {export['email']}."
    lines = [f"What Jersey Events holds about {export['email']}:"]
    for order in orders:
        tickets = len(order["tickets"])
        lines.append(
            f"- Order {order['reference']} ({order['status_display'].lower()}), "
            f"{order['event']['title']} on {order['event']['starts_at'][:10]}: "
            f"{order['total']['formatted']}, {tickets} ticket{'s' if tickets != 1 else ''}, "
            f"placed {order['created_at'][:10]} as {order['name']}."
        )
    refunds_given = sum(len(order["refunds"]) for order in orders)
    emails = sum(len(order["emails"]) for order in orders)
    lines.append(
        f"{counted(len(orders), 'order', 'orders')}, {counted(refunds_given, 'refund', 'refunds')}, "
        f"{counted(emails, 'e-mail', 'e-mails')} to you, "
        f"{counted(len(export['data_requests']), 'data request', 'data requests')}."
    )
    lines.append(
        "With each order we also keep the IP address and browser it was placed from, for fraud checks."
    )
    for entry in waiting:
        lines.append(
            f"- On the waiting list for {entry['ticket_type']} tickets to {entry['event']} "
            f"since {entry['joined_at'][:10]} ({entry['status']})."
        )
    return "\n".join(lines)


# --- Erasure ------------------------------------------------------------------------------------


def _event_end():
    """When an order's event is over: its end, or its start when it has no end."""
    return Coalesce("event__ends_at", "event__starts_at")


def future_orders(email: str, now=None) -> list[Order]:
    """The person's orders still owning valid tickets for an event not yet held.

    Erasing them needs a decision from staff: keep the tickets valid (anonymous), or refund them.
    """
    now = now or timezone.now()
    valid = Ticket.objects.filter(order=OuterRef("pk"), voided_at__isnull=True)
    return list(
        _orders_of(normalise(email))
        .filter(status__in=Order.OWNS_TICKETS)
        .annotate(event_end=_event_end())
        .filter(event_end__gt=now)
        .filter(Exists(valid))
        .select_related("event")
        .order_by("event_end", "pk")
    )


@dataclass(frozen=True)
class ErasurePlan:
    """What erasing an address would touch, in counts and order references (no personal data)."""

    orders: int
    data_requests: int
    # References of the orders with tickets for events still to come (`future_orders`).
    future_references: tuple[str, ...]

    def describe(self) -> str:
        text = f"{_count(self.orders, 'order', 'orders')} and {_count(self.data_requests, 'data request', 'data requests')} would be anonymised"
        if self.future_references:
            text += (
                f"; {_count(len(self.future_references), 'order holds', 'orders hold')} tickets for events "
                f"still to come ({', '.join(self.future_references)}): keep them valid or refund them"
            )
        return text + "."


def plan_erasure(email: str) -> ErasurePlan:
    """What `erase_person(email)` would do, changing nothing. ValueError as erase_person."""
    address = checked_address(email)
    return ErasurePlan(
        orders=_orders_of(address).count(),
        data_requests=_requests_of(address).count(),
        future_references=tuple(order.reference for order in future_orders(address)),
    )


class DecisionNeeded(Exception):
    """The person holds tickets for an event still to come: keep them or refund them first.

    Nothing was changed. `orders` are those orders; the message names their references.
    """

    def __init__(self, orders):
        self.orders = list(orders)
        references = ", ".join(order.reference for order in self.orders)
        super().__init__(
            f"{counted(len(self.orders), 'order holds', 'orders hold')} tickets for events still to come ({references}): "
            "choose whether the tickets stay valid or are refunded."
        )


class ErasureStopped(Exception):
    """A refund made for the erasure failed or its outcome is unknown: nothing was erased.

    The message is for staff; it names the order by reference and says what was refunded.
    """


@dataclass
class ErasureReport:
    """What an erasure (or a retention run) did, in counts only: no personal data."""

    orders_anonymised: int = 0
    orders_refunded: int = 0
    tickets_kept_valid: int = 0
    emails_cancelled: int = 0
    payments_scrubbed: int = 0
    webhook_events_scrubbed: int = 0
    data_requests_blanked: int = 0
    data_requests_deleted: int = 0
    waiting_list_entries_deleted: int = 0
    task_rows_deleted: int = 0
    log_entries_scrubbed: int = 0

    def add(self, other: "ErasureReport") -> "ErasureReport":
        for item in fields(self):
            setattr(self, item.name, getattr(self, item.name) + getattr(other, item.name))
        return self

    @property
    def changed_anything(self) -> bool:
        return any(getattr(self, item.name) for item in fields(self))

    def summary(self) -> str:
        """ "3 orders anonymised, 1 refunded, …"; or "nothing to erase"."""
        parts = []
        if self.orders_anonymised or not self.changed_anything:
            parts.append(_count(self.orders_anonymised, "order", "orders") + " anonymised")
        if self.orders_refunded:
            parts.append(f"{self.orders_refunded} refunded")
        if self.tickets_kept_valid:
            parts.append(_count(self.tickets_kept_valid, "ticket", "tickets") + " kept valid")
        if self.emails_cancelled:
            parts.append(_count(self.emails_cancelled, "queued e-mail", "queued e-mails") + " cancelled")
        if self.data_requests_blanked:
            parts.append(_count(self.data_requests_blanked, "data request", "data requests") + " blanked")
        if self.data_requests_deleted:
            parts.append(
                _count(self.data_requests_deleted, "unconfirmed data request", "unconfirmed data requests")
                + " deleted"
            )
        if self.waiting_list_entries_deleted:
            parts.append(
                _count(self.waiting_list_entries_deleted, "waiting list place", "waiting list places")
                + " deleted"
            )
        if self.task_rows_deleted:
            parts.append(_count(self.task_rows_deleted, "finished job", "finished jobs") + " deleted")
        if self.log_entries_scrubbed:
            parts.append(_count(self.log_entries_scrubbed, "audit entry", "audit entries") + " scrubbed")
        return ", ".join(parts)

    def __str__(self):
        return self.summary()


def _count(number, one, many):
    return f"{number} {one if number == 1 else many}"


def erase_person(email: str, *, future_tickets: str | None = None, by=None) -> ErasureReport:
    """Anonymise everything held about the address, keeping what accounting requires.

    `future_tickets` says what happens to tickets for events still to come (`future_orders`):
    None when there are none (else DecisionNeeded is raised and nothing changes); "keep": they
    stay valid, their order anonymous; "refund": each such order is refunded through SumUp by
    the normal refund path (as `by`) before anything is erased. A refund that fails or whose
    outcome is unknown stops the erasure with ErasureStopped, nothing erased.

    Erasing an address twice is harmless: the second time finds nothing left to erase.
    """
    address = checked_address(email)
    if future_tickets not in (None, KEEP, REFUND):
        raise ValueError(f"future_tickets must be {KEEP!r}, {REFUND!r} or None.")
    upcoming = future_orders(address)
    if upcoming and future_tickets is None:
        raise DecisionNeeded(upcoming)
    report = ErasureReport()
    if upcoming and future_tickets == REFUND:
        report.orders_refunded = _refund_before_erasure(upcoming, by)
    else:
        report.tickets_kept_valid = Ticket.objects.filter(order__in=upcoming, voided_at__isnull=True).count()
    _send_what_is_due(address)
    with transaction.atomic():
        locked = dict(_orders_of(address).select_for_update().values_list("pk", "name"))
        # The names the person gave, to cut out of what staff wrote about their requests too.
        words = [address, *locked.values()]
        report.add(_anonymise_orders(list(locked), extra_words=words, log_action=LOG_ERASURE, by=by))
        report.add(_erase_requests(_requests_of(address), words))
        report.add(_scrub_mentions(address, words))
        OrderLookup.objects.filter(email__iexact=address).delete()  # waiting "Find my tickets" requests
        # Places on waiting lists: open offers withdrawn (their seats pass down the line), rows deleted.
        report.waiting_list_entries_deleted = waiting_list.forget(address)
        entry, created = ErasedPerson.objects.get_or_create(address_hash=address_hash(address))
        if not created and report.changed_anything:
            ErasedPerson.objects.filter(pk=entry.pk).update(reapplied_at=timezone.now())
    logger.info("personal data erased: %s", report.summary())
    return report


def _refund_before_erasure(upcoming: list[Order], by) -> int:
    """Refund every valid ticket of these orders; the first that does not go through stops all."""
    done = 0
    for order in upcoming:
        try:
            plan = refunds.plan_ticket_refund(order)
            refunds.execute(plan, user=by, reason="Refunded because the buyer's personal data was erased")
        except (refunds.RefundRefused, refunds.RefundFailed, refunds.RefundOutcomeUnknown) as error:
            already = (
                f" {counted(done, 'other order was', 'other orders were')} refunded first." if done else ""
            )
            raise ErasureStopped(
                f"Order {order.reference} could not be refunded: {error} Nothing was erased.{already} "
                "Try the erasure again once the refund is settled."
            ) from error
        done += 1
    return done


def _send_what_is_due(address: str) -> None:
    """One attempt at each e-mail already due to the person (a refund notice just queued), while
    the address is still there to send it to. What does not go now is cancelled by the erasure."""
    from ticketing.delivery import deliver

    due = BuyerEmail.objects.filter(
        order__in=_orders_of(address), status=BuyerEmail.Status.QUEUED, next_attempt_at__lte=timezone.now()
    ).values_list("pk", flat=True)
    for buyer_email_id in list(due):
        deliver(buyer_email_id)


def _anonymise_orders(order_ids, *, extra_words=(), log_action, by=None) -> ErasureReport:
    """Erase the personal data of these orders (locked by the caller), in the caller's transaction."""
    report = ErasureReport()
    if not order_ids:
        return report
    now = timezone.now()
    orders = list(Order.objects.filter(pk__in=order_ids))
    tickets = Ticket.objects.filter(order_id__in=order_ids)
    attendees = list(tickets.exclude(attendee_name="").values_list("attendee_name", flat=True))
    pattern = _pattern(
        [*extra_words, *(order.name for order in orders), *(order.email for order in orders), *attendees]
    )
    Order.objects.filter(pk__in=order_ids).update(
        **_order_erased_values(), personal_data_erased_at=now, updated_at=now
    )
    tickets.update(**_erased_values("ticketing.Ticket"))
    report.orders_anonymised = len(orders)
    report.emails_cancelled = BuyerEmail.objects.filter(
        order_id__in=order_ids, status=BuyerEmail.Status.QUEUED
    ).update(
        status=BuyerEmail.Status.CANCELLED,
        next_attempt_at=None,
        last_error="Cancelled: the buyer's personal data was erased, so there is no address to send to.",
    )
    if pattern is not None:
        _scrub_text_fields(BuyerEmail.objects.filter(order_id__in=order_ids), ("last_error",), pattern)
        _scrub_text_fields(
            Refund.objects.filter(payment__order_id__in=order_ids), ("reason", "error"), pattern
        )
        _scrub_text_fields(
            ReconciliationMismatch.objects.filter(order_id__in=order_ids), ("detail", "resolution"), pattern
        )
    payments = list(Payment.objects.filter(order_id__in=order_ids))
    for payment in payments:
        scrubbed = _without_personal_keys(payment.raw)
        if scrubbed != payment.raw:
            Payment.objects.filter(pk=payment.pk).update(raw=scrubbed)
            report.payments_scrubbed += 1
    checkout_ids = [payment.checkout_id for payment in payments]
    for event in WebhookEvent.objects.filter(checkout_id__in=checkout_ids):
        scrubbed = _without_personal_keys(event.payload)
        if scrubbed != event.payload:
            WebhookEvent.objects.filter(pk=event.pk).update(payload=scrubbed)
            report.webhook_events_scrubbed += 1
    report.task_rows_deleted += _delete_finished_jobs(order_ids)
    report.log_entries_scrubbed += _scrub_order_log_entries(order_ids, pattern)
    for order in orders:
        log(instance=order, action=log_action, user=by, data={"order": order.reference})
    return report


def _erase_requests(requests, words) -> ErasureReport:
    report = ErasureReport()
    pattern = _pattern(words)
    rows = list(requests.select_for_update())
    _scrub_text_fields(
        DataRequest.objects.filter(pk__in=[row.pk for row in rows]),
        ("identity_check", "notes", "rejection_reason", "outcome"),
        pattern,
    )
    report.data_requests_blanked = DataRequest.objects.filter(pk__in=[row.pk for row in rows]).update(
        email=""
    )
    return report


def _pattern(words):
    words = sorted({word.strip() for word in words if word and len(word.strip()) >= 3 and word != ERASED})
    if not words:
        return None
    return re.compile(
        "|".join(re.escape(word) for word in sorted(words, key=len, reverse=True)), re.IGNORECASE
    )


def _scrub(value, pattern):
    """`value` (text, or JSON made of dicts, lists and text) with every match cut out."""
    if pattern is None:
        return value
    if isinstance(value, str):
        return pattern.sub(ERASED_MARK, value)
    if isinstance(value, list):
        return [_scrub(item, pattern) for item in value]
    if isinstance(value, dict):
        return {key: _scrub(item, pattern) for key, item in value.items()}
    return value


def _scrub_text_fields(queryset, names, pattern) -> int:
    if pattern is None:
        return 0
    changed = 0
    for row in queryset.only("pk", *names):
        updates = {name: _scrub(getattr(row, name), pattern) for name in names}
        if any(updates[name] != getattr(row, name) for name in names):
            type(row).objects.filter(pk=row.pk).update(**updates)
            changed += 1
    return changed


def _without_personal_keys(value):
    """A SumUp payload without the keys that describe a person, at any depth."""
    if isinstance(value, dict):
        return {
            key: _without_personal_keys(item) for key, item in value.items() if key not in SUMUP_PERSONAL_KEYS
        }
    if isinstance(value, list):
        return [_without_personal_keys(item) for item in value]
    return value


def _log_models():
    from wagtail.models import ModelLogEntry, PageLogEntry

    return ModelLogEntry, PageLogEntry


def _scrub_order_log_entries(order_ids, pattern) -> int:
    """Cut the person's name and address out of audit entries about these orders."""
    from django.contrib.contenttypes.models import ContentType

    model_log, _ = _log_models()
    entries = model_log.objects.filter(
        content_type=ContentType.objects.get_for_model(Order), object_id__in=[str(pk) for pk in order_ids]
    )
    return _scrub_text_fields(entries, ("label", "data"), pattern)


def _scrub_mentions(address: str, words) -> ErasureReport:
    """Whatever else names the address: audit entries of any object (the person's names are cut
    out of those too: an entry naming the address is about them), and finished jobs."""
    report = ErasureReport()
    pattern = _pattern(words)
    for model in _log_models():
        mentions = model.objects.filter(Q(label__icontains=address) | Q(data__icontains=address))
        report.log_entries_scrubbed += _scrub_text_fields(mentions, ("label", "data"), pattern)
    report.task_rows_deleted += _delete_finished_jobs((), address=address)
    return report


EMAIL_TASKS = ("ticketing.tasks.send_buyer_email", "ticketing.tasks.send_ticket_email")


def _delete_finished_jobs(order_ids, address: str = "") -> int:
    """Delete finished jobs that were about these orders' e-mails, or that mention the address.

    Jobs still waiting are left alone: they carry an id only, and find nothing to send.
    """
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    finished = DBTaskResult.objects.filter(status__in=[TaskResultStatus.SUCCESSFUL, TaskResultStatus.FAILED])
    about = Q(pk__in=[])
    if order_ids:
        email_ids = list(BuyerEmail.objects.filter(order_id__in=order_ids).values_list("pk", flat=True))
        if email_ids:
            about |= Q(task_path__in=EMAIL_TASKS, args_kwargs__args__0__in=email_ids)
    if address:
        about |= (
            Q(args_kwargs__icontains=address)
            | Q(return_value__icontains=address)
            | Q(traceback__icontains=address)
        )
    deleted, _ = finished.filter(about).delete()
    return deleted


# --- After a restore ----------------------------------------------------------------------------


def merge_ledger(rows) -> int:
    """Add ledger rows kept outside this database (`manage.py dumpdata legal.ErasedPerson` of the
    database as it was before a restore); returns how many were missing. Matched by hash, so
    rows already here, under any id, are left as they are."""
    if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
        raise ValueError("Not an erasure ledger: a JSON list of rows is expected.")
    added = 0
    with transaction.atomic():  # all of the file or none of it
        for row in rows:
            values = row.get("fields", row)
            digest = str(values.get("address_hash", "")) if isinstance(values, dict) else ""
            if not re.fullmatch(r"[0-9a-f]{64}", digest):
                raise ValueError("Not an erasure ledger row: each needs a 64-character address_hash.")
            _, created = ErasedPerson.objects.get_or_create(address_hash=digest)
            added += created
    return added


def reapply_erasures(by=None) -> ErasureReport:
    """Erase again every address in the ledger that a restored backup brought back.

    Tickets for events still to come stay valid (as "keep"): the decision about them was made at
    the first erasure, and refunds are in SumUp's records, not in a backup.
    """
    ledger = set(ErasedPerson.objects.values_list("address_hash", flat=True))
    report = ErasureReport()
    if not ledger:
        return report
    addresses = set()
    for model in (Order, DataRequest):
        stored = (
            model.objects.exclude(email="").annotate(address=Lower("email")).values_list("address", flat=True)
        )
        addresses.update(
            address for address in stored.distinct().iterator() if address_hash(address) in ledger
        )
    for address in sorted(addresses):
        report.add(erase_person(address, future_tickets=KEEP, by=by))
    return report


# --- Retention ----------------------------------------------------------------------------------


def retention_cutoff(now=None):
    """Orders of events that ended before this moment have kept personal data long enough."""
    return (now or timezone.now()) - timedelta(days=settings.PERSONAL_DATA_RETENTION_DAYS)


# Waiting data requests are deleted this long after their link stopped working.
UNCONFIRMED_REQUEST_MARGIN = timedelta(days=1)


def _expired_orders(cutoff):
    return (
        Order.objects.filter(personal_data_erased_at__isnull=True)
        .annotate(event_end=_event_end())
        .filter(event_end__lt=cutoff)
    )


def anonymise_old_orders(now=None, batch_size: int = 200) -> ErasureReport:
    """The retention run: erase the personal data of orders whose event ended more than
    PERSONAL_DATA_RETENTION_DAYS ago, and of data requests that no longer need it.

    Works in batches of `batch_size` orders, each its own short transaction, taking rows with
    SELECT … FOR UPDATE SKIP LOCKED (on PostgreSQL), so runs at the same time share the work
    instead of waiting for or repeating each other; safe at any time and concurrently.

    Data requests: one still waiting for its link to be opened, long after the link stopped
    working, is deleted (it was never shown to be the person's, and there is nothing to
    honour); a completed or rejected one keeps its record but loses its address after the
    retention period.
    """
    now = now or timezone.now()
    cutoff = retention_cutoff(now)
    report = ErasureReport()
    skip_locked = connection.features.has_select_for_update_skip_locked
    while True:
        with transaction.atomic():
            batch = list(
                _expired_orders(cutoff)
                .order_by("pk")
                .select_for_update(skip_locked=skip_locked, of=("self",))
                .values_list("pk", flat=True)[:batch_size]
            )
            if not batch:
                break
            report.add(_anonymise_orders(batch, log_action=LOG_RETENTION))
    link_ended = now - timedelta(days=settings.DATA_REQUEST_LINK_DAYS) - UNCONFIRMED_REQUEST_MARGIN
    report.data_requests_deleted, _ = DataRequest.objects.filter(
        status=DataRequest.Status.RECEIVED, created_at__lt=link_ended
    ).delete()
    report.data_requests_blanked = (
        DataRequest.objects.filter(
            status__in=[DataRequest.Status.COMPLETED, DataRequest.Status.REJECTED], handled_at__lt=cutoff
        )
        .exclude(email="")
        .update(email="")
    )
    if report.changed_anything:
        logger.info("retention run: %s", report.summary())
    return report


def run_retention() -> str:
    """The daily job's entry point (ticketing.schedule.JOBS): the run's summary, kept as its result."""
    return anonymise_old_orders().summary()


# --- Census -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AgeBand:
    """Orders still holding personal data whose event is in one age band.

    `label`: the band in staff's words; `orders`: how many; `becomes_due`: the first moment one
    of them is due for the retention run (its event's end plus the retention period; None when
    the band is empty; a moment in the past for the band already due).
    """

    label: str
    orders: int
    becomes_due: object = None


@dataclass(frozen=True)
class Census:
    """Personal data held now, for the staff privacy page.

    Fields:
    * `taken_at`: when the counts were made.
    * `retention_days`: PERSONAL_DATA_RETENTION_DAYS.
    * `bands`: AgeBand rows, in order: event not yet held, ended under 30 days ago, 30–365 days,
      over 365 days (all still within retention unless `retention_days` is short), and past
      retention (due at the next run).
    * `orders_with_personal_data`: the sum of the bands.
    * `orders_anonymised`: orders whose personal data is already erased.
    * `data_requests_with_address`: requests still holding an address (open or closed).
    * `erased_people`: rows in the erasure ledger.
    * `next_run_at`: when the retention job runs next (None: the worker has not scheduled it).
    * `next_run_clears_orders`, `next_run_clears_requests`: what that run will erase
      (data requests: deleted unconfirmed ones plus closed ones blanked).
    """

    taken_at: object
    retention_days: int
    bands: tuple[AgeBand, ...]
    orders_with_personal_data: int
    orders_anonymised: int
    data_requests_with_address: int
    erased_people: int
    next_run_at: object
    next_run_clears_orders: int
    next_run_clears_requests: int


def census(now=None) -> Census:
    from django.db.models import Count, Min

    from ticketing.models import ScheduledJob

    now = now or timezone.now()
    days = settings.PERSONAL_DATA_RETENTION_DAYS
    retention = timedelta(days=days)
    holding = Order.objects.filter(personal_data_erased_at__isnull=True).annotate(event_end=_event_end())
    cutoff = now - retention
    limits = [
        ("Event not yet held", Q(event_end__gte=now)),
        ("Event ended less than 30 days ago", Q(event_end__lt=now, event_end__gte=now - timedelta(days=30))),
        (
            "Event ended 30 to 365 days ago",
            Q(event_end__lt=now - timedelta(days=30), event_end__gte=now - timedelta(days=365)),
        ),
        (
            "Event ended more than 365 days ago",
            Q(event_end__lt=now - timedelta(days=365), event_end__gte=cutoff),
        ),
        ("Past retention: due at the next run", Q(event_end__lt=cutoff)),
    ]
    bands = []
    for label, condition in limits:
        figures = holding.filter(condition).aggregate(orders=Count("pk"), first=Min("event_end"))
        first = figures["first"]
        bands.append(AgeBand(label, figures["orders"], first + retention if first else None))
    next_run_at = (
        ScheduledJob.objects.filter(name=RETENTION_JOB).values_list("next_run_at", flat=True).first()
    )
    moment = next_run_at or now
    run_cutoff = moment - retention
    link_ended = moment - timedelta(days=settings.DATA_REQUEST_LINK_DAYS) - UNCONFIRMED_REQUEST_MARGIN
    clears_requests = (
        DataRequest.objects.filter(status=DataRequest.Status.RECEIVED, created_at__lt=link_ended).count()
        + DataRequest.objects.filter(
            status__in=[DataRequest.Status.COMPLETED, DataRequest.Status.REJECTED], handled_at__lt=run_cutoff
        )
        .exclude(email="")
        .count()
    )
    return Census(
        taken_at=now,
        retention_days=days,
        bands=tuple(bands),
        orders_with_personal_data=sum(band.orders for band in bands),
        orders_anonymised=Order.objects.filter(personal_data_erased_at__isnull=False).count(),
        data_requests_with_address=DataRequest.objects.exclude(email="").count(),
        erased_people=ErasedPerson.objects.count(),
        next_run_at=next_run_at,
        next_run_clears_orders=_expired_orders(run_cutoff).count(),
        next_run_clears_requests=clears_requests,
    )


def register_log_actions(actions):
    """How erasures read in an order's history (Wagtail's audit log); hooked in legal.apps."""
    actions.register_action(LOG_ERASURE, "Personal data erased", "The buyer's personal data was erased")
    actions.register_action(
        LOG_RETENTION, "Personal data anonymised", "Personal data anonymised after the retention period"
    )
