"""SQLite's expression reader finds the end of a CAST's type with the shared ``sql.groups.closing``: a type name that
is a quoted parenthesis (``CAST(a AS '(')``, which SQLite accepts) no longer leaves the verdict unresolved; every
verdict here is the one SQLite gives."""

from __future__ import annotations

import sqlite3

import pytest

from schema_parity.sources.ddl import catalog_from_ddl
from schema_parity.verdicts.dispatch import check


@pytest.mark.parametrize("type_name", ["'('", "')'", '")"', "INT", "VARCHAR(10)", "DECIMAL(10, 2)"])
@pytest.mark.parametrize("target", ["(a)", "(b)"])
def test_an_index_on_a_cast_is_judged_as_sqlite_judges_it(type_name: str, target: str) -> None:
    ddl = f"CREATE TABLE t (a TEXT, b TEXT UNIQUE);\nCREATE UNIQUE INDEX i ON t (CAST(a AS {type_name}));\n"
    statement = f"INSERT INTO t (a) VALUES ('x') ON CONFLICT {target} DO NOTHING"
    db = sqlite3.connect(":memory:")
    db.executescript(ddl)
    try:
        db.execute(statement)
        engine = "ok"
    except sqlite3.OperationalError as exc:
        assert "does not match any PRIMARY KEY or UNIQUE constraint" in str(exc)
        engine = "error"
    finally:
        db.close()
    verdict = check(statement, catalog_from_ddl(ddl, "sqlite"), "sqlite")
    assert verdict.status == engine, verdict.problems
