"""Issue 9's audit: e-mail failures in the worker's own log carry no address, name, token or code.

tests/foundation/test_log_privacy.py provokes refused ticket e-mails and refund notices with the
test settings' immediate task backend. Here the jobs wait on django-tasks-db's queue and the
worker's own loop (`manage.py db_worker`'s) runs them, as in production, so what its log says
about a failed job (the exception, its traceback) is searched too, written by the project's text
and JSON handlers. Every kind of e-mail a visitor can cause is covered: the tickets, "Find my
tickets" and the data-request confirmation link.
"""

import logging

import pytest
from django.urls import reverse

from tests.delivery.helpers import DATABASE_TASKS, run_worker
from tests.factories import BROWSER, make_event, make_event_page, make_paid_order
from tests.foundation.test_log_privacy import NAME, Written, assert_private, project_handler
from ticketing import outbox
from ticketing.models import BuyerEmail, Order

EMAIL = "zebedee.quartermaine@example.org"
REFUSING_MAIL = "tests.delivery.mail_backends.RefusingBackend"

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def written():
    """Every record any logger lets through, as the project's text and JSON handlers write it."""
    logs = Written()
    handlers = [project_handler("text", logs.text), project_handler("json", logs.json)]
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.DEBUG)
    for handler in handlers:
        root.addHandler(handler)
    yield logs
    for handler in handlers:
        root.removeHandler(handler)
    root.setLevel(level)


@pytest.fixture
def queued_jobs(settings):
    """From the call on, jobs wait on the database queue for the worker, and the e-mail provider
    refuses every recipient. (Orders are paid before: paying sends their tickets at once.)"""

    def start():
        settings.TASKS = DATABASE_TASKS
        settings.EMAIL_BACKEND = REFUSING_MAIL

    return start


def assert_nothing_personal(logs, *secrets):
    leaked = [
        secret for secret in (EMAIL, EMAIL.split("@")[0], NAME, *secrets) if secret.lower() in logs.lower()
    ]
    assert leaked == []


def test_a_refused_ticket_email_in_the_workers_log_names_no_buyer_token_or_code(
    queued_jobs, written, django_capture_on_commit_callbacks
):
    order = make_paid_order(make_event("Jazz Night", types=[("Adult", "20.00", 10)]), email=EMAIL, name=NAME)
    queued_jobs()
    with django_capture_on_commit_callbacks(execute=True):
        outbox.queue_tickets(order, reason=BuyerEmail.Reason.RESEND)

    run_worker()

    logs = written.everything()
    assert "e-mail failed" in logs
    assert_private(logs, order)
    assert_nothing_personal(logs)


def test_a_refused_find_my_tickets_email_in_the_workers_log_names_no_address_or_token(
    queued_jobs, written, client, django_capture_on_commit_callbacks
):
    event = make_event("Jazz Night", types=[("Adult", "20.00", 10)])
    order = make_paid_order(event, {"Adult": 1}, email=EMAIL, name=NAME)
    queued_jobs()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("ticketing:find-orders"), {"email": EMAIL}, HTTP_USER_AGENT=BROWSER)
    assert response.status_code == 303

    run_worker()

    logs = written.everything()
    assert "order lookup e-mail failed" in logs
    assert_private(logs, Order.objects.get(pk=order.pk))
    assert_nothing_personal(logs)


def test_a_refused_data_request_link_in_the_workers_log_names_no_address_or_link(
    queued_jobs, written, client, django_capture_on_commit_callbacks
):
    make_event_page(make_event("Jazz Night"))  # a site with pages, as the form's own page needs
    queued_jobs()
    client.cookies["cookie_consent"] = "necessary"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("legal:data-request"), {"email": EMAIL, "kind": "erasure"})
    assert response.status_code == 303

    run_worker()

    logs = written.everything()
    assert "AnymailRecipientsRefused" in logs, "the worker logs the failure, only redacted"
    assert "/legal/data-request/confirm/" not in logs.replace("/legal/data-request/confirm/<", "")
    assert_nothing_personal(logs)
