"""Every use of a private Alembic or SQLAlchemy API, in one place (as Alembic keeps its own in ``util/sqla_compat``).

The runner reaches into Alembic where no public API does what ``alembic upgrade`` itself does (the steps of an
upgrade, installing ``op``); keeping those calls here means a new Alembic or SQLAlchemy release breaks one module,
with tests that name it. Differences between the supported SQLAlchemy major versions are decided here too.
"""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

import sqlalchemy as sa
from alembic.config import Config
from alembic.operations import Operations
from alembic.runtime.migration import RevisionStep
from alembic.script import ScriptDirectory

__all__ = [
    "ALEMBIC_TOML",
    "POSTGRES_DRIVER",
    "SQLALCHEMY_2",
    "adopt_open_transaction",
    "commit",
    "copy_column",
    "copy_column_without_foreign_keys",
    "create_engine",
    "creation_order",
    "inspectable_as",
    "is_unnamed",
    "legacy_execute",
    "op_installed",
    "proxies_like",
    "upgrade_steps",
]

T = TypeVar("T")

#: SQLAlchemy 2.x (1.4 spells several APIs differently).
SQLALCHEMY_2 = int(sa.__version__.split(".")[0]) >= 2

#: Alembic reads its configuration from pyproject.toml (``Config(toml_file=...)``) from 1.16 on.
ALEMBIC_TOML = "toml_file" in inspect.signature(Config.__init__).parameters

#: The driver of the PostgreSQL URLs the tool builds: psycopg 3 (SQLAlchemy 1.4 has only psycopg2's dialect).
POSTGRES_DRIVER = "psycopg" if SQLALCHEMY_2 else "psycopg2"


def upgrade_steps(script: ScriptDirectory, destination: str, current: Any) -> Sequence[RevisionStep]:
    """The steps ``alembic upgrade`` takes from ``current`` to ``destination`` (``ScriptDirectory._upgrade_revs``)."""
    return script._upgrade_revs(destination, current)


def proxies_like(base: type[Any]) -> Callable[[type[T]], type[T]]:
    """Class decorator: a subclass of ``Operations``/``EnvironmentContext`` installs the module proxy of ``base``.

    ``alembic.op`` and ``alembic.context`` are proxies that Alembic registers per class
    (``ModuleClsProxy._setups``); a subclass would install an empty one.
    """

    def share(subclass: type[T]) -> type[T]:
        base._setups[subclass] = base._setups[base]
        return subclass

    return share


@contextlib.contextmanager
def op_installed(operations: Operations) -> Iterator[Operations]:
    """``alembic.op`` bound to ``operations`` while revision scripts run (``Operations._install_proxy``)."""
    operations._install_proxy()
    try:
        yield operations
    finally:
        operations._remove_proxy()


def copy_column(column: sa.Column[Any]) -> sa.Column[Any]:
    """An unattached copy of ``column`` (``Column._copy``, on both major versions; 1.4's public ``copy()`` warns)."""
    return column._copy()


def create_engine(url: str | sa.engine.URL, **options: Any) -> sa.engine.Engine:
    """An engine with the 2.0-style API (``Connection.commit``, autobegin) on both major versions: SQLAlchemy 1.4
    gives it only with ``future=True``, a flag 2.x no longer needs."""
    if not SQLALCHEMY_2:
        options.setdefault("future", True)
    return sa.create_engine(url, **options)


def commit(connection: sa.engine.Connection) -> None:
    """Commit what ``connection`` began: a 2.0-style connection (and SQLAlchemy 1.4's ``future`` one) commits; a 1.4
    legacy connection, such as a project's own engine gives, commits its open transaction (DDL outside one was
    autocommitted)."""
    if hasattr(connection, "commit"):
        connection.commit()
        return
    transaction = connection.get_transaction()
    if transaction is not None:
        transaction.commit()


def copy_column_without_foreign_keys(column: sa.Column[Any]) -> sa.Column[Any]:
    """:func:`copy_column` without the column's ``ForeignKey`` objects (a copy takes those not yet bound to a
    constraint, from ``Column.foreign_keys``)."""
    saved = column.foreign_keys
    column.foreign_keys = set()
    try:
        return copy_column(column)
    finally:
        column.foreign_keys = saved


def creation_order(table: sa.Table) -> list[sa.Constraint]:
    """The table's constraints in the order ``CREATE TABLE`` lists them: the primary key, then the others as
    created (``DDLCompiler.create_table_constraints`` reads ``Table._sorted_constraints``)."""
    rest = [c for c in table._sorted_constraints if c is not table.primary_key]
    return [table.primary_key, *rest]


def is_unnamed(constraint: sa.Constraint) -> bool:
    """The constraint has no name, nor one from a naming convention (``_NONE_NAME``: SQLAlchemy's "no name")."""
    if SQLALCHEMY_2:
        from sqlalchemy.sql.base import _NONE_NAME
    else:  # 1.4 keeps it with the SQL elements
        from sqlalchemy.sql.elements import _NONE_NAME  # type: ignore[attr-defined,no-redef,unused-ignore]

    return constraint.name is None or constraint.name is _NONE_NAME


def inspectable_as(cls: type[Any], target: Callable[[Any], Any]) -> None:
    """``sqlalchemy.inspect(obj)`` of a ``cls`` instance inspects ``target(obj)`` (``inspection._inspects``, the
    registry SQLAlchemy's own Engine and Connection use): a stand-in engine answers ``sa.inspect(engine)``."""
    from sqlalchemy import inspection

    inspection._inspects(cls)(lambda obj: sa.inspect(target(obj)))


@contextlib.contextmanager
def legacy_execute(connection: sa.engine.Connection) -> Iterator[None]:
    """On SQLAlchemy 1.4, ``connection.execute("ANALYZE")`` and ``connection.execute(text(...), name=value)`` work
    while the block runs, as they do on the legacy connection a 1.4 project's ``alembic upgrade`` (or its own
    ``create_all()``) hands its revisions and DDL listeners: the tool's connection is a 2.0-style (``future``) one,
    which takes only SQL constructs and a parameters dictionary. 2.x refuses both everywhere, so nothing changes
    there. (The instance's class is swapped for the block: ``op.get_bind()`` returns this very connection.)"""
    if SQLALCHEMY_2:
        yield
        return
    from sqlalchemy import future

    original = type(connection)
    if not issubclass(original, future.Connection):  # a project's own legacy connection takes them already
        yield
        return

    class _Legacy(original):  # type: ignore[valid-type,misc]
        def execute(self, statement: Any, *args: Any, **kwargs: Any) -> Any:
            if isinstance(statement, str):
                return self.exec_driver_sql(statement, *args, **kwargs)
            named = {k: v for k, v in kwargs.items() if k not in ("parameters", "execution_options")}
            if named and not args:  # 1.4's legacy form: bound parameters as keyword arguments
                options = {k: v for k, v in kwargs.items() if k == "execution_options"}
                return super().execute(statement, {**(kwargs.get("parameters") or {}), **named}, **options)
            return super().execute(statement, *args, **kwargs)

    connection.__class__ = _Legacy
    try:
        yield
    finally:
        connection.__class__ = original


def adopt_open_transaction(context: Any) -> None:
    """Let Alembic's ``autocommit_block()`` commit a transaction the run began rather than Alembic.

    ``MigrationContext.autocommit_block`` commits the transaction Alembic began (``_transaction``) and begins a new
    one after the block; when the connection arrived in a transaction, ``_transaction`` is None and the block
    fails on an ``assert``. The open transaction is handed to Alembic, which then does what ``alembic upgrade``
    does: commit, run the block in autocommit mode, begin again (the caller ends that one)."""
    connection = context.connection
    if connection is None or context.as_sql or getattr(context, "_transaction", None) is not None:
        return  # offline SQL (a mock connection) has no transaction
    transaction = connection.get_transaction()
    if transaction is not None:
        context._transaction = transaction
