"""Which rule an engine's own error stands for: PostgreSQL's SQLSTATE and primary message, SQLite's message.

One table per engine, read by ``--verify`` (is the engine's refusal the one the static verdict names?) and by the
test suite's engine oracles (the checker must report the rule of the error the engine raised). Errors of the
values (a NOT NULL column given NULL, foreign keys, CHECKs) are told apart by the caller, which sees the row.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["PG_ERRORS", "SQLITE_ERRORS", "postgresql_rule", "sqlite_rule"]

#: (SQLSTATE, regular expression the primary message must match, rule); the first match wins.
PG_ERRORS: tuple[tuple[str, str, str], ...] = (
    ("42P10", r"^(ASC/DESC|NULLS FIRST/LAST) is not allowed in ON CONFLICT clause", "SP103"),
    ("42P10", r"^there is no unique or exclusion constraint matching the ON CONFLICT specification", "SP101"),
    ("42601", r"^ON CONFLICT DO UPDATE requires inference specification or constraint name", "SP102"),
    ("42601", r"^syntax error", "SP104"),
    ("42601", r"^DEFAULT is not allowed in this context", "SP104"),
    ("0A000", r"^cannot use subquery in index (expression|predicate)$", "SP104"),
    ("42601", r"^subquery (has too (many|few) columns|must return only one column)$", "SP104"),
    ("0A000", r"^whole row unique index inference specifications are not supported", "SP106"),
    ("0A000", r"^INSERT with ON CONFLICT clause cannot be used with table that has INSERT or UPDATE rules", "SP112"),
    ("42704", r"^constraint \S+ for table \S+ does not exist", "SP107"),
    ("42809", r"^constraint in ON CONFLICT clause has no associated index", "SP108"),
    ("42809", r"^ON CONFLICT DO UPDATE not supported with exclusion constraints", "SP109"),
    ("55000", r"^ON CONFLICT does not support deferrable unique constraints/exclusion constraints", "SP110"),
    ("42P01", r"^relation \S+ does not exist", "SP201"),
    ("42703", r"^column ", "SP202"),
    ("42P01", r"^(missing|invalid reference to) FROM-clause entry for table", "SP203"),
    ("42P09", r"^table reference \"excluded\" is ambiguous", "SP203"),
    ("42702", r"^column reference \S+ is ambiguous", "SP205"),
    ("42804", r"^argument of IS (NOT )?(TRUE|FALSE|UNKNOWN) must be type boolean", "SP206"),
    ("23502", r"^null value in column \S+ of relation \S+ violates not-null constraint", "SP301"),
    ("23502", r"^domain \S+ does not allow null values", "SP301"),
    ("42601", r"^INSERT has more (target columns than expressions|expressions than target columns)$", "SP303"),
    ("42601", r"^VALUES lists must all be the same length$", "SP303"),
    ("21000", r"^ON CONFLICT DO UPDATE command cannot affect row a second time", "SP302"),
)

#: (regular expression SQLite's message must match, rule); the first match wins.
SQLITE_ERRORS: tuple[tuple[str, str], ...] = (
    (r"^(\d+(st|nd|rd|th) )?ON CONFLICT clause does not match any PRIMARY KEY or UNIQUE constraint$", "SP101"),
    (r"^unsupported use of NULLS (FIRST|LAST)$", "SP103"),
    (r'^(near "[^"]*": syntax error|unrecognized token: ".*"|a JOIN clause is required before ON|parser stack '
     r"overflow)$", "SP104"),
    (r"^no such table: \S+$", "SP201"),
    (r"^table \S+ has no column named \S+$", "SP202"),
    (r"^no such column: \S+$", "SP202"),  # SP203 when qualified by a name the statement cannot see
    (r"^(cannot UPSERT a view|cannot modify \S+ because it is a view|UPSERT not implemented for virtual table)",
     "SP204"),
    (r"^misuse of (aggregate|window) function \S+\(\)$|^misuse of aggregate: \S+\(\)$", "SP207"),
    (r"^NOT NULL constraint failed: \S+$", "SP301"),
    (r"^(\d+ values for \d+ columns|table \S+ has \d+ columns but \d+ values were supplied)$", "SP303"),
    (r"^all VALUES must have the same number of terms$", "SP303"),
)


def postgresql_rule(sqlstate: str, message: str) -> str | None:
    """The rule of PostgreSQL's error, None when no rule names it."""
    return next((rule for code, pattern, rule in PG_ERRORS if sqlstate == code and re.search(pattern, message)), None)


def sqlite_rule(message: str, visible: Iterable[str], *, select_from_ambiguity: bool = False) -> str | None:
    """The rule of SQLite's error, None when no rule names it.

    ``visible``: the names a DO UPDATE may qualify columns with besides ``excluded`` (the table or its alias):
    ``no such column: q.c`` is an unknown column (SP202) when ``q`` is one of them, else SP203.
    ``select_from_ambiguity``: the syntax error comes from ``ON`` read as a join constraint (SP105, not SP104).
    """
    for pattern, rule in SQLITE_ERRORS:
        if re.search(pattern, message):
            qualified = re.match(r"^no such column: ([^.]+)\.", message)
            if qualified and qualified.group(1).lower() not in {*(v.lower() for v in visible), "excluded"}:
                return "SP203"
            return "SP105" if rule == "SP104" and select_from_ambiguity else rule
    return None
