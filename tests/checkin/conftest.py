import pytest
from django.contrib.auth.models import Permission

from tests.delivery.helpers import make_paid_order
from tests.factories import make_event


def make_staff(django_user_model, username, *codenames, password=None):
    """A user holding exactly these permissions (by codename); no password unless given."""
    user = django_user_model.objects.create_user(username, f"{username}@staff.example", password)
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    return user


@pytest.fixture
def event():
    return make_event("Harbour Jazz Night", types=[("Adult", "20.00", 50), ("Child", "8.00", 50)])


@pytest.fixture
def order(event):
    return make_paid_order(event, {"Adult": 2, "Child": 1})


@pytest.fixture
def door(django_user_model):
    """Door staff: the check-in permission and nothing else."""
    return make_staff(django_user_model, "door", "check_in_ticket")
