"""The "Door staff" group made by a migration: enough to sign in and scan, nothing more."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from tests.factories import make_staff, signed_in

pytestmark = pytest.mark.django_db


def test_door_staff_can_open_the_scanner_and_nothing_else(client):
    group = Group.objects.get(name="Door staff")
    permissions = {(p.content_type.app_label, p.codename) for p in group.permissions.all()}
    assert {("wagtailadmin", "access_admin"), ("ticketing", "check_in_ticket")} <= permissions
    assert {codename for app, codename in permissions if app == "ticketing"} == {"check_in_ticket"}
    signed_in(make_staff("steward", groups=["Door staff"]), client)
    assert client.get(reverse("ticketing:check-in")).status_code == 200
    # Signed in to the admin, they land on the scanner rather than an empty dashboard.
    response = client.get("/admin/")
    assert response.status_code == 302 and response["Location"] == reverse("ticketing:check-in")
    assert client.get("/admin/ticketing/order/").status_code in (302, 403)
