"""Orders placed before the client and e-mail keys existed get them, so velocity limits still
count the tickets those orders hold."""

from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from ticketing.models import Order

KEYS_MIGRATION = ("ticketing", "0010_client_and_email_keys")


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_the_migration_fills_in_the_keys_of_existing_orders():
    graph = MigrationExecutor(connection).loader.graph
    before = sorted(graph.node_map[KEYS_MIGRATION].parents)[-1].key
    latest = graph.leaf_nodes()
    try:
        old_apps = migrate([before])
        OldEvent = old_apps.get_model("ticketing", "Event")
        OldOrder = old_apps.get_model("ticketing", "Order")
        event = OldEvent.objects.create(title="Old show", venue="Hall", starts_at=timezone.now())
        for ip, email in [("2001:db8:1:2::7", "Ann.Example+old@GoogleMail.com"), (None, "bea@example.com")]:
            OldOrder.objects.create(
                event_id=event.pk,
                email=email,
                name="Buyer",
                total="10.00",
                expires_at=timezone.now() + timedelta(minutes=15),
                created_ip=ip,
            )
    finally:
        migrate(latest)

    keys = set(Order.objects.values_list("created_ip", "client_key", "email_key"))
    assert keys == {
        ("2001:db8:1:2::7", "2001:db8:1:2::/64", "annexample@gmail.com"),
        (None, "unparseable", "bea@example.com"),
    }
