"""Cancelling an event (`ticketing.cancellation`): its record, and who may do it.

Finance refunds, so Finance cancels: it is given "cancel event", and "view event" so that it
can open the event whose page has the button. Superusers hold every permission anyway.
Permissions are created after migrations run, so this one asks Django to create them first.
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.contrib.auth.management import create_permissions
from django.db import migrations, models


FINANCE_GAINS = [("ticketing", "cancel_event"), ("ticketing", "view_event")]


def let_finance_cancel_events(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    finance = Group.objects.filter(name="Finance").first()
    if finance is None:  # a database whose groups were made by hand: nobody gains anything
        return
    for app_label, codename in FINANCE_GAINS:
        finance.permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )


def keep_permissions(apps, schema_editor):
    """Going back leaves Finance's permissions as they are (the permission row goes with its model)."""


class Migration(migrations.Migration):

    dependencies = [
        ('ticketing', '0014_box_office_actions'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='EventCancellation',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('requested_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('finished_at', models.DateTimeField(blank=True, null=True)),
                ('paid_orders', models.PositiveIntegerField(default=0)),
                ('tickets', models.PositiveIntegerField(default=0)),
                ('pending_orders', models.PositiveIntegerField(default=0)),
                ('working_until', models.DateTimeField(blank=True, editable=False, null=True)),
                ('event', models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name='cancellation', to='ticketing.event')),
                ('refunds', models.ManyToManyField(blank=True, related_name='+', to='ticketing.refund')),
                ('requested_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['-requested_at'],
                'permissions': [('cancel_event', 'Can cancel an event and refund every buyer')],
            },
        ),
        migrations.RunPython(let_finance_cancel_events, keep_permissions),
]
