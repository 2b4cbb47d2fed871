"""Differential tests: the checker's verdict against what the real engines do, on generated schemas and upserts.

Hypothesis draws a schema (keys of every kind, partial and expression indexes, deferrable and exclusion
constraints on PostgreSQL) and one upsert statement; the same case runs on the real engine (SQLite: EXPLAIN then
the statement; PostgreSQL: EXPLAIN then the statement, rolled back) and through the checker, with the schema taken
from two sources: reflection of the engine after the DDL, and the DDL replayed by sqlglot. Any disagreement is a bug.

Examples are derandomized so CI is reproducible; ``SCHEMA_PARITY_EXPLORE=N`` draws N fresh random examples per
engine instead (run it locally to hunt for new disagreements).
"""

from __future__ import annotations

import os
import sqlite3

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings

from schema_parity.catalog import Catalog
from schema_parity.sources.ddl import catalog_from_ddl
from schema_parity.upsert import parse_upsert
from schema_parity.verdicts import Verdict, judge
from tests.engines import EngineResult, pg_scratch, sqlite_catalog, sqlite_run
from tests.strategies import Case, cases

EXPLORE = int(os.environ.get("SCHEMA_PARITY_EXPLORE", "0"))
EXAMPLES = EXPLORE or int(os.environ.get("SCHEMA_PARITY_DIFFERENTIAL_EXAMPLES", "300"))
SETTINGS = settings(
    max_examples=EXAMPLES,
    derandomize=not EXPLORE,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def checker(case: Case, dialect: str, catalog: Catalog) -> Verdict:
    return judge(parse_upsert(case.statement(dialect), dialect), catalog, dialect)


def describe(case: Case, dialect: str, engine: EngineResult, verdicts: dict[str, Verdict]) -> str:
    lines = [*case.ddl(dialect), case.statement(dialect), f"engine: ok={engine.ok} {engine.phase} {engine.message}"]
    for source, verdict in verdicts.items():
        problems = "; ".join(f"{p.rule} {p.message}" for p in verdict.problems)
        lines.append(f"checker[{source}]: {verdict.status} arbiters={verdict.arbiters} {problems}")
    return "\n".join(lines)


def assert_agrees(case: Case, dialect: str, engine: EngineResult, verdicts: dict[str, Verdict]) -> None:
    for verdict in verdicts.values():
        agrees = verdict.status == ("ok" if engine.ok else "error")
        assert agrees, describe(case, dialect, engine, verdicts)
    if engine.ok and engine.arbiters and dialect == "postgresql":
        for verdict in verdicts.values():
            assert set(verdict.arbiters) == set(engine.arbiters), describe(case, dialect, engine, verdicts)


@SETTINGS
@given(cases(dialect="sqlite"))
def test_sqlite_verdicts_agree_with_sqlite(case: Case) -> None:
    ddl, statement = case.ddl("sqlite"), case.statement("sqlite")
    engine = sqlite_run(ddl, statement)
    if not engine.ddl_ok:
        pytest.fail(f"generated DDL rejected by SQLite {sqlite3.sqlite_version}: {engine.message}\n{ddl}")
    verdicts = {
        "reflected": checker(case, "sqlite", sqlite_catalog(ddl)),
        "ddl": checker(case, "sqlite", catalog_from_ddl(";\n".join(ddl), "sqlite")),
    }
    assert_agrees(case, "sqlite", engine, verdicts)


@pytest.mark.postgres
@SETTINGS
@given(case=cases(dialect="postgresql"))
def test_postgresql_verdicts_agree_with_postgresql(pg_cases_engine: sa.Engine, case: Case) -> None:
    ddl, statement = case.ddl("postgresql"), case.statement("postgresql")
    with pg_scratch(pg_cases_engine, ddl) as scratch:
        engine = scratch.run(statement)
        if not engine.ddl_ok:
            pytest.fail(f"generated DDL rejected by PostgreSQL: {engine.message}\n{ddl}")
        reflected = scratch.catalog
    verdicts = {
        "reflected": checker(case, "postgresql", reflected),
        "ddl": checker(case, "postgresql", catalog_from_ddl(";\n".join(ddl), "postgresql")),
    }
    assert_agrees(case, "postgresql", engine, verdicts)
