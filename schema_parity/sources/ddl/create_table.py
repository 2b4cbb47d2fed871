"""CREATE TABLE (and SQLite's CREATE VIRTUAL TABLE): a new table from its column and constraint definitions."""

from __future__ import annotations

from schema_parity.sources.ddl import partitions
from schema_parity.sources.ddl.clauses import column_def, table_constraint
from schema_parity.sources.ddl.model import Col, Found, Refused, Table
from schema_parity.sources.ddl.registry import Head, Registry
from schema_parity.sources.ddl.replay import Replay
from schema_parity.sources.ddl.statement import Stmt, Unmodelled, items
from schema_parity.sql.groups import Cursor, SyntaxMismatch
from schema_parity.sql.tokens import Token, TokenType

__all__ = ["declared_table", "register"]


def register(registry: Registry) -> None:
    registry.add("CREATE", ("TABLE",), create_table, temporary=True)
    registry.add("CREATE", ("VIRTUAL", "TABLE"), create_table)


def create_table(replay: Replay, cur: Cursor, stmt: Stmt, head: Head) -> None:
    rules = replay.rules
    virtual = cur.accept("VIRTUAL")
    cur.expect("TABLE")
    if_not_exists = cur.accept("IF", "NOT", "EXISTS")
    schema, name = cur.qualified()
    schema = replay.creation_schema(schema, temporary=head.temporary)
    if replay.tables.find(schema, name) is not None or rules.relation_taken(replay.tables, schema, name):
        if if_not_exists:
            return
        raise Refused(rules.already_exists("table", name))
    table = Table(name, schema, kind="virtual" if virtual else "table")
    if not virtual and cur.at("PARTITION", "OF") and rules.has("partitions"):
        partitions.create_partition(replay, cur, stmt, table)
        return
    if virtual:
        cur.expect("USING")
        cur.name()
        args = cur.group() if cur.type() == TokenType.L_PAREN else []
        for part in items(args):
            if len(part) == 1 and "=" not in part[0].text:
                table.columns.append(Col(rules.fold(part[0]), ""))
        replay.tables.add(table)
        return
    elements = items(cur.group()) if cur.type() == TokenType.L_PAREN else None
    parents = _inherits(replay, cur, stmt) if elements is not None else []
    if elements is None:
        if schema == rules.temp_schema:  # its columns cannot matter, only that the name is taken by it
            replay.tables.add(table)
            replay.opaque[table] = None
            return
        raise Unmodelled  # CREATE TABLE … AS SELECT, OF type
    rules.table_options(cur, table)
    table.columns = partitions.inherited_columns(replay, parents)
    replay.tables.add(table)
    try:
        found = _definitions(replay, table, elements, stmt)
        if parents:
            partitions.merge_inherited(replay, table, parents, found)
        rules.define_table(replay.tables, table, found)
    except (SyntaxMismatch, Refused):
        replay.tables.remove(table)
        raise
    if parents:
        replay.inherits[table] = parents


def declared_table(replay: Replay, stmt: Stmt) -> tuple[Table, Found]:
    """What a CREATE TABLE statement declares, read but not applied: its columns, and its keys and constraints as
    written, before the engine names or merges them (SQLite reflection reads ``sqlite_schema.sql`` with it)."""
    cur = replay.cursor(stmt.tokens, stmt)
    cur.expect("CREATE")
    cur.expect("TABLE")
    cur.accept("IF", "NOT", "EXISTS")
    schema, name = cur.qualified()
    table = Table(name, replay.rules.norm_schema(schema))
    elements = _body(replay, cur, table)
    return table, _definitions(replay, table, elements, stmt)


def _inherits(replay: Replay, cur: Cursor, stmt: Stmt) -> list[Table]:
    """``INHERITS (parent, …)`` (PostgreSQL): the parent tables, in order."""
    if not (replay.rules.has("partitions") and cur.accept("INHERITS")):
        return []
    parents = []
    for part in items(cur.group()):
        c = replay.cursor(part, stmt)
        parent = replay.table(*c.qualified())
        if parent.kind == "partitioned":
            raise Refused(f'cannot inherit from partitioned table "{parent.name}"')
        if parent in replay.parents:
            raise Refused(f'cannot inherit from partition "{parent.name}"')
        parents.append(parent)
    return parents


def _body(replay: Replay, cur: Cursor, table: Table) -> list[list[Token]]:
    """The items of the parenthesised definition; the options after it are read into ``table``."""
    if cur.type() != TokenType.L_PAREN:
        raise Unmodelled  # CREATE TABLE … AS SELECT, OF type
    elements = items(cur.group())
    replay.rules.table_options(cur, table)
    return elements


def _definitions(replay: Replay, table: Table, elements: list[list[Token]], stmt: Stmt) -> Found:
    """Columns first (in order), then table constraints, which may name any column.

    SQLite's grammar takes every column before the first table constraint: a column after one is a syntax error at
    its first token, once the constraints before it were read (their errors come first)."""
    found = Found()
    constraint_parts: list[list[Token]] = []
    for part in elements:
        c = replay.cursor(part, stmt)
        first = c.word()
        if first in replay.rules.table_constraint_words:
            constraint_parts.append(part)
        elif first == "LIKE":
            raise Unmodelled
        elif constraint_parts and replay.dialect == "sqlite":
            for earlier in constraint_parts:
                table_constraint(replay, replay.cursor(earlier, stmt), table, stmt, found, in_create=True)
            replay.rules.refuse_syntax(stmt.sql[part[0].start : part[0].end + 1])
        else:
            column_def(replay, c, table, stmt, found)
    for part in constraint_parts:
        table_constraint(replay, replay.cursor(part, stmt), table, stmt, found, in_create=True)
    return found
