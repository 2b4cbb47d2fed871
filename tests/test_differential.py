"""Differential tests: the checker's verdict against what the real engines do, on generated schemas and upserts.

Hypothesis draws a schema (keys of every kind, partial and expression indexes, deferrable and exclusion
constraints on PostgreSQL) and one upsert statement; the same case runs on the real engine (SQLite: EXPLAIN then
the statement; PostgreSQL: EXPLAIN then the statement, rolled back) and through the checker, with the schema taken
from two sources: reflection of the engine after the DDL, and the DDL replayed by sqlglot. They must agree on the
status, on the rule the engine's error stands for (tests/engines.py: ``expected_rule``), and on the arbiters the
engine shows (PostgreSQL's plan; SQLite's prepared program). Any disagreement is a bug.

Two runs per engine:

- the derandomized run (``SCHEMA_PARITY_DIFFERENTIAL_EXAMPLES``, 300 by default): the same examples every time, so
  CI is reproducible; ``SCHEMA_PARITY_EXPLORE=N`` makes it draw N fresh random examples instead (run it locally to
  hunt for new disagreements);
- the exploration run (``SCHEMA_PARITY_EXPLORATION_EXAMPLES``, 25 by default): fresh examples on every run from a
  seed printed in the test output (``exploration seed: N``), so each CI run looks somewhere new while staying
  short. ``SCHEMA_PARITY_SEED=N`` replays a run.
"""

from __future__ import annotations

import dataclasses
import os
import random

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, seed, settings

from schema_parity.catalog import Catalog
from schema_parity.sources.ddl import catalog_from_ddl
from schema_parity.upsert import parse_upsert
from schema_parity.verdicts import Verdict
from schema_parity.verdicts.dispatch import judge
from tests.engines import EngineResult, disagreement, key_label, pg_scratch, sqlite_scratch
from tests.strategies import Case, cases

EXPLORE = int(os.environ.get("SCHEMA_PARITY_EXPLORE", "0"))
EXAMPLES = EXPLORE or int(os.environ.get("SCHEMA_PARITY_DIFFERENTIAL_EXAMPLES", "300"))
EXPLORATION_EXAMPLES = int(os.environ.get("SCHEMA_PARITY_EXPLORATION_EXAMPLES", "25"))
SEED = int(os.environ.get("SCHEMA_PARITY_SEED") or random.SystemRandom().randrange(2**32))
SETTINGS = settings(
    max_examples=EXAMPLES,
    derandomize=not EXPLORE,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
EXPLORATION = settings(SETTINGS, max_examples=EXPLORATION_EXAMPLES, derandomize=False)


def checker(case: Case, dialect: str, catalog: Catalog) -> Verdict:
    return judge(parse_upsert(case.statement(dialect), dialect), catalog, dialect)


def do_nothing(case: Case) -> Case:
    """The case with every action DO NOTHING: the same arbiters, and a program that shows them (SQLite)."""
    return dataclasses.replace(case, clauses=tuple(dataclasses.replace(c, update=False) for c in case.clauses))


def assert_agrees(
    case: Case, dialect: str, engine: EngineResult, catalogs: dict[str, Catalog], *, replay: str | None,
    select_from_ambiguity: bool = False,
) -> None:
    """Every source's verdict agrees with the engine (see tests/engines.py: ``disagreement``)."""
    failures = []
    for source, catalog in catalogs.items():
        verdict = checker(case, dialect, catalog)
        # SQLite checks PRIMARY KEY/UNIQUE constraints (and the rowid) after every CREATE INDEX: a match among
        # them beyond the first is one the engine cannot show.
        unverifiable = [key_label(k) for t in catalog.tables for k in t.keys if k.kind in ("primary_key", "unique")]
        problem = disagreement(dialect, engine, verdict, visible=(case.alias or "t",), unverifiable=unverifiable,
                               select_from_ambiguity=select_from_ambiguity)
        if problem is not None:
            failures.append(f"checker[{source}]: {problem}")
    if failures:
        lines = [*case.ddl(dialect), case.statement(dialect), *failures]
        pytest.fail("\n".join([*lines, *([f"replay: {replay}"] if replay else [])]), pytrace=False)


def check_on_sqlite(case: Case, *, replay: str | None = None) -> None:
    ddl = case.ddl("sqlite")
    with sqlite_scratch(ddl) as scratch:
        engine = scratch.run(case.statement("sqlite"), probe=do_nothing(case).statement("sqlite"))
        if not engine.ddl_ok:
            pytest.fail(f"generated DDL rejected by SQLite: {engine.message}\n{ddl}")
        # INSERT ... SELECT ... FROM src ON CONFLICT: is the error the ambiguity WHERE true removes (SP105)?
        ended = dataclasses.replace(case, source="select_from_where").statement("sqlite")
        ambiguity = not engine.ok and case.source == "select_from" and scratch.run(ended).message != engine.message
        reflected = scratch.catalog
    catalogs = {"reflected": reflected, "ddl": catalog_from_ddl(";\n".join(ddl), "sqlite")}
    assert_agrees(case, "sqlite", engine, catalogs, replay=replay, select_from_ambiguity=ambiguity)


def check_on_postgresql(pg_cases_engine: sa.Engine, case: Case, *, replay: str | None = None) -> None:
    ddl = case.ddl("postgresql")
    with pg_scratch(pg_cases_engine, ddl) as scratch:
        engine = scratch.run(case.statement("postgresql"))
        if not engine.ddl_ok:
            pytest.fail(f"generated DDL rejected by PostgreSQL: {engine.message}\n{ddl}")
        reflected = scratch.catalog
    catalogs = {"reflected": reflected, "ddl": catalog_from_ddl(";\n".join(ddl), "postgresql")}
    assert_agrees(case, "postgresql", engine, catalogs, replay=replay)


@pytest.fixture
def replay(request: pytest.FixtureRequest) -> str:
    """How to replay this exploration: its seed, shown in the terminal and recorded in the report."""
    command = f"SCHEMA_PARITY_SEED={SEED} python -m pytest '{request.node.nodeid}'"
    request.node.user_properties.append(("exploration seed", SEED))
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is not None and capture is not None:
        with capture.global_and_fixture_disabled():
            reporter.write_line(f"exploration seed: {SEED} ({EXPLORATION_EXAMPLES} examples; replay: {command})")
    return command


@SETTINGS
@given(cases(dialect="sqlite"))
def test_sqlite_verdicts_agree_with_sqlite(case: Case) -> None:
    check_on_sqlite(case)


@pytest.mark.postgres
@SETTINGS
@given(case=cases(dialect="postgresql"))
def test_postgresql_verdicts_agree_with_postgresql(pg_cases_engine: sa.Engine, case: Case) -> None:
    check_on_postgresql(pg_cases_engine, case)


@EXPLORATION
@seed(SEED)
@given(case=cases(dialect="sqlite"))
def test_sqlite_exploration(replay: str, case: Case) -> None:
    check_on_sqlite(case, replay=replay)


@pytest.mark.postgres
@EXPLORATION
@seed(SEED)
@given(case=cases(dialect="postgresql"))
def test_postgresql_exploration(pg_cases_engine: sa.Engine, replay: str, case: Case) -> None:
    check_on_postgresql(pg_cases_engine, case, replay=replay)
