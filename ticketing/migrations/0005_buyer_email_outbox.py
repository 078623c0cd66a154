"""Ticket e-mails become e-mails to buyers of every kind: tickets, refund notices, apologies.

The table is renamed, not rebuilt: every existing row (all of them ticket e-mails) keeps its id,
its history and its place in the retry schedule, and jobs already queued for it still find it.
Refund e-mail jobs queued before this change are carried over by the next migration (apart,
because PostgreSQL cannot finish this one's schema changes after rows were written in it).
"""

from django.db import migrations, models


def forget_refund_notices(apps, schema_editor):
    """Going back: ticket e-mails were all the old table could hold, and without its kind a
    refund notice left there would be taken for a ticket e-mail."""
    apps.get_model("ticketing", "BuyerEmail").objects.exclude(kind="tickets").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("ticketing", "0004_door_staff_group"),
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
        # Nothing to do going forwards; going back, it runs first, while rows still have a kind.
        migrations.RunPython(migrations.RunPython.noop, forget_refund_notices),
    ]
