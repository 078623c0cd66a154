"""Data requests get a due date, how they arrived and how identity was checked, an outcome and a
rejection reason; a permission to act on them; and the "Privacy" staff group that holds it.

Rows already there are due one month after they were received, computed here as the model does
(a migration cannot import it: the model will change after this migration).
"""

import calendar

import django.db.models.deletion
from django.contrib.auth.management import create_permissions
from django.conf import settings
from django.db import migrations, models


GROUP = "Privacy"
PERMISSIONS = [
    ("wagtailadmin", "access_admin"),
    ("legal", "view_datarequest"),
    ("legal", "add_datarequest"),
    ("legal", "change_datarequest"),
    ("legal", "handle_datarequest"),
]


def _one_month_after(received):
    year, month = (received.year + 1, 1) if received.month == 12 else (received.year, received.month + 1)
    return received.replace(year=year, month=month, day=min(received.day, calendar.monthrange(year, month)[1]))


def set_due_dates(apps, schema_editor):
    DataRequest = apps.get_model("legal", "DataRequest")
    for request in DataRequest.objects.filter(due_on__isnull=True):
        request.due_on = _one_month_after(request.created_at.date())
        request.save(update_fields=["due_on"])


def create_privacy_group(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=GROUP)
    for app_label, codename in PERMISSIONS:
        group.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))


def remove_privacy_group(apps, schema_editor):
    """Going back leaves the group, as ticketing 0013 leaves the staff groups: its members keep
    what they had, and going forward again finds it (get_or_create).

    Deleting it here cannot work: the historical state rendered for going back gives the
    cascade a Group class of another registry, and Django refuses the query ("Must be "Group"
    instance"). tests/operations/test_migrations_backwards.py proves the way down.
    """


class Migration(migrations.Migration):

    dependencies = [
        ('legal', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("wagtailadmin", "0006_formstate"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name='datarequest',
            options={'ordering': ['-created_at'], 'permissions': [('handle_datarequest', 'Can export, erase and reject personal data')]},
        ),
        migrations.AddField(
            model_name='datarequest',
            name='channel',
            field=models.CharField(choices=[('web', 'Web form (confirmed by the e-mailed link)'), ('email', 'E-mail'), ('letter', 'Letter'), ('phone', 'Phone'), ('in_person', 'In person')], default='web', max_length=16, verbose_name='received by'),
        ),
        migrations.AddField(
            model_name='datarequest',
            name='due_on',
            field=models.DateField(db_index=True, null=True, verbose_name='answer due by'),
        ),
        migrations.AddField(
            model_name='datarequest',
            name='identity_check',
            field=models.TextField(blank=True, help_text='For a request made by e-mail, letter or phone: what you checked, and how.', verbose_name='how the identity was checked'),
        ),
        migrations.AddField(
            model_name='datarequest',
            name='outcome',
            field=models.CharField(blank=True, max_length=255),
        ),
        migrations.AddField(
            model_name='datarequest',
            name='recorded_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='datarequest',
            name='rejection_reason',
            field=models.TextField(blank=True),
        ),
        migrations.AlterField(
            model_name='datarequest',
            name='created_at',
            field=models.DateTimeField(auto_now_add=True, verbose_name='received'),
        ),
        migrations.AlterField(
            model_name='datarequest',
            name='email',
            field=models.EmailField(blank=True, max_length=254),
        ),
        migrations.AlterField(
            model_name='datarequest',
            name='status',
            field=models.CharField(choices=[('received', 'Waiting for the requester to confirm'), ('confirmed', 'Confirmed, to be handled'), ('completed', 'Completed'), ('rejected', 'Rejected')], default='received', max_length=16),
        ),
        migrations.RunPython(set_due_dates, migrations.RunPython.noop),
        migrations.AlterField(
            model_name='datarequest',
            name='due_on',
            field=models.DateField(db_index=True, verbose_name='answer due by'),
        ),
        migrations.RunPython(create_privacy_group, remove_privacy_group),
    ]
