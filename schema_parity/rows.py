"""Rows of one INSERT ... ON CONFLICT: does one statement propose the same conflict key twice to DO UPDATE?

PostgreSQL applies a multi-row VALUES as one command, and a row that command already inserted or updated cannot be
updated again: ``ON CONFLICT DO UPDATE command cannot affect row a second time`` (21000). SQLite applies the rows one
after another, so the same statement passes there (rule SP302). A :class:`RowPlan` says where each row's key values
are in the statement (a literal, or a bind placeholder); given the parameters, :meth:`RowPlan.first_repeat` names the
first key proposed twice. The static check reads literals only; the run-time capture (capture.py) has the values.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from schema_parity.sql.tokens import mask_placeholders

if TYPE_CHECKING:
    from schema_parity.upsert import Upsert

__all__ = ["Duplicate", "RowPlan", "first_repeat"]

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
        values = _values_rows(statement)
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


class _Placeholders:
    """Numbers positional placeholders in the order they appear (``?``, ``%s``); names the others."""

    def __init__(self, paramstyle: str) -> None:
        self.paramstyle = paramstyle
        self.position = 0

    def value(self, text: str) -> _Value:
        text = text.strip()
        while text.startswith("(") and text.endswith(")"):
            text = text[1:-1].strip()
        text = re.sub(r"::\s*[A-Za-z_][\w ]*(\(\d+(,\s*\d+)?\))?$", "", text).strip()  # a cast SQLAlchemy adds
        if text in ("?", "%s"):
            self.position += 1
            return ("param", self.position - 1)
        if match := re.fullmatch(r"%\((\w+)\)s|:([A-Za-z_]\w*)", text):
            return ("param", match.group(1) or match.group(2))
        if match := re.fullmatch(r"\$(\d+)|\?(\d+)", text):
            return ("param", int(match.group(1) or match.group(2)) - 1)
        if re.fullmatch(r"-?\d+", text):
            return ("literal", int(text))
        if re.fullmatch(r"'(?:[^']|'')*'", text):
            return ("literal", text[1:-1].replace("''", "'"))
        self.position += len(re.findall(r"\?(?!\d)|%s", text))  # keep the numbering right past an expression
        return None


def _values_rows(statement: str) -> list[list[str]] | None:
    """The VALUES rows' elements as source text, split outside strings, quoted names and comments (None when the
    statement's source is not a plain VALUES list ended by ON CONFLICT)."""
    masked, _count = mask_placeholders(statement)
    pieces = _top_level(masked)
    if not any(kind == "word" and _is(masked, at, "VALUES") for kind, at, _end in pieces):
        return None
    rows: list[list[str]] = []
    depth = 0
    start = 0
    row: list[str] = []
    for kind, at, end in pieces:
        if kind == "(":
            depth += 1
            if depth == 1:
                start, row = end, []
        elif kind == ")":
            depth -= 1
            if depth == 0:
                row.append(statement[start:at])
                rows.append(row)
            elif depth < 0:
                return None
        elif kind == "," and depth == 1:
            row.append(statement[start:at])
            start = end
        elif depth == 0 and kind != ",":
            following = next(pieces, ("end", 0, 0))
            conflict = kind == following[0] == "word" and _is(masked, at, "ON")
            conflict = conflict and _is(masked, following[1], "CONFLICT")
            # anything but rows between VALUES and ON CONFLICT: not a plain VALUES list
            return rows if rows and conflict else None
    return None


_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*")
#: One piece of PostgreSQL's lexical grammar at a time (an unterminated string or name runs to the end).
_PIECE = re.compile(
    r"""(?P<space>\s+)
    |(?P<line>--[^\n]*)
    |(?P<block>/\*)
    |(?P<punct>[(),])
    |(?P<escaped>[eE]'(?:[^'\\]|\\.|'')*'?)
    |(?P<string>'(?:[^']|'')*'?)
    |(?P<name>"(?:[^"]|"")*"?)
    |(?P<dollar>\$(?:[A-Za-z_][A-Za-z0-9_]*)?\$)
    |(?P<word>[A-Za-z_][A-Za-z0-9_$]*)
    |(?P<other>.)""",
    re.VERBOSE | re.DOTALL,
)


def _is(text: str, at: int, word: str) -> bool:
    """Whether the word at ``at`` is ``word`` (ASCII letters in any case: the only ones PostgreSQL folds)."""
    match = _WORD.match(text, at)
    return match is not None and match.group(0).upper() == word


def _top_level(text: str) -> Iterator[tuple[str, int, int]]:
    """The statement's pieces outside comments, as (kind, start, end), read as far as the caller asks: a word, one
    of ``(),``, or ``other`` (a string, a quoted name, a number or an operator). PostgreSQL's lexical rules: ``--``
    and nested ``/* */`` comments, ``''`` inside a string, backslash escapes in ``E'...'`` strings, ``""`` inside a
    quoted name, dollar-quoted strings."""
    position, size = 0, len(text)
    while position < size:
        match = _PIECE.match(text, position)
        assert match is not None  # ``other`` matches any character
        kind, end = match.lastgroup, match.end()
        if kind == "block":  # block comments nest
            depth = 1
            while depth and end < size:
                opening, closing = text.find("/*", end), text.find("*/", end)
                if closing < 0:
                    end = size
                elif 0 <= opening < closing:
                    depth, end = depth + 1, opening + 2
                else:
                    depth, end = depth - 1, closing + 2
        elif kind == "dollar":
            close = text.find(match.group(0), end)
            end = size if close < 0 else close + len(match.group(0))
            yield "other", position, end
        elif kind == "punct":
            yield match.group(0), position, end
        elif kind == "word":
            yield "word", position, end
        elif kind not in ("space", "line"):
            yield "other", position, end
        position = end


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
