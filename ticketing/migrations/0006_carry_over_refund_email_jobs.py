"""Refund e-mail jobs still waiting in the queue become outbox rows, sent by the same job.

Kept apart from the schema change before it: on PostgreSQL, rows written in a migration that
also alters the table leave pending trigger events that stop the alteration from finishing.
"""

from django.db import migrations
from django.utils import timezone

# Until now a refund notice was a bare job of this task, given the refund's id; the module is gone.
RETIRED_REFUND_TASK = "ticketing.refund_emails.send_refund_email"
SEND_TASK = "ticketing.tasks.send_buyer_email"
NOTICE_FOR_REFUND = {"staff": "refund", "late_payment": "late_payment", "duplicate_payment": "duplicate_payment"}


def carry_over_waiting_refund_emails(apps, schema_editor):
    """Make each refund notice still waiting in the queue an outbox row, sent by the same job.

    A worker running the new code could not import the retired task, and would fail such a
    job without sending it. Instead the job is pointed at the outbox's task with the new row's
    id, so the buyer hears about the refund as if it had been queued today.
    """
    DBTaskResult = apps.get_model("django_tasks_database", "DBTaskResult")
    BuyerEmail = apps.get_model("ticketing", "BuyerEmail")
    Refund = apps.get_model("ticketing", "Refund")
    for job in DBTaskResult.objects.filter(task_path=RETIRED_REFUND_TASK, status="READY"):
        args = job.args_kwargs.get("args") or [job.args_kwargs.get("kwargs", {}).get("refund_id")]
        refund = Refund.objects.select_related("payment").filter(pk=args[0]).first()
        if refund is None:
            continue  # nothing left to tell: the worker fails the job, as it would have
        buyer_email = BuyerEmail.objects.create(
            order_id=refund.payment.order_id,
            kind=NOTICE_FOR_REFUND[refund.kind],
            refund=refund,
            reason="",
            next_attempt_at=timezone.now(),
            task_id=str(job.id),
        )
        job.task_path = SEND_TASK
        job.args_kwargs = {"args": [buyer_email.pk], "kwargs": {}}
        job.save(update_fields=["task_path", "args_kwargs"])


class Migration(migrations.Migration):
    dependencies = [
        ("ticketing", "0005_buyer_email_outbox"),
        ("django_tasks_database", "0021_conditional_partial_index_ordering"),
    ]

    operations = [
        # Going back leaves the rows: the schema before this migration holds them as they are.
        migrations.RunPython(carry_over_waiting_refund_emails, migrations.RunPython.noop),
    ]
