"""Parse one INSERT ... ON CONFLICT statement into immutable facts that the engine verdicts judge.

sqlglot parses the statement, but several facts the engines care about are lost or ambiguous in its AST (semantics.md
§5): it cannot parse more than one ON CONFLICT clause (SQLite 3.35+), it accepts ``ON CONFLICT ()`` as "no target",
``Ordered.nulls_first`` does not say whether NULLS was written, and ``REPLACE INTO`` is not an INSERT for it. So the
statement is first scanned on sqlglot's token stream: the clauses are split there, each clause's structure (target
elements, ASC/DESC/NULLS as written, the WHERE text, ON CONSTRAINT) is read from the tokens, and sqlglot parses the
statement once per clause with only that clause attached, for the expression trees.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, cast

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from schema_parity.catalog import Dialect
from schema_parity.sql.groups import SyntaxMismatch, closing, split_commas, top_level
from schema_parity.sql.tokens import (
    SQLGLOT_NAME,
    Token,
    TokenType,
    dialect_parser,
    dialect_tokens,
    mask_placeholders,
)

__all__ = [
    "ConflictClause",
    "Name",
    "TargetElement",
    "Upsert",
    "UpsertParseError",
    "assignment",
    "parse_upsert",
    "postgresql_tokens",
    "release",
]

#: Token kinds as module constants: ``TokenType.X`` on the enum class costs about 0.1 µs per look-up (15 times a
#: global), and the scans below ask it of every token.
_INSERT, _ON, _L_PAREN, _R_PAREN, _COMMA = (TokenType.INSERT, TokenType.ON, TokenType.L_PAREN, TokenType.R_PAREN,
                                            TokenType.COMMA)
_SEMICOLON, _RETURNING, _VALUES = TokenType.SEMICOLON, TokenType.RETURNING, TokenType.VALUES
_QUOTED = frozenset({TokenType.STRING, TokenType.IDENTIFIER})


class UpsertParseError(ValueError):
    """The statement is not one INSERT that we can read; ``offset``/``line``/``column`` locate the problem."""

    def __init__(self, reason: str, *, offset: int | None = None, sql: str = "") -> None:
        self.reason = reason
        self.offset = offset
        self.line = sql.count("\n", 0, offset) + 1 if offset is not None else None
        self.column = offset - (sql.rfind("\n", 0, offset) + 1) + 1 if offset is not None else None
        where = f" (line {self.line}, column {self.column})" if offset is not None else ""
        super().__init__(f"{reason}{where}")


@dataclass(frozen=True)
class Name:
    """An identifier as written: PostgreSQL folds it unless ``quoted``; SQLite compares it case-insensitively."""

    text: str
    quoted: bool = False

    def folded(self) -> str:
        """PostgreSQL's spelling (P33)."""
        return self.text if self.quoted else self.text.lower()


@dataclass(frozen=True)
class TargetElement:
    """One element of ``ON CONFLICT ( ... )``: a column or an expression, with collation/opclass/order as written."""

    expression: exp.Expression
    """The element without COLLATE/opclass/ordering; a plain column is an ``exp.Column`` (maybe in ``exp.Paren``)."""
    sql: str
    """Source text of the element without ASC/DESC/NULLS, for SQLite's own expression parser and for messages."""
    collation: Name | None = None
    opclass: Name | None = None
    order: Literal["ASC", "DESC"] | None = None
    nulls: Literal["FIRST", "LAST"] | None = None

    @property
    def column(self) -> Name | None:
        """The column when the element is a bare (possibly qualified) column reference without parentheses."""
        if isinstance(self.expression, exp.Column) and isinstance(self.expression.this, exp.Identifier):
            ident = self.expression.this
            return Name(ident.name, bool(ident.args.get("quoted")))
        return None

    @property
    def qualifier(self) -> Name | None:
        """``t`` in an unparenthesised ``t.a`` (a syntax error on PostgreSQL, P11)."""
        if isinstance(self.expression, exp.Column) and self.expression.args.get("table") is not None:
            ident = self.expression.args["table"]
            return Name(ident.name, bool(ident.args.get("quoted")))
        return None


@dataclass(frozen=True)
class ConflictClause:
    """One ``ON CONFLICT`` clause. ``target`` is None without target and ``()`` for the (invalid) empty list."""

    ordinal: int
    offset: int
    target: tuple[TargetElement, ...] | None
    target_where: exp.Expression | None
    target_where_sql: str | None
    """Exact text of the target WHERE predicate: SQLite compares it structurally (S11)."""
    constraint: Name | None
    constraint_where: bool
    """``ON CONSTRAINT c WHERE ...``: not in PostgreSQL's grammar (P23)."""
    action: Literal["nothing", "update"]
    set_columns: tuple[Name, ...]
    set_values: tuple[exp.Expression, ...]
    update_where: exp.Expression | None


Source = Literal["values", "select", "default_values"]


@dataclass(frozen=True)
class Upsert:
    """The facts of one INSERT statement (with zero or more ON CONFLICT clauses)."""

    sql: str
    table: Name
    schema: Name | None
    alias: Name | None
    columns: tuple[Name, ...] | None
    source: Source
    select_from_unterminated: bool
    """INSERT ... SELECT whose last FROM item ends right before ON CONFLICT (no WHERE etc.): SQLite's S13 ambiguity."""
    alternative: Literal["OR REPLACE", "OR IGNORE", "OR ABORT", "OR FAIL", "OR ROLLBACK", "REPLACE INTO"] | None
    clauses: tuple[ConflictClause, ...]
    ctes: tuple[str, ...]
    in_cte: bool
    """The upsert sits inside a data-modifying CTE (``WITH x AS (INSERT ...) SELECT ...``)."""
    returning: tuple[exp.Expression, ...]
    placeholders: int
    default_in_values: bool = False
    """A ``DEFAULT`` inside an expression of a VALUES item (``VALUES (DEFAULT + 1)``) was read as NULL, where sqlglot
    reads no DEFAULT: the verdicts judge the statement from ``sql``, or say they cannot."""

    @property
    def table_display(self) -> str:
        """The table as written, for reports: ``s.t``."""
        return f"{self.schema.text}.{self.table.text}" if self.schema else self.table.text

    @property
    def target_display(self) -> str | None:
        """The conflict target(s) as written, for reports: ``(a, b) WHERE p``, ``ON CONSTRAINT c``; None if none."""
        parts = []
        for clause in self.clauses:
            if clause.constraint is not None:
                parts.append(f"ON CONSTRAINT {clause.constraint.text}")
            elif clause.target is not None:
                where = f" WHERE {clause.target_where_sql}" if clause.target_where_sql else ""
                parts.append(f"({', '.join(e.sql for e in clause.target)}){where}")
        return "; ".join(parts) or None


def parse_upsert(sql: str, dialect: Dialect) -> Upsert:
    """Parse one statement for the engine ``dialect`` (its sqlglot dialect first, the other one as fallback)."""
    masked, placeholders = mask_placeholders(sql)
    tokens = _tokenize(masked, dialect, sql, remember=dialect == "postgresql")
    insert_at = _find_insert(tokens, masked)
    alternative = None
    if _is_word(tokens[insert_at], "REPLACE"):
        # ``REPLACE INTO`` is INSERT OR REPLACE (S20); sqlglot reads it as an opaque command, so read it as INSERT.
        alternative = "REPLACE INTO"
        start = tokens[insert_at].start
        masked = masked[:start] + "INSERT " + masked[start + 7 :]
        tokens = _tokenize(masked, dialect, sql)
    spans = _clause_spans(tokens, masked)
    asts, default_in_values = _parse_variants(masked, tokens, spans, dialect, sql)
    insert = _the_insert(asts[0], sql)
    if not spans and insert.args.get("conflict") is not None:
        # sqlglot reads a conflict clause the token scan does not (a trailing ``ON CONFLICT``, MySQL's ``ON DUPLICATE
        # KEY UPDATE``): both engines refuse it, and no clause of it could be read.
        raise UpsertParseError("a conflict clause that is not ON CONFLICT [target] DO ...", sql=sql)
    clauses = tuple(
        _clause(
            ordinal,
            tokens[first:last],
            masked,
            (insert if tree is asts[0] else _the_insert(tree, sql)).args.get("conflict"),
            sql,
        )
        # a statement without ON CONFLICT has no span but still one tree
        for ordinal, ((first, last), tree) in enumerate(zip(spans, asts, strict=False), start=1)
    )
    if alternative is None and insert.args.get("alternative"):
        alternative = f"OR {str(insert.args['alternative']).upper()}"
    target = insert.this.this if isinstance(insert.this, exp.Schema) else insert.this
    if not isinstance(target, exp.Table) or not isinstance(target.this, exp.Identifier):
        raise UpsertParseError("the INSERT target is not a table name", sql=sql)
    if target.args.get("only"):  # sqlglot reads ``INSERT INTO ONLY t``: a syntax error to both engines
        raise UpsertParseError("ONLY before the INSERT target (not in INSERT's grammar)", sql=sql)
    if target.args.get("catalog"):
        # PostgreSQL accepts ``db.schema.t`` only when ``db`` is the current database (else 0A000), and SQLite never:
        # a Catalog does not know its database's name, so the statement is not judged against it.
        raise UpsertParseError("the INSERT target names a database (database.schema.table)", sql=sql)
    columns = (
        tuple(_name(c) for c in insert.this.expressions) if isinstance(insert.this, exp.Schema) else None
    )
    source_expr = insert.expression
    source: Source = (
        "default_values"
        if insert.args.get("default")
        else "values"
        if isinstance(source_expr, exp.Values)
        else "select"
    )
    root = asts[0]
    with_ = root.args.get("with_") or insert.args.get("with_")
    alias = target.args.get("alias")
    return Upsert(
        sql=sql,
        table=_name(target.this),
        schema=_name(target.args["db"]) if target.args.get("db") else None,
        alias=_name(alias.this) if alias is not None and alias.this is not None else None,
        columns=columns,
        source=source,
        select_from_unterminated=source == "select" and _from_unterminated(source_expr),
        alternative=alternative,  # type: ignore[arg-type]
        clauses=clauses,
        ctes=tuple(cte.alias for cte in with_.expressions) if with_ is not None else (),
        in_cte=insert.find_ancestor(exp.CTE) is not None,
        returning=tuple(insert.args["returning"].expressions) if insert.args.get("returning") else (),
        placeholders=placeholders,
        default_in_values=default_in_values,
    )


#: The statement ``parse_upsert`` last tokenized for PostgreSQL: (statement, masked text, tokens of it).
_LAST_READ: list[tuple[str, str, list[Token]] | None] = [None]


def postgresql_tokens(sql: str) -> tuple[str, list[Token]]:
    """``sql`` with its placeholders masked, and PostgreSQL's tokens of that (``TokenError`` when there are none).

    The statement ``parse_upsert`` has just read for PostgreSQL is not tokenized again: SP302's row plan reads the
    statement its verdict parsed. The tokens are shared: a caller must not change the list.
    """
    last = _LAST_READ[0]
    if last is not None and last[0] == sql:
        return last[1], last[2]
    masked = mask_placeholders(sql)[0]
    return masked, dialect_tokens(masked, "postgresql")


def release(upsert: Upsert) -> None:
    """Unlink the statement's syntax trees from their parents, for a caller done with ``upsert``.

    Each node of a sqlglot tree refers to its parent, so a tree is a reference cycle that only the garbage collector
    frees: about 40 objects per statement, collected over and over in a check of thousands. Without the parent links
    reference counting frees them as soon as the last reference goes. The trees must not be read afterwards.
    """
    held: list[exp.Expression] = [*upsert.returning]
    for clause in upsert.clauses:
        held += [element.expression for element in clause.target or ()]
        held += [node for node in (clause.target_where, clause.update_where) if node is not None]
        held += clause.set_values
    roots: dict[int, exp.Expr] = {}
    for node in held:
        root: exp.Expr = node
        while root.parent is not None:
            root = root.parent
        roots[id(root)] = root
    for tree in roots.values():
        for part in tree.walk():
            part.parent = None


def _tokenize(masked: str, dialect: Dialect, sql: str, *, remember: bool = False) -> list[Token]:
    try:
        tokens = dialect_tokens(masked, dialect)
    except TokenError as exc:
        raise UpsertParseError(f"cannot tokenize the statement: {exc}", sql=sql) from exc
    if remember:
        _LAST_READ[0] = (sql, masked, tokens)
    semicolons = [t for t in tokens if t.token_type == _SEMICOLON]
    if semicolons:  # most statements have none: the tokens are then kept as they are
        if any(t.start > semicolons[0].start for t in tokens):
            raise UpsertParseError("more than one statement", offset=semicolons[0].start, sql=sql)
        tokens = [t for t in tokens if t.token_type != _SEMICOLON]
    if not tokens:
        raise UpsertParseError("empty statement", sql=sql)
    return tokens


def _find_insert(tokens: list[Token], sql: str) -> int:
    for i, token in enumerate(tokens):
        if token.token_type == _INSERT:
            return i
        if _is_word(token, "REPLACE") and i + 1 < len(tokens) and tokens[i + 1].text.upper().startswith("INTO"):
            return i
    raise UpsertParseError("not an INSERT statement", offset=tokens[0].start, sql=sql)


def _is_word(token: Token, word: str) -> bool:
    return token.text.upper() == word and token.token_type not in _QUOTED


def _clause_spans(tokens: list[Token], sql: str) -> list[tuple[int, int]]:
    """Token index ranges [first, last) of each ON CONFLICT clause of the statement's one upsert."""
    starts = []
    depth_of = []  # the parenthesis depth before each token (groups.depths, in the same pass)
    depth, length = 0, len(tokens)
    for i, token in enumerate(tokens):
        depth_of.append(depth)
        kind = token.token_type
        if kind is _L_PAREN:
            depth += 1
        elif kind is _R_PAREN:
            depth -= 1
        elif (
            kind is _ON
            and i + 2 < length
            and _is_word(tokens[i + 1], "CONFLICT")
            and (tokens[i + 2].token_type in (_L_PAREN, _ON) or _is_word(tokens[i + 2], "DO"))
        ):
            starts.append(i)
    if not starts:
        return []
    level = depth_of[starts[0]]
    if any(depth_of[s] != level for s in starts):
        raise UpsertParseError("ON CONFLICT clauses of more than one INSERT", offset=tokens[starts[1]].start, sql=sql)
    spans = []
    for n, first in enumerate(starts):
        last = starts[n + 1] if n + 1 < len(starts) else len(tokens)
        for j in range(first + 1, last):
            if depth_of[j] < level or (depth_of[j] == level and tokens[j].token_type == _RETURNING):
                last = j
                break
        spans.append((first, last))
    return spans


def _parse_variants(
    masked: str, tokens: list[Token], spans: list[tuple[int, int]], dialect: Dialect, sql: str
) -> tuple[list[exp.Expression], bool]:
    """One tree per clause: the statement with that clause alone in the first clause's place (sqlglot reads one).

    sqlglot's parser recurses about 20 Python frames per parenthesis level, so some 45 nested parentheses exceed
    Python's recursion limit. Inside the INSERT's own VALUES rows that depth is harmless: no fact of an Upsert comes
    from the rows' contents, so each item sqlglot cannot read is replaced by NULL and the statement is still judged.
    Anywhere else the depth is in an expression a verdict reads, and the statement cannot be parsed. A statement
    sqlglot does not read for a ``DEFAULT`` inside an expression of a VALUES item is read with NULL there (the flag
    returned, ``Upsert.default_in_values``; see :func:`_default_in_values`).
    """
    chars = [(tokens[first].start, tokens[last - 1].end + 1) for first, last in spans]
    before_clauses = tokens[_find_insert(tokens, masked) + 1 : spans[0][0] if spans else len(tokens)]
    try:
        return _variants(masked, chars, dialect, sql, tokens), False
    except RecursionError:
        pass
    except UpsertParseError:
        nulled = _default_in_values(masked, before_clauses)
        if nulled is None:
            raise
        try:
            return _variants(nulled, chars, dialect, sql, None), True
        except (UpsertParseError, RecursionError):
            pass
        raise
    shallow = _shallow_values(masked, before_clauses, dialect)
    if shallow is not None:
        with contextlib.suppress(RecursionError):
            return _variants(shallow, chars, dialect, sql, None), False
    raise UpsertParseError(
        "parentheses are nested too deeply for the SQL parser (sqlglot) outside the VALUES rows", sql=sql
    )


def _variants(
    text: str, chars: list[tuple[int, int]], dialect: Dialect, sql: str, tokens: list[Token] | None
) -> list[exp.Expression]:
    if len(chars) <= 1:
        return [_parse(text, dialect, sql, tokens)]
    head, tail = text[: chars[0][0]], text[chars[-1][1] :]
    return [_parse(head + text[start:end] + tail, dialect, sql) for start, end in chars]


def _shallow_values(masked: str, tokens: list[Token], dialect: Dialect) -> str | None:
    """``masked`` with each VALUES item too deep for sqlglot blanked to ``NULL`` (same length); None if there is none.

    ``tokens`` run from after INSERT to the first ON CONFLICT; the VALUES list is the one at the INSERT's own level.
    """
    values = top_level(tokens, 0, lambda token: token.token_type == TokenType.VALUES)
    start = None if values is None else values + 1
    deep: list[tuple[int, int]] = []
    while start is not None and start < len(tokens) and tokens[start].token_type == TokenType.L_PAREN:
        close = _matching(tokens, start, masked)
        for item in split_commas(tokens[start + 1 : close]):
            if item and _too_deep(masked[item[0].start : item[-1].end + 1], dialect):
                deep.append((item[0].start, item[-1].end + 1))
        start = close + 2 if close + 1 < len(tokens) and tokens[close + 1].token_type == TokenType.COMMA else None
    if not deep:
        return None
    for first, last in deep:
        masked = masked[:first] + "NULL" + re.sub(r"[^\n]", " ", masked[first + 4 : last]) + masked[last:]
    return masked


def _default_in_values(masked: str, tokens: list[Token]) -> str | None:
    """``masked`` with each ``DEFAULT`` inside an expression of a VALUES item (``VALUES (DEFAULT + 1)``) written
    ``NULL`` (same length), which sqlglot reads where it does not read ``DEFAULT`` (None if there is none).

    PostgreSQL's grammar reads such an item as an expression (``DEFAULT`` is an ``a_expr``, NULL a constant; a ``[``
    or ``.`` after it, which an ``a_expr`` does not take, is left alone) and parse analysis refuses it (42601
    ``DEFAULT is not allowed in this context``); SQLite's grammar refuses the word. The verdicts read it from
    ``Upsert.sql``. ``tokens`` run from after INSERT to the first ON CONFLICT.
    """
    found: list[Token] = []
    for row in values_items(tokens, masked)[0]:
        for item in row:
            at = misplaced_default(item)
            if at is None:
                continue
            for index, token in enumerate(item[at:], start=at):
                after = item[index + 1].token_type if index + 1 < len(item) else None
                if token.token_type == TokenType.DEFAULT and after in (TokenType.L_BRACKET, TokenType.DOT):
                    return None
                if token.token_type == TokenType.DEFAULT:
                    found.append(token)
    for token in found:
        masked = masked[: token.start] + "NULL" + " " * (token.end + 1 - token.start - 4) + masked[token.end + 1 :]
    return masked if found else None


def values_items(tokens: list[Token], masked: str) -> tuple[list[list[list[Token]]], bool]:
    """The items of the VALUES list at the top level of ``tokens`` (from after INSERT to the first ON CONFLICT), row
    by row, and whether the rows are all there is after VALUES (no ORDER BY, LIMIT, or text that is no row)."""
    values = top_level(tokens, 0, lambda token: token.token_type == TokenType.VALUES)
    start = None if values is None else values + 1
    rows: list[list[list[Token]]] = []
    while start is not None and start < len(tokens) and tokens[start].token_type == TokenType.L_PAREN:
        try:
            close = closing(tokens, start)
        except SyntaxMismatch:
            return rows, False
        rows.append(split_commas(tokens[start + 1 : close]))
        if close + 1 == len(tokens):
            return rows, True
        start = close + 2 if tokens[close + 1].token_type == TokenType.COMMA else None
    return rows, False


def misplaced_default(item: list[Token]) -> int | None:
    """Where the first ``DEFAULT`` of a VALUES item is, when the item is not that keyword alone (in parentheses or
    not): None when it is, or has none."""
    inner = [t for t in item if t.token_type not in (TokenType.L_PAREN, TokenType.R_PAREN)]
    if len(inner) == 1:
        return None
    return next((i for i, token in enumerate(item) if token.token_type == TokenType.DEFAULT), None)


def _too_deep(expression: str, dialect: Dialect) -> bool:
    """True when sqlglot exhausts the recursion limit reading ``expression`` alone (a syntax error is not "deep")."""
    try:
        sqlglot.parse_one(f"SELECT {expression}", read=SQLGLOT_NAME[dialect])
    except RecursionError:
        return True
    except (ParseError, TokenError):
        pass
    return False


def _parse(text: str, dialect: Dialect, sql: str, tokens: list[Token] | None = None) -> exp.Expression:
    """sqlglot's tree in the engine's dialect (reusing our tokens), else in the other one."""
    first = SQLGLOT_NAME[dialect]
    other = "sqlite" if first == "postgres" else "postgres"
    error: ParseError | None = None
    for read in (first, other):
        try:
            if tokens is not None and read == first:
                tree = _read_tokens(tokens, text, dialect)
            else:
                tree = sqlglot.parse_one(text, read=read)
        except ParseError as exc:
            error = error or exc
            continue
        except TokenError:  # the other dialect's tokenizer refuses text the engine's own accepted
            continue
        if tree is not None and not isinstance(tree, exp.Command):
            return cast(exp.Expression, tree)  # sqlglot types the parser's result as Expr; every node is an Expression
    detail = error.errors[0] if error is not None and error.errors else {}
    offset = _offset_of(sql, detail.get("line"), detail.get("col"))
    reason = str(detail.get("description") or "not an INSERT statement sqlglot can read")
    raise UpsertParseError(reason, offset=offset, sql=sql)


def _read_tokens(tokens: list[Token], text: str, dialect: Dialect) -> exp.Expr | None:
    """sqlglot's tree of ``tokens``, read with the VALUES rows cut to their first item when every item is a literal,
    and without the column list when it is plain names (see :func:`_column_list`).

    No fact of an Upsert comes from the rows' contents (only that the source is VALUES), and a row of literals and
    placeholders is always read, so the shorter statement has the same facts; literals were a third of sqlglot's
    parse of a typical upsert. A column list of plain names is read from its tokens into the tree sqlglot makes of
    it (``tests/test_upsert_reading.py`` checks the two trees equal over generated lists). Anything else, or a
    shorter statement sqlglot does not read as one, is read in full.
    """
    parser = dialect_parser(dialect)
    short = _first_value_only(tokens)
    kept = tokens if short is None else short
    group = _column_list(kept, parser.CONSTRAINT_PARSERS)
    if group is not None:
        short = [*kept[: group[0]], *kept[group[1] + 1 :]]
    if short is not None:
        with contextlib.suppress(ParseError):
            tree = parser.parse(short, text)[0]
            if tree is not None and not isinstance(tree, exp.Command):
                if group is not None:
                    if not isinstance(tree, exp.Insert) or not isinstance(tree.this, exp.Table):
                        return parser.parse(tokens, text)[0]
                    names = kept[group[0] + 1 : group[1] : 2]
                    tree.set("this", exp.Schema(this=tree.this, expressions=[_identifier(n) for n in names]))
                return tree
    return parser.parse(tokens, text)[0]


def _identifier(token: Token) -> exp.Identifier:
    """The identifier sqlglot's parser makes of a name token (``_identifier_expression``), with its position."""
    identifier = exp.Identifier(this=token.text, quoted=token.token_type is TokenType.IDENTIFIER)
    identifier.update_positions(token)
    return identifier


#: Tokens a plain column name may be: a bare word sqlglot has no keyword for, or a quoted identifier.
_NAME_TOKENS = frozenset({TokenType.VAR, TokenType.IDENTIFIER})


def _column_list(tokens: list[Token], constraint_words: Mapping[str, object]) -> tuple[int, int] | None:
    """The indexes of the ``(`` and ``)`` of ``INSERT INTO name [AS alias] (c, ...) VALUES`` when every item of the
    list is one name token sqlglot reads as an identifier and nothing in it carries a comment; None otherwise.

    sqlglot reads a bare word that names a constraint kind (``CHECK``, ``PERIOD``...) at the start of a list item
    as that constraint: such a word keeps the statement whole. ``INTO`` and the target's shape are required so that
    the cut list is the INSERT's own.
    """
    length = len(tokens)
    if length < 7 or tokens[0].token_type is not _INSERT or tokens[1].token_type is not TokenType.INTO:
        return None
    at = 2
    for part in range(3):  # [database.][schema.]table
        if at >= length or tokens[at].token_type not in _NAME_TOKENS:
            return None
        at += 1
        if at >= length or tokens[at].token_type is not TokenType.DOT:
            break
        if part == 2:
            return None
        at += 1
    if at < length and tokens[at].token_type is TokenType.ALIAS:
        if at + 1 >= length or tokens[at + 1].token_type not in _NAME_TOKENS:
            return None
        at += 2
    opening = at
    if opening >= length or tokens[opening].token_type is not _L_PAREN:
        return None
    at += 1
    while True:
        if at + 1 >= length:
            return None
        token = tokens[at]
        kind = token.token_type
        if kind not in _NAME_TOKENS or token.comments:
            return None
        if kind is TokenType.VAR and token.text.upper() in constraint_words:
            return None
        following = tokens[at + 1]
        if following.comments:
            return None
        if following.token_type is _R_PAREN:
            break
        if following.token_type is not _COMMA:
            return None
        at += 2
    closing_at = at + 1
    if tokens[opening].comments or closing_at + 1 >= length or tokens[closing_at + 1].token_type is not _VALUES:
        return None
    return opening, closing_at


#: A VALUES item sqlglot reads into a literal or a placeholder whatever surrounds it in a row.
_PLAIN_ITEMS = frozenset({TokenType.NUMBER, TokenType.STRING, TokenType.TRUE, TokenType.FALSE, TokenType.NULL,
                          TokenType.PLACEHOLDER})
#: What the INSERT's own VALUES list may be followed by for the rows to be cut (else the statement is read in full).
_AFTER_ROWS = frozenset({TokenType.ON, TokenType.RETURNING})
#: Words that end the search for the INSERT's VALUES: its source is a query, or the VALUES would not be its own.
_NOT_ROWS = frozenset({TokenType.SELECT, TokenType.WITH, TokenType.DEFAULT, TokenType.ON, TokenType.RETURNING,
                       TokenType.UNION, TokenType.INTERSECT, TokenType.EXCEPT})


def _first_value_only(tokens: list[Token]) -> list[Token] | None:
    """``INSERT ... VALUES (a, b), (c, d) ON CONFLICT ...`` as ``INSERT ... VALUES (a) ON CONFLICT ...`` when every
    item of every row is one token of ``_PLAIN_ITEMS``; None when the statement is not so or nothing would be cut."""
    if not tokens or tokens[0].token_type is not _INSERT:
        return None
    depth, values, length = 0, -1, len(tokens)
    for index in range(1, length):
        kind = tokens[index].token_type
        if kind is _L_PAREN:
            depth += 1
        elif kind is _R_PAREN:
            depth -= 1
        elif depth == 0:
            if kind is _VALUES:
                values = index
                break
            if kind in _NOT_ROWS:
                return None
    if values < 0:
        return None
    plain, first_close, at = _PLAIN_ITEMS, -1, values + 1
    while True:  # one row per turn: ( item [, item]... ), then a comma and the next row, or the end of the list
        if at + 2 >= length or tokens[at].token_type is not _L_PAREN or tokens[at + 1].token_type not in plain:
            return None
        at += 2
        while tokens[at].token_type is _COMMA:
            if at + 2 >= length or tokens[at + 1].token_type not in plain:
                return None
            at += 2
        if tokens[at].token_type is not _R_PAREN:
            return None
        if first_close < 0:
            first_close = at
        at += 1
        if at < length and tokens[at].token_type is _COMMA:
            at += 1
            continue
        break
    if at < length and tokens[at].token_type not in _AFTER_ROWS:
        return None
    if first_close == values + 3 and at == first_close + 1:
        return None  # one row of one item: nothing to cut
    return [*tokens[: values + 3], tokens[first_close], *tokens[at:]]


def _offset_of(sql: str, line: int | None, col: int | None) -> int | None:
    if line is None or col is None:
        return None
    lines = sql.split("\n")
    return sum(len(x) + 1 for x in lines[: line - 1]) + max(col - 1, 0)


def _the_insert(tree: exp.Expression, sql: str) -> exp.Insert:
    if isinstance(tree, exp.Insert) and tree.args.get("conflict") is not None:
        return tree  # what the search below finds first (it starts at the root), without walking the VALUES rows
    inserts = list(tree.find_all(exp.Insert))
    with_conflict = [i for i in inserts if i.args.get("conflict") is not None]
    if not inserts:
        raise UpsertParseError("not an INSERT statement", sql=sql)
    return (with_conflict or inserts)[0]


def _name(node: exp.Expression) -> Name:
    ident = node if isinstance(node, exp.Identifier) else node.this
    if isinstance(ident, exp.Identifier):
        return Name(ident.name, bool(ident.args.get("quoted")))
    return Name(node.name)


def _from_unterminated(select: exp.Expression | None) -> bool:
    """True when the text right before ON CONFLICT is a FROM item SQLite can extend with ``ON expr`` (S13)."""
    if select is None:
        return False
    outer = select
    while isinstance(select, exp.SetOperation):
        select = select.expression
    if not isinstance(select, exp.Select) or select.args.get("from_") is None:
        return False
    if any(outer.args.get(k) for k in ("order", "limit", "offset")):
        return False
    if any(select.args.get(k) for k in ("where", "group", "having", "qualify", "windows", "order", "limit", "offset")):
        return False
    joins = select.args.get("joins") or []
    return not joins or not (joins[-1].args.get("on") or joins[-1].args.get("using"))


def _clause(
    ordinal: int, tokens: list[Token], masked: str, conflict: exp.OnConflict | None, sql: str
) -> ConflictClause:
    """Read one clause's structure from its tokens and its expression trees from sqlglot's ``OnConflict``."""
    if conflict is None:
        raise UpsertParseError("sqlglot did not read the ON CONFLICT clause", offset=tokens[0].start, sql=sql)
    i = 2
    target: tuple[TargetElement, ...] | None = None
    target_where: exp.Expression | None = None
    target_where_sql: str | None = None
    constraint: Name | None = None
    constraint_where = False
    if tokens[i].token_type == TokenType.L_PAREN:
        close = _matching(tokens, i, sql)
        groups = split_commas(tokens[i + 1 : close])
        keys = conflict.args.get("conflict_keys") or []
        if len(groups) != len(keys):
            raise UpsertParseError("cannot read the conflict target", offset=tokens[i].start, sql=sql)
        target = tuple(_element(group, key, masked, sql) for group, key in zip(groups, keys, strict=True))
        i = close + 1
        if i < len(tokens) and tokens[i].token_type == TokenType.WHERE:
            end = _find_do(tokens, i, sql)
            target_where_sql = _source(sql, masked, tokens[i + 1].start, tokens[end - 1].end + 1)
            predicate = conflict.args.get("index_predicate")
            target_where = predicate.this if predicate is not None else None
            i = end
    elif tokens[i].token_type == TokenType.ON:
        if i + 2 >= len(tokens):
            raise UpsertParseError("expected a constraint name", offset=tokens[-1].start, sql=sql)
        constraint = Name(tokens[i + 2].text, tokens[i + 2].token_type == TokenType.IDENTIFIER)
        i += 3
        if i < len(tokens) and tokens[i].token_type == TokenType.WHERE:
            constraint_where = True
            i = _find_do(tokens, i, sql)
    action_word = tokens[i + 1].text.upper() if i + 1 < len(tokens) else ""
    if i >= len(tokens) or not _is_word(tokens[i], "DO") or action_word not in ("NOTHING", "UPDATE"):
        at = tokens[min(i, len(tokens) - 1)].start
        raise UpsertParseError("expected DO NOTHING or DO UPDATE", offset=at, sql=sql)
    set_columns: list[Name] = []
    set_values: list[exp.Expression] = []
    for item in conflict.expressions:
        left, value = assignment(item)
        columns = left.expressions if isinstance(left, exp.Tuple) else [left]
        if not all(isinstance(c, (exp.Column, exp.Identifier)) for c in columns):
            # ``SET a[1] = ...`` assigns an element of column ``a`` on PostgreSQL and is a syntax error on SQLite
            raise UpsertParseError("a SET target that is not a column name", offset=tokens[0].start, sql=sql)
        set_columns.extend(_name(c) for c in columns)
        if value is not None:
            set_values.append(value)
    update_where = conflict.args.get("where")
    return ConflictClause(
        ordinal=ordinal,
        offset=tokens[0].start,
        target=target,
        target_where=target_where,
        target_where_sql=target_where_sql,
        constraint=constraint,
        constraint_where=constraint_where,
        action="nothing" if action_word == "NOTHING" else "update",
        set_columns=tuple(set_columns),
        set_values=tuple(set_values),
        update_where=update_where.this if update_where is not None else None,
    )


def assignment(item: exp.Expression) -> tuple[exp.Expression, exp.Expression | None]:
    """One ``SET`` item as (column or column tuple, value); no value for an item that is not an assignment.

    In ``SET a = b = 1`` the first ``=`` assigns and the rest is the value, ``b = 1``, as PostgreSQL and SQLite read
    it (SQLAlchemy renders ``or_(column, false())`` so on SQLite). Some sqlglot releases of the supported range (30.12)
    read the whole as the comparison ``(a = b) = 1``: the assignment is then taken from the left end of that chain.
    """
    if not isinstance(item, exp.EQ):
        return item, None
    if not isinstance(item.this, exp.EQ):
        return item.this, item.expression
    value = item.copy()
    innermost = value.this
    while isinstance(innermost.this, exp.EQ):
        innermost = innermost.this
    column = innermost.this
    innermost.replace(innermost.expression)
    return column, value


def _source(sql: str, masked: str, start: int, end: int) -> str:
    """The original text of masked[start:end], extended over the rest of a masked placeholder ending there."""
    while end < len(sql) and masked[end] == " " and sql[end] != " ":
        end += 1
    return sql[start:end]


def _matching(tokens: list[Token], opening: int, sql: str) -> int:
    try:
        return closing(tokens, opening)
    except SyntaxMismatch:
        raise UpsertParseError("unbalanced parentheses", offset=tokens[opening].start, sql=sql) from None


def _find_do(tokens: list[Token], start: int, sql: str) -> int:
    found = top_level(tokens, start, lambda token: _is_word(token, "DO"))
    if found is None:
        raise UpsertParseError("expected DO after the conflict target", offset=tokens[start].start, sql=sql)
    return found


def _element(group: list[Token], key: exp.Expression, masked: str, sql: str) -> TargetElement:
    """ASC/DESC and NULLS FIRST/LAST come from the tokens: sqlglot's ``Ordered`` cannot tell if they were written."""
    nulls: Literal["FIRST", "LAST"] | None = None
    order: Literal["ASC", "DESC"] | None = None
    if len(group) >= 2 and _is_word(group[-2], "NULLS"):
        nulls = "FIRST" if group[-1].text.upper() == "FIRST" else "LAST"
        group = group[:-2]
    if group and group[-1].token_type in (TokenType.ASC, TokenType.DESC):
        order = "DESC" if group[-1].token_type == TokenType.DESC else "ASC"
        group = group[:-1]
    node = key.this if isinstance(key, exp.Ordered) else key
    opclass = collation = None
    if isinstance(node, exp.Opclass):
        opclass = _name(node.expression)
        node = node.this
    if isinstance(node, exp.Collate):
        collation = _last_name(node.expression)
        node = node.this
    return TargetElement(
        expression=node,
        sql=_source(sql, masked, group[0].start, group[-1].end + 1) if group else "",
        collation=collation,
        opclass=opclass,
        order=order,
        nulls=nulls,
    )


def _last_name(node: exp.Expression) -> Name:
    """``"C"``, ``nocase`` or ``pg_catalog."C"``: the collation's own name."""
    ident = node if isinstance(node, exp.Identifier) else node.this
    if not isinstance(ident, exp.Identifier):
        return Name(node.name)
    return Name(ident.name, bool(ident.args.get("quoted")))
