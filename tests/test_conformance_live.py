"""Every recorded case of tests/data/semantics_cases.jsonl, replayed on the real engines: today's answer must equal
the recorded one, so the rules docs/semantics.md states (and the checker is held to) cannot drift from the engines.

SQLite: a fresh in-memory database per case (the stdlib ``sqlite3``, autocommit, no statement cache): the DDL, then
``EXPLAIN <statement>`` (preparing, where SQLite analyses the conflict target), then the statement (stepping).
PostgreSQL: the module's scratch database (``pg_cases_engine``), each case in a fresh schema inside one transaction
that is rolled back: the DDL, then ``PREPARE`` (parse analysis and rewrite), ``EXPLAIN`` (planning, where arbiters
are inferred) and the statement itself, each in a savepoint. The answer compared is what the recording kept: ok or
not, the first phase that failed, the SQLSTATE (PostgreSQL) or the message (SQLite; PostgreSQL's too when the server
speaks the recorded version in English), and the row count of a statement that succeeded.

The cases were recorded on PostgreSQL 15 and SQLite 3.40.1 (and 3.51.1, with the same answers). A case that needs a
newer engine, a build option or a privilege says so below; it is skipped where that is missing, except that under
``SCHEMA_PARITY_REQUIRE_PG=1`` a PostgreSQL case that cannot be replayed fails instead.
"""

from __future__ import annotations

import os
import sqlite3
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import pytest
import sqlalchemy as sa

from tests.semantics_cases import Case, load_cases

if TYPE_CHECKING:
    import psycopg

CASES = load_cases()

RECORDED_PG_MAJOR = 15
REQUIRE_PG = os.environ.get("SCHEMA_PARITY_REQUIRE_PG") == "1"

#: SQLite cases whose statement or DDL needs a newer SQLite than UPSERT itself (3.24.0).
SQLITE_MIN_VERSION: dict[str, tuple[tuple[int, int, int], str]] = {
    **{
        case_id: ((3, 35, 0), "several ON CONFLICT clauses, and DO UPDATE without a target, are new in SQLite 3.35.0")
        for case_id in (
            "notarget-update",
            "notarget-update-no-indexes",
            "sl-notarget-update-multi-constraint",
            "multi-two-targets",
            "multi-last-notarget",
            "multi-first-notarget",
            "multi-second-nomatch",
            "multi-first-nomatch",
            "multi-duplicate",
            "multi-three-third-nomatch",
        )
    },
    "returning": ((3, 35, 0), "RETURNING is new in SQLite 3.35.0"),
    "mig-drop-column-in-index": ((3, 35, 0), "ALTER TABLE ... DROP COLUMN is new in SQLite 3.35.0"),
    "cols-nulls-first": ((3, 30, 0), "NULLS FIRST/LAST is new in SQLite 3.30.0"),
    "mig-rename-column": ((3, 25, 0), "ALTER TABLE ... RENAME COLUMN is new in SQLite 3.25.0"),
    "mig-rename-column-old-name": ((3, 25, 0), "ALTER TABLE ... RENAME COLUMN is new in SQLite 3.25.0"),
    "mig-rename-column-no-keyword": ((3, 25, 0), "ALTER TABLE ... RENAME COLUMN is new in SQLite 3.25.0"),
}
#: SQLite cases that need a compile-time option of the SQLite build.
SQLITE_COMPILE_OPTION: dict[str, str] = {"sl-virtual-table": "ENABLE_FTS5"}
#: PostgreSQL cases whose answer is known to hold only from (and, when given, up to) a major version.
#: On an older server the case's DDL must fail with this SQLSTATE (the key cannot exist there), as measured on 14.
#: (``partial-is-true``, recorded on 15, answers the same on 14, 16, 17 and 18: the predicate prover of each
#: cannot get `active` from `active IS TRUE`.)
PG_VERSIONS: dict[str, tuple[int, int | None, str]] = {
    "nnd-target": (15, None, "NULLS NOT DISTINCT is new in PostgreSQL 15"),
    "pg-unique-nulls-not-distinct-index": (15, None, "NULLS NOT DISTINCT is new in PostgreSQL 15"),
}
PG_VERSION_REFUSAL = {"nnd-target": "42601", "pg-unique-nulls-not-distinct-index": "42601"}
#: PostgreSQL cases that need a superuser.
PG_SUPERUSER: dict[str, str] = {"pg-invalid-index": "it marks an index invalid by updating pg_index"}


@dataclass(frozen=True)
class Answer:
    """What an engine did with one case, in the recording's terms."""

    ok: bool
    phase: str | None = None  # first failing phase: ddl, parse_analysis, plan, execute (PG); ddl, prepare, step
    code: str | None = None  # SQLSTATE
    message: str | None = None
    rows: int | None = None  # rows affected by a statement that succeeded
    prepare_ok: bool | None = None  # PostgreSQL: PREPARE, then EXPLAIN, succeeded
    explain_ok: bool | None = None


def recorded(case: Case, dialect: str) -> Answer:
    if dialect == "postgresql":
        return Answer(
            ok=case["pg_ok"],
            phase=case["pg_phase"],
            code=case["pg_sqlstate"],
            message=case["pg_message"],
            rows=case["pg_rowcount"],
            prepare_ok=case.get("pg_prepare_ok"),
            explain_ok=case.get("pg_explain_ok"),
        )
    return Answer(ok=case["sqlite_ok"], phase=case["sqlite_phase"], message=case["sqlite_message"],
                  rows=case["sqlite_changes"])


# -- SQLite ----------------------------------------------------------------------------------------------------------
def sqlite_answer(case: Case) -> Answer:
    conn = sqlite3.connect(":memory:", isolation_level=None, cached_statements=0)
    try:
        for sql in case["ddl_sqlite"]:
            try:
                conn.execute(sql)
            except sqlite3.Error as exc:
                return Answer(ok=False, phase="ddl", message=f"DDL failed: {exc}")
        statement = case["statement_sqlite"]
        try:
            conn.execute(f"EXPLAIN {statement}").fetchall()
            prepared = True
        except sqlite3.Error:
            prepared = False
        before = conn.total_changes
        try:
            conn.execute(statement).fetchall()
        except sqlite3.Error as exc:
            return Answer(ok=False, phase="step" if prepared else "prepare", message=str(exc))
        return Answer(ok=True, rows=conn.total_changes - before)
    finally:
        conn.close()


def _sqlite_compile_options() -> set[str]:
    conn = sqlite3.connect(":memory:")
    try:
        return {row[0] for row in conn.execute("PRAGMA compile_options")}
    finally:
        conn.close()


def sqlite_cannot_replay(case_id: str) -> str | None:
    if case_id in SQLITE_MIN_VERSION:
        needed, why = SQLITE_MIN_VERSION[case_id]
        if sqlite3.sqlite_version_info < needed:
            return f"{why}; this is SQLite {sqlite3.sqlite_version}"
    option = SQLITE_COMPILE_OPTION.get(case_id)
    if option is not None and option not in _sqlite_compile_options():
        return f"this SQLite {sqlite3.sqlite_version} was built without SQLITE_{option}"
    return None


# -- PostgreSQL ------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PgServer:
    conn: psycopg.Connection[Any]
    major: int
    superuser: bool
    english: bool  # lc_messages could be set to C, so messages compare with the recorded ones


@pytest.fixture(scope="module")
def pg_server(pg_cases_engine: sa.Engine) -> Iterator[PgServer]:
    """One plain psycopg connection to the module's scratch database; every case is its own rolled-back transaction.

    Automatic server-side preparing is off: the same text (``CREATE TABLE t ...``) recurs across cases, and each case
    must be parsed afresh against its own schema, as when it was recorded.
    """
    import psycopg

    url = pg_cases_engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    conn = psycopg.connect(url, prepare_threshold=None)
    try:
        with conn.cursor() as cur:
            major = int(cur.execute("SHOW server_version_num").fetchone()[0]) // 10000  # type: ignore[index]
            superuser = cur.execute("SHOW is_superuser").fetchone()[0] == "on"  # type: ignore[index]
        try:
            conn.execute("SET lc_messages TO 'C'")
            conn.commit()
            english = True
        except psycopg.errors.InsufficientPrivilege:
            conn.rollback()
            english = False
        yield PgServer(conn, major, superuser, english)
    finally:
        conn.close()


def pg_answer(conn: psycopg.Connection[Any], case: Case) -> Answer:
    """Replay one case in a schema of its own, inside a transaction that is rolled back whatever happens."""
    import psycopg

    statement = case["statement_postgres"]
    schema = f"case_{uuid.uuid4().hex[:10]}"
    try:
        with conn.cursor() as cur:
            cur.execute(f"CREATE SCHEMA {schema}")
            cur.execute(f"SET LOCAL search_path TO {schema}, public")
            for sql in case["ddl_postgres"]:
                try:
                    cur.execute(sql)
                except psycopg.Error as exc:
                    return Answer(ok=False, phase="ddl", code=exc.sqlstate, message=exc.diag.message_primary)
            succeeded: dict[str, bool] = {}
            error: psycopg.Error | None = None
            rows: int | None = None
            for phase, sql in (("prepare", f"PREPARE sp_case AS {statement}"), ("explain", f"EXPLAIN {statement}"),
                               ("execute", statement)):
                cur.execute("SAVEPOINT phase")
                try:
                    cur.execute(sql)
                    rows = cur.rowcount
                    if phase == "prepare":  # a prepared statement outlives the transaction
                        cur.execute("DEALLOCATE sp_case")
                    cur.execute("RELEASE SAVEPOINT phase")
                    succeeded[phase] = True
                except psycopg.Error as exc:
                    cur.execute("ROLLBACK TO SAVEPOINT phase")
                    succeeded[phase] = False
                    error = exc if phase == "execute" else error
    finally:
        conn.rollback()
    prepare_ok, explain_ok = succeeded["prepare"], succeeded["explain"]
    if error is None:
        return Answer(ok=True, rows=rows, prepare_ok=prepare_ok, explain_ok=explain_ok)
    phase = "parse_analysis" if not prepare_ok else "plan" if not explain_ok else "execute"
    return Answer(ok=False, phase=phase, code=error.sqlstate, message=error.diag.message_primary,
                  prepare_ok=prepare_ok, explain_ok=explain_ok)


def pg_cannot_replay(case_id: str, server: PgServer) -> str | None:
    if case_id in PG_VERSIONS:
        low, high, why = PG_VERSIONS[case_id]
        if server.major < low or (high is not None and server.major > high):
            return f"{why}; this server is PostgreSQL {server.major}"
    if case_id in PG_SUPERUSER and not server.superuser:
        return f"needs a superuser: {PG_SUPERUSER[case_id]}"
    return None


# -- the cases -------------------------------------------------------------------------------------------------------
def _params() -> Iterator[Any]:
    for case in CASES:
        if case["statement_postgres"] is not None:
            yield pytest.param(case, "postgresql", id=f"postgresql-{case['id']}", marks=pytest.mark.postgres)
        if case["statement_sqlite"] is not None:
            yield pytest.param(case, "sqlite", id=f"sqlite-{case['id']}")


def _show(case: Case, dialect: str, expected: Answer, live: Answer) -> str:
    ddl = case["ddl_postgres"] if dialect == "postgresql" else case["ddl_sqlite"]
    statement = case["statement_postgres"] if dialect == "postgresql" else case["statement_sqlite"]
    return (
        f"{case['id']} ({case['rule']}) on {dialect} no longer answers as recorded.\n"
        + "".join(f"  {sql};\n" for sql in ddl)
        + f"  {statement}\nrecorded: {expected}\nnow:      {live}\n"
        "If the engine really changed, re-record the case and review the rule in docs/semantics.md."
    )


@pytest.mark.parametrize(("case", "dialect"), list(_params()))
def test_engine_still_answers_as_recorded(case: Case, dialect: str, request: pytest.FixtureRequest) -> None:
    expected = recorded(case, dialect)
    if dialect == "sqlite":
        reason = sqlite_cannot_replay(case["id"])
        if reason is not None:
            pytest.skip(reason)
        live = sqlite_answer(case)
    else:
        server: PgServer = request.getfixturevalue("pg_server")
        reason = pg_cannot_replay(case["id"], server)
        if reason is not None and case["id"] in PG_VERSION_REFUSAL:
            # Too old for the case's key: the server must refuse to create it (what versions.py says of it).
            live = pg_answer(server.conn, case)
            assert (live.ok, live.phase, live.code) == (False, "ddl", PG_VERSION_REFUSAL[case["id"]]), reason
            return
        if reason is not None:
            if REQUIRE_PG:
                pytest.fail(f"SCHEMA_PARITY_REQUIRE_PG=1 but case {case['id']} cannot be replayed here: {reason}")
            pytest.skip(reason)
        live = pg_answer(server.conn, case)
        if not (server.english and server.major == RECORDED_PG_MAJOR):  # messages are localised and may be reworded
            expected, live = replace(expected, message=None), replace(live, message=None)
    assert live == expected, _show(case, dialect, expected, live)


def test_every_version_note_names_a_real_case() -> None:
    ids = {case["id"] for case in CASES}
    assert set(PG_VERSION_REFUSAL) <= set(PG_VERSIONS)
    for table in (SQLITE_MIN_VERSION, SQLITE_COMPILE_OPTION, PG_VERSIONS, PG_SUPERUSER):
        assert set(table) <= ids
