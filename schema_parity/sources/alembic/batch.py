"""On SQLite, the operations SQLite cannot ALTER in place run through Alembic's batch ("move and copy") mode.

So PostgreSQL-first migrations such as ``op.create_unique_constraint(...)`` run as written and leave the
constraint in the SQLite schema, where a test database needs it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from alembic.operations import Operations
from alembic.operations import ops as alembic_ops
from alembic.runtime.migration import MigrationContext

from schema_parity.compat import copy_column, proxies_like

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
    if isinstance(operation, alembic_ops.CreateUniqueConstraintOp):
        return True  # an unnamed one gets PostgreSQL's default name (see invoke)
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
        return bool(column.unique or column.primary_key or column.constraints)
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
        _immediate_keys(operation)
        if not _needs_batch(operation):
            return super().invoke(operation)
        table_name, schema = _operation_table(operation)
        if isinstance(operation, alembic_ops.AddColumnOp):
            return _add_column_with_constraints(self, operation, table_name, schema)
        if isinstance(operation, alembic_ops.CreateUniqueConstraintOp) and operation.constraint_name is None:
            # Batch mode needs a name; PostgreSQL would call it <table>_<columns>_key.
            operation.constraint_name = "_".join([table_name, *operation.columns, "key"])
        with self.batch_alter_table(table_name, schema=schema) as batch:
            return batch.invoke(operation)


def _add_column_with_constraints(
    operations: Operations, operation: alembic_ops.AddColumnOp, table_name: str, schema: str | None
) -> None:
    """``add_column(Column(..., unique=True))``: SQLite cannot ADD a UNIQUE column and batch mode needs a name.

    The column is added by a table copy with a named UNIQUE constraint, named as PostgreSQL names the
    constraint that ``ALTER TABLE ... ADD UNIQUE`` creates (``<table>_<column>_key``), so both engines agree.
    """
    column = copy_column(operation.column)
    unique = bool(column.unique)
    column.unique = None
    with operations.batch_alter_table(table_name, schema=schema, recreate="always") as batch:
        batch.add_column(column)
        if unique:
            batch.create_unique_constraint(f"{table_name}_{column.name}_key", [column.name])


def _immediate_keys(operation: alembic_ops.MigrateOperation) -> None:
    """SQLite has no deferrable UNIQUE or PRIMARY KEY (a syntax error): such a key is created immediate there, as
    the engine enforces it anyway. The engine-drift rule SP502 tells the user that the engines now differ."""
    if isinstance(operation, alembic_ops.CreateUniqueConstraintOp):
        operation.kw.pop("deferrable", None)
        operation.kw.pop("initially", None)
    elif isinstance(operation, alembic_ops.CreateTableOp):
        for item in operation.columns:
            if isinstance(item, sa.UniqueConstraint | sa.PrimaryKeyConstraint):
                item.deferrable = item.initially = None
