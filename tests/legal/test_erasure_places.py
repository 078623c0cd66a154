"""Each place on the list is erased as the list says: SumUp payloads lose their personal keys,
finished job rows of the person go, audit entries that name them are scrubbed."""

import uuid

import pytest
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult
from wagtail.log_actions import log
from wagtail.models import ModelLogEntry

from legal import privacy
from legal.models import DataRequest
from tests.factories import make_event, make_paid_order
from tests.legal.conftest import EMAIL, NAME, move_event_to
from ticketing.models import Payment, WebhookEvent

pytestmark = pytest.mark.django_db

PERSONAL_DETAILS = {"email": EMAIL, "first_name": "Zephyrine", "last_name": "Quillfeather"}


@pytest.fixture
def order():
    event = make_event("Jazz Night", types=(("Adult", "20.00", 10),))
    paid = make_paid_order(
        event,
        email=EMAIL,
        name=NAME,
        raw={"id": "chk", "amount": 20.0, "customer_id": "cus-1", "personal_details": PERSONAL_DETAILS},
    )
    move_event_to(event, -10)
    return paid


def job(status, args, **fields):
    now = timezone.now()
    return DBTaskResult.objects.create(
        id=uuid.uuid4(),
        status=status,
        args_kwargs={"args": args, "kwargs": {}},
        task_path=fields.pop("task_path", "ticketing.tasks.send_buyer_email"),
        backend_name="default",
        run_after=now,
        enqueued_at=now,
        finished_at=now if status != TaskResultStatus.READY else None,
        **fields,
    )


def test_sumup_payloads_lose_the_keys_that_name_a_person_and_keep_the_rest(order):
    payment = order.payments.get()
    event = WebhookEvent.objects.create(
        dedupe_key="k",
        checkout_id=payment.checkout_id,
        payload={"id": payment.checkout_id, "card": {"last_4": "1"}},
    )
    report = privacy.erase_person(EMAIL)
    assert Payment.objects.get(pk=payment.pk).raw == {"id": "chk", "amount": 20.0}
    assert WebhookEvent.objects.get(pk=event.pk).payload == {"id": payment.checkout_id}
    assert (report.payments_scrubbed, report.webhook_events_scrubbed) == (1, 1)


def test_finished_jobs_of_the_person_are_deleted_and_waiting_ones_left(order):
    ticket_email = order.buyer_emails.get()
    sent = job(TaskResultStatus.SUCCESSFUL, [ticket_email.pk], return_value="sent")
    failed = job(
        TaskResultStatus.FAILED,
        [999999],
        traceback=f"SMTPRecipientsRefused: {EMAIL.lower()}",
        exception_class_path="smtplib.SMTPRecipientsRefused",
    )
    waiting = job(TaskResultStatus.READY, [ticket_email.pk])
    someone_else = job(TaskResultStatus.SUCCESSFUL, [ticket_email.pk + 1000], return_value="sent")
    periodic = job(
        TaskResultStatus.SUCCESSFUL, ["expire-orders"], task_path="ticketing.tasks.run_periodic_job"
    )

    report = privacy.erase_person(EMAIL)

    left = set(DBTaskResult.objects.values_list("pk", flat=True))
    assert sent.pk not in left and failed.pk not in left
    assert {waiting.pk, someone_else.pk, periodic.pk} <= left
    assert report.task_rows_deleted == 2


def test_audit_entries_that_name_the_person_are_scrubbed_and_kept(order):
    request = DataRequest.objects.create(email="other@example.org", kind="export")
    log(instance=request, action="wagtail.edit", data={"note": f"asked by {EMAIL} ({NAME})"})
    log(instance=order, action="wagtail.edit", data={"by": NAME})
    unrelated = log(instance=request, action="wagtail.edit", data={"note": "nothing personal"})

    privacy.erase_person(EMAIL)

    entries = ModelLogEntry.objects.filter(action="wagtail.edit").exclude(pk=unrelated.pk)
    text = " ".join(f"{entry.label} {entry.data}" for entry in entries)
    assert entries.count() == 2
    assert EMAIL.lower() not in text.lower() and "[erased]" in text
    assert NAME not in text, "an entry naming the address loses the person's name too"
    assert ModelLogEntry.objects.get(pk=unrelated.pk).data == {"note": "nothing personal"}
