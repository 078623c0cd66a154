"""The box office's actions on one order: cancel an unpaid order, mark a flagged order reviewed,
correct the buyer's name or e-mail. Each is a permission of its own, given to the Box office
group only (superusers hold every permission; Finance gets none of them, see the README's
"Who may do what"). Reviewing is recorded on the order: when, and by whom.

Permissions are created after migrations run, so this one asks Django to create them first.
Written out here rather than imported: a migration must not change when the code does.
"""

import django.db.models.deletion
from django.conf import settings
from django.contrib.auth.management import create_permissions
from django.db import migrations, models

BOX_OFFICE_ACTIONS = ("cancel_unpaid_order", "review_order", "correct_buyer_contact")


def give_box_office_its_actions(apps, schema_editor):
    app_config = apps.get_app_config("ticketing")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    box_office, _ = Group.objects.get_or_create(name="Box office")
    box_office.permissions.add(
        *Permission.objects.filter(content_type__app_label="ticketing", codename__in=BOX_OFFICE_ACTIONS)
    )


def take_them_back(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group in Group.objects.filter(name="Box office"):
        group.permissions.remove(
            *Permission.objects.filter(content_type__app_label="ticketing", codename__in=BOX_OFFICE_ACTIONS)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("ticketing", "0013_staff_groups"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="order",
            options={
                "ordering": ["-created_at"],
                "permissions": [
                    ("check_in_ticket", "Can check in tickets at the door"),
                    ("resend_tickets", "Can e-mail an order's tickets again"),
                    ("cancel_unpaid_order", "Can cancel an unpaid order"),
                    ("review_order", "Can mark a flagged order reviewed"),
                    ("correct_buyer_contact", "Can correct a buyer's name or e-mail"),
                ],
            },
        ),
        migrations.AddField(
            model_name="order",
            name="reviewed_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="order",
            name="reviewed_by",
            field=models.ForeignKey(
                blank=True,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.RunPython(give_box_office_its_actions, take_them_back),
    ]
