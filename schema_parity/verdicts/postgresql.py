"""PostgreSQL 15+ ON CONFLICT rules, written after the engine's own code (rule ids from semantics.md §1).

The order follows the engine: the grammar (gram.y) first, then parse analysis (``transformOnConflictClause``,
``transformOnConflictArbiter``: names, ON CONSTRAINT lookup, ASC/DESC), then the planner's ``infer_arbiter_indexes``
(which keys are arbiters, with ``predicate_implied_by`` for partial indexes), then the executor's
``ExecConstraints`` (NOT NULL) and ``ExecCheckIndexConstraints`` (deferrable arbiters fail on the first proposed row).
"""

from __future__ import annotations

import functools
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Literal, NamedTuple, cast

from sqlglot import exp
from sqlglot.errors import ParseError, TokenError
from sqlglot.tokens import Token, TokenType

from schema_parity.catalog import Catalog, Column, Key, KeyElement, Table, is_null_default
from schema_parity.pg_catalog_functions import PG_CATALOG_FUNCTIONS, function_names
from schema_parity.rows import Duplicate, RowPlan, on_conflict
from schema_parity.rules import rule_for
from schema_parity.rules.undecided import reason
from schema_parity.sql.groups import SyntaxMismatch, closing, split_commas
from schema_parity.sql.tokens import SQLGLOT, dialect_parser, dialect_tokens, mask_placeholders
from schema_parity.types import type_facts
from schema_parity.upsert import (
    ConflictClause,
    Name,
    TargetElement,
    Upsert,
    assignment,
    misplaced_default,
    postgresql_tokens,
    values_items,
)
from schema_parity.verdicts import (
    Problem,
    Verdict,
    in_subquery,
    missing_not_null,
    no_match_cause,
    parse_error,
    partial_predicate_hint,
    subquery_scopes,
    table_index,
    values_count,
    visible_ctes,
)
from schema_parity.verdicts.versions import missing_features

#: sqlglot's PostgreSQL dialect object: ``sql("postgres")`` looks the name up and builds a new one on every call.
_PG = SQLGLOT["postgres"]


class _Unresolved(Exception):
    """A fact the rule needs is not in the Catalog (reported as SP901 with this reason)."""


def judge(upsert: Upsert, catalog: Catalog, *, version: int | None = None) -> Verdict:
    """PostgreSQL's verdict on one statement; ``version`` is production's major version, when known: a table with a
    key that version cannot create is not judged (see ``versions``)."""
    grammar = list(_grammar(upsert))
    if grammar:
        return Verdict.of("postgresql", grammar)
    table, problems = _resolve_table(upsert, catalog)
    if table is None:
        return Verdict.of("postgresql", problems)
    missing = missing_features(table, version)
    if missing:
        return Verdict.unresolved(
            "postgresql",
            Problem.of(
                "SP901", "missing-feature", table=table.qualified_name, version=version, missing="; ".join(missing)
            ),
        )
    analysis = _Analysis(upsert, table, catalog)
    problems += analysis.run()
    if analysis.arbiters and not any(p.severity == "error" or p.rule == "SP901" for p in problems):
        problems += _key_proposed_twice(upsert)
    unknown = _unknown_function(upsert, catalog)
    return Verdict.of("postgresql", [*unknown, *problems], analysis.arbiters)


def _unknown_function(upsert: Upsert, catalog: Catalog) -> list[Problem]:
    """SP901 for the first call in the INSERT's rows or its DO UPDATE (a subquery's included) of a function that is
    neither pg_catalog's nor one the schema calls (an index, a default, a CHECK): unless the database has it (the
    migrations' CREATE FUNCTION, an extension's), PostgreSQL refuses the statement (42883 ``function hex(bigint) does
    not exist``), which no rule names; the Catalog lists no functions. A qualified call, and one of a keyword with a
    syntax of its own (``coalesce``, ``position``), is not looked at."""
    if "(" not in upsert.sql:
        return []
    try:
        masked, tokens = postgresql_tokens(upsert.sql)
    except TokenError:
        return []
    insert = next((i for i, token in enumerate(tokens) if token.token_type == TokenType.INSERT), None)
    conflict = on_conflict(tokens, masked)
    if insert is None or conflict is None:
        return []
    update = next((i for i, token in enumerate(tokens) if i > conflict and token.token_type == TokenType.UPDATE),
                  len(tokens))
    for at, token in enumerate(tokens):
        if not (insert < at < conflict or at > update) or at + 1 == len(tokens):
            continue
        if tokens[at + 1].token_type != TokenType.L_PAREN or tokens[at - 1].token_type not in _BEFORE_CALL:
            continue
        if token.token_type == TokenType.IDENTIFIER:
            name = token.text
        elif token.token_type == TokenType.VAR and token.text.lower() not in _NOT_COL_ID | _COL_NAME_KEYWORDS:
            name = token.text.lower()
        else:
            continue
        if name not in PG_CATALOG_FUNCTIONS and name not in _schema_calls(catalog):
            said = reason("postgresql-unknown-function", function=name)
            return [Problem.of("SP901", "reason", reason=said).for_reason("postgresql-unknown-function")]
    return []


#: Tokens a function's name comes after in an expression (a name after a dot, a word, ``::`` or AS is a qualified
#: call's, a type's, a FILTER's or an OVER's: not looked at).
_BEFORE_CALL = frozenset({
    TokenType.L_PAREN, TokenType.COMMA, TokenType.PLUS, TokenType.DASH, TokenType.STAR, TokenType.SLASH,
    TokenType.MOD, TokenType.EQ, TokenType.NEQ, TokenType.LT, TokenType.LTE, TokenType.GT, TokenType.GTE,
    TokenType.DPIPE, TokenType.AND, TokenType.OR, TokenType.NOT, TokenType.SELECT, TokenType.WHERE, TokenType.THEN,
    TokenType.ELSE, TokenType.WHEN, TokenType.SET, TokenType.IS,
})


def _schema_calls(catalog: Catalog) -> frozenset[str]:
    """The names the schema calls as functions (in its indexes, defaults, generated columns and CHECKs): the database
    has those. Read once per Catalog."""
    calls: frozenset[str] | None = catalog.memo.get(_SCHEMA_CALLS)
    if calls is None:
        texts = [text for table in catalog.tables for text in (
            *(c.default for c in table.columns), *(c.generated for c in table.columns),
            *(e.expression for k in table.keys for e in k.elements), *(k.predicate for k in table.keys),
            *(c.expression for c in table.checks)) if text]
        found = {m.group(1) or m.group(2).lower() for text in texts
                 for m in re.finditer(r'(?:"((?:[^"]|"")+)"|(\w+))\s*\(', text)}
        calls = catalog.memo[_SCHEMA_CALLS] = frozenset(found)
    return calls


_SCHEMA_CALLS = ("postgresql", "schema-calls")


def _key_proposed_twice(upsert: Upsert) -> list[Problem]:
    """SP302 (P42): two literal rows of a multi-row VALUES with the same DO UPDATE target key."""
    if upsert.source != "values" or len(upsert.clauses) != 1 or upsert.clauses[0].action != "update":
        return []
    plan = RowPlan.of(upsert.sql, "qmark", parsed=upsert)
    duplicate = plan.first_repeat() if plan is not None and plan.rows > 1 else None
    return [] if duplicate is None else [key_proposed_twice(duplicate)]


def key_proposed_twice(duplicate: Duplicate) -> Problem:
    """The SP302 problem for ``duplicate`` (also what the run-time capture reports)."""
    first, second = duplicate.rows
    return Problem.of(
        "SP302", "same-key-in-batch" if duplicate.batched else "same-key", first=first, second=second,
        key=duplicate.describe(),
    )


# -- gram.y -------------------------------------------------------------------------------------------------------
def _grammar(upsert: Upsert) -> Iterator[Problem]:
    """Statements PostgreSQL's grammar rejects (42601) before looking at any table."""
    if upsert.alternative is not None:
        yield Problem.of(
            "SP104", "replace-into" if upsert.alternative == "REPLACE INTO" else "insert-or",
            alternative=upsert.alternative,
        )
    if len(upsert.clauses) > 1:
        yield Problem.of("SP104", "several-clauses", count=len(upsert.clauses))
    yield from _reserved_names(upsert)
    backtick = _backtick(upsert)
    if backtick is not None:
        yield backtick
    for clause in upsert.clauses:
        if clause.target == ():
            yield Problem.of("SP104", "empty-target")
        if clause.constraint_where:
            yield Problem.of("SP104", "constraint-where")
        for element in clause.target or ():
            if element.qualifier is not None:
                column = element.column.text if element.column else element.sql
                yield Problem.of("SP104", "qualified-column", element=element.sql, column=column)
            elif (stop := _unparenthesized(element.sql)) is not None:
                yield Problem.of("SP104", "bare-expression", element=element.sql, stop=stop)
    quantified = _quantified_list(upsert.sql)
    if quantified is not None:
        yield Problem.of("SP104", "quantified-list", quantifier=quantified)


#: PostgreSQL 15's reserved and type/function-name keywords (``pg_get_keywords()``, catcode R and T): neither is a
#: ColId, the only name gram.y takes for a table, an alias, a column, a SET target or a constraint, unquoted.
_NOT_COL_ID = frozenset({
    "all", "analyse", "analyze", "and", "any", "array", "as", "asc", "asymmetric", "both", "case", "cast",
    "check", "collate", "column", "constraint", "create", "current_catalog", "current_date", "current_role",
    "current_time", "current_timestamp", "current_user", "default", "deferrable", "desc", "distinct", "do",
    "else", "end", "except", "false", "fetch", "for", "foreign", "from", "grant", "group", "having", "in",
    "initially", "intersect", "into", "lateral", "leading", "limit", "localtime", "localtimestamp", "not",
    "null", "offset", "on", "only", "or", "order", "placing", "primary", "references", "returning", "select",
    "session_user", "some", "symmetric", "table", "then", "to", "trailing", "true", "union", "unique", "user",
    "using", "variadic", "when", "where", "window", "with", "authorization", "binary", "collation",
    "concurrently", "cross", "current_schema", "freeze", "full", "ilike", "inner", "is", "isnull", "join",
    "left", "like", "natural", "notnull", "outer", "overlaps", "right", "similar", "tablesample", "verbose",
})


def _reserved_names(upsert: Upsert) -> Iterator[Problem]:
    """A keyword that is no ColId written unquoted where gram.y wants one (42601 at that word): ``INSERT INTO only``.

    After a dot any keyword is a name (``public.only`` is a table), so a qualified table's own name is not checked.
    """
    places: list[tuple[str, Name | None]] = [
        ("the schema of the INSERT's table", upsert.schema),
        ("the INSERT's table", upsert.table if upsert.schema is None else None),
        ("the INSERT's alias", upsert.alias),
        *(("a column of the INSERT's column list", name) for name in upsert.columns or ()),
    ]
    for clause in upsert.clauses:
        places += [("a column of the conflict target", element.column)
                   for element in clause.target or () if element.qualifier is None]
        places += [("the ON CONSTRAINT name", clause.constraint)]
        places += [("a SET column", name) for name in clause.set_columns]
    for place, name in places:
        if name is not None and not name.quoted and name.text.lower() in _NOT_COL_ID:
            yield Problem.of("SP104", "reserved-word", word=name.text, place=place)
            return  # gram.y stops at the first


def _backtick(upsert: Upsert) -> Problem | None:
    """A backtick, which quotes names on SQLite (and sqlglot reads so) but is an operator character to PostgreSQL:
    a syntax error where gram.y wants the INSERT's table or column names, else a statement the checker cannot read
    as PostgreSQL does (an operator named with it may exist)."""
    if "`" not in upsert.sql:
        return None
    try:
        tokens = postgresql_tokens(upsert.sql)[1]
    except TokenError:
        return None
    at = next((i for i, token in enumerate(tokens) if token.token_type == TokenType.UNKNOWN and token.text == "`"),
              None)
    if at is None:
        return None
    into = next((i for i, token in enumerate(tokens) if token.token_type == TokenType.INTO), None)
    source = next(
        (i for i, token in enumerate(tokens) if into is not None and i > into and token.token_type in _SOURCES), None
    )
    in_names = into is not None and into < at and (source is None or at < source)
    before = [token.text.upper() for token in tokens[max(at - 2, 0) : at]]
    if in_names or before[-1:] == ["SET"] or before == ["CONFLICT", "("]:
        return Problem.of("SP104", "backtick")
    return Problem.of("SP901", "backtick")


def _quantified_list(sql: str) -> str | None:
    """``x op ANY (a, b)`` (``ALL``, ``SOME``; ``LIKE``, ``ILIKE`` as the operator): gram.y's ``sub_type '('
    a_expr ')'`` takes one expression or a subquery, so a comma at the group's top level is a syntax error (42601
    at that comma). sqlglot reads the group as a row or a call. Returns the quantifier as written."""
    if not _QUANTIFIER_WORD.search(sql):
        return None
    try:
        tokens = postgresql_tokens(sql)[1]
    except TokenError:
        return None
    for at in range(1, len(tokens) - 1):
        token, before = tokens[at], tokens[at - 1]
        if (
            token.token_type in _QUANTIFIERS
            and tokens[at + 1].token_type == TokenType.L_PAREN
            and (_OPERATOR.fullmatch(before.text) or before.text.upper() in ("LIKE", "ILIKE"))
        ):
            inner = tokens[at + 2 : _closing(tokens, at + 1)]
            if inner and inner[0].token_type not in _SUBQUERY_STARTS and len(split_commas(inner)) > 1:
                return token.text
    return None


_QUANTIFIER_WORD = re.compile(r"\b(any|all|some)\b", re.IGNORECASE)
_QUANTIFIERS = frozenset({TokenType.ANY, TokenType.ALL, TokenType.SOME})
#: A token of PostgreSQL's operator characters (an ``Op`` or ``MathOp`` of gram.y).
_OPERATOR = re.compile(r"[-+*/<>=~!@#%^&|`?]+")
#: The words a subquery in ``ANY (...)`` starts with: its commas are the query's own.
_SUBQUERY_STARTS = frozenset({TokenType.SELECT, TokenType.WITH, TokenType.VALUES, TokenType.TABLE})


#: The words that end an INSERT's target and column list: the rows' source begins.
_SOURCES = frozenset({TokenType.VALUES, TokenType.SELECT, TokenType.DEFAULT, TokenType.WITH})


def _unparenthesized(sql: str) -> str | None:
    """The token at which gram.y's ``index_elem`` stops reading ``sql``, or None when it is a valid element.

    An element is a column, a function call (``lower(b)``, ``CAST(a AS text)``, ``pg_catalog.lower(b)``) or an
    expression in parentheses, then optionally ``COLLATE name`` and an operator class: ``a::int`` or ``a + 1`` bare
    is a syntax error. A qualified column (``t.a``) is P11's, reported on its own.
    """
    if _BARE_WORD.match(sql):
        return None  # one word is one token, a name: the common target, read without tokenizing
    tokens = dialect_tokens(mask_placeholders(sql)[0], "postgresql")
    if not tokens:
        return None
    if tokens[0].token_type == TokenType.L_PAREN:
        at = _closing(tokens, 0) + 1
    elif not _is_name(tokens[0]):
        return tokens[0].text
    else:
        at = _after_name(tokens, 0)
        if at < len(tokens) and tokens[at].token_type == TokenType.L_PAREN:
            at = _closing(tokens, at) + 1
        elif at > 1:
            return None  # a qualified column
    if at < len(tokens) and tokens[at].text.upper() == "COLLATE" and at + 1 < len(tokens):
        at = _after_name(tokens, at + 1)
    if at < len(tokens) and _is_name(tokens[at]):
        at = _after_name(tokens, at)  # the operator class
    return tokens[at].text if at < len(tokens) else None


#: A target element that is one unquoted word (no placeholder, no ``$``: one token however a tokenizer reads it).
_BARE_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def _is_name(token: Token) -> bool:
    return token.token_type == TokenType.IDENTIFIER or token.text[:1].isalpha() or token.text[:1] == "_"


def _after_name(tokens: list[Token], at: int) -> int:
    """The index after the (dotted) name starting at ``at``."""
    at += 1
    while at + 1 < len(tokens) and tokens[at].token_type == TokenType.DOT and _is_name(tokens[at + 1]):
        at += 2
    return at


def _closing(tokens: list[Token], opening: int) -> int:
    """The ``)`` closing the group at ``opening``; the last token when it is never closed (gram.y reads to the end)."""
    try:
        return closing(tokens, opening)
    except SyntaxMismatch:
        return len(tokens) - 1


# -- table resolution (P33, P34) ----------------------------------------------------------------------------------
def _fold(name: str) -> str:
    return name


def _resolve_table(upsert: Upsert, catalog: Catalog) -> tuple[Table | None, list[Problem]]:
    name = upsert.table.folded()
    candidates = table_index(catalog, "postgresql", _fold).by_name.get(name, [])
    shown = f"{upsert.schema.text}.{upsert.table.text}" if upsert.schema else upsert.table.text
    if upsert.schema is not None:
        schema = upsert.schema.folded()
        exact = [t for t in candidates if t.schema == schema]
        if exact:
            return exact[0], []
        default = [t for t in candidates if t.schema is None]
        if default and schema == "public" and not any(t.schema == "public" for t in catalog.tables):
            # DDL replay records public as the unnamed default schema; a catalog naming public explicitly does not.
            return default[0], []
        if default:
            return None, [Problem.of("SP901", "unnamed-default-schema", table=shown, schema=schema)]
    else:
        default = [t for t in candidates if t.schema is None]
        if default:
            return default[0], []
        if candidates:
            schemas = ", ".join(sorted(str(t.schema) for t in candidates))
            return None, [Problem.of("SP901", "search-path", table=shown, schemas=schemas)]
    near = [t.qualified_name for t in catalog.tables if t.name.lower() == upsert.table.text.lower()]
    relation = f"{upsert.schema.folded()}.{name}" if upsert.schema else name
    return None, [Problem.of(
        "SP201", "no-relation-spelled" if near else "no-relation", relation=relation, spelled=near[0] if near else None
    ).because(relation.casefold())]


# -- parse analysis, planning, execution --------------------------------------------------------------------------
#: What parse analysis reads before a DEFAULT with no error of its own: numbers, signs, the arithmetic operators
#: (each resolves between any two numbers, and is resolved only once both operands are read), parentheses.
_BEFORE_DEFAULT = frozenset({
    TokenType.NUMBER, TokenType.PLUS, TokenType.DASH, TokenType.STAR, TokenType.SLASH, TokenType.MOD,
    TokenType.L_PAREN, TokenType.R_PAREN,
})

#: An item transformExpr reads without an error: one constant or placeholder, in parentheses or not.
_CONSTANT_ITEM = frozenset({
    TokenType.NUMBER, TokenType.STRING, TokenType.NULL, TokenType.TRUE, TokenType.FALSE, TokenType.PLACEHOLDER,
})

#: Column types a number (or arithmetic of numbers) is assigned to at parse analysis without an error (an assignment
#: cast, or the I/O conversion to a string type).
_TAKES_NUMBERS = frozenset({
    "smallint", "integer", "bigint", "int", "int2", "int4", "int8", "numeric", "decimal", "real", "float4", "float8",
    "double precision", "float", "text", "varchar", "character varying", "char", "character", "bpchar",
})


def _error_in_source(upsert: Upsert, table: Table) -> tuple[int, Problem] | None:
    """The first error of the INSERT's rows that the checker places, with the VALUES row it is met in (1 for a
    SELECT): ``DEFAULT`` inside an expression of a VALUES item (``VALUES (1 + DEFAULT)``) or anywhere in the INSERT's
    SELECT (``SELECT DEFAULT``), transformExpr's SetToDefault, 42601 ``DEFAULT is not allowed in this context``; a
    name in a VALUES item (``VALUES (zz)``, even a column of the table: the rows see no table), transformColumnRef's
    42703 ``column "zz" does not exist``.

    transformInsertStmt reads the rows in order, each row's items in order, and each item's operands before the
    operator that joins them; a row's values are assigned to the columns (a string to an integer is 22P02 there)
    before the next row is read. The error is the first only when what is read before it cannot fail: numbers and
    arithmetic before it in its item (and after it: a cast's type is looked up before its operand), constants before
    it in its row, numbers (for a column that takes them) and NULL in the rows before. Anything else, and a DEFAULT
    this reading does not place (a CTE, a FROM, a VALUES list with ORDER BY), is SP901: the statement fails, but the
    first error may be another.
    """
    if upsert.source == "default_values":
        return None
    try:
        masked, tokens = postgresql_tokens(upsert.sql)
    except TokenError:
        return None
    insert = next((i for i, token in enumerate(tokens) if token.token_type == TokenType.INSERT), None)
    conflict = on_conflict(tokens, masked)
    if insert is None or conflict is None or conflict < insert:
        return None
    source = tokens[insert + 1 : conflict]
    if upsert.source == "values":
        rows, plain = values_items(source, masked)
        places = [(r, i, at) for r, row in enumerate(rows) for i, item in enumerate(row)
                  if (at := _failing_word(item)) is not None]
        if not places:
            if "default" not in upsert.sql.lower():
                return None
            whole = sum(1 for row in rows for item in row if any(t.token_type == TokenType.DEFAULT for t in item))
            placed = upsert.default_in_values or len(_default_words(source)) > whole
            return _doubt("a DEFAULT the checker does not place", 1) if placed else None
        r, i, at = places[0]
        word = rows[r][i][at]
        doubt = _doubt if word.token_type == TokenType.DEFAULT else functools.partial(_name_doubt, word)
        if upsert.ctes or upsert.in_cte or not plain:
            return doubt("a WITH or a VALUES list with more than rows", r + 1)
        if any(not _assigned_safely(item, upsert, table, position) for row in rows[:r]
               for position, item in enumerate(row)):
            return doubt("an earlier row's value", r + 1)
        if any(_failing_word(item) is None and not _read_safely(item) for item in rows[r][:i]):
            return doubt("an earlier item of its row", r + 1)
        if any(token.token_type not in _BEFORE_DEFAULT for token in rows[r][i][:at]):
            return doubt("what comes before it in its item", r + 1)
        if not _read_after(rows[r][i][at + 1 :]):
            return doubt("what comes after it in its item", r + 1)
        if word.token_type == TokenType.DEFAULT:
            return r + 1, Problem.of("SP104", "default-misplaced")
        name = Name(word.text, word.token_type == TokenType.IDENTIFIER).folded()
        hint = rule_for("SP202").text("hint-values")
        return r + 1, Problem.of("SP202", "no-column", column=name, table=table.name, hint=hint)
    words = _default_words(source)
    if not words or "xmltable" in upsert.sql.lower():  # XMLTABLE's columns take DEFAULT in a FROM item
        return None
    selects = [i for i, token in enumerate(source) if token.token_type == TokenType.SELECT]
    if (upsert.ctes or upsert.in_cte or len(selects) != 1 or any(t.token_type in _BEFORE_SELECT_LIST for t in source)
            or (selects[0] > 0 and source[selects[0] - 1].token_type == TokenType.L_PAREN)):
        return _doubt("a SELECT with more than a select list", 1)
    first = source.index(words[0])
    if any(token.token_type not in _BEFORE_DEFAULT and token.token_type != TokenType.COMMA
           for token in source[selects[0] + 1 : first]):
        return _doubt("what comes before it in the select list", 1)
    return 1, Problem.of("SP104", "default-misplaced")


def _failing_word(item: list[Token]) -> int | None:
    """Where the first word of a VALUES item that certainly fails is: a DEFAULT that is not the whole item
    (``misplaced_default``), or a name transformColumnRef looks up (the rows see no table, so every name is 42703).

    A name is a word gram.y reads as a column reference wherever it stands: an unquoted word that is no keyword with
    a meaning of its own (``_NOT_COL_ID``, ``_COL_NAME_KEYWORDS``: ``user``, ``position``) or a quoted one, between
    operators, parentheses or commas, not in a subquery, not a function's name, a type's or a qualified name's part
    (``EXTRACT(year FROM b)``, ``CAST(b AS t)``, ``xmlelement(name e)`` are not read here)."""
    default = misplaced_default(item)
    subquery = next((k for k, token in enumerate(item) if token.token_type in _QUERY_WORDS), len(item))
    for k, token in enumerate(item[: min(subquery, len(item) if default is None else default)]):
        if token.token_type == TokenType.VAR:
            if token.text.lower() in _NOT_COL_ID or token.text.lower() in _COL_NAME_KEYWORDS:
                continue
        elif token.token_type != TokenType.IDENTIFIER:
            continue
        before = item[k - 1].token_type if k > 0 else TokenType.L_PAREN
        after = item[k + 1].token_type if k + 1 < len(item) else TokenType.R_PAREN
        if before in _BEFORE_NAME and after in _AFTER_NAME:
            return k
    return default


#: Tokens that open a query of their own inside an item: a name after them is the query's.
_QUERY_WORDS = frozenset({TokenType.SELECT, TokenType.VALUES, TokenType.WITH, TokenType.TABLE, TokenType.FROM})

#: Tokens a column reference comes after: an opening parenthesis, a comma of a call's arguments, an operator.
_BEFORE_NAME = frozenset({
    TokenType.L_PAREN, TokenType.COMMA, TokenType.PLUS, TokenType.DASH, TokenType.STAR,
    TokenType.SLASH, TokenType.MOD, TokenType.EQ, TokenType.NEQ, TokenType.LT, TokenType.LTE, TokenType.GT,
    TokenType.GTE, TokenType.DPIPE, TokenType.AND, TokenType.OR,
})

#: Tokens a column reference comes before: a closing parenthesis, a comma, an operator, a cast, a collation, a
#: subscript, a test.
_AFTER_NAME = _BEFORE_NAME - {TokenType.L_PAREN} | {
    TokenType.R_PAREN, TokenType.DCOLON, TokenType.COLLATE, TokenType.L_BRACKET, TokenType.IS,
}

#: PostgreSQL 15's column-name keywords (``pg_get_keywords()``, catcode C): names of functions or types that gram.y
#: reads as such where a column reference could stand (``position(...)``, ``interval '1 day'``, ``row(...)``); with
#: ``system_user`` (a value from PostgreSQL 16) and the forms of ``normalize(b, NFC)``.
_COL_NAME_KEYWORDS = frozenset({
    "between", "bigint", "bit", "boolean", "char", "character", "coalesce", "dec", "decimal", "exists", "extract",
    "float", "greatest", "grouping", "inout", "int", "integer", "interval", "least", "national", "nchar", "none",
    "normalize", "nullif", "numeric", "out", "overlay", "position", "precision", "real", "row", "setof",
    "smallint", "substring", "time", "timestamp", "treat", "trim", "values", "varchar", "xmlattributes",
    "xmlconcat", "xmlelement", "xmlexists", "xmlforest", "xmlnamespaces", "xmlparse", "xmlpi", "xmlroot",
    "xmlserialize", "xmltable", "system_user", "nfc", "nfd", "nfkc", "nfkd",
})

#: Built-in types a ``::`` may name after the failing word without an error of its own (a cast's type is looked up
#: before its operand is read).
_BUILT_IN_CASTS = _TAKES_NUMBERS | {"boolean", "bool"}


#: What may follow the failing word in its item and is read after it: numbers, constants, arithmetic, parentheses,
#: IS [NOT] NULL, TRUE, FALSE.
_READ_AFTER = _BEFORE_DEFAULT | _CONSTANT_ITEM | {TokenType.IS, TokenType.NOT}


def _read_after(tokens: list[Token]) -> bool:
    """Whether what follows the failing word in its item is read after it without an error first: ``_READ_AFTER``,
    and casts to built-in types (``DEFAULT::int``)."""
    for k, token in enumerate(tokens):
        if token.token_type == TokenType.DCOLON:
            if k + 1 == len(tokens) or tokens[k + 1].text.lower() not in _BUILT_IN_CASTS:
                return False
        elif token.token_type not in _READ_AFTER and not (k > 0 and tokens[k - 1].token_type == TokenType.DCOLON):
            return False
    return True


#: What transformSelectStmt reads before the select list (FROM, WITH), or a SELECT of several (a set operation).
_BEFORE_SELECT_LIST = frozenset({
    TokenType.FROM, TokenType.WITH, TokenType.UNION, TokenType.INTERSECT, TokenType.EXCEPT,
})


def _default_words(tokens: list[Token]) -> list[Token]:
    """The ``DEFAULT`` keywords of ``tokens`` but those of ``DEFAULT VALUES``."""
    return [token for at, token in enumerate(tokens) if token.token_type == TokenType.DEFAULT
            and not (at + 1 < len(tokens) and tokens[at + 1].token_type == TokenType.VALUES)]


def _doubt(place: str, row: int) -> tuple[int, Problem]:
    said = reason("postgresql-default-in-expression", place=place)
    return row, Problem.of("SP901", "reason", reason=said).for_reason("postgresql-default-in-expression")


def _name_doubt(word: Token, place: str, row: int) -> tuple[int, Problem]:
    name = Name(word.text, word.token_type == TokenType.IDENTIFIER).folded()
    said = reason("postgresql-name-in-values", name=name, place=place)
    return row, Problem.of("SP901", "reason", reason=said).for_reason("postgresql-name-in-values")


def _read_safely(item: list[Token]) -> bool:
    """Whether transformExpr reads this VALUES item without an error: a constant, a signed number, arithmetic of
    numbers (its assignment to the column comes after the row is read)."""
    kinds = [t.token_type for t in item if t.token_type not in (TokenType.L_PAREN, TokenType.R_PAREN)]
    return (len(kinds) == 1 and kinds[0] in _CONSTANT_ITEM) or (
        bool(kinds) and all(kind in _BEFORE_DEFAULT for kind in kinds))


def _assigned_safely(item: list[Token], upsert: Upsert, table: Table, position: int) -> bool:
    """Whether an item of a row before the DEFAULT's is read and assigned to its column without an error: DEFAULT
    alone, NULL alone, or numbers for a column of a type that takes them."""
    kinds = [t.token_type for t in item if t.token_type not in (TokenType.L_PAREN, TokenType.R_PAREN)]
    if kinds in ([TokenType.DEFAULT], [TokenType.NULL]):
        return True
    if not kinds or any(kind not in _BEFORE_DEFAULT for kind in kinds):
        return False
    if upsert.columns is not None:
        column = table.column(upsert.columns[position].folded()) if position < len(upsert.columns) else None
    else:
        column = table.columns[position] if position < len(table.columns) else None
    if column is None:
        return False
    return re.sub(r"\(.*\)", "", column.type.lower()).strip() in _TAKES_NUMBERS


def _count_row(upsert: Upsert, table: Table) -> int:
    """The VALUES row whose length PostgreSQL refuses first (SP303, see ``values_count``)."""
    from schema_parity.rows import values_lengths

    lengths = values_lengths(upsert) or (0,)
    columns = len(upsert.columns) if upsert.columns is not None else len(table.columns)
    if lengths[0] > columns or (lengths[0] < columns and upsert.columns is not None):
        return 1
    return next((row for row, length in enumerate(lengths, start=1) if length != lengths[0]), len(lengths) + 1)


@dataclass
class _Analysis:
    upsert: Upsert
    table: Table
    catalog: Catalog

    def __post_init__(self) -> None:
        self.arbiters: list[str] = []
        self.columns = {c.name: c for c in self.table.columns}

    def column(self, name: Name) -> Column | None:
        return self.columns.get(name.folded())

    def run(self) -> list[Problem]:
        problems = list(self._column_list())
        default = None if problems else _error_in_source(self.upsert, self.table)
        if default is not None and self.table.kind == "view":
            return [Problem.of("SP901", "view", table=self.table.qualified_name)]
        if not problems and self.table.kind != "view":
            count = values_count(self.upsert, self.table, "postgresql")
            # transformInsertStmt reads each VALUES row's expressions, then its length (SP303): a DEFAULT in a row's
            # expression comes before that row's count and after an earlier row's
            if default is not None and (count is None or default[0] <= _count_row(self.upsert, self.table)):
                return [default[1]]
            if count is not None:
                return [count]  # parse analysis stops here, before the conflict target (measured on PostgreSQL 15)
        for clause in self.upsert.clauses:
            problems += self._clause(clause)
        if self.table.kind != "view":
            # ExecInsert runs ExecConstraints (NOT NULL, 23502) before ExecCheckIndexConstraints (a deferrable
            # arbiter, 55000): a missing NOT NULL column comes before SP110 (measured on PostgreSQL 15).
            deferrable = [p for p in problems if p.rule == "SP110"]
            problems = [p for p in problems if p.rule != "SP110"]
            problems += missing_not_null(self.upsert, self.table, self.column, self._refuses_null) + deferrable
        return problems

    def _column_list(self) -> Iterator[Problem]:
        for name in self.upsert.columns or ():
            if self.column(name) is None:
                problem = Problem.of("SP202", "no-column-of-relation", **self._no_column(name))
                yield self._no_column_problem(problem, name)

    def _no_column_problem(self, problem: Problem, name: Name) -> Problem:
        """SP202 with its root cause: this table has no column of this name (however each place of the statement
        says it, on either engine)."""
        return problem.because(self.table.name.casefold(), name.folded().casefold())

    def _no_column(self, name: Name) -> dict[str, str]:
        """SP202's fields for ``name``, with the hint that names the column as it is spelled, or the table's columns."""
        near = [c.name for c in self.table.columns if c.name.lower() == name.text.lower()]
        rule = rule_for("SP202")
        hint = (
            rule.text("hint-spelled", spelled=near[0])
            if near
            else rule.text("hint-columns", table=self.table.name, columns=", ".join(c.name for c in self.table.columns))
        )
        return {"column": name.folded(), "table": self.table.name, "hint": hint}

    def _clause(self, clause: ConflictClause) -> list[Problem]:
        if self.table.has_rules:
            return [Problem.of("SP112", "rules", table=self.table.qualified_name)]
        problems: list[Problem] = []
        if clause.target is None and clause.constraint is None and clause.action == "update":
            key = next((k for k in self.table.keys if k.is_unique and not k.predicate), None)
            problems.append(Problem.of(
                "SP102", "no-target" if key is not None else "no-target-no-key",
                target=self._describe_target(key) if key is not None else None,
            ))
        # transformExpr reports the first error of its walk: unknown names and boolean tests, in one order.
        found = [*self._names(clause), *self._boolean_tests(clause), *self._sublinks(clause)]
        problems += [p for _, p in sorted(found, key=lambda f: f[0])]
        if problems:
            # Parse analysis looks up ON CONSTRAINT (42704) before it reads DO UPDATE SET/WHERE.
            missing = self._missing_constraint(clause) if clause.constraint is not None else None
            return [missing, *problems] if missing is not None else problems
        if self.table.kind == "view":
            return [Problem.of("SP901", "view", table=self.table.qualified_name)]
        try:
            if clause.constraint is not None:
                return self._on_constraint(clause)
            if clause.target is None:
                return self._targetless()
            return self._inferred(clause)
        except _Unresolved as exc:
            return [Problem.of("SP901", "reason", reason=exc)]

    # -- names (42703, 42P01) --
    def _names(self, clause: ConflictClause) -> Iterator[tuple[tuple[int, ...], Problem]]:
        """In transformOnConflictClause's order: each target element (ASC/DESC and NULLS, 42P10, before its names),
        the target's WHERE, then DO UPDATE's SET list and WHERE (the ON CONSTRAINT lookup, 42704, is the caller's).
        Each problem comes with its place in that order (see ``_walk_key``)."""
        for i, element in enumerate(clause.target or ()):
            if element.order is not None:
                yield (_ELEMENT, i, -1), Problem.of("SP103", "order", order=element.order)
            if element.nulls is not None:
                yield (_ELEMENT, i, -1), Problem.of("SP103", "nulls", nulls=element.nulls)
            for column, problem in self._references(element.expression, allow_excluded=False):
                yield (_ELEMENT, i, *_walk_key(column, element.expression)), problem
        if clause.target_where is not None:
            for column, problem in self._references(clause.target_where, allow_excluded=False):
                yield (_TARGET_WHERE, 0, *_walk_key(column, clause.target_where)), problem
        for i, name in enumerate(clause.set_columns):
            if self.column(name) is None:
                problem = Problem.of("SP202", "no-column-of-relation", **self._no_column(name))
                yield (_SET_COLUMNS, i), self._no_column_problem(problem, name)
        for i, node in enumerate(clause.set_values):
            for column, problem in self._references(node, allow_excluded=True, set_value=True):
                yield (_SET_VALUES, i, *_walk_key(column, node)), problem
        if clause.update_where is not None:
            for column, problem in self._references(clause.update_where, allow_excluded=True):
                yield (_UPDATE_WHERE, 0, *_walk_key(column, clause.update_where)), problem

    def _references(
        self, node: exp.Expression, *, allow_excluded: bool, set_value: bool = False
    ) -> Iterator[tuple[exp.Column, Problem]]:
        """transformColumnRef over the target (and, in DO UPDATE, ``excluded``): 42703, 42P01, 42P09, 42702; and
        ``DEFAULT`` (SetToDefault, 42601) anywhere but a whole SET value (``set_value``)."""
        own_name = (self.upsert.alias or self.upsert.table).folded()
        for column in node.find_all(exp.Column):
            if isinstance(column.this, exp.Star) or _keyword_test(column):
                continue
            name = Name(column.name, bool(column.this.args.get("quoted")))
            qualifier = column.args.get("table")
            if not name.quoted and qualifier is None and name.text.lower() == "default":
                if not (set_value and _whole_value(column, node)):
                    yield column, Problem.of("SP104", "default-misplaced")
                continue
            if not name.quoted and name.text.lower() in _SQL_VALUE_KEYWORDS:
                continue  # ``user``, ``current_role``: SQL value functions, not columns
            if column is not node and in_subquery(column, node):  # a whole value is in no subquery, even in a CTE
                if qualifier is None and allow_excluded:
                    yield from ((column, p) for p in self._outer_reference(column, name, node))
                continue
            if qualifier is not None:
                q = Name(qualifier.name, bool(qualifier.args.get("quoted"))).folded()
                if allow_excluded and q == "excluded":
                    if own_name == "excluded":
                        yield column, Problem.of("SP203", "excluded-alias", table=self.upsert.table.text)
                    elif self.column(name) is None:
                        problem = Problem.of("SP202", "no-excluded-column", **self._no_column(name))
                        yield column, self._no_column_problem(problem, name)
                    continue
                if q != own_name:
                    shown = self.upsert.table.folded()
                    yield column, Problem.of(
                        "SP203", "aliased-table" if self.upsert.alias is not None and q == shown else "missing-from",
                        qualifier=q, table=shown, alias=own_name,
                    )
                    continue
            if self.column(name) is None:
                if qualifier is None and allow_excluded and name.folded() in (own_name, "excluded"):
                    continue  # a whole-row reference to the existing or the proposed row
                if name.folded() in _SYSTEM_COLUMNS:
                    continue  # xmin, ctid, ...: the target's own (excluded has none), so never ambiguous
                problem = Problem.of("SP202", "no-column", **self._no_column(name))
                yield column, self._no_column_problem(problem, name)
            elif qualifier is None and allow_excluded:
                yield column, self._ambiguous(name)

    def _sublinks(self, clause: ConflictClause) -> Iterator[tuple[tuple[int, ...], Problem]]:
        """transformSubLink, each problem with its place in ``_names``' order. In the conflict target (an element, its
        WHERE) a subquery is 0A000 as soon as the walk meets it, before its operand. In DO UPDATE SET and WHERE a
        subquery must give as many columns as it is compared with (42601: ``subquery has too many columns``, ``too
        few``, ``must return only one column``), checked once the subquery and the compared value are read. Only
        subqueries at the top of the expression are judged (one inside another is read in the order of its SELECT,
        FROM first), and only those whose columns the checker can count."""
        if "select" not in self.upsert.sql.lower() and "values" not in self.upsert.sql.lower():
            return
        target = [(_ELEMENT, i, e.expression) for i, e in enumerate(clause.target or ())]
        if clause.target_where is not None:
            target.append((_TARGET_WHERE, 0, clause.target_where))
        for place, i, root in target:
            for query in _top_queries(root):
                sublink, _, _ = _sublink(query)
                kind = "expression" if place == _ELEMENT else "predicate"
                yield (place, i, *_walk_key(sublink, root)[:-1], -1), Problem.of("SP104", "subquery-in-target",
                                                                                 kind=kind)
        update = [(_SET_VALUES, i, v) for i, v in enumerate(clause.set_values)]
        if clause.update_where is not None:
            update.append((_UPDATE_WHERE, 0, clause.update_where))
        for place, i, root in update:
            top = list(_top_queries(root))
            for query in _queries(root):
                sublink, holder, compared = _sublink(query)
                if query not in top:
                    # read in its SELECT's order (FROM first), not the walk's: only whether it fails is certain
                    if compared is not None and (width := self._width(query)) not in (None, _row_width(compared)):
                        said = reason("postgresql-subquery-columns", columns=width, width=_row_width(compared))
                        yield (place, i, *_walk_key(sublink, root)), Problem.of("SP901", "reason", reason=said)\
                            .for_reason("postgresql-subquery-columns")
                    continue
                if isinstance(sublink, exp.Exists) or (place == _SET_VALUES and holder is _unparen(root)
                                                       and _assigns_row(root)):
                    continue  # EXISTS takes any columns; SET (a, b) = (SELECT ...) is counted against its columns
                width = self._width(query)
                wanted = 1 if compared is None else _row_width(compared)
                if width is None or width == wanted:
                    continue
                error = ("subquery must return only one column" if compared is None else
                         "subquery has too many columns" if width > wanted else "subquery has too few columns")
                problem = Problem.of("SP104", "subquery-columns", columns=width, width=wanted, error=error)
                if not self._names_known(query):
                    # its FROM items and qualified names are read first, and the checker does not judge them there
                    said = reason("postgresql-subquery-columns", columns=width, width=wanted)
                    problem = Problem.of("SP901", "reason", reason=said).for_reason("postgresql-subquery-columns")
                yield (place, i, *_walk_key(sublink, root)), problem

    def _names_known(self, query: exp.Expression) -> bool:
        """Whether every table ``query`` reads is one of the Catalog (or the INSERT's, or a CTE of the query), and every
        qualified name in it a column of the FROM item it names: then none fails before the query's column count."""
        names: dict[str, frozenset[str] | None] = {}
        for table in query.find_all(exp.Table):
            alias = table.args.get("alias")
            shown = alias.this if alias is not None and alias.this is not None else table.this
            if not isinstance(table.this, exp.Identifier) or not isinstance(shown, exp.Identifier):
                return False
            found = self._catalog_table(table) if table.args.get("catalog") is None else None
            columns = None if alias is not None and alias.args.get("columns") else (
                frozenset(c.name for c in found.columns) if found is not None else None)
            if found is None and not any(_name_of(c.args["alias"].this) == _name_of(table.this)
                                         for c in query.find_all(exp.CTE)):
                return False
            names[_name_of(shown)] = columns
        for column in query.find_all(exp.Column):
            qualifier = column.args.get("table")
            if qualifier is None or isinstance(column.this, exp.Star):
                continue
            if not isinstance(qualifier, exp.Identifier) or not isinstance(column.this, exp.Identifier):
                return False
            q = _name_of(qualifier)
            if q in names:
                if names[q] is None or _name_of(column.this) not in cast(frozenset[str], names[q]):
                    return False
            elif q not in ((self.upsert.alias or self.upsert.table).folded(), "excluded"):
                return False
        return True

    def _width(self, query: exp.Expression) -> int | None:
        """How many columns ``query`` returns; None when the checker cannot count them (a star over a FROM item whose
        columns it does not know, a join that merges columns, branches of different widths)."""
        if isinstance(query, exp.Subquery):
            return self._width(query.this)
        if isinstance(query, exp.SetOperation):
            left, right = self._width(query.this), self._width(query.expression)
            return left if left == right else None
        if isinstance(query, exp.Values):
            widths = {len(row.expressions) if isinstance(row, exp.Tuple) else 1 for row in query.expressions}
            return widths.pop() if len(widths) == 1 else None
        if not isinstance(query, exp.Select):
            return None
        count = 0
        for item in query.expressions:
            star = isinstance(item, exp.Star) or (isinstance(item, exp.Column) and isinstance(item.this, exp.Star))
            if not star:
                count += 1
                continue
            columns = self._star_columns(query, item.args.get("table") if isinstance(item, exp.Column) else None)
            if columns is None:
                return None
            count += columns
        return count

    def _star_columns(self, select: exp.Select, qualifier: exp.Expression | None) -> int | None:
        """The columns ``*`` (or ``q.*``) stands for in ``select``: tables of the Catalog only, joined without USING
        or NATURAL (which merge columns)."""
        joins = select.args.get("joins") or []
        if any(j.args.get("using") or j.args.get("method") for j in joins) or select.args.get("from_") is None:
            return None
        from_ = select.args["from_"]
        counts = []
        for item in [from_.this, *(j.this for j in joins)]:
            if not isinstance(item, exp.Table) or not isinstance(item.this, exp.Identifier):
                return None
            if _cte_named(item, select) is not None or item.args.get("catalog") is not None:
                return None
            alias = item.args.get("alias")
            if alias is not None and alias.args.get("columns"):
                return None
            table = self._catalog_table(item)
            if table is None:
                return None
            name = _name_of(alias.this if alias is not None and alias.this is not None else item.this)
            counts.append((name, len(table.columns)))
        if qualifier is None:
            return sum(count for _, count in counts)
        if not isinstance(qualifier, exp.Identifier):
            return None
        wanted = [count for name, count in counts if name == _name_of(qualifier)]
        return wanted[0] if len(wanted) == 1 else None

    def _catalog_table(self, item: exp.Table) -> Table | None:
        """A FROM item's table, resolved like the INSERT's own (an unqualified name: the default schema only)."""
        db = item.args.get("db")
        schema = _name_of(db) if db is not None else None
        candidates = table_index(self.catalog, "postgresql", _fold).by_name.get(_name_of(item.this), [])
        return next((t for t in candidates if t.schema == schema), None)

    def _boolean_tests(self, clause: ConflictClause) -> Iterator[tuple[tuple[int, ...], Problem]]:
        """transformBooleanTest: ``x IS [NOT] TRUE/FALSE/UNKNOWN`` needs a boolean ``x`` (else 42804, SP206); a test
        of a value whose type the checker cannot tell leaves the verdict unresolved. Each problem comes with its
        place in ``_names``' order."""
        if " is " not in " ".join(self.upsert.sql.lower().split()):
            return
        marked = _marked_conflict(self.upsert.sql) if _UNKNOWN_WORD.search(self.upsert.sql) else None
        if marked is None and _UNKNOWN_WORD.search(self.upsert.sql):
            yield (_UNREAD,), Problem.of("SP901", "boolean-test-unread")
            return
        where = marked.args.get("where") if marked is not None else None
        nodes: list[tuple[tuple[int, int], exp.Expression | None]] = [
            ((_ELEMENT, i), e.expression) for i, e in enumerate(clause.target or ())]
        nodes += [((_TARGET_WHERE, 0), self._target_where(clause))] if clause.target_where is not None else []
        values = [assignment(item)[1] for item in marked.expressions] if marked is not None else clause.set_values
        nodes += [((_SET_VALUES, i), value) for i, value in enumerate(values)]
        update_where = where.this if where is not None else clause.update_where if marked is None else None
        nodes += [((_UPDATE_WHERE, 0), update_where)]
        for place, node in nodes:
            if node is None:
                continue
            for test in node.find_all(exp.Is):
                kind = _test_kind(test)
                if kind is None:
                    continue
                shown = f"{_spelled(_unparen(test.this)).sql(_PG, comments=False)} IS {kind}"
                type_ = self._test_operand_type(test.this)
                key = (*place, *_walk_key(test, node))
                if type_ is None:
                    yield key, Problem.of("SP901", "boolean-test-type", test=shown)
                elif type_ == _INVALID:
                    yield key, Problem.of("SP901", "boolean-test-text", test=shown)
                elif type_ != "boolean":
                    yield key, Problem.of("SP206", "not-boolean", test=shown, kind=kind, type=type_)

    def _test_operand_type(self, node: exp.Expression) -> str | None:
        """The type of a boolean test's operand: ``boolean``, another type's name, ``_INVALID`` (a string literal
        boolin refuses, 22P02), or None when the checker cannot tell (a function, a subquery, a domain)."""
        node = _unparen(node)
        if isinstance(node, exp.Null | exp.Boolean | exp.Predicate | exp.Connector | exp.Not):
            return "boolean"
        if isinstance(node, exp.Literal) and node.is_string:
            return "boolean" if _boolean_text(node.this) else _INVALID
        own = isinstance(node, exp.Column) and isinstance(node.this, exp.Identifier)
        if own and not node.find_ancestor(exp.Select):  # a subquery's column is its FROM item's
            column = self.column(Name(node.name, bool(node.this.args.get("quoted"))))
            facts = type_facts(self.catalog, column.type) if column is not None else None
            if column is None or facts is None:
                return None
            return "boolean" if facts.base == "boolean" else column.type
        if isinstance(node, exp.Cast) and node.to.sql(_PG).lower() in ("boolean", "bool"):
            return "boolean"
        known = _type_of(node, self.types)
        return known if known is not None and known != "boolean" else None

    def _ambiguous(self, name: Name) -> Problem:

        """DO UPDATE sees the target and ``excluded``, which has the same columns: a bare name is either."""
        own = (self.upsert.alias or self.upsert.table).text
        shown = name.folded()
        ref = f'"{shown}"' if name.quoted else shown
        return Problem.of("SP205", "ambiguous", column=shown, table=own, ref=ref)

    def _outer_reference(self, column: exp.Column, name: Name, root: exp.Expression) -> Iterator[Problem]:
        """A bare name in a subquery: its own FROM items first, then the DO UPDATE level (where it is ambiguous).

        Decided only when every FROM item on the way out has known columns; anything else is left alone.
        """
        scopes = subquery_scopes(column, root)
        if scopes is None:
            return
        folded = name.folded()
        aliases: set[str] = set()
        for select in scopes:
            sources = self._sources(select)
            if sources is None:
                return
            if any(folded in columns for _, columns in sources):
                return
            aliases.update(alias for alias, _ in sources)
        if self.column(name) is not None:
            yield self._ambiguous(name)
        elif folded not in aliases and folded not in ((self.upsert.alias or self.upsert.table).folded(), "excluded"):
            problem = Problem.of("SP202", "no-column", **self._no_column(name))
            yield self._no_column_problem(problem, name)

    def _sources(self, select: exp.Select) -> list[tuple[str, frozenset[str]]] | None:
        """(alias, column names) of each FROM item of ``select``; None when one of them has columns we cannot know."""
        from_ = select.args.get("from_")
        items = ([from_.this] if from_ is not None else []) + [j.this for j in select.args.get("joins") or []]
        sources = []
        for item in items:
            alias = item.args.get("alias")
            if alias is not None and alias.args.get("columns"):
                return None
            columns: frozenset[str] | None = None
            if isinstance(item, exp.Table) and isinstance(item.this, exp.Identifier):
                cte = _cte_named(item, select)
                columns = _cte_columns(cte) if cte is not None else self._table_columns(item)
            elif isinstance(item, exp.Subquery) and alias is not None:
                columns = _output_names(item.this)
            if columns is None:
                return None
            sources.append((_name_of(alias.this if alias is not None and alias.this is not None else item.this),
                            columns))
        return sources

    def _table_columns(self, item: exp.Table) -> frozenset[str] | None:
        """A FROM item's table, resolved like the INSERT's own (an unqualified name: the default schema only)."""
        if item.args.get("catalog") is not None:
            return None
        db = item.args.get("db")
        schema = _name_of(db) if db is not None else None
        candidates = table_index(self.catalog, "postgresql", _fold).by_name.get(_name_of(item.this), [])
        table = next((t for t in candidates if t.schema == schema), None)
        return frozenset(c.name for c in table.columns) if table is not None else None

    # -- ON CONSTRAINT (P20-P26) --
    def _on_constraint(self, clause: ConflictClause) -> list[Problem]:
        assert clause.constraint is not None
        wanted = clause.constraint.folded()
        key = next((k for k in self.table.keys if k.name == wanted), None)
        if key is not None and key.is_constraint:
            self.arbiters.append(key.name or key.describe())
            if (key.kind == "exclusion" or key.without_overlaps) and clause.action == "update":
                return [Problem.of(
                    "SP109", "without-overlaps" if key.without_overlaps else "exclusion", key=key.describe()
                )]
            return list(self._deferrable([key]))
        if wanted in self.table.other_constraints:
            return [Problem.of("SP108", "no-index", constraint=wanted, hint=self._candidates_hint())]
        missing = self._missing_constraint(clause)
        assert missing is not None
        return [missing]

    def _missing_constraint(self, clause: ConflictClause) -> Problem | None:
        """SP107 when ON CONSTRAINT names no constraint of the table (a unique index is not one)."""
        assert clause.constraint is not None
        wanted = clause.constraint.folded()
        key = next((k for k in self.table.keys if k.name == wanted), None)
        if (key is not None and key.is_constraint) or wanted in self.table.other_constraints:
            return None
        if key is not None:
            return Problem.of(
                "SP107", "unique-index", constraint=wanted, table=self.table.name, key=key.describe(),
                target=self._describe_target(key), name=key.name,
            )
        near = [k.name for k in self.table.keys if k.name and k.name.lower() == clause.constraint.text.lower()]
        if near:
            return Problem.of("SP107", "spelled", constraint=wanted, table=self.table.name, spelled=near[0])
        return Problem.of(
            "SP107", "no-such-constraint", constraint=wanted, table=self.table.name, hint=self._candidates_hint()
        )

    # -- ON CONFLICT DO NOTHING without target (P31, P28) --
    def _targetless(self) -> list[Problem]:
        keys = [k for k in self.table.keys if k.kind in ("primary_key", "unique", "unique_index", "exclusion")]
        self.arbiters.extend(k.name or k.describe() for k in keys)
        return list(self._deferrable(keys))

    def _deferrable(self, keys: list[Key]) -> Iterator[Problem]:
        """ExecCheckIndexConstraints: a deferrable arbiter fails with 55000 when the first row is proposed (P27)."""
        for key in keys:
            if key.deferrable:
                yield Problem.of("SP110", "deferrable", key=key.describe(), name=key.name, table=self.table.name)

    # -- infer_arbiter_indexes (P1-P19) --
    def _inferred(self, clause: ConflictClause) -> list[Problem]:
        assert clause.target is not None
        elements = [self._element(e) for e in clause.target]
        for element in elements:
            if element.whole_row:
                return [Problem.of("SP106", "whole-row")]
        where = _predicate(self._target_where(clause), self.types) if clause.target_where is not None else None
        matched: list[Key] = []
        maybe: list[Key] = []
        partial: list[Key] = []
        for key in self.table.keys:
            # A WITHOUT OVERLAPS key (18) is an exclusion constraint to the planner: never inferred (P26).
            if not key.valid or not key.is_unique or key.without_overlaps or not self._keys_match(elements, key):
                continue
            implied = True if key.predicate is None else _implied(where, _index_predicate(key.predicate, self))
            if implied is True:
                matched.append(key)
            elif implied is _MAYBE:
                maybe.append(key)
            else:
                partial.append(key)  # the columns match, the predicate is not implied
        self.arbiters.extend(k.name or k.describe() for k in matched + maybe)
        problems = list(self._deferrable(matched + maybe))
        if not matched and maybe:
            problems += [
                Problem.of("SP111", "parameter-predicate", key=k.describe(), predicate=k.predicate) for k in maybe
            ]
        if not matched and not maybe:
            problems.append(self._no_match(clause, partial))
        return problems

    def _target_where(self, clause: ConflictClause) -> exp.Expression:
        """The target's WHERE; read again with its ``IS [NOT] UNKNOWN`` tests marked when it has one (the statement's
        tree reads them as ``IS [NOT] NULL``)."""
        assert clause.target_where is not None
        text = clause.target_where_sql or ""
        return _parse_pg(mask_placeholders(text)[0]) if _UNKNOWN_WORD.search(text) else clause.target_where

    @functools.cached_property
    def types(self) -> dict[str, str]:
        return {c.name: c.normalized_type for c in self.table.columns}

    @functools.cached_property
    def types_key(self) -> tuple[tuple[str, str], ...]:
        return tuple(sorted(self.types.items()))

    def _element(self, element: TargetElement) -> _Element:
        node = _unparen(element.expression)
        if isinstance(node, exp.Column):
            if isinstance(node.this, exp.Star):
                return _Element(None, None, element, whole_row=True)
            return _Element(Name(node.name, bool(node.this.args.get("quoted"))).folded(), None, element)
        if _UNKNOWN_WORD.search(element.sql):
            raise _Unresolved(rule_for("SP901").text("unknown-in-expression", text=element.sql))
        normalized = _normalize(node, self.types)
        if isinstance(normalized, exp.Column):  # (a::int) on an integer column is the column itself
            return _Element(normalized.name, None, element)
        return _Element(None, normalized.sql(_PG, copy=False), element)

    def _keys_match(self, elements: list[_Element], key: Key) -> bool:
        """bms_equal of plain columns, every expression element in the index, no index expression missing."""
        if {e.column for e in elements if e.column is not None} != {c for c in key.columns if c is not None}:
            return False
        index_exprs = [_index_value(e.expression, self) for e in key.elements if e.expression is not None]
        for element in elements:
            if element.source.collation is not None or element.source.opclass is not None:
                if not self._collation_opclass_match(element, key, index_exprs):
                    return False
                continue
            if element.column is None and element.value not in index_exprs:
                return False
        return set(index_exprs) <= {e.value for e in elements}

    def _collation_opclass_match(self, element: _Element, key: Key, index_exprs: list[str]) -> bool:
        """infer_collation_opclass_match: COLLATE/opclass in the target only restrict (P13)."""
        expressions = iter(index_exprs)
        for part in key.elements:
            value = next(expressions) if part.expression is not None else None
            if not (part.column is not None and part.column == element.column) and not (
                value is not None and value == element.value
            ):
                continue
            if element.source.opclass is not None and not self._opclass_match(element.source.opclass, part):
                continue
            if element.source.collation is not None:
                wanted = element.source.collation.folded()
                if (part.collation or "default") != wanted:
                    continue
            return True
        return False

    def _opclass_match(self, opclass: Name, part: KeyElement) -> bool:
        written = opclass.folded()
        if part.opclass is not None:
            return part.opclass == written
        column = self.columns.get(part.column or "")
        family = column.normalized_type if column is not None else None
        defaults = _DEFAULT_OPCLASSES.get(family or "")
        if defaults is None:
            raise _Unresolved(rule_for("SP901").text(
                "unknown-opclass-expression" if column is None else "unknown-opclass", opclass=written,
                operand=column.name if column is not None else None,
            ))
        return written in defaults

    def _no_match(self, clause: ConflictClause, partial: list[Key]) -> Problem:
        """SP101. When a partial unique index has the target's columns, the fix is its predicate in the target, not
        a full key (which would also forbid duplicates among the rows the predicate leaves out)."""
        assert clause.target is not None
        rule = rule_for("SP101")
        keys = [k for k in self.table.keys if k.kind != "index"]
        name = self.table.qualified_name
        return Problem.of(
            "SP101", "no-match-where" if clause.target_where_sql else "no-match",
            target=", ".join(e.sql for e in clause.target), where=clause.target_where_sql, table=name,
            keys=rule.text("keys", table=name, keys="; ".join(k.describe() for k in keys))
            if keys
            else rule.text("no-keys", table=name),
            hint=partial_predicate_hint(clause, partial[0]) if partial else _add_key_hint(self.table, clause),
        ).because(*no_match_cause(self.table, clause))

    def _refuses_null(self, column: Column) -> bool | None:
        """Whether a row that leaves out ``column`` (no default of its own, or ``DEFAULT NULL``) fails: NULL in a NOT
        NULL column, or in a NOT NULL domain ("domain d does not allow null values"), both 23502, unless a domain's
        default fills it; None when its type may be a domain the Catalog does not list. A domain column's own
        ``DEFAULT NULL`` is stored (coerced to the domain) and wins over the domain's default; on another type a
        plain NULL is not stored, and a base type's own default applies (a cast chain PostgreSQL stores unfolded,
        ``NULL::text::t``, on a base type with a default, is not told apart)."""
        if column.nullable and not self.catalog.types_read:
            return False
        facts = type_facts(self.catalog, column.type)
        if facts is None:
            return None if not column.nullable else False
        # a stored default of its own wins over its type's: a domain's column's (even DEFAULT NULL), or an
        # expression that is no NULL constant (``-NULL::int``: PostgreSQL stores it unfolded)
        own = column.default is not None and (facts.domain or not is_null_default(column.default))
        return not (facts.domain_default and not own) and (facts.not_null or not column.nullable)

    def _candidates_hint(self) -> str:
        names = [k.name for k in self.table.keys if k.is_constraint and k.name]
        rule, table = rule_for("SP107"), self.table.qualified_name
        return rule.text("hint-usable", table=table, names=", ".join(names)) if names else rule.text(
            "hint-none-usable", table=table
        )

    def _describe_target(self, key: Key) -> str:
        return ", ".join(e.column if e.column is not None else f"({e.expression})" for e in key.elements)


@dataclass(frozen=True)
class _Element:
    column: str | None
    value: str | None
    source: TargetElement
    whole_row: bool = False


def _add_key_hint(table: Table, clause: ConflictClause) -> str:
    """The Alembic operation that creates the key this target asks for."""
    assert clause.target is not None
    plain = [e.column.folded() for e in clause.target if e.column is not None and e.qualifier is None]
    unique_cols = list(dict.fromkeys(plain))
    name = f"uq_{table.name}_{'_'.join(unique_cols) or 'expr'}"[:63]
    rule = rule_for("SP101")
    if len(plain) == len(clause.target) and clause.target_where_sql is None:
        return rule.text("hint-add-constraint", name=name, table=table.name, columns=unique_cols).replace("'", '"')
    terms = ", ".join(
        f'"{e.column.folded()}"' if e.column is not None and e.qualifier is None else f'sa.text("{e.sql}")'
        for e in clause.target
    )
    return rule.text(
        "hint-add-partial-index" if clause.target_where_sql else "hint-add-index",
        name=name, table=table.name, terms=terms, where=clause.target_where_sql,
    )


# -- expressions: equal() after parse analysis (P12) -----------------------------------------------------------------
_TEXTUAL = frozenset({"text", "varchar"})
_TEXT_CASTS = frozenset({"text", "varchar", "character varying"})
_TEXT_FUNCTIONS = (exp.Lower, exp.Upper, exp.Trim, exp.Concat)
_CAST_TYPES = {"SMALLINT": "smallint", "INT": "integer", "BIGINT": "bigint", "DECIMAL": "numeric", "TEXT": "text",
               "VARCHAR": "varchar", "BOOLEAN": "boolean"}
"""Cast target types whose coercions the checker models, by sqlglot type name (``int4``, ``integer`` are INT)."""
_INTEGERS = ("smallint", "integer", "bigint")
"""Narrowest first: an operation on two integer types has the wider one's type."""
_FAMILIES = {"smallint": "int", "integer": "int", "bigint": "int", "numeric": "num"}
"""btree operator families: predtest compares constants of one family, whatever their types within it."""
_STRICT = (
    exp.Cast, exp.Add, exp.Sub, exp.Mul, exp.Div, exp.Mod, exp.Neg, exp.Lower, exp.Upper, exp.Abs, exp.Length,
    exp.EQ, exp.NEQ, exp.LT, exp.LTE, exp.GT, exp.GTE, exp.Like, exp.ILike, exp.RegexpLike, exp.RegexpILike,
)
"""Operators and functions that return NULL on a NULL argument (clause_is_strict_for looks through them): the
built-in comparison, LIKE and regular expression operators are strict, so ``(b ~ 'x') <> a`` is NULL when ``b``
is. Not ``||``: ``array_cat`` is not strict."""
_STRICT_FUNCTIONS = frozenset({"is_normalized"})
"""Functions sqlglot does not know by name that are strict (``x IS NORMALIZED`` calls ``is_normalized``)."""
_DEFAULT_OPCLASSES: dict[str, frozenset[str]] = {
    "text": frozenset({"text_ops", "varchar_ops"}),  # varchar_ops: an opclass of text in the text_ops family
    "varchar": frozenset({"text_ops", "varchar_ops"}),
    "integer": frozenset({"int4_ops", "integer_ops"}),
    "bigint": frozenset({"int8_ops", "integer_ops"}),
    "smallint": frozenset({"int2_ops", "integer_ops"}),
    "boolean": frozenset({"bool_ops"}),
    "uuid": frozenset({"uuid_ops"}),
    "date": frozenset({"date_ops"}),
    "timestamp": frozenset({"timestamp_ops"}),
    "timestamptz": frozenset({"timestamptz_ops"}),
    "numeric": frozenset({"numeric_ops"}),
}


def _unparen(node: exp.Expression) -> exp.Expression:
    while isinstance(node, exp.Paren):
        node = node.this
    return node


_SQL_VALUE_KEYWORDS = frozenset({"user", "current_role"})
"""Reserved words sqlglot reads as column names; PostgreSQL reads them as SQL value functions."""
_SYSTEM_COLUMNS = frozenset({"tableoid", "xmin", "cmin", "xmax", "cmax", "ctid"})
"""The target's system columns: valid bare in DO UPDATE (``excluded`` has none, so they are never ambiguous)."""


def _whole_value(column: exp.Column, value: exp.Expression) -> bool:
    """Whether ``column`` (a ``DEFAULT``) is a whole SET value: ``SET a = DEFAULT``, or an item of the row a
    multiple-column SET assigns, ``SET (a, b) = (DEFAULT, 1)`` or ``ROW(DEFAULT, 1)``; parentheses around either
    are the grammar's own (``SET a = ((DEFAULT))``). transformExpr refuses a DEFAULT anywhere else (42601)."""
    item: exp.Expression = column
    while item is not value and isinstance(item.parent, exp.Paren):
        item = item.parent
    if item is value:
        return True
    row = _unparen(value)
    assigned = value.parent
    multiple = isinstance(assigned, exp.EQ) and isinstance(assigned.this, exp.Tuple)
    is_row = isinstance(row, exp.Tuple) or (isinstance(row, exp.Anonymous) and str(row.this).upper() == "ROW")
    return multiple and is_row and item.parent is row


def _queries(root: exp.Expression) -> Iterator[exp.Expression]:
    """The queries in ``root``, without the parentheses sqlglot wraps them in."""
    return (cast(exp.Expression, node) for node in root.find_all(exp.Query, exp.Values)
            if not isinstance(node, exp.Subquery))


def _top_queries(root: exp.Expression) -> Iterator[exp.Expression]:
    """The queries in ``root`` that are inside no other query of it (a subquery's own subqueries are not), without
    the parentheses sqlglot wraps them in."""
    for node in _queries(root):
        parent = node.parent if node is not root else None
        while parent is not None and not (isinstance(parent, (exp.Query, exp.Values))
                                          and not isinstance(parent, exp.Subquery)):
            parent = parent.parent if parent is not root else None
        if parent is None:
            yield node


def _sublink(query: exp.Expression) -> tuple[exp.Expression, exp.Expression, exp.Expression | None]:
    """PostgreSQL's SubLink of ``query``: (the node it is, the parentheses around the query, the value compared with
    the query's columns, None for a subquery that must return one column: a scalar one, ``ARRAY(...)``). ``x op
    ANY/ALL (...)`` and ``x IN (...)`` are one SubLink, as is ``(a, b) op (SELECT ...)`` (transformAExprOp's
    ROWCOMPARE: a row on the left only)."""
    holder = query
    while isinstance(holder.parent, exp.Subquery):
        holder = holder.parent
    parent = holder.parent
    if isinstance(parent, (exp.Any, exp.All)) and isinstance(parent.parent, exp.Expression):
        return parent.parent, holder, parent.parent.this
    if isinstance(parent, exp.In):
        return parent, holder, parent.this
    if isinstance(parent, exp.Exists):
        return parent, holder, None
    if (isinstance(parent, (exp.EQ, exp.NEQ, exp.LT, exp.LTE, exp.GT, exp.GTE)) and holder.arg_key == "expression"
            and _is_row(_unparen(parent.this))):
        return parent, holder, parent.this
    return holder, holder, None


def _is_row(node: exp.Expression) -> bool:
    return isinstance(node, exp.Tuple) or (isinstance(node, exp.Anonymous) and str(node.this).upper() == "ROW")


def _row_width(node: exp.Expression) -> int:
    """How many values a SubLink's left side gives: the items of a row (``(a, b)``, ``ROW(a, b)``), else one."""
    row = _unparen(node)
    return len(row.expressions) if _is_row(row) else 1


def _assigns_row(value: exp.Expression) -> bool:
    """Whether ``value`` is assigned to several columns (``SET (a, b) = value``)."""
    assigned = value.parent
    return isinstance(assigned, exp.EQ) and isinstance(assigned.this, exp.Tuple)


def _cte_named(item: exp.Table, select: exp.Select) -> exp.CTE | None:
    if item.args.get("db") is not None:
        return None
    name = _name_of(item.this)
    return next((c for c in visible_ctes(select) if _name_of(c.args["alias"].this) == name), None)


def _name_of(ident: exp.Identifier) -> str:
    """PostgreSQL's spelling of an identifier node."""
    return Name(ident.name, bool(ident.args.get("quoted"))).folded()


def _cte_columns(cte: exp.CTE) -> frozenset[str] | None:
    return None if cte.args["alias"].args.get("columns") else _output_names(cte.this)


def _output_names(query: exp.Expression) -> frozenset[str] | None:
    """Column names of a derived table: aliases and bare columns only (FigureColname for the rest is not modelled)."""
    while isinstance(query, exp.SetOperation):
        query = query.this
    if not isinstance(query, exp.Select):
        return None
    names = set()
    for item in query.expressions:
        if isinstance(item, exp.Alias):
            ident = item.args.get("alias")
        elif isinstance(item, exp.Column):
            ident = item.this
        else:
            return None
        if not isinstance(ident, exp.Identifier):
            return None  # a star
        names.add(_name_of(ident))
    return frozenset(names)


def _is_textual(node: exp.Expression, types: dict[str, str]) -> bool:
    if isinstance(node, exp.Column) and isinstance(node.this, exp.Identifier):
        return types.get(node.name if node.this.args.get("quoted") else node.name.lower()) in _TEXTUAL
    return (isinstance(node, exp.Literal) and node.is_string) or isinstance(node, _TEXT_FUNCTIONS)


def _normalize(node: exp.Expression, types: dict[str, str]) -> exp.Expression:
    """What parse analysis makes of the text: no parens, folded names, no-op casts gone, constants typed.

    Constants come out as the Const node PostgreSQL builds: an ``integer`` one as a bare number, a ``numeric`` one
    with a decimal point as a bare number, any other as ``CAST(number AS type)``; an unknown string literal next to
    a number takes the other operand's type, and an integer meeting a numeric is cast to numeric.
    """

    def rewrite(n: exp.Expression) -> exp.Expression:
        # A replacement node is not visited again by transform(): normalise its whole subtree here.
        if isinstance(n, exp.Paren):
            return _normalize(n.this, types)
        if isinstance(n, exp.Null) and _UNKNOWN in (n.comments or ()):
            written = node.transform(_spelled).sql(_PG, comments=False)
            raise _Unresolved(rule_for("SP901").text("unknown-in-expression", text=written))
        tested = n.expression if isinstance(n, exp.Is) else None
        if isinstance(tested, exp.Column) and _keyword_test(tested) == "NORMALIZED":
            # is_normalized(x, form): the function the grammar calls, its default form filled in by the planner
            form = exp.Literal.string((tested.comments or ["NFC"])[-1])
            return exp.Anonymous(this="is_normalized", expressions=[_normalize(n.this, types), form])
        if isinstance(n, exp.Anonymous) and str(n.this).lower() == "is_normalized" and len(n.expressions) == 1:
            return exp.Anonymous(
                this="is_normalized", expressions=[_normalize(n.expressions[0], types), exp.Literal.string("NFC")]
            )
        if isinstance(n, exp.Column) and _keyword_test(n):
            return n  # IS DOCUMENT: an XmlExpr, equal only to itself
        if isinstance(n, exp.Dot) and n.this.name.lower() == "pg_catalog" and isinstance(n.expression, exp.Func):
            return _normalize(n.args["expression"], types)  # pg_catalog.lower(b) is lower(b)
        if (
            isinstance(n, exp.Dot)
            and n.this.name == "public"
            and isinstance(n.expression, exp.Func)
            and not function_names(n.expression) & PG_CATALOG_FUNCTIONS.keys()
        ):
            # the bare f(b) finds public's f when pg_catalog, first on the path, has none; with a name pg_catalog
            # has, which one the bare call takes depends on the argument types: left qualified (compared as written)
            return _normalize(n.args["expression"], types)
        if isinstance(n, exp.Cast):
            inner = n.this
            to = n.to.sql(_PG).lower()
            if to in _TEXT_CASTS and _is_textual(_unparen(inner), types):
                return _normalize(inner, types)
            if to == "text":
                folded = _number_text(_normalize(inner, types))
                if folded is not None:
                    return folded
            target = _cast_type(n)
            literal = _unparen(inner)
            text = literal.this if isinstance(literal, exp.Literal) and literal.is_string else _number_literal(inner)
            if target in _FAMILIES and text is not None and _exact_in(text, target):
                return _constant(text, target)
            quoted = isinstance(literal, exp.Literal) and literal.is_string  # '5.5'::integer is an error (22P02)
            inexact = _number(text) if target in _INTEGERS and text is not None and not quoted else None
            if inexact is not None:  # numeric_int4 and its kin round half away from zero: 5.5::integer is 6
                return _constant(str(inexact.quantize(Decimal(1), rounding=ROUND_HALF_UP)), str(target))
            if target is not None and _type_of(inner, types) == target:
                return _normalize(inner, types)  # a cast to the type the expression already has
        if isinstance(n, exp.DPipe):
            # textanycat and anytextcat (text || a non-text value) are SQL functions the planner inlines as
            # text || value::text, in the index's expressions and the target's alike
            sides = [_normalize(n.this, types), _normalize(n.expression, types)]
            for at, side in enumerate(sides):
                other = sides[1 - at]
                textual = _is_textual(other, types) and not isinstance(other, exp.Literal)
                if textual and _type_of(side, types) in _FAMILIES:
                    sides[at] = _normalize(exp.Cast(this=side, to=exp.DataType.build("TEXT")), types)
            return exp.DPipe(this=sides[0], expression=sides[1], safe=n.args.get("safe"))
        if isinstance(n, exp.Neg):
            number = _number_literal(n)
            if number is not None and number.lstrip("-").isdigit():
                return _constant(number, _literal_type(number))  # -3000000000 is a bigint Const, as 3000000000 is
            if number is not None:
                return exp.Literal.number(number)
            negated = _normalize(n.this, types)
            if isinstance(negated, exp.Cast) and _cast_type(negated) in _FAMILIES:
                number = _number_literal(negated.this)
                if number is not None:  # -(5::bigint): the operator on a constant is folded to a constant
                    return _constant(_minus(number), str(_cast_type(negated)))
            return exp.Neg(this=negated)
        if isinstance(n, exp.Literal) and not n.is_string and n.this.isdigit():
            return _constant(n.this, _literal_type(n.this))  # 05 is 5; 3000000000 a bigint Const
        if isinstance(n, exp.Column):
            ident = n.this
            folded = ident.name if ident.args.get("quoted") else ident.name.lower()
            return exp.column(exp.to_identifier(folded, quoted=True))
        if isinstance(n, exp.Anonymous) and isinstance(n.this, exp.Identifier):
            name = n.this.name if n.this.args.get("quoted") else n.this.name.lower()
            if name == name.lower():
                n.set("this", name)  # "f"(b) is f(b): the name an unquoted f folds to
        if isinstance(n, exp.Anonymous) and isinstance(n.this, str):
            n.set("this", n.this.lower())  # in place (transform works on a copy): its arguments are still visited
        if isinstance(n, _COERCED):
            _coerce_operands(n, types)
        if isinstance(n, exp.Case):
            _else_null(n, types)
        return n

    return node.transform(rewrite)


def _else_null(case: exp.Case, types: dict[str, str]) -> None:
    """transformCaseExpr: a CASE without ELSE has ELSE NULL, coerced to the common type of the results;
    pg_get_indexdef writes it ``ELSE NULL::integer``. An ELSE ``NULL::type`` is that NULL when the type adds nothing to
    the THEN results' common type (select_common_type: an integer type no wider, or one under numeric) (in place)."""
    default = case.args.get("default")
    if default is None:
        case.set("default", exp.Null())
        return
    default = _unparen(default)
    if not (isinstance(default, exp.Cast) and isinstance(_unparen(default.this), exp.Null)):
        return
    target, common = _cast_type(default), _results_type(case, types)
    if target is None or common is None:
        return
    widening = target in _INTEGERS and (common == "numeric" or (
        common in _INTEGERS and _INTEGERS.index(target) <= _INTEGERS.index(common)))
    if target == common or widening:
        case.set("default", exp.Null())


def _results_type(case: exp.Case, types: dict[str, str]) -> str | None:
    """The common type of a CASE's THEN results when each is known (an unknown string literal is text with text, a
    CASE the common type of its own), None otherwise."""
    found = set()
    for branch in case.args.get("ifs") or []:
        result = _unparen(branch.args["true"])
        if isinstance(result, exp.Case):
            found.add(_results_type(result, types))
        elif isinstance(result, exp.Literal) and result.is_string:
            found.add("unknown")
        else:
            found.add(_type_of(result, types))
    if None in found or not found:
        return None
    if found <= {"text", "unknown"}:
        return "text"
    if found <= set(_FAMILIES):
        return "numeric" if "numeric" in found else max(found, key=_INTEGERS.index)
    return found.pop() if len(found) == 1 else None


_ARITHMETIC = (exp.Add, exp.Sub, exp.Mul, exp.Div)
_COERCED = (*_ARITHMETIC, exp.EQ, exp.NEQ, exp.LT, exp.LTE, exp.GT, exp.GTE, exp.Coalesce)


def _coerce_operands(node: exp.Expression, types: dict[str, str]) -> None:
    """Operator and COALESCE argument resolution, in place: unknown literals take the operands' type; a numeric
    operand makes integer ones numeric (integer types meet without a cast: their operators share a btree family);
    COALESCE casts every argument to the widest type."""
    common = isinstance(node, exp.Coalesce)
    operands = [node.this, *node.expressions] if common else [node.this, node.expression]
    known = [t for t in (_type_of(o, types) for o in operands) if t is not None]
    if not known or not set(known) <= set(_FAMILIES):
        return
    widest = "numeric" if "numeric" in known else max(known, key=_INTEGERS.index)
    coerced = []
    for operand in operands:
        inner, kind = _unparen(operand), _type_of(operand, types)
        if kind is None and isinstance(inner, exp.Literal) and _exact_in(inner.this, widest):
            coerced.append(_constant(inner.this, widest))
        elif kind in _FAMILIES and kind != widest and (common or widest == "numeric"):
            coerced.append(exp.Cast(this=operand, to=exp.DataType.build(_SQL_TYPES[widest])))
        else:
            coerced.append(operand)
    node.set("this", coerced[0])
    if common:
        node.set("expressions", coerced[1:])
    else:
        node.set("expression", coerced[1])


_SQL_TYPES = {"smallint": "SMALLINT", "integer": "INT", "bigint": "BIGINT", "numeric": "DECIMAL"}


def _exact_in(text: str, type_: str) -> bool:
    """Whether the number ``text`` is a value of ``type_`` as written (5.5 is not an integer: no Const is built)."""
    value = _number(text)
    return value is not None and (type_ == "numeric" or value == value.to_integral_value())


def _constant(text: str, type_: str) -> exp.Expression:
    """The Const of ``type_`` for the number ``text``, as _normalize spells constants."""
    value = _number(text)
    assert value is not None
    if type_ != "numeric":
        return (exp.Literal.number(str(int(value))) if type_ == "integer"
                else exp.Cast(this=exp.Literal.number(str(int(value))), to=exp.DataType.build(_SQL_TYPES[type_])))
    if "." in text:
        return exp.Literal.number(str(value))
    return exp.Cast(this=exp.Literal.number(str(value)), to=exp.DataType.build("DECIMAL"))


def _keyword_test(column: exp.Column) -> str | None:
    """``NORMALIZED`` or ``DOCUMENT`` when ``column`` is the keyword of ``x IS [NOT] [form] NORMALIZED`` or
    ``x IS [NOT] DOCUMENT``, which sqlglot reads as a column named so (PostgreSQL's grammar has no column there)."""
    parent = column.parent
    if not isinstance(parent, exp.Is) or column.arg_key != "expression" or column.args.get("table") is not None:
        return None
    ident = column.this
    word = ident.name.upper() if isinstance(ident, exp.Identifier) and not ident.args.get("quoted") else ""
    return word if word in ("NORMALIZED", "DOCUMENT") else None


def _number_literal(node: exp.Expression) -> str | None:
    """The number a numeric constant spells, sign included: ``-5``, ``- 5``, ``-(5)`` and ``- -5`` are constants to
    PostgreSQL (gram.y's doNegate folds the minus into the constant; eval_const_expressions folds the rest)."""
    node = _unparen(node)
    if isinstance(node, exp.Literal):
        return None if node.is_string or _number(node.this) is None else node.this
    if isinstance(node, exp.Neg):
        number = _number_literal(node.this)
        return None if number is None else _minus(number)
    return None


def _number_text(node: exp.Expression) -> exp.Expression | None:
    """A number constant cast to text, folded by eval_const_expressions to the text its output function writes
    (int4out, numeric_out: the digits as written after the point, no exponent, no negative zero); None for any
    other operand."""
    number = _number_literal(node)
    if number is None and isinstance(node, exp.Cast) and _cast_type(node) in _FAMILIES:
        number = _number_literal(node.this)  # a constant _constant wrote: its value is exact in its type
    value = None if number is None else _number(number)
    if value is None:
        return None
    return exp.Literal.string(format(abs(value) if value == 0 else value, "f"))


def _minus(number: str) -> str:
    return number[1:] if number.startswith("-") else f"-{number}"


def _cast_type(cast: exp.Cast) -> str | None:
    """The type a cast names when the checker models it; None for others and for modifiers (varchar(10))."""
    return None if cast.to.expressions else _CAST_TYPES.get(cast.to.this.name)


def _literal_type(text: str) -> str:
    """The type PostgreSQL gives a number literal: integer, bigint when larger, numeric with a point or exponent."""
    if not text.lstrip("-").isdigit():
        return "numeric"
    value = int(text)
    return "integer" if -(2**31) <= value < 2**31 else "bigint" if -(2**63) <= value < 2**63 else "numeric"


def _type_of(node: exp.Expression, types: dict[str, str]) -> str | None:
    """The type parse analysis gives ``node``, for the forms whose coercions are modelled; None when unknown (an
    unknown-type string literal included)."""
    node = _unparen(node)
    if isinstance(node, exp.Column) and isinstance(node.this, exp.Identifier):
        return types.get(node.name if node.this.args.get("quoted") else node.name.lower())
    if isinstance(node, exp.Cast):
        return _cast_type(node)
    if isinstance(node, exp.Literal) and not node.is_string:
        return _literal_type(node.this)
    if isinstance(node, exp.Neg):
        return _type_of(node.this, types)
    if isinstance(node, exp.Boolean):
        return "boolean"
    if isinstance(node, _TEXT_FUNCTIONS):
        return "text"
    if isinstance(node, _ARITHMETIC):
        known = {t for t in (_type_of(node.this, types), _type_of(node.expression, types)) if t is not None}
        if known and known <= set(_FAMILIES):
            return "numeric" if "numeric" in known else max(known, key=_INTEGERS.index)
    return None


def _value(node: exp.Expression, types: dict[str, str]) -> str:
    return _normalize(node, types).sql(_PG, copy=False)


@functools.lru_cache(maxsize=16384)
def _parse_pg(text: str) -> exp.Expression:
    try:
        tokens = _marked(dialect_tokens(text, "postgresql"))
        # typed as the Condition mixin; every node sqlglot builds is an Expression
        return cast(exp.Expression, dialect_parser("postgresql").parse_into(exp.Condition, tokens, text)[0])
    except (ParseError, TokenError, RecursionError) as exc:  # RecursionError: nested deeper than sqlglot reads
        raise _Unresolved(rule_for("SP901").text("unreadable-expression", text=text, error=parse_error(exc))) from exc


_UNKNOWN = "\x00unknown"
"""The mark of ``IS [NOT] UNKNOWN`` on the NULL node sqlglot reads it as (a comment no SQL text can hold)."""
_NORMAL_FORMS = frozenset({"NFC", "NFD", "NFKC", "NFKD"})


def _marked(tokens: list[Token]) -> list[Token]:
    """The tokens with what sqlglot loses kept as a comment on a token it keeps: ``IS [NOT] UNKNOWN`` (a
    BooleanTest to PostgreSQL, read as ``IS NULL`` by sqlglot) and the form of ``IS [NOT] NFC NORMALIZED`` (which
    sqlglot reads as an alias)."""
    out: list[Token] = []
    for token in tokens:
        after_is = bool(out) and out[-1].token_type in (TokenType.IS, TokenType.NOT)
        word = token.text.upper()
        if after_is and token.token_type == TokenType.UNKNOWN and word == "UNKNOWN":
            token.comments = [*token.comments, _UNKNOWN]
        elif word == "NORMALIZED" and len(out) > 1 and out[-1].text.upper() in _NORMAL_FORMS and out[-2].token_type in (
            TokenType.IS, TokenType.NOT
        ):
            token.comments = [*token.comments, out.pop().text.upper()]
        out.append(token)
    return out


_ELEMENT, _TARGET_WHERE, _SET_COLUMNS, _SET_VALUES, _UPDATE_WHERE, _UNREAD = range(6)
"""The parts of an ON CONFLICT clause in the order parse analysis reads them (``_names``)."""


def _walk_key(node: exp.Expr, root: exp.Expr) -> tuple[int, ...]:
    """Where transformExpr meets ``node`` while it walks ``root``: children left to right, each node after its
    children (a test is checked once its operand is read), as a key that sorts in that order. The path of child
    positions from ``root``, closed by a number greater than any position, so a node sorts after its own children."""
    steps = []
    while node is not root and node.parent is not None:
        parent = node.parent
        steps.append(next(i for i, child in enumerate(parent.iter_expressions()) if child is node))
        node = parent
    return (*reversed(steps), sys.maxsize)


def _marked_conflict(sql: str) -> exp.OnConflict | None:
    """The statement's ON CONFLICT read again with its ``IS [NOT] UNKNOWN`` tests marked (see ``_marked``); None when
    sqlglot cannot read it so."""
    masked = mask_placeholders(sql)[0]
    try:
        tree = dialect_parser("postgresql").parse(_marked(dialect_tokens(masked, "postgresql")), masked)[0]
    except (ParseError, TokenError, RecursionError):
        return None
    insert = next((i for i in tree.find_all(exp.Insert) if i.args.get("conflict") is not None), None) if tree else None
    return insert.args["conflict"] if insert is not None else None


def _test_kind(test: exp.Is) -> str | None:
    """``TRUE``, ``NOT FALSE``, ``UNKNOWN``... for a boolean test, None for ``IS [NOT] NULL`` and the others."""
    tested = _unparen(test.expression)
    if isinstance(tested, exp.Boolean):
        word = "TRUE" if tested.this else "FALSE"
    elif isinstance(tested, exp.Null) and _UNKNOWN in (tested.comments or ()):
        word = "UNKNOWN"
    else:
        return None
    return f"NOT {word}" if test.args.get("negate") else word


_INVALID = "\x00invalid"
"""The type of a string literal that is no boolean's text: ``'x' IS TRUE`` is 22P02, which no rule names."""


def _boolean_text(text: str) -> bool:
    """boolin's parse_bool_with_len: a prefix of true/false/yes/no, on/off (two letters at least), 1 or 0, case and
    surrounding white space ignored."""
    value = text.strip(" \t\n\r\f\v").lower()
    if not value:
        return False
    if value[0] in "tfyn":
        return any(word.startswith(value) for word in ("true", "false", "yes", "no"))
    if value[0] == "o":
        return len(value) >= 2 and ("on".startswith(value) or "off".startswith(value))
    return value in ("1", "0")


def _spelled(node: exp.Expression) -> exp.Expression:
    """``UNKNOWN`` in place of a marked NULL, to show the text as written."""
    return exp.var("UNKNOWN") if isinstance(node, exp.Null) and _UNKNOWN in (node.comments or ()) else node


_UNKNOWN_WORD = re.compile(r"\bunknown\b", re.IGNORECASE)


def _index_value(text: str, analysis: _Analysis) -> str:
    return _cached_value(text, analysis.types_key)


def _index_predicate(text: str, analysis: _Analysis) -> _Pred:
    return _cached_predicate(text, analysis.types_key)


@functools.lru_cache(maxsize=16384)
def _cached_value(text: str, types: tuple[tuple[str, str], ...]) -> str:
    return _value(_parse_pg(text), dict(types))


@functools.lru_cache(maxsize=16384)
def _cached_predicate(text: str, types: tuple[tuple[str, str], ...]) -> _Pred:
    """Catalog predicates repeat across statements: normalise each once per set of column types."""
    return _predicate(_parse_pg(text), dict(types))


def _number(text: str) -> Decimal | None:
    try:
        return Decimal(text)
    except (InvalidOperation, ValueError):
        return None


# -- predicate_implied_by (P15, P16, P19) --------------------------------------------------------------------------
# A predicate is a tree of the node classes below after eval_const_expressions-style normalisation. Nodes are
# NamedTuples, immutable and compared by value at tuple speed: implication compares subtrees, and the catalog's
# predicates are cached. Tuples of different classes compare as tuples, so each node carries its tag: without it
# _And and _Or of the same items would be equal.
class _Const(NamedTuple):
    """A constant with its btree family ("int", "num", "str", "bool"): only constants of one family are ordered."""

    family: str
    value: Decimal | str | bool | None
    tag: Literal["const"] = "const"


class _Param(NamedTuple):
    """A bind parameter: its value is known only when the statement runs."""

    tag: Literal["param"] = "param"


class _Expr(NamedTuple):
    """Any other value, as PostgreSQL-dialect SQL."""

    sql: str
    tag: Literal["expr"] = "expr"


_Value = _Const | _Param | _Expr


class _And(NamedTuple):
    items: tuple[_Pred, ...]
    tag: Literal["and"] = "and"


class _Or(NamedTuple):
    items: tuple[_Pred, ...]
    tag: Literal["or"] = "or"


class _Not(NamedTuple):
    pred: _Pred
    tag: Literal["not"] = "not"


class _Cmp(NamedTuple):
    """``left op right``, a constant or parameter on the right when the other side is an expression."""

    op: str
    left: _Value
    right: _Value
    tag: Literal["cmp"] = "cmp"


class _NullTest(NamedTuple):
    kind: Literal["null", "notnull"]
    value: _Value
    tag: Literal["nulltest"] = "nulltest"


_BoolTestKind = Literal["true", "not true", "false", "not false", "unknown", "not unknown"]


class _BoolTest(NamedTuple):
    kind: _BoolTestKind
    value: _Value
    tag: Literal["booltest"] = "booltest"


class _BoolExpr(NamedTuple):
    """A boolean value used as a clause (``WHERE active``)."""

    value: _Value
    tag: Literal["boolexpr"] = "boolexpr"


_Pred = _And | _Or | _Not | _Cmp | _NullTest | _BoolTest | _BoolExpr
_Tri = Literal[True, False, "maybe"]
_MAYBE: _Tri = "maybe"
_COMMUTE = {"=": "=", "<>": "<>", "<": ">", "<=": ">=", ">": "<", ">=": "<="}
_NEGATE = {"=": "<>", "<>": "=", "<": ">=", "<=": ">", ">": "<=", ">=": "<"}
_FLIPPED: dict[_BoolTestKind, _BoolTestKind] = {
    "true": "not true", "not true": "true", "false": "not false", "not false": "false",
    "unknown": "not unknown", "not unknown": "unknown",
}
_CMP: dict[type[exp.Expression], str] = {
    exp.EQ: "=", exp.NEQ: "<>", exp.LT: "<", exp.LTE: "<=", exp.GT: ">", exp.GTE: ">=",
}
_IN_LIST_LIMIT = 100  # predtest.c MAX_SAOP_ARRAY_SIZE


def _operand(node: exp.Expression, types: dict[str, str]) -> _Value:
    """A parameter, a constant with its btree family, or an expression."""
    node = _normalize(node, types)
    if isinstance(node, exp.Placeholder | exp.Parameter):
        return _Param()
    number = _number_literal(node)
    if number is not None:
        return _Const(_FAMILIES[_literal_type(number)], _number(number))
    if isinstance(node, exp.Literal):
        return _Const("str", node.this)
    number = _number_literal(node.this) if isinstance(node, exp.Cast) else None
    if isinstance(node, exp.Cast) and number is not None and _cast_type(node) in _FAMILIES:
        return _Const(_FAMILIES[str(_cast_type(node))], _number(number))
    if isinstance(node, exp.Boolean):
        return _Const("bool", node.this)
    return _Expr(node.sql(_PG, copy=False))


def _predicate(node: exp.Expression, types: dict[str, str]) -> _Pred:
    node = _unparen(node)
    if isinstance(node, exp.And | exp.Or):
        junction: type[_And] | type[_Or] = _And if isinstance(node, exp.And) else _Or
        items: list[_Pred] = []
        for part in (node.this, node.expression):
            pred = _predicate(part, types)
            items.extend(pred.items if isinstance(pred, junction) else [pred])
        return junction(tuple(items))
    if isinstance(node, exp.Not):
        return _negate(_predicate(node.this, types))
    if isinstance(node, exp.Is):
        tested = _unparen(node.expression)
        test: _Pred | None = None
        if isinstance(tested, exp.Null) and _UNKNOWN in (tested.comments or ()):
            test = _BoolTest("unknown", _operand(node.this, types))
        elif isinstance(tested, exp.Null):
            test = _NullTest("null", _operand(node.this, types))
        elif isinstance(tested, exp.Boolean):
            test = _BoolTest("true" if tested.this else "false", _operand(node.this, types))
        if test is not None:
            return _negate(test) if node.args.get("negate") else test
    if isinstance(node, exp.In) and not node.args.get("query") and 0 < len(node.expressions) <= _IN_LIST_LIMIT:
        left = _operand(node.this, types)
        return _Or(tuple(_comparison("=", left, _operand(v, types)) for v in node.expressions))
    if isinstance(node, exp.Between):
        left = _operand(node.this, types)
        return _And((_comparison(">=", left, _operand(node.args["low"], types)),
                     _comparison("<=", left, _operand(node.args["high"], types))))
    op = _CMP.get(type(node))
    quantified = _quantified(node.expression) if op is not None else None
    if op is not None and quantified is not None:
        # x op ANY (ARRAY[...]) is an OR of comparisons, x op ALL (...) an AND (predtest's ScalarArrayOpExpr).
        junction, array = quantified
        elements = array.expressions if isinstance(array, exp.Array) else []
        if 0 < len(elements) <= _IN_LIST_LIMIT:
            left = _operand(node.this, types)
            return junction(tuple(_comparison(op, left, _operand(v, types)) for v in elements))
    if op is not None:
        node = _normalize(node, types)  # operator resolution types the constants (a > '5' compares integers)
        left, right = _operand(node.this, types), _operand(node.expression, types)
        # simplify_boolean_equality: x = true -> x, x = false -> NOT x, x <> true -> NOT x (P15).
        for side, other, written in ((right, left, node.this), (left, right, node.expression)):
            if isinstance(side, _Const) and side.family == "bool" and op in ("=", "<>") and isinstance(other, _Expr):
                positive = _predicate(written, types)  # (a IS NULL) = true is the NULL test itself
                return positive if (side.value is True) == (op == "=") else _negate(positive)
        return _comparison(op, left, right)
    return _BoolExpr(_operand(node, types))


def _quantified(node: exp.Expression) -> tuple[type[_And] | type[_Or], exp.Expression] | None:
    """``ANY (array)`` (or ``SOME``) as an OR over the array, ``ALL (array)`` as an AND; sqlglot reads ``ALL (...)``
    and ``SOME (...)`` as calls."""
    if isinstance(node, exp.Any | exp.All):
        return (_Or if isinstance(node, exp.Any) else _And, _unparen(node.this))
    word = str(node.this).upper() if isinstance(node, exp.Anonymous) else None
    if word in ("ALL", "SOME") and len(node.expressions) == 1:
        return (_And if word == "ALL" else _Or, _unparen(node.expressions[0]))
    return None


def _comparison(op: str, left: _Value, right: _Value) -> _Cmp:
    """Constants and parameters go right (predtest commutes ``1 = b`` to ``b = 1``)."""
    if isinstance(left, _Const | _Param) and isinstance(right, _Expr):
        return _Cmp(_COMMUTE[op], right, left)
    return _Cmp(op, left, right)


def _negate(pred: _Pred) -> _Pred:
    """negate_clause: push NOT down through AND/OR, comparisons and NULL tests."""
    if isinstance(pred, _Not):
        return pred.pred
    if isinstance(pred, _And):
        return _Or(tuple(_negate(p) for p in pred.items))
    if isinstance(pred, _Or):
        return _And(tuple(_negate(p) for p in pred.items))
    if isinstance(pred, _Cmp):
        return _Cmp(_NEGATE[pred.op], pred.left, pred.right)
    if isinstance(pred, _NullTest):
        return _NullTest("notnull" if pred.kind == "null" else "null", pred.value)
    if isinstance(pred, _BoolTest):
        return _BoolTest(_FLIPPED[pred.kind], pred.value)
    return _Not(pred)


def _all(results: Iterator[_Tri]) -> _Tri:
    seen: list[_Tri] = list(results)
    return False if False in seen else _MAYBE if _MAYBE in seen else True


def _any(results: Iterator[_Tri]) -> _Tri:
    seen: list[_Tri] = list(results)
    return True if True in seen else _MAYBE if _MAYBE in seen else False


def _implied(clause: _Pred | None, pred: _Pred) -> _Tri:
    """predicate_implied_by(pred, clause): True if proven, "maybe" if only a bind parameter's value could prove it."""
    if clause is None:
        return False
    if isinstance(pred, _And):
        return _all(_implied(clause, p) for p in pred.items)
    if isinstance(clause, _Or):
        return _all(_implied(c, pred) for c in clause.items)
    results: list[_Tri] = []
    if isinstance(clause, _And):
        results.append(_any(_implied(c, pred) for c in clause.items))
    if isinstance(pred, _Or):
        results.append(_any(_implied(clause, p) for p in pred.items))
    results.append(_atom_implied(clause, pred))
    return _any(iter(results))


def _atom_implied(clause: _Pred, pred: _Pred) -> _Tri:
    if clause == pred:
        return True
    if isinstance(pred, _NullTest) and pred.kind == "notnull":
        # clause_is_strict_for: a strict operator, or x itself, is NULL (not true) when x is NULL.
        operands = (
            (clause.left, clause.right) if isinstance(clause, _Cmp)
            else (clause.value,) if isinstance(clause, _BoolExpr) else ()
        )
        if any(_strict_for(operand, pred.value) for operand in operands):
            return True
    if (
        isinstance(clause, _Cmp) and isinstance(pred, _Cmp) and (clause.left, clause.right) == (pred.right, pred.left)
        and clause.op == _COMMUTE[pred.op]
    ):
        return True  # y < x is x > y: operator_predicate_proof commutes the predicate's operator
    if (
        not isinstance(clause, _Cmp) or not isinstance(pred, _Cmp) or clause.left != pred.left
        or not isinstance(pred.right, _Const)
    ):
        return False
    given, wanted = clause.right, pred.right
    if isinstance(given, _Param):
        probes = _probes(wanted)
        return _MAYBE if any(_btree_implies(clause.op, probe, pred.op, wanted) for probe in probes) else False
    if not isinstance(given, _Const) or given.family != wanted.family:
        return False
    return _btree_implies(clause.op, given, pred.op, wanted)


def _strict_for(operand: _Value, wanted: _Value) -> bool:
    """Whether ``operand`` is NULL whenever ``wanted`` is: it is ``wanted``, or a strict operator/function of it."""
    if operand == wanted:
        return True
    if not isinstance(operand, _Expr) or not isinstance(wanted, _Expr):
        return False
    return _strict_in(operand.sql, wanted.sql)


@functools.lru_cache(maxsize=16384)
def _strict_in(sql: str, wanted: str) -> bool:
    def walk(node: exp.Expression) -> bool:
        node = _unparen(node)
        if node.sql(_PG) == wanted:
            return True
        if isinstance(node, exp.Anonymous) and str(node.this).lower() in _STRICT_FUNCTIONS:
            children = list(node.expressions)
        elif isinstance(node, _STRICT):
            children = [node.this, node.args.get("expression")]
        else:
            return False
        return any(walk(child) for child in children if isinstance(child, exp.Expression))

    return walk(_parse_pg(sql))


def _probes(const: _Const) -> list[_Const]:
    if const.family in ("int", "num"):
        value = Decimal(str(const.value))
        return [_Const(const.family, value + delta) for delta in (-1, 0, 1)]
    return [const]


def _btree_implies(op1: str, c1: _Const, op2: str, c2: _Const) -> bool:
    """BT_implic_table: does ``x op1 c1`` imply ``x op2 c2``? Ranges between numbers of one btree family, between
    booleans (``bool_ops`` orders false before true), and between strings only when they are equal (otherwise the
    collation decides, see ``_holds``)."""
    a, b = c1.value, c2.value
    if op1 == "=":
        return bool(_holds(a, op2, b))
    if op1 == "<>":
        return op2 == "<>" and a == b
    ranges = {
        ("<", "<"): "<=", ("<", "<="): "<=", ("<", "<>"): "<=",
        ("<=", "<"): "<", ("<=", "<="): "<=", ("<=", "<>"): "<",
        (">", ">"): ">=", (">", ">="): ">=", (">", "<>"): ">=",
        (">=", ">"): ">", (">=", ">="): ">=", (">=", "<>"): ">",
    }
    test = ranges.get((op1, op2))
    return test is not None and bool(_holds(a, test, b))


def _holds(a: object, op: str, b: object) -> bool:
    if op == "=":
        return a == b
    if op == "<>":
        return a != b
    if isinstance(a, str):
        if a == b:  # equal strings compare equal in every (deterministic) collation
            return op in ("<=", ">=")
        raise _Unresolved(rule_for("SP901").text("collation-comparison", left=a, op=op, right=b))
    if isinstance(a, bool) or isinstance(b, bool):  # bool_ops: false < true
        x, y = Decimal(int(bool(a))), Decimal(int(bool(b)))
    else:
        x, y = Decimal(str(a)), Decimal(str(b))
    return {"<": x < y, "<=": x <= y, ">": x > y, ">=": x >= y}[op]
