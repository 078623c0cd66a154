"""Finding every write of the guarded columns in a module's source (used by the lifecycle test).

`Order.status` belongs to `ticketing.orders`, the `sold` counters and a promo code's `used`
counter to `ticketing.inventory`.
A write is any of: a queryset's `update`/`create`/`bulk_create`/`update_or_create`/`get_or_create`
/`bulk_update`, a `save(update_fields=...)`, an attribute assignment or `setattr`, and raw SQL
that updates or inserts into the tables. `status` is a column of other models too (payments,
refunds, e-mails, events), so a write of `status` counts as the order's unless what is written
can be seen to be another model: its expression or the local variable it came from names that
model (`Payment.objects…`, `payment.refunds…`, `refund`, `event`). Anything the scan cannot
tell is counted as an order's, so a new write must either live in `orders.py` or say clearly
what it writes.
"""

import ast
import re

WRITE_METHODS = {"update", "create", "bulk_create", "update_or_create", "get_or_create", "bulk_update"}
# Models (and the related managers and variable names that stand for them) with a `status` of
# their own. A receiver naming one of these writes that model's status, not an order's.
OTHER_MODELS = {
    "Payment",
    "Refund",
    "BuyerEmail",
    "Event",
    "EventCancellation",
    "DataRequest",
    "ScheduledJob",
    "ReconciliationMismatch",
    "WaitingListEntry",
    "SandboxCheckout",
    "SandboxTransaction",
}
OTHER_NAMES = {
    "payment",
    "payments",
    "refund",
    "refunds",
    "buyer_email",
    "buyer_emails",
    "emails",
    "event",
    "events",
    "cancellation",
    "data_request",
    "chk",
    "checkout",
    "txn",
    "transaction",
    "mismatch",
    "job",
    "entry",
}
NEW_ROWS = {"create", "bulk_create", "get_or_create", "update_or_create"}
ORDER_NAMES = {"Order", "orders", "order"}
ORDER_TABLE = re.compile(r"\b(update|insert\s+into)\s+[\"`]?ticketing_order[\"`]?\s", re.I)
SOLD_TABLES = re.compile(
    r"\bupdate\s+[\"`]?ticketing_(tickettype|event)[\"`]?\s+set\b[^;]*\bsold\b", re.I | re.S
)


def _root(expression: ast.expr) -> ast.expr:
    """The start of a chain: `Order` in `Order.objects.filter(...).select_for_update()`."""
    while True:
        if isinstance(expression, ast.Call):
            expression = expression.func
        elif isinstance(expression, ast.Attribute | ast.Subscript):
            expression = expression.value
        else:
            return expression


def _chain(expression: ast.expr) -> list[str]:
    """The names along a chain, root first: `order.payments.filter(...)` gives
    ["order", "payments", "filter"] (calls' arguments left out)."""
    names = []
    while True:
        if isinstance(expression, ast.Call):
            expression = expression.func
        elif isinstance(expression, ast.Attribute):
            names.append(expression.attr)
            expression = expression.value
        elif isinstance(expression, ast.Subscript):
            expression = expression.value
        else:
            if isinstance(expression, ast.Name):
                names.append(expression.id)
            return names[::-1]


class _Scope:
    """What each local name of a function (or the module) was last assigned: enough to follow
    `rows = Payment.objects.filter(...)` to the model that `rows.update(status=...)` writes."""

    def __init__(self, body_owner: ast.AST, class_name: str | None = None):
        # In a method, `self` and `cls` are the class: a model's own method writes its own rows.
        self.class_name = class_name
        self.assigned: dict[str, list[ast.expr]] = {}
        for node in ast.walk(body_owner):
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        self.assigned.setdefault(target.id, []).append(node.value)
            elif isinstance(node, ast.AnnAssign | ast.NamedExpr) and isinstance(node.target, ast.Name):
                if node.value is not None:
                    self.assigned.setdefault(node.target.id, []).append(node.value)
            elif isinstance(node, ast.For | ast.comprehension) and isinstance(node.target, ast.Name):
                self.assigned.setdefault(node.target.id, []).append(node.iter)
            elif isinstance(node, ast.withitem) and isinstance(node.optional_vars, ast.Name):
                self.assigned.setdefault(node.optional_vars.id, []).append(node.context_expr)
        if isinstance(body_owner, ast.FunctionDef | ast.AsyncFunctionDef):
            for argument in body_owner.args.args + body_owner.args.kwonlyargs:
                if argument.annotation is not None:
                    self.assigned.setdefault(argument.arg, []).append(argument.annotation)

    def is_other_model(self, expression: ast.expr, seen: frozenset = frozenset()) -> bool:
        """Can `expression` be seen to be rows or a row of a model other than Order?"""
        # The last name along the chain that names a model says whose rows these are:
        # `order.payments.filter(...)` is payments, `payment.order` an order.
        for name in reversed(_chain(expression)):
            if name in ORDER_NAMES:
                return False
            if name in OTHER_MODELS or name in OTHER_NAMES:
                return True
        root = _root_name(expression)
        if root in {"self", "cls"} and self.class_name:
            return self.class_name != "Order"
        if root is None or root not in self.assigned:
            return False
        # `rows = rows.exclude(...)` says nothing new about `rows`: the other assignments decide.
        values = [value for value in self.assigned[root] if _root_name(value) not in seen | {root}]
        return bool(values) and all(self.is_other_model(value, seen | {root}) for value in values)


def _root_name(expression: ast.expr) -> str | None:
    root = _root(expression)
    return root.id if isinstance(root, ast.Name) else None


def _names_promo_codes(receiver: ast.expr) -> bool:
    """Does this chain name promo codes (`PromoCode.objects…`, `order.promo_code`, `promo`)?"""
    return any("promo" in name.lower() for name in _chain(receiver))


def _is_new_order(receiver: ast.expr) -> bool:
    """Is this `Order.objects` or a related manager of orders (`event.orders`)?"""
    chain = _chain(receiver)
    return chain[-2:] == ["Order", "objects"] or chain[-1:] == ["orders"]


def _is_setattr_of_guarded(node: ast.AST) -> bool:
    """`setattr(x, "status", ...)` or `setattr(x, "sold", ...)`."""
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "setattr"
        and len(node.args) >= 2
        and isinstance(node.args[1], ast.Constant)
        and node.args[1].value in {"status", "sold"}
    )


def _keywords(call: ast.Call) -> set[str]:
    """The keyword names of a call, those of a literal `**{...}` included."""
    names = {keyword.arg for keyword in call.keywords if keyword.arg}
    for keyword in call.keywords:
        if keyword.arg is None and isinstance(keyword.value, ast.Dict):
            names |= {key.value for key in keyword.value.keys if isinstance(key, ast.Constant)}
    return names


def _string_list(node: ast.expr | None) -> set[str]:
    if isinstance(node, ast.List | ast.Tuple | ast.Set):
        return {item.value for item in node.elts if isinstance(item, ast.Constant)}
    return set()


def _columns_written(call: ast.Call) -> set[str]:
    """Which of the guarded columns this call writes, whatever its receiver."""
    method = call.func.attr
    if method in WRITE_METHODS - {"bulk_update"}:
        written = _keywords(call)
        if method in {"update_or_create", "get_or_create"}:
            # Their plain keywords look a row up; only `defaults` (and `create_defaults`) write.
            written = set()
            for keyword in call.keywords:
                if keyword.arg in {"defaults", "create_defaults"} and isinstance(keyword.value, ast.Dict):
                    written |= {k.value for k in keyword.value.keys if isinstance(k, ast.Constant)}
        return written & {"status", "sold"}
    if method == "bulk_update":
        fields = call.args[1] if len(call.args) > 1 else None
        fields = next((k.value for k in call.keywords if k.arg == "fields"), fields)
        return _string_list(fields) & {"status", "sold"}
    if method == "save":
        fields = next((k.value for k in call.keywords if k.arg == "update_fields"), None)
        return _string_list(fields) & {"status", "sold"}
    return set()


def guarded_writes(source: str) -> list[tuple[int, str]]:
    """(line, column) for every write of `Order.status` or a `sold` counter in `source`."""
    tree = ast.parse(source)
    found = []
    scopes = [tree, *(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef))]
    # The innermost function holding each node decides what its names mean.
    owner_of = {}
    for scope in scopes:
        for node in ast.walk(scope):
            owner_of[id(node)] = scope
    class_of = {
        id(method): node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ClassDef)
        for method in node.body
        if isinstance(method, ast.FunctionDef | ast.AsyncFunctionDef)
    }
    resolved = {id(scope): _Scope(scope, class_of.get(id(scope))) for scope in scopes}

    def write(node, column, target):
        """Record a write of `column` (status or sold) to `target`, unless it is another model's status."""
        scope = resolved[id(owner_of[id(node)])]
        if column == "sold":
            if not (isinstance(target, ast.Name) and target.id == "self"):  # a model refreshing its copy
                found.append((node.lineno, "sold"))
        elif not scope.is_other_model(target):
            found.append((node.lineno, "Order.status"))

    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if (
                node.func.attr in WRITE_METHODS
                and "used" in _keywords(node)
                and _names_promo_codes(node.func.value)
            ):
                found.append((node.lineno, "PromoCode.used"))
            for column in sorted(_columns_written(node)):
                write(node, column, node.func.value)
            if node.func.attr in NEW_ROWS and _is_new_order(node.func.value):
                found.append((node.lineno, "Order.status"))  # a new order is given its first state
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "Order":
            found.append((node.lineno, "Order.status"))
        if _is_setattr_of_guarded(node):
            write(node, node.args[1].value, node.args[0])
        if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
            for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                if (
                    isinstance(target, ast.Attribute)
                    and target.attr == "used"
                    and _names_promo_codes(target.value)
                ):
                    found.append((node.lineno, "PromoCode.used"))
                if isinstance(target, ast.Attribute) and target.attr in {"status", "sold"}:
                    write(node, target.attr, target.value)
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if ORDER_TABLE.search(node.value) and re.search(r"\bstatus\b", node.value, re.I):
                found.append((node.lineno, "Order.status"))
            if SOLD_TABLES.search(node.value):
                found.append((node.lineno, "sold"))
    return sorted(set(found))
