"""The e-mail provider refusing: the ticket e-mail is retried, nothing is lost, it arrives once.

A real `db_worker` sends through django-anymail's Mailgun backend to a local HTTP server that
stands in for Mailgun: first it refuses every message (503, as the provider does in an outage),
then it recovers. The e-mail waits, counted and explained for staff, and is delivered exactly
once on the retry.
"""

import json
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest
from django.test import TestCase, override_settings
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from tests.delivery.helpers import DATABASE_TASKS
from tests.factories import make_event, make_order, record_payment, wait_for
from tests.processes import kill, start_worker
from ticketing import orders
from ticketing.models import BuyerEmail

SEND_TASK = "ticketing.tasks.send_buyer_email"

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.concurrency]


class StandInProvider(ThreadingHTTPServer):
    """Mailgun's messages endpoint on a local port: refuses while `refusing`, then accepts."""

    def __init__(self):
        super().__init__(("127.0.0.1", 0), ProviderHandler)
        self.refusing = True
        self.refused = 0
        self.delivered = []  # the recipients of each message accepted
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server_address[1]}/v3"

    def close(self):
        self.shutdown()
        self.server_close()


class ProviderHandler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        provider = self.server
        if provider.refusing:
            provider.refused += 1
            self._answer(503, {"message": "Service temporarily unavailable"})
            return
        provider.delivered.append(self._recipients(body))
        self._answer(
            200, {"id": f"<{len(provider.delivered)}@mg.example.org>", "message": "Queued. Thank you."}
        )

    def _recipients(self, body):
        if b"multipart/form-data" in self.headers.get("Content-Type", "").encode():
            return [line.decode() for line in body.split(b"\r\n") if line.endswith(b"@example.com")]
        return parse_qs(body.decode()).get("to", [])

    def _answer(self, status, payload):
        raw = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def log_message(self, *args):  # quiet: the test reads the counts
        pass


@pytest.fixture
def provider():
    stand_in = StandInProvider()
    yield stand_in
    stand_in.close()


def wait_for_worker(condition, log, timeout=120.0):
    """Wait for the worker; on a timeout say what the e-mails and the worker's log show."""

    def failure():
        rows = list(BuyerEmail.objects.values("status", "attempts", "last_error"))
        return f"timed out; e-mails {rows}; worker log:\n" + log.read_text(errors="replace")[-1500:]

    return wait_for(condition, timeout, interval=0.2, failure=failure)


def test_the_email_provider_refusing_outage_retries_and_delivers_once_nothing_lost(provider, tmp_path):
    event = make_event(types=[("Standard", "10.00", 10)])
    with override_settings(TASKS=DATABASE_TASKS), TestCase.captureOnCommitCallbacks(execute=True):
        order = make_order(event, {"Standard": 2}, email="lee@example.com")
        assert orders.mark_paid(order, record_payment(order))
    ticket_email = order.buyer_emails.get(kind=BuyerEmail.Kind.TICKETS)
    log = tmp_path / "worker.log"

    worker = start_worker(
        log, DJANGO_SETTINGS_MODULE="tests.operations.mailgun_worker_settings", MAILGUN_API_URL=provider.url
    )
    try:
        wait_for_worker(
            lambda: BuyerEmail.objects.get(pk=ticket_email.pk).attempts >= 1 and provider.refused, log
        )
        wait_for_worker(
            lambda: BuyerEmail.objects.get(pk=ticket_email.pk).status == BuyerEmail.Status.QUEUED, log
        )
        waiting = BuyerEmail.objects.get(pk=ticket_email.pk)
        # Waiting for its next try, with the reason for staff; the order's tickets exist meanwhile.
        assert waiting.next_attempt_at > timezone.now() + timedelta(seconds=30)
        assert waiting.last_error and "lee@example.com" not in waiting.last_error
        assert order.tickets.count() == 2
        assert provider.delivered == []

        # The retry's job is queued just after the row is marked (once that commits).
        retry = DBTaskResult.objects.filter(task_path=SEND_TASK, status=TaskResultStatus.READY)
        wait_for_worker(retry.exists, log)

        provider.refusing = False  # the provider recovers; the next try comes due (a minute on)
        now = timezone.now()
        BuyerEmail.objects.filter(pk=ticket_email.pk).update(next_attempt_at=now)
        retry.update(run_after=now)
        wait_for_worker(
            lambda: BuyerEmail.objects.get(pk=ticket_email.pk).status == BuyerEmail.Status.SENT, log
        )
        time.sleep(2)  # a second send, if there were one, would be on its way by now
    finally:
        kill(worker)

    assert provider.refused == 1
    assert provider.delivered == [["lee@example.com"]]
    assert BuyerEmail.objects.get(pk=ticket_email.pk).attempts == 2
    assert "lee@example.com" not in log.read_text(errors="replace")  # no address in the worker's log
