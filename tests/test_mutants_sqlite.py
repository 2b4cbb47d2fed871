"""Rows that kill mutants of SQLite's verdict engine (``schema_parity/verdicts/sqlite.py``), decided live.

Each row here is a change to the checker that survived every other test when ``mutmut run`` made it
(docs/development.md, "Mutation testing"), and would change a verdict. A row is a schema and one statement; the
expected answer is never written here: SQLite gives it (an in-memory database: ``EXPLAIN`` prepares the statement,
its program names the arbiters, then it runs in a savepoint that is rolled back), and the checker must agree on the
Catalog reflected from the engine and on the Catalog the DDL replay builds (tests/engines.py: ``disagreement``).
"""

from __future__ import annotations

import pytest

from schema_parity.sources.ddl import catalog_from_ddl
from schema_parity.verdicts import check
from tests.engines import disagreement, key_label, sqlite_scratch

TABLE = "CREATE TABLE t (id INTEGER, a INTEGER, b TEXT, c INTEGER)"


def unique(elements: str, where: str | None = None) -> tuple[str, ...]:
    """The table with one unique index on ``elements`` (partial when ``where`` is given)."""
    return (TABLE, f"CREATE UNIQUE INDEX ux ON t ({elements}){f' WHERE {where}' if where else ''}")


def upsert(target: str, where: str | None = None) -> str:
    return f"INSERT INTO t AS t (id) VALUES (1) ON CONFLICT ({target}){f' WHERE {where}' if where else ''} DO NOTHING"


ROWS: dict[str, tuple[tuple[str, ...], str]] = {
}


@pytest.mark.parametrize("row", list(ROWS))
def test_checker_agrees_with_sqlite(row: str) -> None:
    ddl, statement = ROWS[row]
    with sqlite_scratch(ddl) as scratch:
        assert scratch.ddl_error is None, scratch.ddl_error
        engine = scratch.run(statement)
        catalogs = {"reflected": scratch.catalog, "ddl": catalog_from_ddl(";\n".join(ddl), "sqlite")}
    failures = []
    for source, catalog in catalogs.items():
        # A PRIMARY KEY/UNIQUE constraint after the first match is one the engine cannot show (tests/engines.py).
        unverifiable = [key_label(k) for t in catalog.tables for k in t.keys if k.kind in ("primary_key", "unique")]
        problem = disagreement("sqlite", engine, check(statement, catalog, "sqlite"), unverifiable=unverifiable)
        if problem is not None:
            failures.append(f"checker[{source}]: {problem}")
    assert not failures, "\n".join([*ddl, statement, *failures])
