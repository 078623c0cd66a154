"""Retention: personal data of orders whose event ended PERSONAL_DATA_RETENTION_DAYS ago is
erased by the daily run, in batches, once, however many runs overlap; and the census says how
much is held and what the next run will clear."""

from datetime import timedelta

import pytest
from django.utils import timezone

from legal import privacy
from legal.models import DataRequest
from tests.concurrency import run_concurrently
from tests.factories import make_event, make_paid_order
from tests.legal.conftest import move_event_to
from ticketing import schedule
from ticketing.models import Order, ScheduledJob

RETENTION = 730


@pytest.fixture(autouse=True)
def _retention(settings):
    settings.PERSONAL_DATA_RETENTION_DAYS = RETENTION
    settings.DATA_REQUEST_LINK_DAYS = 7


def orders_for_event(title, count, days_ago):
    event = make_event(title, types=(("Standard", "10.00", 100),))
    made = [
        make_paid_order(event, email=f"buyer{i}@{title.lower()}.example", name=f"Buyer {i}")
        for i in range(count)
    ]
    move_event_to(event, -days_ago)
    return made


def holding(orders):
    return Order.objects.filter(pk__in=[o.pk for o in orders], personal_data_erased_at__isnull=True).count()


@pytest.mark.django_db
def test_only_orders_past_retention_are_anonymised_in_batches():
    old = orders_for_event("Old", 5, RETENTION + 3)
    recent = orders_for_event("Recent", 2, RETENTION - 3)

    report = privacy.anonymise_old_orders(batch_size=2)

    assert report.orders_anonymised == 5
    assert holding(old) == 0 and holding(recent) == 2
    assert set(Order.objects.filter(pk__in=[o.pk for o in old]).values_list("name", "email")) == {
        ("erased", "")
    }
    assert privacy.anonymise_old_orders().orders_anonymised == 0, "a second run finds nothing"


@pytest.mark.django_db(transaction=True)
def test_concurrent_runs_share_the_work_and_anonymise_each_order_once():
    old = orders_for_event("Old", 12, RETENTION + 1)

    results = run_concurrently(lambda: privacy.anonymise_old_orders(batch_size=3), [(), (), ()])

    for result in results:
        assert isinstance(result, privacy.ErasureReport), result
    assert sum(result.orders_anonymised for result in results) == 12
    assert holding(old) == 0


@pytest.mark.django_db
def test_data_requests_are_cleared_after_their_time():
    now = timezone.now()
    waiting = DataRequest.objects.create(email="a@example.org", kind="export")
    fresh = DataRequest.objects.create(email="b@example.org", kind="export")
    closed = DataRequest.objects.create(email="c@example.org", kind="export", status="completed")
    closed_recently = DataRequest.objects.create(email="d@example.org", kind="export", status="rejected")
    DataRequest.objects.filter(pk=waiting.pk).update(created_at=now - timedelta(days=9))
    DataRequest.objects.filter(pk=fresh.pk).update(created_at=now - timedelta(days=6))
    DataRequest.objects.filter(pk=closed.pk).update(handled_at=now - timedelta(days=RETENTION + 1))
    DataRequest.objects.filter(pk=closed_recently.pk).update(handled_at=now - timedelta(days=30))

    report = privacy.anonymise_old_orders()

    assert not DataRequest.objects.filter(pk=waiting.pk).exists()
    assert DataRequest.objects.get(pk=fresh.pk).email == "b@example.org"
    assert DataRequest.objects.get(pk=closed.pk).email == ""
    assert DataRequest.objects.get(pk=closed_recently.pk).email == "d@example.org"
    assert (report.data_requests_deleted, report.data_requests_blanked) == (1, 1)


def test_the_retention_run_is_a_daily_job():
    job = schedule.jobs_by_name()[privacy.RETENTION_JOB]
    assert job.every == timedelta(days=1)
    assert job.function == "legal.privacy.run_retention"


@pytest.mark.django_db
def test_the_census_counts_by_age_and_says_what_the_next_run_clears():
    now = timezone.now()
    orders_for_event("Soon", 1, -5)
    orders_for_event("Fresh", 2, 10)
    orders_for_event("Middle", 1, 100)
    orders_for_event("Older", 1, 400)
    orders_for_event("Due", 3, RETENTION + 2)
    ScheduledJob.objects.create(name=privacy.RETENTION_JOB, next_run_at=now + timedelta(hours=6))

    taken = privacy.census(now)

    assert [band.orders for band in taken.bands] == [1, 2, 1, 1, 3]
    assert taken.orders_with_personal_data == 8
    assert taken.next_run_clears_orders == 3
    assert taken.next_run_at == now + timedelta(hours=6)
    fresh_band = taken.bands[1]
    assert abs(fresh_band.becomes_due - (now - timedelta(days=10) + timedelta(days=RETENTION))) < timedelta(
        minutes=1
    )
    privacy.anonymise_old_orders()
    assert privacy.census(now).orders_anonymised == 3
