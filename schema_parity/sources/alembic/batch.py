"""On SQLite, a PostgreSQL-first history runs as written and builds what PostgreSQL builds.

* The operations SQLite cannot ALTER in place run through Alembic's batch ("move and copy") mode, so
  ``op.create_unique_constraint(...)`` leaves the constraint in the SQLite schema, where a test database needs it.
* A PRIMARY KEY, UNIQUE, FOREIGN KEY or CHECK constraint created without a name (and not named by the project's
  naming convention) gets the name PostgreSQL gives it (``postgres_names``): a later revision that drops it by that name
  runs on SQLite too.
* Dropping a column drops the indexes and constraints that use it, as PostgreSQL does (SQLite refuses the drop).
* A deferrable UNIQUE or PRIMARY KEY is created immediate (SQLite cannot declare one).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterator
from typing import Any

import sqlalchemy as sa
from alembic.operations import BatchOperations, Operations
from alembic.operations import ops as alembic_ops
from alembic.runtime.migration import MigrationContext

from schema_parity.compat import (
    copy_column,
    copy_column_without_foreign_keys,
    creation_order,
    is_unnamed,
    proxies_like,
)
from schema_parity.sources.alembic.postgres_names import (
    choose_check_name,
    choose_constraint_name,
    choose_relation_name,
)

__all__ = ["ParityOperations"]


def _operation_table(operation: alembic_ops.MigrateOperation) -> tuple[str, str | None]:
    """The table an ALTER-style operation changes (a foreign key names it ``source_table``)."""
    if isinstance(operation, alembic_ops.CreateForeignKeyOp):
        return operation.source_table, operation.kw.get("source_schema")
    return operation.table_name, getattr(operation, "schema", None)  # type: ignore[attr-defined]


def _needs_batch(operation: alembic_ops.MigrateOperation) -> bool:
    """The operations SQLite cannot ALTER in place (Alembic raises NotImplementedError or SQLite a syntax error)."""
    if isinstance(operation, alembic_ops.DropConstraintOp):
        # Batch mode can only find a constraint by name: an unnamed one keeps Alembic's own NotImplementedError,
        # which real migrations catch to skip the step on SQLite.
        return operation.constraint_name is not None
    if isinstance(operation, alembic_ops.AddConstraintOp):  # every subclass has a constraint_name
        return getattr(operation, "constraint_name", None) is not None
    if isinstance(operation, alembic_ops.AlterColumnOp):
        # A rename alone is native (RENAME COLUMN); type, nullability and default changes need a copy.
        return (
            operation.modify_type is not None
            or operation.modify_nullable is not None
            or operation.modify_server_default is not False
        )
    if isinstance(operation, alembic_ops.AddColumnOp):
        column = operation.column
        return bool(column.unique or column.primary_key or column.constraints or column.foreign_keys)
    return False


@proxies_like(Operations)
class ParityOperations(Operations):
    """``op`` for the revision scripts: tells ``on_invoke`` each operation it runs, and on SQLite routes through batch
    mode what SQLite cannot ALTER in place.

    A subclass, so Alembic's module proxy (``op.create_table`` calls ``invoke`` on this object) and its batch
    contexts work unchanged.
    """

    def __init__(self, context: MigrationContext, on_invoke: Callable[[alembic_ops.MigrateOperation], None]) -> None:
        super().__init__(context)
        self.on_invoke = on_invoke

    def invoke(self, operation: alembic_ops.MigrateOperation) -> Any:
        self.on_invoke(operation)
        if self.migration_context.dialect.name != "sqlite":
            return super().invoke(operation)
        return self.on_sqlite(operation)

    def on_sqlite(self, operation: alembic_ops.MigrateOperation) -> Any:
        """Run ``operation`` on SQLite as PostgreSQL would (the steps of one operation are not reported apart)."""
        if isinstance(operation, alembic_ops.CreateTableOp):
            return _create_table(self, operation)
        _immediate_keys(operation)
        if isinstance(operation, alembic_ops.DropColumnOp):
            return _drop_column(self, operation)
        if isinstance(operation, alembic_ops.AddColumnOp) and _needs_batch(operation):
            return _add_column_with_constraints(self, operation)
        if isinstance(operation, alembic_ops.AddConstraintOp):
            _name_added_constraint(self, operation)
        if not _needs_batch(operation):
            return super().invoke(operation)
        table_name, schema = _operation_table(operation)
        if isinstance(operation, alembic_ops.AlterColumnOp) and operation.modify_name is not None:
            # Renamed natively first, so the indexes kept across the table copy name the column as it is now.
            super().invoke(alembic_ops.AlterColumnOp(table_name, operation.column_name, schema=schema,
                                                     modify_name=operation.modify_name))  # fmt: skip
            operation.column_name, operation.modify_name = operation.modify_name, None
        with _table_copy(self, table_name, schema) as batch:
            return batch.invoke(operation)


# -- names ----------------------------------------------------------------------------------------------------
def _create_table(operations: Operations, operation: alembic_ops.CreateTableOp) -> sa.Table:
    """``op.create_table`` as Alembic runs it, its unnamed keys named as PostgreSQL names them."""
    table = operation.to_table(operations.migration_context)
    _merge_duplicate_keys(table)
    _name_table_keys(operations.migration_context.connection, table)
    for constraint in table.constraints:  # SQLite has no deferrable key (see _immediate_keys)
        if isinstance(constraint, sa.UniqueConstraint | sa.PrimaryKeyConstraint):
            constraint.deferrable = constraint.initially = None
    if_not_exists = getattr(operation, "if_not_exists", None)  # Alembic 1.13.3 and later
    kw = {"if_not_exists": if_not_exists} if if_not_exists is not None else {}
    operations.impl.create_table(table, **kw)
    return table


def _merge_duplicate_keys(table: sa.Table) -> None:
    """PostgreSQL's CREATE TABLE makes one index of keys that are the same (columns in order, deferrability,
    options): the first is kept (the primary key before the others) and takes a later one's name when it has
    none (``transformIndexConstraints``). SQLite would keep a UNIQUE beside the same PRIMARY KEY."""
    kept: list[sa.schema.ColumnCollectionConstraint] = []
    for constraint in creation_order(table):
        if not isinstance(constraint, sa.PrimaryKeyConstraint | sa.UniqueConstraint) or not constraint.columns:
            continue
        same = next((k for k in kept if _same_key(k, constraint)), None)
        if same is None:
            kept.append(constraint)
            continue
        if is_unnamed(same) and not is_unnamed(constraint):
            same.name = constraint.name
        table.constraints.discard(constraint)


def _same_key(a: sa.schema.ColumnCollectionConstraint, b: sa.schema.ColumnCollectionConstraint) -> bool:
    return (
        [c.name for c in a.columns] == [c.name for c in b.columns]
        and (a.deferrable, a.initially) == (b.deferrable, b.initially)
        and a.dialect_kwargs == b.dialect_kwargs
    )


def _name_table_keys(connection: sa.Connection | None, table: sa.Table) -> None:
    """PostgreSQL names a new table's keys in the order CREATE TABLE lists them (the primary key first), each
    seeing the names chosen before it; the foreign keys afterwards (they are added by ALTER TABLE)."""
    constraints = creation_order(table)
    checks = _unnamed_checks(table)
    if connection is None or not (checks or any(is_unnamed(c) for c in constraints)):
        return
    relations = _SchemaNames(connection, table.schema, relations=True)
    constraint_names = _SchemaNames(connection, table.schema, relations=False)
    relations.add(table.name)
    for check in checks:  # named while the table is created, before its keys' indexes
        check.name = _check_name(connection, table.name, check, constraint_names)
        constraint_names.add(check.name)
    for constraint in constraints:
        if not isinstance(constraint, sa.PrimaryKeyConstraint | sa.UniqueConstraint) or not is_unnamed(constraint):
            continue
        if not constraint.columns:  # a table without a primary key
            continue
        if isinstance(constraint, sa.PrimaryKeyConstraint):
            constraint.name = choose_relation_name(table.name, None, "pkey", relations)
        else:
            constraint.name = choose_relation_name(table.name, [c.name for c in constraint.columns], "key", relations)
        relations.add(constraint.name)
        constraint_names.add(constraint.name)
    for constraint in constraints:
        if isinstance(constraint, sa.ForeignKeyConstraint) and is_unnamed(constraint):
            columns = [element.parent.name for element in constraint.elements]
            constraint.name = choose_constraint_name(table.name, columns, "fkey", constraint_names)
            constraint_names.add(constraint.name)


def _name_added_constraint(operations: Operations, operation: alembic_ops.AddConstraintOp) -> None:
    """``op.create_unique_constraint(None, ...)``, ``create_primary_key`` and ``create_foreign_key``: the name
    ``ALTER TABLE ... ADD`` gets on PostgreSQL (batch mode needs one), unless the naming convention gives one."""
    named = (
        alembic_ops.CreateUniqueConstraintOp,
        alembic_ops.CreatePrimaryKeyOp,
        alembic_ops.CreateForeignKeyOp,
        alembic_ops.CreateCheckConstraintOp,
    )
    if not isinstance(operation, named) or operation.constraint_name is not None:
        return
    context = operations.migration_context
    constraint = operation.to_constraint(context)
    if not is_unnamed(constraint):  # the naming convention names it on both engines
        operation.constraint_name = constraint.name
        return
    if context.connection is None:
        return
    table_name, schema = _operation_table(operation)
    relations = _SchemaNames(context.connection, schema, relations=True)
    constraint_names = _SchemaNames(context.connection, schema, relations=False)
    if isinstance(operation, alembic_ops.CreateCheckConstraintOp):
        assert isinstance(constraint, sa.CheckConstraint)
        operation.constraint_name = _check_name(context.connection, table_name, constraint, constraint_names)
    elif isinstance(operation, alembic_ops.CreatePrimaryKeyOp):
        operation.constraint_name = choose_relation_name(table_name, None, "pkey", relations)
    elif isinstance(operation, alembic_ops.CreateUniqueConstraintOp):
        operation.constraint_name = choose_relation_name(table_name, list(operation.columns), "key", relations)
    else:
        operation.constraint_name = choose_constraint_name(
            table_name, list(operation.local_cols), "fkey", constraint_names
        )


def _unnamed_checks(table: sa.Table) -> list[sa.CheckConstraint]:
    """The table's CHECK constraints without a name, in the order CREATE TABLE lists them (the columns' own, then
    the table's). Those a type adds (``Boolean``/``Enum`` with ``create_constraint``) come last: PostgreSQL's
    native boolean has none, so they must not take a name from the others; they are named all the same, as a table
    copy (batch mode) leaves out every unnamed CHECK it reflects."""
    column_checks = [c for column in table.columns for c in column.constraints if isinstance(c, sa.CheckConstraint)]
    table_checks = [c for c in creation_order(table) if isinstance(c, sa.CheckConstraint)]
    unnamed = [c for c in column_checks + table_checks if is_unnamed(c)]
    return sorted(unnamed, key=lambda c: bool(getattr(c, "_type_bound", False)))


def _check_name(connection: sa.Connection, table: str, check: sa.CheckConstraint, taken: _SchemaNames) -> str:
    """PostgreSQL's name for an unnamed CHECK: ``<table>_<column>_check`` when the expression uses one column
    (however often), else ``<table>_check``."""
    return choose_check_name(table, _only_column(connection, check), taken)


def _only_column(connection: sa.Connection, check: sa.CheckConstraint) -> str | None:
    """The one column a CHECK expression uses, as PostgreSQL folds its name, or None (several, none, or an
    expression that cannot be read: PostgreSQL's table-level name is then the guess). sqlglot is imported here, the
    one place that needs it: a migration without unnamed CHECKs does not pay for the import."""
    import sqlglot
    from sqlglot import exp
    from sqlglot.errors import ParseError, TokenError

    text = str(check.sqltext.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True}))
    try:
        tree = sqlglot.parse_one(text, read="postgres")
    except (ParseError, TokenError):
        return None
    names = {column.this.name if column.this.quoted else column.name.lower()
             for column in tree.find_all(exp.Column)}  # fmt: skip
    return names.pop() if len(names) == 1 else None


class _SchemaNames:
    """The names of a SQLite schema that PostgreSQL's name choice avoids, asked one candidate at a time: for a
    UNIQUE or PRIMARY KEY constraint every relation (table, view, index) and constraint, for a FOREIGN KEY every
    constraint. A candidate is looked up, not the whole schema parsed: a long history creates many tables."""

    def __init__(self, connection: sa.Connection, schema: str | None, *, relations: bool) -> None:
        self.connection = connection
        self.master = _master(connection, schema)
        self.relations = relations
        self.chosen: set[str] = set()

    def __contains__(self, name: object) -> bool:
        assert isinstance(name, str)
        if name in self.chosen:
            return True
        # One query: the relation of that name (when relations count), and the tables whose CREATE TABLE holds the
        # name, where a constraint of that name would be (quoted, when it holds a quote character).
        needle = name if not any(q in name for q in '"`]') else ""
        relation = "type IN ('table', 'view', 'index') AND name = ?" if self.relations else "0 AND ?"
        rows = _read(
            self.connection,
            f"SELECT type, sql, {relation} FROM {self.master} WHERE ({relation}) "
            "OR (type = 'table' AND instr(sql, ?) > 0)",
            (name, name, needle),
        )
        return any(
            is_relation or (kind == "table" and name in _constraint_names(sql)) for kind, sql, is_relation in rows
        )

    def add(self, name: str) -> None:
        self.chosen.add(name)


def _constraint_names(create_table: str) -> set[str]:
    """The names of a CREATE TABLE's named constraints: every one is introduced by ``CONSTRAINT <name>``."""
    tokens = _tokens(create_table)
    return {_unquote(tokens[i + 1]) for i, token in enumerate(tokens[:-1]) if token.upper() == "CONSTRAINT"}


# -- dropping a column ----------------------------------------------------------------------------------------
def _drop_column(operations: Operations, operation: alembic_ops.DropColumnOp) -> None:
    """``ALTER TABLE ... DROP COLUMN`` as PostgreSQL runs it: the indexes that use the column (as an element, in an
    expression or in a partial index's predicate) are dropped, and so are the PRIMARY KEY, UNIQUE and FOREIGN KEY
    constraints it belongs to (by a table copy, which leaves out a constraint whose columns are gone)."""
    connection = operations.migration_context.connection
    table, schema, column = operation.table_name, operation.schema, operation.column_name
    if connection is None:  # offline SQL: nothing to look at
        return Operations.invoke(operations, operation)
    for name, sql in _explicit_indexes(connection, table, schema):
        if _index_uses(sql, column):
            connection.exec_driver_sql(f"DROP INDEX {_qualified(connection, name, schema)}")
    if not _in_constraint(connection, table, column, schema):
        return Operations.invoke(operations, operation)
    with _table_copy(operations, table, schema) as batch:
        batch.drop_column(column)
    return None


def _in_constraint(connection: sa.Connection, table: str, column: str, schema: str | None) -> bool:
    """Whether ``column`` belongs to the table's PRIMARY KEY, a UNIQUE constraint or a FOREIGN KEY."""
    prefix = f"{_quote(connection, schema)}." if schema else ""
    quoted = _quote(connection, table)
    folded = column.casefold()
    if any(row[1].casefold() == folded and row[5] for row in connection.exec_driver_sql(
            f"PRAGMA {prefix}table_info({quoted})")):  # fmt: skip
        return True
    if any(row[3].casefold() == folded for row in connection.exec_driver_sql(
            f"PRAGMA {prefix}foreign_key_list({quoted})")):  # fmt: skip
        return True
    for row in connection.exec_driver_sql(f"PRAGMA {prefix}index_list({quoted})").fetchall():
        if row[3] in ("u", "pk"):
            info = connection.exec_driver_sql(f"PRAGMA {prefix}index_info({_quote(connection, row[1])})")
            if any(part[2] is not None and part[2].casefold() == folded for part in info):
                return True
    return False


def _index_uses(create_index: str, column: str) -> bool:
    """Whether a CREATE INDEX names ``column`` after ``ON <table>``: as an element, in an expression, or in the
    WHERE clause (a name followed by ``(`` is a function)."""
    tokens = _tokens(create_index)
    start = next(i for i, token in enumerate(tokens) if token.upper() == "ON") + 2
    folded = column.casefold()
    return any(
        _unquote(token).casefold() == folded and (i + 1 == len(tokens) or tokens[i + 1] != "(")
        for i, token in enumerate(tokens[start:], start)
        if not token.startswith("'")
    )


# -- table copies ---------------------------------------------------------------------------------------------
@contextlib.contextmanager
def _table_copy(operations: Operations, table: str, schema: str | None) -> Iterator[BatchOperations]:
    """Batch mode on ``table``, its CREATE INDEX statements kept: batch mode rebuilds an index from reflection,
    which loses expressions and a partial index's predicate; here each is dropped first and re-created as written
    after the copy."""
    connection = operations.migration_context.connection
    if connection is None or schema is not None:  # offline, or an attached database: Alembic's copy as it is
        with operations.batch_alter_table(table, schema=schema) as batch:
            yield batch
        return
    kept = _explicit_indexes(connection, table, schema)
    for name, _ in kept:
        connection.exec_driver_sql(f"DROP INDEX {_qualified(connection, name, schema)}")
    with operations.batch_alter_table(table, schema=schema) as batch:
        yield batch
    for _, sql in kept:
        connection.exec_driver_sql(sql)


def _explicit_indexes(connection: sa.Connection, table: str, schema: str | None) -> list[tuple[str, str]]:
    """(name, CREATE INDEX) of the table's indexes made by CREATE INDEX (a constraint's own index has no SQL)."""
    rows = _read(
        connection,
        f"SELECT name, sql FROM {_master(connection, schema)} WHERE type = 'index' AND tbl_name = ? "
        "AND sql IS NOT NULL ORDER BY rowid",
        (table,),
    )
    return [(name, sql) for name, sql in rows]


def _read(connection: sa.Connection, sql: str, parameters: tuple[str, ...]) -> list[Any]:
    """The rows of a read-only look-up in SQLite's schema, on the driver's cursor: these run for every table a
    history creates or copies, and SQLAlchemy's result machinery cost more than the query (benchmarks/migrate.py).
    The statement changes nothing, so SQLAlchemy's transaction state and events have nothing to see."""
    cursor = connection.connection.cursor()
    try:
        cursor.execute(sql, parameters)
        return list(cursor.fetchall())
    finally:
        cursor.close()


def _add_column_with_constraints(operations: ParityOperations, operation: alembic_ops.AddColumnOp) -> None:
    """``add_column(Column(..., unique=True))`` or with a ``ForeignKey``: SQLite cannot ADD such a constraint, and
    batch mode needs a name.

    The column is added by a table copy, then what Alembic adds after it on PostgreSQL: its index, and each
    constraint (``ALTER TABLE ... ADD UNIQUE / FOREIGN KEY``) named as PostgreSQL names it (or by the naming
    convention).
    """
    table_name, schema = operation.table_name, operation.schema
    with_keys = operations.schema_obj.table(table_name, copy_column(operation.column), schema=schema)
    column = copy_column_without_foreign_keys(operation.column)
    column.unique = column.index = None
    connection = operations.migration_context.connection
    checks = [c for c in column.constraints if isinstance(c, sa.CheckConstraint) and is_unnamed(c)]
    if checks and connection is not None:  # ADD COLUMN ... CHECK: named as CREATE TABLE names it
        constraint_names = _SchemaNames(connection, schema, relations=False)
        for check in checks:
            check.name = _check_name(connection, table_name, check, constraint_names)
            constraint_names.add(check.name)
    with _table_copy(operations, table_name, schema) as batch:
        batch.add_column(column)
    for index in with_keys.indexes:  # Column(index=True): Alembic creates it after the column
        operations.on_sqlite(alembic_ops.CreateIndexOp.from_index(index))
    for constraint in creation_order(with_keys):
        if isinstance(constraint, sa.UniqueConstraint):
            name = None if is_unnamed(constraint) else constraint.name
            operations.on_sqlite(alembic_ops.CreateUniqueConstraintOp(
                name, table_name, [c.name for c in constraint.columns], schema=schema))  # fmt: skip
        elif isinstance(constraint, sa.ForeignKeyConstraint):
            operations.on_sqlite(alembic_ops.CreateForeignKeyOp.from_constraint(constraint))


def _immediate_keys(operation: alembic_ops.MigrateOperation) -> None:
    """SQLite has no deferrable UNIQUE or PRIMARY KEY (a syntax error): such a key is created immediate there, as
    the engine enforces it anyway (``create_table``'s keys in ``_create_table``). The engine-drift rule SP502 tells
    the user that the engines now differ."""
    if isinstance(operation, alembic_ops.CreateUniqueConstraintOp):
        operation.kw.pop("deferrable", None)
        operation.kw.pop("initially", None)


# -- SQLite's text ---------------------------------------------------------------------------------------------
#: Compiled on first use (``re``'s own cache keeps it): most migrations never read SQLite's text.
_TOKEN = r"""--[^\n]*|/\*.*?\*/|'(?:[^']|'')*'|"(?:[^"]|"")*"|`(?:[^`]|``)*`|\[[^\]]*\]|\d[\w.]*|[^\W\d][\w$]*|\S"""


def _tokens(sql: str) -> list[str]:
    """SQLite's tokens of ``sql``, comments left out (a string literal stays one token, quotes included)."""
    return [t for t in re.findall(_TOKEN, sql, re.DOTALL) if not t.startswith(("--", "/*"))]


def _unquote(token: str) -> str:
    if token[:1] in ('"', "`"):
        return token[1:-1].replace(token[0] * 2, token[0])
    if token[:1] == "[":
        return token[1:-1]
    return token


def _quote(connection: sa.Connection, name: str) -> str:
    return connection.dialect.identifier_preparer.quote_identifier(name)


def _qualified(connection: sa.Connection, name: str, schema: str | None) -> str:
    return f"{_quote(connection, schema)}.{_quote(connection, name)}" if schema else _quote(connection, name)


def _master(connection: sa.Connection, schema: str | None) -> str:
    return _qualified(connection, "sqlite_master", schema)
