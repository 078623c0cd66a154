"""The small debts of issue 8 stay paid: each was a second copy of something, or a dead name.

* `SUMUP_CLIENT_ID` / `SUMUP_CLIENT_SECRET`: read by no code (the site uses an API key) and
  documented as unused where the settings are listed;
* `/health/`: answered once, by `config.middleware.HealthCheckMiddleware`, with no URL route;
* the ticket code's length: defined once, in `ticketing.codes`.
"""

import ast
from pathlib import Path

from django.urls import get_resolver

from config import views as config_views
from config.middleware import HealthCheckMiddleware
from ticketing.codes import TICKET_CODE_LENGTH, new_ticket_code
from ticketing.models import Ticket

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ("ticketing", "home", "legal", "core", "config", "sumup_sandbox")


def product_sources():
    for app in PRODUCT:
        for path in sorted((ROOT / app).rglob("*.py")):
            yield path.relative_to(ROOT).as_posix(), path.read_text()


def names_read(source):
    """Every name and string the code uses (comments are not code)."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            yield node.value
        elif isinstance(node, ast.Name):
            yield node.id
        elif isinstance(node, ast.Attribute):
            yield node.attr


def test_the_oauth_client_settings_are_read_by_nothing_and_documented_as_unused():
    unused = {"SUMUP_CLIENT_ID", "SUMUP_CLIENT_SECRET"}
    readers = [path for path, source in product_sources() if unused & set(names_read(source))]
    assert readers == []
    for document in ("README.md", "docs/DEPLOYMENT.md", ".env.example"):
        text = (ROOT / document).read_text()
        assert "SUMUP_CLIENT_ID" in text and "not read" in text.lower(), document


def routes(resolver, prefix=""):
    for pattern in resolver.url_patterns:
        if hasattr(pattern, "url_patterns"):
            yield from routes(pattern, prefix + str(pattern.pattern))
        else:
            yield prefix + str(pattern.pattern), pattern.callback


def test_health_has_no_url_route_of_its_own():
    """The middleware answers before URL routing: a route as well would be a second answer."""
    routed = [
        route
        for route, view in routes(get_resolver())
        if "health" in route or view in (config_views.health, config_views.ready)
    ]
    assert routed == []
    # And the middleware does answer (the page tree's catch-all would otherwise take the path).
    assert "/health/" in HealthCheckMiddleware(lambda request: None).checks


def test_the_ticket_code_length_is_defined_once():
    definitions = [
        path
        for path, source in product_sources()
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name) and target.id == "TICKET_CODE_LENGTH"
    ]
    assert definitions == ["ticketing/codes.py"]
    assert len(new_ticket_code()) == TICKET_CODE_LENGTH <= Ticket._meta.get_field("code").max_length
