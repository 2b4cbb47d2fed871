"""Parenthesised groups and comma lists over tokens, and a cursor for small recursive-descent readers.

Every grammar the project reads by hand (DDL statements, the ON CONFLICT clause, SQLite's CREATE TABLE text)
needs the same three things: the group a ``(`` opens, the comma-separated items of a list, and a cursor that
accepts words. They live here once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from schema_parity.sql.tokens import Token, TokenType, word

__all__ = ["Cursor", "SyntaxMismatch", "closing", "depths", "split_commas", "top_level"]


class SyntaxMismatch(Exception):
    """The tokens do not have the shape a reader expected (the caller decides what that means)."""


# Token types as module constants: an enum member looked up on its class costs more than the comparison, and the
# loops below look at every token.
_L_PAREN, _R_PAREN, _COMMA, _DOT = TokenType.L_PAREN, TokenType.R_PAREN, TokenType.COMMA, TokenType.DOT


def closing(tokens: Sequence[Token], opening: int) -> int:
    """Index of the ``)`` that closes the ``(`` at ``opening``; SyntaxMismatch when it is never closed."""
    depth = 0
    for index in range(opening, len(tokens)):
        kind = tokens[index].token_type
        if kind == _L_PAREN:
            depth += 1
        elif kind == _R_PAREN:
            depth -= 1
        if depth == 0:
            return index
    raise SyntaxMismatch("unbalanced parentheses")


def top_level(tokens: Sequence[Token], start: int, stop: Callable[[Token], bool]) -> int | None:
    """Index of the first token from ``start`` on, outside parentheses opened from there, that ``stop`` accepts
    (parentheses themselves are never asked about); None when there is none. After an unmatched ``)`` nothing is at
    the top level any more."""
    depth = 0
    for index in range(start, len(tokens)):
        token = tokens[index]
        kind = token.token_type
        if kind == _L_PAREN:
            depth += 1
        elif kind == _R_PAREN:
            depth -= 1
        elif depth == 0 and stop(token):
            return index
    return None


def depths(tokens: Sequence[Token]) -> list[int]:
    """The parenthesis depth before each token (an unmatched ``)`` makes it negative)."""
    result = []
    depth = 0
    for token in tokens:
        result.append(depth)
        kind = token.token_type
        if kind == _L_PAREN:
            depth += 1
        elif kind == _R_PAREN:
            depth -= 1
    return result


_OPENING = (TokenType.L_PAREN, TokenType.L_BRACKET)
_CLOSING = (TokenType.R_PAREN, TokenType.R_BRACKET)


def split_commas(tokens: Sequence[Token]) -> list[list[Token]]:
    """The items of a comma-separated list (commas inside parentheses or brackets, as in a column's
    ``DEFAULT ARRAY[0, 0]``, do not split); ``[]`` for no tokens."""
    if not tokens:
        return []
    items: list[list[Token]] = [[]]
    item = items[0]
    depth = 0
    for token in tokens:  # every DDL statement's tokens pass here
        kind = token.token_type
        if kind == _COMMA:
            if depth == 0:
                item = []
                items.append(item)
                continue
        elif kind in _OPENING:
            depth += 1
        elif kind in _CLOSING:
            depth -= 1
        item.append(token)
    return items


_NOT_NAMES = frozenset({_L_PAREN, _R_PAREN, _COMMA, _DOT})


class Cursor:
    """A position in a token list, with the moves a recursive-descent reader makes.

    ``fold`` turns a name token into the engine's spelling of the name (PostgreSQL folds unquoted names to lower
    case; SQLite keeps them). A move that does not fit raises :class:`SyntaxMismatch`.
    """

    def __init__(self, tokens: Sequence[Token], text: str, fold: Callable[[Token], str] = lambda t: t.text) -> None:
        self.tokens = tokens
        self.text = text
        self.fold = fold
        self.i = 0
        self._words: list[str | None] = [None] * len(tokens)
        """Each token's word, computed when first asked for (a reader asks for the same token many times)."""

    @property
    def done(self) -> bool:
        return self.i >= len(self.tokens)

    def word(self, ahead: int = 0) -> str:
        """The bare word ``ahead`` tokens on, upper-cased; ``""`` for anything else or past the end."""
        j = self.i + ahead
        if j >= len(self.tokens):
            return ""
        known = self._words[j]
        if known is None:
            known = self._words[j] = word(self.tokens[j], self.text)
        return known

    def type(self, ahead: int = 0) -> TokenType | None:
        j = self.i + ahead
        return self.tokens[j].token_type if j < len(self.tokens) else None

    def at(self, *words: str) -> bool:
        """The next tokens are these words."""
        # Readers ask this of nearly every token, and the first word mostly differs: the loop stops at the first
        # word that differs, and the word of a token is computed once (inlined ``word``).
        i, tokens, known = self.i, self.tokens, self._words
        for ahead, expected in enumerate(words):
            j = i + ahead
            found: str | None = ""
            if j < len(tokens):
                found = known[j]
                if found is None:
                    found = known[j] = word(tokens[j], self.text)
            if found != expected:
                return False
        return True

    def accept(self, *words: str) -> bool:
        """Step over these words when they come next."""
        if self.at(*words):
            self.i += len(words)
            return True
        return False

    def skip(self, *alternatives: str) -> None:
        """Step over one optional word out of ``alternatives``."""
        if self.word() in alternatives:
            self.i += 1

    def expect(self, *words: str) -> None:
        if not self.accept(*words):
            raise SyntaxMismatch(f"expected {' '.join(words)}")

    def name(self) -> str:
        """A name (bare or quoted), folded."""
        if self.i >= len(self.tokens) or self.tokens[self.i].token_type in _NOT_NAMES:
            raise SyntaxMismatch("expected a name")
        token = self.tokens[self.i]
        self.i += 1
        return self.fold(token)

    def qualified(self) -> tuple[str | None, str]:
        """``schema.name`` or ``name`` (a three-part name keeps its last two parts)."""
        parts = [self.name()]
        while self.type() == _DOT:
            self.i += 1
            parts.append(self.name())
        if len(parts) > 3:
            raise SyntaxMismatch("a name has at most three parts")
        return (parts[-2] if len(parts) > 1 else None), parts[-1]

    def group(self) -> list[Token]:
        """The tokens inside the parenthesised group at the cursor; the cursor moves past its ``)``."""
        if self.type() != _L_PAREN:
            raise SyntaxMismatch("expected (")
        end = closing(self.tokens, self.i)
        inside = self.tokens[self.i + 1 : end]
        self.i = end + 1
        return inside if isinstance(inside, list) else list(inside)

    def rest(self) -> list[Token]:
        """Every token from the cursor on; the cursor moves to the end."""
        tokens, self.i = self.tokens[self.i :], len(self.tokens)
        return tokens if isinstance(tokens, list) else list(tokens)

    def until(self, stop: Callable[[Cursor], bool]) -> list[Token]:
        """Tokens up to (not including) the first position outside parentheses where ``stop`` holds."""
        tokens = self.tokens
        start, depth, length = self.i, 0, len(tokens)
        while self.i < length and (depth > 0 or not stop(self)):
            kind = tokens[self.i].token_type
            if kind == _L_PAREN:
                depth += 1
            elif kind == _R_PAREN:
                depth -= 1
            self.i += 1
        inside = tokens[start : self.i]
        return inside if isinstance(inside, list) else list(inside)
