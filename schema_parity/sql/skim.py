"""Skimming a script: stepping over a whole statement that no reader needs, without tokenizing it.

A large ``.sql`` file (a dump, a seed script) is mostly statements that cannot hold an upsert. The site scanner
only keeps statements that mention ``ON CONFLICT``, and must read trigger bodies, ``BEGIN ATOMIC`` functions and
``COPY ... FROM stdin`` data with the exact tokenizer; every other statement only has to be stepped over, which
needs to know nothing but what ends a statement (``;``) and what hides one (strings, quoted identifiers, comments,
dollar quotes). :data:`HIDES` is that one compiled pattern; :func:`skip_statement` steps over one statement with it
and hands anything it is not sure of back to the caller's tokenizer, so the skimmed reading is never different from
the tokenized one: it gives up on ``E'...'`` strings (backslash escapes), backslashes (psql commands), a ``$`` that
may be inside a word, and anything still open at the end of the text.
"""

from __future__ import annotations

import re

__all__ = ["COPY_DATA_END", "HIDES", "block_comment_end", "skip_statement", "statement_end"]

#: What ends or hides a statement, matched from a token boundary: the run of text that can do neither (``-`` and ``/``
#: unless they open a comment), then the construct that follows, if any. ``'``, ``"``, backtick, ``[``, ``--`` and
#: ``/*`` never occur inside a word or a number; a ``'`` after ``e`` (an ``E'...'`` string?) and ``$`` may, and are
#: checked by :func:`skip_statement`.
HIDES = re.compile(
    r"""
    (?:[^'"`\[$\\;/\-]+|-(?!-)|/(?!\*))*
    (?:
      (?P<string>'(?:[^']|'')*'?)
    | (?P<ident>"(?:[^"]|"")*"?|`(?:[^`]|``)*`?|\[[^\]'"\n]*\])
    | (?P<comment>--[^\n]*)
    | (?P<block>/\*)
    | (?P<dollar>\$(?:[^\W\d]\w*)?\$)
    | (?P<end>;)
    | (?P<backslash>\\)
    | (?P<other>[\[$])
    )?
    """,
    re.VERBOSE,
)
#: The line that ends ``COPY ... FROM stdin`` data in a psql script.
COPY_DATA_END = re.compile(r"^\\\.[ \t]*$", re.MULTILINE)
_BLOCK_COMMENT = re.compile(r"/\*|\*/")
#: Characters after which a ``$`` starts a token: whitespace and one-character operators.
_BEFORE_TOKEN = frozenset(" \t\n\r\f\v(),;=")


def block_comment_end(text: str, pos: int) -> int:
    """End of a ``/* */`` comment starting at ``pos``, counting nested comments as PostgreSQL does; -1 if unclosed."""
    depth = 0
    for match in _BLOCK_COMMENT.finditer(text, pos):
        depth += 1 if match.group() == "/*" else -1
        if depth == 0:
            return match.end()
    return -1


def skip_statement(text: str, pos: int, keep: re.Pattern[str]) -> int | None:
    """The offset just past the statement starting at ``pos`` (past its ``;``, or the end of the text), when the
    statement's text has no match of ``keep``; None when the statement must be tokenized: ``keep`` matches it, or
    it holds something a skim cannot be sure of. ``pos`` must be where a token may start (a statement boundary).
    """
    end = statement_end(text, pos)
    return None if end is None or keep.search(text, pos, end) else end


def statement_end(text: str, pos: int) -> int | None:
    """The offset just past the first ``;`` from ``pos`` that is not quoted or commented out (or the end of the
    text); None when the skim cannot be sure of it (see the module's docstring). ``pos`` must be where a token may
    start. A body's ``;`` (``BEGIN ... END``) counts: the caller's tokens say whether the statement goes on."""
    length = len(text)
    match_at = HIDES.match
    at = pos
    while True:
        match = match_at(text, at)
        assert match is not None  # every part of the pattern is optional
        kind = match.lastgroup
        if kind is None:  # the end of the text
            return length
        at = match.end()
        if kind == "end":
            return at
        start = match.start(kind)
        if kind in ("string", "ident"):
            if at == length:  # maybe never closed: the tokenizer says what is lost
                return None
            if kind == "string" and start and text[start - 1] in "eE":
                return None  # maybe an E'...' string, where a backslash escapes the quote
        elif kind == "block":
            at = block_comment_end(text, start)
            if at < 0:
                return None
        elif kind == "dollar":
            if start != pos and text[start - 1] not in _BEFORE_TOKEN:
                return None  # part of a word (``a$b$``) or after a number or parameter: the tokenizer decides
            closing = text.find(match.group(kind), at)
            if closing < 0:
                return None
            at = closing + len(match.group(kind))
        elif kind == "backslash":
            return None  # a psql command, or a backslash the tokenizer reads in context
