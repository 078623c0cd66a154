"""Staff marking a payment mismatch resolved (`reconcile.resolve_mismatch`): once, with a note,
in Wagtail's audit log under their name."""

import pytest
from wagtail.models import ModelLogEntry

from tests.factories import make_staff
from ticketing.models import ReconciliationMismatch
from ticketing.payments.reconcile import LOG_RESOLVE_MISMATCH, resolve_mismatch

pytestmark = pytest.mark.django_db


@pytest.fixture
def mismatch():
    return ReconciliationMismatch.objects.create(
        key="paid_here_only:txn-1",
        kind=ReconciliationMismatch.Kind.PAID_HERE_ONLY,
        transaction_id="txn-1",
        detail="Paid here, not at SumUp.",
    )


@pytest.fixture
def reviewer():
    return make_staff("reviewer")


def test_resolving_records_who_did_what_and_logs_it(mismatch, reviewer):
    assert resolve_mismatch(mismatch, reviewer, "SumUp confirmed a chargeback") is True

    stored = ReconciliationMismatch.objects.get(pk=mismatch.pk)
    assert not stored.is_open and stored.resolved_by == reviewer
    assert stored.resolution == "SumUp confirmed a chargeback"
    assert not mismatch.is_open, "the caller's copy shows the resolution too"
    entry = ModelLogEntry.objects.get(action=LOG_RESOLVE_MISMATCH)
    assert entry.user == reviewer and entry.object_id == str(mismatch.pk)
    assert entry.data == {"key": mismatch.key}


def test_a_mismatch_is_resolved_once_and_the_first_note_stands(mismatch, reviewer):
    colleague = make_staff("colleague")
    stale_copy = ReconciliationMismatch.objects.get(pk=mismatch.pk)  # opened before the first resolved it
    assert resolve_mismatch(mismatch, reviewer, "Refunded from the order")

    assert resolve_mismatch(stale_copy, colleague, "Also refunded") is False

    stored = ReconciliationMismatch.objects.get(pk=mismatch.pk)
    assert (stored.resolved_by, stored.resolution) == (reviewer, "Refunded from the order")
    assert ModelLogEntry.objects.filter(action=LOG_RESOLVE_MISMATCH).count() == 1


def test_a_mismatch_closed_by_reconciliation_is_not_resolved_again(mismatch, reviewer):
    ReconciliationMismatch.objects.filter(pk=mismatch.pk).update(
        resolved_at=mismatch.last_seen_at, resolution="No longer found by reconciliation."
    )
    assert resolve_mismatch(mismatch, reviewer, "Looked into it") is False
    assert mismatch.resolution == "No longer found by reconciliation."
    assert not ModelLogEntry.objects.filter(action=LOG_RESOLVE_MISMATCH).exists()


def test_an_overlong_note_is_cut_to_fit(mismatch, reviewer):
    assert resolve_mismatch(mismatch, reviewer, "x" * 300)
    assert ReconciliationMismatch.objects.get(pk=mismatch.pk).resolution == "x" * 255
