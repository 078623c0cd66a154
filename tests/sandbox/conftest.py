"""Fixtures for the sandbox's own tests: the real SDK, a browser stand-in, a callback receiver.

The sandbox is exercised the way our code and a buyer use it: the SDK over real HTTP
against pytest-django's live server, and the hosted page through its HTML forms. Every test
in this folder carries the ``sandbox`` marker, so ``-m "not sandbox"`` runs the product's
tests alone.
"""

import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from sumup import Sumup

from tests import factories

CSRF_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
HERE = Path(__file__).parent


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items):
    """Mark this folder's tests ``sandbox``, before ``-m`` picks which tests run.

    The hook sees every test of the session, not only this folder's, hence the path check;
    a hook rather than ``pytestmark`` in each module, so a new module cannot forget it.
    """
    for item in items:
        if item.path.is_relative_to(HERE):
            item.add_marker(pytest.mark.sandbox)


@pytest.fixture
def sdk(sumup_sandbox, settings):
    """SumUp's official SDK, pointed at the sandbox on the live server."""
    with Sumup(api_key=settings.SUMUP_API_KEY, base_url=settings.SUMUP_API_BASE, timeout=10) as client:
        yield client


@pytest.fixture
def api(sumup_sandbox, settings):
    """Raw HTTP to the sandbox with the right key, for what the SDK cannot send."""
    headers = {"Authorization": f"Bearer {settings.SUMUP_API_KEY}"}
    with httpx.Client(base_url=settings.SUMUP_API_BASE, headers=headers, timeout=10) as client:
        yield client


@pytest.fixture
def merchant_code(settings):
    return settings.SUMUP_MERCHANT_CODE


@pytest.fixture(autouse=True)
def _fast_single_callbacks(settings):
    """Callbacks at once and exactly once, unless a test asks for SumUp's duplicates."""
    settings.SUMUP_SANDBOX_CALLBACK_DELAY = 0
    settings.SUMUP_SANDBOX_DUPLICATE_CALLBACKS = False
    settings.SUMUP_SANDBOX_CALLBACK_RETRY_DELAY = 0.05


def checkout_fields(merchant_code, **overrides):
    """The body of a hosted checkout as the shop creates one; keyword arguments override it."""
    return {
        "checkout_reference": f"test-{time.time_ns()}",
        "amount": 25.5,
        "currency": "GBP",
        "merchant_code": merchant_code,
        "description": "JE-ABC123 · 2 tickets",
        "redirect_url": "https://shop.example/orders/abc/",
        "hosted_checkout": {"enabled": True},
        **overrides,
    }


@pytest.fixture
def new_checkout(sdk, merchant_code):
    """Create a hosted checkout through the SDK; keyword arguments override the defaults."""
    counter = iter(range(1, 10_000))

    def create(**overrides):
        reference = f"test-{time.time_ns()}-{next(counter)}"
        return sdk.checkouts.create(
            **{**checkout_fields(merchant_code), "checkout_reference": reference, **overrides}
        )

    return create


class Browser:
    """A buyer's browser on the hosted page: GET the page, then submit one of its forms."""

    def __init__(self):
        self.client = httpx.Client(follow_redirects=True, timeout=10)

    def open(self, url):
        return self.client.get(url)

    def press(self, url, action):
        page = self.open(url)
        match = CSRF_TOKEN.search(page.text)
        assert match, "the hosted page has no form to submit"
        return self.client.post(url, data={"action": action, "csrfmiddlewaretoken": match.group(1)})

    def close(self):
        self.client.close()


@pytest.fixture
def browser(sumup_sandbox):
    b = Browser()
    yield b
    b.close()


@dataclass
class Delivery:
    path: str
    headers: dict
    body: bytes

    def json(self):
        return json.loads(self.body)


@dataclass
class Receiver:
    """A tiny HTTP server standing in for our webhook: records every POST it gets."""

    url: str
    deliveries: list = field(default_factory=list)
    # Status codes to answer with, in order; 200 once they run out.
    answers: list = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def received(self):
        with self.lock:
            return list(self.deliveries)

    def wait_for(self, count, timeout=5.0):
        """Every delivery so far, once there are at least `count`."""
        factories.wait_for(
            lambda: len(self.received()) >= count,
            timeout,
            interval=0.02,
            failure=lambda: f"expected {count} callback(s), got {len(self.received())}",
        )
        return self.received()

    def settle(self, quiet=0.5):
        """Every delivery so far, once nothing new has arrived for ``quiet`` seconds."""
        seen = -1
        while seen != len(self.deliveries):
            seen = len(self.deliveries)
            time.sleep(quiet)
        return list(self.deliveries)


@pytest.fixture
def receiver():
    state = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            rec = state["receiver"]
            with rec.lock:
                rec.deliveries.append(Delivery(self.path, dict(self.headers), body))
                status = rec.answers.pop(0) if rec.answers else 200
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state["receiver"] = Receiver(url=f"http://127.0.0.1:{server.server_port}/webhook")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state["receiver"]
    server.shutdown()
    server.server_close()
