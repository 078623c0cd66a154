"""The "Door staff" group made by a migration: enough to sign in and scan, nothing more."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_door_staff_can_open_the_scanner_and_nothing_else(client, django_user_model):
    group = Group.objects.get(name="Door staff")
    permissions = {(p.content_type.app_label, p.codename) for p in group.permissions.all()}
    assert {("wagtailadmin", "access_admin"), ("ticketing", "check_in_ticket")} <= permissions
    assert {codename for app, codename in permissions if app == "ticketing"} == {"check_in_ticket"}
    steward = django_user_model.objects.create_user("steward", "steward@staff.example")
    steward.groups.add(group)
    client.force_login(steward)
    assert client.get(reverse("ticketing:check-in")).status_code == 200
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/ticketing/order/").status_code in (302, 403)
