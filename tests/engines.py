"""The real engines as oracles: what SQLite and PostgreSQL actually do with a schema and one upsert statement.

SQLite: a fresh in-memory database without a statement cache (a cached EXPLAIN can be stale after DDL), the DDL,
then ``EXPLAIN <stmt>`` (prepare: every target analysis error) and the statement itself on the empty table (step:
NOT NULL violations). PostgreSQL: one transaction per case, rolled back: a fresh schema first on the search_path,
the DDL, ``EXPLAIN <stmt>`` (planning: arbiter inference) and the statement itself (execution: deferrable arbiters,
NOT NULL). Nothing survives a case.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import sqlalchemy as sa

from schema_parity.catalog import Catalog
from schema_parity.sources.reflect import reflect

if TYPE_CHECKING:
    import psycopg


@dataclass(frozen=True)
class EngineResult:
    ok: bool
    ddl_ok: bool = True
    message: str | None = None
    code: str | None = None
    phase: str | None = None
    arbiters: tuple[str, ...] = ()


def sqlite_run(ddl: Sequence[str], statement: str) -> EngineResult:
    conn = sqlite3.connect(":memory:", cached_statements=0)
    try:
        for sql in ddl:
            try:
                conn.execute(sql)
            except sqlite3.Error as exc:
                return EngineResult(ok=False, ddl_ok=False, message=str(exc), phase="ddl")
        try:
            conn.execute(f"EXPLAIN {statement}").fetchall()
        except sqlite3.Error as exc:
            return EngineResult(ok=False, message=str(exc), phase="prepare")
        try:
            conn.execute(statement)
        except sqlite3.Error as exc:
            return EngineResult(ok=False, message=str(exc), phase="step")
        return EngineResult(ok=True)
    finally:
        conn.close()


def pg_run(raw: psycopg.Connection, ddl: Sequence[str], statement: str) -> EngineResult:
    """Run one case inside a transaction on a psycopg connection (not autocommit) and roll everything back."""
    import psycopg

    schema = f"case_{uuid.uuid4().hex[:10]}"
    with raw.cursor() as cur:
        try:
            cur.execute(f"CREATE SCHEMA {schema}")
            cur.execute(f"SET LOCAL search_path TO {schema}")
            for sql in ddl:
                try:
                    cur.execute(sql)
                except psycopg.Error as exc:
                    message = _pg_message(exc)
                    return EngineResult(ok=False, ddl_ok=False, message=message, code=exc.sqlstate, phase="ddl")
            try:
                cur.execute(f"EXPLAIN {statement}")
                plan = [row[0] for row in cur.fetchall()]
            except psycopg.Error as exc:
                return EngineResult(ok=False, message=_pg_message(exc), code=exc.sqlstate, phase="plan")
            arbiters: tuple[str, ...] = ()
            for line in plan:
                if "Conflict Arbiter Indexes:" in line:
                    arbiters = tuple(x.strip() for x in line.split(":", 1)[1].split(","))
            try:
                cur.execute(statement)
            except psycopg.Error as exc:
                return EngineResult(ok=False, message=_pg_message(exc), code=exc.sqlstate, phase="execute")
            return EngineResult(ok=True, arbiters=arbiters)
        finally:
            raw.rollback()


def _pg_message(exc: Exception) -> str:
    diag = getattr(exc, "diag", None)
    primary = getattr(diag, "message_primary", None)
    return primary or str(exc).splitlines()[0]


def sqlite_catalog(ddl: Sequence[str]) -> Catalog:
    """The Catalog SQLite holds after ``ddl`` (a private in-memory database)."""
    engine = sa.create_engine("sqlite://", poolclass=sa.pool.StaticPool)
    try:
        with engine.connect() as conn:
            for statement in ddl:
                conn.exec_driver_sql(statement)
            return reflect(conn)
    finally:
        engine.dispose()


def pg_catalog(engine: sa.Engine, ddl: Sequence[str]) -> Catalog:
    """The Catalog PostgreSQL holds after ``ddl``, in a fresh schema inside a transaction that is rolled back."""
    schema = f"case_{uuid.uuid4().hex[:10]}"
    with engine.connect() as conn:
        try:
            conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
            conn.exec_driver_sql(f"SET LOCAL search_path TO {schema}")
            for statement in ddl:
                conn.exec_driver_sql(statement.replace("%", "%%"))
            return reflect(conn)
        finally:
            conn.rollback()
