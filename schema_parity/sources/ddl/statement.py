"""The statement being replayed: its tokens (multi-word keywords split into words), its text and its line.

Statements come from :class:`schema_parity.sql.script.Script` and are read with the shared
:class:`~schema_parity.sql.groups.Cursor`; a reader that meets a form it does not model raises
:class:`Unmodelled` (a :class:`~schema_parity.sql.groups.SyntaxMismatch`, which the cursor raises for a shape
it cannot step over), and the statement becomes a ``not modelled`` note.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from schema_parity.sql.groups import SyntaxMismatch, split_commas
from schema_parity.sql.script import Statement
from schema_parity.sql.tokens import Token, expand_multiword

__all__ = ["Stmt", "Unmodelled", "items"]


class Unmodelled(SyntaxMismatch):
    """The statement has a form the replay does not read; it becomes a ``not modelled`` note."""


@dataclass
class Stmt:
    """One statement: its tokens (positions index ``sql``) and the line it starts on."""

    tokens: list[Token]
    sql: str
    line: int

    @classmethod
    def of(cls, statement: Statement) -> Stmt:
        tokens, source = statement.tokens, statement.source
        if not any(" " in token.text for token in tokens):
            return cls(list(tokens), source, statement.line)
        # A multi-word keyword (``PRIMARY KEY``, or a string with a space): only those tokens are looked at again.
        split: list[Token] = []
        for token in tokens:
            if " " in token.text:
                split.extend(expand_multiword((token,), source))
            else:
                split.append(token)
        return cls(split, source, statement.line)

    @property
    def text(self) -> str:
        return self.sql[self.tokens[0].start : self.tokens[-1].end + 1]


def items(tokens: Sequence[Token]) -> list[list[Token]]:
    """The non-empty items of a comma-separated list (an empty one, as in ``(a int,)``, is passed over)."""
    return [item for item in split_commas(tokens) if item]
