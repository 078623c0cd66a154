"""No log line or error report carries a buyer's name, e-mail address, order token or ticket code.

Each kind of failure is provoked for real, through the entry points production uses (the
buyer's pages, SumUp's webhook, the staff refund screen, the e-mail job): a server error on the
order page and on the ticket page, the e-mail provider refusing the buyer's address, SumUp
refusing a refund, webhooks with bodies we cannot use, an unreachable CAPTCHA. Everything
logged meanwhile is written by handlers built from the project's own logging configuration,
in both formats, and searched for the buyer's details; the error report Sentry would receive
is captured at Sentry's transport (the edge of the world: no network) and searched too.

The buyer's name cannot be recognised in a line, so these tests are what keeps it out: they
fail if any of these paths ever logs it.
"""

import copy
import io
import json
import logging
import logging.config
from decimal import Decimal

import pytest
import sentry_sdk
from django.test import Client
from django.urls import reverse
from sentry_sdk.transport import Transport

from config.logging import logging_config, redact, scrub_sentry_event
from sumup_sandbox import state as sandbox
from sumup_sandbox.models import SandboxTransaction
from tests.factories import BROWSER, make_event, make_event_page, make_paid_order, make_staff, ticket_types
from tests.network import closed_port
from tests.payments.helpers import callback_body, deliver
from ticketing import codes, tickets
from ticketing.models import Order, Payment, Refund

NAME = "Zebedee Quartermaine"
EMAIL = "zebedee.quartermaine@example.org"
IP = "203.0.113.77"


# --- What every test captures ------------------------------------------------------------------


def project_handler(fmt, stream):
    """The project's console handler for format `fmt` ("text" or "json"), writing to `stream`."""
    config = logging_config(fmt, "DEBUG")
    console = config["handlers"]["console"]
    configurator = logging.config.DictConfigurator(copy.deepcopy(config))
    handler = logging.StreamHandler(stream)
    handler.setFormatter(
        configurator.configure_formatter(copy.deepcopy(config["formatters"][console["formatter"]]))
    )
    for name in console["filters"]:
        handler.addFilter(configurator.configure_filter(copy.deepcopy(config["filters"][name])))
    return handler


class Written:
    """Everything the project's handlers wrote, as text lines and as JSON lines."""

    def __init__(self):
        self.text, self.json = io.StringIO(), io.StringIO()

    def everything(self):
        return self.text.getvalue() + self.json.getvalue()

    def json_lines(self):
        return [json.loads(line) for line in self.json.getvalue().splitlines()]


@pytest.fixture
def written():
    """Every record any logger lets through, written by the text and the JSON handler.

    The root logger is opened to DEBUG; the levels the configuration gives named loggers stay.
    """
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


class CapturedEvents(Transport):
    """Sentry's transport, keeping the events it would have sent."""

    def __init__(self, options=None):
        super().__init__(options)
        self.events = []

    def capture_envelope(self, envelope):
        self.events.extend(item.payload.json for item in envelope.items if item.type == "event")


@pytest.fixture
def sentry_events():
    """Sentry on, collecting everything it may (the user, cookies, local variables, SQL values)
    for the scrubber to remove, with the project's before_send; the events it would send are kept."""
    transport = CapturedEvents()
    sentry_sdk.init(
        dsn="https://public@sentry.invalid/1",
        transport=transport,
        before_send=scrub_sentry_event,
        data_collection={"user_info": True, "stack_frame_variables": True, "database_query_data": True},
        traces_sample_rate=None,
    )
    yield transport.events
    sentry_sdk.get_client().close()
    sentry_sdk.get_global_scope().set_client(None)


def secrets_of(order):
    """What may not appear anywhere: the buyer's details, the order's token, every ticket's codes."""
    order.refresh_from_db()
    found = [order.name, order.email, order.email.split("@")[0], order.token, IP]
    for ticket in order.tickets.all():
        found += [ticket.code, ticket.display_code, tickets.sign_ticket_code(ticket.code)]
    return found


def assert_private(text, order):
    leaked = [secret for secret in secrets_of(order) if secret.lower() in text.lower()]
    assert leaked == []


# --- Server errors on the buyer's pages -------------------------------------------------------


@pytest.fixture
def event(db):
    event = make_event("Jazz Night", types=[("Adult", "20.00", 10), ("Child", "7.50", 5)])
    make_event_page(event)
    return event


@pytest.fixture
def paid_order(event):
    return make_paid_order(event, {"Adult": 2}, email=EMAIL, name=NAME, ip=IP)


def break_template(settings, name, source):
    """Serve `source` as template `name`: a real template error, as a bad deploy would make."""
    engine = copy.deepcopy(settings.TEMPLATES[0])
    engine["APP_DIRS"] = False
    engine["OPTIONS"]["loaders"] = [
        ("django.template.loaders.locmem.Loader", {name: source}),
        "django.template.loaders.filesystem.Loader",
        "django.template.loaders.app_directories.Loader",
    ]
    settings.TEMPLATES = [engine]


# A link built with the wrong arguments: Django's error quotes them (the token, the address).
BROKEN_ORDER_PAGE = "{% url 'ticketing:order' order.token order.email %}"
BROKEN_TICKET_PAGE = (
    "{% for card in cards %}{% url 'ticketing:order' card.ticket.code order.token %}{% endfor %}"
)


@pytest.mark.parametrize(
    "page, template, source",
    [
        ("ticketing:order", "ticketing/order_detail.html", BROKEN_ORDER_PAGE),
        ("ticketing:tickets", "ticketing/tickets.html", BROKEN_TICKET_PAGE),
    ],
    ids=["order page", "ticket page"],
)
def test_a_server_error_on_a_buyers_page_logs_no_token_code_or_buyer(
    client, paid_order, settings, written, page, template, source
):
    break_template(settings, template, source)
    client.raise_request_exception = False
    response = client.get(reverse(page, args=[paid_order.token]))
    assert response.status_code == 500
    logs = written.everything()
    assert "Internal Server Error: /tickets/orders/<token>/" in logs
    assert "NoReverseMatch" in logs  # the traceback is written, only redacted
    assert_private(logs, paid_order)
    assert all(line["request_id"] for line in written.json_lines())


def test_the_error_report_of_a_server_error_carries_no_token_code_or_buyer(
    client, paid_order, settings, sentry_events
):
    break_template(settings, "ticketing/tickets.html", BROKEN_TICKET_PAGE)
    client.raise_request_exception = False
    client.cookies["sessionid"] = paid_order.token  # whatever a cookie holds is dropped too
    response = client.get(
        reverse("ticketing:tickets", args=[paid_order.token]) + f"?email={EMAIL}", REMOTE_ADDR=IP
    )
    assert response.status_code == 500
    assert sentry_events, "Sentry received no event"
    reports = json.dumps(sentry_events)
    # The exception is reported, its message (which quotes the code and the token) redacted.
    assert "NoReverseMatch" in reports and "'<ticket-code>', '<token>'" in reports
    assert_private(reports, paid_order)


# --- E-mails the provider refuses -------------------------------------------------------------


@pytest.fixture
def shop(sumup_sandbox, settings):
    """An event sold through the SumUp sandbox, with SumUp's callbacks left to each test."""
    settings.SUMUP_SANDBOX_CALLBACK_DELAY = 0
    settings.SUMUP_SANDBOX_DUPLICATE_CALLBACKS = False
    settings.SUMUP_WEBHOOK_SECRET = ""
    event = make_event("Jazz Night", types=[("Adult", "20.00", 10)])
    make_event_page(event)
    return event


def buy_and_pay(client, event, live_server_url) -> Order:
    """Check out as the buyer over HTTP, pay at the sandbox, and let SumUp's callback confirm it."""
    adult = ticket_types(event)[0]
    data = {"name": NAME, "email": EMAIL, "accept_terms": "on", f"quantity_{adult.pk}": "2"}
    response = client.post(
        reverse("ticketing:checkout", args=[event.pk]), data, HTTP_USER_AGENT=BROWSER, REMOTE_ADDR=IP
    )
    assert response.status_code == 303
    payment = Payment.objects.select_related("order").get(hosted_checkout_url=response["Location"])
    sandbox.press(payment.checkout_id, "pay", notify=False)
    assert deliver(live_server_url, callback_body(payment.checkout_id)).status_code == 204
    payment.order.refresh_from_db()
    assert payment.order.status == Order.Status.PAID
    return payment.order


REFUSING_MAIL = "tests.delivery.mail_backends.RefusingBackend"


@pytest.mark.django_db(transaction=True)
def test_a_ticket_email_the_provider_refuses_logs_no_address_or_codes(
    client, shop, sumup_sandbox, settings, written
):
    settings.EMAIL_BACKEND = REFUSING_MAIL
    order = buy_and_pay(client, shop, sumup_sandbox.url)
    logs = written.everything()
    assert "e-mail failed" in logs
    assert_private(logs, order)


@pytest.fixture
def cashier():
    """Staff at the Wagtail admin, in a browser of their own."""
    staff = make_staff("cashier", superuser=True, password="unused-password")
    browser = Client()
    browser.force_login(staff)
    return browser


def refund_whole_order(cashier, order):
    return cashier.post(
        reverse("ticketing_order_refund", args=[order.pk]),
        {"whole_order": "on", "confirmed": "True"},
        follow=True,
    )


@pytest.mark.django_db(transaction=True)
def test_a_refund_notice_the_provider_refuses_logs_no_address_or_codes(
    client, shop, sumup_sandbox, cashier, settings, written
):
    order = buy_and_pay(client, shop, sumup_sandbox.url)
    settings.EMAIL_BACKEND = REFUSING_MAIL
    refund_whole_order(cashier, order)
    assert Refund.objects.get().status == Refund.Status.SUCCEEDED
    logs = written.everything()
    assert "e-mail failed" in logs
    assert_private(logs, order)


# --- SumUp refusing a refund ------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_refund_sumup_refuses_logs_no_token_codes_or_buyer(client, shop, sumup_sandbox, cashier, written):
    order = buy_and_pay(client, shop, sumup_sandbox.url)
    # At SumUp, less is left to refund than we ask for: it answers 422, "Refund failed."
    SandboxTransaction.objects.update(amount=Decimal("1.00"))
    refund_whole_order(cashier, order)
    assert Refund.objects.get().status == Refund.Status.FAILED
    logs = written.everything()
    assert "refund refused by SumUp" in logs
    assert_private(logs, order)


# --- Requests we refuse -----------------------------------------------------------------------


def test_webhooks_with_bodies_we_cannot_use_log_none_of_what_they_carry(
    client, paid_order, settings, written
):
    path = reverse("ticketing:sumup-webhook")
    url = f"https://shop.example/tickets/orders/{paid_order.token}/"
    code = paid_order.tickets.first().code
    for body in (
        {"type": f"{EMAIL} {url}", "object": {"id": "x", "type": "checkout"}},
        {"event_type": f"{paid_order.token} {code}", "id": "x"},
        {"id": "evt", "type": "checkouts.paid", "object": {"id": EMAIL, "type": "checkout"}},
    ):
        assert client.post(path, body, "application/json").status_code in (204, 400)
    settings.SUMUP_WEBHOOK_SECRET = "whsec_test"
    assert client.post(path, {"id": EMAIL}, "application/json").status_code == 400
    logs = written.everything()
    assert "webhook event type ignored" in logs and "webhook signature rejected" in logs
    assert_private(logs, paid_order)


def test_malformed_requests_and_an_unreachable_captcha_log_none_of_what_they_carry(
    client, paid_order, event, settings, written
):
    client.get(f"/tickets/orders/{paid_order.token}%00/")
    client.post(reverse("legal:cookie-choice"), {"next": f"/tickets/orders/{paid_order.token}/\x00"})
    settings.CAPTCHA_ENABLED = True
    settings.RECAPTCHA_DOMAIN = f"127.0.0.1:{closed_port()}"
    adult = ticket_types(event)[0]
    data = {"name": NAME, "email": EMAIL, "accept_terms": "on", f"quantity_{adult.pk}": "1"}
    data["g-recaptcha-response"] = paid_order.token
    response = client.post(
        reverse("ticketing:checkout", args=[event.pk]), data, HTTP_USER_AGENT=BROWSER, REMOTE_ADDR=IP
    )
    assert response.status_code == 503
    logs = written.everything()
    assert "malformed request refused" in logs and "CAPTCHA verification unavailable" in logs
    assert_private(logs, paid_order)


def test_the_error_report_keeps_no_values_of_earlier_sql_queries():
    """An order's INSERT carries the buyer's name, which no redaction can recognise."""
    crumb = {"category": "query", "message": "INSERT INTO ticketing_order ...", "data": {"db.params": [NAME]}}
    report = scrub_sentry_event({"breadcrumbs": {"values": [crumb]}}, None)
    assert NAME not in json.dumps(report)
    assert report["breadcrumbs"]["values"][0]["message"] == "INSERT INTO ticketing_order ..."


# --- The redaction itself, on the shapes ticketing makes ---------------------------------------


def test_redaction_recognises_every_secret_ticketing_makes():
    token, code = codes.new_secret_token(), codes.new_ticket_code()
    payload = tickets.sign_ticket_code(code)
    display = "-".join(code[i : i + 4] for i in range(0, len(code), 4))
    line = (
        f"GET /tickets/orders/{token}/tickets/ then {token} alone, ticket {code} ({display}), "
        f"QR {payload}, from Ann.O'Brien+tickets@Example.co.uk, "
        f"redirect_url=https%3A%2F%2Fshop%2Ftickets%2Forders%2F{token}%2F email=ann%40example.com"
    )
    redacted = redact(line)
    for secret in (token, code, display, payload.split(":")[1], "O'Brien", "Example.co.uk", "ann%40"):
        assert secret not in redacted
    assert "/tickets/orders/<token>/tickets/" in redacted


def test_redaction_keeps_what_staff_need_to_follow_a_line():
    """Order references, request ids, SumUp checkout ids and code names stay readable."""
    line = (
        "order JE-ABCD2345 payment JE-ABCD2345-1a2b3c4d request 0f1e2d3c4b5a69788796a5b4c3d2e1f0 "
        "checkout 1ff9c216-8618-434a-a0c6-295d7265aa90 in send_buyer_email_after_payment"
    )
    assert redact(line) == line


def test_json_lines_stay_json_whatever_they_redact():
    record = logging.LogRecord(
        "ticketing", logging.ERROR, __file__, 1, "failed for %s", ('Zoë "x" <zoe@exämple.org>',), None
    )
    record.request = "<WSGIRequest: GET '/tickets/orders/abc/'>"
    handler_output = io.StringIO()
    handler = project_handler("json", handler_output)
    handler.handle(record)
    line = json.loads(handler_output.getvalue())
    assert line["message"] == 'failed for Zoë "x" <<email>>'
    assert line["request"] == "<WSGIRequest: GET '/tickets/orders/<token>/'>"
