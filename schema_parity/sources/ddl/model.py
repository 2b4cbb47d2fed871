"""The mutable model a replay changes statement by statement: tables, their columns, keys and other constraints.

What an engine does to its stored schema on RENAME COLUMN, RENAME TO and DROP COLUMN lives here, on the objects
it changes; which names are equal (PostgreSQL compares exactly, SQLite without case) is the caller's ``same``.
The model becomes a :class:`~schema_parity.catalog.Catalog` only at the end (``freeze``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from sqlglot import exp

from schema_parity.catalog import CONSTRAINT_KINDS, Dialect, KeyKind
from schema_parity.sql.tokens import SQLGLOT

Same = Callable[[str, str], bool]
"""Whether two names are the same name for the engine."""


_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*\Z")
_PLAIN_SQLITE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def postgres_text(ast: exp.Expr) -> str:
    """``ast`` as PostgreSQL text. sqlglot writes every function name in capitals, a quoted one too (``"f"(b)`` as
    ``"F"(b)``, another function to PostgreSQL): with a quoted one, names are written as they were read."""
    quoted = any(isinstance(f.this, exp.Identifier) and f.this.args.get("quoted") for f in ast.find_all(exp.Anonymous))
    postgres = SQLGLOT["postgres"]
    return ast.sql(dialect=postgres, normalize_functions=False) if quoted else ast.sql(dialect=postgres)


class Refused(Exception):
    """The engine refuses the statement: it is not applied and the message becomes a Catalog note."""


# -- expression fragments -------------------------------------------------------------------------------------------
@dataclass
class Ref:
    """A column (or table qualifier) name inside an expression's source text."""

    name: str
    text: str
    table: bool = False


class Parsed:
    """The tree sqlglot parsed from an expression's text, and its PostgreSQL text once generated: one per distinct
    text of a replay, shared by the fragments of that text (a schema repeats its defaults and predicates), which
    never change it (:meth:`Frag.rename` changes a copy)."""

    __slots__ = ("ast", "sql")

    def __init__(self, ast: exp.Expr | None) -> None:
        self.ast = ast
        self.sql: str | None = None


@dataclass
class Frag:
    """An expression or predicate: sqlglot AST (PostgreSQL text) plus the source text split around name references."""

    ast: exp.Expr | None
    segments: list[str | Ref]
    parsed: Parsed | None = field(default=None, compare=False, repr=False)
    """The shared parse ``ast`` comes from (it may be a node of it): ``ast`` is then never changed in place."""

    def text(self, dialect: Dialect) -> str:
        if dialect == "postgresql" and self.ast is not None:
            parsed = self.parsed
            if parsed is None or parsed.ast is not self.ast:
                return postgres_text(self.ast)
            if parsed.sql is None:
                parsed.sql = postgres_text(self.ast)
            return parsed.sql
        return "".join(s if isinstance(s, str) else s.text for s in self.segments)

    def columns(self) -> set[str]:
        return {s.name for s in self.segments if isinstance(s, Ref) and not s.table}

    def rename(self, old: str, new: str, same: Same, *, table: bool = False) -> None:
        """Follow RENAME COLUMN (or RENAME TO for qualifiers), as the engine rewrites its stored expression.

        SQLite substitutes the new name into the stored text, double-quoted when the old token was quoted, when the
        name needs it, and always for a table qualifier (observed on 3.40: ``"u".a2``).
        """
        for seg in self.segments:
            if isinstance(seg, Ref) and seg.table == table and same(seg.name, old):
                quoted = table or seg.text.startswith(('"', "[", "`")) or not _PLAIN_SQLITE_NAME.match(new)
                seg.name, seg.text = new, ('"' + new.replace('"', '""') + '"') if quoted else new
        if self.ast is None:
            return

        def named(col: exp.Column) -> bool:
            return bool(col.table) and same(col.table, old) if table else same(col.name, old)

        if self.parsed is not None:  # the tree is shared: a copy changes, when anything in it does
            if not any(named(col) for col in self.ast.find_all(exp.Column)):
                return
            self.ast, self.parsed = self.ast.copy(), None
        ident = exp.Identifier(this=new, quoted=new != new.lower() or not _WORD.match(new))
        for col in self.ast.find_all(exp.Column):
            if named(col):
                col.set("table" if table else "this", ident.copy())


# -- tables ---------------------------------------------------------------------------------------------------------
@dataclass
class Col:
    name: str
    type: str
    nullable: bool = True
    default: str | None = None
    autoincrement: bool = False
    identity: str | None = None
    generated: Frag | None = None
    collation: str | None = None
    unique_flag: bool = False
    """SQLite COLFLAG_UNIQUE: the column definition itself carried UNIQUE (DROP COLUMN then refuses)."""
    local: bool = True
    """PostgreSQL attislocal: the table declares the column itself, so DROP COLUMN on a parent leaves it there."""


@dataclass
class Elem:
    column: str | None = None
    expression: Frag | None = None
    collation: str | None = None
    opclass: str | None = None
    descending: bool = False
    operator: str | None = None


@dataclass
class Key:
    name: str | None
    kind: KeyKind
    elements: list[Elem]
    include: list[str] = field(default_factory=list)
    predicate: Frag | None = None
    deferrable: bool = False
    initially_deferred: bool = False
    nulls_not_distinct: bool = False
    method: str | None = None
    without_overlaps: bool = False
    """PostgreSQL 18: the last element is ``WITHOUT OVERLAPS`` (a temporal key, enforced by a GiST index)."""
    valid: bool = True
    """False for an index made ``ON ONLY`` a partitioned table until every partition's index is attached."""
    column_level: bool = False
    """Declared on a column (SQLite: ``INTEGER PRIMARY KEY DESC`` there is no rowid alias)."""
    from_table_definition: bool = False
    """SQLite: declared in CREATE TABLE (an autoindex), not by CREATE INDEX."""

    def columns(self) -> set[str]:
        names = {e.column for e in self.elements if e.column is not None} | set(self.include)
        for frag in [e.expression for e in self.elements] + [self.predicate]:
            if frag is not None:
                names |= frag.columns()
        return names

    def fragments(self) -> list[Frag]:
        """The expressions and the predicate, which a rename rewrites."""
        return [f for f in [*(e.expression for e in self.elements), self.predicate] if f is not None]


@dataclass
class Other:
    """A CHECK or FOREIGN KEY constraint: only its name matters to verdicts, its columns to DROP COLUMN."""

    name: str | None
    kind: str
    columns: set[str]
    owner_column: str | None = None
    references: tuple[str | None, str] | None = None
    inherited: bool = True
    """A CHECK that inheritance children take (not ``NO INHERIT``)."""


@dataclass
class Table:
    name: str
    schema: str | None
    kind: str = "table"
    columns: list[Col] = field(default_factory=list)
    keys: list[Key] = field(default_factory=list)
    others: list[Other] = field(default_factory=list)
    without_rowid: bool = False
    rules: set[str] = field(default_factory=set)
    partition_key: set[str] = field(default_factory=set)
    """PostgreSQL: the columns its PARTITION BY names (DROP COLUMN and ALTER COLUMN TYPE of one are refused)."""

    def column(self, name: str, same: Same) -> Col | None:
        return next((c for c in self.columns if same(c.name, name)), None)

    def key_columns(self, key: Key, same: Same) -> list[Col]:
        return [c for e in key.elements if e.column is not None for c in self.columns if same(c.name, e.column)]

    def element(self, column: str, same: Same) -> Elem:
        """A key element on ``column``, with the column's spelling and collation when the column exists."""
        col = self.column(column, same)
        return Elem(column=col.name if col else column, collation=col.collation if col else None)

    def rename_column(self, col: Col, new: str, same: Same) -> None:
        """RENAME COLUMN: keys, constraints and stored expressions follow the column."""
        old, col.name = col.name, new
        self.partition_key = {new if same(x, old) else x for x in self.partition_key}
        for key in self.keys:
            for elem in key.elements:
                if elem.column is not None and same(elem.column, old):
                    elem.column = new
                if elem.expression is not None:
                    elem.expression.rename(old, new, same)
            key.include = [new if same(i, old) else i for i in key.include]
            if key.predicate is not None:
                key.predicate.rename(old, new, same)
        for other in self.others:
            other.columns = {new if same(x, old) else x for x in other.columns}
            if other.owner_column is not None and same(other.owner_column, old):
                other.owner_column = new
        for x in self.columns:
            if x.generated is not None:
                x.generated.rename(old, new, same)

    def rename_qualifiers(self, old: str, new: str, same: Same) -> None:
        """RENAME TO on SQLite: the table's name as a qualifier in its index expressions is rewritten."""
        for key in self.keys:
            for frag in key.fragments():
                frag.rename(old, new, same, table=True)

    def drop_column(self, col: Col, same: Same) -> None:
        """DROP COLUMN: the column goes, with every key and constraint that uses it, and every generated column
        that reads it (PostgreSQL's CASCADE: the engine refuses the drop without it)."""
        for gone in (col, *self.generated_from(col, same)):
            self.columns.remove(gone)
            self.keys = [k for k in self.keys if not any(same(x, gone.name) for x in k.columns())]
            self.others = [o for o in self.others if not any(same(x, gone.name) for x in o.columns)]

    def generated_from(self, col: Col, same: Same) -> list[Col]:
        """The generated columns whose expression reads ``col``: PostgreSQL records each as depending on it."""
        return [
            x
            for x in self.columns
            if x is not col and x.generated is not None and any(same(n, col.name) for n in x.generated.columns())
        ]

    def constraint(self, name: str) -> tuple[Key | None, Other | None]:
        """The key constraint and the other constraint called ``name`` (PostgreSQL compares names exactly)."""
        key = next((k for k in self.keys if k.name == name and k.kind in CONSTRAINT_KINDS), None)
        other = next((o for o in self.others if o.name == name), None)
        return key, other

    def drop_references_to(self, name: str, same: Same) -> None:
        """DROP TABLE … CASCADE: foreign keys that point at the dropped table go with it."""
        self.others = [o for o in self.others if not (o.references and same(o.references[1], name))]


@dataclass
class Found:
    """Constraints met while reading a CREATE TABLE / ADD COLUMN / ADD CONSTRAINT, applied once it is read."""

    keys: list[Key] = field(default_factory=list)
    checks: list[Other] = field(default_factory=list)
    fks: list[tuple[Other, list[str]]] = field(default_factory=list)
    autoincrement: bool = False
    """SQLite: a column's ``PRIMARY KEY … AUTOINCREMENT`` (TF_Autoincrement, refused WITHOUT ROWID)."""


# -- the set of tables ----------------------------------------------------------------------------------------------
class Tables:
    """The live tables in replay order, with an index from every name they carry to the tables carrying it.

    The index is a superset, checked on every look-up: for every live table, each of its current names maps to it.
    Names only appear on tables a statement reached through ``find``/``find_index`` or created (``touched``);
    those are re-indexed before every look-up and when the statement ends, so no mutation site has to report.
    Stale entries (renamed or dropped names, dropped tables) are harmless and dropped tables are pruned on sight.
    """

    def __init__(self, same: Same, key: Callable[[str], str]) -> None:
        self.same = same
        self._key = key
        """The index key of a name: ``same(a, b)`` implies ``key(a) == key(b)``."""
        self._live: dict[int, tuple[int, Table]] = {}
        """``id(table)`` → (position, table)."""
        self._next_position = 0
        self._by_name: dict[str, dict[int, Table]] = {}
        self._touched: dict[int, Table] = {}
        """Tables the current statement may change; re-indexed before each look-up and after the statement."""
        self.sequences: dict[tuple[str | None, str], tuple[str, str] | None] = {}
        """PostgreSQL sequences: (schema, name) → the (table, column) that owns it."""
        self.relations: set[tuple[str | None, str]] = set()
        """PostgreSQL relations that are not tables or keys (materialized views, sequences made by CREATE SEQUENCE)."""

    def __iter__(self) -> Iterator[Table]:
        return iter([t for _, t in self._live.values()])

    def add(self, table: Table) -> None:
        self._live[id(table)] = (self._next_position, table)
        self._next_position += 1
        self._touched[id(table)] = table

    def remove(self, table: Table) -> None:
        del self._live[id(table)]
        self._touched.pop(id(table), None)

    def touch(self, table: Table) -> Table:
        self._touched[id(table)] = table
        return table

    def _index(self, table: Table) -> None:
        # Run at every look-up of a statement: the names are listed without generators, and a name's bucket is
        # made only when it has none (``setdefault`` would build an empty dict each time).
        tid = id(table)
        by_name, key = self._by_name, self._key
        for name in [table.name, *[k.name for k in table.keys], *[o.name for o in table.others]]:
            if name is not None:
                bucket = by_name.get(key(name))
                if bucket is None:
                    by_name[key(name)] = {tid: table}
                else:
                    bucket[tid] = table

    def _settle(self) -> None:
        """Index the touched tables' current names (they may have gained names since they were last indexed)."""
        for tid, table in self._touched.items():
            if tid in self._live:
                self._index(table)

    def end_statement(self) -> None:
        self._settle()
        self._touched = {}

    def candidates(self, name: str) -> list[Table]:
        """Live tables that may carry ``name`` (as table, key or constraint name), in replay order."""
        self._settle()
        bucket = self._by_name.get(self._key(name))
        if not bucket:
            return []
        live = self._live
        dead = [tid for tid in bucket if tid not in live]
        for tid in dead:
            del bucket[tid]
        if len(bucket) == 1:
            return list(bucket.values())
        return [t for _, t in sorted((live[tid][0], t) for tid, t in bucket.items())]

    def find(self, schema: str | None, name: str) -> Table | None:
        """The table, view or virtual table ``schema.name`` (``schema`` already normalized)."""
        found = next((t for t in self.candidates(name) if self.same(t.name, name) and t.schema == schema), None)
        return self.touch(found) if found is not None else None

    def find_index(self, schema: str | None, name: str, *, any_schema: bool) -> tuple[Table, Key] | None:
        for t in self.candidates(name):
            if t.schema == schema or any_schema:
                for k in t.keys:
                    if k.name is not None and self.same(k.name, name):
                        return self.touch(t), k
        return None

    def relation_taken(self, schema: str | None, name: str) -> bool:
        """PostgreSQL: a table, index, sequence or other relation of ``schema`` is called ``name``."""
        return (
            any(
                t.schema == schema and (t.name == name or any(k.name == name for k in t.keys))
                for t in self.candidates(name)
            )
            or (schema, name) in self.sequences
            or (schema, name) in self.relations
        )

    def constraint_taken(self, schema: str | None, name: str) -> bool:
        """PostgreSQL: a constraint of a table of ``schema`` is called ``name``."""
        return any(
            t.schema == schema
            and (
                any(k.name == name and k.kind in CONSTRAINT_KINDS for k in t.keys)
                or any(o.name == name for o in t.others)
            )
            for t in self.candidates(name)
        )

    def drop_owned_sequences(self, table: Table, column: str | None = None) -> None:
        """Sequences owned by the table (or one of its columns) are dropped with it."""
        for seq, owner in list(self.sequences.items()):
            if column is not None:
                if owner == (table.name, column):
                    del self.sequences[seq]
            elif seq[0] == table.schema and owner is not None and owner[0] == table.name:
                del self.sequences[seq]
