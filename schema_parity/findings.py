"""The rule registry: one stable code per thing the upsert checker can report.

Codes never change meaning once published: SP1xx are conflict-target rules, SP2xx table/column resolution, SP3xx
rules about the inserted row, SP5xx engine drift (the same schema source gives the two engines different keys), SP9xx
what the checker could not decide. Rule ids in ``refs`` point at ``docs/semantics.md`` (P# PostgreSQL, S# SQLite).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from schema_parity.catalog import Dialect
    from schema_parity.sites import Site
    from schema_parity.verdicts import Problem

Severity = Literal["error", "warning", "info"]


@dataclass(frozen=True)
class Rule:
    """A registered rule: ``code`` and ``name`` are stable, ``summary`` is one line for listings."""

    code: str
    name: str
    severity: Severity
    summary: str
    refs: tuple[str, ...] = ()


_RULES: tuple[Rule, ...] = (
    Rule("SP101", "no-matching-key", "error",
         "The ON CONFLICT target matches no PRIMARY KEY, UNIQUE constraint or unique index of the table.",
         ("P1", "P2", "P3", "P4", "P5", "P12", "P13", "P14", "P15", "P16", "S6", "S7", "S8", "S9", "S10", "S11")),
    Rule("SP102", "do-update-without-target", "error",
         "PostgreSQL needs a conflict target (columns or ON CONSTRAINT) for DO UPDATE.", ("P30",)),
    Rule("SP103", "ordering-in-target", "error",
         "ASC/DESC (PostgreSQL) or NULLS FIRST/LAST (both engines) written in the conflict target.", ("P8", "S15")),
    Rule("SP104", "unsupported-syntax", "error",
         "The statement uses upsert syntax this engine's grammar does not have.",
         ("P9", "P11", "P23", "P32", "S2", "S3", "S14", "S15", "S17", "S20")),
    Rule("SP105", "insert-select-from-ambiguity", "error",
         "SQLite reads ON CONFLICT after INSERT ... SELECT ... FROM t as a join constraint.", ("S13",)),
    Rule("SP106", "whole-row-target", "error",
         "PostgreSQL does not support a whole-row reference as conflict target.", ("P10",)),
    Rule("SP107", "unknown-constraint", "error",
         "ON CONSTRAINT names no PRIMARY KEY, UNIQUE or EXCLUDE constraint of the table.", ("P21", "P24", "P25")),
    Rule("SP108", "constraint-without-index", "error",
         "ON CONSTRAINT names a CHECK or FOREIGN KEY constraint, which has no index to arbitrate.", ("P22",)),
    Rule("SP109", "exclusion-do-update", "error",
         "DO UPDATE cannot use an exclusion constraint as arbiter.", ("P26",)),
    Rule("SP110", "deferrable-arbiter", "error",
         "A DEFERRABLE constraint would be an arbiter: PostgreSQL fails as soon as a row is proposed.", ("P27", "P28")),
    Rule("SP111", "bind-parameter-in-index-predicate", "warning",
         "The partial-index WHERE of the target needs a bind parameter: PostgreSQL fails once it uses a generic plan.",
         ("P19",)),
    Rule("SP112", "table-has-rules", "error",
         "PostgreSQL refuses ON CONFLICT on a table with INSERT or UPDATE rules.", ("P38",)),
    Rule("SP201", "unknown-table", "error", "The INSERT names a table the schema does not have.", ("P7", "P33", "P34")),
    Rule("SP202", "unknown-column", "error",
         "A column of the column list, target, target WHERE, SET or excluded.* does not exist.", ("P7", "P33", "P36")),
    Rule("SP203", "invalid-table-reference", "error",
         "A column is qualified with a name that is not the INSERT's table (or its alias) or excluded.", ("P35",)),
    Rule("SP204", "not-upsertable-relation", "error",
         "SQLite cannot upsert into a view or a virtual table.", ("S18",)),
    Rule("SP205", "ambiguous-column-reference", "error",
         "An unqualified column in DO UPDATE SET/WHERE: PostgreSQL cannot tell the table's column from excluded's.",
         ()),
    Rule("SP301", "not-null-without-default", "error",
         "The INSERT omits a NOT NULL column that has no default: every row fails.", ("P42", "S22")),
    Rule("SP501", "engine-key-drift", "warning",
         "The schema gives the table other keys on SQLite than on PostgreSQL: SQLite tests exercise other keys.",
         ()),
    Rule("SP502", "engine-deferral-drift", "warning",
         "A key PostgreSQL defers is checked at once on SQLite: SQLite resolves upserts PostgreSQL rejects.",
         ("P27", "P28")),
    Rule("SP901", "unresolved", "info",
         "The checker cannot decide this statement from the schema alone; the reason says what is missing.", ()),
    Rule("SP902", "parse-error", "info", "The statement could not be parsed as an INSERT.", ()),
    Rule("SP903", "unreadable-file", "warning",
         "A scanned file could not be read or parsed, so its upserts are unchecked.", ()),
    Rule("SP904", "unused-suppression", "warning",
         "A schema-parity: ignore comment suppresses nothing (the finding is gone, or the code is wrong).", ()),
    Rule("SP905", "verify-disagreement", "error",
         "--verify: the real engine's answer contradicts the static verdict, a defect of schema-parity.", ()),
)

RULES: dict[str, Rule] = {rule.code: rule for rule in _RULES}


def rule_for(code: str) -> Rule:
    """The registered rule for ``code`` (KeyError for an unregistered code, so typos fail loudly in tests)."""
    return RULES[code]


@dataclass(frozen=True)
class Finding:
    """A problem placed in the user's code: what reporters, the exit code and pytest items read."""

    rule: str
    severity: Severity
    path: str
    line: int
    column: int
    dialect: Dialect | None
    table: str | None
    message: str
    hint: str = ""

    @classmethod
    def from_problem(cls, problem: Problem, *, site: Site, dialect: Dialect | None, table: str | None) -> Finding:
        return cls(
            rule=problem.rule,
            severity=rule_for(problem.rule).severity,
            path=site.path,
            line=site.line,
            column=site.column,
            dialect=dialect,
            table=table,
            message=problem.message,
            hint=problem.hint,
        )

    def sort_key(self) -> tuple[str, int, int, str, str]:
        return (self.path, self.line, self.column, self.dialect or "", self.rule)
