"""CREATE [UNIQUE] INDEX: a key on a table's columns or expressions, partial when it has a WHERE clause."""

from __future__ import annotations

from schema_parity.sources.ddl import partitions
from schema_parity.sources.ddl.clauses import index_elem, nulls_clause
from schema_parity.sources.ddl.model import Key, Refused, Table
from schema_parity.sources.ddl.registry import Head, Registry
from schema_parity.sources.ddl.replay import Replay
from schema_parity.sources.ddl.statement import Stmt, Unmodelled, items
from schema_parity.sql.groups import Cursor
from schema_parity.sql.tokens import TokenType

__all__ = ["declared_index", "register"]


def register(registry: Registry) -> None:
    registry.add("CREATE", ("INDEX",), create_index)
    registry.add("CREATE", ("UNIQUE", "INDEX"), create_index)


def create_index(replay: Replay, cur: Cursor, stmt: Stmt, head: Head) -> None:
    rules = replay.rules
    unique = cur.accept("UNIQUE")
    cur.expect("INDEX")
    cur.accept("CONCURRENTLY")
    if_not_exists = cur.accept("IF", "NOT", "EXISTS")
    name: str | None = None
    if not cur.at("ON"):
        index_schema, name = cur.qualified()
    cur.expect("ON")
    only = cur.accept("ONLY")
    schema, tname = cur.qualified()
    if rules.name == "sqlite" and name is not None and schema is None:
        schema = index_schema  # SQLite: ``CREATE INDEX main.i ON t`` looks ``t`` up in ``main`` only
    view = (replay.lookup_schema(schema, tname), tname)
    if view in replay.view_indexes and replay.find(schema, tname) is None:
        _index_on_view(replay, view, name, if_not_exists=if_not_exists)
        return
    table = replay.table(schema, tname)
    if name is not None and rules.index_name_taken(replay.tables, table.schema, name):
        if if_not_exists:
            return
        raise Refused(rules.already_exists("index", name))
    key = Key(name, "unique_index" if unique else "index", [])
    _read_key(replay, cur, stmt, table, key)
    _refuse_unsupported(key)
    rules.add_index(replay.tables, table, key)
    if table.kind == "partitioned":
        partitions.index_added(replay, table, key, only=only)


#: PostgreSQL's built-in index access methods other than btree → what each supports (amcanunique, amcaninclude,
#: amcanmulticol); btree supports all three. An extension's method is not known, so not refused.
_METHODS = {
    "hash": (False, False, False),
    "gist": (False, True, True),
    "gin": (False, False, True),
    "brin": (False, False, True),
    "spgist": (False, True, False),
}


def _refuse_unsupported(key: Key) -> None:
    """DefineIndex's refusals of what the access method cannot do, in its order."""
    unique, include, multicolumn = _METHODS.get(key.method or "", (True, True, True))
    if key.kind == "unique_index" and not unique:
        raise Refused(f'access method "{key.method}" does not support unique indexes')
    if key.include and not include:
        raise Refused(f'access method "{key.method}" does not support included columns')
    if len(key.elements) > 1 and not multicolumn:
        raise Refused(f'access method "{key.method}" does not support multicolumn indexes')


def _index_on_view(replay: Replay, view: tuple[str | None, str], name: str | None, *, if_not_exists: bool) -> None:
    """An index on a materialized view: no ON CONFLICT target, but its name is a relation of the view's schema."""
    if name is None:
        raise Unmodelled  # the default name is not modelled for a view known by name only
    if replay.tables.relation_taken(view[0], name):
        if if_not_exists:
            return
        raise Refused(replay.rules.already_exists("index", name))
    replay.tables.relations.add((view[0], name))
    replay.view_indexes[view].add(name)


def declared_index(replay: Replay, stmt: Stmt, table: Table) -> Key:
    """The key a CREATE INDEX statement on ``table`` declares, read but not applied (SQLite reflection)."""
    cur = replay.cursor(stmt.tokens, stmt)
    cur.expect("CREATE")
    unique = cur.accept("UNIQUE")
    cur.expect("INDEX")
    cur.accept("IF", "NOT", "EXISTS")
    name = cur.qualified()[1]
    cur.expect("ON")
    cur.qualified()
    key = Key(name, "unique_index" if unique else "index", [])
    _read_key(replay, cur, stmt, table, key)
    return key


def _read_key(replay: Replay, cur: Cursor, stmt: Stmt, table: Table, key: Key) -> None:
    """``[USING method] (elements) [INCLUDE (…)] [NULLS [NOT] DISTINCT] [WITH (…)] [TABLESPACE x] [WHERE …]``."""
    rules = replay.rules
    if cur.accept("USING"):
        method = cur.name().lower()
        key.method = None if method == "btree" else method
    for part in items(cur.group()):
        key.elements.append(index_elem(replay, replay.cursor(part, stmt), table, stmt))
    while not cur.done:
        if cur.accept("INCLUDE"):
            key.include = [rules.fold(t) for t in cur.group() if t.token_type != TokenType.COMMA]
        elif cur.at("NULLS"):
            key.nulls_not_distinct = nulls_clause(replay, cur)
        elif cur.accept("WITH"):
            cur.group()
        elif cur.accept("TABLESPACE"):
            cur.name()
        elif cur.accept("WHERE"):
            key.predicate = replay.frag(cur.rest(), stmt.sql, table)
        else:
            raise Unmodelled
