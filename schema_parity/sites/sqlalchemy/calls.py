"""Finding the upserts in one module: ``.on_conflict_*`` calls traced back to their INSERT, and wrapper calls.

Nothing is executed: the receiver of ``.on_conflict_do_update``/``.on_conflict_do_nothing`` is followed back through
chained methods and variables to a dialect ``insert(...)`` call (``sqlalchemy.dialects.postgresql``/``sqlite``), and
a call of a configured wrapper gives its table and conflict target by argument. A piece that cannot be known
statically makes the site unresolved with a reason naming the expression; a non-literal ``.values()`` or ``set_`` is
left out. Sites are located at the ``.on_conflict_*`` call (the attribute name), or at the wrapper call.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Sequence
from typing import Any, Literal

from schema_parity.catalog import DIALECTS, Dialect
from schema_parity.sites import Origin, Site
from schema_parity.sites.sqlalchemy.build import Upsert, render
from schema_parity.sites.sqlalchemy.names import MAX_DEPTH, ModuleInfo
from schema_parity.sites.sqlalchemy.tables import Resolver, Unresolved
from schema_parity.wrappers import Wrapper

_ON_CONFLICT = frozenset({"on_conflict_do_update", "on_conflict_do_nothing"})
#: Chain methods that return the same INSERT and do not change what ON CONFLICT targets.
_PASS_THROUGH = frozenset(
    {"returning", "with_dialect_options", "prefix_with", "execution_options", "inline", "return_defaults"}
)


# -- finding the calls ------------------------------------------------------------------------------------------------
def sqlalchemy_sites(
    tree: ast.Module,
    source: str,
    path: str,
    *,
    module: ModuleInfo,
    revision: str | None,
    wrappers: Sequence[Wrapper] = (),
) -> list[Site]:
    """Every ``.on_conflict_*`` call on a dialect INSERT, and every call of a configured wrapper, in one module."""
    resolver = Resolver(module, source)
    sites: list[Site] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        if isinstance(node.func, ast.Attribute) and node.func.attr in _ON_CONFLICT:
            line, column = node.func.end_lineno or node.lineno, _column(source, node.func)
            sites.extend(_sqlalchemy_site(resolver, node, path, (line, column), revision))
        elif wrappers:
            for wrapper in _matching_wrappers(module, node, wrappers):  # one per engine when configured so
                sites.extend(_wrapper_site(resolver, node, wrapper, path, revision))
    return sites


def _column(source: str, attribute: ast.Attribute) -> int:
    """1-based character column of the method name in ``x.on_conflict_do_update``."""
    line = source.split("\n")[(attribute.end_lineno or 1) - 1]
    end = len(line.encode()[: attribute.end_col_offset or 0].decode(errors="replace"))
    return end - len(attribute.attr) + 1


def _sqlalchemy_site(
    resolver: Resolver, call: ast.Call, path: str, position: tuple[int, int], revision: str | None
) -> Iterator[Site]:
    columns_unknown: str | None = None

    def site(
        origin: Origin, sql: str | None, dialect: Dialect | None, reason: str | None = None, key: str | None = None
    ) -> Site:
        return Site(
            path, *position, origin, sql, dialect, revision, reason, columns_unknown if sql else None, reason=key
        )

    assert isinstance(call.func, ast.Attribute)
    action: Literal["update", "nothing"] = "update" if call.func.attr == "on_conflict_do_update" else "nothing"
    try:
        upsert = _trace(resolver, call, action)
    except Unresolved as exc:
        yield site("sqlalchemy", None, exc.dialect, str(exc), exc.key)
        return
    if upsert.values is not None and not upsert.from_select:
        columns_unknown = run_time_columns(resolver, call)
        if columns_unknown is not None:
            upsert.values = None
    yield from _render_sites(resolver, upsert, site, "sqlalchemy")


#: Methods that run a statement; a second positional argument, ``params=``/``parameters=`` or ``*``/``**`` passes
#: parameters, whose keys SQLAlchemy adds to the INSERT's column list.
_EXECUTORS = frozenset({"execute", "scalars", "scalar", "stream", "stream_scalars", "executemany", "exec_"})
_PARAMETER_KEYWORDS = frozenset({"params", "parameters", "multiparams"})


def run_time_columns(resolver: Resolver, call: ast.Call) -> str | None:
    """Why the columns the upsert ``call`` inserts may include keys known only at run time, or None.

    SQLAlchemy adds the keys of the parameters given at execution (``session.execute(stmt, [dicts])``) to the column
    list of ``.values(...)``, so the literal keys are then only part of it. Every use of the statement is followed
    (through its variable, in its function): executed without parameters, or not used at all, the keys are the
    column list; executed with parameters, returned, yielded, stored or handed to another function (which may
    execute it with parameters), they are not.
    """
    module = resolver.module
    pending: list[ast.expr] = [call]
    seen: set[int] = set()
    while pending:
        node = pending.pop()
        if id(node) in seen:
            continue
        if len(seen) > 64:
            return "the statement is used in more places than the scanner follows"
        seen.add(id(node))
        top: ast.expr = node
        while True:  # the rest of a method chain on the statement: .returning(...), .values(...), ...
            parent = module.parent(top)
            holder = module.parent(parent) if isinstance(parent, ast.Attribute) else None
            if isinstance(parent, ast.Attribute) and not (isinstance(holder, ast.Call) and holder.func is parent):
                top = parent  # ``stmt.excluded.x``, ``stmt.table``: read, not run
                break
            if not (isinstance(parent, ast.Attribute) and isinstance(holder, ast.Call) and holder.func is parent):
                break
            if parent.attr == "compile":
                top = parent  # compiled to text: not run here
                break
            if parent.attr == "values" and node is not call:
                return f"more values are given later, at {resolver.label(holder)}"
            if parent.attr not in _PASS_THROUGH and parent.attr not in (
                "values",
                "on_conflict_do_update",
                "on_conflict_do_nothing",
            ):
                return f"{resolver.label(holder)} uses the statement in a way not followed statically"
            top = holder
        parent = module.parent(top)
        if isinstance(top, ast.Attribute) and top is not node:
            continue
        if isinstance(parent, ast.Await):
            top, parent = parent, module.parent(parent)
        if isinstance(parent, ast.Expr):
            continue  # built and dropped, or awaited
        if isinstance(parent, ast.Call) and parent.args and parent.args[0] is top:
            name = parent.func.attr if isinstance(parent.func, ast.Attribute) else None
            if name in _EXECUTORS:
                if len(parent.args) > 1 or any(k.arg is None or k.arg in _PARAMETER_KEYWORDS for k in parent.keywords):
                    given = [resolver.label(a) for a in parent.args[1:]] + [
                        f"{k.arg}={resolver.label(k.value)}" if k.arg else f"**{resolver.label(k.value)}"
                        for k in parent.keywords
                        if k.arg is None or k.arg in _PARAMETER_KEYWORDS
                    ]
                    return (
                        f"{resolver.label(parent.func)}(..., {', '.join(given)}) passes parameters at run time, whose "
                        "keys SQLAlchemy adds to the inserted columns"
                    )
                continue
        if isinstance(parent, (ast.Assign, ast.AnnAssign)) and parent.value is top:
            targets = parent.targets if isinstance(parent, ast.Assign) else [parent.target]
            if len(targets) == 1 and isinstance(targets[0], ast.Name):
                uses = _uses(module, targets[0].id, top)
                if uses is None:
                    return f"the statement {targets[0].id} is used outside the function that builds it"
                pending.extend(uses)
                continue
        if isinstance(parent, ast.NamedExpr) and parent.value is top:
            uses = _uses(module, parent.target.id, top)
            if uses is not None:
                pending.append(parent)
                pending.extend(uses)
                continue
        return _escape(resolver, top, parent)
    return None


def _escape(resolver: Resolver, node: ast.expr, parent: ast.AST | None) -> str:
    """Why a statement that leaves what the scanner follows may be executed with parameters."""
    if isinstance(parent, ast.Return):
        return "the statement is returned: where it runs, parameters may add inserted columns"
    if isinstance(parent, (ast.Yield, ast.YieldFrom)):
        return "the statement is yielded: where it runs, parameters may add inserted columns"
    if isinstance(parent, (ast.Call, ast.keyword)):
        holder = resolver.module.parent(parent) if isinstance(parent, ast.keyword) else parent
        label = resolver.label(holder) if holder is not None else "a call"
        return f"the statement is passed to {label}, which may execute it with parameters that add inserted columns"
    return "the statement is stored or handed on where the scanner does not follow it; parameters may add columns"


def _uses(module: ModuleInfo, name: str, value: ast.expr) -> list[ast.expr] | None:
    """The loads of ``name`` in the function of ``value`` that may see the binding ``name = value``: every load after
    it, up to a later assignment of the name in the same block (over-approximated across branches, never missed).
    None at module level or when a nested function reads it (followed no further)."""
    function = module.function_of(value)
    if function is None:
        return None
    statement: ast.AST | None = value
    while statement is not None and not isinstance(statement, ast.stmt):
        statement = module.parent(statement)
    assert statement is not None
    start = (statement.end_lineno or 0, statement.end_col_offset or 0)
    end = (1 << 30, 0)
    loop: ast.AST | None = statement
    while loop is not None and loop is not function:
        if isinstance(loop, (ast.For, ast.AsyncFor, ast.While)):
            start = min(start, (loop.lineno, loop.col_offset))  # a load earlier in the loop runs in the next turn
        loop = module.parent(loop)
    if start < (statement.lineno, statement.col_offset):
        return _loads(module, function, name, start, end)
    block = module.parent(statement)
    for field in ("body", "orelse", "finalbody", "handlers"):
        siblings = getattr(block, field, None)
        if isinstance(siblings, list) and statement in siblings:
            for later in siblings[siblings.index(statement) + 1 :]:
                if (
                    isinstance(later, (ast.Assign, ast.AnnAssign))
                    and any(
                        isinstance(t, ast.Name) and t.id == name
                        for t in (later.targets if isinstance(later, ast.Assign) else [later.target])
                    )
                    and not any(
                        isinstance(n, ast.Name) and n.id == name
                        for n in ast.walk(later.value or later)
                        if n is not None and isinstance(getattr(n, "ctx", None), ast.Load)
                    )
                ):
                    end = (later.lineno, later.col_offset)
                    break
    return _loads(module, function, name, start, end)


def _loads(
    module: ModuleInfo,
    function: ast.FunctionDef | ast.AsyncFunctionDef,
    name: str,
    start: tuple[int, int],
    end: tuple[int, int],
) -> list[ast.expr] | None:
    uses: list[ast.expr] = []
    for node in ast.walk(function):
        if (
            isinstance(node, ast.Name)
            and node.id == name
            and isinstance(node.ctx, ast.Load)
            and start <= (node.lineno, node.col_offset) < end
        ):
            if module.function_of(node) is not function:
                return None
            uses.append(node)
    return uses


def _render_sites(resolver: Resolver, upsert: Upsert, site: Any, origin: Origin) -> Iterator[Site]:
    """One site per dialect the statement is for; one shared site when both engines would get the same text."""
    dialects = [upsert.dialect] if upsert.dialect is not None else list(DIALECTS)
    rendered: dict[Dialect, tuple[str | None, str | None, str | None]] = {}  # (sql, reason, its key)
    for dialect in dialects:
        try:
            rendered[dialect] = (render(resolver, upsert, dialect), None, None)
        except Unresolved as exc:
            rendered[dialect] = (None, str(exc), exc.key)
    if upsert.dialect is None and len(set(rendered.values())) == 1:
        sql, reason, key = rendered[dialects[0]]
        yield site(origin, sql, None, reason, key)
        return
    for dialect, (sql, reason, key) in rendered.items():
        yield site(origin, sql, dialect, reason, key)


def _trace(resolver: Resolver, call: ast.Call, action: Literal["update", "nothing"]) -> Upsert:
    """Follow the receiver of ``.on_conflict_*`` back to the dialect ``insert(...)`` call, through chained methods
    and variables; the ``.values()`` after it (in the same chain) count too."""
    module = resolver.module
    keywords = {k.arg: k.value for k in call.keywords if k.arg}
    given: list[list[str] | None] = _after_values(resolver, call)
    from_select = False
    node: ast.expr = call.func.value  # type: ignore[attr-defined]
    for _ in range(MAX_DEPTH * 4):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            method, receiver = node.func.attr, node.func.value
            if method == "values":
                given.append(_values_keys(resolver, node))
                node = receiver
                continue
            if method == "from_select":
                from_select = True
                given.append(_select_names(node))
                node = receiver
                continue
            if method in _PASS_THROUGH:
                node = receiver
                continue
        if isinstance(node, ast.Call):
            dialect = _insert_dialect(node, module)
            if dialect is None:
                raise Unresolved("not-a-dialect-insert", label=resolver.label(node))
            if dialect == "generic":
                raise Unresolved("generic-insert", label=resolver.label(node))
            if not node.args:
                raise Unresolved("insert-names-no-table", label=resolver.label(node))
            try:
                if any(k.arg is None for k in call.keywords):
                    raise Unresolved("arguments-spread", method=call.func.attr)  # type: ignore[attr-defined]
                table = resolver.table(node.args[0], module)
            except Unresolved as exc:
                exc.dialect = dialect
                raise
            if len(node.args) > 1:
                given.append(_values_keys(resolver, node, skip=1))
            return Upsert(
                dialect,
                table,
                module,
                action,
                keywords.get("index_elements"),
                keywords.get("constraint"),
                keywords.get("index_where"),
                _merge(given),
                from_select,
                _set_keys(resolver, keywords.get("set_")),
                list(call.args),
            )
        if isinstance(node, ast.Name):
            binding = module.lookup(node.id, node)
            if binding is not None and binding.run_time is not None:
                raise Unresolved("statement-at-run-time", name=node.id, binding=binding.run_time)
            if binding is None or not isinstance(binding.node, ast.expr) or binding.module is not module:
                raise Unresolved("statement-untraced", label=node.id)
            node = binding.node
            continue
        raise Unresolved("statement-untraced", label=resolver.label(node))
    raise Unresolved("statement-too-many-steps")


def _insert_dialect(call: ast.Call, module: ModuleInfo) -> Dialect | Literal["generic"] | None:
    """The dialect of an ``insert(...)`` call: ``sqlalchemy.dialects.postgresql.insert`` → postgresql; ``generic``
    for ``sqlalchemy.insert``; None when it is not SQLAlchemy's."""
    qualified = _follow_alias(module, call.func)
    if not qualified.startswith("sqlalchemy") or qualified.rsplit(".", 1)[-1] not in ("insert", "Insert"):
        return None
    for dialect in DIALECTS:
        if f".dialects.{dialect}" in qualified:
            return dialect
    return "generic"


def _follow_alias(module: ModuleInfo, node: ast.expr) -> str:
    """The dotted name ``node`` stands for, through module-level aliases (``insert = postgresql.insert``) and project
    modules that re-export a name (``from app.db import insert``), here or in the module it is imported from."""
    for _ in range(MAX_DEPTH):
        qualified = module.qualify(node)
        if qualified is not None and qualified.startswith("sqlalchemy"):
            return qualified
        if qualified is not None:
            binding = module.resolve(qualified)
        elif isinstance(node, ast.Name):
            binding = module.lookup(node.id, node)
        else:
            return ""
        if binding is None:
            return qualified or ""
        if binding.qualified is not None and binding.qualified.startswith("sqlalchemy"):
            return binding.qualified
        if not isinstance(binding.node, (ast.Name, ast.Attribute)):
            return qualified or ""
        module, node = binding.module, binding.node
    return ""


def _after_values(resolver: Resolver, call: ast.Call) -> list[list[str] | None]:
    """``.on_conflict_do_update(...).values(...)``: values given later in the same chain."""
    given: list[list[str] | None] = []
    current: ast.AST = call
    while True:
        parent = resolver.module.parent(current)
        if not isinstance(parent, ast.Attribute):
            return given
        holder = resolver.module.parent(parent)
        if not isinstance(holder, ast.Call) or holder.func is not parent:
            return given
        if parent.attr == "values":
            given.append(_values_keys(resolver, holder))
        current = holder


def _merge(given: list[list[str] | None]) -> list[str] | None:
    """The inserted column keys of all ``.values()`` calls; None (unknown) when there is none or one is not literal:
    without ``.values()`` the columns are the keys of the parameters passed at execution."""
    if not given or any(keys is None for keys in given):
        return None
    merged: list[str] = []
    for keys in given:
        merged += [key for key in keys or () if key not in merged]
    return merged


def _values_keys(resolver: Resolver, call: ast.Call, skip: int = 0) -> list[str] | None:
    """Column keys of ``.values(a=1)`` / ``.values({"a": 1})`` / ``.values([{"a": 1}, ...])``; None if not literal."""
    keys: list[str] = []
    for keyword in call.keywords:
        if keyword.arg is None:
            return None
        keys.append(keyword.arg)
    for arg in call.args[skip:]:
        row = arg.elts[0] if isinstance(arg, (ast.List, ast.Tuple)) and arg.elts else arg  # SQLAlchemy reads row 1
        if not isinstance(row, ast.Dict):
            return None
        for key in row.keys:
            name = _key_name(resolver, key)
            if name is None:
                return None
            keys.append(name)
    return keys


def _key_name(resolver: Resolver, key: ast.expr | None) -> str | None:
    """A dict key naming a column: ``"a"``, ``Model.a``, ``t.c.a``."""
    if isinstance(key, ast.Constant) and isinstance(key.value, str):
        return key.value
    if isinstance(key, ast.Attribute):
        return key.attr
    if isinstance(key, ast.Subscript) and isinstance(key.slice, ast.Constant) and isinstance(key.slice.value, str):
        return key.slice.value  # ``t.c["key"]``
    return None


def _select_names(call: ast.Call) -> list[str] | None:
    names = call.args[0] if call.args else None
    if isinstance(names, (ast.List, ast.Tuple)) and all(
        isinstance(e, ast.Constant) and isinstance(e.value, str) for e in names.elts
    ):
        return [e.value for e in names.elts]  # type: ignore[attr-defined]
    return None


def _set_keys(resolver: Resolver, node: ast.expr | None) -> list[str]:
    """The literal keys of ``set_={...}``; keys computed at run time are left out (they cannot be judged)."""
    if not isinstance(node, ast.Dict):
        return []
    return [name for key in node.keys if key is not None and (name := _key_name(resolver, key)) is not None]


# -- wrappers ---------------------------------------------------------------------------------------------------------
def _matching_wrappers(module: ModuleInfo, call: ast.Call, wrappers: Sequence[Wrapper]) -> list[Wrapper]:
    """The wrapper entries this call calls (one per engine when the configuration gives one per engine): by imported
    name, alias or ``module.function``, defined in this module, or a method: ``self.name(...)`` inside the class the
    entry names, or any ``obj.name(...)`` whose object is not a module when the entry says ``method = true``."""
    if not isinstance(call.func, (ast.Name, ast.Attribute)):
        return []
    qualified = module.qualify(call.func)
    if qualified is None and isinstance(call.func, ast.Name):
        defined = module.bindings.get(call.func.id)
        if defined is not None and defined.node is not None:
            qualified = f"{module.dotted}.{call.func.id}"
    candidates = [qualified] if qualified is not None else []
    if qualified is None and isinstance(call.func, ast.Attribute):
        candidates = _method_paths(module, call.func)
    for path in candidates:
        found = [w for w in wrappers if path == w.function or path.endswith("." + w.function)]
        if found:
            return found
    if isinstance(call.func, ast.Attribute) and module.qualify(call.func) is None:
        return [w for w in wrappers if w.method and w.short_name == call.func.attr]
    return []


def _method_paths(module: ModuleInfo, attribute: ast.Attribute) -> list[str]:
    """``self.save(...)``/``cls.save(...)`` inside ``class Repo`` → ``module.Repo.save``, then the same for each base
    class of the tree (a method inherited from a generic ``Base``); ``Repo(...).save(...)`` likewise."""
    owner = _method_class(module, attribute)
    if owner is None:
        return []
    where = module
    if not (isinstance(attribute.value, ast.Name) and attribute.value.id in ("self", "cls")):
        receiver = attribute.value.func if isinstance(attribute.value, ast.Call) else attribute.value
        binding = module.binding(receiver)
        where = binding.module if binding is not None else module
    paths: list[str] = []
    queue: list[tuple[ast.ClassDef, ModuleInfo]] = [(owner, where)]
    while queue and len(paths) < MAX_DEPTH * 4:
        current, defined_in = queue.pop(0)
        paths.append(f"{defined_in.dotted}.{current.name}.{attribute.attr}")
        for written in current.bases:
            base = written.value if isinstance(written, ast.Subscript) else written
            found = defined_in.binding(base) if isinstance(base, (ast.Name, ast.Attribute)) else None
            if found is not None and isinstance(found.node, ast.ClassDef):
                queue.append((found.node, found.module))
    return paths


def _method_class(module: ModuleInfo, attribute: ast.Attribute) -> ast.ClassDef | None:
    """The class whose method ``attribute`` names, when known statically: the enclosing class for ``self``/``cls``,
    the class of ``Repo(...).save``."""
    receiver = attribute.value
    if isinstance(receiver, ast.Name) and receiver.id in ("self", "cls"):
        current = module.parent(attribute)
        while current is not None and not isinstance(current, ast.ClassDef):
            current = module.parent(current)
        return current
    if isinstance(receiver, ast.Call) and isinstance(receiver.func, (ast.Name, ast.Attribute)):
        binding = module.binding(receiver.func)  # ``Repo(...).save``: not ``Repo.save(obj, ...)``, shifted by one
        if binding is not None and isinstance(binding.node, ast.ClassDef):
            return binding.node
    return None


def _wrapper_site(
    resolver: Resolver, call: ast.Call, wrapper: Wrapper, path: str, revision: str | None
) -> Iterator[Site]:
    line, column = call.lineno, call.col_offset + 1

    def site(
        origin: Origin, sql: str | None, dialect: Dialect | None, reason: str | None = None, key: str | None = None
    ) -> Site:
        # wrappers list no columns
        return Site(path, line, column, origin, sql, dialect, revision, unresolved=reason, reason=key)

    try:
        arguments = _bind(resolver, call, wrapper)
        if isinstance(wrapper.table, str) and wrapper.table.startswith("self."):
            model, where = _receiver_attribute(resolver, call, wrapper, wrapper.table.removeprefix("self."))
            table = resolver.table(model, where)
        elif arguments.get("table") is None:
            raise Unresolved("wrapper-no-table", function=wrapper.function, table=wrapper.table)
        else:
            table = resolver.table(arguments["table"], resolver.module)  # type: ignore[arg-type]
        elements, constraint = arguments.get("index_elements"), arguments.get("constraint")
        if elements is None and constraint is None and wrapper.default_target is not None:
            elements = _default_target(wrapper, table)
        upsert = Upsert(
            wrapper.dialect,
            table,
            resolver.module,
            wrapper.action,
            elements,
            constraint,
            arguments.get("index_where"),
            None,
        )
    except Unresolved as exc:
        yield site("wrapper", None, wrapper.dialect, str(exc), exc.key)
        return
    yield from _render_sites(resolver, upsert, site, "wrapper")


def _bind(resolver: Resolver, call: ast.Call, wrapper: Wrapper) -> dict[str, ast.expr | None]:
    """The call's argument for each of the wrapper's roles; the wrapper's def (when in the tree) maps names to
    positions."""
    starred = next((i for i, a in enumerate(call.args) if isinstance(a, ast.Starred)), len(call.args))
    spread = any(k.arg is None for k in call.keywords)
    parameters = _parameters(resolver, call)
    keyword_only = _keyword_only(resolver, call) if starred < len(call.args) else []
    keywords = {k.arg: k.value for k in call.keywords if k.arg}
    bound: dict[str, ast.expr | None] = {}
    for role in ("table", "index_elements", "constraint", "index_where"):
        spec = getattr(wrapper, role)
        if spec is None or (role == "table" and isinstance(spec, str) and spec.startswith("self.")):
            continue
        position = spec if isinstance(spec, int) else (parameters.index(spec) if spec in parameters else None)
        name = spec if isinstance(spec, str) else (parameters[spec] if spec < len(parameters) else None)
        value = keywords.get(name) if name is not None else None
        if value is None and position is not None and position < starred:
            value = call.args[position]
        carried = starred < len(call.args) and (position is None or position >= starred) and name not in keyword_only
        if value is None and (spread or carried):
            # ``*rows`` or ``**options`` may carry it: known at run time (a literal keyword is read whatever else)
            raise Unresolved("wrapper-arguments-spread", function=wrapper.function, role=role)
        bound[role] = value
    return bound


def _receiver_attribute(resolver: Resolver, call: ast.Call, wrapper: Wrapper, attribute: str) -> tuple[Any, Any]:
    """``table = "self.model"``: the class attribute ``model`` of the object the wrapper method is called on (the
    enclosing class for ``self.upsert(...)``, ``Repo`` for ``Repo(...).upsert(...)``, its bases too), with the
    module that defines it."""
    owner = _method_class(resolver.module, call.func) if isinstance(call.func, ast.Attribute) else None
    if owner is None:
        raise Unresolved("wrapper-receiver-unknown", function=wrapper.function, attribute=attribute)
    module = resolver.module
    queue = [(owner, module)]
    for _ in range(MAX_DEPTH * 4):
        if not queue:
            break
        current, where = queue.pop(0)
        for statement in current.body:
            if isinstance(statement, ast.Assign):
                value, targets = statement.value, statement.targets
            elif isinstance(statement, ast.AnnAssign) and statement.value is not None:
                value, targets = statement.value, [statement.target]
            else:
                continue
            if any(isinstance(t, ast.Name) and t.id == attribute for t in targets):
                return value, where
        for written in current.bases:
            base = written.value if isinstance(written, ast.Subscript) else written  # ``Repo[User]``
            binding = where.binding(base) if isinstance(base, (ast.Name, ast.Attribute)) else None
            if binding is not None and isinstance(binding.node, ast.ClassDef):
                queue.append((binding.node, binding.module))
    raise Unresolved("class-attribute-not-set", attribute=attribute, owner=owner.name)


def _default_target(wrapper: Wrapper, table: Any) -> ast.expr:
    """The target a wrapper uses when the call gives none: the table's primary key, or the configured columns."""
    if wrapper.default_target == "primary-key":
        names = [c.name for c in table.columns.values() if c.primary_key]
        if not names or not table.complete:
            raise Unresolved("primary-key-unknown", table=table.name, function=wrapper.function)
    else:
        names = list(wrapper.default_target or ())
    return ast.List([ast.Constant(name) for name in names], ast.Load())


def _parameters(resolver: Resolver, call: ast.Call) -> list[str]:
    """The positional parameter names of the called wrapper when its def is in the scanned tree (self dropped)."""
    definition = _definition(resolver, call)
    if definition is None:
        return []
    names = [a.arg for a in [*definition.args.posonlyargs, *definition.args.args]]
    return names[1:] if names and names[0] in ("self", "cls") else names


def _keyword_only(resolver: Resolver, call: ast.Call) -> list[str]:
    """The wrapper's keyword-only parameters (after ``*rows``): a ``*rows`` argument never fills them."""
    definition = _definition(resolver, call)
    return [a.arg for a in definition.args.kwonlyargs] if definition is not None else []


def _definition(resolver: Resolver, call: ast.Call) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    """The called wrapper's def when it is in the scanned tree (a method: in the class of ``self``/``Repo(...)`` or
    one of its bases)."""
    binding = resolver.module.binding(call.func) if isinstance(call.func, (ast.Name, ast.Attribute)) else None
    if binding is None and isinstance(call.func, ast.Name):
        binding = resolver.module.lookup(call.func.id, call)
    definition = binding.node if binding is not None else None
    if definition is None and isinstance(call.func, ast.Attribute):
        attribute = call.func.attr
        owner = _method_class(resolver.module, call.func)
        queue = [(owner, resolver.module)] if owner is not None else []
        for _ in range(MAX_DEPTH * 4):
            if not queue or definition is not None:
                break
            current, where = queue.pop(0)
            definition = next(
                (
                    statement
                    for statement in current.body
                    if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)) and statement.name == attribute
                ),
                None,
            )
            for written in current.bases:
                base = written.value if isinstance(written, ast.Subscript) else written
                found = where.binding(base) if isinstance(base, (ast.Name, ast.Attribute)) else None
                if found is not None and isinstance(found.node, ast.ClassDef):
                    queue.append((found.node, found.module))
    return definition if isinstance(definition, (ast.FunctionDef, ast.AsyncFunctionDef)) else None
