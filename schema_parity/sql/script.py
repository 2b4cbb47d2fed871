"""Scripts: a text of many statements, read once, in bounded chunks, split where the engine's client splits it.

A script is split at top-level ``;`` (not inside parentheses, as psql does for a multi-action ``CREATE RULE``),
except inside the ``BEGIN ... END`` body of ``CREATE TRIGGER`` (SQLite) or ``BEGIN ATOMIC`` (PostgreSQL), whose
statements are kept as the statement's ``inner`` ones. In a psql script (``psql=True``) a backslash command runs to
the end of its line and ``COPY ... FROM stdin`` is followed by data lines up to ``\\.``; neither applies to SQL sent
through a driver.

The text is tokenized once, a chunk at a time, so a large file never lives in memory as one token list: a chunk's
complete statements are yielded and the unfinished rest is read again with the next chunk (a prefix of a text
tokenizes exactly as the text does, up to its last complete token). When the tokenizer meets something it cannot
read at the end of the file (an unterminated string, quoted identifier, dollar quote or comment), the statements
before it are yielded and :attr:`Script.unreadable` says from which line nothing was read.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TextIO

from schema_parity.sql.tokens import Lexicon, Token, TokenType, tokenize, word

__all__ = ["Script", "Statement", "Unreadable"]

#: Characters read per chunk; a statement longer than this is read in a doubled chunk.
CHUNK = 1 << 17
_COPY_DATA_END = re.compile(r"^\\\.[ \t]*(?:\n|\Z)", re.MULTILINE)
_BODY_WORDS = frozenset({"TRIGGER", "FUNCTION", "PROCEDURE"})
_BACKSLASH, _SEMICOLON = TokenType.BACKSLASH, TokenType.SEMICOLON
_L_PAREN, _R_PAREN = TokenType.L_PAREN, TokenType.R_PAREN


@dataclass(frozen=True)
class Statement:
    """One statement: its tokens (never empty, without the closing ``;``), which index ``source``.

    ``source`` is the chunk of the script the tokens were read from and ``offset`` the script offset of its first
    character, so positions are those of the script.
    """

    source: str
    tokens: tuple[Token, ...]
    offset: int = 0
    line: int = 1
    """Line of the first token in the script."""
    column: int = 1
    """Column of the first token in the script."""
    inner: tuple[Statement, ...] = ()
    """Statements of a ``BEGIN ... END`` body (trigger bodies, ``BEGIN ATOMIC`` functions)."""

    @property
    def start(self) -> int:
        """Offset of the first token in the script."""
        return self.offset + self.tokens[0].start

    @property
    def end(self) -> int:
        """Offset just past the last token in the script."""
        return self.offset + self.tokens[-1].end + 1

    @property
    def text(self) -> str:
        return self.source[self.tokens[0].start : self.tokens[-1].end + 1]

    def position(self, token: Token) -> tuple[int, int]:
        """1-based line and column in the script of one of the statement's tokens."""
        return _Lines(self.source, self.tokens[0].start, self.line, self.column).at(token.start)

    def words(self) -> list[str]:
        """The upper-cased bare words of the statement, in order (``""`` for other tokens)."""
        return [word(token, self.source) for token in self.tokens]


@dataclass(frozen=True)
class Unreadable:
    """Where reading a script stopped: the construct never ends, so nothing from ``line`` on was read."""

    line: int
    """First line of the statement that holds the construct: no statement from there on was read."""
    construct_line: int
    what: str
    """``string``, ``quoted identifier``, ``dollar-quoted string``, ``block comment`` or ``text``."""

    def message(self) -> str:
        return (
            f"an unterminated {self.what} at line {self.construct_line}: nothing from line {self.line} to the end "
            "of the file was read"
        )


class _Split:
    """The splitting state over one chunk's tokens: statements, and where the reading must start again."""

    def __init__(self, source: str, psql: bool, eof: bool, split_in_parentheses: bool = False) -> None:
        self.source = source
        self.psql = psql
        self.split_in_parentheses = split_in_parentheses
        self.eof = eof
        self.done: list[tuple[list[Token], list[list[Token]]]] = []
        self.consumed = 0
        """Offset in ``source`` just past the last complete statement (or skipped line)."""
        self.resume: int | None = None
        """Set when the rest of the chunk must be tokenized again from this offset (a psql command, COPY data)."""
        self.copy_data_at: int | None = None
        """Set when COPY ... FROM stdin data starts at this offset."""
        self.current: list[Token] = []
        self.body: list[Token] = []
        self.inner: list[list[Token]] = []
        self.depth = 0
        self.parens = 0
        self.atomic = False
        """The previous token opened a body: an ``ATOMIC`` now belongs to that ``BEGIN``."""
        self.body_word = False
        """The statement has a word of ``_BODY_WORDS`` among its first ``self.seen`` tokens."""
        self.seen = 0

    def run(self, tokens: Sequence[Token]) -> None:
        # Every token of a script passes here: the names the loop reads are local variables (a third of its time
        # went to looking them up as globals and attributes).
        psql, source, split_anywhere = self.psql, self.source, self.split_in_parentheses
        backslash, semicolon, l_paren, r_paren = _BACKSLASH, _SEMICOLON, _L_PAREN, _R_PAREN
        append = self.current.append
        for token in tokens:
            kind = token.token_type
            if psql and kind is backslash:
                # A psql command: it ends the statement before it and runs to the end of its line.
                newline = source.find("\n", token.start)
                if newline < 0 and not self.eof:
                    return  # the rest of its line is in the next chunk
                self._close(token.start)
                self.resume = self.consumed = len(source) if newline < 0 else newline + 1
                return
            if self.depth or self.atomic:  # inside a body: the words BEGIN, CASE, END and ATOMIC count
                self._take(token)
                append = self.current.append  # _take may have closed the statement
                continue
            # Outside a body only ``;``, parentheses and a ``BEGIN`` count: the word of a token is looked at only
            # when it has five characters (a bare word is ASCII, so its upper case has as many).
            if kind is semicolon and (self.parens <= 0 or split_anywhere):
                self._close(token.end + 1)
                if self.copy_data_at is not None:
                    return
                append = self.current.append
                continue
            if kind is l_paren:
                self.parens += 1
            elif kind is r_paren:
                self.parens -= 1
            elif len(token.text) == 5 and word(token, source) == "BEGIN" and self._opens_body():
                self.depth = 1
                self.atomic = True
            append(token)

    def _take(self, token: Token) -> bool:
        """Add one token; True when it closed a statement."""
        text = word(token, self.source)
        if self.atomic:
            self.atomic = False
            if text == "ATOMIC":  # PostgreSQL's BEGIN ATOMIC: the word belongs to BEGIN, not to the first statement
                self.current.append(token)
                return False
        if self.depth:
            if text in ("BEGIN", "CASE"):
                self.depth += 1
            elif text == "END":
                self.depth -= 1
            if self.depth == 0 or (token.token_type == TokenType.SEMICOLON and self.depth == 1):
                self._inner_done()
            else:
                self.body.append(token)
            self.current.append(token)
            return False
        if token.token_type == TokenType.SEMICOLON and (self.parens <= 0 or self.split_in_parentheses):
            self._close(token.end + 1)
            return True
        if text == "BEGIN" and self._opens_body():
            self.depth = 1
            self.atomic = True
        elif token.token_type == TokenType.L_PAREN:
            self.parens += 1
        elif token.token_type == TokenType.R_PAREN:
            self.parens -= 1
        self.current.append(token)
        return False

    def _inner_done(self) -> None:
        if self.body:
            self.inner.append(self.body)
        self.body = []

    def _opens_body(self) -> bool:
        """Whether a ``BEGIN`` here starts a statement body rather than a transaction (each token is looked at
        once, however many BEGINs a statement has)."""
        current = self.current
        if not current or word(current[0], self.source) != "CREATE":
            return False
        if not self.body_word:
            self.body_word = any(word(token, self.source) in _BODY_WORDS for token in current[self.seen :])
            self.seen = len(current)
        return self.body_word

    def _close(self, consumed: int) -> None:
        if self.current:
            if self.body:
                self.inner.append(self.body)
            self.done.append((self.current, self.inner))
            if self.psql and _is_copy_from_stdin(self.current, self.source):
                newline = self.source.find("\n", consumed)
                self.copy_data_at = len(self.source) if newline < 0 else newline + 1
        self.current, self.body, self.inner, self.depth, self.parens = [], [], [], 0, 0
        self.body_word, self.seen = False, 0
        self.consumed = consumed

    def finish(self) -> None:
        """The chunk is the end of the script: what is left is the last statement."""
        self._close(len(self.source))


def _is_copy_from_stdin(tokens: list[Token], source: str) -> bool:
    """The words of the statement are read only when it starts with COPY (every statement of a script ends here)."""
    if word(tokens[0], source) != "COPY":
        return False
    words = [word(t, source) for t in tokens]
    return "STDIN" in words and "FROM" in words


class Script:
    """The statements of a script (a string or a text stream), yielded as they are read.

    Iterate once; afterwards :attr:`unreadable` tells whether the reading stopped before the end of the text.
    ``split_in_parentheses``: a ``;`` inside parentheses ends the statement too, as a driver's script splitting
    does (SQLite's ``sqlite3_complete``), so a stray ``(`` costs its own statement rather than the rest of the text.
    """

    def __init__(
        self,
        source: str | TextIO,
        lexicon: Lexicon,
        *,
        psql: bool = True,
        chunk: int = CHUNK,
        split_in_parentheses: bool = False,
    ) -> None:
        self._stream = io.StringIO(source) if isinstance(source, str) else source
        self.lexicon: Lexicon = lexicon
        self.psql = psql
        self.split_in_parentheses = split_in_parentheses
        self.chunk = chunk
        self.unreadable: Unreadable | None = None

    def __iter__(self) -> Iterator[Statement]:
        buffer, offset, line, column = "", 0, 1, 1
        eof = False
        want = self.chunk
        while True:
            while not eof and len(buffer) < want:
                more = self._stream.read(want - len(buffer))
                eof = not more
                buffer += more
            tokenized = tokenize(buffer, self.lexicon)
            split = _Split(buffer, self.psql, eof, self.split_in_parentheses)
            split.run(tokenized.tokens)
            complete = eof and tokenized.stopped_at is None and split.resume is None and split.copy_data_at is None
            if complete:
                split.finish()
            lines = _Lines(buffer, 0, line, column)
            for tokens, inner in split.done:
                yield self._statement(buffer, tokens, inner, offset, lines)
            consumed = split.consumed
            if split.copy_data_at is not None:
                buffer, eof, consumed, (offset, line, column) = self._skip_copy_data(
                    buffer, split.copy_data_at, eof, (offset, line, column)
                )
            if complete:
                return
            if eof and consumed == 0 and split.resume is None and split.copy_data_at is None:
                self.unreadable = self._unreadable(buffer, tokenized.stopped_at, split, line)
                return
            if consumed == 0:
                want *= 2  # one statement longer than the chunk
                continue
            line, column = _advance(buffer, consumed, line, column)
            buffer, offset, want = buffer[consumed:], offset + consumed, self.chunk

    def _skip_copy_data(
        self, buffer: str, start: int, eof: bool, position: tuple[int, int, int]
    ) -> tuple[str, bool, int, tuple[int, int, int]]:
        """Read on to the ``\\.`` line that ends COPY data; return the buffer, eof, the offset past the data, and the
        (offset, line, column) of the buffer's start. Whole lines of data are dropped as they are searched, so the
        data is never held at once nor copied again with each chunk read (it may be gigabytes)."""
        offset, line, column = position
        while True:
            found = _COPY_DATA_END.search(buffer, start)
            if found is not None:
                return buffer, eof, found.end(), (offset, line, column)
            if eof:
                return buffer, eof, len(buffer), (offset, line, column)
            keep = buffer.rfind("\n", start) + 1  # the unfinished last line is searched again with more text
            if keep > start:
                line, column = _advance(buffer, keep, line, column)
                buffer, offset, start = buffer[keep:], offset + keep, 0
            more = self._stream.read(self.chunk)
            eof = not more
            buffer += more

    @staticmethod
    def _statement(source: str, tokens: list[Token], inner: list[list[Token]], offset: int, lines: _Lines) -> Statement:
        line, column = lines.at(tokens[0].start)
        if not inner:
            return Statement(source, tuple(tokens), offset, line, column)
        within = _Lines(source, tokens[0].start, line, column)
        bodies = tuple(Statement(source, tuple(body), offset, *within.at(body[0].start)) for body in inner)
        return Statement(source, tuple(tokens), offset, line, column, bodies)

    @staticmethod
    def _unreadable(buffer: str, stopped_at: int | None, split: _Split, line: int) -> Unreadable:
        at = stopped_at if stopped_at is not None else len(buffer)
        first = split.current[0].start if split.current else at
        return Unreadable(
            line=line + buffer.count("\n", 0, first),
            construct_line=line + buffer.count("\n", 0, at),
            what=_construct(buffer, at),
        )


class _Lines:
    """Line and column of offsets in ``text``, moving forward from a known position (each text scanned once)."""

    def __init__(self, text: str, offset: int, line: int, column: int) -> None:
        self.text, self.offset, self.line, self.column = text, offset, line, column

    def at(self, offset: int) -> tuple[int, int]:
        """The position of ``offset``; offsets asked for must not decrease."""
        newlines = self.text.count("\n", self.offset, offset)
        if newlines:
            self.line += newlines
            self.column = offset - self.text.rfind("\n", self.offset, offset)
        else:
            self.column += offset - self.offset
        self.offset = offset
        return self.line, self.column


def _advance(buffer: str, consumed: int, line: int, column: int) -> tuple[int, int]:
    """Line and column of ``buffer[consumed]`` given those of ``buffer[0]``."""
    return _Lines(buffer, 0, line, column).at(consumed)


def _construct(text: str, at: int) -> str:
    """What begins at ``at``, for the message about a construct that never ends."""
    head = text[at : at + 2]
    if head.startswith("/*"):
        return "block comment"
    if head[:1] == "$":
        return "dollar-quoted string"
    if head[:1] in "\"`[":
        return "quoted identifier"
    if head[:1] == "'" or (head[:1] in "eEbBxXnNuU" and head[1:2] == "'"):
        return "string"
    return "text"
