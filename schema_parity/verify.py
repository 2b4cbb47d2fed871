"""``--verify``: every upsert the check resolved, put to the real engines, and every disagreement flagged as ours.

The static verdicts (``verdicts/``) re-implement each engine's rules; this module asks the engines themselves, so a
wrong rule in the tool shows up as a finding instead of a silent false verdict. For each dialect the schema the
sites were judged against is built again on a database of its own: the real migrations run on a fresh in-memory
SQLite database and on a scratch database of the PostgreSQL server the check uses, each migrated once through the
history and stopping at every revision a site needs (with ``--schema-sql``, the DDL files loaded instead). There
each statement is planned (SQLite: ``EXPLAIN``, which prepares it; PostgreSQL: ``PREPARE``, whose parameter types
the server infers, then ``EXPLAIN EXECUTE``, which names the arbiter indexes) and executed once on the empty tables
with placeholder values of the right types, inside a savepoint that is rolled back. Nothing is ever written, and
nothing runs outside a scratch database.

An engine error is either a rule's (the conflict target, a column, a NOT NULL column the INSERT leaves out), mapped
to the rule code the checker reports for it, or the values' (a foreign key, a CHECK, a trigger, a NOT NULL column
given a value, a malformed value): those say nothing about the statement beyond the phase it passed, and are never
a disagreement. An answer that contradicts the static verdict (ok against an error, another rule, other arbiters)
is SP905, an error: a defect of schema-parity, reported with both answers.
"""

from __future__ import annotations

import re
import sqlite3
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Literal

import sqlalchemy as sa
import sqlglot
from sqlglot import Token, TokenType, exp
from sqlglot.errors import ParseError, TokenError

from schema_parity import compat
from schema_parity.catalog import Catalog, Column, Dialect, Table
from schema_parity.errors import ConfigError, ConnectionFailed, describe, read_text
from schema_parity.findings import Finding
from schema_parity.rules import rule_for
from schema_parity.rules.engine_errors import postgresql_rule, sqlite_rule
from schema_parity.sql.groups import depths as parenthesis_depths
from schema_parity.sql.tokens import dialect_tokens, mask_placeholders
from schema_parity.types import normalize_type
from schema_parity.upsert import Upsert, UpsertParseError, parse_upsert
from schema_parity.verdicts import Verdict

if TYPE_CHECKING:
    import psycopg

    from schema_parity.check import SiteReport
    from schema_parity.sources import Schema, SchemaOptions
    from schema_parity.sources.server import ScratchDatabases

__all__ = ["VERIFY_RULE", "Answer", "check_verifiable", "summary_lines", "verify_reports"]

VERIFY_RULE = "SP905"
Result = Literal["ok", "error", "value-error", "unverified"]

#: Seconds one statement may run on an engine (the tables are empty: only a runaway expression takes long).
STATEMENT_TIMEOUT = 30.0
_SQLGLOT = {"postgresql": "postgres", "sqlite": "sqlite"}
_KINDS = ("agree", "disagree", "undecided", "unverified")
#: Rules an engine checks only when a row is proposed (after planning): values refused earlier hide them.
_LATE_RULES: Mapping[Dialect, frozenset[str]] = {
    "postgresql": frozenset({"SP110", "SP301"}),
    "sqlite": frozenset({"SP301"}),
}


@dataclass(frozen=True)
class Answer:
    """One engine's answer to one site, and whether it agrees with the static verdict.

    ``result``: ``ok`` (planned and executed), ``error`` (refused: ``rule`` is the checker's code for the error, None
    for an error outside the checker's rules), ``value-error`` (the placeholder values were refused, after the
    statement passed ``phase``'s predecessors), ``unverified`` (the engine could not be asked; ``message`` says why).
    ``agrees`` is None when the answer cannot confirm or contradict the verdict.
    """

    dialect: Dialect
    result: Result
    engine: str
    phase: str | None = None
    """Where the engine answered: ``prepare``/``step`` (SQLite), ``plan``/``execute`` (PostgreSQL)."""
    sqlstate: str | None = None
    rule: str | None = None
    message: str = ""
    arbiters: tuple[str, ...] = ()
    rows: int | None = None
    """Rows the statement inserted (``ok``): 0 when it proposed none, so no rule checked on a row could fire."""
    agrees: bool | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON report's ``verified`` entry."""
        return {
            "result": self.result,
            "engine": self.engine,
            "phase": self.phase,
            "sqlstate": self.sqlstate,
            "rule": self.rule,
            "message": self.message,
            "arbiters": list(self.arbiters),
            "rows": self.rows,
            "agrees": self.agrees,
        }

    def kind(self) -> str:
        """``agree``, ``disagree``, ``undecided`` or ``unverified``: how the report counts the answer."""
        if self.result == "unverified":
            return "unverified"
        return "undecided" if self.agrees is None else "agree" if self.agrees else "disagree"

    def said(self) -> str:
        """The engine's answer in words, for the disagreement finding."""
        code = f"{self.sqlstate} " if self.sqlstate else ""
        rule = f" ({self.rule})" if self.rule else ""
        when = {"prepare": "preparing", "step": "running", "plan": "planning", "execute": "executing"}.get(
            self.phase or "", "running"
        )
        if self.result == "ok":
            shown = f" with arbiter(s) {', '.join(self.arbiters)}" if self.arbiters else ""
            return f"accepted it{shown} ({self.rows} row(s) inserted)"
        if self.result == "value-error":
            return f"refused the placeholder values when {when} it: {code}{self.message!r}"
        return f"refused it when {when} it: {code}{self.message!r}{rule}"


# -- the report side ----------------------------------------------------------------------------------------------
def check_verifiable(options: SchemaOptions) -> None:
    """Refuse a schema source with no scratch database to build (before anything is judged)."""
    if options.database_url:
        raise ConfigError(
            "--verify runs every upsert on scratch databases built from the migrations (or --schema-sql); it never "
            "runs statements on a real database such as --database-url. Use --alembic-config or --schema-sql with "
            "--verify."
        )


def verify_reports(
    reports: Sequence[SiteReport], schema: Schema
) -> tuple[list[SiteReport], list[tuple[Finding, str]]]:
    """Each report with its engines' answers, and an SP905 finding (with the statement) per disagreement.

    Every (site, dialect) whose verdict is ok or error is asked; unresolved ones are not (there is nothing to
    compare). Notes about engines that could not be asked go to ``schema.notes``.
    """
    jobs: dict[Dialect, dict[str, list[tuple[int, Verdict]]]] = {}
    for index, report in enumerate(reports):
        for verdict in report.verdicts:
            if verdict.status != "unresolved" and report.site.sql is not None:
                revision = report.site.revision or schema.options.revision
                jobs.setdefault(verdict.dialect, {}).setdefault(revision, []).append((index, verdict))
    answers: dict[tuple[int, Dialect], Answer] = {}
    for dialect, by_revision in jobs.items():
        answers.update(_ask_dialect(dialect, by_revision, reports, schema))
    findings: list[tuple[Finding, str]] = []
    updated: list[SiteReport] = []
    for index, report in enumerate(reports):
        mine = tuple(answers[(index, v.dialect)] for v in report.verdicts if (index, v.dialect) in answers)
        updated.append(replace(report, verified=mine))
        for answer in mine:
            if answer.agrees is False:
                verdict = next(v for v in report.verdicts if v.dialect == answer.dialect)
                findings.append((_disagreement(report, verdict, answer), report.site.sql or ""))
    return updated, findings


def _disagreement(report: SiteReport, verdict: Verdict, answer: Answer) -> Finding:
    site = report.site
    rules = [p.rule for p in verdict.problems if p.severity == "error"]
    rule = rule_for(VERIFY_RULE)
    static = rule.text("static-error", rules=", ".join(rules)) if verdict.status == "error" else rule.text("static-ok")
    if verdict.arbiters:
        static = rule.text("static-arbiters", verdict=static, arbiters=", ".join(verdict.arbiters))
    said = rule.say(
        "disagreement-at-revision" if site.revision else "disagreement",
        engine=answer.engine,
        revision=site.revision,
        said=answer.said(),
        static=static,
    )
    return Finding(
        rule=rule.code,
        severity=rule.severity,
        path=site.path,
        line=site.line,
        column=site.column,
        dialects=(answer.dialect,),
        table=report.table,
        message=said.message,
        hint=said.hint,
    )


def summary_lines(reports: Sequence[SiteReport]) -> list[tuple[str, str]]:
    """What ``--verify`` found, per dialect, then each answer that could neither confirm nor contradict its verdict,
    as (line, role) for the text report: ``error`` for a dialect with disagreements, else ``dim``. Why an engine could
    not be asked at all is a note. Nothing when it did not run."""
    counts: dict[Dialect, dict[str, int]] = {}
    engines: dict[Dialect, str] = {}
    undecided: list[tuple[str, str]] = []
    for report in reports:
        for answer in report.verified:
            engines.setdefault(answer.dialect, answer.engine)
            tally = counts.setdefault(answer.dialect, dict.fromkeys(_KINDS, 0))
            kind = answer.kind()
            tally[kind] += 1
            if kind == "undecided":
                where = f"{report.site.path}:{report.site.line} [{answer.dialect}]"
                undecided.append((f"  {where} undecided: {answer.engine} {answer.said()}", "dim"))
    lines = []
    for dialect, tally in counts.items():
        unverified = f", {tally['unverified']} not verified" if tally["unverified"] else ""
        line = (
            f"verified on {engines[dialect]} ({dialect}): {tally['agree']} agree, {tally['disagree']} disagree, "
            f"{tally['undecided']} undecided{unverified}"
        )
        lines.append((line, "error" if tally["disagree"] else "dim"))
    return lines + undecided


# -- asking one dialect ---------------------------------------------------------------------------------------------
class _Unverifiable(Exception):
    """The engine cannot be asked at all (no server, DDL it refuses): every answer says why."""


def _ask_dialect(
    dialect: Dialect,
    by_revision: Mapping[str, list[tuple[int, Verdict]]],
    reports: Sequence[SiteReport],
    schema: Schema,
) -> dict[tuple[int, Dialect], Answer]:
    """Every job of ``dialect``, revision by revision in history order on one database."""
    answers: dict[tuple[int, Dialect], Answer] = {}
    database: _Database = _SqliteDatabase(schema) if dialect == "sqlite" else _PostgresDatabase(schema)
    try:
        for revision in _history_order(schema, list(by_revision)):
            group = by_revision[revision]
            try:
                database.reach(revision)
                catalog = schema.at(revision, dialect) if schema.is_alembic else schema.head(dialect)
                assert isinstance(catalog, Catalog)  # the verdicts were resolved against it
                questions = [(reports[i].site.sql or "", verdict) for i, verdict in group]
                replies = database.ask_all(questions, catalog)
            except _Unverifiable as exc:
                replies = [Answer(dialect, "unverified", database.label, message=str(exc)) for _ in group]
                schema.notes.append(f"{dialect}: not verified: {exc}")
            answers.update(((i, dialect), reply) for (i, _), reply in zip(group, replies, strict=True))
    finally:
        database.close()
    ran = sum(1 for a in answers.values() if a.result != "unverified")
    if ran:
        schema.notes.append(
            f"{dialect}: --verify ran {ran} statement(s) on {database.label} ({database.where}), in a savepoint "
            "rolled back each time"
        )
    return answers


def _history_order(schema: Schema, revisions: list[str]) -> list[str]:
    """``revisions`` base first (``head``/``heads`` last), so one pass through the history reaches them all."""
    if not schema.is_alembic:
        return revisions
    project = schema.project()
    order = {script.revision: i for i, script in enumerate(project.revisions())}
    return sorted(revisions, key=lambda r: order.get(project.resolve(r), len(order)))


@dataclass(frozen=True)
class _Question:
    """One statement made executable: its placeholders, and what each feeds (to choose its value)."""

    upsert: Upsert
    masked: str
    """The statement with every placeholder as ``?`` (SQLite's positional parameters), same offsets."""
    spans: tuple[tuple[int, int, str], ...]
    """Each placeholder: start, end and its key (named ones share a key; ``?`` and ``%s`` are each their own)."""
    contexts: Mapping[str, _Context]

    @property
    def keys(self) -> list[str]:
        """The distinct keys, in order of first appearance (PostgreSQL's ``$1``, ``$2``...)."""
        return list(dict.fromkeys(key for *_, key in self.spans))

    def numbered(self) -> str:
        """The statement with PostgreSQL's ``$n`` parameters (a named placeholder used twice is one parameter)."""
        number = {key: n for n, key in enumerate(self.keys, start=1)}
        return _splice(self.upsert.sql, self.spans, lambda key: f"${number[key]}")


@dataclass(frozen=True)
class _Context:
    """What a placeholder feeds: a Catalog column (value NULL when every use is a nullable column) or a type."""

    column: Column | None
    cast: str | None
    nullable: bool


class _Database(ABC):
    """One scratch database of an engine, walked through the history; subclasses run the statements."""

    label = ""
    where = ""

    def __init__(self, schema: Schema) -> None:
        self.schema = schema
        self._ready = False
        self._applied: set[str] = set()
        """Revisions run in the current database."""

    def reach(self, revision: str) -> None:
        """Bring the database to ``revision``. One that is not a descendant of every revision already run (another
        branch) starts from an empty database: Alembic would apply it beside the other branch, whose changes would
        then be in the schema too."""
        options = self.schema.options
        if options.schema_sql:
            if not self._ready:
                self._fresh()
                from schema_parity.sources.ddl import schema_files

                for file in schema_files(options.schema_sql):
                    self._load(str(file), read_text(file))
                self._ready = True
            return
        project = self.schema.project()
        ancestors = {script.revision for script in project.script.iterate_revisions(project.resolve(revision), "base")}
        if not self._ready or not self._applied <= ancestors:
            self._fresh()
            self._applied = set()
            self._ready = True
        self._applied.update(self._upgrade(revision))

    @abstractmethod
    def _fresh(self) -> None:
        """Start from an empty database (dropping the previous one)."""

    @abstractmethod
    def _load(self, name: str, ddl: str) -> None:
        """Run one DDL file; _Unverifiable when the engine refuses it."""

    @abstractmethod
    def _upgrade(self, revision: str) -> list[str]:
        """Run the migrations up to ``revision``; the revisions applied."""

    @abstractmethod
    def ask_all(self, questions: Sequence[tuple[str, Verdict]], catalog: Catalog) -> list[Answer]:
        """The engine's answer to each statement, judged against ``verdict``; nothing of theirs is kept."""

    @abstractmethod
    def close(self) -> None:
        """Release (and drop) the database."""

    def answer(self, verdict: Verdict, result: Result, **details: Any) -> Answer:
        """An answer, with whether it agrees with ``verdict``."""
        answer = Answer(verdict.dialect, result, self.label, **details)
        return replace(answer, agrees=_agrees(verdict, answer))


def _agrees(verdict: Verdict, answer: Answer) -> bool | None:
    """True/False when the answer confirms/contradicts the verdict, None when it cannot tell."""
    errors = [p.rule for p in verdict.problems if p.severity == "error"]
    if answer.result == "ok":
        if verdict.status == "error":
            # with no row proposed, the rules checked on a row (a deferrable arbiter, NOT NULL) never ran
            return None if answer.rows == 0 and set(errors) <= _LATE_RULES[answer.dialect] else False
        shown, named = set(answer.arbiters), set(verdict.arbiters)
        if answer.dialect == "postgresql":  # the plan names every arbiter (none without a target)
            return not shown or shown == named
        return shown <= named  # SQLite shows the arbiters it reaches first (see _SqliteDatabase._arbiters)
    if answer.result == "error":
        if answer.rule is None:  # an error outside the checker's rules: nothing to compare
            return None
        return verdict.status == "error" and answer.rule in errors
    if answer.result == "value-error" and answer.phase in ("execute", "step"):
        # The statement passed planning: every rule checked there was satisfied.
        if verdict.status == "ok":
            return True
        if any(rule not in _LATE_RULES[answer.dialect] for rule in errors):
            return False
    return None


# -- SQLite ---------------------------------------------------------------------------------------------------------
class _SqliteDatabase(_Database):
    """A private in-memory SQLite database without a statement cache (a cached program can predate a DROP INDEX)."""

    label = f"SQLite {sqlite3.sqlite_version}"
    where = "an in-memory database"

    def __init__(self, schema: Schema) -> None:
        super().__init__(schema)
        self._engine: sa.Engine | None = None
        self._connection: sa.Connection | None = None

    def _fresh(self) -> None:
        self.close()
        self._engine = compat.create_engine(
            "sqlite://", poolclass=sa.pool.StaticPool, connect_args={"cached_statements": 0}
        )
        self._connection = self._engine.connect()

    @property
    def raw(self) -> sqlite3.Connection:
        assert self._connection is not None
        raw = self._connection.connection.dbapi_connection
        assert isinstance(raw, sqlite3.Connection)
        return raw

    def _load(self, name: str, ddl: str) -> None:
        try:
            self.raw.executescript(ddl)
        except sqlite3.Error as exc:
            raise _Unverifiable(f"{name} does not run on SQLite: {exc}") from exc

    def _upgrade(self, revision: str) -> list[str]:
        from schema_parity.sources.alembic import upgrade

        assert self._connection is not None
        applied = upgrade(self._connection, self.schema.project(), revision, use_env_py=self.schema.options.use_env_py)
        self._connection.commit()
        return applied

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    def ask_all(self, questions: Sequence[tuple[str, Verdict]], catalog: Catalog) -> list[Answer]:
        raw = self.raw
        deadline = [0.0]
        raw.set_progress_handler(lambda: int(time.monotonic() > deadline[0]), 100_000)
        try:
            replies = []
            for sql, verdict in questions:
                deadline[0] = time.monotonic() + STATEMENT_TIMEOUT
                replies.append(self._ask(sql, verdict, catalog))
            return replies
        finally:
            raw.set_progress_handler(None, 0)

    @contextmanager
    def _savepoint(self, name: str) -> Iterator[sqlite3.Connection]:
        """Whatever runs inside is undone. (An interrupted statement, or INSERT OR ROLLBACK, ends the whole
        transaction itself, savepoint included.)"""
        raw = self.raw
        raw.execute(f"SAVEPOINT {name}")
        try:
            yield raw
        finally:
            if raw.in_transaction:
                raw.execute(f"ROLLBACK TO {name}")
                raw.execute(f"RELEASE {name}")

    def _ask(self, sql: str, verdict: Verdict, catalog: Catalog) -> Answer:
        question = _question(sql, "sqlite", catalog)
        if isinstance(question, str):
            return self.answer(verdict, "unverified", message=question)
        values = [_sqlite_value(question.contexts[key], n) for n, (*_, key) in enumerate(question.spans, start=1)]
        with self._savepoint("schema_parity_verify") as raw:
            try:
                raw.execute(f"EXPLAIN {question.masked}", values).fetchall()
            except sqlite3.Error as exc:
                return self._refused(exc, "prepare", question, verdict)
            try:
                cursor = raw.execute(question.masked, values)
                cursor.fetchall()
            except sqlite3.Error as exc:
                return self._refused(exc, "step", question, verdict)
        arbiters = self._arbiters(_do_nothing(question.masked), catalog)
        return self.answer(verdict, "ok", phase="step", arbiters=arbiters, rows=cursor.rowcount)

    def _refused(self, exc: sqlite3.Error, phase: str, question: _Question, verdict: Verdict) -> Answer:
        message = str(exc)
        if message == "interrupted":
            return self.answer(
                verdict, "unverified", phase=phase, message=f"the statement ran longer than {STATEMENT_TIMEOUT:g} s"
            )
        result, rule = _sqlite_error(exc, phase, question.upsert)
        return self.answer(verdict, result, phase=phase, rule=rule, message=message)

    def _arbiters(self, probe: str, catalog: Catalog) -> tuple[str, ...]:
        """The keys SQLite arbitrates the DO NOTHING form of the statement with, as the checker names them.

        SQLite takes the first matching index of its list (newest first) where the checker names every key the
        target matches; so each droppable (CREATE INDEX) arbiter is dropped, in a savepoint rolled back, and the
        statement prepared again, until none is left: that shows every matching index, and the first matching
        constraint (PRIMARY KEY, UNIQUE: they cannot be dropped) or the rowid.
        """
        parameters = [None] * _placeholder_count(probe)
        found: list[tuple[str, str]] = []
        with self._savepoint("schema_parity_arbiters") as raw:
            while True:
                try:
                    program = raw.execute(f"EXPLAIN {probe}", parameters).fetchall()
                except sqlite3.Error:  # no match left once the matching indexes are gone
                    break
                new = [index for index in dict.fromkeys(_sqlite_program_arbiters(raw, program)) if index not in found]
                found += new
                droppable = [name for kind, name in new if kind == "index" and not name.startswith("sqlite_")]
                if not droppable:
                    break
                for name in droppable:
                    raw.execute(f'DROP INDEX "{name}"')
        return tuple(_sqlite_label(self.raw, catalog, index) for index in found)


def _sqlite_program_arbiters(raw: sqlite3.Connection, program: list[Any]) -> list[tuple[str, str]]:
    """The indexes (or tables, for the rowid) a DO NOTHING program skips the row for, as (type, name).

    The insertion checks each unique index with ``NoConflict`` (the rowid with ``NotExists``) on its cursor; the
    next instruction is ``Halt`` (SQLITE_CONSTRAINT) for a non-arbiter and a jump past the insert for an arbiter.
    Cursors are mapped to indexes through the root page of their ``OpenWrite``.
    """
    roots = {
        root: (kind, name)
        for kind, name, root in raw.execute("SELECT type, name, rootpage FROM sqlite_master WHERE rootpage > 0")
    }
    cursors = {row[2]: roots[row[3]] for row in program if row[1] == "OpenWrite" and row[3] in roots}
    return [
        cursors[row[2]]
        for address, row in enumerate(program)
        if row[1] in ("NoConflict", "NotExists") and row[2] in cursors and program[address + 1][1] != "Halt"
    ]


def _sqlite_label(raw: sqlite3.Connection, catalog: Catalog, index: tuple[str, str]) -> str:
    """The checker's name for the key behind an index (or a table's rowid): ``Key.name`` or ``Key.describe()``."""
    kind, name = index
    owner = raw.execute("SELECT tbl_name FROM sqlite_master WHERE name = ?", (name,)).fetchone()
    table = next((t for t in catalog.tables if owner and t.name.lower() == str(owner[0]).lower()), None)
    if table is None:
        return name
    if kind == "table":  # the table's own b-tree: keyed by its rowid, or by its PRIMARY KEY (WITHOUT ROWID)
        pk = table.primary_key
        keyed_by_pk = pk is not None and (table.without_rowid or (len(pk.elements) == 1 and any(
            c.autoincrement and c.name == pk.elements[0].column for c in table.columns)))  # fmt: skip
        return (pk.name or pk.describe()) if pk is not None and keyed_by_pk else "rowid"
    if not name.startswith("sqlite_autoindex_"):
        return next((k.name for k in table.keys if k.name == name), name)
    rows = raw.execute('SELECT name, coll FROM pragma_index_xinfo(?) WHERE "key" = 1 ORDER BY seqno', (name,))
    signature = [(str(column), str(coll).upper()) for column, coll in rows]
    candidates = [
        k.name or k.describe()
        for k in table.keys
        if k.kind in ("primary_key", "unique")
        and [(e.column, (e.collation or "BINARY").upper()) for e in k.elements] == signature
    ]
    return candidates[0] if len(candidates) == 1 else name


#: Extended result codes of values refused while stepping (Python 3.11+ names them; the messages otherwise).
_SQLITE_VALUE_ERRORS = frozenset({
    "SQLITE_CONSTRAINT_CHECK", "SQLITE_CONSTRAINT_FOREIGNKEY", "SQLITE_CONSTRAINT_UNIQUE",
    "SQLITE_CONSTRAINT_PRIMARYKEY", "SQLITE_CONSTRAINT_TRIGGER", "SQLITE_CONSTRAINT_DATATYPE", "SQLITE_MISMATCH",
    "SQLITE_CONSTRAINT_ROWID",
})  # fmt: skip
_SQLITE_VALUE_MESSAGES = re.compile(
    r"^(CHECK|FOREIGN KEY|UNIQUE) constraint failed|^cannot store \S+ value in \S+ column|^datatype mismatch"
)


def _sqlite_error(exc: sqlite3.Error, phase: str, upsert: Upsert) -> tuple[Result, str | None]:
    """Whether SQLite's error is a rule's (and which) or the values'."""
    message = str(exc)
    if phase == "step":
        null = re.match(r"^NOT NULL constraint failed: (?:[^.]+\.)?(.+)$", message)
        if null is not None:
            return ("error", "SP301") if _omitted(upsert, null.group(1), "sqlite") else ("value-error", None)
        if getattr(exc, "sqlite_errorname", None) in _SQLITE_VALUE_ERRORS or _SQLITE_VALUE_MESSAGES.search(message):
            return "value-error", None
        return "error", None
    return "error", sqlite_rule(message, _visible(upsert), select_from_ambiguity=upsert.select_from_unterminated)


def _visible(upsert: Upsert) -> set[str]:
    """The names a DO UPDATE may qualify a column with: ``excluded``, and the table's alias, else its name."""
    return {"excluded", (upsert.alias or upsert.table).text.lower()}


def _sqlite_value(context: _Context, n: int) -> object:
    """A value SQLite stores in the column (its type family), or NULL for a nullable one."""
    if context.nullable:
        return None
    family = context.column.normalized_type if context.column is not None else normalize_type(context.cast or "")
    if family == "boolean":
        return 1
    if family in ("integer", "bigint", "smallint", ""):  # "": a context that names no type
        return n
    if family in ("real", "double", "numeric"):
        return float(n)
    if family == "binary":
        return bytes([n % 256])
    return _text_value(family, n)


def _text_value(family: str, n: int) -> str:
    """A literal both engines read as a value of the family (SQLite stores it as text)."""
    return {
        "timestamp": f"2000-01-01 00:00:{n % 60:02d}",
        "timestamptz": f"2000-01-01 00:00:{n % 60:02d}+00",
        "date": f"2000-01-{n % 28 + 1:02d}",
        "time": "00:00:00",
        "timetz": "00:00:00+00",
        "interval": "1 day",
        "uuid": f"00000000-0000-0000-0000-{n:012d}",
        "json": "{}",
        "jsonb": "{}",
        "boolean": "true",
    }.get(family, str(n))


def _placeholder_count(sql: str) -> int:
    return sum(1 for t in _tokens(sql, "sqlite") if t.token_type == TokenType.PLACEHOLDER)


def _do_nothing(masked: str) -> str:
    """The statement with each ``DO UPDATE ...`` action replaced by ``DO NOTHING``: its arbiters are the same, and its
    program has only the insertion's unique checks (a DO UPDATE program checks the updated row's too)."""
    tokens = _tokens(masked, "sqlite")
    depths = parenthesis_depths(tokens)
    starts = [i for i in range(len(tokens) - 1) if _is_conflict(tokens, i)]
    if not starts:
        return masked
    level = depths[starts[0]]
    pieces, kept = [], 0
    for i in (s for s in starts if depths[s] == level):
        do = next((j for j in range(i, len(tokens)) if depths[j] == level and _word(tokens[j], "DO")), None)
        if do is None or do + 1 >= len(tokens) or not _word(tokens[do + 1], "UPDATE"):
            continue
        end = next(
            (
                j
                for j in range(do + 2, len(tokens))
                if depths[j] < level
                or (depths[j] == level and (tokens[j].token_type == TokenType.RETURNING or _is_conflict(tokens, j)))
            ),
            None,
        )
        stop = tokens[end].start if end is not None else len(masked)
        pieces += [masked[kept : tokens[do].start], "DO NOTHING "]
        kept = stop
    return "".join(pieces) + masked[kept:]


def _is_conflict(tokens: list[Token], i: int) -> bool:
    return tokens[i].token_type == TokenType.ON and i + 1 < len(tokens) and _word(tokens[i + 1], "CONFLICT")


def _word(token: Token, word: str) -> bool:
    return token.text.upper() == word and token.token_type not in (TokenType.STRING, TokenType.IDENTIFIER)


# -- PostgreSQL -----------------------------------------------------------------------------------------------------
class _PostgresDatabase(_Database):
    """A scratch database on the server the check uses (dropped at the end; see sources/server.py)."""

    def __init__(self, schema: Schema) -> None:
        super().__init__(schema)
        self._scratch: ScratchDatabases | None = None
        self._name: str | None = None
        self._engine: sa.Engine | None = None
        self.label = "PostgreSQL"

    def _fresh(self) -> None:
        from schema_parity.sources.server import PREFIX, ScratchDatabases, run_setup_sql

        if self._scratch is None:
            server = self.schema.postgres.server()
            if server is None:
                reasons = "; ".join(self.schema.postgres.reasons) or "postgres = offline"
                raise _Unverifiable(f"no PostgreSQL server to run the statements on ({reasons})")
            self.label, self.where = f"PostgreSQL {server.version}", server.where
            self._scratch = ScratchDatabases(server.url, PREFIX)
        scratch = self._scratch
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None
        if self._name is not None:
            scratch.drop(self._name)
        try:
            self._name = scratch.create(label="verify_")
        except sa.exc.SQLAlchemyError as exc:
            raise ConnectionFailed(
                f"--verify cannot create a scratch database on {scratch.shown}: {describe(exc)}. It needs a server "
                "where this user may CREATE DATABASE."
            ) from exc
        run_setup_sql(scratch.url(self._name), self.schema.options.setup_sql, shown=scratch.shown)
        self._engine = compat.create_engine(scratch.url(self._name))

    def _load(self, name: str, ddl: str) -> None:
        import psycopg

        with self._cursor() as cursor:
            try:
                cursor.execute(ddl)
            except psycopg.Error as exc:
                raise _Unverifiable(f"{name} does not run on {self.label}: {_pg_message(exc)}") from exc
            cursor.connection.commit()

    def _upgrade(self, revision: str) -> list[str]:
        from schema_parity.sources.alembic import upgrade_engine

        assert self._engine is not None
        return upgrade_engine(self._engine, self.schema.project(), revision, use_env_py=self.schema.options.use_env_py)

    @contextmanager
    def _cursor(self) -> Iterator[psycopg.Cursor[Any]]:
        """A cursor of a new connection, in a transaction rolled back at the end."""
        import psycopg

        assert self._engine is not None
        with self._engine.connect() as connection:
            raw = connection.connection.dbapi_connection
            assert isinstance(raw, psycopg.Connection)
            try:
                with raw.cursor() as cursor:
                    yield cursor
            finally:
                raw.rollback()

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None
        if self._scratch is not None:
            self._scratch.close()
            self._scratch = None

    def ask_all(self, questions: Sequence[tuple[str, Verdict]], catalog: Catalog) -> list[Answer]:
        with self._cursor() as cursor:
            cursor.execute(f"SET LOCAL statement_timeout = {int(STATEMENT_TIMEOUT * 1000)}")
            cursor.execute("SAVEPOINT schema_parity_verify")
            return [self._ask(cursor, sql, verdict, catalog) for sql, verdict in questions]

    def _ask(self, cursor: psycopg.Cursor[Any], sql: str, verdict: Verdict, catalog: Catalog) -> Answer:
        import psycopg

        question = _question(sql, "postgresql", catalog)
        if isinstance(question, str):
            return self.answer(verdict, "unverified", message=question)
        phase = "plan"
        prepared = False
        try:
            cursor.execute(f"PREPARE schema_parity_verify AS {question.numbered()}")
            prepared = True
            arguments = self._arguments(cursor, question)
            cursor.execute(f"EXPLAIN (FORMAT JSON) EXECUTE schema_parity_verify{arguments}")
            row = cursor.fetchone()
            arbiters = tuple(_plan_arbiters(row[0] if row else []))
            phase = "execute"
            cursor.execute(f"EXECUTE schema_parity_verify{arguments}")
            rows = cursor.rowcount
        except psycopg.Error as exc:
            return self._refused(exc, phase, question, verdict)
        finally:
            cursor.execute("ROLLBACK TO SAVEPOINT schema_parity_verify")
            if prepared:
                cursor.execute("DEALLOCATE schema_parity_verify")
        return self.answer(verdict, "ok", phase=phase, arbiters=arbiters, rows=rows)

    def _arguments(self, cursor: psycopg.Cursor[Any], question: _Question) -> str:
        """``(v1, v2, ...)`` for EXECUTE: a literal of each parameter's type as the server inferred it (an enum's
        first label, a domain's base type), or NULL where every use feeds a nullable column."""
        cursor.execute(_PARAMETER_TYPES)
        values = []
        for (position, name, category, label), key in zip(cursor.fetchall(), question.keys, strict=True):
            context = question.contexts[key]
            if context.nullable:
                values.append("NULL")
            elif label is not None:
                values.append(_quote(str(label)))
            else:
                values.append(_quote(_pg_value(str(name), str(category), int(position))))
        return f"({', '.join(values)})" if values else ""

    def _refused(self, exc: psycopg.Error, phase: str, question: _Question, verdict: Verdict) -> Answer:
        message = _pg_message(exc)
        if exc.sqlstate == "57014":  # statement_timeout
            return self.answer(
                verdict, "unverified", phase=phase, sqlstate=exc.sqlstate,
                message=f"the statement ran longer than {STATEMENT_TIMEOUT:g} s",
            )  # fmt: skip
        result, rule = _pg_error(exc, question, claimed={p.rule for p in verdict.problems})
        return self.answer(verdict, result, phase=phase, sqlstate=exc.sqlstate, rule=rule, message=message)


#: Each parameter of the prepared statement: position, type name (a domain's base type), category, an enum's first
#: label.
_PARAMETER_TYPES = """
SELECT p.ord, coalesce(b.typname, t.typname), coalesce(b.typcategory, t.typcategory),
       (SELECT e.enumlabel FROM pg_enum e WHERE e.enumtypid = coalesce(b.oid, t.oid) ORDER BY e.enumsortorder LIMIT 1)
FROM pg_prepared_statements s
CROSS JOIN LATERAL unnest(s.parameter_types::oid[]) WITH ORDINALITY AS p(oid, ord)
JOIN pg_type t ON t.oid = p.oid
LEFT JOIN pg_type b ON t.typtype = 'd' AND b.oid = t.typbasetype
WHERE s.name = 'schema_parity_verify'
ORDER BY p.ord
"""

#: PostgreSQL's type names whose values are not plain numbers or text, by the family of :func:`_text_value`.
_PG_FAMILY = {
    "bool": "boolean", "date": "date", "timestamp": "timestamp", "timestamptz": "timestamptz", "time": "time",
    "timetz": "timetz", "interval": "interval", "uuid": "uuid", "json": "json", "jsonb": "jsonb",
}  # fmt: skip
_PG_LITERALS = {"bytea": "\\x01", "inet": "127.0.0.1", "cidr": "127.0.0.0/8", "macaddr": "08:00:2b:01:02:03",
                "xml": "<a/>", "tsvector": "a", "tsquery": "a", "point": "(0,0)"}  # fmt: skip


def _pg_value(type_name: str, category: str, n: int) -> str:
    """Text PostgreSQL reads as a value of the type: by name, else by category (arrays ``{}``, ranges ``empty``)."""
    if type_name in _PG_LITERALS:
        return _PG_LITERALS[type_name]
    if category == "A":
        return "{}"
    if category == "R":
        return "empty"
    return _text_value(_PG_FAMILY.get(type_name, "text"), n)


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _plan_arbiters(plan: object) -> Iterator[str]:
    """Every ``Conflict Arbiter Indexes`` entry of an ``EXPLAIN (FORMAT JSON)`` plan, at any depth."""
    if isinstance(plan, dict):
        yield from (str(name) for name in plan.get("Conflict Arbiter Indexes", ()))
        for value in plan.values():
            yield from _plan_arbiters(value)
    elif isinstance(plan, list):
        for item in plan:
            yield from _plan_arbiters(item)


#: Errors of the values: foreign key, CHECK, unique and exclusion violations among the rows, one row updated twice
#: by rows the placeholders made equal, a raised exception (a trigger), and the data exceptions (class 22) of a
#: malformed value.
_PG_VALUE_STATES = frozenset({"23503", "23514", "23505", "23P01", "21000", "P0001"})


def _pg_error(exc: psycopg.Error, question: _Question, *, claimed: set[str]) -> tuple[Result, str | None]:
    """Whether PostgreSQL's error is a rule's (and which) or the values'.

    ``claimed``: the static verdict's rules. One row updated twice (21000) is the statement's own error when no
    placeholder chose a row's values, or when the static verdict found the same key written twice in the statement's
    literals (SP302 is claimed only then); otherwise the placeholder values may have made two keys equal.
    """
    state, upsert = exc.sqlstate or "", question.upsert
    if exc.diag.context:  # raised inside a function the row triggered
        return "value-error", None
    if state == "21000" and (not question.spans or "SP302" in claimed):
        return "error", postgresql_rule(state, _pg_message(exc))
    if state == "23502":
        return ("error", "SP301") if _omitted(upsert, exc.diag.column_name or "", "postgresql") else (
            "value-error", None)
    if state in _PG_VALUE_STATES or state.startswith("22"):
        return "value-error", None
    return "error", postgresql_rule(state, _pg_message(exc))


def _pg_message(exc: psycopg.Error) -> str:
    return exc.diag.message_primary or str(exc).splitlines()[0]


# -- the statement, made executable -------------------------------------------------------------------------------
def _omitted(upsert: Upsert, column: str, dialect: Dialect) -> bool:
    """Whether the INSERT leaves ``column`` out (DEFAULT VALUES, or a column list without it) or gives it DEFAULT in a
    VALUES row (PostgreSQL): SP301's case."""
    if upsert.source == "default_values":
        return True
    if upsert.columns is None:
        return False
    if dialect == "postgresql":
        listed = [c.folded() for c in upsert.columns]
        return column not in listed or _given_default(upsert, listed.index(column))
    return column.lower() not in {c.text.lower() for c in upsert.columns}


def _given_default(upsert: Upsert, position: int) -> bool:
    """Whether a VALUES row gives the column at ``position`` of the column list ``DEFAULT`` (PostgreSQL: NULL when it
    has no default, SP301's case too)."""
    from schema_parity.rows import values_rows
    from schema_parity.verdicts import DEFAULT_ITEM

    if upsert.source != "values" or "default" not in upsert.sql.lower():
        return False
    return any(position < len(row) and DEFAULT_ITEM.fullmatch(row[position]) for row in values_rows(upsert.sql) or ())


def _question(sql: str, dialect: Dialect, catalog: Catalog) -> _Question | str:
    """The statement ready to run, or why it cannot be."""
    sql = sql.strip().rstrip(";").rstrip()
    try:
        upsert = parse_upsert(sql, dialect)
    except UpsertParseError as exc:  # the verdict parsed it: only a bug of ours gets here
        return f"cannot parse the statement: {exc}"
    masked, count = mask_placeholders(sql)
    spans: list[tuple[int, int, str]] = []
    for token in _tokens(masked, dialect):
        if token.token_type == TokenType.PLACEHOLDER and token.text == "?":
            end = token.start + 1
            while end < len(sql) and masked[end] == " " and sql[end] != " ":
                end += 1
            text = sql[token.start : end]
            named = text.startswith((":", "%(", "$")) or (len(text) > 1 and text.startswith("?"))
            spans.append((token.start, end, text if named else f"#{len(spans)}"))
    if len(spans) != count:
        return f"cannot place values for the statement's {count} placeholder(s)"
    return _Question(upsert, masked, tuple(spans), _contexts(sql, tuple(spans), dialect, catalog, upsert))


def _tokens(sql: str, dialect: Dialect) -> list[Token]:
    try:
        return dialect_tokens(sql, dialect)
    except TokenError:
        return []


def _splice(sql: str, spans: Sequence[tuple[int, int, str]], text: Callable[[str], str]) -> str:
    pieces, kept = [], 0
    for start, end, key in spans:
        pieces += [sql[kept:start], text(key)]
        kept = end
    return "".join(pieces) + sql[kept:]


_MARK = re.compile(r"^__schema_parity_value_(\d+)__$")


def _contexts(
    sql: str, spans: tuple[tuple[int, int, str], ...], dialect: Dialect, catalog: Catalog, upsert: Upsert
) -> dict[str, _Context]:
    """What each placeholder key feeds, read from sqlglot's tree of the statement with each placeholder a marked
    string: a VALUES or SELECT position (the INSERT's column), ``SET c = ?``, a comparison or arithmetic with a
    column, a CAST. A key is NULL only when every use is a nullable column (NULL satisfies CHECK and foreign keys)."""
    keys = [key for *_, key in spans]
    uses: dict[str, list[Column | str | None]] = {key: [] for key in keys}
    numbered = [(start, end, str(i)) for i, (start, end, _) in enumerate(spans)]
    marked = _splice(sql, numbered, lambda i: f"'__schema_parity_value_{i}__'")
    table = _table(catalog, upsert, dialect)
    try:
        tree = sqlglot.parse_one(marked, read=_SQLGLOT[dialect])
    except (ParseError, TokenError, RecursionError):
        tree = None
    inserts = list(tree.find_all(exp.Insert)) if tree is not None else []
    if tree is not None and inserts and table is not None:
        insert = next((i for i in inserts if i.args.get("conflict") is not None), inserts[0])
        targets = _targets(upsert, table, dialect)
        for literal in tree.find_all(exp.Literal):
            mark = _MARK.match(literal.this) if literal.is_string else None
            if mark is not None:
                use = _use(literal, insert, targets=targets, table=table, upsert=upsert, dialect=dialect)
                uses[keys[int(mark.group(1))]].append(use)
    contexts = {}
    for key, found in uses.items():
        columns = [u for u in found if isinstance(u, Column)]
        typed = next((u for u in found if u is not None), None)
        contexts[key] = _Context(
            column=typed if isinstance(typed, Column) else None,
            cast=typed if isinstance(typed, str) else None,
            nullable=bool(found) and len(columns) == len(found) and all(c.nullable for c in columns),
        )
    return contexts


def _table(catalog: Catalog, upsert: Upsert, dialect: Dialect) -> Table | None:
    def same(a: str, b: str) -> bool:
        return a == b if dialect == "postgresql" else a.lower() == b.lower()

    name = upsert.table.folded() if dialect == "postgresql" else upsert.table.text
    schema = upsert.schema.folded() if upsert.schema and dialect == "postgresql" else (
        upsert.schema.text if upsert.schema else None)
    found = [t for t in catalog.tables if same(t.name, name) and (schema is None or same(t.schema or "", schema))]
    return found[0] if len(found) == 1 else None


def _targets(upsert: Upsert, table: Table, dialect: Dialect) -> list[Column | None]:
    """The INSERT's columns, in the order its rows give values (its column list, else the table's)."""
    if upsert.columns is None:
        return [c for c in table.columns if dialect == "postgresql" or c.generated is None]
    return [_column(table, n.folded() if dialect == "postgresql" else n.text, dialect) for n in upsert.columns]


def _column(table: Table, name: str, dialect: Dialect) -> Column | None:
    if dialect == "postgresql":
        return table.column(name)
    return next((c for c in table.columns if c.name.lower() == name.lower()), None)


def _use(
    literal: exp.Expression, insert: exp.Insert, *, targets: list[Column | None], table: Table, upsert: Upsert,
    dialect: Dialect,
) -> Column | str | None:
    """The column (or CAST type) a marked placeholder feeds, None when its context does not say."""
    node = literal
    while isinstance(node.parent, exp.Paren):
        node = node.parent
    parent = node.parent
    if isinstance(parent, exp.Cast):
        return parent.to.sql(dialect=_SQLGLOT[dialect])
    if isinstance(parent, exp.Tuple) and isinstance(parent.parent, exp.Values) and _feeds(parent.parent, insert):
        return _nth(targets, parent.expressions.index(node))
    if isinstance(parent, exp.Select) and node in parent.expressions and _feeds(parent, insert):
        return _nth(targets, parent.expressions.index(node))
    if isinstance(parent, (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.Add, exp.Sub, exp.Mul, exp.Div)):
        other = parent.this if parent.expression is node else parent.expression
        if isinstance(other, exp.Column) and (not other.table or other.table.lower() in _visible(upsert)):
            name = other.this
            text = name.name if isinstance(name, exp.Identifier) else other.name
            quoted = isinstance(name, exp.Identifier) and bool(name.args.get("quoted"))
            return _column(table, text if quoted or dialect == "sqlite" else text.lower(), dialect)
    return None


def _feeds(node: exp.Expression, insert: exp.Insert) -> bool:
    """Whether ``node`` (a VALUES or SELECT) is the INSERT's own source, through set operations and parentheses."""
    source = insert.expression
    while node is not source and isinstance(node.parent, (exp.SetOperation, exp.Subquery, exp.Paren)):
        node = node.parent
    return node is source


def _nth(targets: list[Column | None], index: int) -> Column | None:
    return targets[index] if 0 <= index < len(targets) else None
