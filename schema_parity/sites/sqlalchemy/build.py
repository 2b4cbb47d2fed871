"""Rebuilding the upsert as SQLAlchemy objects and compiling it: the statement each dialect would be sent.

The conflict target is rebuilt as real SQLAlchemy objects on a stand-in ``Table`` and compiled by SQLAlchemy itself,
so quoting, naming conventions, ``Index`` objects and the rendering of ``index_where`` (bind parameters on
PostgreSQL, inlined literals on SQLite) are exactly what the application would send. The INSERT head and the SET
list are written here (placeholders ``?``); the inserted column list is left out when it is not known, so that no
rule fires on a guess. SQLAlchemy is imported when the first statement is built, not before: a scan that meets no
SQLAlchemy upsert never pays for it.
"""

from __future__ import annotations

import ast
import operator
import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from schema_parity.catalog import Dialect
from schema_parity.sites.sqlalchemy.names import SQLA_ROOTS, ModuleInfo
from schema_parity.sites.sqlalchemy.tables import CONSTRAINT_KINDS, Resolver, TableDef, Unresolved, is_true

if TYPE_CHECKING:
    import sqlalchemy as sa


@contextmanager
def _as_written(what: str) -> Iterator[None]:
    """Run SQLAlchemy (or a Python operator) on pieces read from the code: when it refuses them (``1 < "a"``, a
    constraint on a column the table does not have, a naming convention with an unknown token), the application
    would fail the same way, so the site is unresolved with that error rather than the scan stopped."""
    from sqlalchemy.exc import SQLAlchemyError

    try:
        yield
    except (SQLAlchemyError, TypeError, AttributeError, KeyError, ValueError) as exc:
        raise Unresolved("cannot-build", what=what, error_type=type(exc).__name__, error=exc) from None


# -- one upsert -------------------------------------------------------------------------------------------------------
@dataclass
class Upsert:
    """The statically known parts of one upsert, before rendering."""

    dialect: Dialect | None
    table: TableDef
    module: ModuleInfo
    action: Literal["update", "nothing"]
    index_elements: ast.expr | None = None
    constraint: ast.expr | None = None
    index_where: ast.expr | None = None
    values: list[str] | None = None
    """Inserted column keys, None when unknown."""
    from_select: bool = False
    set_keys: list[str] = field(default_factory=list)
    positional: list[ast.expr] = field(default_factory=list)


class _Builder:
    """Rebuilds the ON CONFLICT target as SQLAlchemy objects on a stand-in Table and compiles it."""

    def __init__(self, resolver: Resolver, upsert: Upsert) -> None:
        import sqlalchemy as sa

        self.sa = sa
        self.resolver = resolver
        self.upsert = upsert
        definition = upsert.table
        metadata = sa.MetaData(naming_convention=definition.naming_convention or {})
        columns = [
            sa.Column(c.name, sa.Boolean if c.boolean else sa.types.NullType(), key=c.key, primary_key=c.primary_key)
            for c in definition.columns.values()
        ]
        # A named PrimaryKeyConstraint without columns takes the columns marked primary_key, as in __table_args__.
        pk_args = [sa.PrimaryKeyConstraint(name=definition.pk_name)] if definition.pk_name else []
        with _as_written(f"the table {definition.label or definition.name}"):
            self.table = sa.Table(definition.name, metadata, *columns, *pk_args, schema=definition.schema)

    def column(self, key: str, label: str) -> sa.Column[Any]:
        found = self.upsert.table.column(key, label)
        if found.key not in self.table.c:
            self.table.append_column(self.sa.Column(found.name, self.sa.types.NullType(), key=found.key))
        return self.table.c[found.key]

    def target(self, dialect: Dialect) -> str:
        """The text between ``ON CONFLICT`` and ``DO``, as SQLAlchemy compiles it for ``dialect``."""
        from sqlalchemy.dialects import postgresql, sqlite
        from sqlalchemy.dialects.postgresql.base import PGDialect

        upsert = self.upsert
        kwargs: dict[str, Any] = {}
        positional = list(upsert.positional)
        names = (
            ["constraint", "index_elements", "index_where"]
            if dialect == "postgresql"
            else ["index_elements", "index_where"]
        )
        given = {
            "constraint": upsert.constraint,
            "index_elements": upsert.index_elements,
            "index_where": upsert.index_where,
        }
        for name, node in zip(names, positional, strict=False):
            given[name] = node
        if given["constraint"] is not None:
            if dialect == "sqlite":
                raise Unresolved("sqlite-constraint-argument")
            kwargs["constraint"] = self.constraint(given["constraint"])
        elements = given["index_elements"]
        if isinstance(elements, ast.Attribute) and elements.attr == "columns":
            elements = elements.value  # ``t.primary_key.columns``
        if isinstance(elements, ast.Attribute) and elements.attr == "primary_key":
            self.resolver.table(elements.value, upsert.module)  # the same table, or a clear reason
            kwargs["index_elements"] = list(self.table.primary_key.columns)
        elif elements is not None:
            items, module = self.resolver.sequence(elements, upsert.module, "index_elements")
            kwargs["index_elements"] = [self.element(item, module) for item in items]
        if given["index_where"] is not None:
            kwargs["index_where"] = self.expression(given["index_where"], upsert.module)
        if "constraint" in kwargs and "index_elements" in kwargs:
            raise Unresolved("constraint-and-index-elements")
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        engine = PGDialect(paramstyle="qmark") if dialect == "postgresql" else sqlite.dialect()
        first = next(iter(self.table.c), None)
        statement = insert(self.table)
        if first is not None:
            statement = statement.values({first: self.sa.literal_column("0")})
        with (
            warnings.catch_warnings(),  # our stand-in VALUES leaves key columns out: not the user's concern
            _as_written("the ON CONFLICT target"),
        ):
            warnings.simplefilter("ignore", self.sa.exc.SAWarning)
            compiled = str(
                statement.on_conflict_do_nothing(**kwargs).compile(
                    dialect=engine, compile_kwargs={"render_postcompile": True}
                )
            )
        return compiled[compiled.index(" ON CONFLICT") + len(" ON CONFLICT") : compiled.rindex(" DO NOTHING")].strip()

    def constraint(self, node: ast.expr) -> Any:
        """``constraint=``: a name, ``t.primary_key``, or a UniqueConstraint/Index/... object (rebuilt on our Table)."""
        sa = self.sa
        module = self.upsert.module
        label = self.resolver.label(node)
        if isinstance(node, ast.Attribute) and node.attr == "primary_key":
            self.resolver.table(node.value, module)  # the same table, or a clear reason
            return self.table.primary_key
        if isinstance(node, ast.Constant) or (isinstance(node, ast.Name) and self._is_string(node, module)):
            return self.resolver.string(node, module)
        call: ast.expr | None = node
        if isinstance(node, ast.Name):
            binding = module.binding(node)
            if binding is None or not isinstance(binding.node, ast.expr):
                reason = binding.run_time if binding is not None and binding.run_time else "not found"
                raise Unresolved("constraint-at-run-time", label=label, binding=reason)
            call, module = binding.node, binding.module
        kind = module.sqlalchemy_name(call) if isinstance(call, ast.Call) else None
        if kind not in CONSTRAINT_KINDS or not isinstance(call, ast.Call):
            raise Unresolved("constraint-not-static", label=label)
        args = list(call.args)
        keywords = {k.arg: k.value for k in call.keywords if k.arg}
        name = self.resolver.string(keywords["name"], module) if "name" in keywords else None
        if kind == "Index":
            name = self.resolver.string(args.pop(0), module) if args else name
            where = keywords.get("postgresql_where")
            elements = [self.element(a, module) for a in args]
            predicate = self.expression(where, module) if where is not None else None
            with _as_written(f"constraint={label}"):
                index = sa.Index(name, *elements, unique=is_true(keywords.get("unique")), postgresql_where=predicate)
                if not any(isinstance(e, sa.Column) for e in elements):
                    index._set_parent(self.table)  # expression-only Index objects are attached explicitly
            return index
        if kind == "ExcludeConstraint":
            if name is None:
                raise Unresolved("unnamed-exclude-constraint", label=label)
            return name
        columns = [self.element(a, module) for a in args]
        with _as_written(f"constraint={label}"):
            kind_class = sa.UniqueConstraint if kind == "UniqueConstraint" else sa.PrimaryKeyConstraint
            built = kind_class(*columns, name=name)
            self.table.append_constraint(built)
        return built

    def _is_string(self, node: ast.Name, module: ModuleInfo) -> bool:
        try:
            self.resolver.string(node, module)
        except Unresolved:
            return False
        return True

    def element(self, node: ast.expr, module: ModuleInfo) -> Any:
        """One index element: a string, a column reference or an SQL expression."""
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if isinstance(node, ast.Name) and self._is_string(node, module):
            return self.resolver.string(node, module)
        return self.expression(node, module)

    def expression(self, node: ast.expr, module: ModuleInfo) -> Any:
        """An SQL expression written with SQLAlchemy operators, rebuilt with the same operators."""
        sa = self.sa
        label = self.resolver.label(node) if module is self.upsert.module else ast.unparse(node)
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Compare) and len(node.ops) == 1:
            left, right = self.expression(node.left, module), self.expression(node.comparators[0], module)
            operator = _COMPARE.get(type(node.ops[0]))
            if operator is not None:
                with _as_written(label):
                    return operator(left, right)
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.BitAnd, ast.BitOr)):
            left, right = self.expression(node.left, module), self.expression(node.right, module)
            with _as_written(label):
                return sa.and_(left, right) if isinstance(node.op, ast.BitAnd) else sa.or_(left, right)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.Invert, ast.Not)):
            operand = self.expression(node.operand, module)
            with _as_written(label):
                return sa.not_(operand)
        if isinstance(node, ast.Call):
            return self.call(node, module, label)
        if isinstance(node, (ast.Name, ast.Attribute, ast.Subscript)):
            return self.reference(node, module, label)
        raise Unresolved("not-an-expression", label=label)

    def call(self, node: ast.Call, module: ModuleInfo, label: str) -> Any:
        sa = self.sa
        if (
            isinstance(node.func, ast.Attribute)
            and node.func.attr in _METHODS
            and module.sqlalchemy_name(node.func) is None
        ):
            target = self.expression(node.func.value, module)
            arguments = [self.literal_list(a, module) for a in node.args]
            with _as_written(label):
                return getattr(target, _METHODS[node.func.attr])(*arguments)
        qualified = module.qualify(node.func) or ""
        root, _, name = qualified.partition(".")
        name = qualified.rsplit(".", 1)[-1]
        if root in SQLA_ROOTS and name in ("text", "literal_column", "column") and node.args:
            return getattr(sa, name)(self.resolver.string(node.args[0], module))
        if root in SQLA_ROOTS and name in ("and_", "or_", "not_"):
            operands = [self.expression(a, module) for a in node.args]
            with _as_written(label):
                return getattr(sa, name)(*operands)
        if root in SQLA_ROOTS and name in ("true", "false", "null"):
            return getattr(sa, name)()
        function = _func_name(node.func, module)
        if function is not None:
            operands = [self.element_expression(a, module) for a in node.args]
            with _as_written(label):
                return getattr(sa.func, function)(*operands)
        raise Unresolved("call-not-evaluable", label=label)

    def element_expression(self, node: ast.expr, module: ModuleInfo) -> Any:
        """A function argument: a string literal is a value here, not a column name."""
        return self.expression(node, module)

    def literal_list(self, node: ast.expr, module: ModuleInfo) -> Any:
        if isinstance(node, (ast.List, ast.Tuple)):
            return [self.expression(item, module) for item in node.elts]
        return self.expression(node, module)

    def reference(self, node: ast.expr, module: ModuleInfo, label: str) -> Any:
        """``Model.attr``, ``t.c.key``, ``t.c["key"]``, ``Model.__table__.c.key``, a local bound to one of these, or
        a module constant."""
        if (
            isinstance(node, ast.Subscript)
            and isinstance(node.value, ast.Attribute)
            and node.value.attr in ("c", "columns")
        ):
            key, holder = self.resolver.string(node.slice, module), node.value.value
        elif (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Attribute)
            and node.value.attr in ("c", "columns")
        ):
            key, holder = node.attr, node.value.value
        elif isinstance(node, ast.Attribute):
            key, holder = node.attr, node.value
        elif isinstance(node, ast.Name):
            binding = module.binding(node)
            if binding is not None and binding.run_time is not None:
                raise Unresolved("name-at-run-time", label=label, binding=binding.run_time)
            if binding is not None and isinstance(binding.node, ast.expr):
                try:
                    return self.expression(binding.node, binding.module)
                except Unresolved as exc:
                    raise Unresolved("name-computed-because", label=label, reason=exc) from None
            raise Unresolved("name-computed", label=label)
        else:
            raise Unresolved("name-unresolvable", label=label)
        try:
            table = self.resolver.table(holder, module)
        except Unresolved as exc:
            raise Unresolved("column-of-unknown-table", label=label, reason=exc) from None
        if table.name == self.upsert.table.name and table.schema == self.upsert.table.schema:
            return self.column(key, label)
        column = table.column(key, label)
        return self.sa.column(column.name, self.sa.Boolean if column.boolean else None)


def _func_name(node: ast.expr, module: ModuleInfo) -> str | None:
    """``func.lower`` / ``sa.func.lower`` → ``lower``."""
    if isinstance(node, ast.Attribute):
        qualified = module.qualify(node.value)
        if qualified is not None and qualified.split(".")[0] in SQLA_ROOTS and qualified.endswith("func"):
            return node.attr
    return None


_COMPARE: dict[type[ast.cmpop], Any] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
}
#: Column methods accepted in expressions, by spelling → SQLAlchemy's method.
_METHODS = {
    "is_": "is_",
    "is_not": "is_not",
    "isnot": "is_not",
    "in_": "in_",
    "not_in": "not_in",
    "notin_": "not_in",
    "like": "like",
    "ilike": "ilike",
    "is_distinct_from": "is_distinct_from",
}


def render(resolver: Resolver, upsert: Upsert, dialect: Dialect) -> str:
    """The statement in ``dialect``'s syntax: our INSERT head, SQLAlchemy's target, our action."""
    from sqlalchemy.dialects import postgresql, sqlite

    builder = _Builder(resolver, upsert)
    target = builder.target(dialect)
    preparer = (postgresql.dialect() if dialect == "postgresql" else sqlite.dialect()).identifier_preparer
    table = preparer.format_table(builder.table)
    definition = upsert.table
    if upsert.values is None or (not definition.complete and not upsert.from_select):
        head = f"INSERT INTO {table} VALUES (?)"  # the inserted columns are unknown: no NOT NULL judgement
    else:
        keys = list(upsert.values)
        if not upsert.from_select:
            keys += [c.key for c in definition.columns.values() if c.python_default and c.key not in keys]
        names = [
            preparer.quote(definition.column(key, key).name) if definition.complete else preparer.quote(key)
            for key in keys
        ]
        marks = ", ".join("?" for _ in names)
        source = f"SELECT {marks}" if upsert.from_select else f"VALUES ({marks})"
        head = f"INSERT INTO {table} ({', '.join(names)}) {source}" if names else f"INSERT INTO {table} DEFAULT VALUES"
    if upsert.action == "nothing":
        action = "DO NOTHING"
    else:
        assigned = [
            definition.column(key, key).name if key in definition.columns or definition.complete else key
            for key in upsert.set_keys
        ]
        if not assigned:
            assigned = [_stand_in(upsert, target)]
        action = "DO UPDATE SET " + ", ".join(f"{preparer.quote(n)} = excluded.{preparer.quote(n)}" for n in assigned)
    return f"{head} ON CONFLICT {target} {action}" if target else f"{head} ON CONFLICT {action}"


def _stand_in(upsert: Upsert, target: str) -> str:
    """A column for ``SET c = excluded.c`` when ``set_`` is not literal: a target column, else a known column."""
    match = re.match(r'\(\s*("?)([^",()\s]+)\1\s*[,)]', target)
    if match:
        return match.group(2)
    names = [c.name for c in upsert.table.columns.values() if not c.primary_key] + list(upsert.values or [])
    if not names:
        names = [c.name for c in upsert.table.columns.values()]
    if not names:
        raise Unresolved("set-at-run-time")
    return names[0]
