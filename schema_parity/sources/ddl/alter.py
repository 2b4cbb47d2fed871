"""ALTER TABLE (RENAME, ADD, DROP, ALTER COLUMN, SET SCHEMA) and ALTER INDEX / VIEW / SEQUENCE … RENAME."""

from __future__ import annotations

import re

from schema_parity.catalog import KeyKind, is_null_default
from schema_parity.sources.ddl import partitions
from schema_parity.sources.ddl.clauses import collation, column_def, deferral, table_constraint
from schema_parity.sources.ddl.model import Found, Key, Refused, Same, Table
from schema_parity.sources.ddl.registry import Head, Registry
from schema_parity.sources.ddl.replay import Replay
from schema_parity.sources.ddl.statement import Stmt, Unmodelled, items
from schema_parity.sql.groups import Cursor, SyntaxMismatch
from schema_parity.sql.tokens import TokenType
from schema_parity.types import may_be_domain, normalize_type

__all__ = ["register"]

#: ALTER TABLE actions (first word) that change no column or key on PostgreSQL.
_HARMLESS_ALTER_TABLE = frozenset(
    {"OWNER", "ENABLE", "DISABLE", "CLUSTER", "REPLICA", "VALIDATE", "FORCE", "NO", "SET", "RESET", "OF", "NOT"}
)


def register(registry: Registry) -> None:
    registry.add("ALTER", ("TABLE",), alter_table)
    for what in ("INDEX", "VIEW", "SEQUENCE"):
        registry.add("ALTER", (what,), alter_relation)


def alter_table(replay: Replay, cur: Cursor, stmt: Stmt, head: Head) -> None:
    rules = replay.rules
    cur.expect("TABLE")
    if_exists = cur.accept("IF", "EXISTS")
    only = cur.accept("ONLY")
    schema, name = cur.qualified()
    if cur.type() == TokenType.STAR:
        cur.i += 1
    found = replay.find(schema, name)
    if found is None:
        index = replay.find_index(schema, name) if rules.has("ALTER TABLE on an index") else None
        other = (replay.lookup_schema(schema, name), name)
        if index is not None or other in replay.tables.sequences or other in replay.tables.relations:
            # ALTER TABLE works on indexes, sequences and materialized views too (pg_dump's OWNER TO, RENAME TO)
            restart = replay.cursor(stmt.tokens, stmt)
            restart.expect("ALTER")
            alter_relation(replay, restart, stmt, head)
            return
        if if_exists:
            return
        replay.table(schema, name)
    table = replay.table(schema, name, kinds=("table", "partitioned", "view"))
    actions = items(cur.rest())
    if len(actions) != 1:
        rules.refuse_syntax(",")
    for part in actions:
        _action(replay, replay.cursor(part, stmt), table, stmt, only=only)


def _action(replay: Replay, c: Cursor, table: Table, stmt: Stmt, *, only: bool) -> None:
    rules = replay.rules
    has_heirs = rules.has("partitions") and bool(partitions.heirs(replay, table))
    recurse = has_heirs and not only
    if recurse and _unmodelled_on_heirs(c, table):
        raise Unmodelled  # the change would reach the partitions / inheritance children too
    if c.at("ATTACH", "PARTITION") and rules.has("partitions"):
        partitions.attach_table(replay, c, table)
    elif c.at("DETACH", "PARTITION") and rules.has("partitions"):
        partitions.detach_table(replay, c, table)
    elif c.accept("RENAME"):
        _rename(replay, c, table, recurse=recurse)
    elif c.accept("ADD"):
        before = {id(k) for k in (*table.keys, *table.others)}
        if c.word() in rules.table_constraint_words:
            _add_constraint(replay, c, table, stmt)
        else:
            c.accept("COLUMN")
            _add_column(replay, c, table, stmt, recurse=recurse, refuse=has_heirs and only)
        _constraints_added(replay, table, before, only=only)
    elif c.accept("DROP"):
        if c.accept("CONSTRAINT"):
            _drop_constraint(replay, c, table)
        else:
            c.accept("COLUMN")
            _drop_column(replay, c, table, recurse=recurse, refuse=has_heirs and only and table.kind == "partitioned")
    elif c.accept("ALTER"):
        rules.refuse_syntax("ALTER")
        c.accept("COLUMN")
        start = c.i
        tables = [table, *partitions.descendants(replay, table)] if recurse else [table]
        saved = [(col, dict(vars(col))) for t in tables for col in t.columns]
        try:
            for t in tables:  # ATSimpleRecursion: the same change on every table below
                c.i = start
                _alter_column(replay, c, t, stmt, recursing=t is not table, lone=has_heirs and only)
        except Refused:
            for col, values in saved:
                vars(col).update(values)
            raise
    elif rules.has("ALTER TABLE SET SCHEMA") and c.accept("SET", "SCHEMA"):
        schema = rules.norm_schema(c.name())
        if rules.temp_schema in (table.schema, schema):
            raise Refused("cannot move objects into or out of temporary schemas")
        table.schema = schema
    elif rules.has("ALTER TABLE options") and c.word() in _HARMLESS_ALTER_TABLE and not c.at("SET", "DATA"):
        return  # OWNER TO, ENABLE/DISABLE TRIGGER, CLUSTER ON, REPLICA IDENTITY, SET (…), SET TABLESPACE, …
    else:
        raise Unmodelled


def _unmodelled_on_heirs(c: Cursor, table: Table) -> bool:
    """An action PostgreSQL applies to the partitions and inheritance children too, unless ONLY is written, whose
    effect there is not modelled: DROP CONSTRAINT on an inheritance parent, RENAME / ALTER CONSTRAINT, and the
    identity and generation forms of ALTER COLUMN. Columns, keys and checks are followed down (``partitions``)."""
    if c.at("DROP", "CONSTRAINT"):
        return table.kind != "partitioned"  # an inheritance child's own check of that name would stay
    if c.at("RENAME", "CONSTRAINT") or c.at("ALTER", "CONSTRAINT"):
        return True
    if not c.at("ALTER"):
        return False
    words = {t.text.upper() for t in c.tokens[c.i :]}
    return bool(words & {"IDENTITY", "GENERATED", "EXPRESSION", "RESTART"})


def _constraints_added(replay: Replay, table: Table, before: set[int], *, only: bool) -> None:
    """Keys and constraints an ADD made: a partitioned table's reach its partitions, a check reaches the heirs,
    and a primary key on an inheritance parent makes the key's columns NOT NULL all the way down."""
    keys = [k for k in table.keys if id(k) not in before]
    if table.kind == "partitioned":
        for key in keys:
            partitions.index_added(replay, table, key, only=only)
    if only or not replay.rules.has("partitions"):
        return
    partitions.others_added(replay, table, [o for o in table.others if id(o) not in before])
    if table.kind != "partitioned":
        for key in [k for k in keys if k.kind == "primary_key"]:
            names = [col.name for col in table.key_columns(key, replay.rules.same)]
            for heir in partitions.descendants(replay, table):
                for col in heir.columns:
                    if col.name in names:
                        col.nullable = False


def _rename(replay: Replay, c: Cursor, table: Table, *, recurse: bool = False) -> None:
    rules = replay.rules
    if c.accept("TO"):
        _, new = c.qualified()
        if replay.tables.find(table.schema, new) is not None:
            raise Refused(rules.rename_clash(new))
        rules.rename_table(table, new)
        return
    if c.accept("CONSTRAINT"):
        if not rules.has("RENAME CONSTRAINT"):
            raise Unmodelled
        old = c.name()
        c.expect("TO")
        new = c.name()
        key, other = table.constraint(old)
        if key is None and other is None:
            raise Refused(f'constraint "{old}" for table "{table.name}" does not exist')
        if key is not None:
            key.name = new
        if other is not None:
            other.name = new
        return
    c.accept("COLUMN")
    old = c.name()
    c.expect("TO")
    new = c.name()
    if not recurse and rules.has("partitions") and partitions.heirs(replay, table):  # ONLY (renameatt_internal)
        raise Refused(f'inherited column "{old}" must be renamed in child tables too')
    col = table.column(old, rules.same)
    if col is None:
        raise Refused(rules.no_column_to_rename(old))
    _refuse_inherited(replay, table, col.name, "rename")
    heirs = partitions.descendants(replay, table) if recurse else []
    if any(sum(p.column(old, rules.same) is not None for p in partitions.parents_of(replay, t)) > 1 for t in heirs):
        raise Unmodelled  # a column a child takes from several parents: PostgreSQL's refusal is not modelled
    for t in [table, *heirs]:  # renameatt renames the column in every table below
        found = t.column(old, rules.same)
        if found is not None:
            t.rename_column(found, new, rules.same)
            replay.tables.touch(t)


def _refuse_inherited(replay: Replay, table: Table, name: str, verb: str) -> None:
    """PostgreSQL refuses to drop, rename or retype a column a partition or inheritance child takes from a parent."""
    if replay.rules.has("partitions") and any(
        p.column(name, replay.rules.same) is not None for p in partitions.parents_of(replay, table)
    ):
        raise Refused(f'cannot {verb} inherited column "{name}"')


def _refuse_second_primary_key(table: Table, found: Found) -> None:
    if any(k.kind == "primary_key" for k in found.keys) and any(k.kind == "primary_key" for k in table.keys):
        raise Refused(f'multiple primary keys for table "{table.name}" are not allowed')


def _add_constraint(replay: Replay, c: Cursor, table: Table, stmt: Stmt) -> None:
    rules = replay.rules
    rules.refuse_syntax(c.tokens[c.i].text)
    save = c.i
    cname = c.name() if c.accept("CONSTRAINT") else None
    kind: KeyKind | None = "primary_key" if c.accept("PRIMARY", "KEY") else "unique" if c.accept("UNIQUE") else None
    if kind is not None and c.accept("USING", "INDEX"):
        index = _constraint_index(replay, table, c.name())
        _refuse_second_primary_key(table, Found(keys=[Key(None, kind, [])]))  # the index's kind is not yet the key's
        attributes = Key(None, kind, [])
        if not c.done:  # before the index changes: PostgreSQL may refuse them
            deferral(c, attributes)
        index.kind = kind
        index.name = cname or index.name
        index.deferrable, index.initially_deferred = attributes.deferrable, attributes.initially_deferred
        if kind == "primary_key":
            for col in table.key_columns(index, rules.same):
                col.nullable = False
        if not c.done:
            raise Unmodelled
        return
    c.i = save
    found = Found()
    table_constraint(replay, c, table, stmt, found, in_create=False)
    _refuse_second_primary_key(table, found)
    rules.define_constraints(replay.tables, table, found)


def _constraint_index(replay: Replay, table: Table, name: str) -> Key:
    """The index ``ADD … USING INDEX`` makes a constraint of, refused as transformIndexConstraint refuses it."""
    found = replay.tables.find_index(table.schema, name, any_schema=False)
    if found is None:
        raise Refused(f'index "{name}" does not exist')
    owner, index = found
    if index.kind not in ("unique_index", "index"):
        raise Refused(f'index "{name}" is already associated with a constraint')
    if owner is not table:
        raise Refused(f'index "{name}" does not belong to table "{table.name}"')
    if index.kind != "unique_index":
        raise Refused(f'"{name}" is not a unique index')
    if any(e.expression is not None for e in index.elements):
        raise Refused(f'index "{name}" contains expressions')
    if index.predicate is not None:
        raise Refused(f'"{name}" is a partial index')
    for number, elem in enumerate(index.elements, 1):
        if elem.collation is not None or elem.opclass is not None:
            raise Unmodelled  # the column's own collation or default operator class is accepted
        if elem.descending:
            raise Refused(f'index "{name}" column number {number} does not have default sorting behavior')
    return index


def _add_column(
    replay: Replay, c: Cursor, table: Table, stmt: Stmt, *, recurse: bool = False, refuse: bool = False
) -> None:
    """ADD COLUMN; ``recurse``: on the partitions and inheritance children too; ``refuse``: ONLY, and there are."""
    rules = replay.rules
    if c.at("IF", "NOT", "EXISTS"):
        rules.refuse_syntax("EXISTS")  # SQLite reads IF as the column's name, then NOT EXISTS
    if_not_exists = c.accept("IF", "NOT", "EXISTS")
    if c.done:  # ``ADD COLUMN`` without a column
        raise Unmodelled
    name = rules.fold(c.tokens[c.i])
    if table.column(name, rules.same) is not None:
        if if_not_exists:
            return
        raise Refused(rules.duplicate_column(name, table))
    if refuse:
        raise Refused("column must be added to child tables too")
    found = Found()
    try:
        col = column_def(replay, c, table, stmt, found)
    except (SyntaxMismatch, Refused):  # a refusal inside the definition (a collation): the column is not added
        table.columns.pop()
        raise
    try:
        if rules.name != "sqlite":  # SQLite refuses any PRIMARY KEY column (define_column), whatever the table has
            _refuse_second_primary_key(table, found)
        if recurse:
            partitions.column_conflicts(replay, table, col)
    except Refused:
        table.columns.pop()
        raise
    rules.define_column(replay.tables, table, col, found)
    if recurse:
        partitions.column_added(replay, table, col)


def _drop_constraint(replay: Replay, c: Cursor, table: Table) -> None:
    replay.rules.refuse_syntax("CONSTRAINT")
    if_exists = c.accept("IF", "EXISTS")
    name = c.name()
    key, other = table.constraint(name)
    if key is not None:
        table.keys.remove(key)
        partitions.drop_keys(replay, key)  # the partitions' indexes attached to it go with it
    elif other is not None:
        table.others.remove(other)
        for partition in partitions.descendants(replay, table) if table.kind == "partitioned" else []:
            partition.others = [o for o in partition.others if o.name != name]  # cloned under the same name
            replay.tables.touch(partition)
    elif not if_exists:
        raise Refused(f'constraint "{name}" of relation "{table.name}" does not exist')


def _drop_column(replay: Replay, c: Cursor, table: Table, *, recurse: bool = False, refuse: bool = False) -> None:
    """DROP COLUMN; ``recurse``: on the partitions and inheritance children too; ``refuse``: ONLY on a partitioned
    table that has partitions."""
    rules = replay.rules
    if c.at("IF", "EXISTS"):
        rules.refuse_syntax("EXISTS")  # SQLite reads IF as the column's name
    if_exists = rules.has("DROP COLUMN IF EXISTS") and c.accept("IF", "EXISTS")
    if c.done:  # ``DROP COLUMN`` without a column
        raise Unmodelled
    written = c.tokens[c.i].text
    name = c.name()
    cascade = c.accept("CASCADE")
    col = table.column(name, rules.same)
    if col is None:
        if if_exists:
            return
        raise Refused(rules.no_column(name, table, written))
    rules.check_drop_column(table, col)
    _refuse_inherited(replay, table, col.name, "drop")
    for t in [table, *partitions.descendants(replay, table)] if recurse else [table]:
        _refuse_partition_key(t, col.name, "drop", rules.same)
    if refuse:
        raise Refused("cannot drop column from only the partitioned table when partitions exist")
    if table.generated_from(col, rules.same) and not cascade:  # SQLite's check_drop_column has refused already
        heirs = [h.column(col.name, rules.same) for h in partitions.heirs(replay, table)] if recurse else []
        if any(x is not None and not x.local for x in heirs):  # the heirs' columns are dropped with it
            raise Refused("cannot drop desired object(s) because other objects depend on them")
        described = _described(replay, table)
        raise Refused(f"cannot drop column {col.name} of table {described} because other objects depend on it")
    table.drop_column(col, rules.same)
    replay.tables.drop_owned_sequences(table, col.name)
    if recurse:
        partitions.column_dropped(replay, table, col.name)


def _refuse_partition_key(table: Table, name: str, verb: str, same: Same) -> None:
    """PostgreSQL refuses to drop or retype a column its PARTITION BY names (has_partition_attrs)."""
    if any(same(x, name) for x in table.partition_key):
        key = f'the partition key of relation "{table.name}"'
        raise Refused(f'cannot {verb} column "{name}" because it is part of {key}')


def _described(replay: Replay, table: Table) -> str:
    """A table as PostgreSQL's getObjectDescription names it: schema-qualified unless visible on the search path,
    each part quoted unless plain lower case (quote_identifier also quotes a keyword: message only)."""
    visible = replay.lookup_schema(None, table.name) == table.schema
    parts = [table.name] if visible else [table.schema or "public", table.name]
    return ".".join(p if re.fullmatch(r"[a-z_][a-z0-9_]*", p) else '"' + p.replace('"', '""') + '"' for p in parts)


def _alter_column(
    replay: Replay, c: Cursor, table: Table, stmt: Stmt, *, recursing: bool = False, lone: bool = False
) -> None:
    """PostgreSQL's ALTER COLUMN (SQLite has none); ``lone``: ONLY, on a table with partitions or children."""
    name = c.name()
    col = next((x for x in table.columns if x.name == name), None)
    if col is None:
        raise Refused(f'column "{name}" of relation "{table.name}" does not exist')
    partitioned = lone and table.kind == "partitioned"
    if c.accept("SET", "NOT", "NULL"):
        if partitioned:  # ATExecCheckNotNull on every partition below
            below = [t.column(name, replay.rules.same) for t in partitions.descendants(replay, table)]
            if any(x is None or x.nullable for x in below):
                raise Refused("constraint must be added to child tables too")
        col.nullable = False
    elif c.accept("DROP", "NOT", "NULL"):
        if partitioned:  # ATPrepDropNotNull
            raise Refused("cannot remove constraint from only the partitioned table when partitions exist")
        if col.identity is not None:
            raise Refused(f'column "{name}" of relation "{table.name}" is an identity column')
        if any(k.kind == "primary_key" and name in k.columns() for k in table.keys):
            raise Refused(f'column "{name}" is in a primary key')
        col.nullable = True
    elif (c.at("SET", "DEFAULT") or c.at("DROP", "DEFAULT")) and (col.identity or col.generated):
        what = "an identity" if col.identity is not None else "a generated"  # ATExecColumnDefault's refusals
        raise Refused(f'column "{name}" of relation "{table.name}" is {what} column')
    elif c.accept("SET", "DEFAULT"):
        col.default = replay.expr_text(c.rest(), stmt.sql, table)
        if is_null_default(col.default) and not may_be_domain(normalize_type(col.type)):
            col.default = None  # PostgreSQL stores no NULL constant; a domain's column keeps it (CoerceToDomain), and
            # it then wins over the domain's own default
    elif c.accept("DROP", "DEFAULT"):
        col.default = None
    elif c.accept("SET", "DATA", "TYPE") or c.accept("TYPE"):
        if not recursing:
            _refuse_inherited(replay, table, name, "alter")
        _refuse_partition_key(table, name, "alter", replay.rules.same)
        if lone:  # ATPrepAlterColumnType: the heirs' column would keep the old type
            raise Refused(f'type of inherited column "{name}" must be changed in child tables too')
        type_tokens = c.until(lambda cc: cc.at("COLLATE") or cc.at("USING"))
        if not type_tokens:  # ``TYPE`` without a type
            raise Unmodelled
        col.type = " ".join(stmt.sql[type_tokens[0].start : type_tokens[-1].end + 1].split()).lower()
        if c.accept("COLLATE"):
            col.collation = collation(replay, c)
        c.rest()
    elif c.accept("DROP", "IDENTITY"):
        if not c.accept("IF", "EXISTS") and col.identity is None:
            raise Refused(f'column "{name}" of relation "{table.name}" is not an identity column')
        col.identity, col.autoincrement = None, False
    elif c.accept("ADD", "GENERATED"):
        identity = "always" if c.accept("ALWAYS") else "by default"
        c.accept("BY", "DEFAULT")
        c.expect("AS", "IDENTITY")
        if c.type() == TokenType.L_PAREN:
            c.group()
        if not c.done:
            raise Unmodelled
        column = f'column "{name}" of relation "{table.name}"'
        if col.nullable:  # ATExecAddIdentity's refusals, in its order
            raise Refused(f"{column} must be declared NOT NULL before identity can be added")
        if col.identity is not None:
            raise Refused(f"{column} is already an identity column")
        if col.default is not None or col.generated is not None:
            raise Refused(f"{column} already has a default value")
        col.identity, col.autoincrement = identity, True
        replay.rules.add_sequence(replay.tables, table, col.name)
    elif c.accept("DROP", "EXPRESSION"):
        if not c.accept("IF", "EXISTS") and col.generated is None:
            raise Refused(f'column "{name}" of relation "{table.name}" is not a stored generated column')
        col.generated = None
    elif (
        c.at("SET", "STATISTICS")
        or c.at("SET", "STORAGE")
        or c.at("SET", "COMPRESSION")
        or (c.at("SET") and c.type(1) == TokenType.L_PAREN)
        or (c.at("RESET") and c.type(1) == TokenType.L_PAREN)
    ):
        c.rest()
    else:
        raise Unmodelled
    if not c.done:
        raise Unmodelled


def alter_relation(replay: Replay, cur: Cursor, stmt: Stmt, head: Head) -> None:
    """ALTER INDEX / VIEW / SEQUENCE (and ALTER TABLE naming one of them): only RENAME changes what is modelled."""
    rules = replay.rules
    what = cur.word()
    cur.i += 1
    if_exists = cur.accept("IF", "EXISTS")
    if what == "TABLE":
        cur.accept("ONLY")
    schema, name = cur.qualified()
    if not cur.accept("RENAME"):
        if what == "INDEX" and cur.at("ATTACH"):
            if not rules.has("partitions"):
                raise Unmodelled
            partitions.attach_index(replay, cur, schema, name)
        return  # SET TABLESPACE, OWNER TO, SET (…), sequence options
    if what == "VIEW" and not cur.at("TO"):
        _rename(replay, cur, replay.table(schema, name, kinds=("view",)))
        return
    cur.expect("TO")
    new = cur.name()
    schema = replay.lookup_schema(schema, name)
    tables = replay.tables
    found = replay.find_index(schema, name) if what in ("INDEX", "TABLE") else None
    if found is not None:
        found[1].name = new  # the constraint an index backs is renamed with it
    elif what == "INDEX" and (schema, name) not in tables.relations:
        if if_exists:
            return
        raise Refused(f'relation "{name}" does not exist')
    elif what == "VIEW":
        replay.table(schema, name, kinds=("view",)).name = new
    elif (schema, name) in tables.sequences:
        tables.sequences[(schema, new)] = tables.sequences.pop((schema, name))
    elif (schema, name) in tables.relations:
        tables.relations.discard((schema, name))
        tables.relations.add((schema, new))
        for view, indexes in replay.view_indexes.items():  # an index of a materialized view
            if view[0] == schema and name in indexes:
                indexes.discard(name)
                indexes.add(new)
        if (schema, name) in replay.view_indexes:  # ALTER TABLE renaming the view itself
            replay.view_indexes[(schema, new)] = replay.view_indexes.pop((schema, name))
