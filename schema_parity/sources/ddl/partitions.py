"""PostgreSQL's declarative partitioning as pg_dump writes it: CREATE TABLE … PARTITION OF, ALTER TABLE … ATTACH /
DETACH PARTITION, ALTER INDEX … ATTACH PARTITION, and what an index on a partitioned table does to its partitions;
and table inheritance (CREATE TABLE … INHERITS), whose children take the parents' columns and checks, not keys.

Why it matters to ON CONFLICT: an index of a partitioned table is cloned onto every partition that lacks an
equivalent one (named as an unnamed CREATE INDEX on the partition would be), and an index made ``ON ONLY`` the
partitioned table stays invalid, so inference passes it over, until an index of every partition is attached to it.
"""

from __future__ import annotations

import copy

from schema_parity.catalog import CONSTRAINT_KINDS
from schema_parity.sources.ddl.clauses import column_constraints, table_constraint
from schema_parity.sources.ddl.model import Col, Found, Key, Other, Refused, Table
from schema_parity.sources.ddl.replay import Replay
from schema_parity.sources.ddl.statement import Stmt, Unmodelled, items
from schema_parity.sql.groups import Cursor, SyntaxMismatch
from schema_parity.sql.tokens import TokenType

__all__ = [
    "attach_index",
    "attach_table",
    "children",
    "create_partition",
    "detach_table",
    "drop_keys",
    "heirs",
    "index_added",
    "inherited_columns",
    "merge_inherited",
    "others_added",
]


def children(replay: Replay, table: Table) -> list[Table]:
    """The partitions of ``table``, in replay order."""
    if not replay.parents:  # the common case: no partition at all
        return []
    return [t for t in replay.tables if replay.parents.get(t) is table]


def heirs(replay: Replay, table: Table) -> list[Table]:
    """The partitions and inheritance children of ``table``: an ALTER TABLE without ONLY changes them too."""
    if not replay.inherits:
        return children(replay, table)
    inheriting = [t for t in replay.tables if any(p is table for p in replay.inherits.get(t) or ())]
    return children(replay, table) + inheriting


def inherited_columns(replay: Replay, parents: list[Table]) -> list[Col]:
    """MergeAttributes: the parents' columns in order, one per name (NOT NULL if any parent's is), with defaults."""
    columns: list[Col] = []
    for parent in parents:
        for col in parent.columns:
            prior = next((c for c in columns if replay.rules.same(c.name, col.name)), None)
            if prior is None:
                inherited = copy.deepcopy(col)
                inherited.identity, inherited.unique_flag = None, False
                inherited.autoincrement = col.autoincrement and col.identity is None  # a serial's nextval default
                columns.append(inherited)
            elif prior.type != col.type:
                raise Unmodelled  # PostgreSQL refuses a type conflict; its message is not modelled
            else:
                prior.nullable = prior.nullable and col.nullable
    return columns


def merge_inherited(replay: Replay, table: Table, parents: list[Table], found: Found) -> None:
    """A column the child declares again merges into the inherited one; the parents' checks are inherited."""
    count = len({c.name for p in parents for c in p.columns})
    inherited, own = table.columns[:count], table.columns[count:]
    for col in list(own):
        prior = next((c for c in inherited if replay.rules.same(c.name, col.name)), None)
        if prior is None:
            continue
        if prior.type != col.type:
            raise Unmodelled  # a type conflict, or a spelling of the same type the replay cannot tell apart
        prior.nullable = prior.nullable and col.nullable
        prior.default = col.default if col.default is not None else prior.default
        prior.collation = col.collation or prior.collation
        own.remove(col)
    table.columns = inherited + own
    names = {o.name for o in found.checks}
    for parent in parents:
        for other in parent.others:
            if other.kind == "check" and other.inherited and other.name not in names:
                table.others.append(copy.deepcopy(other))
                names.add(other.name)


def _bound(cur: Cursor) -> None:
    """``FOR VALUES IN (…) | FROM (…) TO (…) | WITH (…)`` or ``DEFAULT``."""
    if cur.accept("DEFAULT"):
        return
    cur.expect("FOR", "VALUES")
    if cur.accept("IN") or cur.accept("WITH"):
        cur.group()
    else:
        cur.expect("FROM")
        cur.group()
        cur.expect("TO")
        cur.group()


def create_partition(replay: Replay, cur: Cursor, stmt: Stmt, table: Table) -> None:
    """``PARTITION OF parent [(col WITH OPTIONS …, constraint, …)] FOR VALUES … [PARTITION BY …]``: the parent's
    columns and checks, its keys cloned (first, as DefineRelation does), then the partition's own."""
    cur.expect("PARTITION", "OF")
    parent = replay.table(*cur.qualified(), kinds=("partitioned",))
    elements = items(cur.group()) if cur.type() == TokenType.L_PAREN else []
    _bound(cur)
    replay.rules.table_options(cur, table)
    if any(not k.valid for k in parent.keys):
        raise Unmodelled  # whether the clone of an invalid index is attached valid is not modelled
    table.columns = copy.deepcopy(parent.columns)
    table.others = [copy.deepcopy(o) for o in parent.others]
    replay.tables.add(table)
    replay.parents[table] = parent
    try:
        for key in parent.keys:
            _ensure(replay, key, table)
        found = Found()
        for part in elements:
            c = replay.cursor(part, stmt)
            if c.word() in replay.rules.table_constraint_words:
                table_constraint(replay, c, table, stmt, found, in_create=True)
                continue
            name = c.name()
            col = table.column(name, replay.rules.same)
            if col is None:
                raise Refused(f'column "{name}" named in partition specification does not exist')
            c.accept("WITH", "OPTIONS")
            column_constraints(replay, c, table, col, stmt, found=found)
        if any(k.kind == "primary_key" for k in found.keys) and any(k.kind == "primary_key" for k in table.keys):
            raise Unmodelled  # a second primary key: PostgreSQL's refusal is not modelled
        replay.rules.define_table(replay.tables, table, found)
    except (SyntaxMismatch, Refused):
        replay.tables.remove(table)
        del replay.parents[table]
        raise


def attach_table(replay: Replay, c: Cursor, parent: Table) -> None:
    """``ATTACH PARTITION child FOR VALUES …``: each index of the parent gets its equivalent on the child."""
    c.expect("ATTACH", "PARTITION")
    child = replay.table(*c.qualified())
    _bound(c)
    if not c.done:
        raise Unmodelled
    if parent.kind != "partitioned":
        raise Refused(f'table "{parent.name}" is not partitioned')
    if child in replay.parents:
        raise Refused(f'"{child.name}" is already a partition')
    if any(not k.valid for k in parent.keys):
        raise Unmodelled  # whether attaching makes an invalid index valid is not modelled
    replay.parents[child] = parent
    for key in parent.keys:
        _ensure(replay, key, child)


def detach_table(replay: Replay, c: Cursor, parent: Table) -> None:
    """``DETACH PARTITION child``: the child and its indexes stand alone again."""
    c.expect("DETACH", "PARTITION")
    child = replay.table(*c.qualified())
    c.skip("CONCURRENTLY", "FINALIZE")
    if not c.done:
        raise Unmodelled
    if replay.parents.get(child) is not parent:
        raise Refused(f'relation "{child.name}" is not a partition of relation "{parent.name}"')
    del replay.parents[child]
    for key in child.keys:
        replay.key_parents.pop(key, None)


def drop_keys(replay: Replay, key: Key) -> None:
    """DROP INDEX on a partitioned table's index drops the partitions' indexes attached to it."""
    for child in list(replay.tables):
        for k in [k for k in child.keys if replay.key_parents.get(k) is key]:
            child.keys.remove(k)
            replay.tables.touch(child)
            drop_keys(replay, k)


def others_added(replay: Replay, table: Table, others: list[Other]) -> None:
    """A check added to a table reaches its partitions and inheritance children, a foreign key its partitions,
    under the same name."""
    reaching = [o for o in others if (o.kind == "check" and o.inherited) or table.kind == "partitioned"]
    for child in heirs(replay, table):
        cloned = [copy.deepcopy(o) for o in reaching]
        for other in cloned:
            if other.name is None or child.constraint(other.name) != (None, None):
                raise Unmodelled  # a merge with the child's own constraint, or a name chosen anew
            child.others.append(other)
        replay.tables.touch(child)
        others_added(replay, child, cloned)


def index_added(replay: Replay, table: Table, key: Key, *, only: bool) -> None:
    """An index (or key) made on a partitioned table: ``ON ONLY`` it is invalid while a partition lacks its
    attached index; else it is made on every partition too."""
    if only:
        _validate(replay, table, key)
        return
    for child in children(replay, table):
        _ensure(replay, key, child)


def attach_index(replay: Replay, cur: Cursor, schema: str | None, name: str) -> None:
    """``ALTER INDEX parent_index ATTACH PARTITION child_index``."""
    cur.expect("ATTACH", "PARTITION")
    child_schema, child_name = cur.qualified()
    if not cur.done:
        raise Unmodelled
    found, child_found = replay.find_index(schema, name), replay.find_index(child_schema, child_name)
    if found is None or child_found is None:
        raise Refused(replay.rules.no_index(child_name if found else name))
    (table, key), (child, child_key) = found, child_found
    if replay.parents.get(child) is not table:
        raise Refused(f'table "{child.name}" is not a partition of "{table.name}"')
    attached = replay.key_parents.get(child_key)
    if attached is key:
        return
    if attached is not None or any(replay.key_parents.get(k) is key for k in child.keys):
        raise Unmodelled  # already attached elsewhere: PostgreSQL's refusal is not modelled
    if not _equivalent(replay, key, child_key):
        raise Refused(f'cannot attach index "{child_name}" as a partition of index "{name}"')
    replay.key_parents[child_key] = key
    _validate(replay, table, key)


def _equivalent(replay: Replay, key: Key, other: Key) -> bool:
    """CompareIndexInfo: the same index shape and uniqueness; an index backing a constraint takes only an index
    backing a constraint, of either kind (a partition's UNIQUE constraint attaches to the parent's primary key)."""
    unique = ("primary_key", "unique", "unique_index")
    return (
        (key.kind in unique) == (other.kind in unique)
        and (key.kind not in CONSTRAINT_KINDS or other.kind in CONSTRAINT_KINDS)
        and replay.rules.same_index_spec(key, other)
    )


def _ensure(replay: Replay, key: Key, child: Table) -> None:
    """Attach the child's equivalent index to ``key``, or make one there (and on the child's own partitions)."""
    match = next(
        (k for k in child.keys if k not in replay.key_parents and _equivalent(replay, key, k)),
        None,
    )
    if match is None:
        match = copy.deepcopy(key)
        match.name = None
        found = Found()
        found.keys.append(match)
        replay.rules.define_constraints(replay.tables, child, found)
        replay.tables.touch(child)
        for grandchild in children(replay, child):
            _ensure(replay, match, grandchild)
    replay.key_parents[match] = key


def _validate(replay: Replay, table: Table, key: Key) -> None:
    """validatePartitionedIndex: valid once every partition has a valid index attached to it, then upwards."""
    valid = all(
        any(replay.key_parents.get(k) is key and k.valid for k in child.keys) for child in children(replay, table)
    )
    if valid == key.valid:
        return
    key.valid = valid
    parent = replay.parents.get(table)
    parent_key = replay.key_parents.get(key)
    if parent is not None and parent_key is not None:
        _validate(replay, parent, parent_key)
