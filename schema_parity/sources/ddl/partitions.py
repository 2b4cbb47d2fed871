"""PostgreSQL's declarative partitioning as pg_dump writes it: CREATE TABLE … PARTITION OF, ALTER TABLE … ATTACH /
DETACH PARTITION, ALTER INDEX … ATTACH PARTITION, and what an index on a partitioned table does to its partitions;
and table inheritance (CREATE TABLE … INHERITS), whose children take the parents' columns and checks, not keys.

Why it matters to ON CONFLICT: an index of a partitioned table is cloned onto every partition that lacks an
equivalent one (named as an unnamed CREATE INDEX on the partition would be), and an index made ``ON ONLY`` the
partitioned table stays invalid, so inference passes it over, until an index of every partition is attached to it.
"""

from __future__ import annotations

import copy
import functools

from sqlglot import exp
from sqlglot.errors import ParseError

from schema_parity.catalog import CONSTRAINT_KINDS, is_null_default
from schema_parity.sources.ddl.clauses import column_constraints, table_constraint
from schema_parity.sources.ddl.model import Col, Found, Key, Other, Refused, Table
from schema_parity.sources.ddl.replay import Replay
from schema_parity.sources.ddl.statement import Stmt, Unmodelled, items
from schema_parity.sql.groups import Cursor, SyntaxMismatch
from schema_parity.sql.tokens import SQLGLOT, TokenType

__all__ = [
    "attach_index",
    "attach_table",
    "children",
    "column_added",
    "column_conflicts",
    "column_dropped",
    "create_partition",
    "descendants",
    "detach_table",
    "drop_keys",
    "heirs",
    "index_added",
    "inherited_columns",
    "merge_inherited",
    "others_added",
    "parents_of",
    "same_type",
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


#: The serial pseudo-types name their column's type (plus a sequence default).
_SERIALS = {
    "serial": "integer",
    "serial4": "integer",
    "bigserial": "bigint",
    "serial8": "bigint",
    "smallserial": "smallint",
    "serial2": "smallint",
}


@functools.lru_cache(maxsize=1024)
def _type_key(text: str) -> str:
    """A PostgreSQL type as one spelling (``int4``, ``int`` and ``integer`` alike), by sqlglot's type parser."""
    plain = " ".join(text.lower().split())
    plain = _SERIALS.get(plain, plain)
    try:
        return exp.DataType.build(plain, dialect=SQLGLOT["postgres"], udt=True).sql(dialect=SQLGLOT["postgres"])
    except (ParseError, ValueError):
        return plain


def same_type(a: str, b: str) -> bool:
    """Two column types as written are the same PostgreSQL type (MergeAttributes compares type and typmod)."""
    return a == b or _type_key(a) == _type_key(b)


def descendants(replay: Replay, table: Table) -> list[Table]:
    """Every table below ``table`` (find_all_inheritors): what a column change without ONLY reaches."""
    found: list[Table] = []
    for heir in heirs(replay, table):
        if heir not in found:
            found.append(heir)
            found.extend(t for t in descendants(replay, heir) if t not in found)
    return found


def parents_of(replay: Replay, table: Table) -> list[Table]:
    """The partitioned table and the inheritance parents ``table`` takes columns from."""
    parent = replay.parents.get(table)
    return ([parent] if parent is not None else []) + list(replay.inherits.get(table) or ())


def column_added(replay: Replay, table: Table, col: Col) -> None:
    """ADD COLUMN without ONLY: each partition and inheritance child gets the column (NOT NULL, default, not its
    keys), or merges it into its own column of the same name and type; then their heirs, once each."""
    for heir in heirs(replay, table):
        prior = heir.column(col.name, replay.rules.same)
        if prior is not None:
            continue  # merged ("merging definition of column"): the child's column stays as it is
        inherited = copy.deepcopy(col)
        inherited.identity, inherited.unique_flag, inherited.local = None, False, False
        inherited.autoincrement = col.autoincrement and col.identity is None
        heir.columns.append(inherited)
        replay.tables.touch(heir)
        column_added(replay, heir, inherited)


def column_conflicts(replay: Replay, table: Table, col: Col) -> None:
    """Refuse ADD COLUMN as PostgreSQL does when it cannot reach an heir."""
    for heir in descendants(replay, table):
        prior = heir.column(col.name, replay.rules.same)
        if col.identity is not None:
            raise Refused("cannot recursively add identity column to table that has child tables")
        if prior is not None and not same_type(prior.type, col.type):
            raise Refused(f'child table "{heir.name}" has different type for column "{col.name}"')


def column_dropped(replay: Replay, table: Table, name: str) -> None:
    """DROP COLUMN without ONLY: a partition's column goes; an inheritance child keeps one it declares itself or
    takes from another parent too (then it becomes its own)."""
    for heir in heirs(replay, table):
        col = heir.column(name, replay.rules.same)
        if col is None:
            continue
        others = [p for p in parents_of(replay, heir) if p is not table and p.column(name, replay.rules.same)]
        if replay.parents.get(heir) is table or (not col.local and not others):
            heir.drop_column(col, replay.rules.same)
            replay.tables.drop_owned_sequences(heir, col.name)
            replay.tables.touch(heir)
            column_dropped(replay, heir, name)
        elif not others:
            col.local = True


def inherited_columns(replay: Replay, parents: list[Table]) -> list[Col]:
    """MergeAttributes: the parents' columns in order, one per name (NOT NULL if any parent's is), with defaults."""
    columns: list[Col] = []
    for parent in parents:
        for col in parent.columns:
            prior = next((c for c in columns if replay.rules.same(c.name, col.name)), None)
            if prior is None:
                inherited = copy.deepcopy(col)
                inherited.identity, inherited.unique_flag, inherited.local = None, False, False
                inherited.autoincrement = col.autoincrement and col.identity is None  # a serial's nextval default
                columns.append(inherited)
            elif not same_type(prior.type, col.type):
                raise Refused(f'inherited column "{col.name}" has a type conflict')
            elif not _same_collation(replay, prior, col):
                raise Refused(f'inherited column "{col.name}" has a collation conflict')
            else:
                prior.nullable = prior.nullable and col.nullable
    return columns


def _same_collation(replay: Replay, a: Col, b: Col) -> bool:
    """MergeAttributes compares the collations in effect: none written is the type's default, as ``"default"`` is."""
    return replay.rules.effective_collation(a.collation) == replay.rules.effective_collation(b.collation)


def merge_inherited(replay: Replay, table: Table, parents: list[Table], found: Found) -> None:
    """A column the child declares again merges into the inherited one; the parents' checks are inherited."""
    count = len({c.name for p in parents for c in p.columns})
    inherited, own = table.columns[:count], table.columns[count:]
    for col in list(own):
        prior = next((c for c in inherited if replay.rules.same(c.name, col.name)), None)
        if prior is None:
            continue
        if not same_type(prior.type, col.type):
            raise Refused(f'column "{col.name}" has a type conflict')
        if not _same_collation(replay, prior, col):
            raise Refused(f'column "{col.name}" has a collation conflict')
        prior.nullable = prior.nullable and col.nullable
        prior.local = True
        prior.default = col.default if col.default is not None else prior.default
        if is_null_default(prior.default):
            prior.default = None  # the child's DEFAULT NULL drops the inherited default
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
    parent = replay.table(*cur.qualified())
    if parent.kind != "partitioned":
        raise Refused(f'"{parent.name}" is not partitioned')
    elements = items(cur.group()) if cur.type() == TokenType.L_PAREN else []
    _bound(cur)
    replay.rules.table_options(cur, table)
    if any(not k.valid for k in parent.keys):
        raise Unmodelled  # whether the clone of an invalid index is attached valid is not modelled
    table.columns = copy.deepcopy(parent.columns)
    for inherited in table.columns:  # a partition's column has no identity (PostgreSQL 15), its serial default
        inherited.local = False
        inherited.autoincrement = inherited.autoincrement and inherited.identity is None
        inherited.identity = None
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
                raise Refused(f'column "{name}" does not exist')
            c.accept("WITH", "OPTIONS")
            column_constraints(replay, c, table, col, stmt, found=found)
        if any(k.kind == "primary_key" for k in found.keys) and any(k.kind == "primary_key" for k in table.keys):
            raise Refused(f'multiple primary keys for table "{table.name}" are not allowed')
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
    for col in child.columns:
        col.local = False  # a partition's columns are all the parent's: DROP COLUMN on the parent drops them
    for key in parent.keys:
        _ensure(replay, key, child)
    for fk in [o for o in parent.others if o.kind == "fk"]:  # CloneForeignKeyConstraints
        if not any(o.kind == "fk" and o.columns == fk.columns and o.references == fk.references for o in child.others):
            if child.constraint(fk.name or "") != (None, None):
                replay.notes_pending.append(
                    f'foreign key "{fk.name}" cloned onto "{child.name}": its name there is not modelled'
                )
            child.others.append(copy.deepcopy(fk))
    replay.tables.touch(child)


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
    _validate(replay, table, key)  # an invalid index attached below (ON ONLY a sub-partitioned partition) stays so


def attach_index(replay: Replay, cur: Cursor, schema: str | None, name: str) -> None:
    """``ALTER INDEX parent_index ATTACH PARTITION child_index``."""
    cur.expect("ATTACH", "PARTITION")
    child_schema, child_name = cur.qualified()
    if not cur.done:
        raise Unmodelled
    found, child_found = replay.find_index(schema, name), replay.find_index(child_schema, child_name)
    if found is None or child_found is None:
        raise Refused(replay.rules.no_table(child_name if found else name))
    (table, key), (child, child_key) = found, child_found
    attached = replay.key_parents.get(child_key)
    if attached is key:
        return
    # AttachPartitionIndex: not a partition's index, attached to another index, or the partition has one attached
    if (
        replay.parents.get(child) is not table
        or attached is not None
        or any(replay.key_parents.get(k) is key for k in child.keys)
        or not _equivalent(replay, key, child_key)
    ):
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
        _validate(replay, child, match)
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
