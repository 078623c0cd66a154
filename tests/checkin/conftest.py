import pytest

from tests.factories import make_event, make_paid_order, make_staff


@pytest.fixture
def event():
    return make_event("Harbour Jazz Night", types=[("Adult", "20.00", 50), ("Child", "8.00", 50)])


@pytest.fixture
def order(event):
    return make_paid_order(event, {"Adult": 2, "Child": 1})


@pytest.fixture
def door():
    """Door staff: the check-in permission and nothing else."""
    return make_staff("door", "check_in_ticket")
