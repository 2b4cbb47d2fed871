"""Generated PostgreSQL-style Alembic histories, for checking that SQLite builds the keys PostgreSQL builds.

``history(seed)`` is one history, the same on every run: tables created with unnamed and named keys
(``Column(unique=True)``, ``ForeignKey``, ``UniqueConstraint``, ``ForeignKeyConstraint``, a named or unnamed
primary key), ``create_unique_constraint`` and ``create_foreign_key`` with and without a name, partial unique
indexes (``postgresql_where``/``sqlite_where``, or ``op.execute``), added and dropped columns, renamed columns and
tables, a table re-created under a renamed table's old name, and drops of constraints by the name PostgreSQL
gave them. Long table and column names make PostgreSQL cut the names it chooses; names like ``a``, ``b`` and
``a_b`` make two of them collide.

The generator keeps a model of the schema so that every history is valid on PostgreSQL; the names it predicts
for the drops are PostgreSQL's rules (``postgres_names``), and the real PostgreSQL upgrade in the tests is the
judge: a wrong prediction fails there.

``python -m tests.pg_histories`` runs the fixed set on SQLite and on PostgreSQL (``SCHEMA_PARITY_TEST_PG_URL``)
and prints how many histories ran on SQLite and how many tables came out with PostgreSQL's keys and names.
"""

from __future__ import annotations

import os
import random
import sys
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from schema_parity.catalog import Catalog
from schema_parity.compare import compare, key_identity
from schema_parity.errors import MigrationError
from schema_parity.sources.alembic import AlembicProject, sqlite_memory_connection, upgrade
from schema_parity.sources.alembic.postgres_names import choose_constraint_name, choose_relation_name
from schema_parity.sources.reflect import reflect
from tests.alembic_projects import Revision, write_project

__all__ = ["COUNT", "Outcome", "history", "outcome", "run_both", "run_project"]

#: Histories in the fixed set (seeds 0 .. COUNT - 1).
COUNT = 40

LONG_TABLE = "customer_subscription_billing_adjustment_history"
LONG_COLUMN = "external_reference_identifier_for_reconciliation"
TABLES = ("account", "item", "tag", "t", "a", LONG_TABLE, "team_membership")
COLUMNS = ("a", "b", "a_b", "code", "email", "status", "owner_id", LONG_COLUMN, LONG_COLUMN + "_2")


@dataclass
class _Key:
    kind: str  # "unique" or "foreignkey"
    name: str
    columns: tuple[str, ...]


@dataclass
class _Index:
    name: str
    columns: tuple[str, ...]
    where: str | None


@dataclass
class _Table:
    name: str
    columns: list[str]
    keys: list[_Key] = field(default_factory=list)
    indexes: list[_Index] = field(default_factory=list)

    def unique_sets(self) -> set[frozenset[str]]:
        return {frozenset(k.columns) for k in self.keys if k.kind == "unique"} | {
            frozenset(i.columns) for i in self.indexes if i.where is None
        }

    def without_foreign_key(self) -> list[str]:
        used = {c for k in self.keys if k.kind == "foreignkey" for c in k.columns}
        return [c for c in self.columns if c not in used]


@dataclass
class _Schema:
    """What PostgreSQL holds: the tables, and the names its name choice avoids."""

    tables: list[_Table] = field(default_factory=list)
    relations: set[str] = field(default_factory=set)
    """Tables, sequences, indexes (a UNIQUE or PRIMARY KEY constraint's index too)."""
    constraints: set[str] = field(default_factory=set)
    serial: int = 0

    def fresh(self, prefix: str) -> str:
        self.serial += 1
        return f"{prefix}_{self.serial}"

    def key_name(self, table: str, columns: list[str] | None, label: str) -> str:
        name = choose_relation_name(table, columns, label, self.relations | self.constraints)
        self.relations.add(name)
        self.constraints.add(name)
        return name

    def foreign_key_name(self, table: str, columns: list[str]) -> str:
        name = choose_constraint_name(table, columns, "fkey", self.constraints)
        self.constraints.add(name)
        return name

    def forget(self, name: str) -> None:
        self.relations.discard(name)
        self.constraints.discard(name)


class _Writer:
    """One history: the operations, as revision code, with the model kept up to date."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.schema = _Schema()
        self.lines: list[str] = []

    def free_table_name(self) -> str | None:
        taken = self.schema.relations | {t.name for t in self.schema.tables}
        free = [name for name in TABLES if name not in taken]
        return self.rng.choice(free) if free else None

    # -- operations ---------------------------------------------------------------------------------------------
    def create_table(self, name: str | None = None) -> None:
        rng, schema = self.rng, self.schema
        name = name or self.free_table_name()
        if name is None:
            return
        columns = rng.sample(COLUMNS, rng.randint(2, 4))
        table = _Table(name, list(columns))
        targets = [t.name for t in schema.tables]
        named_pk = rng.random() < 0.2
        args = ["sa.Column('id', sa.Integer" + ("" if named_pk else ", primary_key=True") + ")"]
        flag_uniques: list[str] = []
        column_fks: list[tuple[str, str]] = []
        for column in columns:
            extra = ""
            if targets and rng.random() < 0.3:
                target = rng.choice(targets)
                extra += f", sa.ForeignKey('{target}.id')"
                column_fks.append((column, target))
            if rng.random() < 0.3:
                extra += ", unique=True"
                flag_uniques.append(column)
            args.append(f"sa.Column('{column}', sa.Integer{extra})")
        unique_sets = {frozenset([c]) for c in flag_uniques}
        explicit: list[tuple[str, tuple[str, ...], str | None]] = []  # (kind, columns, name)
        for _ in range(rng.randint(0, 2)):
            chosen = tuple(rng.sample(columns, rng.randint(1, 2)))
            if frozenset(chosen) in unique_sets:
                continue
            unique_sets.add(frozenset(chosen))
            explicit.append(("unique", chosen, schema.fresh("uq") if rng.random() < 0.3 else None))
        free = [c for c in columns if c not in dict(column_fks)]
        if targets and free and rng.random() < 0.4:
            explicit.append(("foreignkey", (rng.choice(free),), schema.fresh("fk") if rng.random() < 0.3 else None))
        for kind, chosen, constraint_name in explicit:
            named = f", name='{constraint_name}'" if constraint_name else ""
            if kind == "unique":
                args.append(f"sa.UniqueConstraint({', '.join(repr(c) for c in chosen)}{named})")
            else:
                target = rng.choice(targets)
                args.append(f"sa.ForeignKeyConstraint([{chosen[0]!r}], ['{target}.id']{named})")
        pk_name = schema.fresh("pk") if named_pk else None
        if pk_name:
            args.append(f"sa.PrimaryKeyConstraint('id', name='{pk_name}')")
        self.lines.append(f"op.create_table({name!r}, " + ", ".join(args) + ")")
        # PostgreSQL's names, in the order CREATE TABLE lists the keys: the primary key, the constraint objects,
        # then the columns' own; the foreign keys afterwards.
        schema.relations |= {name, choose_relation_name(name, ["id"], "seq", schema.relations)}
        if pk_name:
            schema.relations.add(pk_name)
            schema.constraints.add(pk_name)
        else:
            schema.key_name(name, None, "pkey")
        ordered = [(k, c, n) for k, c, n in explicit] + [("unique", (c,), None) for c in flag_uniques]
        for kind, chosen, constraint_name in ordered:
            if kind == "unique":
                if constraint_name:
                    schema.relations.add(constraint_name)
                    schema.constraints.add(constraint_name)
                table.keys.append(_Key("unique", constraint_name or schema.key_name(name, list(chosen), "key"), chosen))
        ordered_fks = [(c, n) for k, c, n in explicit if k == "foreignkey"] + [((c,), None) for c, _ in column_fks]
        for chosen, constraint_name in ordered_fks:
            if constraint_name:
                schema.constraints.add(constraint_name)
            chosen_name = constraint_name or schema.foreign_key_name(name, list(chosen))
            table.keys.append(_Key("foreignkey", chosen_name, chosen))
        schema.tables.append(table)

    def add_unique(self, table: _Table) -> None:
        width = 2 if len(table.columns) >= 2 and self.rng.random() < 0.5 else 1
        columns = tuple(self.rng.sample(table.columns, width))
        if frozenset(columns) in table.unique_sets():
            return
        if self.rng.random() < 0.3:
            name = self.schema.fresh("uq")
            self.schema.relations.add(name)
            self.schema.constraints.add(name)
            self.lines.append(f"op.create_unique_constraint({name!r}, {table.name!r}, {list(columns)!r})")
        else:
            name = self.schema.key_name(table.name, list(columns), "key")
            self.lines.append(f"op.create_unique_constraint(None, {table.name!r}, {list(columns)!r})")
        table.keys.append(_Key("unique", name, columns))

    def add_foreign_key(self, table: _Table) -> None:
        free = table.without_foreign_key()
        if not free:
            return
        column = self.rng.choice(free)
        target = self.rng.choice(self.schema.tables).name
        if self.rng.random() < 0.3:
            name = self.schema.fresh("fk")
            self.schema.constraints.add(name)
            shown = repr(name)
        else:
            name, shown = self.schema.foreign_key_name(table.name, [column]), "None"
        self.lines.append(f"op.create_foreign_key({shown}, {table.name!r}, {target!r}, [{column!r}], ['id'])")
        table.keys.append(_Key("foreignkey", name, (column,)))

    def add_partial_index(self, table: _Table) -> None:
        if len(table.columns) < 2:
            return
        column, other = self.rng.sample(table.columns, 2)
        name = self.schema.fresh("ix")
        self.schema.relations.add(name)
        where = f"{other} IS NULL" if self.rng.random() < 0.5 else f"{other} > 0"
        if self.rng.random() < 0.5:
            self.lines.append(
                f"op.create_index({name!r}, {table.name!r}, [{column!r}], unique=True, "
                f"postgresql_where=sa.text({where!r}), sqlite_where=sa.text({where!r}))"
            )
        else:
            self.lines.append(f"op.execute('CREATE UNIQUE INDEX {name} ON {table.name} ({column}) WHERE {where}')")
        table.indexes.append(_Index(name, (column,), other))

    def add_column(self, table: _Table) -> None:
        free = [c for c in COLUMNS if c not in table.columns]
        if not free:
            return
        column = self.rng.choice(free)
        extra = ""
        target = self.rng.choice(self.schema.tables).name if self.rng.random() < 0.4 else None
        unique = self.rng.random() < 0.4
        if target:
            extra += f", sa.ForeignKey('{target}.id')"
        if unique:
            extra += ", unique=True"
        self.lines.append(f"op.add_column({table.name!r}, sa.Column({column!r}, sa.Integer{extra}))")
        table.columns.append(column)
        if unique:
            table.keys.append(_Key("unique", self.schema.key_name(table.name, [column], "key"), (column,)))
        if target:
            table.keys.append(_Key("foreignkey", self.schema.foreign_key_name(table.name, [column]), (column,)))

    def drop_column(self, table: _Table) -> None:
        if len(table.columns) < 2:
            return
        column = self.rng.choice(table.columns)
        self.lines.append(f"op.drop_column({table.name!r}, {column!r})")
        table.columns.remove(column)
        for key in [k for k in table.keys if column in k.columns]:
            table.keys.remove(key)
            self.schema.forget(key.name)
        for index in [i for i in table.indexes if column in i.columns or column == i.where]:
            table.indexes.remove(index)
            self.schema.forget(index.name)

    def rename_column(self, table: _Table) -> None:
        free = [c for c in COLUMNS if c not in table.columns]
        if not free or not table.columns:
            return
        old, new = self.rng.choice(table.columns), self.rng.choice(free)
        self.lines.append(f"op.alter_column({table.name!r}, {old!r}, new_column_name={new!r})")
        table.columns[table.columns.index(old)] = new
        for key in table.keys:
            key.columns = tuple(new if c == old else c for c in key.columns)
        for index in table.indexes:
            index.columns = tuple(new if c == old else c for c in index.columns)
            index.where = new if index.where == old else index.where

    def rename_table(self, table: _Table) -> None:
        """Rename the table, and half the time create a new one under its old name (PostgreSQL's default names
        for the new one then collide with the ones the renamed table kept)."""
        new = f"{table.name}_old"
        if new in self.schema.relations or len(new) > 63:  # PostgreSQL would cut a longer name
            new = self.schema.fresh("old")
        old = table.name
        self.lines.append(f"op.rename_table({old!r}, {new!r})")
        self.schema.relations.discard(old)
        self.schema.relations.add(new)
        table.name = new
        if self.rng.random() < 0.5:
            self.create_table(old)

    def drop_constraint(self, table: _Table) -> None:
        if not table.keys:
            return
        key = self.rng.choice(table.keys)
        self.lines.append(f"op.drop_constraint({key.name!r}, {table.name!r}, type_={key.kind!r})")
        table.keys.remove(key)
        self.schema.forget(key.name)


def history(seed: int) -> list[Revision]:
    """History number ``seed``: 4 to 7 revisions of one to three operations each."""
    rng = random.Random(seed)
    writer = _Writer(rng)
    revisions: list[Revision] = []
    changes = (
        _Writer.add_unique,
        _Writer.add_foreign_key,
        _Writer.add_partial_index,
        _Writer.add_column,
        _Writer.drop_column,
        _Writer.rename_column,
        _Writer.rename_table,
        _Writer.drop_constraint,
        _Writer.drop_constraint,
    )
    for number in range(rng.randint(4, 7)):
        writer.lines = []
        if number == 0:
            writer.create_table()
        for _ in range(rng.randint(1, 3)):
            if rng.random() < 0.2:
                writer.create_table()
            else:
                rng.choice(changes)(writer, rng.choice(writer.schema.tables))
        revisions.append(
            Revision(f"h{seed:02d}r{number}", f"h{seed:02d}r{number - 1}" if number else None, "\n".join(writer.lines))
        )
    return revisions


# -- running a history on both engines ---------------------------------------------------------------------------
Shape = tuple[tuple[str, ...], tuple[tuple[Any, str | None], ...], tuple[str, ...]]
"""A table as compared: its columns, its keys (what each is, and its name), its foreign keys' names."""


@dataclass
class Outcome:
    """One history on both engines: whether every revision ran on SQLite, and each PostgreSQL table's shape on
    both (``None`` on SQLite when the run stopped)."""

    failure: str | None
    postgresql: dict[str, Shape]
    sqlite: dict[str, Shape] | None
    differences: list[str] = field(default_factory=list)
    """What ``compare`` finds between the engines' schemas beyond the cosmetic."""

    @property
    def matching(self) -> list[str]:
        """The PostgreSQL tables SQLite built with the same columns, keys, key names and foreign key names."""
        lite = self.sqlite or {}
        return [name for name, shape in self.postgresql.items() if lite.get(name) == shape]

    @property
    def matching_keys(self) -> list[str]:
        """The PostgreSQL tables SQLite built with the same keys, whatever their names."""
        lite = self.sqlite or {}

        def keys(shape: Shape | None) -> set[Any] | None:
            return None if shape is None else {identity for identity, _ in shape[1]}

        return [name for name, shape in self.postgresql.items() if keys(lite.get(name)) == keys(shape)]


def _shapes(catalog: Catalog, connection: sa.Connection) -> dict[str, Shape]:
    inspector = sa.inspect(connection)
    shapes: dict[str, Shape] = {}
    for table in catalog.tables:
        keys = tuple(sorted(((key_identity(k), k.name) for k in table.keys), key=repr))
        foreign = tuple(sorted(fk["name"] or "" for fk in inspector.get_foreign_keys(table.name)))
        shapes[table.name] = (tuple(sorted(c.name for c in table.columns)), keys, foreign)
    return shapes


def outcome(seed: int, postgresql: sa.Connection, root: Path) -> Outcome:
    """History ``seed`` upgraded on ``postgresql`` (an empty database or schema; the label) and on SQLite."""
    return run_both(history(seed), postgresql, root)


def run_both(revisions: list[Revision], postgresql: sa.Connection, root: Path) -> Outcome:
    """``revisions`` written as a project under ``root``, upgraded on ``postgresql`` and on SQLite."""
    return run_project(AlembicProject.load(write_project(root, revisions)), postgresql)


def run_project(project: AlembicProject, postgresql: sa.Connection) -> Outcome:
    """``project`` upgraded to head on ``postgresql`` and on SQLite."""
    upgrade(postgresql, project)
    postgresql.commit()
    label = reflect(postgresql)
    with sqlite_memory_connection() as connection:
        try:
            upgrade(connection, project)
        except MigrationError as exc:
            return Outcome(str(exc), _shapes(label, postgresql), None)
        built = reflect(connection)
        differences = [d.describe() for d in compare(built, label) if not d.cosmetic]
        return Outcome(None, _shapes(label, postgresql), _shapes(built, connection), differences)


def main() -> int:
    """Run the fixed set on SQLite and on a database created on ``SCHEMA_PARITY_TEST_PG_URL`` (dropped after)."""
    admin = sa.create_engine(
        os.environ.get("SCHEMA_PARITY_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"),
        isolation_level="AUTOCOMMIT",
    )
    name = f"sp_histories_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE template0')
    engine = sa.create_engine(admin.url.set(database=name))
    ran = tables = matched = keys = 0
    try:
        for seed in range(COUNT):
            with engine.connect() as connection, tempfile.TemporaryDirectory() as root:
                connection.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
                result = outcome(seed, connection, Path(root))
            ran += result.failure is None
            tables += len(result.postgresql)
            matched += len(result.matching)
            keys += len(result.matching_keys)
            if result.failure:
                print(f"history {seed}: {result.failure.splitlines()[0][:200]}", file=sys.stderr)
    finally:
        engine.dispose()
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
    print(f"histories that ran on SQLite: {ran} of {COUNT}")
    print(f"tables with PostgreSQL's keys: {keys} of {tables}")
    print(f"tables with PostgreSQL's keys, key names and foreign key names: {matched} of {tables}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
