"""SQLite 3.35+ UPSERT rules, written after ``sqlite3UpsertAnalyzeTarget`` (src/upsert.c; rule ids: semantics.md §2).

SQLite matches a conflict target *structurally*: each target term and the target WHERE are compared with
``sqlite3ExprCompare`` against the index's columns and WHERE, on SQLite's own parse trees. sqlglot's trees are not
those trees (it reads ``NOT (b IS NULL)`` and ``b IS NOT NULL`` alike, S11), so this module parses expressions with a
small precedence parser that follows SQLite's grammar (parse.y) over sqlglot's tokens.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Literal, NamedTuple, cast

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError
from sqlglot.tokens import Token, TokenType

from schema_parity.catalog import Catalog, Column, Key, Table
from schema_parity.rows import values_rows
from schema_parity.rules import rule_for
from schema_parity.rules.undecided import reason
from schema_parity.sql.groups import SyntaxMismatch, closing
from schema_parity.sql.tokens import dialect_tokens, mask_placeholders
from schema_parity.upsert import ConflictClause, Name, Upsert
from schema_parity.verdicts import (
    Problem,
    Verdict,
    in_subquery,
    missing_not_null,
    no_match_cause,
    ordinal,
    partial_predicate_hint,
    subquery_scopes,
    table_index,
    values_count,
    visible_ctes,
)

_ROWID_NAMES = ("rowid", "oid", "_rowid_")
_ROWID = "rowid"
"""The rowid as a constraint SQLite checks (see ``_generated_updates``)."""
_ANY = 1 << 30
_AGGREGATES = {
    "avg": (1, 1), "count": (0, 1), "group_concat": (1, 2), "json_group_array": (1, 1), "json_group_object": (2, 2),
    "max": (1, 1), "min": (1, 1), "sum": (1, 1), "total": (1, 1),
}
"""SQLite's built-in aggregates and their numbers of arguments (``count(*)`` has none): refused outside a query."""
_WINDOW_FUNCTIONS = {
    "cume_dist": (0, 0), "dense_rank": (0, 0), "first_value": (1, 1), "lag": (1, 3), "last_value": (1, 1),
    "lead": (1, 3), "nth_value": (2, 2), "ntile": (1, 1), "percent_rank": (0, 0), "rank": (0, 0),
    "row_number": (0, 0),
}
"""SQLite's built-in window functions: without OVER, 'misuse of window function'."""
_SCALARS = {
    **dict.fromkeys(("changes", "last_insert_rowid", "pi", "random", "sqlite_source_id", "sqlite_version",
                     "total_changes"), (0, 0)),
    **dict.fromkeys((
        "abs", "acos", "acosh", "asin", "asinh", "atan", "atanh", "ceil", "ceiling", "cos", "cosh", "degrees", "exp",
        "floor", "hex", "json", "json_quote", "length", "likely", "ln", "log10", "log2", "lower", "octet_length",
        "quote", "radians", "randomblob", "sign", "sin", "sinh", "soundex", "sqlite_compileoption_get",
        "sqlite_compileoption_used", "sqlite_offset", "sqrt", "tan", "tanh", "trunc", "typeof", "unicode",
        "unlikely", "upper", "zeroblob", "json_error_position",
    ), (1, 1)),
    **dict.fromkeys(("atan2", "glob", "ifnull", "instr", "likelihood", "match", "mod", "nullif", "pow", "power",
                     "json_patch", "timediff"), (2, 2)),
    **dict.fromkeys(("json_array_length", "json_type", "json_valid", "load_extension", "log", "ltrim", "round",
                     "rtrim", "trim", "unhex"), (1, 2)),
    **dict.fromkeys(("substr", "substring"), (2, 3)),
    "replace": (3, 3), "like": (2, 3), "coalesce": (2, _ANY), "max": (2, _ANY), "min": (2, _ANY), "iif": (3, 3),
    "concat": (1, _ANY), "concat_ws": (2, _ANY), "strftime": (1, _ANY),
    **dict.fromkeys(("char", "date", "datetime", "format", "json_array", "json_object", "julianday", "printf",
                     "time", "unixepoch"), (0, _ANY)),
    **dict.fromkeys(("json_extract", "json_insert", "json_remove", "json_replace", "json_set"), (1, _ANY)),
}
"""SQLite's built-in scalar functions (core, date and time, math, JSON; some only in later releases) and their
numbers of arguments (lowest, highest)."""


class _Unsupported(Exception):
    """An expression form this parser does not model (reported as SP901, never guessed): ``key`` is one of SP901's
    registered reasons (``schema_parity.rules.undecided.REASONS``), and the message its text."""

    def __init__(self, key: str, **fields: object) -> None:
        super().__init__(reason(key, **fields))
        self.key = key


class _SyntaxError(Exception):
    """Text SQLite's tokenizer or grammar rejects."""


class _NoSuchColumn(Exception):
    """Name resolution failed, as ``no such column: <name>``."""

    def __init__(self, name: str, *, foreign: bool = False) -> None:
        super().__init__(name)
        self.foreign = foreign
        """Qualified with a name that is not the table's (or its alias'): SP203, not an unknown column."""


class _Misuse(Exception):
    """An aggregate or window function where SQLite allows neither (``misuse of aggregate function count()``)."""

    def __init__(self, kind: str, function: str) -> None:
        super().__init__(function)
        self.kind = kind
        self.function = function


def judge(upsert: Upsert, catalog: Catalog) -> Verdict:
    """SQLite's verdict on one statement."""
    grammar = list(_grammar(upsert))
    if grammar:
        return Verdict.of("sqlite", grammar)
    table = _resolve_table(upsert, catalog)
    if table is None:
        shown = f"{upsert.schema.text}.{upsert.table.text}" if upsert.schema else upsert.table.text
        return Verdict.of("sqlite", [Problem.of("SP201", "sqlite-no-table", table=shown).because(shown.casefold())])
    if table.kind in ("view", "virtual"):
        return Verdict.of("sqlite", _not_a_table(upsert, table))
    # Built by running the project's migrations: schema-parity routes constraint operations through batch mode itself.
    analysis = _Analysis(upsert, table, catalog, routed=catalog.source.startswith("alembic:"))
    problems = analysis.run()
    return Verdict.of("sqlite", problems, analysis.arbiters)


# -- parse.y ---------------------------------------------------------------------------------------------------------
def _grammar(upsert: Upsert) -> Iterator[Problem]:
    """Statements SQLite's parser rejects while preparing (S2, S3, S13, S14, S15, S17)."""
    if not upsert.clauses:
        return
    if upsert.source == "default_values":
        yield Problem.of("SP104", "sqlite-default-values")
    elif _default_keyword(upsert.sql):
        yield Problem.of("SP104", "sqlite-default")
    if upsert.select_from_unterminated:
        yield Problem.of("SP105", "select-from-on")
    for clause in upsert.clauses:
        if clause.constraint is not None:
            yield Problem.of("SP104", "sqlite-on-constraint")
        elif clause.target == ():
            yield Problem.of("SP104", "sqlite-empty-target")
        elif clause.target is None and clause.ordinal < len(upsert.clauses):
            yield Problem.of("SP104", "sqlite-targetless-not-last", clause=ordinal(clause.ordinal))
        # Only the first clause's NULLS is rejected; a later clause's is ignored (verified on SQLite 3.40).
        for element in clause.target or () if clause.ordinal == 1 else ():
            if element.nulls is not None:
                yield Problem.of("SP103", "sqlite-nulls", nulls=element.nulls)
    stack = _parser_stack(upsert)
    if stack is not None:
        yield stack


#: Entries of SQLite's parser stack (YYSTACKDEPTH) each ON CONFLICT clause holds until the statement ends (parse.y's
#: upsert rule is right-recursive): ``ON CONFLICT ( sortlist ) where_opt DO NOTHING``, and ``... DO UPDATE SET setlist
#: where_opt``.
_CLAUSE_ENTRIES = {"nothing": 8, "update": 11}

#: Entries the statement's start and the shortest clause, ``ON CONFLICT DO NOTHING``, take: with 88 held by the
#: clauses before it the statement is ``parser stack overflow`` whatever it says (measured on SQLite 3.40 with every
#: mix of both kinds of clause before it).
_STACK_START = 13

#: YYSTACKDEPTH, SQLite's default.
_STACK_DEPTH = 100


def _parser_stack(upsert: Upsert) -> Problem | None:
    """SP104 ``parser stack overflow`` when the ON CONFLICT clauses before the last hold more of SQLite's parser stack
    than the statement can have (twelve clauses of DO NOTHING, nine of DO UPDATE); SP901 when a clause, read on top
    of those before it, may need more than is left (``_clause_entries``). One clause is judged as before: how deep
    an expression may nest is SQLite's (and sqlglot's) limit, not the clauses'."""
    if len(upsert.clauses) < 2:
        return None
    held = [sum(_CLAUSE_ENTRIES[c.action] for c in upsert.clauses[:k]) for k in range(len(upsert.clauses))]
    if _STACK_START + held[-1] > _STACK_DEPTH:
        return Problem.of("SP104", "sqlite-parser-stack", count=len(upsert.clauses))
    needs = [_STACK_START + before + _clause_entries(c) for before, c in zip(held, upsert.clauses, strict=True)]
    if max(needs) <= _STACK_DEPTH:
        return None
    said = reason("sqlite-parser-stack", count=len(upsert.clauses), held=held[-1])
    return Problem.of("SP901", "reason", reason=said).for_reason("sqlite-parser-stack")


def _clause_entries(clause: ConflictClause) -> int:
    """At most how many entries reading ``clause`` takes beyond the shortest clause's: 4 for DO NOTHING on column
    names (measured on SQLite 3.40); else, as a bound, 11 for its words and 4 for each level of its deepest
    expression's tree (a level holds an operand and its operator, or a function's name, its parenthesis and its
    argument list, while what is below is read)."""
    plain = all(isinstance(e.expression, exp.Column) and e.collation is None for e in clause.target or ())
    if clause.action == "nothing" and clause.target_where is None and plain:
        return 4 if clause.target else 0
    nodes = [e.expression for e in clause.target or ()] + [
        node for node in (clause.target_where, *clause.set_values, clause.update_where) if node is not None]
    return 11 + 4 * max((_height(node) for node in nodes), default=0)


def _height(node: exp.Expression) -> int:
    return 1 + max((_height(child) for child in node.iter_expressions()), default=0)


def _default_keyword(sql: str) -> bool:
    """Whether the statement has the keyword DEFAULT (PostgreSQL's ``VALUES (DEFAULT)``, ``SET a = DEFAULT``), which
    SQLite's grammar has only in ``DEFAULT VALUES``, unquoted."""
    if "default" not in sql.lower():
        return False
    try:
        tokens = dialect_tokens(mask_placeholders(sql)[0], "sqlite")
    except TokenError:
        return False
    return any(token.token_type == TokenType.DEFAULT for token in tokens)


def _resolve_table(upsert: Upsert, catalog: Catalog) -> Table | None:
    return _locate(catalog, upsert.table.text, upsert.schema.text if upsert.schema is not None else None)


def _locate(catalog: Catalog, name: str, schema: str | None) -> Table | None:
    """sqlite3LocateTable: temp first, then main, then attached databases; names are case-insensitive (S16)."""
    candidates = table_index(catalog, "sqlite", str.lower).by_name.get(name.lower(), [])
    if schema is not None:
        schema = schema.lower()
        wanted = (None, "main") if schema == "main" else (schema,)
        return next((t for t in candidates if (t.schema.lower() if t.schema else None) in wanted), None)
    order = sorted(candidates, key=lambda t: 0 if (t.schema or "").lower() == "temp" else 1 if t.schema in (
        None, "main") else 2)
    return order[0] if order else None


def _not_a_table(upsert: Upsert, table: Table) -> list[Problem]:
    """Views and virtual tables (S18)."""
    if table.kind == "virtual":
        if not upsert.clauses:
            return []
        return [Problem.of("SP204", "virtual-table", table=table.name)]
    if upsert.clauses:
        return [Problem.of("SP204", "view", table=table.name)]
    return [Problem.of("SP901", "sqlite-view", table=table.name)]


# -- sqlite3UpsertAnalyzeTarget --------------------------------------------------------------------------------------
@dataclass
class _Analysis:
    upsert: Upsert
    table: Table
    catalog: Catalog
    routed: bool = False
    """The schema comes from the project's Alembic migrations, which schema-parity runs on SQLite with
    ``create_unique_constraint`` and the other constraint operations routed through batch mode: a hint needs no word
    about batch mode then."""

    def __post_init__(self) -> None:
        self.arbiters: list[str] = []
        self.columns = {c.name.lower(): c for c in self.table.columns}
        self.rowid_alias = next(
            (c.name.lower() for c in self.table.columns if c.autoincrement and not self.table.without_rowid), None
        )
        self.visible = (self.upsert.alias or self.upsert.table).text.lower()
        self.claims: dict[int, set[object]] = {}
        """Clause ordinal -> the constraints (``id()`` of a Key, or the rowid) its target matched."""
        self.doubts: list[Problem] = []
        """SP901 for the calls of functions SQLite has no built-in of, found since the last ``_take_doubts``."""

    def column(self, name: Name) -> Column | None:
        return self.columns.get(name.text.lower())

    def run(self) -> list[Problem]:
        problems = [
            Problem.of(
                "SP202", "sqlite-no-column-named", table=self.table.name, column=name.text, columns=self._columns()
            ).because(self.table.name.casefold(), name.text.casefold())
            for name in self.upsert.columns or ()
            if self.column(name) is None and not self._is_rowid_name(name.text.lower())
        ]
        if not problems:
            count = values_count(self.upsert, self.table, "sqlite")
            if count is not None:
                return [count]  # sqlite3Insert stops here, before the conflict target (measured on SQLite 3.40)
        values = self._values_calls() if not problems else []  # "table t has no column named zz" comes first
        if any(p.severity == "error" for p in values):
            return values  # the rows are resolved before the conflict target
        problems += values
        several = len(self.upsert.clauses) > 1
        for clause in self.upsert.clauses:
            try:
                found = self._clause(clause, several)
            except _Unsupported as exc:
                found = [Problem.of("SP901", "sqlite-unsupported", reason=exc).for_reason(exc.key)]
            except _SyntaxError as exc:
                found = [Problem.of("SP104", "sqlite-syntax", error=exc)]
            problems += self._take_doubts() + found
        for clause in self._generated_updates():
            problems += self._update_names(clause)
        if self.upsert.alternative != "OR IGNORE":  # OR IGNORE skips rows that violate NOT NULL (S20)
            problems += missing_not_null(self.upsert, self.table, self.column)
        return problems

    def _values_calls(self) -> list[Problem]:
        """The calls of the VALUES rows, which sqlite3Insert resolves before the conflict target, row by row and item
        by item, stopping at the first item with an error: an aggregate or window function is SP207 ('misuse of
        aggregate function count()'), a function SQLite has no built-in of (with that many arguments) SP901 (the
        application's, ``_call``), a name but TRUE and FALSE ``no such column`` (SP202), in ``_step``'s walk. An item
        with a quoted or qualified name, or one this parser does not read (a subquery, CASE), ends the reading: what
        SQLite says after it is not judged."""
        if self.upsert.source != "values" or "(" not in self.upsert.sql:
            return []
        rows = values_rows(self.upsert.sql) or []
        several = len(rows) > 1
        coded: list[_NoSuchColumn | _Misuse] = []
        for item in (item for row in (reversed(rows) if several else rows) for item in row):
            if _CONSTANT_ITEM.fullmatch(item):
                continue  # no name and no call: nothing to resolve (most items; read without the parser)
            try:
                tree = _parse(item)
            except _SyntaxError:
                if re.search(r"\b(over|filter)\b", item, re.IGNORECASE):  # this parser stops at OVER and FILTER
                    self._unread_calls(item, _Unsupported("sqlite-window-function"))
                return self._take_doubts()
            except _Unsupported as exc:
                self._unread_calls(item, exc)
                return self._take_doubts()
            if not _plain_names(tree):
                return self._take_doubts()
            failed: list[_NoSuchColumn | _Misuse] = []
            self._step(tree, failed, _value_name, coded if several else None)
            if failed and isinstance(failed[-1], _Misuse):
                return [*self._take_doubts(), self._misuse(failed[-1], "VALUES")]
            if failed:
                return [*self._take_doubts(), self._no_such_column(str(failed[-1]))]
        if coded and isinstance(coded[-1], _Misuse):  # 'misuse of aggregate: sum()', once every row is resolved
            return [*self._take_doubts(), self._misuse(coded[-1], "VALUES")]
        return self._take_doubts()

    def _unread_calls(self, item: str, exc: _Unsupported) -> None:
        """The calls of a VALUES item this parser does not read (a subquery, CASE, OVER), read from sqlglot's tree: a
        function SQLite has no built-in of is doubted (``_call``); an aggregate or window function outside a subquery
        (SQLite's misuse, unless a name before it fails first) makes the verdict unresolved for ``exc``'s reason."""
        try:
            tree = sqlglot.parse_one(item, read="sqlite")
        except (ParseError, TokenError):
            tree = None
        if tree is None:
            return
        calls = _text_calls(item)
        for func in tree.find_all(exp.Func):
            node = cast(exp.Expression, func)
            call = _sqlglot_call(node)
            if call is None:
                continue
            name, count = call[0], len(call[1])
            if name is None:
                written = list(dict.fromkeys(c for c in calls if _sqlglot_class(*c) == type(node).__name__))
                name, count = written[0] if len(written) == 1 else (None, 0)
            if name is None:
                continue
            nested = node.find_ancestor(exp.Query) is not None
            if (self._call(name, count) is not None and not nested) or (
                    not nested and node.find_ancestor(exp.Window) is not None):
                doubt = Problem.of("SP901", "sqlite-unsupported", reason=exc).for_reason(exc.key)
                if doubt not in self.doubts:
                    self.doubts.append(doubt)

    def _is_rowid_name(self, name: str) -> bool:
        return not self.table.without_rowid and name in _ROWID_NAMES and name not in self.columns

    def _columns(self) -> str:
        return ", ".join(c.name for c in self.table.columns)

    def _no_such_column(self, column: str) -> Problem:
        return Problem.of(
            "SP202", "sqlite-no-such-column", column=column, table=self.table.name, columns=self._columns()
        ).because(self.table.name.casefold(), column.rsplit(".", 1)[-1].casefold())

    def _clause(self, clause: ConflictClause, several: bool) -> list[Problem]:
        try:
            terms = [self._resolved(_parse(e.sql)) for e in clause.target or ()]
            where = self._resolved(_parse(clause.target_where_sql)) if clause.target_where_sql else None
        except _NoSuchColumn as exc:
            if exc.foreign:
                return [Problem.of("SP203", "sqlite-target-qualifier", column=exc, alias=self.visible)]
            return [self._no_such_column(str(exc))]
        except _Misuse as exc:
            return [self._misuse(exc, "a conflict target or its WHERE")]
        if clause.target is None:  # DO NOTHING / DO UPDATE for any uniqueness violation (S2, S21)
            self.arbiters.extend(k.name or k.describe() for k in self._indexes())
            if self._rowid_supplied():  # the rowid is checked too, and handled by this clause
                pk = self.table.primary_key
                self.arbiters.append(pk.name or pk.describe() if pk is not None else "rowid")
            return []
        # The rowid shortcut: one term that is the rowid (INTEGER PRIMARY KEY or rowid itself); WHERE ignored (S6).
        if not self.table.without_rowid and len(terms) == 1 and isinstance(terms[0], _Rowid):
            pk = self.table.primary_key
            self.arbiters.append(pk.name or pk.describe() if pk is not None else "rowid")
            self.claims[clause.ordinal] = {_ROWID}
            return []
        matched = [key for key in self._indexes() if self._index_matches(key, terms, where)]
        if matched:
            # SQLite takes the first match in its index list, which is newest-first; any match makes it prepare.
            self.arbiters.extend(k.name or k.describe() for k in matched)
            self.claims[clause.ordinal] = {id(k) for k in matched}
            return []
        return [Problem.of(
            "SP101", "sqlite-no-match-where" if where is not None else "sqlite-no-match",
            clause=f"{ordinal(clause.ordinal)} " if several else "", target=", ".join(e.sql for e in clause.target),
            where=clause.target_where_sql or "", table=self.table.name, keys=self._candidates(),
            hint=self._add_key_hint(clause, terms),
        ).because(*no_match_cause(self.table, clause))]

    def _indexes(self) -> list[Key]:
        """The table's unique indexes; an INTEGER PRIMARY KEY is the rowid itself, not an index."""
        return [k for k in self.table.keys if k.is_unique and not self._is_rowid_key(k)]

    def _is_rowid_key(self, key: Key) -> bool:
        return (
            key.kind == "primary_key"
            and self.rowid_alias is not None
            and len(key.elements) == 1
            and (key.elements[0].column or "").lower() == self.rowid_alias
        )

    def _index_matches(self, key: Key, terms: list[_Tree], where: _Tree | None) -> bool:
        """Key-count rule (S7), exact WHERE (S11), every index column matched by some term (S8, S9, S10)."""
        if len(key.elements) != len(terms):
            return False
        if key.predicate is not None and (where is None or self._catalog_tree(key.predicate) != where):
            return False
        for element in key.elements:
            column = self.columns.get(element.column.lower()) if element.column is not None else None
            collation = (element.collation or (column.collation if column else None) or "BINARY").lower()
            if element.column is not None:
                # The index stores the column number even for the INTEGER PRIMARY KEY, while a term naming it
                # resolves to the rowid: such an index can never match (S8).
                indexed = _Collate(_Col(element.column.lower()), collation)
            else:
                tree = self._catalog_tree(element.expression or "")
                indexed = tree if isinstance(tree, _Collate) else _Collate(tree, collation)
            if not any(_matches(term, indexed) for term in terms):
                return False
        return True

    def _resolved(self, tree: _Tree) -> _Tree:
        """A statement's expression resolved as SQLite resolves it: resolveExprStep's walk raises the error it is left
        with (an unknown name, an aggregate), then the names are resolved."""
        failed: list[_NoSuchColumn | _Misuse] = []
        self._step(tree, failed)
        if failed:
            raise failed[-1]
        return self._resolve(tree)

    def _step(
        self, tree: _Tree, failed: list[_NoSuchColumn | _Misuse], resolve: Callable[[_Tree], _Tree] | None = None,
        coded: list[_NoSuchColumn | _Misuse] | None = None,
    ) -> bool:
        """resolveExprStep on ``tree`` (True: the walk stops). An unknown name stops it; a function's error is recorded
        and its arguments are still walked (a stop among them ends only the argument list); any other node stops the
        walk once an error is recorded. sqlite3ErrorMsg replaces the message: the last error recorded is SQLite's
        (measured on SQLite 3.40: ``count(*) + zz`` is ``no such column: zz``, ``abs(zz) + count(*)`` the misuse).

        ``resolve`` names a name (default: the table's columns; ``_value_name`` in a VALUES row, which has none).
        With ``coded`` (a VALUES of several rows: each row is a SELECT, resolved last row first) an aggregate is no
        error of the walk: SQLite refuses it when the row is coded, after every row is resolved."""
        resolve = resolve or self._resolve
        if isinstance(tree, _Id):
            try:
                resolve(tree)
            except _NoSuchColumn as exc:
                failed.append(exc)
                return True
            return False
        call = _call_of(tree)
        if call is not None:
            name, args = call
            misuse = self._call(name, len(args))
            if misuse is not None:
                (coded if coded is not None and misuse.kind == "aggregate" else failed).append(misuse)
            for arg in args:
                if self._step(arg, failed, resolve, coded):
                    break
            return False
        if isinstance(tree, _Unary) and tree.op in ("isnull", "notnull"):
            self._step(tree.operand, failed, resolve, coded)  # TK_ISNULL walks its operand and never stops the walk
            return False
        if isinstance(tree, _Binary) and tree.op in ("is", "isnot") and isinstance(tree.right, _Id) and (
                tree.right.qualifier is None):
            # A bare name on IS's right is resolved first; IS TRUE/FALSE then becomes TK_TRUTH, walked without a stop
            if self._step(tree.right, failed, resolve, coded):
                return True
            if failed and not isinstance(resolve(tree.right), _TrueFalse):
                return True
            return self._step(tree.left, failed, resolve, coded) or bool(failed)
        return bool(failed) or any(self._step(child, failed, resolve, coded) for child in _children(tree))

    def _call(self, name: str, count: int) -> _Misuse | None:
        """A call of ``name`` with ``count`` arguments: a built-in aggregate or window function is SQLite's misuse
        there; a function SQLite has no built-in of (with that many arguments) is the application's if its connection
        registers it, which the schema does not say (SP901, unless an index of the schema calls it)."""
        lowered = name.lower()
        for kind, table in (("aggregate", _AGGREGATES), ("window", _WINDOW_FUNCTIONS)):
            low, high = table.get(lowered, (1, 0))
            if low <= count <= high:
                return _Misuse(kind, name)
        low, high = _SCALARS.get(lowered, (1, 0))
        if low <= count <= high or (lowered, count) in self._catalog_calls:
            return None
        said = reason("sqlite-application-function", function=name, count=count)
        doubt = Problem.of("SP901", "reason", reason=said).for_reason("sqlite-application-function")
        if doubt not in self.doubts:
            self.doubts.append(doubt)
        return None

    @property
    def _catalog_calls(self) -> frozenset[tuple[str, int]]:
        """The functions the schema's indexes and generated columns call, with their numbers of arguments (the
        connection that ran the migrations had them): read once per Catalog, not per statement."""
        calls: frozenset[tuple[str, int]] | None = self.catalog.memo.get(_SCHEMA_CALLS)
        if calls is None:
            calls = self.catalog.memo[_SCHEMA_CALLS] = _schema_calls(self.catalog)
        return calls

    def _take_doubts(self) -> list[Problem]:
        doubts, self.doubts = self.doubts, []
        return doubts

    def _misuse(self, exc: _Misuse, place: str) -> Problem:
        return Problem.of("SP207", "sqlite-misuse", kind=exc.kind, function=exc.function, place=place)

    def _catalog_tree(self, text: str) -> _Tree:
        try:
            return self._resolve(_parse(text))
        except (_NoSuchColumn, _SyntaxError) as exc:
            raise _Unsupported("sqlite-catalog-expression", text=text, error=exc) from exc

    def _resolve(self, tree: _Tree) -> _Tree:
        """Name resolution: columns case-insensitively, the INTEGER PRIMARY KEY and rowid names to the rowid.

        Children resolve left to right, so the first unknown name is the one reported."""
        resolve = self._resolve
        if isinstance(tree, _Id):
            qualifier, name = tree.qualifier, tree.name
            lowered = name.lower()
            if qualifier is not None and qualifier.lower() != self.visible:
                raise _NoSuchColumn(f"{qualifier}.{name}", foreign=True)
            if lowered in self.columns:
                return _Rowid() if lowered == self.rowid_alias else _Col(lowered)
            if self._is_rowid_name(lowered):
                return _Rowid()
            if qualifier is None and tree.quoted:
                return _Str(name)  # a double-quoted string literal (SQLite's DQS fallback)
            if qualifier is None and lowered in ("true", "false"):
                return _TrueFalse(name)  # compared as written: TRUE and true differ (strcmp of the token)
            raise _NoSuchColumn(f"{qualifier}.{name}" if qualifier is not None else name)
        if isinstance(tree, _Binary):
            return _Binary(tree.op, resolve(tree.left), resolve(tree.right))
        if isinstance(tree, _Unary):
            return _Unary(tree.op, resolve(tree.operand))
        if isinstance(tree, _Collate):
            return _Collate(resolve(tree.operand), tree.collation)
        if isinstance(tree, _In):
            return _In(resolve(tree.operand), tuple(resolve(item) for item in tree.items))
        if isinstance(tree, _Between):
            return _Between(resolve(tree.operand), resolve(tree.low), resolve(tree.high))
        if isinstance(tree, _Like):
            return _Like(tree.op, resolve(tree.left), resolve(tree.right),
                         None if tree.escape is None else resolve(tree.escape))
        if isinstance(tree, _Vector):
            return _Vector(tuple(resolve(item) for item in tree.items))
        if isinstance(tree, _Cast):
            return _Cast(resolve(tree.operand), tree.type)
        if isinstance(tree, _Function):
            return _Function(tree.name, tree.distinct, tuple(resolve(arg) for arg in tree.args))
        return tree

    def _generated_updates(self) -> list[ConflictClause]:
        """The DO UPDATE clauses SQLite generates code for, so resolves their SET and WHERE names.

        sqlite3GenerateConstraintChecks emits one check per unique index and, only when the INSERT supplies the rowid,
        one for the rowid; each check runs the first clause whose target claimed that constraint, else the trailing
        target-less clause. A clause no check runs is never resolved: with an INTEGER PRIMARY KEY left out of the
        column list, ``ON CONFLICT (id) DO UPDATE SET c = zz`` prepares and runs.
        """
        clauses = self.upsert.clauses
        fallback = clauses[-1] if clauses and clauses[-1].target is None else None
        checked: list[object] = [id(k) for k in self._indexes()] + ([_ROWID] if self._rowid_supplied() else [])
        run: set[int] = set()
        for constraint in checked:
            handler = next((c for c in clauses if constraint in self.claims.get(c.ordinal, ())), fallback)
            if handler is not None:
                run.add(handler.ordinal)
        return [c for c in clauses if c.ordinal in run and c.action == "update"]

    def _rowid_supplied(self) -> bool:
        if self.table.without_rowid:
            return False
        if self.upsert.columns is None:  # VALUES or SELECT: SQLite's grammar takes no upsert after DEFAULT VALUES
            return self.rowid_alias is not None
        return any(n.text.lower() == self.rowid_alias or self._is_rowid_name(n.text.lower())
                   for n in self.upsert.columns)

    def _update_names(self, clause: ConflictClause) -> Iterator[Problem]:
        """The DO UPDATE's names and calls in sqlite3Update's order: each SET value, then its column, then the WHERE
        (measured on SQLite 3.40: ``SET zz = f(a)`` is ``no such function: f``). A SET list with a row value, whose
        values and columns are not paired here, has its columns read first."""
        paired = len(clause.set_columns) == len(clause.set_values)
        if not paired:
            for name in clause.set_columns:
                yield from self._set_column(name)
        for index, value in enumerate(clause.set_values):
            yield from self._update_value(clause, value)
            if paired:
                yield from self._set_column(clause.set_columns[index])
        if clause.update_where is not None:
            yield from self._update_value(clause, clause.update_where)

    def _set_column(self, name: Name) -> Iterator[Problem]:
        if self.column(name) is None and not self._is_rowid_name(name.text.lower()):
            yield self._no_such_column(name.text)

    def _update_value(self, clause: ConflictClause, root: exp.Expression) -> Iterator[Problem]:
        """One DO UPDATE expression walked as ``_step`` walks the target's: the error SQLite is left with."""
        failed: list[Problem] = []
        self._update_step(clause, root, root, failed)
        yield from self._take_doubts()
        yield from failed[-1:]

    def _update_step(self, clause: ConflictClause, root: exp.Expression, node: exp.Expression,
                     failed: list[Problem], place: str = "DO UPDATE") -> bool:
        """``_step`` on sqlglot's tree of a DO UPDATE expression. A subquery's names are resolved in it, in
        resolveSelectStep's order (its SELECT list, where an aggregate is allowed, then its WHERE, ``_subquery_where``,
        then the rest); a function sqlglot reads into a class of its own
        (``greatest``, ``substr``) is judged only where the class has one SQLite name (``_SQLGLOT_CALLS``)."""
        if isinstance(node, exp.Column):
            problem = self._update_column(clause, root, node)
            if problem is not None:
                failed.append(problem)
            return problem is not None
        if isinstance(node, exp.Query):
            select = node.unnest() if isinstance(node, exp.Subquery) else node
            where = select.args.get("where") if isinstance(select, exp.Select) else None
            columns = list(node.find_all(exp.Column, bfs=False))
            for part in ("before", "where", "after"):
                if part == "where":
                    self._subquery_calls(clause, node)  # the SELECT list's calls are resolved before the WHERE
                    if where is not None and self._subquery_where(clause, root, where.this, failed):
                        return True
                    continue
                for column in columns:
                    if _select_part(column, select) == part:
                        problem = self._update_column(clause, root, column)
                        if problem is not None:
                            failed.append(problem)
                            return True
            return bool(failed)
        if isinstance(node, exp.Paren):
            return self._update_step(clause, root, node.this, failed, place)
        if isinstance(node, exp.Boolean):
            return False  # TRUE and FALSE are names to SQLite, resolved like a column
        if isinstance(node, exp.Not) and isinstance(node.this, exp.Is):
            node = node.this  # x IS NOT y (NOT (x IS y) keeps its parentheses in sqlglot's tree)
        if isinstance(node, (exp.Is, exp.NullSafeEQ, exp.NullSafeNEQ)):  # sqlglot's x IS y, IS NOT y
            right = node.expression
            if isinstance(right, exp.Null):
                self._update_step(clause, root, node.this, failed, place)  # TK_ISNULL, as in _step
                return False
            if isinstance(right, exp.Boolean):  # TK_TRUTH
                return self._update_step(clause, root, node.this, failed, place) or bool(failed)
            if isinstance(right, exp.Column) and right.args.get("table") is None:
                if self._update_step(clause, root, right, failed, place) or failed:
                    return True
                return self._update_step(clause, root, node.this, failed, place) or bool(failed)
        call = _sqlglot_call(node)
        if call is not None:
            name, args = call
            count = len(args)
            if name is None:
                name, count = self._written_call(clause, node)
            misuse = self._call(name, count) if name is not None else None
            if misuse is not None:
                failed.append(self._misuse(misuse, place))
            for arg in args:
                if self._update_step(clause, root, arg, failed, place):
                    break
            return False
        return bool(failed) or any(
            self._update_step(clause, root, child, failed, place) for child in node.iter_expressions())

    def _subquery_where(self, clause: ConflictClause, root: exp.Expression, where: exp.Expression,
                        failed: list[Problem]) -> bool:
        """A DO UPDATE subquery's WHERE, which resolveSelectStep resolves after its SELECT list (and before GROUP BY,
        HAVING, ORDER BY) in resolveExprStep's walk, aggregates not allowed: the error it is left with (a name, or
        ``misuse of aggregate function count()``, SP207) ends the statement's resolution (measured on SQLite 3.40:
        ``(SELECT x FROM s WHERE count(*) > 0) + zz`` is the misuse)."""
        found: list[Problem] = []
        self._update_step(clause, root, where, found, "a DO UPDATE subquery's WHERE")
        failed += found[-1:]
        return bool(found)

    def _subquery_calls(self, clause: ConflictClause, query: exp.Expression) -> None:
        """The calls of a DO UPDATE subquery: a function SQLite has no built-in of (with that many arguments) is the
        application's (SP901, as ``_call`` says). An aggregate or window function is judged in its WHERE only
        (``_subquery_where``): its SELECT list and HAVING take one; in ORDER BY it is not modelled."""
        for func in query.find_all(exp.Func):
            node = cast(exp.Expression, func)
            call = _sqlglot_call(node)
            if call is None:
                continue
            name, count = call[0], len(call[1])
            if name is None:
                name, count = self._written_call(clause, node)
            if name is None or any(low <= count <= high for low, high in (
                    _AGGREGATES.get(name.lower(), (1, 0)), _WINDOW_FUNCTIONS.get(name.lower(), (1, 0)))):
                continue
            self._call(name, count)

    def _written_call(self, clause: ConflictClause, node: exp.Expression) -> tuple[str | None, int]:
        """The name and number of arguments a call that sqlglot read into a class of its own (``Greatest``,
        ``Hex``, ``GroupConcat``) was written with: the one call of the DO UPDATE's text that sqlglot reads into that
        class. Several calls of different names or numbers of arguments read into it: each that SQLite has no
        built-in of is doubted (``_call``), and an aggregate or window function among them makes the verdict
        unresolved; no call (a class sqlglot builds from other syntax: CASE, EXTRACT): no call is judged."""
        wanted = type(node).__name__
        written = list(dict.fromkeys(
            (name, count) for name, count in _text_calls(self.upsert.sql[clause.offset :])
            if _sqlglot_class(name, count) == wanted))
        if len(written) == 1:
            return written[0]
        for name, count in written:
            if self._call(name, count) is not None:
                said = reason("sqlite-function-class", function=name, cls=wanted)
                doubt = Problem.of("SP901", "reason", reason=said).for_reason("sqlite-function-class")
                if doubt not in self.doubts:
                    self.doubts.append(doubt)
        return None, 0

    def _clause_text(self, clause: ConflictClause) -> str:
        """The text of ``clause``, up to the next clause (or the end of the statement)."""
        later = [c.offset for c in self.upsert.clauses if c.offset > clause.offset]
        return self.upsert.sql[clause.offset : min(later, default=len(self.upsert.sql))]

    def _update_column(self, clause: ConflictClause, root: exp.Expression, column: exp.Column) -> Problem | None:
        if isinstance(column.this, exp.Star):
            return None
        qualifier = column.args.get("table")
        string = qualifier is None and self._double_quoted(clause, column.this)
        if in_subquery(column, root):
            if qualifier is None and not string and not self._resolved_in_subquery(column, root):
                return self._no_such_column(column.name)
            return None  # a qualified name in a subquery (its FROM items' aliases) is not checked
        shown = f"{qualifier.name}.{column.name}" if qualifier is not None else column.name
        if qualifier is not None and qualifier.name.lower() not in (self.visible, "excluded"):
            return Problem.of("SP203", "sqlite-update-qualifier", column=shown, alias=self.visible)
        if string:
            return None  # a double-quoted name that is no column is a string (SQLite's DQS fallback)
        if self.columns.get(column.name.lower()) is None and not self._is_rowid_name(column.name.lower()):
            return self._no_such_column(shown)
        return None

    def _resolved_in_subquery(self, column: exp.Column, root: exp.Expression) -> bool:
        """Whether an unqualified name in a DO UPDATE subquery resolves (or cannot be decided): the FROM items of each
        enclosing SELECT, innermost first, then the DO UPDATE's table (resolveExprStep, outward by NameContext)."""
        name = column.name.lower()
        if name in _ROWID_NAMES:
            return True  # the rowid of a FROM item's table, or of the DO UPDATE's
        scopes = subquery_scopes(column, root)
        if scopes is None:
            return True
        for select in scopes:
            names = self._scope_names(select)
            if names is None or name in names:
                return True
        return name in self.columns

    def _double_quoted(self, clause: ConflictClause, ident: exp.Identifier) -> bool:
        """Whether a quoted name is written in double quotes, which SQLite reads as a string when no column has the
        name ([x] and `x` stay names). sqlglot read each clause in the first clause's place (upsert.py), so the
        offset it gives is shifted by the distance between the two; a name whose quote cannot be found counts as
        double-quoted (no SP202 is claimed)."""
        start = ident.meta.get("start")
        if not ident.args.get("quoted"):
            return False
        if start is None:
            return True
        at = start + clause.offset - self.upsert.clauses[0].offset
        return not (0 <= at < len(self.upsert.sql) and self.upsert.sql[at] in "[`")

    def _scope_names(self, select: exp.Select) -> set[str] | None:
        """The column names a SELECT's FROM items give, and its result aliases (SQLite resolves those in WHERE,
        GROUP BY, HAVING and ORDER BY); None when a FROM item's columns are not known."""
        names = {item.alias.lower() for item in select.expressions if isinstance(item, exp.Alias)}
        from_ = select.args.get("from_")
        for item in ([from_.this] if from_ is not None else []) + [j.this for j in select.args.get("joins") or []]:
            columns = self._item_columns(item, select)
            if columns is None:
                return None
            names |= columns
        return names

    def _item_columns(self, item: exp.Expression, select: exp.Select) -> frozenset[str] | None:
        """A FROM item's column names: a CTE's (which hides a table of its name), a table's, a derived table's."""
        if isinstance(item, exp.Subquery):
            return _output_names(item.this)
        if not isinstance(item, exp.Table) or not isinstance(item.this, exp.Identifier) or item.args.get("catalog"):
            return None
        db = item.args.get("db")
        if db is None:
            cte = next((c for c in visible_ctes(select) if c.alias.lower() == item.name.lower()), None)
            if cte is not None:
                listed = cte.args["alias"].args.get("columns")
                return frozenset(c.name.lower() for c in listed) if listed else _output_names(cte.this)
        table = _locate(self.catalog, item.name, db.name if db is not None else None)
        return frozenset(c.name.lower() for c in table.columns) if table is not None else None

    def _candidates(self) -> str:
        rule = rule_for("SP101")
        keys = self._indexes()
        ipk = rule.text("sqlite-rowid-key", column=self.rowid_alias) if self.rowid_alias else None
        described = [k.describe() for k in keys] + ([ipk] if ipk else [])
        if not described:
            return rule.text("sqlite-no-keys", table=self.table.name)
        return rule.text("sqlite-keys", table=self.table.name, keys="; ".join(described))

    def _partial(self, terms: list[_Tree]) -> Key | None:
        """A partial unique index the terms match but for its WHERE (S11): the fix is its predicate, not a key."""
        for key in self._indexes():
            if key.predicate is None:
                continue
            try:
                if self._index_matches(key, terms, self._catalog_tree(key.predicate)):
                    return key
            except _Unsupported:
                continue
        return None

    def _add_key_hint(self, clause: ConflictClause, terms: list[_Tree]) -> str:
        assert clause.target is not None
        partial = self._partial(terms)
        if partial is not None:
            return partial_predicate_hint(clause, partial)
        plain = [e.column.text for e in clause.target if e.column is not None and e.qualifier is None]
        name = f"uq_{self.table.name}_{'_'.join(dict.fromkeys(plain)) or 'expr'}"
        rule = rule_for("SP101")
        repeated = len(set(plain)) != len(plain)
        terms_sql = ", ".join(
            f'"{e.column.text}"' if e.column is not None and e.qualifier is None else f'sa.text("{e.sql}")'
            for e in clause.target
        )
        if self.routed:
            # PostgreSQL's hint: the same migration runs on SQLite, a constraint through batch mode, and the index's
            # predicate is given to both engines, so the WHERE that SQLite compares token for token is the target's.
            if len(plain) == len(clause.target) and not clause.target_where_sql and not repeated:
                return rule.text(
                    "hint-add-constraint", name=name[:63], table=self.table.name, columns=plain
                ).replace("'", '"')
            hint = rule.text(
                "hint-add-partial-index" if clause.target_where_sql else "hint-add-index",
                name=name[:63], table=self.table.name, terms=terms_sql, where=clause.target_where_sql,
            )
        else:
            where = rule.text("sqlite-hint-where", where=clause.target_where_sql) if clause.target_where_sql else ""
            hint = rule.text("sqlite-hint-add-index", name=name, table=self.table.name, terms=terms_sql, where=where)
        if repeated:
            hint += rule.text("sqlite-hint-repeated-column")
        if clause.target_where_sql and not self.routed:
            hint += rule.text("sqlite-hint-partial-index")
        return hint


def _select_part(column: exp.Column, query: exp.Expression) -> str:
    """Where resolveSelectStep resolves ``column`` of ``query`` (a SELECT of DO UPDATE): ``before`` its WHERE (the
    SELECT list, the FROM items), in ``where``, or ``after`` (GROUP BY, HAVING, ORDER BY, another query's part)."""
    node: exp.Expr = column
    while node.parent is not None and node.parent is not query:
        node = node.parent
    if node.parent is None or not isinstance(query, exp.Select):
        return "after"
    if node.arg_key in ("expressions", "from_", "joins"):
        return "before"
    return "where" if node.arg_key == "where" else "after"


def _output_names(query: exp.Expression) -> frozenset[str] | None:
    """A derived table's column names: aliases and bare columns (SQLite names other expressions by their text and a
    one-row VALUES by its expressions, which is not modelled)."""
    while isinstance(query, exp.SetOperation):
        query = query.this
    if not isinstance(query, exp.Select):
        return None
    names = set()
    for item in query.expressions:
        if isinstance(item, exp.Alias):
            names.add(item.alias.lower())
        elif isinstance(item, exp.Column) and isinstance(item.this, exp.Identifier):
            names.add(item.name.lower())
        else:
            return None  # an expression, or a star
    return frozenset(names)


def _call_of(tree: _Tree) -> tuple[str, tuple[_Tree, ...]] | None:
    """A function call's name and arguments in SQLite's order (``x LIKE y ESCAPE z`` is ``like(y, x, z)``)."""
    if isinstance(tree, _Function):
        return tree.name, tree.args
    if isinstance(tree, _Like):
        return tree.op, (tree.right, tree.left, *(() if tree.escape is None else (tree.escape,)))
    return None


def _children(tree: _Tree) -> tuple[_Tree, ...]:
    """The operands of any other node, in the order SQLite's walker visits them."""
    if isinstance(tree, (_Unary, _Collate, _Cast)):
        return (tree.operand,)
    if isinstance(tree, _Binary):
        return tree.left, tree.right
    if isinstance(tree, _In):
        return tree.operand, *tree.items
    if isinstance(tree, _Between):
        return tree.operand, tree.low, tree.high
    if isinstance(tree, _Vector):
        return tree.items
    return ()


_SCHEMA_CALLS = ("sqlite", "schema-calls")
"""The key of :func:`_schema_calls`'s answer in a Catalog's memo."""


def _schema_calls(catalog: Catalog) -> frozenset[tuple[str, int]]:
    texts = [c.generated for t in catalog.tables for c in t.columns if c.generated]
    for table in catalog.tables:
        for key in table.keys:
            texts += [e.expression for e in key.elements if e.expression] + [key.predicate or ""]
    calls: set[tuple[str, int]] = set()
    for text in filter(None, texts):
        try:
            calls.update(_calls(_parse(text)))
        except (_SyntaxError, _Unsupported):
            continue
    return frozenset(calls)


def _calls(tree: _Tree) -> Iterator[tuple[str, int]]:
    """Every function call in ``tree``: its lowercased name and number of arguments."""
    call = _call_of(tree)
    if call is not None:
        yield call[0].lower(), len(call[1])
    for child in call[1] if call is not None else _children(tree):
        yield from _calls(child)


def _plain_names(tree: _Tree) -> bool:
    """Whether every name in ``tree`` is unquoted and unqualified, and none is IS's right operand (which SQLite
    resolves first, as TRUE or FALSE or a column)."""
    if isinstance(tree, _Id):
        return not tree.quoted and tree.qualifier is None
    if isinstance(tree, _Binary) and tree.op in ("is", "isnot") and isinstance(tree.right, _Id):
        return False
    call = _call_of(tree)
    return all(_plain_names(child) for child in (call[1] if call is not None else _children(tree)))


#: A VALUES item that is one constant or placeholder (signed, in parentheses or not), which SQLite resolves to itself.
_CONSTANT_ITEM = re.compile(
    r"[\s(]*[-+]?\s*(?:\d[\d.]*(?:e[-+]?\d+)?|'(?:[^']|'')*'|x'[0-9a-f]*'|\?\d*|[:@$]\w+|%s|%\(\w+\)s|null|true|false)"
    r"[\s)]*",
    re.IGNORECASE,
)

#: Words this parser reads as names that SQLite reads as values where no column has the name (TRUE, FALSE) or always
#: (parse.y's CTIME_KW).
_VALUE_WORDS = frozenset({"true", "false", "current_time", "current_date", "current_timestamp"})


def _value_name(tree: _Tree) -> _Tree:
    """A name in a VALUES row, where no column is visible: TRUE, FALSE and CURRENT_TIME/DATE/TIMESTAMP are values,
    any other is ``no such column`` (the rows judged have no quoted or qualified name: ``_plain_names``)."""
    assert isinstance(tree, _Id)
    if _names_in(tree):
        raise _NoSuchColumn(tree.name)
    return _TrueFalse(tree.name) if tree.name.lower() in ("true", "false") else tree


def _names_in(tree: _Tree) -> bool:
    """Whether ``tree`` has a name in it that SQLite resolves as a column (a quoted one, a qualified one, any word
    but ``_VALUE_WORDS``)."""
    if isinstance(tree, _Id):
        return tree.quoted or tree.qualifier is not None or tree.name.lower() not in _VALUE_WORDS
    call = _call_of(tree)
    return any(_names_in(child) for child in (call[1] if call is not None else _children(tree)))


_SQLGLOT_CALLS = {
    name: cls for name, cls in (
        ("count", "Count"), ("sum", "Sum"), ("avg", "Avg"), ("max", "Max"), ("min", "Min"), ("like", "Like"),
        ("glob", "Glob"), ("regexp", "RegexpLike"), ("row_number", "RowNumber"), ("rank", "Rank"),
        ("dense_rank", "DenseRank"), ("ntile", "Ntile"), ("lag", "Lag"), ("lead", "Lead"),
        ("first_value", "FirstValue"), ("last_value", "LastValue"), ("nth_value", "NthValue"),
    ) if hasattr(exp, cls)
}
"""SQLite's name of each sqlglot class that only that SQLite name is read as (``max(a, b)`` is ``Greatest``)."""


def _sqlglot_call(node: exp.Expression) -> tuple[str | None, list[exp.Expression]] | None:
    """A function call of sqlglot's tree: SQLite's name where ``_SQLGLOT_CALLS`` or the call's own text gives it (None
    for another typed function), and its arguments in SQLite's order; None for anything else (a CAST is no call)."""
    name = next((n for n, cls in _SQLGLOT_CALLS.items() if type(node).__name__ == cls), None)
    if isinstance(node, (exp.Like, exp.Glob, exp.RegexpLike)):
        return name, [node.expression, node.this]
    if not isinstance(node, exp.Func) or isinstance(node, (exp.Cast, exp.TryCast)):
        return None
    if isinstance(node, exp.Anonymous):
        name = node.name
    args: list[exp.Expression] = []
    for child in node.iter_expressions():
        if isinstance(child, exp.Distinct):
            args += child.expressions
        elif not isinstance(child, exp.Star):
            args.append(child)
    return name, args


#: Words before ``(`` that are no function's name in an expression (an operator, a clause, a row value's keyword).
_NOT_CALLS = frozenset({
    "and", "as", "between", "case", "cast", "conflict", "do", "else", "escape", "exists", "filter", "from", "glob",
    "in", "is", "join", "like", "match", "not", "on", "or", "over", "raise", "regexp", "select", "set", "then",
    "update", "using", "values", "when", "where", "with",
})


def _text_calls(text: str) -> list[tuple[str, int]]:
    """The function calls written in ``text`` (SQLite's tokens): each name before ``(`` that is no keyword of the
    expression grammar, with its number of arguments (``f(*)`` and ``f()`` have none)."""
    try:
        tokens = dialect_tokens(mask_placeholders(text)[0], "sqlite")
    except TokenError:
        return []
    calls = []
    for at in range(len(tokens) - 1):
        token = tokens[at]
        if tokens[at + 1].token_type != TokenType.L_PAREN or not re.fullmatch(r"[A-Za-z_][\w$]*", token.text):
            continue
        if token.text.lower() in _NOT_CALLS:
            continue
        try:
            close = closing(tokens, at + 1)
        except SyntaxMismatch:
            continue
        inner = tokens[at + 2 : close]
        if not inner or (len(inner) == 1 and inner[0].token_type == TokenType.STAR):
            calls.append((token.text, 0))
            continue
        depth, count = 0, 1
        for item in inner:
            if item.token_type in (TokenType.L_PAREN, TokenType.L_BRACKET):
                depth += 1
            elif item.token_type in (TokenType.R_PAREN, TokenType.R_BRACKET):
                depth -= 1
            elif depth == 0 and item.token_type == TokenType.COMMA:
                count += 1
        calls.append((token.text, count))
    return calls


@functools.lru_cache(maxsize=1024)
def _sqlglot_class(name: str, count: int) -> str | None:
    """The class sqlglot's SQLite reader makes of ``name(...)`` with ``count`` arguments (None: it reads none)."""
    args = ", ".join(f"x{i}" for i in range(count))
    try:
        tree = sqlglot.parse_one(f"SELECT {name}({args})", read="sqlite")
    except (ParseError, TokenError):
        return None
    if not isinstance(tree, exp.Select) or len(tree.expressions) != 1:
        return None
    return type(tree.expressions[0]).__name__


def _matches(term: _Tree, indexed: _Collate) -> bool:
    """sqlite3ExprCompare(term, indexed) < 2, as sqlite3UpsertAnalyzeTarget asks it: equal, or equal once the index
    side's COLLATE is set aside when the term has none (the term then takes the index's collation).

    The index side is always a COLLATE here, so the engine's other direction (a COLLATE on the term's side only)
    cannot arise and is not written."""
    if term == indexed:
        return True
    if isinstance(term, _Collate):
        return False
    operand = indexed.operand
    return term == operand or (isinstance(operand, _Collate) and _matches(term, operand))


# -- SQLite's expression grammar -------------------------------------------------------------------------------------
# One NamedTuple per kind of SQLite Expr node: immutable and compared by value (as sqlite3ExprCompare compares
# trees) at tuple speed, and parsed trees are cached. Tuples of different classes compare as tuples, so each node
# carries its tag: without it _Int(0) would equal _Param(0).
class _Id(NamedTuple):
    """A name as written, before resolution: ``name``, ``qualifier.name`` (a table) or a quoted identifier."""

    qualifier: str | None
    name: str
    quoted: bool
    tag: Literal["id"] = "id"


class _Col(NamedTuple):
    """A column of the table, by its lowercased name."""

    name: str
    tag: Literal["col"] = "col"


class _Rowid(NamedTuple):
    """The rowid, however it is named (rowid, oid, _rowid_ or the INTEGER PRIMARY KEY column)."""

    tag: Literal["rowid"] = "rowid"


class _Str(NamedTuple):
    text: str
    tag: Literal["str"] = "str"


class _TrueFalse(NamedTuple):
    """TRUE or FALSE, as written."""

    text: str
    tag: Literal["truefalse"] = "truefalse"


class _Int(NamedTuple):
    """A number that fits 32 bits: compared by value (EP_IntValue)."""

    value: int
    tag: Literal["int"] = "int"


class _Num(NamedTuple):
    """Any other number: compared by its token text."""

    text: str
    tag: Literal["num"] = "num"


class _Blob(NamedTuple):
    text: str
    tag: Literal["blob"] = "blob"


class _Param(NamedTuple):
    """A bind parameter, numbered in order of appearance."""

    number: int
    tag: Literal["param"] = "param"


class _Null(NamedTuple):
    tag: Literal["null"] = "null"


class _Unary(NamedTuple):
    """``op`` is not, neg, uplus, bitnot, isnull or notnull."""

    op: str
    operand: _Tree
    tag: Literal["unary"] = "unary"


class _Binary(NamedTuple):
    """``op`` is a logical, comparison, IS / IS NOT, bitwise, arithmetic or concatenation operator."""

    op: str
    left: _Tree
    right: _Tree
    tag: Literal["binary"] = "binary"


class _Collate(NamedTuple):
    operand: _Tree
    collation: str
    tag: Literal["collate"] = "collate"


class _In(NamedTuple):
    operand: _Tree
    items: tuple[_Tree, ...]
    tag: Literal["in"] = "in"


class _Between(NamedTuple):
    operand: _Tree
    low: _Tree
    high: _Tree
    tag: Literal["between"] = "between"


class _Like(NamedTuple):
    """``op`` is like, glob, regexp or match."""

    op: str
    left: _Tree
    right: _Tree
    escape: _Tree | None
    tag: Literal["like"] = "like"


class _Vector(NamedTuple):
    items: tuple[_Tree, ...]
    tag: Literal["vector"] = "vector"


class _Cast(NamedTuple):
    """The type as written: SQLite compares its token span (case and inner spacing matter)."""

    operand: _Tree
    type: str
    tag: Literal["cast"] = "cast"


class _Function(NamedTuple):
    """``name([DISTINCT] args)``. ``name(*)`` is ``name()``: parse.y builds both without arguments, so SQLite compares
    ``pi(*)`` and ``pi()`` equal (and an aggregate's ``*`` is no argument: ``count(*)`` is ``count()``)."""

    name: str
    distinct: bool
    args: tuple[_Tree, ...]
    tag: Literal["function"] = "function"


_Tree = (
    _Id | _Col | _Rowid | _Str | _TrueFalse | _Int | _Num | _Blob | _Param | _Null | _Unary | _Binary | _Collate | _In
    | _Between | _Like | _Vector | _Cast | _Function
)
_COMPARISON = {"=": "eq", "==": "eq", "!=": "ne", "<>": "ne"}
_RELATIONAL = {"<": "lt", "<=": "le", ">": "gt", ">=": "ge"}
_BITWISE = {"&": "bitand", "|": "bitor", "<<": "lshift", ">>": "rshift"}
_ADDITIVE = {"+": "plus", "-": "minus"}
_MULTIPLICATIVE = {"*": "star", "/": "slash", "%": "rem"}
_CONCAT = {"||": "concat", "->": "ptr", "->>": "ptr2"}
_LIKE_WORDS = ("LIKE", "GLOB", "REGEXP", "MATCH")


@functools.lru_cache(maxsize=16384)
def _parse(text: str) -> _Tree:
    """SQLite's parse tree of one expression (cached: catalog predicates and expressions repeat)."""
    masked, _ = mask_placeholders(text)
    try:
        tokens = dialect_tokens(masked, "sqlite")
    except TokenError as exc:
        raise _SyntaxError(f"unrecognized token in {text!r}") from exc
    parser = _Parser(tokens, text)
    try:
        tree = parser.expr(0)
    except RecursionError as exc:  # SQLite's own limit depends on its version: not a syntax error we can assert
        raise _Unsupported("sqlite-nested-too-deeply", start=text[:60]) from exc
    if parser.pos != len(tokens):
        raise _SyntaxError(f'near "{tokens[parser.pos].text}"')
    return tree


class _Parser:
    """Precedence climbing with parse.y's operator table (OR < AND < NOT < IS/=/IN < </> < & < + < * < || < COLLATE)."""

    def __init__(self, tokens: list[Token], text: str) -> None:
        self.tokens = tokens
        self.text = text
        self.pos = 0
        self.params = itertools.count()

    def peek(self, ahead: int = 0) -> Token | None:
        i = self.pos + ahead
        return self.tokens[i] if i < len(self.tokens) else None

    def word(self, ahead: int = 0) -> str | None:
        token = self.peek(ahead)
        if token is None or token.token_type in (TokenType.STRING, TokenType.IDENTIFIER):
            return None
        return token.text.upper()

    def take(self) -> Token:
        token = self.peek()
        if token is None:
            raise _SyntaxError("incomplete input")
        self.pos += 1
        return token

    def expect(self, text: str) -> None:
        token = self.take()
        if token.text.upper() != text:
            raise _SyntaxError(f'near "{token.text}"')

    def expr(self, min_bp: int) -> _Tree:
        left = self.prefix()
        while True:
            step = self.infix(left, min_bp)
            if step is None:
                return left
            left = step

    def infix(self, left: _Tree, min_bp: int) -> _Tree | None:
        w, w1 = self.word(), self.word(1)
        if w is None:
            return None
        binary = (
            (1, "or") if w == "OR" else (2, "and") if w == "AND" else
            (4, _COMPARISON[w]) if w in _COMPARISON else (5, _RELATIONAL[w]) if w in _RELATIONAL else
            (7, _BITWISE[w]) if w in _BITWISE else (8, _ADDITIVE[w]) if w in _ADDITIVE else
            (9, _MULTIPLICATIVE[w]) if w in _MULTIPLICATIVE else (10, _CONCAT[w]) if w in _CONCAT else None
        )
        if binary is not None:
            bp, op = binary
            if bp < min_bp:
                return None
            self.pos += 1
            return _Binary(op, left, self.expr(bp + 1))
        if w == "COLLATE":
            if min_bp > 11:
                return None
            self.pos += 1
            return _Collate(left, self.take().text.lower())
        if min_bp > 4:
            return None
        if w in ("ISNULL", "NOTNULL"):
            self.pos += 1
            return _Unary("isnull" if w == "ISNULL" else "notnull", left)
        if w == "NOT" and w1 == "NULL":
            self.pos += 2
            return _Unary("notnull", left)
        if w == "IS":
            return self.is_(left)
        negated = w == "NOT" and w1 in (*_LIKE_WORDS, "IN", "BETWEEN")
        word = w1 if negated else w
        if word in (*_LIKE_WORDS, "IN", "BETWEEN"):
            self.pos += 2 if negated else 1
            tree: _Tree
            if word == "IN":
                tree = _In(left, self.in_list())
            elif word == "BETWEEN":
                low = self.expr(5)
                self.expect("AND")
                tree = _Between(left, low, self.expr(5))
            else:
                right = self.expr(5)
                escape = None
                if self.word() == "ESCAPE":
                    self.pos += 1
                    escape = self.expr(7)
                tree = _Like(str(word).lower(), left, right, escape)
            return _Unary("not", tree) if negated else tree  # parse.y wraps x NOT IN/BETWEEN/LIKE y in TK_NOT
        return None

    def is_(self, left: _Tree) -> _Tree:
        """``IS [NOT] [DISTINCT FROM]``; ``x IS NULL`` becomes ISNULL and ``x IS NOT NULL`` NOTNULL (parse.y)."""
        self.pos += 1
        negated = self.word() == "NOT"
        if negated:
            self.pos += 1
        if self.word() == "DISTINCT":
            self.pos += 1
            self.expect("FROM")
            negated = not negated
        right = self.expr(5)
        if isinstance(right, _Null):
            return _Unary("notnull" if negated else "isnull", left)
        return _Binary("isnot" if negated else "is", left, right)

    def in_list(self) -> tuple[_Tree, ...]:
        self.expect("(")
        if self.word() in ("SELECT", "WITH", "VALUES"):
            raise _Unsupported("sqlite-subquery")
        items: list[_Tree] = []
        while self.word() != ")":
            items.append(self.expr(0))
            if self.word() == ",":
                self.pos += 1
        self.expect(")")
        return tuple(items)

    def prefix(self) -> _Tree:
        token = self.take()
        kind, w = token.token_type, (None if token.token_type in (TokenType.STRING, TokenType.IDENTIFIER)
                                      else token.text.upper())
        if kind == TokenType.STRING:
            return _Str(token.text)
        if kind == TokenType.NUMBER:
            return _number(token.text)
        if kind == TokenType.HEX_STRING:  # 0x1F (an integer) or x'1F' (a blob)
            written = self.text[token.start : token.end + 1]
            return _number(written) if written[:2].lower() == "0x" else _Blob(written)
        if kind in (TokenType.PLACEHOLDER, TokenType.PARAMETER):
            return _Param(next(self.params))
        if w == "NOT":
            return _Unary("not", self.expr(3))
        if w in ("-", "+", "~"):
            return _Unary({"-": "neg", "+": "uplus", "~": "bitnot"}[w], self.expr(12))
        if w == "(":
            if self.word() in ("SELECT", "WITH", "VALUES"):
                raise _Unsupported("sqlite-subquery")
            items = [self.expr(0)]
            while self.word() == ",":
                self.pos += 1
                items.append(self.expr(0))
            self.expect(")")
            return items[0] if len(items) == 1 else _Vector(tuple(items))
        if w == "NULL":
            return _Null()
        if w == "CAST":
            opening = self.pos
            self.expect("(")
            inner = self.expr(0)
            self.expect("AS")
            start = self.pos
            try:
                self.pos = closing(self.tokens, opening)
            except SyntaxMismatch:
                raise _SyntaxError("incomplete input") from None
            span = self.tokens[start : self.pos]
            self.expect(")")
            # The type is compared as written (strcmp of the token span): case and inner spacing matter.
            typename = self.text[span[0].start : span[-1].end + 1] if span else ""
            return _Cast(inner, typename)
        if w in ("CASE", "EXISTS", "SELECT", "RAISE"):
            raise _Unsupported("sqlite-expression-form", keyword=w)
        if w in ("::", ":", "[", "]") or kind == TokenType.DCOLON:
            raise _SyntaxError(f'near "{token.text}"')
        if kind == TokenType.IDENTIFIER or (w is not None and (w[0].isalpha() or w[0] == "_")):
            return self.name_or_call(token)
        raise _SyntaxError(f'near "{token.text}"')

    def name_or_call(self, token: Token) -> _Tree:
        quoted = token.token_type == TokenType.IDENTIFIER
        if self.word() == "(" and not quoted:
            self.pos += 1
            if self.word() == "*":
                self.pos += 1
                self.expect(")")
                return _Function(token.text.lower(), False, ())
            distinct = self.word() == "DISTINCT"
            if distinct:
                self.pos += 1
            args: list[_Tree] = []
            while self.word() != ")":
                args.append(self.expr(0))
                if self.word() == ",":
                    self.pos += 1
                elif self.word() != ")":
                    raise _SyntaxError(f'near "{self.take().text}"')
            self.expect(")")
            if self.word() in ("FILTER", "OVER"):
                raise _Unsupported("sqlite-window-function")
            return _Function(token.text.lower(), distinct, tuple(args))
        if self.word() == ".":
            self.pos += 1
            column = self.take()
            if self.word() == ".":  # schema.table.column: the table is what qualifies
                self.pos += 1
                token, column = column, self.take()
            return _Id(token.text, column.text, column.token_type == TokenType.IDENTIFIER)
        return _Id(None, token.text, quoted)


def _number(text: str) -> _Tree:
    """Small integers compare by value (EP_IntValue), other numbers by their token text."""
    try:
        value = int(text, 0) if text.lower().startswith("0x") else int(text)
    except ValueError:
        return _Num(text)
    return _Int(value) if -(2**31) <= value < 2**31 else _Num(text)
