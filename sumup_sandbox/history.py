"""``GET /v2.1/merchants/{mc}/transactions/history``: filters and cursor pages, as SumUp's.

Payments and refunds are separate items of one timeline, ordered by time. The cursor
(``oldest_ref`` / ``newest_ref``) is an item's ``id``: the next page of an ascending
listing holds the items after it, of a descending listing the items before it, and a ref
takes precedence over the matching ``*_time`` parameter as SumUp documents.

The timeline is merged in Python. A sandbox holds hundreds of rows, not millions, and one
readable merge beats a UNION query across two tables here.
"""

from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlencode

from . import errors, payloads
from .errors import ErrorAnswer
from .models import SandboxRefund, SandboxTransaction
from .parsing import datetime_value

DEFAULT_LIMIT = 10
MAX_LIMIT = 1000
ORDERS = ("ascending", "descending")


@dataclass(frozen=True)
class Query:
    limit: int = DEFAULT_LIMIT
    order: str = "ascending"
    oldest_ref: str = ""
    newest_ref: str = ""
    oldest_time: datetime | None = None
    newest_time: datetime | None = None
    changes_since: datetime | None = None
    transaction_code: str = ""
    statuses: list = field(default_factory=list)
    types: list = field(default_factory=list)
    payment_types: list = field(default_factory=list)


@dataclass(frozen=True)
class Entry:
    """One item of the timeline, before it is rendered as JSON."""

    id: str
    created_at: datetime
    modified_at: datetime
    rank: int  # a payment sorts before a refund made in the same instant
    pk: int
    status: str
    type: str
    transaction_code: str
    source: object

    @property
    def sort_key(self):
        return (self.created_at, self.rank, self.pk)

    def payload(self):
        if self.type == "REFUND":
            return payloads.history_refund(self.source)
        return payloads.history_payment(self.source)


def _invalid(param):
    return ErrorAnswer(errors.legacy(400, "INVALID", f"Invalid value for {param}", param=param))


def _limit(params):
    raw = params.get("limit")
    if raw in (None, ""):
        return DEFAULT_LIMIT
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        raise _invalid("limit")
    return int(raw)


def _time(params, name):
    raw = params.get(name)
    if raw in (None, ""):
        return None
    parsed = datetime_value(raw)
    if parsed is None:
        raise _invalid(name)
    return parsed


def parse_query(params):
    """The history query from a QueryDict; SumUp's array params carry a literal ``[]``."""
    order = params.get("order") or "ascending"
    if order not in ORDERS:
        raise _invalid("order")
    return Query(
        limit=_limit(params),
        order=order,
        oldest_ref=params.get("oldest_ref", ""),
        newest_ref=params.get("newest_ref", ""),
        oldest_time=_time(params, "oldest_time"),
        newest_time=_time(params, "newest_time"),
        changes_since=_time(params, "changes_since"),
        transaction_code=params.get("transaction_code", ""),
        statuses=params.getlist("statuses[]"),
        types=params.getlist("types[]"),
        payment_types=params.getlist("payment_types[]"),
    )


def _timeline(merchant_code):
    payments = SandboxTransaction.objects.filter(merchant_code=merchant_code)
    refunds = SandboxRefund.objects.filter(transaction__merchant_code=merchant_code).select_related(
        "transaction"
    )
    entries = [
        Entry(
            str(t.transaction_id),
            t.created_at,
            t.updated_at,
            0,
            t.pk,
            t.status,
            "PAYMENT",
            t.transaction_code,
            t,
        )
        for t in payments
    ]
    entries += [
        Entry(
            str(r.ref),
            r.created_at,
            r.created_at,
            1,
            r.pk,
            SandboxTransaction.Status.SUCCESSFUL,
            "REFUND",
            r.transaction.transaction_code,
            r,
        )
        for r in refunds
    ]
    return sorted(entries, key=lambda e: e.sort_key)


def _matches(entry, query):
    return (
        (not query.transaction_code or entry.transaction_code == query.transaction_code)
        and (not query.statuses or entry.status in query.statuses)
        and (not query.types or entry.type in query.types)
        and (not query.payment_types or payloads.PAYMENT_TYPE in query.payment_types)
        and (query.changes_since is None or entry.modified_at >= query.changes_since)
    )


def _bounds(entries, query):
    """The sort keys the page must lie strictly between (None: unbounded)."""
    by_id = {e.id: e for e in entries}
    lower = upper = None
    if query.oldest_ref:
        if query.oldest_ref not in by_id:
            raise _invalid("oldest_ref")
        lower = by_id[query.oldest_ref].sort_key
    if query.newest_ref:
        if query.newest_ref not in by_id:
            raise _invalid("newest_ref")
        upper = by_id[query.newest_ref].sort_key
    return lower, upper


def _in_window(entry, query, lower, upper):
    key = entry.sort_key
    if lower is not None and key <= lower:
        return False
    if upper is not None and key >= upper:
        return False
    if lower is None and query.oldest_time is not None and entry.created_at < query.oldest_time:
        return False
    return not (upper is None and query.newest_time is not None and entry.created_at >= query.newest_time)


def _next_link(query, last):
    """The ``next`` link: the same query, its cursor moved past the last item shown."""
    params = [("limit", query.limit)]
    if query.order == "ascending":
        params.append(("oldest_ref", last.id))
        params += [("newest_ref", query.newest_ref)] if query.newest_ref else []
        params += [("newest_time", query.newest_time.isoformat())] if query.newest_time else []
    else:
        params.append(("newest_ref", last.id))
        params += [("oldest_ref", query.oldest_ref)] if query.oldest_ref else []
        params += [("oldest_time", query.oldest_time.isoformat())] if query.oldest_time else []
    params.append(("order", query.order))
    params += [("transaction_code", query.transaction_code)] if query.transaction_code else []
    params += [("changes_since", query.changes_since.isoformat())] if query.changes_since else []
    params += [("statuses[]", s) for s in query.statuses]
    params += [("types[]", t) for t in query.types]
    params += [("payment_types[]", p) for p in query.payment_types]
    return {"rel": "next", "href": urlencode(params, safe="[]:")}


def page(merchant_code, query):
    """One page of the merchant's history as SumUp's ``{"items": [...], "links": [...]}``."""
    entries = _timeline(merchant_code)
    lower, upper = _bounds(entries, query)
    selected = [e for e in entries if _matches(e, query) and _in_window(e, query, lower, upper)]
    if query.order == "descending":
        selected.reverse()
    shown = selected[: query.limit]
    links = [_next_link(query, shown[-1])] if len(selected) > len(shown) else []
    return {"items": [e.payload() for e in shown], "links": links}
