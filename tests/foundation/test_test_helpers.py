"""The tests' own helpers exist once (one maker of staff users, one way to wait), tests go
through the product's public functions only, and paid orders come from the real verbs.

Five staff-user makers and three `wait_for`s had grown in different folders, each a little
different (a group here, a password there). `tests/factories.py` holds the one of each
(`make_staff`, `wait_for`); a test that needs something special wraps them. This fails on a
new copy, with the file and line.
"""

import ast
import re
from pathlib import Path

from tests.guarded_writes import guarded_writes

TESTS = Path(__file__).resolve().parents[1]
HOME = "factories.py"
# Where the guarded-column scan's own examples live: they are strings, not writes.
SCAN_EXAMPLES = {"guarded_writes.py", "ticketing/test_order_lifecycle.py"}
PAID_STATE = re.compile(r"PAID|REFUNDED|[\"']paid[\"']|[\"'](partially_)?refunded[\"']")
PRODUCT = {"ticketing", "home", "legal", "core", "config", "sumup_sandbox"}
# Making users by hand, or a polling loop written out again.
USER_MAKERS = {"create_user", "create_superuser", "_create_user"}


def polling_loops(tree):
    """Lines of `while` loops that compare against a deadline: a wait written out again."""
    for node in ast.walk(tree):
        if isinstance(node, ast.While) and "monotonic" in ast.unparse(node):
            yield node.lineno


def user_makers(tree):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", None) in USER_MAKERS:
            yield node.lineno


def helper_files():
    for path in sorted(TESTS.rglob("*.py")):
        if path.name != HOME and path != Path(__file__):
            yield path.relative_to(TESTS).as_posix(), ast.parse(path.read_text())


def test_staff_users_are_made_only_by_make_staff():
    found = [f"{path}:{line}" for path, tree in helper_files() for line in user_makers(tree)]
    assert found == []


def test_waiting_is_written_only_in_wait_for():
    # A process's start-up (tests/processes.py) also watches the process die, which wait_for cannot.
    found = [
        f"{path}:{line}"
        for path, tree in helper_files()
        for line in polling_loops(tree)
        if path != "processes.py"
    ]
    assert found == []


def test_the_checks_find_a_copy():
    copy = ast.parse(
        "User.objects.create_superuser('a', 'a@example.com', 'x')\n"
        "deadline = time.monotonic() + 5\n"
        "while time.monotonic() < deadline:\n"
        "    time.sleep(0.1)\n"
    )
    assert list(user_makers(copy)) == [1]
    assert list(polling_loops(copy)) == [3]


def is_private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def private_uses(tree):
    """Lines where a test imports or reaches a private name of a product module."""
    product_modules = set()  # local names bound to a product module
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in PRODUCT:
            if any(is_private(part) for part in node.module.split(".")):
                yield node.lineno
            for alias in node.names:
                if is_private(alias.name):
                    yield node.lineno
                product_modules.add(alias.asname or alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in PRODUCT:
                    if any(is_private(part) for part in alias.name.split(".")):
                        yield node.lineno
                    product_modules.add((alias.asname or alias.name).split(".")[0])
    for node in ast.walk(tree):
        reached = isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
        # Django's own `_meta` and `_state` are public API despite the underscore.
        django_api = reached and node.attr in {"_meta", "_state"}
        if reached and not django_api and node.value.id in product_modules and is_private(node.attr):
            yield node.lineno


def test_no_test_reaches_a_private_function_of_the_product():
    found = [f"{path}:{line}" for path, tree in helper_files() for line in private_uses(tree)]
    assert found == []


def test_the_private_check_finds_each_way_in():
    reaching = ast.parse(
        "from ticketing.orders import _apply\n"
        "from ticketing import orders\n"
        "orders._apply(order, 'expire', 'expired', cause='x')\n"
        "import ticketing.payments._legacy\n"
        "Order._meta.get_field('status')\n"
    )
    assert sorted(set(private_uses(reaching))) == [1, 3, 4]


def test_no_test_makes_a_paid_order_by_hand():
    """A paid order comes from the verbs (`make_paid_order`, the sandbox buyer), so its tickets,
    stock, e-mail and audit line are the real ones; a test may force an unpaid state only."""
    by_hand = []
    for path, _ in helper_files():
        if path in SCAN_EXAMPLES:
            continue
        lines = (TESTS / path).read_text().splitlines()
        for line, column in guarded_writes((TESTS / path).read_text()):
            if column == "Order.status" and PAID_STATE.search(lines[line - 1]):
                by_hand.append(f"{path}:{line}")
    assert by_hand == []
