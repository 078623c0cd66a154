"""A "Door staff" group: may sign in to the admin and check tickets in, nothing else.

Permissions are created after migrations run, so this one asks Django to create them first.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Door staff"
PERMISSIONS = [("wagtailadmin", "access_admin"), ("ticketing", "check_in_ticket")]


def create_door_staff(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=GROUP)
    for app_label, codename in PERMISSIONS:
        group.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))


def remove_door_staff(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("ticketing", "0003_payment_safety"),
        ("wagtailadmin", "0006_formstate"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(create_door_staff, remove_door_staff)]
