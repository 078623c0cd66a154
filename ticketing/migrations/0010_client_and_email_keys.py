"""The client and mailbox each order counts as for velocity limits, filled in for existing orders.

Without the backfill, orders placed before this migration would hold tickets that the limits
no longer see.
"""

from django.db import migrations, models


def fill_in_keys(apps, schema_editor):
    # The rules as they stand when this runs; the step matters once, for orders placed before it.
    from ticketing.fraud import client_key, email_key

    Order = apps.get_model("ticketing", "Order")
    batch = []
    for order in Order.objects.only("pk", "created_ip", "email").iterator(chunk_size=1000):
        order.client_key = client_key(order.created_ip)
        order.email_key = email_key(order.email)
        batch.append(order)
        if len(batch) == 1000:
            Order.objects.bulk_update(batch, ["client_key", "email_key"])
            batch = []
    Order.objects.bulk_update(batch, ["client_key", "email_key"])


class Migration(migrations.Migration):
    dependencies = [
        ("ticketing", "0009_payment_lease"),
    ]

    operations = [
        migrations.AddField(
            model_name="order",
            name="client_key",
            field=models.CharField(blank=True, editable=False, max_length=64),
        ),
        migrations.AddField(
            model_name="order",
            name="email_key",
            field=models.CharField(blank=True, editable=False, max_length=254),
        ),
        migrations.RunPython(fill_in_keys, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="order",
            index=models.Index(fields=["event", "client_key"], name="ticketing_o_event_i_95b0f3_idx"),
        ),
        migrations.AddIndex(
            model_name="order",
            index=models.Index(fields=["event", "email_key"], name="ticketing_o_event_i_1636e9_idx"),
        ),
    ]
