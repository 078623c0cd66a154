"""`core` is what the site's apps share, so it may depend on none of them: an import of `home`,
`ticketing` or `legal` from `core` would make the shared code pull in the apps built on it."""

import ast
from pathlib import Path

import core

APPS_BUILT_ON_CORE = {"home", "ticketing", "legal"}


def imported_modules(source: Path):
    for node in ast.walk(ast.parse(source.read_text(), filename=str(source))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module


def test_core_imports_none_of_the_apps_built_on_it():
    sources = sorted(Path(core.__file__).parent.rglob("*.py"))
    assert any(source.name == "admin.py" for source in sources), "the check reads core's modules"
    wrong = [
        f"{source.relative_to(Path(core.__file__).parent.parent)}: {module}"
        for source in sources
        for module in imported_modules(source)
        if module.split(".")[0] in APPS_BUILT_ON_CORE
    ]
    assert wrong == []
