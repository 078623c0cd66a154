"""Staff groups that match the jobs: Editors, Box office, Finance, Privacy and Door staff.

Each group is given exactly the permissions its job needs, replacing what it held: a group
that only grows is how door staff came to list every document (Wagtail's documents migration
gives "choose document" to every group that may sign in). Who may do what is the table in the
README; a test walks every admin URL as each group.

Resending tickets and resolving payment mismatches get permissions of their own, instead of
"change order" and "change payment mismatch": the box office resends without editing orders,
and nobody edits a mismatch. Whoever held the old permission (a group made by hand, a user)
is given the new one, so nobody loses an action they had.

Permissions are created after migrations run, so this one asks Django to create them first.
Written out here rather than imported: a migration must not change when the code does.
"""

from django.conf import settings
from django.contrib.auth.management import create_permissions
from django.db import migrations

ACCESS_ADMIN = ("wagtailadmin", "access_admin")

# Wagtail's own Editors may already edit pages (page permissions on the root, left as they are)
# and images and documents (kept as Wagtail gives them); they also make events sellable and
# edit the site's settings. Nothing about orders, payments or personal data.
EDITORS = [
    ACCESS_ADMIN,
    ("wagtailimages", "add_image"),
    ("wagtailimages", "change_image"),
    ("wagtailimages", "choose_image"),
    ("wagtailimages", "delete_image"),
    ("wagtaildocs", "add_document"),
    ("wagtaildocs", "change_document"),
    ("wagtaildocs", "choose_document"),
    ("wagtaildocs", "delete_document"),
    ("ticketing", "view_event"),
    ("ticketing", "add_event"),
    ("ticketing", "change_event"),
    ("ticketing", "view_tickettype"),
    ("ticketing", "add_tickettype"),
    ("ticketing", "change_tickettype"),
    ("core", "change_sitesettings"),
    ("legal", "change_cookieconsentsettings"),
]

GROUPS = {
    "Editors": EDITORS,
    # Buyers' questions at the counter: find the order, see its tickets and e-mails, send the
    # tickets again (to a corrected address), and check tickets in on a busy night.
    "Box office": [
        ACCESS_ADMIN,
        ("ticketing", "view_order"),
        ("ticketing", "view_ticket"),
        ("ticketing", "view_buyeremail"),
        ("ticketing", "resend_tickets"),
        ("ticketing", "check_in_ticket"),
    ],
    # The money: orders, what SumUp took and gave back, refunds, and mismatches to resolve.
    "Finance": [
        ACCESS_ADMIN,
        ("ticketing", "view_order"),
        ("ticketing", "view_payment"),
        ("ticketing", "view_webhookevent"),
        ("ticketing", "view_refund"),
        ("ticketing", "refund_order"),
        ("ticketing", "view_reconciliationmismatch"),
        ("ticketing", "resolve_mismatch"),
    ],
    # Data requests only (legal/migrations/0002): the export is the complete answer about a
    # person's orders, so browsing everyone's orders would only widen who sees personal data.
    "Privacy": [
        ACCESS_ADMIN,
        ("legal", "view_datarequest"),
        ("legal", "add_datarequest"),
        ("legal", "change_datarequest"),
        ("legal", "handle_datarequest"),
    ],
    "Door staff": [ACCESS_ADMIN, ("ticketing", "check_in_ticket")],
}

# Image and document permissions per collection; Wagtail checks these, not the model ones.
# Only Editors have any, on the root collection (and so on every collection).
EDITORS_COLLECTION = [
    ("wagtailimages", "add_image"),
    ("wagtailimages", "change_image"),
    ("wagtailimages", "choose_image"),
    ("wagtaildocs", "add_document"),
    ("wagtaildocs", "change_document"),
    ("wagtaildocs", "choose_document"),
]

# The generic permissions the new ones replace: (old, new).
CARRIED_OVER = [
    (("ticketing", "change_order"), ("ticketing", "resend_tickets")),
    (("ticketing", "change_reconciliationmismatch"), ("ticketing", "resolve_mismatch")),
]


def _permission(Permission, app_label, codename):
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


def set_up_staff_groups(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    User = apps.get_model(settings.AUTH_USER_MODEL)
    Collection = apps.get_model("wagtailcore", "Collection")
    GroupCollectionPermission = apps.get_model("wagtailcore", "GroupCollectionPermission")

    for old, new in CARRIED_OVER:
        old, new = _permission(Permission, *old), _permission(Permission, *new)
        for group in Group.objects.filter(permissions=old):
            group.permissions.add(new)
        for user in User.objects.filter(user_permissions=old):
            user.user_permissions.add(new)

    for name, permissions in GROUPS.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set([_permission(Permission, *key) for key in permissions])
        GroupCollectionPermission.objects.filter(group=group).delete()

    root = Collection.objects.filter(depth=1).first()
    if root is not None:
        editors = Group.objects.get(name="Editors")
        for key in EDITORS_COLLECTION:
            GroupCollectionPermission.objects.create(
                group=editors, collection=root, permission=_permission(Permission, *key)
            )


def leave_groups(apps, schema_editor):
    """Going back leaves the groups as they are: no earlier state is safer to restore."""


class Migration(migrations.Migration):
    dependencies = [
        ("ticketing", "0012_order_terms_accepted"),
        ("legal", "0004_consent_choices_and_page_versions"),
        ("core", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("wagtailadmin", "0006_formstate"),
        ("wagtailcore", "0098_apitoken"),
        # After Wagtail's migrations that hand "choose" to every group that may sign in.
        ("wagtaildocs", "0014_alter_document_file_size"),
        ("wagtailimages", "0027_image_description"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="order",
            options={
                "ordering": ["-created_at"],
                "permissions": [
                    ("check_in_ticket", "Can check in tickets at the door"),
                    ("resend_tickets", "Can e-mail an order's tickets again"),
                ],
            },
        ),
        migrations.AlterModelOptions(
            name="reconciliationmismatch",
            options={
                "ordering": ["resolved_at", "-last_seen_at"],
                "permissions": [
                    ("refund_order", "Can refund orders through SumUp"),
                    ("resolve_mismatch", "Can mark payment mismatches resolved"),
                ],
                "verbose_name": "payment mismatch",
                "verbose_name_plural": "payment mismatches",
            },
        ),
        migrations.RunPython(set_up_staff_groups, leave_groups),
    ]
