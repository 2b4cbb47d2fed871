"""Finding upserts in SQL text: a small tokenizer and statement splitter for PostgreSQL and SQLite scripts.

sqlglot is not used here because a script must be split *before* it can be parsed, and one statement sqlglot cannot
parse must not hide the others. The tokenizer knows what can hide a ``;`` or an ``ON CONFLICT``: string literals
(``'...'`` with ``''``, ``E'...'`` with backslash escapes), quoted identifiers (``"..."``, ```...```, ``[...]``),
``--`` and nested ``/* */`` comments, and dollar-quoted bodies (``$$...$$``, ``$tag$...$tag$``). A ``BEGIN ... END``
body of ``CREATE TRIGGER`` (SQLite) or ``BEGIN ATOMIC`` (PostgreSQL) is kept in one statement, and the statements
inside it are examined on their own. psql meta-commands (``\\set``) and ``COPY ... FROM stdin`` data are skipped.

A quote, dollar quote or block comment that is never closed swallows the rest of the script: PostgreSQL and SQLite
reject such a script, and nothing after it can be checked, which ``sql_file_sites`` reports rather than pass over.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import NamedTuple

from schema_parity.rules import rule_for
from schema_parity.sites import ScanProblem, Site
from schema_parity.sql.skim import block_comment_end, skip_statement

_TOKEN = re.compile(
    r"""
      (?P<ws>\s+)
    | (?P<comment>--[^\n]*)
    | (?P<block>/\*)
    | (?P<string>[eE]'(?:[^'\\]|\\.|'')*\\?'?|'(?:[^']|'')*'?)
    | (?P<ident>"(?:[^"]|"")*"?|`(?:[^`]|``)*`?|\[[^\]'"\n]*\])
    | (?P<dollar>\$(?:[^\W\d]\w*)?\$)
    | (?P<word>[^\W\d][\w$]*)
    | (?P<number>\d[\w.]*)
    | (?P<param>\$\d+)
    | (?P<op>.)
    """,
    re.VERBOSE | re.DOTALL,
)
#: A closed string or quoted identifier; an unclosed one runs to the end of the text (a lone trailing backslash too).
_CLOSED = {
    "string": re.compile(r"[eE]'(?:[^'\\]|\\.|'')*'|'(?:[^']|'')*'", re.DOTALL),
    "ident": re.compile(r'"(?:[^"]|"")*"|`(?:[^`]|``)*`|\[[^\]]*\]'),
}
_UNCLOSED = {"string": "quoted string", "ident": "quoted identifier", "dollar": "dollar-quoted string"}
_COPY_DATA_END = re.compile(r"^\\\.[ \t]*$", re.MULTILINE)
#: A ``BEGIN`` starts a statement body (not a transaction) in a ``CREATE`` statement with one of these words.
_BODY_WORDS = frozenset({"TRIGGER", "FUNCTION", "PROCEDURE"})
#: Words of the statements an upsert scan must tokenize: upserts, statement bodies, and COPY (its data follows).
#: The tokenizer compares ``str.upper()`` of a word, which turns a few other letters into these (dotless i, U+0131,
#: into ``I``; the ligature U+FB02 into ``FL``): a statement with one of them is tokenized too.
_UPSERT_SCAN_KEEPS = re.compile("[cCbB](?i:onflict|opy|egin)|[\u0131\u0149\u1e97\u1e99\ufb00-\ufb06]")


class Token(NamedTuple):
    """A token that matters to SQL (comments and whitespace are dropped); ``start``/``end`` are offsets in the text."""

    kind: str  # word, string, ident, dollar, number, param, op
    start: int
    end: int
    text: str

    @property
    def upper(self) -> str:
        return self.text.upper() if self.kind == "word" else ""


@dataclass(frozen=True)
class Statement:
    """One statement of a script: its tokens without the closing ``;`` (never empty)."""

    tokens: tuple[Token, ...]
    inner: tuple[Statement, ...] = ()
    """Statements of a ``BEGIN ... END`` body, for trigger bodies and ``BEGIN ATOMIC`` functions."""

    @property
    def start(self) -> int:
        return self.tokens[0].start

    @property
    def end(self) -> int:
        return self.tokens[-1].end


@dataclass(frozen=True)
class Unclosed:
    """A quote, dollar quote or block comment never closed: ``opened`` is its offset, ``what`` names it, ``lost`` is
    the offset from which the script could not be read (the start of the statement it sits in)."""

    opened: int
    what: str
    lost: int


def split_statements(text: str, *, psql: bool = True) -> list[Statement]:
    """Split a script at top-level ``;``; leading and trailing comments are not part of a statement.

    ``psql``: the text is a psql script, so a backslash command runs to the end of its line and ``COPY ... FROM
    stdin`` is followed by data lines up to ``\\.`` (neither applies to SQL sent through a driver).
    """
    return list(_Splitter(text, psql=psql))


class _Splitter:
    """The statements of a script, yielded one at a time (a large file never holds all its tokens at once);
    after the iteration, ``unclosed`` says where an unclosed quote or comment swallowed the rest.

    ``upserts_only``: statements that cannot be or hold an upsert may be left out, and are stepped over without
    being tokenized (:func:`schema_parity.sql.skim.skip_statement`); the statements kept are the same.
    """

    def __init__(self, text: str, *, psql: bool = True, upserts_only: bool = False) -> None:
        self.text = text
        self.psql = psql
        self.upserts_only = upserts_only
        self.unclosed: Unclosed | None = None

    def __iter__(self) -> Iterator[Statement]:
        text, psql = self.text, self.psql
        current: list[Token] = []
        body: list[Token] = []  # tokens of the current statement inside its BEGIN ... END body
        inner: list[Statement] = []
        depth = 0  # BEGIN/CASE ... END nesting inside a block statement
        body_word = False  # the statement has a word of _BODY_WORDS: a BEGIN after CREATE opens its body
        pos = 0
        length = len(text)
        match_token = _TOKEN.match
        skim = self.upserts_only
        while pos < length:
            if skim and not current and not depth:
                skipped = skip_statement(text, pos, _UPSERT_SCAN_KEEPS)
                if skipped is not None:
                    pos = skipped
                    continue
                skim = False  # this statement is tokenized; skimming resumes after it
            if psql and not current and text[pos] == "\\":  # psql meta-command: runs to the end of the line
                newline = text.find("\n", pos)
                pos = length if newline < 0 else newline + 1
                skim = self.upserts_only
                continue
            match = match_token(text, pos)
            assert match is not None  # the last alternative matches any character
            kind = match.lastgroup
            end = match.end()
            if kind in ("ws", "comment"):
                pos = end
                continue
            if kind == "block":
                end = block_comment_end(text, pos)
                if end < 0:
                    self.unclosed = Unclosed(pos, "block comment /*", current[0].start if current else pos)
                    end = length
                pos = end
                continue
            if kind == "dollar":
                closing = text.find(match.group(), end)
                end = length if closing < 0 else closing + len(match.group())
                if closing < 0:
                    self.unclosed = Unclosed(
                        pos, f"dollar-quoted string {match.group()}", current[0].start if current else pos
                    )
            elif end == length and kind in _CLOSED and not _CLOSED[kind].fullmatch(text, pos):
                self.unclosed = Unclosed(pos, _UNCLOSED[kind], current[0].start if current else pos)
            assert kind is not None
            token = Token(kind, pos, end, text[pos:end])
            pos = end
            word = token.text.upper() if kind == "word" else ""  # Token.upper, inlined: asked of every token
            if depth:
                if word in ("BEGIN", "CASE"):
                    depth += 1
                elif word == "END":
                    depth -= 1
                if depth == 0:
                    if body:
                        inner.append(Statement(tuple(body)))
                    body = []
                elif token.text == ";" and depth == 1:
                    if body:
                        inner.append(Statement(tuple(body)))
                    body = []
                    current.append(token)
                    continue
                else:
                    body.append(token)
                current.append(token)
                continue
            if token.text == ";":
                skim = self.upserts_only
                if current:
                    yield Statement(tuple(current), tuple(inner))
                    if psql and _is_copy_from_stdin(current):
                        data_end = _COPY_DATA_END.search(text, pos)
                        pos = data_end.end() if data_end else length
                current, inner, body_word = [], [], False
                continue
            if word == "BEGIN" and body_word and current[0].upper == "CREATE":
                depth = 1
            elif word in _BODY_WORDS:
                body_word = True
            current.append(token)
        if body:
            inner.append(Statement(tuple(body)))
        if current:
            yield Statement(tuple(current), tuple(inner))


def _is_copy_from_stdin(tokens: list[Token]) -> bool:
    words = [token.upper for token in tokens]
    return words[:1] == ["COPY"] and "STDIN" in words and "FROM" in words


def upsert_statements(text: str, *, psql: bool = True) -> list[Statement]:
    """The statements of ``text`` that are upserts, including those inside trigger and ``BEGIN ATOMIC`` bodies."""
    return _upserts(_Splitter(text, psql=psql, upserts_only=True))


def _upserts(statements: Iterable[Statement]) -> list[Statement]:
    found: list[Statement] = []
    for statement in statements:
        candidates = statement.inner or (statement,)
        found.extend(candidate for candidate in candidates if upsert_keywords(candidate) is not None)
    return found


def upsert_keywords(statement: Statement) -> tuple[int, int] | None:
    """Token indexes of ``INSERT`` and of ``CONFLICT`` in ``INSERT [OR x] INTO ... ON CONFLICT``, or None."""
    tokens = statement.tokens
    insert = None
    for index, token in enumerate(tokens):
        if token.kind != "word":
            continue
        word = token.text.upper()
        if word == "INSERT" and insert is None and _followed_by_into(tokens, index):
            insert = index
        elif word == "CONFLICT" and insert is not None and tokens[index - 1].upper == "ON":
            return insert, index
    return None


def _followed_by_into(tokens: tuple[Token, ...], index: int) -> bool:
    following = [token.upper for token in tokens[index + 1 : index + 4]]
    return following[:1] == ["INTO"] or (following[:1] == ["OR"] and following[2:3] == ["INTO"])


class _Positions:
    """(line, column) of offsets asked for in increasing order, counted as it goes (no index of every line)."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._offset = 0
        self._line = 1
        self._line_start = 0

    def position(self, offset: int) -> tuple[int, int]:
        if offset < self._offset:
            self._offset, self._line, self._line_start = 0, 1, 0
        newlines = self._text.count("\n", self._offset, offset)
        if newlines:
            self._line += newlines
            self._line_start = self._text.rfind("\n", self._offset, offset) + 1
        self._offset = offset
        return self._line, offset - self._line_start + 1


class LineIndex:
    """Turns offsets in a text into 1-based (line, column) pairs; columns count characters."""

    def __init__(self, text: str) -> None:
        self._starts = [0] + [match.end() for match in re.finditer("\n", text)]

    def position(self, offset: int) -> tuple[int, int]:
        line = bisect_right(self._starts, offset)
        return line, offset - self._starts[line - 1] + 1


def sites_from_sql(text: str, path: str) -> list[Site]:
    """Every upsert statement of a ``.sql`` script, located at its first token (``sql_file_sites`` also says what
    could not be read)."""
    return sql_file_sites(text, path)[0]


def sql_file_sites(text: str, path: str) -> tuple[list[Site], list[ScanProblem]]:
    """The sites of a ``.sql`` script, and a problem naming the line from which nothing was checked when an
    unclosed quote or comment swallows the end of it (the statement it sits in is not a site)."""
    reader = _Splitter(text, upserts_only=True)
    upserts = _upserts(reader)  # only the upserts are kept: a large script's other statements are dropped as read
    unclosed = reader.unclosed
    if unclosed is not None:
        upserts = [statement for statement in upserts if statement.start < unclosed.lost]
    lines = _Positions(text)
    sites = []
    for statement in upserts:
        line, column = lines.position(statement.start)
        sites.append(Site(path, line, column, "sql-file", text[statement.start : statement.end]))
    if unclosed is None:
        return sites, []
    lost = lines.position(unclosed.lost)[0]
    opened = lines.position(unclosed.opened)[0]
    message = rule_for("SP903").text(
        "unterminated" if opened == lost else "unterminated-opened", what=unclosed.what, opened=opened, lost=lost
    )
    return sites, [ScanProblem(path, lost, message)]
