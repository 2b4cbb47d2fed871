"""Finding upserts in SQL text: statements split on the shared reader's tokens (``schema_parity.sql``).

A script must be split *before* it can be parsed, and one statement that cannot be parsed must not hide the others;
the split reads sqlglot's tokens of the ``scan`` lexicon (:mod:`schema_parity.sql.tokens`), which know what can hide
a ``;`` or an ``ON CONFLICT``: string literals (``'...'`` with ``''``, ``E'...'`` with backslash escapes), quoted
identifiers (``"..."``, ```...```; ``[...]`` without quotes or line breaks is one too, as below), ``--`` and nested
``/* */`` comments, and dollar-quoted bodies (``$$...$$``, ``$tag$...$tag$``). A ``BEGIN ... END`` body of
``CREATE TRIGGER`` (SQLite) or ``BEGIN ATOMIC`` (PostgreSQL) is kept in one statement, and the statements inside it
are examined on their own. psql meta-commands (``\\set``) and ``COPY ... FROM stdin`` data are skipped.

The upsert scan skims (:func:`schema_parity.sql.skim.skip_statement`) and tokenizes only the statements that may hold
an upsert, each once, from its start to the ``;`` the skim found (or a growing window when the skim is not sure):
tokens are never held for more than the statement being read, and only the upserts are kept.

A quote, dollar quote or block comment that is never closed swallows the rest of the script: PostgreSQL and SQLite
reject such a script, and nothing after it can be checked, which ``sql_file_sites`` reports rather than pass over.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from schema_parity.rules import rule_for
from schema_parity.sites import ScanProblem, Site
from schema_parity.sql.groups import SyntaxMismatch, closing, depths
from schema_parity.sql.skim import COPY_DATA_END, block_comment_end, skip_statement, statement_end
from schema_parity.sql.tokens import Token, TokenType, scan_words, tokenize

#: A ``BEGIN`` starts a statement body (not a transaction) in a ``CREATE`` statement with one of these words.
_BODY_WORDS = frozenset({"TRIGGER", "FUNCTION", "PROCEDURE"})
#: Words of the statements an upsert scan must tokenize: upserts, statement bodies, and COPY (its data follows).
#: :func:`scan_words` compares ``str.upper()`` of a word, which turns a few other letters into these (dotless i,
#: U+0131, into ``I``; the ligature U+FB02 into ``FL``): a statement with one of them is tokenized too.
_UPSERT_SCAN_KEEPS = re.compile("[cCbB](?i:onflict|opy|egin)|[\u0131\u0149\u1e97\u1e99\ufb00-\ufb06]")
#: A ``[...]`` identifier (SQLite, SQL Server): no quote or line break inside, or ``[`` is an operator.
_BRACKETED = re.compile(r"\[[^\]'\"\n]*\]")
_SPACE_OR_LINE_COMMENT = re.compile(r"(?:\s+|--[^\n]*)*")
_NUMBER = re.compile(r"\d[\w.]*")
_BRACKET_TO_END = re.compile(r"\[[^\]'\"\n]*\Z")
_DIGITS = re.compile(r"\d+")
_DOLLAR = re.compile(r"\$(?:[^\W\d]\w*)?\$")
#: Characters after a run of digits that end a number for sqlglot and for ``\\d[\\w.]*`` alike ("" is the end).
_AFTER_DIGITS = frozenset(["", " ", "\t", "\n", "\r", ",", ")", "(", ";", "'", "=", "+", "-", "*", "/", "<", ">", ":"])
_MAYBE_OWN = frozenset({TokenType.HEREDOC_STRING, TokenType.L_BRACKET, TokenType.NUMBER})
#: Characters tokenized at first for a statement the skim could not bound; doubled while the statement goes on.
_WINDOW = 1 << 12
#: Token kinds the splitter compares every token with (``TokenType.X`` on the enum class costs 15 global look-ups).
_SEMICOLON, _BACKSLASH = TokenType.SEMICOLON, TokenType.BACKSLASH
_STRING_TYPES = frozenset(
    {TokenType.STRING, TokenType.BYTE_STRING, TokenType.NATIONAL_STRING, TokenType.HEREDOC_STRING}
)


@dataclass(frozen=True, eq=False)
class Statement:
    """One statement of a script: its tokens without the closing ``;`` (never empty), which index ``source``, the
    part of the script from ``offset`` on that was tokenized (the ``[...]`` identifiers masked, see ``_Window``).
    Two statements are equal when they span the same text of the script, with the same inner statements."""

    source: str
    offset: int
    tokens: tuple[Token, ...]
    words: tuple[str, ...]
    """Each token's upper-cased bare word, ``""`` for anything else (:func:`scan_words`)."""
    inner: tuple[Statement, ...] = ()
    """Statements of a ``BEGIN ... END`` body, for trigger bodies and ``BEGIN ATOMIC`` functions."""

    @property
    def start(self) -> int:
        """Offset of the first token in the script."""
        return self.offset + self.tokens[0].start

    @property
    def end(self) -> int:
        """Offset just past the last token in the script."""
        return self.offset + self.tokens[-1].end + 1

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Statement):
            return NotImplemented
        return (self.start, self.end, self.inner) == (other.start, other.end, other.inner)

    def __hash__(self) -> int:
        return hash((self.start, self.end))

    def word(self, index: int) -> str:
        """The upper-cased bare word of token ``index``, ``""`` for anything else."""
        return self.words[index]

    def is_string(self, index: int) -> bool:
        """Token ``index`` is a string literal (quoted or dollar-quoted)."""
        return self.tokens[index].token_type in _STRING_TYPES

    def is_identifier(self, index: int) -> bool:
        """Token ``index`` is a quoted identifier."""
        return self.tokens[index].token_type == TokenType.IDENTIFIER

    def is_dot(self, index: int) -> bool:
        """Token ``index`` is a ``.`` (False past either end)."""
        return 0 <= index < len(self.tokens) and self.tokens[index].token_type == TokenType.DOT

    def upsert_keywords(self) -> tuple[int, int] | None:
        """Token indexes of ``INSERT`` and of ``CONFLICT`` in ``INSERT [OR x] INTO ... ON CONFLICT``, or None."""
        words = self.words
        insert = None
        for index, word in enumerate(words):
            if word == "INSERT" and insert is None and _followed_by_into(words, index):
                insert = index
            elif word == "CONFLICT" and insert is not None and words[index - 1] == "ON":
                return insert, index
        return None

    def table_span(self, insert: int) -> range:
        """Token indexes of the (possibly qualified) table name of ``INSERT [OR x] INTO name``."""
        start = insert + 2 if self.words[insert + 1] == "INTO" else insert + 4
        end = start + 1
        while end + 1 < len(self.tokens) and self.is_dot(end):
            end += 2
        return range(start, min(end, len(self.tokens)))

    def group(self, start: int) -> range:
        """Token indexes of the parenthesised group at ``start`` (to the end when never closed), or an empty
        range."""
        tokens = self.tokens
        if start >= len(tokens) or tokens[start].token_type != TokenType.L_PAREN:
            return range(0)
        try:
            return range(start, closing(tokens, start) + 1)
        except SyntaxMismatch:
            return range(start, len(tokens))

    def set_heads(self, do: int) -> set[int]:
        """Token indexes where a ``DO UPDATE SET`` assignment starts (the column being assigned), ``do`` being
        the index of ``DO``."""
        tokens, words = self.tokens, self.words
        heads: set[int] = set()
        if not (do + 2 < len(tokens) and words[do + 1] == "UPDATE" and words[do + 2] == "SET"):
            return heads
        heads.add(do + 3)
        for index, depth in enumerate(depths(tokens[do + 3 :]), do + 3):
            if depth:
                continue
            if words[index] in ("WHERE", "RETURNING"):
                break
            if tokens[index].token_type == TokenType.COMMA:
                heads.add(index + 1)
        return heads


@dataclass(frozen=True)
class Unclosed:
    """A quote, dollar quote or block comment never closed: ``opened`` is its offset, ``what`` names it, ``lost`` is
    the offset from which the script could not be read (the start of the statement it sits in)."""

    opened: int
    what: str
    lost: int


class _Window:
    """The tokens of ``text[start:stop]``, read once: sqlglot's ``scan`` tokens, the few the site finder reads its own
    way (see :func:`_own_reading`), and where reading stopped on a construct never closed: ``stopped_at``, or
    ``open_dollar``, the offset and tag of a dollar quote that runs to the end of the window; a window that ends
    inside ``[...]`` is ``open_bracket``."""

    def __init__(self, text: str, start: int, stop: int) -> None:
        self.source = source = text[start:stop]
        tokenized = tokenize(source, "scan")
        tokens = tokenized.tokens
        self.open_dollar: tuple[int, str] | None = None
        self.open_bracket = False
        """A ``[`` that may open an identifier closed past the window (its ``;`` would not end a statement)."""
        found = _own_reading(source, tokens)
        if found is not None:
            read: list[Token] = []
            while found is not None:
                index, mine = found
                read += tokens[:index]
                read.append(mine)
                after = mine.end + 1  # sqlglot reads on from there, as from the start of a text
                tokenized = tokenize(" " * after + source[after:], "scan")
                tokens = tokenized.tokens
                found = _own_reading(source, tokens)
            last = read[-1] if not tokens else None
            tokens = read + tokens
            if last is not None and last.token_type == TokenType.HEREDOC_STRING:
                tag = _DOLLAR.match(last.text)
                assert tag is not None
                if len(last.text) < 2 * len(tag.group()) or not last.text.endswith(tag.group()):
                    self.open_dollar = (last.start, tag.group())
        self.open_bracket = (
            any(
                token.token_type == TokenType.L_BRACKET and _BRACKET_TO_END.match(source, token.start)
                for token in tokens
            )
            if "[" in source
            else False
        )
        self.tokens = tokens
        self.stopped_at = tokenized.stopped_at


def _own_reading(source: str, tokens: list[Token]) -> tuple[int, Token] | None:
    """The first token the site finder reads its own way where sqlglot's reading differs, with the index of the
    sqlglot token it starts at: a dollar quote (PostgreSQL's tag, a letter then letters and digits; sqlglot takes
    any text up to the next ``$``), a ``[...]`` identifier (sqlglot reads ``[`` as an operator), ``$`` and its digits
    (a parameter: ``$1E'x'`` is not the number ``1E``) and a number running on over letters, digits and dots
    (``1a``, ``1.2.3``, where sqlglot stops). sqlglot's tokens after it may be misreadings: they are read again."""
    previous: Token | None = None
    for index, token in enumerate(tokens):
        kind = token.token_type
        if kind not in _MAYBE_OWN:
            previous = token
            continue
        at, mine = token.start, None
        if kind == TokenType.HEREDOC_STRING:  # the scan lexicon's lone ``$``
            if (match := _DOLLAR.match(source, at)) is not None:
                tag = match.group()
                closing = source.find(tag, match.end())
                end = len(source) if closing < 0 else closing + len(tag)
                mine = Token(TokenType.HEREDOC_STRING, source[at:end], token.line, token.col, at, end - 1)
            elif (match := _DIGITS.match(source, at + 1)) is not None:
                number = tokens[index + 1] if index + 1 < len(tokens) else None
                if number is None or number.start != at + 1 or number.end + 1 != match.end():
                    end = match.end()
                    mine = Token(TokenType.PARAMETER, source[at:end], token.line, token.col, at, end - 1)
        elif kind == TokenType.L_BRACKET:
            if (match := _BRACKETED.match(source, at)) is not None:
                mine = Token(TokenType.IDENTIFIER, match.group(), token.line, token.col, at, match.end() - 1)
        elif token.text.isdigit() and source[token.end + 1 : token.end + 2] in _AFTER_DIGITS:
            pass  # the common number: digits, then what ends a number in either reading
        elif previous is None or previous.token_type != TokenType.HEREDOC_STRING or previous.end != at - 1:
            match = _NUMBER.match(source, at)  # a NUMBER, not the digits of a parameter
            if match is not None and match.end() != token.end + 1:
                mine = Token(TokenType.NUMBER, match.group(), token.line, token.col, at, match.end() - 1)
        if mine is not None:
            return index, mine
        previous = token
    return None


def _unclosed_token(source: str, at: int) -> tuple[int, Token | None, str]:
    """Where the quote or comment that is never closed begins, at or after ``at`` (past whitespace and closed
    comments: sqlglot stops after its last token), the token it makes (it runs to the end; none for a comment), and
    its name for the message (dollar quotes are found by ``_Window``)."""
    while True:
        at = _SPACE_OR_LINE_COMMENT.match(source, at).end()  # type: ignore[union-attr]
        if not source.startswith("/*", at) or (closed := block_comment_end(source, at)) < 0:
            break
        at = closed
    head = source[at : at + 2]
    if head == "/*":
        return at, None, "block comment /*"
    if head[:1] in '"`':
        what, kind = "quoted identifier", TokenType.IDENTIFIER
    else:
        what, kind = "quoted string", TokenType.STRING
    return at, Token(kind, source[at:], 1, 1, at, len(source) - 1), what


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
        text, length, pos = self.text, len(self.text), 0
        while pos < length:
            if self.upserts_only:
                skipped = skip_statement(text, pos, _UPSERT_SCAN_KEEPS)
                if skipped is not None:
                    pos = skipped
                    continue
                bound = statement_end(text, pos)
            else:
                bound = None
            stop = bound if bound is not None else min(length, pos + _WINDOW)
            while True:
                window = _Window(text, pos, stop)
                done, resume = self._split(window, pos, stop == length)
                if resume is not None:
                    yield from done
                    pos = resume
                    break
                stop = min(length, pos + 2 * (stop - pos))  # the statement goes on past the window

    def _split(self, window: _Window, offset: int, last: bool) -> tuple[list[Statement], int | None]:
        """The statements of one window, and the script offset to read on from; None when the window ends inside a
        statement that is not the script's last (it is read again from its start in a larger window)."""
        source, psql, tokens = window.source, self.psql, window.tokens
        done: list[Statement] = []
        current = -1  # index of the current statement's first token (-1: none yet)
        body = -1  # index of the first token of the current statement's body statement (-1: none yet)
        inner: list[Statement] = []
        depth = 0  # BEGIN/CASE ... END nesting inside a block statement
        atomic = False  # the previous token opened a body: an ATOMIC now belongs to that BEGIN
        body_word = False  # the statement has a word of _BODY_WORDS: a BEGIN after CREATE opens its body
        consumed = 0  # window offset just past the last complete statement
        unclosed: tuple[int, str] | None = None
        if (window.open_dollar is not None or window.open_bracket) and not last:
            return [], None  # the dollar quote or the brackets may close past the window
        if window.open_dollar is not None:  # its token runs to the end of the script
            at, tag = window.open_dollar
            unclosed = (at, f"dollar-quoted string {tag}")
        elif window.stopped_at is not None and last:  # never closed: it runs to the end of the script
            at, extra, what = _unclosed_token(source, window.stopped_at)
            tokens = [*tokens, extra] if extra is not None else tokens
            unclosed = (at, what)
        words = scan_words(tokens)
        for index, token in enumerate(tokens):
            kind = token.token_type
            if current < 0 and psql and kind is _BACKSLASH:  # psql meta-command: to the end of its line
                newline = source.find("\n", token.start)
                if newline < 0 and not last:
                    return ([], None) if not done else (done, offset + consumed)
                return done, (offset + newline + 1 if newline >= 0 else offset + len(source))
            word = words[index]
            if atomic:
                atomic = False
                if word == "ATOMIC":  # PostgreSQL's BEGIN ATOMIC: not the first word of the body's first statement
                    continue
            if depth:
                if word in ("BEGIN", "CASE"):
                    depth += 1
                elif word == "END":
                    depth -= 1
                if depth == 0 or (kind is _SEMICOLON and depth == 1):
                    if body >= 0:
                        inner.append(Statement(source, offset, tuple(tokens[body:index]), tuple(words[body:index])))
                    body = -1
                elif body < 0:
                    body = index
                continue
            if kind is _SEMICOLON:
                consumed = token.end + 1
                if current >= 0:
                    statement_words = tuple(words[current:index])
                    done.append(Statement(source, offset, tuple(tokens[current:index]), statement_words, tuple(inner)))
                    if psql and _is_copy_from_stdin(statement_words):
                        data_end = COPY_DATA_END.search(self.text, offset + consumed)
                        return done, (data_end.end() if data_end else len(self.text))
                current, inner, body_word = -1, [], False
                if self.upserts_only:
                    return done, offset + consumed
                continue
            if current < 0:
                current = index
            elif word == "BEGIN" and body_word and words[current] == "CREATE":
                depth, atomic = 1, True
            if word in _BODY_WORDS:
                body_word = True
        if not last:
            return (done, offset + consumed) if done else ([], None)
        if unclosed is not None:
            at, what = unclosed
            self.unclosed = Unclosed(offset + at, what, offset + (tokens[current].start if current >= 0 else at))
        end = len(tokens)
        if body >= 0:
            inner.append(Statement(source, offset, tuple(tokens[body:end]), tuple(words[body:end])))
        if current >= 0:
            done.append(Statement(source, offset, tuple(tokens[current:end]), tuple(words[current:end]), tuple(inner)))
        return done, offset + len(source)


def _is_copy_from_stdin(words: tuple[str, ...]) -> bool:
    return words[:1] == ("COPY",) and "STDIN" in words and "FROM" in words


def upsert_statements(text: str, *, psql: bool = True) -> list[Statement]:
    """The statements of ``text`` that are upserts, including those inside trigger and ``BEGIN ATOMIC`` bodies."""
    return _upserts(_Splitter(text, psql=psql, upserts_only=True))


def _upserts(statements: Iterable[Statement]) -> list[Statement]:
    found: list[Statement] = []
    for statement in statements:
        candidates = statement.inner or (statement,)
        found.extend(candidate for candidate in candidates if candidate.upsert_keywords() is not None)
    return found


def _followed_by_into(words: tuple[str, ...], index: int) -> bool:
    following = words[index + 1 : index + 4]
    return following[:1] == ("INTO",) or (following[:1] == ("OR",) and following[2:3] == ("INTO",))


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
