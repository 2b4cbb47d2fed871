"""Verdicts: what PostgreSQL or SQLite would say about one upsert, judged against a Catalog without running it.

This module holds what both engines share: the verdict and its problems, and the helpers both rule sets call.
``dispatch.py`` dispatches to each engine's own rules (``postgresql.py``, ``sqlite.py``), which import from here and
never from each other. A verdict is ``error`` when the engine is certain to reject the statement (at prepare, plan
or first row), ``ok`` when it accepts it (warnings may still be attached), and ``unresolved`` when the Catalog lacks
what the rule needs.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from typing import Literal

from sqlglot import exp

from schema_parity.catalog import Catalog, Column, Dialect, Key, Table
from schema_parity.rows import values_rows
from schema_parity.rules import RULES, Severity, rule_for
from schema_parity.upsert import ConflictClause, Name, Upsert

Status = Literal["ok", "error", "unresolved"]


@dataclass(frozen=True)
class Problem:
    """One finding: a registered rule code, a message saying why, and a hint saying how to fix it.

    ``cause`` names the root cause when each engine words it its own way (SP202: the table and the missing column),
    so the check reports it once for every dialect and every place of the statement it shows at; without one,
    findings with the same words are the same.
    """

    rule: str
    message: str
    hint: str = ""
    cause: tuple[str, ...] = ()
    pytest_hint: str = ""
    """The hint as pytest says it, when it differs (``Message.pytest_hint``)."""
    reason: str | None = None
    """For SP901, the key of the registered reason it says (``schema_parity.rules.undecided.REASONS``), when it says
    one; ``sites[].verdicts.<dialect>.reason`` in the JSON report."""

    @classmethod
    def of(cls, rule: str, message: str, **fields: object) -> Problem:
        """Rule ``rule``'s message ``message`` with ``fields``: the words are the rule's (schema_parity/rules/)."""
        said = RULES[rule].say(message, **fields)
        return cls(rule, said.message, said.hint, pytest_hint=said.pytest_hint)

    def because(self, *cause: str) -> Problem:
        """This problem with its root cause named (names from the statement and the schema, never words)."""
        return replace(self, cause=tuple(cause))

    def for_reason(self, key: str | None) -> Problem:
        """This problem with the key of the registered SP901 reason it says (None: no registered reason)."""
        return replace(self, reason=key)

    @property
    def severity(self) -> Severity:
        return RULES[self.rule].severity

    @property
    def name(self) -> str:
        return RULES[self.rule].name


@dataclass(frozen=True)
class Verdict:
    """The engine's answer: status, the arbiter keys it would use, and every problem found."""

    dialect: Dialect
    status: Status
    arbiters: tuple[str, ...] = ()
    problems: tuple[Problem, ...] = ()

    @classmethod
    def of(cls, dialect: Dialect, problems: Iterable[Problem], arbiters: Iterable[str] = ()) -> Verdict:
        """Status from the problems: any error wins, then anything unresolved, else ok."""
        found = tuple(problems)
        status: Status = (
            "error"
            if any(p.severity == "error" for p in found)
            else "unresolved"
            if any(p.rule == "SP901" for p in found)
            else "ok"
        )
        return cls(dialect=dialect, status=status, arbiters=tuple(dict.fromkeys(arbiters)), problems=found)

    @classmethod
    def unresolved(cls, dialect: Dialect, problem: Problem) -> Verdict:
        """A verdict the checker cannot give (an SP9xx ``problem``, with the reason)."""
        return cls(dialect=dialect, status="unresolved", problems=(problem,))

    @property
    def reason(self) -> str | None:
        """The key of the registered reason the verdict is unresolved for; None when it is not unresolved, or not for
        a registered reason (a view, a search_path, an opclass: SP901's own messages say those)."""
        if self.status != "unresolved":
            return None
        return next((p.reason for p in self.problems if p.rule == "SP901" and p.reason is not None), None)


#: sqlglot's validation error: it names the first missing argument of a node in the order of a ``set`` (string
#: hashes vary with PYTHONHASHSEED: ``1 BETWEEN`` lacks ``low`` or ``high``), with its Python class's module path.
_SQLGLOT_REQUIRED = re.compile(r"Required keyword: '\w+' missing for <class '(?:[\w.]+\.)?(\w+)'>")


def parse_error(exc: Exception) -> str:
    """The words of a statement or expression sqlglot cannot read (SP902, SP901), the same on every run: sqlglot's
    "Required keyword: 'this' missing for <class 'sqlglot.expressions.core.EQ'>" names one of several missing parts
    chosen by hash order, so it says which expression is incomplete instead."""
    return _SQLGLOT_REQUIRED.sub(r"incomplete \1 expression: a required part is missing", str(exc))


# -- helpers shared by both engines ---------------------------------------------------------------------------------
class TableIndex:
    """A Catalog's tables by looked-up name, built once per Catalog and dialect (folding is the dialect's)."""

    def __init__(self, catalog: Catalog, fold: Callable[[str], str]) -> None:
        self.by_name: dict[str, list[Table]] = {}
        for table in catalog.tables:
            self.by_name.setdefault(fold(table.name), []).append(table)


def table_index(catalog: Catalog, dialect: Dialect, fold: Callable[[str], str]) -> TableIndex:
    """The TableIndex of ``catalog`` for ``dialect``, kept in the Catalog's memo: it lives and dies with the
    Catalog, and no module-level state is keyed by ``id()``."""
    key = (TableIndex, dialect)
    index: TableIndex | None = catalog.memo.get(key)
    if index is None:
        index = catalog.memo[key] = TableIndex(catalog, fold)
    return index


def missing_not_null(
    upsert: Upsert, table: Table, column_of: Callable[[Name], Column | None],
    refuses_null: Callable[[Column], bool | None] | None = None,
) -> list[Problem]:
    """NOT NULL columns without a default that an explicit column list (or DEFAULT VALUES) leaves out (P42, S22), and
    (PostgreSQL) those a VALUES row gives ``DEFAULT``, which is NULL for a column without a default.

    A row that omits such a column fails on every execution on both engines, whatever ON CONFLICT says: NOT NULL
    violations are never arbitrated. Without a column list every column is written, so nothing is decided here
    but the ``DEFAULT`` items. ``refuses_null`` (PostgreSQL): whether a column without a default of its own refuses
    what a row that leaves it out gets, its type's (a domain's default, a NOT NULL domain's 23502); None when the
    Catalog cannot tell (a type that may be a domain): such a column alone makes the verdict unresolved (SP901), as
    does a NOT NULL column whose default is an expression of NULL the checker does not evaluate (``default_unknown``).
    """
    if upsert.columns is None and upsert.source != "default_values" and refuses_null is None:
        return []
    refuses = refuses_null if refuses_null is not None else _not_null
    given = {id(c) for c in (column_of(n) for n in upsert.columns or ()) if c is not None}
    omitted = [] if upsert.columns is None and upsert.source != "default_values" else [
        c for c in table.columns if (not c.has_default or c.default_unknown) and id(c) not in given
    ]
    defaulted = _defaulted(upsert, table, column_of) if refuses_null is not None else []
    problems = []
    answers = [(c, refuses(c)) for c in omitted]
    missing = [c for c, refused in answers if refused and not c.default_unknown]
    doubtful = [c for c, refused in answers if refused is None and not c.default_unknown]
    unknown = [c for c, refused in answers if refused is not False and c.default_unknown]
    if missing:
        problems.append(Problem.of(
            "SP301",
            "default-values" if upsert.columns is None else "column-list",
            written=", ".join(n.text for n in upsert.columns or ()),
            table=table.qualified_name,
            columns=", ".join(c.name for c in missing),
            count=len(missing),
            name=table.name,
            column=missing[0].name,
        ))
    items = [(row, c, refuses(c)) for row, c in defaulted]
    certain = [(row, c) for row, c, refused in items if refused and not c.default_unknown]
    doubtful += [c for _, c, refused in items if refused is None and not c.default_unknown]
    unknown += [c for _, c, refused in items if refused is not False and c.default_unknown]
    if certain:
        row, column = certain[0]
        problems.append(Problem.of(
            "SP301", "default-item", row=row, table=table.qualified_name, column=column.name, name=table.name
        ))
    if doubtful and not problems:
        column = doubtful[0]
        problems.append(Problem.of("SP901", "domain-default", column=column.name, table=table.qualified_name,
                                   type=column.type))
    if unknown and not problems:
        column = unknown[0]
        problems.append(Problem.of("SP901", "null-default", column=column.name, table=table.qualified_name,
                                   default=column.default))
    return problems


def _not_null(column: Column) -> bool:
    return not column.nullable


def _defaulted(upsert: Upsert, table: Table, column_of: Callable[[Name], Column | None]) -> list[tuple[int, Column]]:
    """(row, column) of each VALUES item that is ``DEFAULT`` (in parentheses or not) for a column without a default,
    in the order of the rows: PostgreSQL inserts NULL there (or its type's default, a domain's)."""
    if upsert.source != "values" or "default" not in upsert.sql.lower():
        return []
    if (upsert.ctes or upsert.in_cte) and len(_VALUES_OR_CONFLICT.findall(upsert.sql)) != 2:
        return []  # another VALUES or upsert in the statement: the first VALUES read may not be this INSERT's
    rows = values_rows(upsert.sql)
    found = []
    for number, row in enumerate(rows or (), start=1):
        for position, item in enumerate(row):
            if not DEFAULT_ITEM.fullmatch(item):
                continue
            if upsert.columns is not None:
                column = column_of(upsert.columns[position]) if position < len(upsert.columns) else None
            else:
                column = table.columns[position] if position < len(table.columns) else None
            if column is not None and (not column.has_default or column.default_unknown):
                found.append((number, column))
    return found


#: The words that, each found once, make the statement's one VALUES list this upsert's (a WITH beside it or around it
#: changes nothing: PostgreSQL still inserts NULL for the DEFAULT item, 23502 on a NOT NULL column).
_VALUES_OR_CONFLICT = re.compile(r"\b(?:values|conflict)\b", re.IGNORECASE)

#: A VALUES item that is the DEFAULT keyword, in parentheses or not (PostgreSQL reads ``(DEFAULT)`` as DEFAULT).
DEFAULT_ITEM = re.compile(r"[\s(]*default[\s)]*", re.IGNORECASE)


def values_count(upsert: Upsert, table: Table, dialect: Dialect) -> Problem | None:
    """SP303: a VALUES row whose length is not the INSERT's column count, or rows of different lengths.

    Each engine's first complaint, measured: PostgreSQL checks row 1 against the target columns, then each later row
    against row 1 (transformInsertStmt); SQLite checks that the rows agree, then their length against the columns.
    Without a column list PostgreSQL takes fewer values (defaults) and SQLite does not count generated columns. A
    column named twice is PostgreSQL's own error first, so the count is not judged there.
    """
    from schema_parity.rows import values_lengths

    lengths = values_lengths(upsert)
    if lengths is None:
        return None
    first = lengths[0]
    differs = next((row for row, length in enumerate(lengths, start=1) if length != first), None)
    cause = (table.name.casefold(), "values", ",".join(map(str, lengths)))
    if dialect == "postgresql":
        if upsert.columns is not None and len({n.folded() for n in upsert.columns}) != len(upsert.columns):
            return None
        columns = len(upsert.columns) if upsert.columns is not None else len(table.columns)
        if first > columns or (first < columns and upsert.columns is not None):
            message = "more-expressions" if first > columns else "more-targets"
            return Problem.of("SP303", message, table=table.name, columns=columns, values=first, row=1).because(*cause)
        if differs is not None:
            return Problem.of(
                "SP303", "rows-differ", table=table.name, row=differs, values=lengths[differs - 1], first=first
            ).because(*cause)
        return None
    if differs is not None:
        return Problem.of(
            "SP303", "sqlite-rows-differ", table=table.name, row=differs, values=lengths[differs - 1], first=first
        ).because(*cause)
    if upsert.columns is not None:
        if first != len(upsert.columns):
            return Problem.of("SP303", "sqlite-count", table=table.name, columns=len(upsert.columns), values=first)\
                .because(*cause)
        return None
    columns = sum(1 for c in table.columns if c.generated is None)
    if first != columns:
        return Problem.of("SP303", "sqlite-table-count", table=table.name, columns=columns, values=first)\
            .because(*cause)
    return None


def partial_predicate_hint(clause: ConflictClause, key: Key) -> str:
    """SP101's hint when the partial unique index ``key`` has the target's columns but its predicate is not in (or
    not implied by) the target: repeat the predicate, as both engines' rules want, rather than add a full key."""
    assert clause.target is not None and key.predicate is not None
    predicate = unwrapped(key.predicate)
    target = ", ".join(e.sql for e in clause.target)
    return rule_for("SP101").text("hint-partial-predicate", name=key.name or key.describe(), target=target,
                                  predicate=predicate)  # fmt: skip


def no_match_cause(table: Table, clause: ConflictClause) -> tuple[str, str, str]:
    """SP101's root cause, however each engine words it: this target (and WHERE) matches no key of this table."""
    assert clause.target is not None
    target = " ".join(", ".join(e.sql for e in clause.target).split()).casefold()
    return table.name.casefold(), target, " ".join((clause.target_where_sql or "").split()).casefold()


def unwrapped(sql: str) -> str:
    """``sql`` without parentheses around all of it (PostgreSQL shows an index predicate as ``(a IS NULL)``)."""
    text = sql.strip()
    while text.startswith("(") and text.endswith(")") and _closing(text) == len(text) - 1:
        text = text[1:-1].strip()
    return text


def _closing(text: str) -> int:
    """Where the parenthesis that opens ``text`` closes (quotes skipped); -1 when it does not."""
    depth, quote = 0, ""
    for index, char in enumerate(text):
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return index
    return -1


def in_subquery(column: exp.Column, root: exp.Expression) -> bool:
    """Whether ``column`` is inside a query nested in ``root`` (a DO UPDATE value or WHERE)."""
    parent = column.parent
    while parent is not None and parent is not root:
        if isinstance(parent, exp.Query):
            return True
        parent = parent.parent
    return False


def subquery_scopes(column: exp.Column, root: exp.Expression) -> list[exp.Select] | None:
    """The SELECTs under ``root`` whose FROM items ``column`` sees, innermost first; None when not modelled.

    A FROM item or CTE body does not see its own SELECT's FROM items (but does see the levels outside); LATERAL,
    set-operation ORDER BY and ORDER/GROUP BY (which may name output columns) are not modelled.
    """
    scopes: list[exp.Select] = []
    child: exp.Expr = column
    parent = column.parent
    came_from_on = False
    while parent is not None and child is not root:
        if isinstance(parent, exp.Lateral):
            return None
        if isinstance(parent, exp.SetOperation) and child.arg_key not in ("this", "expression"):
            return None
        if isinstance(parent, exp.Select):
            if child.arg_key in ("order", "group"):
                return None
            if child.arg_key not in ("from_", "with_") and (child.arg_key != "joins" or came_from_on):
                scopes.append(parent)
        came_from_on = isinstance(parent, exp.Join) and child.arg_key in ("on", "using")
        child, parent = parent, parent.parent
    return scopes


def visible_ctes(select: exp.Expression) -> Iterator[exp.CTE]:
    """The CTEs visible from ``select``: its own WITH and every enclosing one (the statement's included)."""
    node: exp.Expr | None = select
    while node is not None:
        with_ = node.args.get("with_")
        if isinstance(with_, exp.With):
            yield from with_.expressions
        node = node.parent


def ordinal(n: int) -> str:
    """SQLite's clause numbering in messages: 1st, 2nd, 3rd, 4th ... (S4)."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
