"""Ticket e-mails become e-mails to buyers of every kind: tickets, refund notices, apologies.

The table is renamed, not rebuilt: every existing row (all of them ticket e-mails) keeps its id,
its history and its place in the retry schedule, and jobs already queued for it still find it.
"""

from django.db import migrations, models
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


def forget_refund_notices(apps, schema_editor):
    """Going back: ticket e-mails were all the old table could hold."""
    apps.get_model("ticketing", "BuyerEmail").objects.exclude(kind="tickets").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("ticketing", "0004_door_staff_group"),
        ("django_tasks_database", "0021_conditional_partial_index_ordering"),
    ]

    operations = [
        migrations.RenameModel(old_name="TicketEmail", new_name="BuyerEmail"),
        migrations.RenameIndex(
            model_name="buyeremail",
            new_name="ticketing_b_status_a63efc_idx",
            old_name="ticketing_t_status_a57099_idx",
        ),
        migrations.AlterModelOptions(
            name="buyeremail",
            options={
                "ordering": ["-created_at", "-id"],
                "verbose_name": "e-mail to buyer",
                "verbose_name_plural": "e-mails to buyers",
            },
        ),
        migrations.AddField(
            model_name="buyeremail",
            name="kind",
            field=models.CharField(
                choices=[
                    ("tickets", "Tickets"),
                    ("refund", "Refund notice"),
                    ("late_payment", "Apology: paid after the tickets were gone, money returned"),
                    ("duplicate_payment", "Notice: charged twice, second payment refunded"),
                ],
                default="tickets",
                max_length=20,
            ),
        ),
        migrations.AddField(
            model_name="buyeremail",
            name="refund",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=models.deletion.PROTECT,
                related_name="buyer_emails",
                to="ticketing.refund",
            ),
        ),
        migrations.AlterField(
            model_name="buyeremail",
            name="reason",
            field=models.CharField(
                blank=True,
                choices=[("paid", "Order paid"), ("resend", "Resent by staff")],
                default="paid",
                max_length=16,
            ),
        ),
        migrations.AlterField(
            model_name="buyeremail",
            name="status",
            field=models.CharField(
                choices=[
                    ("queued", "Queued"),
                    ("sending", "Sending"),
                    ("sent", "Sent"),
                    ("failed", "Failed (gave up)"),
                    ("cancelled", "Cancelled (nothing to send)"),
                ],
                default="queued",
                max_length=16,
            ),
        ),
        migrations.AddConstraint(
            model_name="buyeremail",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("kind", "tickets"), ("refund__isnull", True)),
                    models.Q(
                        ("kind__in", ["refund", "late_payment", "duplicate_payment"]),
                        ("refund__isnull", False),
                    ),
                    _connector="OR",
                ),
                name="buyer_email_refund_matches_kind",
            ),
        ),
        migrations.RunPython(carry_over_waiting_refund_emails, forget_refund_notices),
    ]
