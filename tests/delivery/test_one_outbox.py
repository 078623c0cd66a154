"""Every e-mail to a buyer about an order goes through one outbox, and jobs are defined in one
module per app.

Read from the source: tickets, refund notices and late-payment apologies are all `BuyerEmail`
rows written by `ticketing/outbox.py` and sent (recorded, retried, shown to staff) by
`ticketing/delivery.py`; the behaviour of each kind is proved in test_refund_notices.py and
test_retries.py. These checks fail the day a module builds or sends mail of its own, or
defines a task outside its app's `tasks.py`.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ("ticketing", "home", "legal", "core", "config", "sumup_sandbox")
# Who may build e-mail, and why each is not an order's e-mail to its buyer.
MAIL_WRITERS = {
    "ticketing/delivery.py": "sends every BuyerEmail: tickets, refund notices, apologies",
    "ticketing/find_orders.py": "'Find my tickets' answers an address, not an order (its OrderLookup row)",
    "ticketing/waiting_list.py": "an offer goes to a person in line, before any order (its entry records the e-mail)",
    "ticketing/alerts.py": "alerts to staff",
    "legal/emails.py": "a data request's confirmation link (its DataRequest row)",
}
TASK_MODULES = {"ticketing/tasks.py", "legal/tasks.py"}


def product_sources():
    for app in PRODUCT:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path.relative_to(ROOT).as_posix(), ast.parse(path.read_text())


def mail_imports(tree):
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("django.core.mail"):
            yield node.lineno
        elif isinstance(node, ast.ImportFrom) and node.module == "django.core":
            if any(alias.name == "mail" for alias in node.names):
                yield node.lineno
        elif isinstance(node, ast.Import) and any(a.name.startswith("django.core.mail") for a in node.names):
            yield node.lineno


def buyer_email_rows(tree):
    """Lines that make a BuyerEmail row: `BuyerEmail.objects.create(...)`, `BuyerEmail(...)`, …"""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            called = ast.unparse(node.func)
            if called == "BuyerEmail" or (
                called.startswith("BuyerEmail.objects.")
                and called.rsplit(".", 1)[-1]
                in {"create", "bulk_create", "get_or_create", "update_or_create"}
            ):
                yield node.lineno


def task_definitions(tree):
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for decorator in node.decorator_list:
                called = decorator.func if isinstance(decorator, ast.Call) else decorator
                if ast.unparse(called) in {"task", "django_tasks.task"}:
                    yield node.lineno


def test_only_the_delivery_module_builds_a_buyers_email():
    writers = {path for path, tree in product_sources() if any(mail_imports(tree))}
    assert writers == set(MAIL_WRITERS)


def test_only_the_outbox_promises_a_buyer_an_email():
    rows = [f"{path}:{line}" for path, tree in product_sources() for line in buyer_email_rows(tree)]
    assert rows and all(row.startswith("ticketing/outbox.py:") for row in rows), rows


def test_tasks_are_defined_only_in_each_apps_tasks_module():
    defined = {path for path, tree in product_sources() if any(task_definitions(tree))}
    assert defined == TASK_MODULES


def test_the_checks_find_what_they_look_for():
    source = ast.parse(
        "from django.core.mail import send_mail\n"
        "from django.core import mail\n"
        "BuyerEmail.objects.create(order=o)\n"
        "@task(priority=1)\ndef job(): pass\n"
        "@task\ndef other(): pass\n"
    )
    assert list(mail_imports(source)) == [1, 2]
    assert list(buyer_email_rows(source)) == [3]
    assert sorted(task_definitions(source)) == [5, 7]
