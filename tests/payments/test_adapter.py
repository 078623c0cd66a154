"""The payments adapter: one error type per meaning, and SumUp's SDK used through its public
modules only, from one place.

Read from the source, like the app boundaries: a second `SumUpError` or `Outcome`, two
exceptions sharing a name, an import of the SDK's private `sumup._…` modules, or an SDK import
outside `ticketing/payments/sumup.py` fails here with the file and line.
"""

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ("ticketing", "home", "legal", "core", "config", "sumup_sandbox")
SDK_USER = "ticketing/payments/sumup.py"
# The emulator stands in for SumUp and is tested with the real SDK; nothing else may speak to it.
SDK_ALLOWED = {SDK_USER}


def product_sources():
    for app in PRODUCT:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path.relative_to(ROOT).as_posix(), ast.parse(path.read_text())


def classes_by_name():
    found = defaultdict(list)
    for path, tree in product_sources():
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                found[node.name].append((path, node))
    return found


def is_exception(node: ast.ClassDef) -> bool:
    return any(ast.unparse(base).split(".")[-1].endswith(("Error", "Exception")) for base in node.bases)


def sdk_imports(tree):
    """(line, module) of every import of SumUp's SDK (`sumup`, `sumup.x`)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and not node.level:
            names = [node.module or ""]
        else:
            continue
        for name in names:
            if name == "sumup" or name.startswith("sumup."):
                yield node.lineno, name


def test_sumup_error_and_outcome_each_exist_once():
    classes = classes_by_name()
    assert [path for path, _ in classes["SumUpError"]] == [SDK_USER]
    assert [path for path, _ in classes["Outcome"]] == ["ticketing/payments/confirmation.py"]


def test_no_two_exceptions_share_a_name():
    shared = {
        name: [path for path, _ in places]
        for name, places in classes_by_name().items()
        if len(places) > 1 and any(is_exception(node) for _, node in places)
    }
    assert shared == {}


def test_only_the_client_module_imports_the_sdk_and_only_its_public_modules():
    imports = [(path, line, name) for path, tree in product_sources() for line, name in sdk_imports(tree)]
    assert imports, "the client must import the SDK"
    assert [f"{path}:{line} {name}" for path, line, name in imports if path not in SDK_ALLOWED] == []
    assert [name for _, _, name in imports if any(part.startswith("_") for part in name.split("."))] == []


def test_the_tests_use_the_sdk_through_its_public_modules_too():
    private = []
    for path in sorted((ROOT / "tests").rglob("*.py")):
        for line, name in sdk_imports(ast.parse(path.read_text())):
            if any(part.startswith("_") for part in name.split(".")):
                private.append(f"{path.relative_to(ROOT)}:{line} {name}")
    assert private == []
