"""Which app may import which: the arrows between the site's apps run one way, and inside
`ticketing` its layers run one way (views and admin -> services -> orders / inventory -> models).

    core       <- home, legal, ticketing    (core imports none of them)
    ticketing  <- home, only through `ticketing.shop`
    home, legal: never each other; ticketing imports neither

and nothing but the dev and test settings imports the SumUp sandbox, which fakes payments
(`sumup_sandbox`, or `ticketing.payments.sandbox` where it lived before; the sandbox's own
modules are not checked). Tests are not checked either: they may reach anything.

Every module of these apps and of `config` is parsed (imports inside functions count too), so
a new arrow the wrong way fails here with the file and line that drew it.
"""

import ast
import re
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]
CHECKED = ("core", "home", "legal", "ticketing", "config")
APPS = {"core", "home", "legal", "ticketing"}
SANDBOX = ("sumup_sandbox", "ticketing.payments.sandbox")
SANDBOX_USERS = {"config.settings.dev", "config.settings.test"}
SHOP = "ticketing.shop"
# The demo loader fills every app with demo content (pages, events, legal pages, settings):
# it is the one place that has to know them all.
DEMO_LOADER = "home.management.commands.load_demo_content"


def within(module, package):
    return module == package or module.startswith(package + ".")


def broken_rule(importer, imported):
    """Why `importer` may not import `imported`, or None when it may."""
    if any(within(importer, sandbox) for sandbox in SANDBOX):
        return None
    if any(within(imported, sandbox) for sandbox in SANDBOX) and importer not in SANDBOX_USERS:
        return "only the dev and test settings may use the SumUp sandbox"
    source, target = importer.split(".")[0], imported.split(".")[0]
    if source == target or target not in APPS or importer == DEMO_LOADER:
        return None
    if source == "core":
        return "core depends on no other app"
    if source == "home" and target == "ticketing" and not within(imported, SHOP):
        return f"home reads the shop only through {SHOP}"
    if {source, target} == {"home", "legal"}:
        return "home and legal do not import each other"
    if source == "ticketing" and target in {"home", "legal"}:
        return "ticketing does not know the pages"
    return None


def imported_names(module, tree, is_package=False):
    """(line, dotted name) of everything `module` imports; `from a import b` gives `a.b`."""
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*parent, *([base] if base else [])])
            for alias in node.names:
                yield node.lineno, base if alias.name == "*" else f"{base}.{alias.name}"


def broken_arrows(module, source, is_package=False):
    tree = ast.parse(source)
    return [
        f"{module} line {line}: imports {name} ({reason})"
        for line, name in imported_names(module, tree, is_package)
        if (reason := broken_rule(module, name))
    ]


def project_modules():
    for top in CHECKED:
        for path in sorted((BASE_DIR / top).rglob("*.py")):
            parts = path.relative_to(BASE_DIR).with_suffix("").parts
            is_package = parts[-1] == "__init__"
            yield ".".join(parts[:-1] if is_package else parts), path, is_package


def test_no_import_runs_against_the_arrows():
    problems = [
        problem
        for module, path, is_package in project_modules()
        for problem in broken_arrows(module, path.read_text(), is_package)
    ]
    assert problems == []


def test_every_app_is_checked():
    checked = {module.split(".")[0] for module, _, _ in project_modules()}
    assert checked >= APPS


@pytest.mark.parametrize(
    ("module", "source"),
    [
        ("core.page_cache", "from ticketing.signals import availability_changed"),
        ("core.models", "def f():\n    import home.models"),
        ("home.models", "from ticketing.models import Event"),
        ("home.models", "from ticketing import forms"),
        ("home.views", "from legal.models import LegalPage"),
        ("legal.models", "from home.models import HomePage"),
        ("ticketing.delivery", "from home.models import EventPage"),
        ("ticketing.payments.webhooks", "from ..payments.sandbox import state"),
        ("ticketing.views", "from sumup_sandbox.state import mark_paid"),
        ("config.urls", "import sumup_sandbox.urls"),
    ],
)
def test_an_arrow_the_wrong_way_is_caught(module, source):
    assert broken_arrows(module, source)


@pytest.mark.parametrize(
    ("module", "source"),
    [
        ("home.models", "from ticketing import shop"),
        ("home.models", "from ticketing.shop import event_for_page"),
        ("home.models", "from core.models import CachedPage"),
        ("legal.models", "from core.models import CachedPage"),
        ("ticketing.apps", "from core import page_cache"),
        ("ticketing.payments.sandbox.views", "from . import state"),
        ("config.settings.test", "from sumup_sandbox import apps"),
    ],
)
def test_an_arrow_the_right_way_passes(module, source):
    assert broken_arrows(module, source) == []


# --- Inside ticketing: views and admin -> services -> orders / inventory -> models ----------

# The layers of `ticketing`, lowest first (docs/ARCHITECTURE.md, "The apps and their arrows").
# A module imports its own layer and those below, never one above. `ticketing.tasks` names the
# jobs: any layer may enqueue one, and a task's body calls its service lazily, so it has no layer.
MODELS_LAYER = {"ticketing.models", "ticketing.codes", "ticketing.signals", "ticketing.audit"}
LIFECYCLE_LAYER = {"ticketing.orders", "ticketing.inventory", "ticketing.outbox"}
ENTRY_POINTS = (
    "ticketing.views",
    "ticketing.ticket_views",
    "ticketing.waiting_list_views",
    "ticketing.waiting_list_forms",
    "ticketing.admin",
    "ticketing.wagtail_hooks",
    "ticketing.urls",
    "ticketing.forms",
    "ticketing.shop",
    "ticketing.templatetags",
    "ticketing.management",
    "ticketing.apps",
)
LAYER_NAMES = ("models", "orders and inventory", "services", "views and admin")


def layer(module):
    """0 models, 1 lifecycle and stock, 2 services (payments among them), 3 views and admin."""
    if module in MODELS_LAYER:
        return 0
    if module in LIFECYCLE_LAYER:
        return 1
    if any(within(module, entry) for entry in ENTRY_POINTS):
        return 3
    return 2


def ticketing_module(name):
    """The module of ticketing that `name` (a module, or a name imported from one) lives in."""
    parts = name.split(".")
    for end in range(len(parts), 1, -1):
        path = BASE_DIR.joinpath(*parts[:end])
        if path.with_suffix(".py").exists() or (path / "__init__.py").exists():
            return ".".join(parts[:end])
    return None


def upward_imports(module, source, is_package=False):
    if module == "ticketing.tasks" or not within(module, "ticketing"):
        return []
    problems = []
    for line, name in imported_names(module, ast.parse(source), is_package):
        target = ticketing_module(name) if within(name, "ticketing") else None
        if target is None or target == "ticketing.tasks" or target == "ticketing":
            continue
        if layer(target) > layer(module):
            problems.append(
                f"{module} line {line}: imports {target} "
                f"({LAYER_NAMES[layer(module)]} may not use {LAYER_NAMES[layer(target)]})"
            )
    return problems


def test_inside_ticketing_no_import_runs_up_the_layers():
    problems = [
        problem
        for module, path, is_package in project_modules()
        if ".migrations" not in module
        for problem in upward_imports(module, path.read_text(), is_package)
    ]
    assert problems == []


@pytest.mark.parametrize(
    ("module", "source"),
    [
        ("ticketing.orders", "from ticketing.payments import refunds"),
        ("ticketing.inventory", "from ticketing import checkout"),
        ("ticketing.models", "from ticketing.orders import mark_paid"),
        ("ticketing.payments.confirmation", "from ticketing.views import order_page"),
        ("ticketing.checkout", "from ticketing.forms import CheckoutForm"),
        ("ticketing.delivery", "def f():\n    from ticketing.admin.emails import BuyerEmailAdmin"),
    ],
)
def test_an_import_up_the_layers_is_caught(module, source):
    assert upward_imports(module, source)


@pytest.mark.parametrize(
    ("module", "source"),
    [
        ("ticketing.views", "from ticketing import checkout"),
        ("ticketing.payments.confirmation", "from ticketing import orders"),
        ("ticketing.orders", "from ticketing import inventory"),
        ("ticketing.outbox", "from ticketing.tasks import send_buyer_email"),
        ("ticketing.admin.refunds", "from ticketing.payments import refunds"),
    ],
)
def test_an_import_down_the_layers_passes(module, source):
    assert upward_imports(module, source) == []


# --- Templates: the pages reach the shop through one template of it -----------------------

SHOP_TEMPLATES = {"ticketing/checkout_form.html"}
TICKETING_TAGS = {path.stem for path in (BASE_DIR / "ticketing" / "templatetags").glob("*.py")} - {"__init__"}
TEMPLATE_REFERENCE = re.compile(r"""{%\s*(?:include|extends)\s+["']([^"']+)["']""")
TAG_LIBRARIES = re.compile(r"{%\s*load\s+([^%]+?)\s*%}")


def shop_reached_from_page_templates():
    """(template, what of ticketing it uses) for every page template that uses more than the shop's."""
    for app in ("home", "legal"):
        for path in sorted((BASE_DIR / "templates" / app).rglob("*.html")):
            text = path.read_text()
            for name in TEMPLATE_REFERENCE.findall(text):
                if name.startswith("ticketing/") and name not in SHOP_TEMPLATES:
                    yield path.relative_to(BASE_DIR).as_posix(), name
            for libraries in TAG_LIBRARIES.findall(text):
                for library in set(libraries.split()) & TICKETING_TAGS:
                    yield path.relative_to(BASE_DIR).as_posix(), f"tag library {library}"


def test_page_templates_use_only_the_shops_public_template():
    assert list(shop_reached_from_page_templates()) == []
