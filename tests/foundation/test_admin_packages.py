"""The admin packages define screens; they register nothing and decide nothing.

`ticketing/admin/` and `legal/admin/` only define classes: the one place that tells Wagtail
about them is each app's `wagtail_hooks.py`, so no registration depends on which module is
imported first, and no class is patched after it was registered. The rules and the writes are
in services (`ticketing.catalogue`, `payments.refunds`, `payments.reconcile`, `boxoffice`,
`legal.handling`), each tested on its own; an admin screen saves only through a model form.
This reads the source, so a new registration, patch or query write in an admin module fails
here with its file and line.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ADMIN_PACKAGES = ("ticketing/admin", "legal/admin")
REGISTERING = {"register", "modeladmin_register", "register_snippet", "register_admin_viewset"}
QUERY_WRITES = {
    "create",
    "bulk_create",
    "bulk_update",
    "update_or_create",
    "get_or_create",
    "select_for_update",
}


def admin_modules():
    for package in ADMIN_PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            yield path.relative_to(ROOT).as_posix(), path.read_text()


def problems_in(source: str) -> list[str]:
    tree = ast.parse(source)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            chain = ast.unparse(node.func)
            if name in REGISTERING:
                found.append(f"line {node.lineno}: registers ({chain})")
            if name in QUERY_WRITES or (
                name in {"update", "delete"} and (".objects" in chain or ".filter(" in chain)
            ):
                found.append(f"line {node.lineno}: writes rows ({chain})")
    for statement in tree.body:  # module level: changing a class defined elsewhere
        targets = statement.targets if isinstance(statement, ast.Assign) else []
        call = statement.value if isinstance(statement, ast.Expr) else None
        if isinstance(call, ast.Call) and getattr(call.func, "id", "") == "setattr":
            found.append(f"line {statement.lineno}: patches a class (setattr)")
        for target in targets:
            if isinstance(target, ast.Attribute):
                found.append(f"line {statement.lineno}: patches {ast.unparse(target)}")
    return found


def test_admin_modules_register_patch_and_write_nothing():
    found = [f"{path} {problem}" for path, source in admin_modules() for problem in problems_in(source)]
    assert found == []


@pytest.mark.parametrize(
    "source",
    [
        "modeladmin_register(OrderAdmin)",
        "@hooks.register('register_admin_urls')\ndef urls(): return []",
        "OrderAdmin.list_display = ('reference',)",
        "setattr(OrderAdmin, 'inspect_view_enabled', True)",
        "def form_valid(self, form):\n    Order.objects.filter(pk=1).update(name='x')",
        "def post(self):\n    ReconciliationMismatch.objects.filter(pk=1).delete()",
        "def post(self):\n    Refund.objects.create(payment=p)",
    ],
)
def test_each_kind_is_caught(source):
    assert problems_in(source)


def test_the_screens_own_work_passes():
    source = (
        "class V(View):\n"
        "    def get_context_data(self, **kwargs):\n"
        "        context = super().get_context_data(**kwargs)\n"
        "        context.update(total=1)\n"
        "        return context\n"
        "    def form_valid(self, form):\n"
        "        reconcile.resolve_mismatch(self.mismatch, self.request.user, 'refunded')\n"
    )
    assert problems_in(source) == []
