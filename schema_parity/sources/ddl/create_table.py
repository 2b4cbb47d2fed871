"""CREATE TABLE (and SQLite's CREATE VIRTUAL TABLE): a new table from its column and constraint definitions."""

from __future__ import annotations

from schema_parity.sources.ddl.clauses import TABLE_CONSTRAINT_WORDS, column_def, table_constraint
from schema_parity.sources.ddl.model import Col, Found, Refused, Table
from schema_parity.sources.ddl.registry import Head, Registry
from schema_parity.sources.ddl.replay import Replay
from schema_parity.sources.ddl.statement import Stmt, Unmodelled, items
from schema_parity.sql.groups import Cursor, SyntaxMismatch
from schema_parity.sql.tokens import Token, TokenType

__all__ = ["register"]


def register(registry: Registry) -> None:
    registry.add("CREATE", ("TABLE",), create_table, temporary=False)
    registry.add("CREATE", ("VIRTUAL", "TABLE"), create_table, temporary=False)


def create_table(replay: Replay, cur: Cursor, stmt: Stmt, head: Head) -> None:
    rules = replay.rules
    virtual = cur.accept("VIRTUAL")
    cur.expect("TABLE")
    if_not_exists = cur.accept("IF", "NOT", "EXISTS")
    schema, name = cur.qualified()
    schema = rules.norm_schema(schema)
    if replay.find(schema, name) is not None or rules.relation_taken(replay.tables, schema, name):
        if if_not_exists:
            return
        raise Refused(rules.already_exists("table", name))
    table = Table(name, schema, kind="virtual" if virtual else "table")
    if virtual:
        cur.expect("USING")
        cur.name()
        args = cur.group() if cur.type() == TokenType.L_PAREN else []
        for part in items(args):
            if len(part) == 1 and "=" not in part[0].text:
                table.columns.append(Col(rules.fold(part[0]), ""))
        replay.tables.add(table)
        return
    if cur.type() != TokenType.L_PAREN:
        raise Unmodelled  # CREATE TABLE … AS SELECT, PARTITION OF, OF type
    elements = items(cur.group())
    rules.table_options(cur, table)
    replay.tables.add(table)
    try:
        _define(replay, table, elements, stmt)
    except (SyntaxMismatch, Refused):
        replay.tables.remove(table)
        raise


def _define(replay: Replay, table: Table, elements: list[list[Token]], stmt: Stmt) -> None:
    """Columns first (in order), then table constraints, which may name any column; then keys are added."""
    found = Found()
    constraint_parts: list[list[Token]] = []
    for part in elements:
        c = replay.cursor(part, stmt)
        if c.word() in TABLE_CONSTRAINT_WORDS:
            constraint_parts.append(part)
        elif c.word() == "LIKE":
            raise Unmodelled
        else:
            column_def(replay, c, table, stmt, found)
    for part in constraint_parts:
        table_constraint(replay, replay.cursor(part, stmt), table, stmt, found, in_create=True)
    replay.rules.define_table(replay.tables, table, found)
