"""The tests' own helpers exist once: one maker of staff users, one way to wait.

Five staff-user makers and three `wait_for`s had grown in different folders, each a little
different (a group here, a password there). `tests/factories.py` holds the one of each
(`make_staff`, `wait_for`); a test that needs something special wraps them. This fails on a
new copy, with the file and line.
"""

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
HOME = "factories.py"
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
