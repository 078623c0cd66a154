"""Production runs without the SumUp sandbox: not installed, no tables, no URLs, no imports.

The sandbox fakes payments, so it is a development and test tool that only the dev and test
settings install. Each check loads the production settings in a fresh interpreter (settings
are read once per process) with the sandbox package made unimportable, as it is in the
production image, which leaves its code out.
"""

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from tests.foundation.test_settings import production_env, run_python

SANDBOX = "sumup_sandbox"

# Prints, as JSON, what the loaded settings install, migrate and route, after importing every
# module of the project's own apps and of config (the settings modules aside: the running
# one is loaded already, and the others belong to other environments).
PROBE = """
import importlib, json, pkgutil, sys
from pathlib import Path

sys.modules["sumup_sandbox"] = None  # any import of it now fails, as in the production image

import django
from django.conf import settings

django.setup()

from django.apps import apps
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.urls import get_resolver


def routes(resolver, prefix="", namespace=""):
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern)
        if hasattr(pattern, "url_patterns"):
            yield from routes(pattern, route, pattern.namespace or namespace)
        else:
            yield {"route": route, "namespace": namespace, "module": pattern.callback.__module__}


packages = sorted(
    {"config"}
    | {
        app.name
        for app in apps.get_app_configs()
        # The project's own apps: under BASE_DIR, but not the virtualenv that may live there too.
        if Path(app.path).is_relative_to(settings.BASE_DIR) and "site-packages" not in Path(app.path).parts
    }
)
imported = []
for package in packages:
    for module in pkgutil.walk_packages(importlib.import_module(package).__path__, package + "."):
        if not module.name.startswith("config.settings"):
            importlib.import_module(module.name)
            imported.append(module.name)

print(json.dumps({
    "apps": sorted(app.label for app in apps.get_app_configs()),
    "migrations": sorted({app for app, _ in MigrationLoader(None, ignore_no_migrations=True).graph.nodes}),
    "tables": sorted(connection.introspection.django_table_names()),
    "routes": list(routes(get_resolver())),
    "packages": packages,
    "imported": imported,
}))
"""


def probe(env):
    """What a process with these environment variables installs, migrates, routes and imports."""
    result = run_python(["-c", PROBE], env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def production(tmp_path_factory):
    return probe(production_env(tmp_path_factory.mktemp("production")))


def sandbox_routes(facts):
    return [
        route
        for route in facts["routes"]
        if route["namespace"] == SANDBOX
        or route["module"].startswith(SANDBOX)
        or route["route"].startswith("sandbox/")
    ]


def test_production_does_not_install_the_sandbox(production):
    assert "ticketing" in production["apps"]
    assert SANDBOX not in production["apps"]


def test_production_has_no_sandbox_migrations_or_tables(production):
    assert "ticketing" in production["migrations"]
    assert SANDBOX not in production["migrations"]
    assert "ticketing_order" in production["tables"]
    assert not [table for table in production["tables"] if table.startswith(SANDBOX)]


def test_production_has_no_sandbox_urls(production):
    assert any(route["route"].startswith("tickets/") for route in production["routes"])
    assert sandbox_routes(production) == []


def test_the_product_loads_every_module_without_the_sandbox(production):
    # The probe succeeded with the sandbox unimportable, so none of these imported it.
    assert {"ticketing.views", "ticketing.payments.sumup", "home.models", "config.urls"} <= set(
        production["imported"]
    )


def test_no_module_of_the_product_imports_the_sandbox(production):
    """Read, not run: also catches an import inside a function, which loading would miss."""
    offenders = []
    for package in production["packages"]:
        for source in sorted((Path(settings.BASE_DIR) / package.replace(".", "/")).rglob("*.py")):
            for node in ast.walk(ast.parse(source.read_text(), str(source))):
                if imports_sandbox(node):
                    offenders.append(f"{source.relative_to(settings.BASE_DIR)}:{node.lineno}")
    assert offenders == []


def imports_sandbox(node):
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    elif isinstance(node, ast.ImportFrom) and not node.level:
        names = [node.module or ""]
    else:
        return False
    return any(name == SANDBOX or name.startswith(SANDBOX + ".") for name in names)


def test_sandbox_urls_need_the_app_installed_even_with_the_switch_on(tmp_path):
    """SUMUP_SANDBOX=1 under settings without the app (base.py's) mounts nothing and fails nothing."""
    env = production_env(tmp_path, DJANGO_SETTINGS_MODULE="config.settings.base", SUMUP_SANDBOX="1")
    facts = probe(env)
    assert SANDBOX not in facts["apps"]
    assert sandbox_routes(facts) == []


def test_the_test_settings_install_the_sandbox_and_mount_it():
    """The other half: without this the checks above would pass with no sandbox anywhere."""
    assert SANDBOX in settings.INSTALLED_APPS
    assert reverse("sumup_sandbox:checkouts") == "/sandbox/sumup/v0.1/checkouts"


def test_the_production_image_leaves_the_sandbox_out():
    dockerignore = (Path(settings.BASE_DIR) / ".dockerignore").read_text().splitlines()
    assert f"{SANDBOX}/" in dockerignore


def collected(*args):
    """The test ids pytest would run for these arguments (collected only, nothing run)."""
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", *args],
        cwd=settings.BASE_DIR,
        env={**os.environ},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode in (0, 5), result.stdout[-2000:] + result.stderr[-2000:]  # 5: none selected
    return [line for line in result.stdout.splitlines() if "::" in line]


def test_the_sandbox_tests_carry_their_marker_and_the_products_do_not():
    """`-m "not sandbox"` runs the product's tests alone: none of the emulator's, all of ours."""
    assert collected("-m", "sandbox", "tests/sandbox/test_state.py")
    assert collected("-m", "not sandbox", "tests/sandbox/test_state.py") == []
    assert collected("-m", "sandbox", "tests/foundation/test_app_boundaries.py") == []
