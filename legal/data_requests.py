"""A data request's life, from asked to answered: the only code that changes its status.

    web form ─submit─▶ RECEIVED ─confirm (the e-mailed link)─▶ CONFIRMED ─complete─▶ COMPLETED
    staff    ─record (identity checked by staff)─────────────▶ CONFIRMED ─reject──▶ REJECTED
                                                 RECEIVED ─reject──▶ REJECTED

The link proves the address is the requester's: nobody reads or erases someone else's data by
typing their address. It is signed (Django's signing, salted for this use), carries only the
request's id, and lasts DATA_REQUEST_LINK_DAYS. What is exported or erased is `legal.privacy`'s
business; this module only records that it happened, by whom and when.
"""

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.utils import timezone

from legal.models import DataRequest

_SALT = "legal.data-request.confirm"


class LinkInvalid(Exception):
    """A confirmation link that was never ours (tampered, truncated) or whose request is gone."""


class LinkExpired(Exception):
    """A genuine confirmation link, older than DATA_REQUEST_LINK_DAYS."""


class NotOpen(Exception):
    """The request was already completed or rejected: nothing more can be done to it."""


def submit(email: str, kind: str) -> DataRequest:
    """A request from the web form, waiting for its link to be opened.

    A second identical request while the first still waits gives the same request back (its
    link is sent again), so the form cannot be used to fill the staff list.
    """
    email = email.strip()
    waiting = DataRequest.objects.filter(
        email__iexact=email, kind=kind, status=DataRequest.Status.RECEIVED
    ).first()
    return waiting or DataRequest.objects.create(email=email, kind=kind, channel=DataRequest.Channel.WEB)


def confirmation_token(request: DataRequest) -> str:
    """The signed, time-stamped token of the link e-mailed to the requester."""
    return signing.TimestampSigner(salt=_SALT).sign(str(request.pk))


def _requested_id(token: str) -> int:
    """The id a genuine, unexpired link carries; LinkInvalid or LinkExpired otherwise."""
    max_age = settings.DATA_REQUEST_LINK_DAYS * 24 * 3600
    try:
        return int(signing.TimestampSigner(salt=_SALT).unsign(token, max_age=max_age))
    except signing.SignatureExpired as expired:
        raise LinkExpired from expired
    except (signing.BadSignature, ValueError) as bad:
        raise LinkInvalid from bad


def look_up(token: str) -> DataRequest:
    """The request a link is about, changing nothing: what the page behind the link shows.

    Mail scanners open links before people do, so opening the link only asks; confirming is
    `confirm`, behind a button. Raises what `confirm` raises, for the same links.
    """
    request = DataRequest.objects.filter(pk=_requested_id(token)).first()
    if request is None:
        raise LinkInvalid
    if not request.is_open:
        raise NotOpen
    return request


def confirm(token: str) -> DataRequest:
    """Open the link: a waiting request becomes confirmed. Opening it again changes nothing.

    Raises LinkInvalid or LinkExpired, and NotOpen for a request already answered.
    """
    pk = _requested_id(token)
    with transaction.atomic():
        request = DataRequest.objects.select_for_update().filter(pk=pk).first()
        if request is None:
            raise LinkInvalid
        if not request.is_open:
            raise NotOpen
        if request.status == DataRequest.Status.RECEIVED:
            request.status = DataRequest.Status.CONFIRMED
            request.confirmed_at = timezone.now()
            request.save(update_fields=["status", "confirmed_at"])
    return request


def record(*, email: str, kind: str, channel: str, identity_check: str, by) -> DataRequest:
    """A request that reached staff by e-mail, letter, phone or in person.

    Staff checked who is asking (and say how), so it is confirmed at once.
    """
    now = timezone.now()
    return DataRequest.objects.create(
        email=email.strip(),
        kind=kind,
        channel=channel,
        identity_check=identity_check,
        status=DataRequest.Status.CONFIRMED,
        confirmed_at=now,
        recorded_by=by,
    )


def complete(request: DataRequest, *, by, outcome: str) -> DataRequest:
    """Record that the request was carried out; `outcome` says what, in counts, never data."""
    return _close(request, DataRequest.Status.COMPLETED, by=by, outcome=outcome[:255])


def reject(request: DataRequest, *, by, reason: str) -> DataRequest:
    """Refuse the request (the law allows it, e.g. when identity cannot be checked), saying why."""
    return _close(request, DataRequest.Status.REJECTED, by=by, rejection_reason=reason)


def _close(request: DataRequest, status: str, *, by, **fields) -> DataRequest:
    with transaction.atomic():
        locked = DataRequest.objects.select_for_update().get(pk=request.pk)
        if not locked.is_open:
            raise NotOpen
        locked.status = status
        locked.handled_by = by
        locked.handled_at = timezone.now()
        for name, value in fields.items():
            setattr(locked, name, value)
        locked.save()
    return locked
