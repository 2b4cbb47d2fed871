"""Rows of one INSERT ... ON CONFLICT: does one statement propose the same conflict key twice to DO UPDATE?

PostgreSQL applies a multi-row VALUES as one command, and a row that command already inserted or updated cannot be
updated again: ``ON CONFLICT DO UPDATE command cannot affect row a second time`` (21000). SQLite applies the rows one
after another, so the same statement passes there (rule SP302). A :class:`RowPlan` says where each row's key values
are in the statement (a literal, or a bind placeholder); given the parameters, :meth:`RowPlan.first_repeat` names the
first key proposed twice. The static check reads literals only; the run-time capture (capture.py) has the values.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlglot.errors import TokenError

from schema_parity.sql.groups import SyntaxMismatch, closing
from schema_parity.sql.tokens import Token, TokenType, word

if TYPE_CHECKING:
    from schema_parity.upsert import Upsert

__all__ = ["Duplicate", "RowPlan", "first_repeat", "values_lengths"]

#: SQLAlchemy's insertmanyvalues page size on its PostgreSQL dialects (``insertmanyvalues_page_size``).
PG_PAGE = 1000


@dataclass(frozen=True)
class Duplicate:
    """Two rows of one statement that propose the same conflict key to ``ON CONFLICT (...) DO UPDATE``."""

    key: tuple[tuple[str, str], ...]
    """Each target column with the value proposed twice (``repr`` of the value)."""
    rows: tuple[int, int]
    """The two rows, 1-based, in the order the statement lists them."""
    batched: bool = False
    """The rows came from an executemany batch that SQLAlchemy sends to PostgreSQL as one multi-row statement."""

    def describe(self) -> str:
        key = ", ".join(f"{column}={value}" for column, value in self.key)
        return f"({key})"


_Value = tuple[str, Any] | None
"""A proposed key element: ('param', name-or-index) or ('literal', value); None when neither (an expression)."""
_MISSING = object()


@dataclass(frozen=True)
class RowPlan:
    """Where each row's conflict-key values are in one statement: a parameter or a literal per target column."""

    columns: tuple[str, ...]
    elements: tuple[tuple[_Value, ...], ...]
    """Per row, per target column."""

    @property
    def rows(self) -> int:
        return len(self.elements)

    @classmethod
    def of(cls, statement: str, paramstyle: str, *, parsed: Upsert | None = None) -> RowPlan | None:
        """The plan, or None when the statement cannot propose one key twice to DO UPDATE that we can tell.

        Only ``ON CONFLICT (col, ...) DO UPDATE`` without a target predicate and without DO UPDATE ... WHERE
        counts: with a WHERE, the first row may leave an existing row untouched, and the second then updates it
        once (no error); an expression, ON CONSTRAINT or a partial target is not decided here. ``parsed`` is the
        statement already parsed with PostgreSQL's rules (the verdict has it: parsing again cost a quarter of it).
        """
        from schema_parity.upsert import UpsertParseError, parse_upsert

        upsert = parsed
        if upsert is None:
            try:
                upsert = parse_upsert(statement, "postgresql")
            except (UpsertParseError, RecursionError):
                return None
        if upsert.source != "values" or upsert.columns is None or len(upsert.clauses) != 1:
            return None
        clause = upsert.clauses[0]
        if clause.action != "update" or clause.update_where is not None or clause.target is None:
            return None
        if clause.target_where is not None or not clause.target:
            return None
        names = [element.column for element in clause.target]
        if any(name is None for name in names):
            return None
        written = [c.folded() for c in upsert.columns]
        try:
            positions = [written.index(name.folded()) for name in names if name is not None]
        except ValueError:
            return None
        values = values_rows(statement)
        if values is None:
            return None
        counter = _Placeholders(paramstyle)
        elements: list[tuple[_Value, ...]] = []
        for row in values:
            row_values = [counter.value(element) for element in row]
            if len(row_values) != len(written):
                return None
            elements.append(tuple(row_values[p] for p in positions))
        return cls(tuple(n.text for n in names if n is not None), tuple(elements))

    def first_repeat(self, parameters: Any = None, *, batched: bool = False) -> Duplicate | None:
        """The first key two rows propose, given the statement's parameters (None: literals only)."""
        return first_repeat(self.columns, self.keys(parameters), batched=batched)

    def keys(self, parameters: Any) -> list[tuple[Any, ...] | None]:
        out: list[tuple[Any, ...] | None] = []
        for row in self.elements:
            values = tuple(_resolve(element, parameters) for element in row)
            known = all(value is not _MISSING and value is not None for value in values)  # NULLs never conflict
            out.append(values if known else None)
        return out


def _resolve(element: _Value, parameters: Any) -> Any:
    if element is None:
        return _MISSING
    kind, where = element
    if kind == "literal":
        return where
    try:
        return parameters[where]
    except (KeyError, IndexError, TypeError):
        return _MISSING


_CAST = re.compile(r"::\s*[A-Za-z_][\w ]*(\(\d+(,\s*\d+)?\))?$")
_NAMED = re.compile(r"%\((\w+)\)s|:([A-Za-z_]\w*)")
_NUMBERED = re.compile(r"\$(\d+)|\?(\d+)")
_INTEGER = re.compile(r"-?\d+")
_STRING = re.compile(r"'(?:[^']|'')*'")
_POSITIONAL = re.compile(r"\?(?!\d)|%s")


class _Placeholders:
    """Numbers positional placeholders in the order they appear (``?``, ``%s``); names the others."""

    def __init__(self, paramstyle: str) -> None:
        self.paramstyle = paramstyle
        self.position = 0

    def value(self, text: str) -> _Value:
        text = text.strip()
        while text.startswith("(") and text.endswith(")"):
            text = text[1:-1].strip()
        text = _CAST.sub("", text).strip()  # a cast SQLAlchemy adds
        if text in ("?", "%s"):
            self.position += 1
            return ("param", self.position - 1)
        if match := _NAMED.fullmatch(text):
            return ("param", match.group(1) or match.group(2))
        if match := _NUMBERED.fullmatch(text):
            return ("param", int(match.group(1) or match.group(2)) - 1)
        if _INTEGER.fullmatch(text):
            return ("literal", int(text))
        if _STRING.fullmatch(text):
            return ("literal", text[1:-1].replace("''", "'"))
        self.position += len(_POSITIONAL.findall(text))  # keep the numbering right past an expression
        return None


def values_lengths(upsert: Upsert) -> tuple[int, ...] | None:
    """How many values each VALUES row has, read from the whole statement (the parsed statement may keep only the
    first row of a long list of literals); None when the source is not a plain VALUES list read row by row."""
    if upsert.ctes or upsert.in_cte:
        return None
    if upsert.source == "select":
        length = _select_length(upsert.sql)
        return None if length is None else (length,)
    if upsert.source != "values":
        return None
    rows = values_rows(upsert.sql)
    if rows is None or any(not element.strip() for row in rows for element in row):
        return None
    return tuple(len(row) for row in rows)


_VALUES, _L_PAREN, _R_PAREN, _COMMA = TokenType.VALUES, TokenType.L_PAREN, TokenType.R_PAREN, TokenType.COMMA
_CONSTANTS = frozenset(
    {TokenType.NUMBER, TokenType.STRING, TokenType.PLACEHOLDER, TokenType.NULL, TokenType.TRUE, TokenType.FALSE}
)


def _select_length(statement: str) -> int | None:
    """The select list's length of ``INSERT ... SELECT c, ... ON CONFLICT`` when every item is a constant (a literal
    or a placeholder) and nothing else follows: then nothing in the SELECT can fail before the count does. None
    otherwise (a FROM, a set operation, an expression: its length or the engine's first error is not certain)."""
    from schema_parity.upsert import postgresql_tokens

    try:
        masked, tokens = postgresql_tokens(statement)
    except TokenError:
        return None
    selects = [i for i, token in enumerate(tokens) if token.token_type == TokenType.SELECT]
    conflict = on_conflict(tokens, masked)
    if len(selects) != 1 or conflict is None or not 0 < selects[0] < conflict:
        return None
    if tokens[selects[0] - 1].token_type == TokenType.L_PAREN:
        return None
    items = 1
    expect_value = True
    for token in tokens[selects[0] + 1 : conflict]:
        kind = token.token_type
        if expect_value and kind in (TokenType.DASH, TokenType.PLUS):
            continue
        if expect_value and kind in _CONSTANTS:
            expect_value = False
        elif not expect_value and kind == TokenType.COMMA:
            items += 1
            expect_value = True
        else:
            return None
    return None if expect_value else items


@functools.lru_cache(maxsize=4)
def values_rows(statement: str) -> list[list[str]] | None:
    """The VALUES rows' elements as source text, split on PostgreSQL's tokens (None when the statement's source is
    not a plain VALUES list ended by ON CONFLICT). Kept for the last statements: a verdict asks twice (the count,
    then the rows' contents); a caller must not change the lists."""
    return _values_rows(statement)


def _values_rows(statement: str) -> list[list[str]] | None:
    from schema_parity.upsert import postgresql_tokens

    try:
        masked, tokens = postgresql_tokens(statement)
    except TokenError:
        return None
    values = next((i for i, token in enumerate(tokens) if token.token_type is _VALUES), None)
    conflict = on_conflict(tokens, masked)
    if values is None or conflict is None or conflict < values:
        return None
    rows: list[list[str]] = []
    index = values + 1
    while index < conflict:
        kind = tokens[index].token_type
        if kind == TokenType.COMMA:
            index += 1
            continue
        if kind != TokenType.L_PAREN:
            return None  # anything but rows between VALUES and ON CONFLICT: not a plain VALUES list
        try:
            close = closing(tokens, index)
        except SyntaxMismatch:
            return None
        if close >= conflict:
            return None
        row, start, depth = [], tokens[index].end + 1, 0
        for token in tokens[index + 1 : close]:  # split at the row's own commas
            kind = token.token_type
            if kind is _L_PAREN:
                depth += 1
            elif kind is _R_PAREN:
                depth -= 1
            elif depth == 0 and kind is _COMMA:
                row.append(statement[start : token.start])
                start = token.end + 1
        row.append(statement[start : tokens[close].start])
        rows.append(row)
        index = close + 1
    return rows or None


def on_conflict(tokens: Sequence[Token], masked: str) -> int | None:
    """The index of the first ``ON`` followed by ``CONFLICT`` (bare words), or None. Only a two-letter token can be
    ``ON``: the others are not asked for their word (every upsert's tokens are searched)."""
    for i in range(len(tokens) - 1):
        token = tokens[i]
        if len(token.text) == 2 and word(token, masked) == "ON" and word(tokens[i + 1], masked) == "CONFLICT":
            return i
    return None



def first_repeat(
    columns: tuple[str, ...], keys: Sequence[tuple[Any, ...] | None], *, batched: bool
) -> Duplicate | None:
    seen: dict[tuple[tuple[type, Any], ...], int] = {}
    for index, key in enumerate(keys, start=1):
        if key is None:
            continue
        try:
            typed = tuple((type(v), v) for v in key)  # 1 and True and 1.0 are equal in Python, not in a column
            first = seen.setdefault(typed, index)
        except TypeError:  # an unhashable value: not compared
            continue
        if first != index and (not batched or (first - 1) // PG_PAGE == (index - 1) // PG_PAGE):
            return Duplicate(tuple(zip(columns, (repr(v) for v in key), strict=True)), (first, index), batched)
    return None
