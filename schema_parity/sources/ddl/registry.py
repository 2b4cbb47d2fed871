"""Which reader replays which statement: readers register under their verb and object words, as Alembic's
``autogenerate/compare`` modules register their comparators.

Every reader module has a ``register(registry)`` function; the package's ``_readers()`` is built from them. A statement
is dispatched on its first word (``CREATE``, ``ALTER``, ``DROP``) and the object words after it (``TABLE``,
``UNIQUE INDEX``, ``MATERIALIZED VIEW``); statements and objects that cannot change tables, columns or keys are
passed over, and anything else is not modelled.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from schema_parity.sources.ddl import session
from schema_parity.sources.ddl.replay import Replay
from schema_parity.sources.ddl.statement import Stmt, Unmodelled
from schema_parity.sql.groups import Cursor
from schema_parity.sql.tokens import TokenType

__all__ = ["HARMLESS_OBJECTS", "Head", "Reader", "Registry"]


@dataclass(frozen=True)
class Head:
    """What the words before the object said: ``CREATE OR REPLACE``."""

    replace: bool = False
    temporary: bool = False
    """``TEMP``: the relation goes to the temporary schema (``Replay.creation_schema``)."""


_PLAIN, _REPLACE = Head(), Head(replace=True)  # frozen: one of each serves every statement

Reader = Callable[[Replay, Cursor, Stmt, Head], None]
"""Reads the statement from the cursor, which stands on the object words it was registered under."""

#: Statements that cannot change tables, columns or keys (first keyword).
HARMLESS = frozenset(
    {
        "INSERT",
        "UPDATE",
        "DELETE",
        "SELECT",
        "WITH",
        "VALUES",
        "MERGE",
        "COPY",
        "BEGIN",
        "START",
        "COMMIT",
        "END",
        "ROLLBACK",
        "SAVEPOINT",
        "RELEASE",
        "SET",
        "RESET",
        "SHOW",
        "COMMENT",
        "GRANT",
        "REVOKE",
        "ANALYZE",
        "ANALYSE",
        "VACUUM",
        "REINDEX",
        "CLUSTER",
        "LOCK",
        "NOTIFY",
        "LISTEN",
        "UNLISTEN",
        "DISCARD",
        "CHECKPOINT",
        "PRAGMA",
        "EXPLAIN",
        "DECLARE",
        "FETCH",
        "CLOSE",
        "PREPARE",
        "DEALLOCATE",
        "REFRESH",
        "TRUNCATE",
        "SECURITY",
        "ABORT",
        "ATTACH",
        "DETACH",
        "MOVE",
        "LOAD",
        "IMPORT",
    }
)
#: Objects whose CREATE/ALTER cannot change tables, columns or keys.
HARMLESS_OBJECTS = frozenset(
    {
        "FUNCTION",
        "PROCEDURE",
        "EXTENSION",
        "TYPE",
        "DOMAIN",
        "SCHEMA",
        "ROLE",
        "USER",
        "GROUP",
        "POLICY",
        "PUBLICATION",
        "SUBSCRIPTION",
        "COLLATION",
        "CAST",
        "OPERATOR",
        "AGGREGATE",
        "STATISTICS",
        "EVENT",
        "TEXT",
        "SERVER",
        "LANGUAGE",
        "TRIGGER",
        "CONVERSION",
        "TABLESPACE",
        "DATABASE",
        "DEFAULT",
        "SYSTEM",
        "ACCESS",
        "TRANSFORM",
        "ROUTINE",
        "LARGE",
    }
)
#: Harmless objects named by more than one word.
_HARMLESS_PHRASES = {"ALTER": (("MATERIALIZED", "VIEW"),)}
#: CREATE modifiers before the object; a temporary object is session-only, never part of the migrated schema.
_CREATE_MODIFIERS = ("TEMP", "TEMPORARY", "GLOBAL", "LOCAL", "UNLOGGED")


@dataclass(frozen=True)
class _Entry:
    words: tuple[str, ...]
    reader: Reader
    temporary: bool
    """The object may be TEMP (a table, view or sequence); ``CREATE TEMP`` anything else is a syntax error."""


#: Statements that set the session's search_path or begin / end the transaction block a ``SET LOCAL`` lasts for.
_SESSION_VERBS = frozenset({"SET", "RESET", "SELECT", "BEGIN", "START", "COMMIT", "END", "ROLLBACK", "ABORT"})


class Registry:
    """Statement readers by verb and object words, tried in registration order."""

    def __init__(self) -> None:
        self._entries: dict[str, list[_Entry]] = {}

    def add(self, verb: str, words: tuple[str, ...], reader: Reader, *, temporary: bool = False) -> None:
        """``reader`` replays ``verb words…`` (``words`` empty: every statement of the verb)."""
        self._entries.setdefault(verb, []).append(_Entry(words, reader, temporary))

    def read(self, replay: Replay, stmt: Stmt) -> None:
        """Replay ``stmt`` with the reader registered for it."""
        cur = replay.cursor(stmt.tokens, stmt)
        verb = cur.word()
        if verb in HARMLESS:
            if verb == "SELECT" and any(t.token_type == TokenType.INTO for t in stmt.tokens):
                raise Unmodelled  # SELECT … INTO creates a table
            if verb in _SESSION_VERBS and replay.rules.has("search_path"):
                session.apply(replay, stmt)
            return
        entries = self._entries.get(verb)
        if entries is None:
            raise Unmodelled
        cur.i += 1
        head = _REPLACE if verb == "CREATE" and cur.accept("OR", "REPLACE") else _PLAIN
        temporary = False
        if verb == "CREATE":
            while cur.word() in _CREATE_MODIFIERS:
                temporary = temporary or cur.word() in ("TEMP", "TEMPORARY")
                cur.i += 1
        entry = next((e for e in entries if cur.at(*e.words)), None)
        if entry is not None:
            if temporary and not entry.temporary:
                raise Unmodelled
            entry.reader(replay, cur, stmt, Head(head.replace, temporary=True) if temporary else head)
            return
        if cur.word() in HARMLESS_OBJECTS or any(cur.at(*p) for p in _HARMLESS_PHRASES.get(verb, ())):
            replay.collations_written = replay.collations_written or cur.at("COLLATION")
            return
        raise Unmodelled
