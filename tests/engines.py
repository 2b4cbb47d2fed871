"""The real engines as oracles: what SQLite and PostgreSQL actually do with a schema and upsert statements.

SQLite: an in-memory database without a statement cache (a cached EXPLAIN can be stale after DDL) holding the DDL;
per statement ``EXPLAIN <stmt>`` (prepare: every target analysis error), then the statement itself on the empty
table (step: NOT NULL violations) inside a savepoint that is rolled back. The arbiters are read from the prepared
program (:func:`_sqlite_arbiters`). PostgreSQL: one transaction per schema, rolled back at the end: a fresh schema
first on the search_path, the DDL, a savepoint; per statement ``EXPLAIN <stmt>`` (planning: arbiter inference, whose
``Conflict Arbiter Indexes`` line names the arbiters) and the statement itself (execution: deferrable arbiters, NOT
NULL), then back to the savepoint. Nothing survives.

Each scratch database reflects its schema (``schema_parity.sources.reflect``) once, so a table of many statements
against one schema costs one DDL run and one reflection.

:func:`expected_rule` maps an engine's error to the rule code the checker must report for it,
:func:`disagreement` says whether (and how) a verdict differs from the engine's answer, and
:func:`beyond_the_one_defect` what a verdict adds to the one error of a row with one defect.
"""

from __future__ import annotations

import functools
import itertools
import sqlite3
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from schema_parity.catalog import Catalog, Key
from schema_parity.rules.engine_errors import postgresql_rule, sqlite_rule
from schema_parity.sources.reflect import reflect
from schema_parity.verdicts import Verdict

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
    """The arbiters the engine shows, named as the checker names keys (``Key.name`` or ``Key.describe()``)."""


def key_targets(
    indexes: Sequence[tuple[str, ...]], spellings: Mapping[str, Sequence[str]], *, extra: str
) -> tuple[tuple[str, ...], ...]:
    """Conflict targets around each key: its permutations, each element spelled every other way, each subset one
    element short, and supersets (the first element repeated, ``extra`` added)."""
    targets: dict[tuple[str, ...], None] = {}
    for elements in indexes:
        targets.update(dict.fromkeys(itertools.permutations(elements)))
        for i, element in enumerate(elements):
            targets.update(dict.fromkeys((*elements[:i], s, *elements[i + 1 :]) for s in spellings[element]))
        if len(elements) > 1:
            targets.update(dict.fromkeys(elements[:i] + elements[i + 1 :] for i in range(len(elements))))
        targets[(*elements, elements[0])] = None
        if extra not in elements:
            targets[(*elements, extra)] = None
    return tuple(targets)


def key_label(key: Key) -> str:
    """How a verdict names an arbiter key."""
    return key.name or key.describe()


# -- SQLite ---------------------------------------------------------------------------------------------------------
class SqliteScratch:
    """One in-memory SQLite database holding ``ddl``; statements are judged by the engine one by one."""

    def __init__(self, ddl: Sequence[str]) -> None:
        self.conn = sqlite3.connect(":memory:", cached_statements=0, isolation_level=None)
        self.ddl_error: str | None = None
        for sql in ddl:
            try:
                self.conn.execute(sql)
            except sqlite3.Error as exc:
                self.ddl_error = str(exc)
                return

    def close(self) -> None:
        self.conn.close()

    @functools.cached_property
    def catalog(self) -> Catalog:
        """The Catalog reflected from this database (after the DDL)."""
        engine = sa.create_engine("sqlite://", creator=lambda: self.conn, poolclass=sa.pool.StaticPool)
        with engine.connect() as conn:
            return reflect(conn)

    def run(self, statement: str, *, probe: str | None = None) -> EngineResult:
        """Prepare and run ``statement`` (rolled back); arbiters from ``probe``, the statement with DO NOTHING only.

        A DO UPDATE program repeats the unique checks for the updated row, which look like arbiter checks; the
        DO NOTHING form of the same statement has the same arbiters and only the checks of the insertion.
        """
        if self.ddl_error is not None:
            return EngineResult(ok=False, ddl_ok=False, message=self.ddl_error, phase="ddl")
        try:
            self.conn.execute(f"EXPLAIN {statement}").fetchall()
        except sqlite3.Error as exc:
            return EngineResult(ok=False, message=str(exc), phase="prepare")
        self.conn.execute("SAVEPOINT run")
        try:
            self.conn.execute(statement)
        except sqlite3.Error as exc:
            return EngineResult(ok=False, message=str(exc), phase="step")
        finally:
            self.conn.execute("ROLLBACK TO run")
            self.conn.execute("RELEASE run")
        return EngineResult(ok=True, arbiters=self.arbiters(probe or statement))

    def arbiters(self, statement: str) -> tuple[str, ...]:
        """Every key some target of a DO NOTHING ``statement`` matches, as far as the engine can show it.

        SQLite takes the first matching index of its list (newest first) as a clause's arbiter, where the checker
        names every key the target matches. So the arbiter index is dropped (in a savepoint, rolled back) and the
        statement prepared again, until no droppable (CREATE INDEX) arbiter is left: that shows every matching
        index, and the first matching constraint (PRIMARY KEY/UNIQUE, which cannot be dropped) or the rowid.
        """
        found: list[tuple[str, str]] = []
        self.conn.execute("SAVEPOINT arbiters")
        try:
            while True:
                try:
                    program = self.conn.execute(f"EXPLAIN {statement}").fetchall()
                except sqlite3.Error:  # no match left once the matching indexes are gone
                    break
                new = [index for index in dict.fromkeys(_sqlite_arbiters(self.conn, program)) if index not in found]
                found += new
                droppable = [name for kind, name in new if kind == "index" and not name.startswith("sqlite_")]
                if not droppable:
                    break
                for name in droppable:
                    self.conn.execute(f'DROP INDEX "{name}"')
        finally:
            self.conn.execute("ROLLBACK TO arbiters")
            self.conn.execute("RELEASE arbiters")
        return tuple(self._label(index) for index in found)

    def _label(self, index: tuple[str, str]) -> str:
        """The checker's name for the key behind an index (or a table's rowid) in the reflected Catalog."""
        kind, name = index
        (owner,) = self.conn.execute("SELECT tbl_name FROM sqlite_master WHERE name = ?", (name,)).fetchone()
        table = next(t for t in self.catalog.tables if t.name == owner)
        if kind == "table":
            pk = table.primary_key
            rowid_alias = pk is not None and len(pk.elements) == 1 and any(
                c.autoincrement and c.name == pk.elements[0].column for c in table.columns)
            return key_label(pk) if pk is not None and rowid_alias else "rowid"
        if not name.startswith("sqlite_autoindex_"):
            return next(key_label(k) for k in table.keys if k.name == name)
        rows = self.conn.execute(
            'SELECT name, coll FROM pragma_index_xinfo(?) WHERE "key" = 1 ORDER BY seqno', (name,)
        ).fetchall()
        signature = [(column, coll.upper()) for column, coll in rows]
        candidates = {
            key_label(k)
            for k in table.keys
            if k.kind in ("primary_key", "unique")
            and [(e.column, (e.collation or "BINARY").upper()) for e in k.elements] == signature
        }
        assert len(candidates) == 1, f"{name} is {signature}: keys {candidates} in the reflected Catalog"
        return candidates.pop()


def _sqlite_arbiters(conn: sqlite3.Connection, program: list[tuple[Any, ...]]) -> list[tuple[str, str]]:
    """The indexes (or tables, for the rowid) a DO NOTHING program skips the row for, as (type, name).

    The insertion checks each unique index with ``NoConflict`` (the rowid with ``NotExists``) on its cursor; the
    next instruction is ``Halt`` (SQLITE_CONSTRAINT) for a non-arbiter and a jump past the insert for an arbiter.
    Cursors are mapped to indexes through the root page of their ``OpenWrite``.
    """
    roots = {root: (kind, name) for kind, name, root in conn.execute(
        "SELECT type, name, rootpage FROM sqlite_master WHERE rootpage > 0")}
    cursors = {row[2]: roots[row[3]] for row in program if row[1] == "OpenWrite"}
    return [
        cursors[row[2]]
        for address, row in enumerate(program)
        if row[1] in ("NoConflict", "NotExists") and program[address + 1][1] != "Halt"
    ]


@contextmanager
def sqlite_scratch(ddl: Sequence[str]) -> Iterator[SqliteScratch]:
    """A :class:`SqliteScratch`, closed at the end."""
    scratch = SqliteScratch(ddl)
    try:
        yield scratch
    finally:
        scratch.close()


def sqlite_run(ddl: Sequence[str], statement: str, *, probe: str | None = None) -> EngineResult:
    """SQLite's answer to one statement against a fresh database holding ``ddl``."""
    with sqlite_scratch(ddl) as scratch:
        return scratch.run(statement, probe=probe)


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


# -- PostgreSQL -----------------------------------------------------------------------------------------------------
class PgScratch:
    """``ddl`` in a fresh schema inside one open transaction; each statement is undone by rolling back to a savepoint
    taken after the DDL (a failed statement aborts only what follows the savepoint)."""

    def __init__(self, conn: sa.Connection, ddl: Sequence[str]) -> None:
        import psycopg

        self.conn = conn
        self.raw: psycopg.Connection[Any] = conn.connection.dbapi_connection  # type: ignore[assignment]
        self.ddl_error: EngineResult | None = None
        with self.raw.cursor() as cur:
            for sql in ddl:
                try:
                    cur.execute(sql)
                except psycopg.Error as exc:
                    self.ddl_error = EngineResult(ok=False, ddl_ok=False, message=_pg_message(exc),
                                                  code=exc.sqlstate, phase="ddl")
                    return
            cur.execute("SAVEPOINT scratch")

    @property
    def catalog(self) -> Catalog:
        """The Catalog reflected from the schema (the transaction's search_path)."""
        return reflect(self.conn)

    def run(self, statement: str) -> EngineResult:
        """Plan ``statement`` (EXPLAIN names the arbiters), then run it on the empty table, and undo it."""
        import psycopg

        if self.ddl_error is not None:
            return self.ddl_error
        with self.raw.cursor() as cur:
            try:
                cur.execute(f"EXPLAIN {statement}")
                plan = [row[0] for row in cur.fetchall()]
            except psycopg.Error as exc:
                cur.execute("ROLLBACK TO scratch")
                return EngineResult(ok=False, message=_pg_message(exc), code=exc.sqlstate, phase="plan")
            arbiters: tuple[str, ...] = ()
            for line in plan:
                if "Conflict Arbiter Indexes:" in line:
                    arbiters = tuple(x.strip() for x in line.split(":", 1)[1].split(","))
            try:
                cur.execute(statement)
            except psycopg.Error as exc:
                return EngineResult(ok=False, message=_pg_message(exc), code=exc.sqlstate, phase="execute")
            finally:
                cur.execute("ROLLBACK TO scratch")
            return EngineResult(ok=True, arbiters=arbiters)

    def run_prepared(self, statement: str, parameters: int, *, generic: bool, value: int = 1) -> EngineResult:
        """PREPARE ``statement`` (with ``$1``... placeholders) and EXECUTE it with ``parameters`` copies of ``value``,
        on a custom plan or on the generic plan a driver's prepared statement gets after five executions (P19)."""
        import psycopg

        if self.ddl_error is not None:
            return self.ddl_error
        mode = "force_generic_plan" if generic else "force_custom_plan"
        values = ", ".join([f"'{value}'"] * parameters)
        prepared = False
        with self.raw.cursor() as cur:
            try:
                cur.execute(f"PREPARE scratch_statement AS {statement}")
                prepared = True
                cur.execute(f"SET LOCAL plan_cache_mode = {mode}")
                cur.execute(f"EXECUTE scratch_statement({values})")
            except psycopg.Error as exc:
                return EngineResult(ok=False, message=_pg_message(exc), code=exc.sqlstate, phase="execute")
            finally:
                cur.execute("ROLLBACK TO scratch")
                if prepared:  # only this one: psycopg keeps prepared statements of its own on the connection
                    cur.execute("DEALLOCATE scratch_statement")
            return EngineResult(ok=True)


@contextmanager
def pg_scratch(engine: sa.Engine, ddl: Sequence[str]) -> Iterator[PgScratch]:
    """A :class:`PgScratch` whose schema, DDL and statements are all rolled back at the end."""
    with engine.connect() as conn:
        try:
            schema = f"case_{uuid.uuid4().hex[:10]}"
            conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
            conn.exec_driver_sql(f"SET LOCAL search_path TO {schema}")
            yield PgScratch(conn, ddl)
        finally:
            conn.rollback()


def _pg_message(exc: Exception) -> str:
    diag = getattr(exc, "diag", None)
    primary = getattr(diag, "message_primary", None)
    return primary or str(exc).splitlines()[0]


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


# -- the rule each engine error stands for --------------------------------------------------------------------------
def expected_rule(
    dialect: str, result: EngineResult, *, visible: Sequence[str] = (), select_from_ambiguity: bool = False
) -> str:
    """The rule the checker must report for the engine's error (AssertionError for an error no rule names).

    ``visible``: the names a SQLite DO UPDATE may qualify columns with besides ``excluded`` (the table or its
    alias): ``no such column: q.c`` is an unknown column (SP202) when ``q`` is one of them, else SP203.
    ``select_from_ambiguity``: the caller saw the SQLite syntax error change once ``WHERE true`` ends the SELECT,
    so it is SP105's (``ON`` read as a join constraint, whichever token the parser then stumbles on), not SP104's.
    """
    assert not result.ok and result.message is not None
    message = result.message
    if dialect == "postgresql":
        rule = postgresql_rule(result.code or "", message)
        if rule is None:
            raise AssertionError(f"no rule for PostgreSQL error {result.code} {message!r}")
        return rule
    rule = sqlite_rule(message, visible, select_from_ambiguity=select_from_ambiguity)
    if rule is None:
        raise AssertionError(f"no rule for SQLite error {message!r}")
    return rule


def beyond_the_one_defect(verdict: Verdict) -> str | None:
    """What a verdict reports beyond one error, on a row with one defect (None when it reports exactly one).

    A row has one defect when the engine refuses it and accepts it with one of its parts replaced (the caller's table
    must show that: a sibling row differing in that part alone, answered by the engine). The parts the tables vary
    each hold one thing an engine can refuse (a table name, a column list, a VALUES list, a conflict target, a SET
    item), so the engine's error is all there is to report, and :func:`disagreement` has pinned it as the first:
    any further error (a duplicate, a finding the engine would not raise once the defect is repaired) is a false
    alarm. Rows with several defects are left to :func:`disagreement`, which sees only their first error.
    """
    errors = [p.rule for p in verdict.problems if p.severity == "error"]
    return None if len(errors) == 1 else f"one defect, checker errors {errors}"


def disagreement(
    dialect: str, engine: EngineResult, verdict: Verdict, *, visible: Sequence[str] = ("t",),
    unverifiable: Sequence[str] = (), select_from_ambiguity: bool = False,
) -> str | None:
    """Why the checker's verdict is not the engine's answer, or None when they agree.

    Agreeing means: the same status; on an error, the rule the engine's error stands for as the checker's first
    error (the checker lists problems in the order the engine meets them; "among its errors" let a reordering
    pass); on success, the arbiters the engine shows. PostgreSQL's plan names every arbiter: the sets must be equal.
    SQLite's program shows the arbiters it checks (see :meth:`SqliteScratch.arbiters`): those must be the checker's,
    and any other key the checker names must be in ``unverifiable`` (constraints the engine would only reach after
    an undroppable match).
    """
    said = f"checker: {verdict.status} {[p.rule for p in verdict.problems]} arbiters={list(verdict.arbiters)}"
    if engine.ok:
        if verdict.status != "ok":
            return f"engine: ok arbiters={list(engine.arbiters)}; {said}; " + "; ".join(
                p.message for p in verdict.problems)
        shown, named = set(engine.arbiters), set(verdict.arbiters)
        if dialect == "postgresql" and shown and shown != named:
            return f"engine arbiters {sorted(shown)}; {said}"
        if dialect == "sqlite" and (not shown <= named or not named - shown <= set(unverifiable)):
            return f"engine arbiters {sorted(shown)}; {said}"
        return None
    rule = expected_rule(dialect, engine, visible=visible, select_from_ambiguity=select_from_ambiguity)
    errors = [p.rule for p in verdict.problems if p.severity == "error"]
    if verdict.status != "error" or errors[:1] != [rule]:
        return f"engine: {engine.phase} {engine.code or ''} {engine.message!r} (rule {rule}); {said}"
    return None
