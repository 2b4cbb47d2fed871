"""Single stored CREATE statements read with the replay's own readers, without being replayed.

SQLite keeps each table's and index's CREATE statement as written (``sqlite_schema.sql``); reflection reads from it
what no PRAGMA reports (constraint names, collations, generated-column and index expressions, partial-index
predicates, ``WITHOUT ROWID``). Reading it here keeps one reader of DDL in the project.
"""

from __future__ import annotations

from schema_parity.catalog import Dialect
from schema_parity.sources.ddl.create_index import declared_index
from schema_parity.sources.ddl.create_table import declared_table
from schema_parity.sources.ddl.dialect import StoredSqliteRules, rules_for
from schema_parity.sources.ddl.model import Found, Key, Refused, Table
from schema_parity.sources.ddl.replay import Replay
from schema_parity.sources.ddl.statement import Stmt
from schema_parity.sql.groups import SyntaxMismatch
from schema_parity.sql.script import Script

__all__ = ["Declared"]


class Declared:
    """Reads one CREATE TABLE or CREATE INDEX statement at a time; None when the statement is not read."""

    def __init__(self, dialect: Dialect) -> None:
        self._replay = Replay(StoredSqliteRules() if dialect == "sqlite" else rules_for(dialect))

    def _statement(self, sql: str) -> Stmt | None:
        statements = list(Script(sql, self._replay.dialect, psql=False, split_in_parentheses=True))
        return Stmt.of(statements[0]) if len(statements) == 1 else None

    def table(self, sql: str) -> tuple[Table, Found] | None:
        """The columns, and the keys and constraints as declared (before the engine names or merges them)."""
        stmt = self._statement(sql)
        try:
            return declared_table(self._replay, stmt) if stmt is not None else None
        except (SyntaxMismatch, Refused):
            return None

    def index(self, sql: str, table: Table) -> Key | None:
        """The key an index on ``table`` declares."""
        stmt = self._statement(sql)
        try:
            return declared_index(self._replay, stmt, table) if stmt is not None else None
        except (SyntaxMismatch, Refused):
            return None
