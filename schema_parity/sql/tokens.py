"""Tokens: sqlglot's tokenizer for each dialect, and the few questions every reader asks of a token.

Every reader of SQL text in the project (scripts, DDL replay, upsert statements, SQLite's expression parser) works
on these tokens, so quoting rules (``''`` escapes, ``E'...'``, dollar quotes, nested comments, quoted identifiers)
are decided in one place: sqlglot's tokenizer, compiled when ``sqlglotc`` is installed.

A token's ``start``/``end`` are inclusive offsets into the text it was cut from; its ``text`` is the unquoted
content for strings and quoted identifiers, so "is this the bare word X" compares the token with its source text.
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import ClassVar, Literal

from sqlglot.dialects.dialect import Dialect as SqlglotDialect
from sqlglot.errors import TokenError
from sqlglot.parser import Parser
from sqlglot.tokenizer_core import Token, TokenType
from sqlglot.tokens import Tokenizer

__all__ = [
    "SQLGLOT",
    "SQLGLOT_NAME",
    "Lexicon",
    "Token",
    "TokenType",
    "Tokenized",
    "dialect_parser",
    "dialect_tokens",
    "expand_multiword",
    "is_word",
    "mask_placeholders",
    "scan_words",
    "tokenize",
    "word",
]

Lexicon = Literal["postgresql", "sqlite", "script", "scan"]
"""Whose quoting rules apply: an engine's, or ``script`` for a ``.sql`` file of unknown dialect (PostgreSQL's rules,
which also know dollar quotes, plus MySQL/SQLite backtick identifiers), or ``scan`` for the site finder (``script``'s
quoting, every word a ``VAR`` token: see :func:`scan_words`)."""

#: sqlglot's name of each engine's dialect.
SQLGLOT_NAME: dict[str, str] = {"postgresql": "postgres", "sqlite": "sqlite"}


class _Dialects(dict[str, SqlglotDialect]):
    """One sqlglot dialect object per name: ``get_or_raise("postgres")`` builds a new one on every call (a tenth of a
    statement's parse time). Each is built on first use: a check for PostgreSQL alone never loads sqlglot's SQLite
    dialect (a share of start-up)."""

    def __missing__(self, name: str) -> SqlglotDialect:
        dialect = self[name] = SqlglotDialect.get_or_raise(name)
        return dialect


SQLGLOT: dict[str, SqlglotDialect] = _Dialects()

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*\Z")
_MULTIWORD = re.compile(r"[A-Za-z_]+(?:\s+[A-Za-z_]+)+\Z")
_WORD_PART = re.compile(r"[A-Za-z_]+")


@functools.cache
def _script_tokenizers() -> tuple[type[Tokenizer], type[Tokenizer]]:
    """The ``script`` and ``scan`` tokenizer classes, made on first use: they derive from sqlglot's PostgreSQL
    tokenizer, and reading SQLite's stored statements (every process that catalogs a migrated SQLite database)
    needs neither that dialect nor these classes (each class builds its keyword tables)."""
    from sqlglot.dialects.postgres import Postgres

    class _ScriptTokenizer(Postgres.Tokenizer):
        """PostgreSQL's quoting plus backtick identifiers: what can hide a ``;`` in a script of either engine."""

        IDENTIFIERS = ['"', "`"]

    class _ScanTokenizer(_ScriptTokenizer):
        """The site finder's tokens: ``script``'s quoting without keywords, so every word is a ``VAR`` (no
        multi-word tokens to split again, and the keyword trie is not walked: the finder only looks for a few
        words), and only the ``E'...'`` prefix makes a string of its own (``B'``, ``X'`` and ``U&'`` read as a word
        and a string, as both engines split them at a quote). A ``$`` that starts a token is a token of its own:
        the site finder reads dollar quotes with PostgreSQL's rule for their tag (``schema_parity.sites.sql``)."""

        KEYWORDS: ClassVar[dict[str, TokenType]] = {}
        HEREDOC_STRINGS: ClassVar[list[str | tuple[str, str]]] = []
        BIT_STRINGS: ClassVar[list[str | tuple[str, str]]] = []
        HEX_STRINGS: ClassVar[list[str | tuple[str, str]]] = []
        UNICODE_STRINGS: ClassVar[list[str | tuple[str, str]]] = []

    return _ScriptTokenizer, _ScanTokenizer


def _postgres_tokenizer() -> Tokenizer:
    """PostgreSQL's tokenizer, its dialect loaded only now (see ``_Dialects``)."""
    return SQLGLOT["postgres"].tokenizer_class()


def _sqlite_tokenizer() -> Tokenizer:
    """SQLite's tokenizer, its dialect loaded only now (see ``_Dialects``)."""
    return SQLGLOT["sqlite"].tokenizer_class()


_TOKENIZERS: dict[str, Callable[[], Tokenizer]] = {
    "postgresql": _postgres_tokenizer,
    "sqlite": _sqlite_tokenizer,
    "script": lambda: _script_tokenizers()[0](),  # noqa: PLW0108 (the classes are made on the first call)
    "scan": lambda: _script_tokenizers()[1](),  # noqa: PLW0108
}


class _PerThread(threading.local):
    """Each thread's tokenizers, built once: building one costs about 25 times tokenizing a short expression
    (benchmarks/sql_reader.py), and the verdicts tokenize many short texts. A tokenizer keeps the state of the text
    it reads, so threads do not share one."""

    def __init__(self) -> None:
        self.lexicons: dict[str, Tokenizer] = {}
        self.dialects: dict[str, Tokenizer] = {}
        self.parsers: dict[str, Parser] = {}


_PER_THREAD = _PerThread()


def _lexicon_tokenizer(lexicon: Lexicon) -> Tokenizer:
    tokenizer = _PER_THREAD.lexicons.get(lexicon)
    if tokenizer is None:
        tokenizer = _PER_THREAD.lexicons[lexicon] = _TOKENIZERS[lexicon]()
    return tokenizer


def dialect_tokens(text: str, dialect: str) -> list[Token]:
    """The tokens of the engine ``dialect``'s own sqlglot tokenizer (bound to the dialect, so string values are
    unescaped as the dialect does: what sqlglot's parser expects); raises ``TokenError`` on text it cannot read."""
    tokenizer = _PER_THREAD.dialects.get(dialect)
    if tokenizer is None:
        tokenizer = _PER_THREAD.dialects[dialect] = SQLGLOT[SQLGLOT_NAME[dialect]].tokenizer()
    tokens = tokenizer.tokenize(text)
    if dialect == "postgresql" and any(t.token_type == TokenType.BIT for t in tokens):
        return _varbit(tokens)
    return tokens


def _varbit(tokens: list[Token]) -> list[Token]:
    """``bit varying`` as one type name, ``varbit`` (gram.y's BitWithLength/BitWithoutLength name the type so):
    sqlglot reads ``x::bit varying`` as ``x::bit`` aliased ``varying`` and cannot read ``CAST(x AS bit varying)``."""
    out: list[Token] = []
    for token in tokens:
        previous = out[-1] if out else None
        if (
            previous is not None
            and previous.token_type == TokenType.BIT
            and token.token_type == TokenType.VAR
            and token.text.upper() == "VARYING"
        ):
            out[-1] = Token(
                TokenType.VAR,
                "varbit",
                line=previous.line,
                col=previous.col,
                start=previous.start,
                end=token.end,
                comments=[*previous.comments, *token.comments],
            )
        else:
            out.append(token)
    return out


def dialect_parser(dialect: str) -> Parser:
    """The engine ``dialect``'s sqlglot parser with its default options, built once per thread (building one costs
    as much as parsing a short statement; ``parse`` resets its state, so one parser reads text after text)."""
    parser = _PER_THREAD.parsers.get(dialect)
    if parser is None:
        parser = _PER_THREAD.parsers[dialect] = SQLGLOT[SQLGLOT_NAME[dialect]].parser()
    return parser


class Tokenized:
    """The tokens of a text; when the tokenizer stopped at text it cannot read, ``stopped_at`` is that offset.

    sqlglot raises on an unterminated string, quoted identifier, dollar quote or block comment, keeping the tokens
    it had read; they are all valid, so a reader can use them and report where reading stopped.
    """

    __slots__ = ("stopped_at", "text", "tokens")

    def __init__(self, text: str, tokens: list[Token], stopped_at: int | None) -> None:
        self.text = text
        self.tokens = tokens
        self.stopped_at = stopped_at


def tokenize(text: str, lexicon: Lexicon) -> Tokenized:
    """Tokenize ``text`` with ``lexicon``'s rules; never raises for bad input (see :class:`Tokenized`)."""
    tokenizer = _lexicon_tokenizer(lexicon)
    try:
        return Tokenized(text, tokenizer.tokenize(text), None)
    except TokenError:
        tokens = list(tokenizer.tokens)
        return Tokenized(text, tokens, _resume_point(text, tokens[-1].end + 1 if tokens else 0))
    except RecursionError:  # pathological nesting; nothing read is trusted
        return Tokenized(text, [], 0)


def _resume_point(text: str, offset: int) -> int:
    """The first offset at or after ``offset`` that is not whitespace: where the unreadable construct begins."""
    match = re.compile(r"\S").search(text, offset)
    return match.start() if match else len(text)


def is_word(token: Token, text: str, *words: str) -> bool:
    """``token`` is a bare (unquoted) word, and one of ``words`` (upper case) when any are given."""
    if not _WORD.match(token.text) or text[token.start : token.end + 1] != token.text:
        return False
    return not words or token.text.upper() in words


def word(token: Token, text: str) -> str:
    """The upper-cased bare word, or ``""`` for anything else (strings, quoted identifiers, punctuation)."""
    value = token.text  # is_word, inlined: every reader asks this of every token
    upper = _UPPER.get(value)
    if upper is None:
        if len(_UPPER) >= _UPPER_LIMIT:
            _UPPER.clear()
        upper = _UPPER[value] = value.upper() if _WORD.match(value) else ""
    return upper if upper and text[token.start : token.end + 1] == value else ""


_SCAN_WORD = re.compile(r"[^\W\d][\w$]*\Z")
_SCAN_UPPER: dict[str, str] = {}


def scan_words(tokens: Sequence[Token]) -> list[str]:
    """The site finder's words of tokens of the ``scan`` lexicon: ``str.upper()`` of a bare word of any script's
    letters (``conﬂict`` is ``CONFLICT`` to it, so a statement PostgreSQL would reject is still found and reported),
    ``""`` for anything else. With no keywords, every bare word is a ``VAR`` token, whose text is its source."""
    known, var, words = _SCAN_UPPER, TokenType.VAR, []
    for token in tokens:
        if token.token_type != var:
            words.append("")
            continue
        value = token.text
        upper = known.get(value)
        if upper is None:
            if len(known) >= _UPPER_LIMIT:
                known.clear()
            upper = known[value] = value.upper() if _SCAN_WORD.match(value) else ""
        words.append(upper)
    return words


#: The upper case of texts that are words, ``""`` for other texts: a script repeats its keywords and names, and the
#: pattern and ``upper()`` cost more than a look-up. Bounded: cleared when full (a large file's literals).
_UPPER: dict[str, str] = {}
_UPPER_LIMIT = 1 << 16


def expand_multiword(tokens: Sequence[Token], text: str) -> Iterator[Token]:
    """sqlglot reads ``PRIMARY KEY`` and similar as one token; yield one token per word, as a grammar reads them."""
    for token in tokens:
        raw = text[token.start : token.end + 1]
        if " " not in token.text or not _MULTIWORD.match(raw):
            yield token
            continue
        for part in _WORD_PART.finditer(raw):
            yield Token(
                TokenType.VAR,
                part.group(),
                token.line,
                token.col,
                token.start + part.start(),
                token.start + part.end() - 1,
            )


# Placeholders are masked before a statement is parsed: sqlglot reads ``%(name)s`` and ``:name`` as operators, and a
# mask of the same length keeps every offset valid. ``?`` parses as a placeholder in both dialects.
_PLACEHOLDER = re.compile(
    r"""(?P<skip>'(?:[^']|'')*'|"(?:[^"]|"")*"|--[^\n]*|/\*.*?\*/|(?P<dollar>\$[A-Za-z_]*\$).*?(?P=dollar)|::)"""
    r"""|(?P<ph>%\([^)\s]+\)s|%s|\$\d+|:[A-Za-z_]\w*|\?\d*)""",
    re.DOTALL,
)


def mask_placeholders(sql: str) -> tuple[str, int]:
    """Replace every bind placeholder by ``?`` padded to the same length; return the text and how many there were."""
    if "?" not in sql and ":" not in sql and "%" not in sql and "$" not in sql:
        return sql, 0  # every placeholder starts with one of these: nothing to mask
    count = 0

    def repl(match: re.Match[str]) -> str:
        nonlocal count
        if match.group("ph") is None:
            return match.group(0)
        count += 1
        return "?" + " " * (len(match.group(0)) - 1)

    return _PLACEHOLDER.sub(repl, sql), count
