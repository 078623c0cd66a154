"""The public "Your data" form, /legal/data-request/: a request, its e-mailed link, and nothing more.

The page and the e-mail must not tell anyone whether an address has bought tickets, the form
must not become a way to mail strangers without limit, and no bad input may store anything.
"""

import io
import logging
import re

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from home.management.commands import load_demo_content
from legal import views
from legal.models import DataRequest, LegalPage
from tests.delivery.helpers import DATABASE_TASKS, run_worker
from tests.factories import make_event, make_paid_order
from tests.network import closed_port
from tests.redis_server import redis_server  # noqa: F401  (a fixture)
from ticketing.forms import CAPTCHA_UNAVAILABLE

pytestmark = pytest.mark.django_db

EMAIL = "zebedee.quartermaine@example.org"
LINK = re.compile(r"(https?://[^/\s]+)(/legal/data-request/confirm/([^/\s\"]+)/)")


@pytest.fixture
def visitor(client):
    """A visitor who has answered the cookie banner: pages carry no per-visit CSRF token."""
    client.cookies["cookie_consent"] = "necessary"
    return client


@pytest.fixture
def ask(visitor, django_capture_on_commit_callbacks):
    """Post the form as a browser does; jobs queued on commit run (the test settings' backend)."""

    def ask(email=EMAIL, kind="export", **fields):
        data = {"email": email, "kind": kind, **fields}
        with django_capture_on_commit_callbacks(execute=True):
            return visitor.post(reverse("legal:data-request"), data)

    return ask


def link_in(message):
    """(path, token) of the one confirmation link in an e-mail, the same in its text and HTML."""
    (text_link,) = {m.group(0) for m in LINK.finditer(message.body)}
    html_links = {m.group(0) for m in LINK.finditer(message.alternatives[0][0])}
    assert html_links == {text_link}
    match = LINK.match(text_link)
    return match.group(2), match.group(3)


def test_the_form_explains_both_choices_and_is_linked_from_every_page(visitor):
    response = visitor.get(reverse("legal:data-request"))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'type="radio" name="kind" value="export"' in html
    assert 'type="radio" name="kind" value="erasure"' in html
    assert "Send me a copy of my data" in html and "Erase my data" in html
    assert 'aria-describedby="id_kind_erasure_explanation"' in html
    assert (
        'href="/legal/data-request/">Your data</a>'
        in visitor.get("/legal/data-request/sent/").content.decode()
    )


def test_the_demo_privacy_policy_links_the_form(monkeypatch, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    monkeypatch.setattr(load_demo_content, "IMAGE_SIZE", (320, 180))  # posters drawn small: time only
    call_command("load_demo_content", stdout=io.StringIO())
    privacy = LegalPage.objects.get(slug="privacy")
    assert f'href="{reverse("legal:data-request")}"' in privacy.body


@pytest.mark.parametrize("kind", ["export", "erasure"])
def test_a_request_is_stored_waiting_and_its_link_is_emailed(ask, visitor, settings, kind):
    response = ask(kind=kind)

    assert response.status_code == 303
    assert response["Location"] == reverse("legal:data-request-sent")
    request = DataRequest.objects.get()
    assert (request.email, request.kind, request.status) == (EMAIL, kind, DataRequest.Status.RECEIVED)
    assert request.channel == DataRequest.Channel.WEB
    (message,) = mail.outbox
    assert message.to == [EMAIL]
    assert message.subject == "Confirm your request about your data"
    assert "If you did not ask, ignore this e-mail." in message.body
    assert f"The link works for {settings.DATA_REQUEST_LINK_DAYS} days" in message.body
    path, _ = link_in(message)
    assert message.body.count(settings.SITE_URL + path) == 1  # absolute, from SITE_URL

    sent_page = visitor.get(response["Location"])
    assert sent_page.status_code == 200 and "Check your inbox" in sent_page.content.decode()
    confirm_page = visitor.get(path)
    assert confirm_page.status_code == 200 and "Confirm my request" in confirm_page.content.decode()


def test_an_address_with_orders_gets_exactly_what_an_unknown_address_gets(ask, visitor):
    """No enumeration: the response, the page after it, the e-mail and the work are the same."""
    known, unknown = "ann@example.com", "nobody-here@example.com"
    make_paid_order(make_event("Jazz Night"), email=known)

    answers = {}
    for email in (known, unknown):
        with CaptureQueriesContext(connection) as queries:
            response = ask(email=email, kind="erasure")
        page = visitor.get(response["Location"])
        message = mail.outbox[-1]
        _, token = link_in(message)
        answers[email] = {
            "response": (response.status_code, response["Location"], response.content),
            # The cookie banner's form carries a CSRF token, masked afresh for every page.
            "page": (
                page.status_code,
                re.sub(rb'name="csrfmiddlewaretoken" value="[^"]*"', b"", page.content),
            ),
            "subject": message.subject,
            "text": message.body.replace(token, "<token>"),
            "html": message.alternatives[0][0].replace(token, "<token>"),
            "queries": len(queries),
        }
    assert answers[known] == answers[unknown]


def test_asking_twice_keeps_one_waiting_request_and_sends_the_link_again(ask):
    ask()
    ask(email=EMAIL.upper())
    assert DataRequest.objects.count() == 1
    assert len(mail.outbox) == 2


LONGER_THAN_MAIL_CAN_CARRY = "a" * 64 + "@" + ("b" * 60 + ".") * 4 + "com"


@pytest.mark.parametrize(
    "fields",
    [
        {"email": ""},
        {"email": "not-an-address"},
        {"email": "ann@"},
        {"email": LONGER_THAN_MAIL_CAN_CARRY},
        {"email": "a" * 65 + "@example.com"},
        {"email": "\u0130" * 200 + "@example.com"},
        {"email": "x" * 100_000},
        {"kind": ""},
        {"kind": "delete-everything"},
        {"kind": "x" * 100_000},
    ],
    ids=[
        "no-email",
        "not-an-email",
        "no-domain",
        "too-long",
        "name-too-long",
        "too-long-once-lower-cased",
        "enormous-email",
        "no-kind",
        "unknown-kind",
        "enormous-kind",
    ],
)
def test_bad_input_shows_the_form_again_with_its_errors_and_stores_nothing(ask, fields):
    data = {"email": EMAIL, "kind": "export", **fields}
    response = ask(**data)
    html = response.content.decode()
    assert response.status_code == 400
    assert 'id="data-request-errors"' in html and "autofocus" in html
    assert 'name="email"' in html and 'name="kind"' in html
    assert "nothing has been sent or recorded" in html
    assert DataRequest.objects.count() == 0 and mail.outbox == []


def test_an_error_is_tied_to_its_field(ask):
    html = ask(email="not-an-address").content.decode()
    assert 'aria-invalid="true"' in html
    assert 'aria-describedby="id_email_helptext id_email_error"' in html
    assert 'id="id_email_error"' in html
    assert 'href="#id_email"' in html  # the summary leads to the field


@pytest.mark.parametrize(
    "body",
    [
        "email=ann%00@example.com&kind=export",
        "email=ann%40example.com&kind=export%01",
        "email=ann%1b%5b31m%40example.com&kind=export",
    ],
    ids=["nul", "control", "terminal-escape"],
)
def test_control_bytes_are_refused_with_the_site_s_400_page_and_store_nothing(visitor, body):
    response = visitor.post(reverse("legal:data-request"), body, "application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert "We couldn’t understand that request" in response.content.decode()
    assert DataRequest.objects.count() == 0 and mail.outbox == []


def test_a_client_asking_too_often_gets_the_friendly_429_and_nothing_more_is_stored(ask, visitor, settings):
    settings.DATA_REQUEST_RATE_LIMIT = "2/d"
    ask(email="one@example.com")
    ask(email="two@example.com")

    response = ask(email="three@example.com")

    assert response.status_code == 429
    assert "Too many attempts" in response.content.decode()
    assert set(DataRequest.objects.values_list("email", flat=True)) == {"one@example.com", "two@example.com"}
    assert len(mail.outbox) == 2
    assert visitor.get(reverse("legal:data-request")).status_code == 200  # reading the form is not counted


def test_with_redis_down_the_form_comes_back_with_a_503_and_nothing_is_stored(redis_server, ask):  # noqa: F811
    redis_server.kill()

    response = ask()

    html = response.content.decode()
    assert response.status_code == 503
    assert response["Retry-After"] == "60"
    assert views.REQUESTS_PAUSED in html
    assert f'value="{EMAIL}"' in html  # what was typed is kept
    assert DataRequest.objects.count() == 0 and mail.outbox == []


@pytest.mark.django_db(transaction=True)  # the worker closes the connection it ran on
def test_the_job_names_the_request_by_id_and_never_carries_the_address(ask, settings):
    """In production the job is a django-tasks-db row, kept after it ran: it must not hold the address."""
    settings.TASKS = DATABASE_TASKS
    ask(kind="erasure")

    request = DataRequest.objects.get()
    (job,) = DBTaskResult.objects.filter(task_path="legal.tasks.send_data_request_link")
    assert job.args_kwargs == {"args": [request.pk], "kwargs": {}}
    row = DBTaskResult.objects.filter(pk=job.pk).values().get()
    assert not [name for name, value in row.items() if EMAIL in str(value)]
    assert mail.outbox == []  # the job waits for the worker

    run_worker()
    (message,) = mail.outbox
    assert message.to == [EMAIL]
    done = DBTaskResult.objects.filter(pk=job.pk).values().get()  # its result is kept too
    assert not [name for name, value in done.items() if EMAIL in str(value)]


def test_nothing_logged_while_asking_and_confirming_carries_the_address_or_the_link(ask, visitor, caplog):
    caplog.set_level(logging.DEBUG)
    ask(kind="erasure")
    path, token = link_in(mail.outbox[0])
    visitor.get(path)
    visitor.post(path)
    visitor.post(path)  # and once more, as a second click does

    assert DataRequest.objects.get().status == DataRequest.Status.CONFIRMED
    assert caplog.records  # the request and its link were logged, by id
    for record in caplog.records:
        logged = record.getMessage() + " " + " ".join(str(value) for value in vars(record).values())
        for secret in (EMAIL, EMAIL.split("@")[0], token.rpartition(":")[2]):
            assert secret not in logged, f"{record.name}: {record.getMessage()}"


# --- CAPTCHA (the checkout's field; Google's published test keys in the test settings) ---------


@pytest.fixture
def captcha_on(settings):
    settings.CAPTCHA_ENABLED = True


def test_with_captcha_on_the_form_shows_it_and_a_request_without_it_stores_nothing(captcha_on, ask, visitor):
    assert 'class="g-recaptcha' in visitor.get(reverse("legal:data-request")).content.decode()
    response = ask()
    assert response.status_code == 400
    assert "Please confirm you are not a robot." in response.content.decode()
    assert DataRequest.objects.count() == 0 and mail.outbox == []


def test_with_captcha_on_and_google_unreachable_the_form_comes_back_with_a_503(captcha_on, ask, settings):
    settings.RECAPTCHA_DOMAIN = f"127.0.0.1:{closed_port()}"
    response = ask(**{"g-recaptcha-response": "a-token-from-the-widget"})
    assert response.status_code == 503
    assert CAPTCHA_UNAVAILABLE in response.content.decode()
    assert f'value="{EMAIL}"' in response.content.decode()
    assert DataRequest.objects.count() == 0 and mail.outbox == []
