"""DROP TABLE / VIEW / INDEX / SEQUENCE / MATERIALIZED VIEW / RULE / TRIGGER / SCHEMA … CASCADE."""

from __future__ import annotations

from schema_parity.sources.ddl import partitions
from schema_parity.sources.ddl.model import Refused
from schema_parity.sources.ddl.registry import HARMLESS_OBJECTS, Head, Registry
from schema_parity.sources.ddl.replay import Replay
from schema_parity.sources.ddl.statement import Stmt, Unmodelled
from schema_parity.sql.groups import Cursor
from schema_parity.sql.tokens import TokenType

__all__ = ["register"]

_DROPPED = ("TABLE", "VIEW", "INDEX", "SEQUENCE", "MATERIALIZED VIEW", "RULE", "TRIGGER", "SCHEMA")
#: Objects whose DROP cannot change tables, columns or keys, even with CASCADE.
_HARMLESS_EVEN_CASCADED = ("POLICY", "STATISTICS", "PUBLICATION", "ROLE", "USER")


def register(registry: Registry) -> None:
    registry.add("DROP", (), drop)


def drop(replay: Replay, cur: Cursor, stmt: Stmt, head: Head) -> None:
    what = cur.name().upper()
    if what == "MATERIALIZED":
        cur.expect("VIEW")
        what = "MATERIALIZED VIEW"
    if what not in _DROPPED:
        if what in HARMLESS_OBJECTS and not any(t.text.upper() == "CASCADE" for t in cur.tokens):
            return
        if what in _HARMLESS_EVEN_CASCADED:
            return
        raise Unmodelled
    cur.accept("CONCURRENTLY")
    if_exists = cur.accept("IF", "EXISTS")
    if what in ("RULE", "TRIGGER"):
        dropped = cur.name()
        if not cur.accept("ON"):  # SQLite's DROP TRIGGER names no table, and no trigger is a constraint there
            return
        table = replay.find(*cur.qualified())
        if table is not None and what == "RULE":
            table.rules.discard(dropped)
        elif table is not None:  # a constraint trigger's constraint goes with it
            same = replay.rules.same
            table.others = [o for o in table.others if not (o.kind == "trigger" and same(o.name or "", dropped))]
        return
    names = [cur.qualified()]
    while cur.type() == TokenType.COMMA:
        cur.i += 1
        names.append(cur.qualified())
    cascade = cur.accept("CASCADE")
    cur.accept("RESTRICT")
    if not cur.done:
        raise Unmodelled
    for schema, name in names:
        _drop_one(replay, what, replay.lookup_schema(schema, name), name, if_exists=if_exists, cascade=cascade)


def _drop_one(replay: Replay, what: str, schema: str | None, name: str, *, if_exists: bool, cascade: bool) -> None:
    rules, tables = replay.rules, replay.tables
    if what == "SCHEMA":
        if cascade:
            for t in tables:
                if t.schema == name:
                    tables.remove(t)
        return
    if what == "INDEX":
        found = replay.find_index(schema, name)
        view = next((v for v, names in replay.view_indexes.items() if v[0] == schema and name in names), None)
        if found is None and view is not None:
            replay.view_indexes[view].discard(name)
            tables.relations.discard((schema, name))
            return
        if found is None:
            if not if_exists:
                raise Refused(rules.no_index(name))
            return
        owner, key = found
        if rules.index_backs_constraint(key):
            raise Refused(rules.index_of_constraint(name, owner))
        if key in replay.key_parents:
            raise Refused(f"cannot drop index {name} because index {replay.key_parents[key].name} requires it")
        owner.keys.remove(key)
        partitions.drop_keys(replay, key)
        return
    if what in ("SEQUENCE", "MATERIALIZED VIEW"):
        tables.sequences.pop((schema, name), None)
        tables.relations.discard((schema, name))
        for index in replay.view_indexes.pop((schema, name), set()):  # a view's indexes go with it
            tables.relations.discard((schema, index))
        return
    table = tables.find(schema, name)
    kinds = ("view",) if what == "VIEW" else ("table", "partitioned", "virtual")
    if table is None or table.kind not in kinds:
        if not if_exists:
            raise Refused(rules.no_such(what, name))
        return
    heirs = partitions.heirs(replay, table)
    partitions_of_it = partitions.children(replay, table)
    if not cascade and len(heirs) > len(partitions_of_it):  # inheritance children depend on it
        raise Refused(f"cannot drop table {name} because other objects depend on it")
    for heir in heirs:  # partitions go with it; inheritance children with CASCADE
        if tables.find(heir.schema, heir.name) is heir:
            _drop_one(replay, what, heir.schema, heir.name, if_exists=False, cascade=cascade)
    replay.inherits.pop(table, None)
    tables.remove(table)
    tables.drop_owned_sequences(table)
    if cascade:
        for other_table in tables:
            other_table.drop_references_to(name, rules.same)
