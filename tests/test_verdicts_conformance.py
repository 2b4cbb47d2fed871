"""Every verified case of tests/data/semantics_cases.jsonl, judged statically, must agree with the recorded verdict.

Each case's schema is built on the real engine and reflected (``schema_parity.sources.reflect``): SQLite in a fresh
in-memory database, PostgreSQL in a schema of its own inside one transaction that is rolled back. The recorded verdict
is the expectation, except for the cases listed below with the reason why a static checker must differ.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from schema_parity.verdicts import Verdict
from schema_parity.verdicts.dispatch import check
from tests.engines import pg_catalog, sqlite_catalog
from tests.semantics_cases import load_cases

CASES = load_cases()

#: Failures that depend on the data, so no static checker can (or should) predict them: expected "ok".
DATA_DEPENDENT: dict[tuple[str, str], str] = {
    ("rt-non-arbiter-violation", "postgresql"): "23505 needs an existing row that conflicts on a non-arbiter key",
    ("rt-non-arbiter-violation", "sqlite"): "UNIQUE failure needs an existing row on a non-arbiter key",
    ("rt-notnull-not-arbiter", "postgresql"): "23502 comes from an explicit NULL value, not from the schema",
    ("rt-notnull-not-arbiter", "sqlite"): "NOT NULL failure comes from an explicit NULL value, not from the schema",
}
#: The engine accepts only because no row is proposed; every real execution fails, so the checker reports it.
STATIC_ERROR: dict[tuple[str, str], str] = {
    ("defer-target-zero-rows", "postgresql"): "55000 is raised on the first proposed row; this SELECT yields none",
}
#: The Catalog does not carry what the engine's rule needs: the checker says "unresolved", never guesses.
UNRESOLVED: dict[tuple[str, str], str] = {
    ("sl-view", "postgresql"): "auto-updatable view: the base table is not in the Catalog",
    ("sl-view-notarget", "postgresql"): "auto-updatable view: the base table is not in the Catalog",
    ("pg-view-renamed-col", "postgresql"): "auto-updatable view: the base table is not in the Catalog",
    ("pg-view-instead-trigger", "postgresql"): "view with INSTEAD OF trigger: triggers are not in the Catalog",
    ("sl-view-instead-trigger-plain", "sqlite"): "plain INSERT into a view: INSTEAD OF triggers are not in the Catalog",
}
#: Cases the current reflector cannot build the Catalog for.
REFLECT_GAPS: dict[tuple[str, str], str] = {
    ("schema-attached", "sqlite"): "reflect() reads the main database only, not ATTACHed ones",
}


def _params() -> Iterator[Any]:
    for case in CASES:
        for dialect, statement in (("postgresql", "statement_postgres"), ("sqlite", "statement_sqlite")):
            if case[statement] is None:
                continue
            key = (case["id"], dialect)
            marks = [pytest.mark.postgres] if dialect == "postgresql" else []
            if key in REFLECT_GAPS:
                marks.append(pytest.mark.xfail(strict=True, reason=REFLECT_GAPS[key]))
            yield pytest.param(case, dialect, id=f"{dialect}-{case['id']}", marks=marks)


def expected_status(case: dict[str, Any], dialect: str) -> str:
    key = (case["id"], dialect)
    if key in DATA_DEPENDENT:
        return "ok"
    if key in STATIC_ERROR:
        return "error"
    if key in UNRESOLVED:
        return "unresolved"
    ok = case["pg_ok"] if dialect == "postgresql" else case["sqlite_ok"]
    return "ok" if ok else "error"


def _describe(verdict: Verdict) -> str:
    return "; ".join(f"{p.rule} {p.message}" for p in verdict.problems) or "no problems"


@pytest.mark.parametrize(("case", "dialect"), list(_params()))
def test_case_agrees_with_engine(case: dict[str, Any], dialect: str, request: pytest.FixtureRequest) -> None:
    if dialect == "postgresql":
        catalog = pg_catalog(request.getfixturevalue("pg_cases_engine"), case["ddl_postgres"])
        statement = case["statement_postgres"]
    else:
        if case["sqlite_phase"] == "ddl":  # the schema itself is rejected by SQLite (S19): nothing to judge
            with pytest.raises(sa.exc.OperationalError):
                sqlite_catalog(case["ddl_sqlite"])
            return
        catalog = sqlite_catalog(case["ddl_sqlite"])
        statement = case["statement_sqlite"]
    verdict = check(statement, catalog, dialect)  # type: ignore[arg-type]
    recorded = (case["pg_sqlstate"], case["pg_message"]) if dialect == "postgresql" else case["sqlite_message"]
    assert verdict.status == expected_status(case, dialect), (
        f"{case['id']} on {dialect}: engine said {recorded or 'OK'}; checker said {verdict.status}: "
        f"{_describe(verdict)}"
    )


def test_every_exception_names_a_real_case() -> None:
    ids = {case["id"] for case in CASES}
    for table in (DATA_DEPENDENT, STATIC_ERROR, UNRESOLVED, REFLECT_GAPS):
        assert {case_id for case_id, _ in table} <= ids
