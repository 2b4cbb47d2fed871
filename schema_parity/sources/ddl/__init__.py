"""Catalog from DDL text: CREATE/ALTER/DROP statements replayed in order into a model of what the engine holds.

Why token-driven: sqlglot 30.30's DDL parser misses or misreads many forms that real migrations use
(``EXCLUDE … DEFERRABLE``, ``NOT DEFERRABLE``, ``CREATE INDEX … NULLS NOT DISTINCT``, ``ON ONLY``, ``ADD CONSTRAINT …
USING INDEX``, ``RENAME CONSTRAINT``, ``WITHOUT ROWID``, SQLite's ``a COLLATE nocase DESC`` index element, Alembic's
``ALTER TABLE t RENAME a TO b`` — semantics.md §5, E11/E12). So the statement *structure* is read here from
sqlglot's tokens (through the shared reader, :mod:`schema_parity.sql`), and sqlglot parses and generates the
*expressions* inside (index expressions, predicates, defaults). No sqlglot class attribute is patched.

The package, along its seams:

- ``registry``: which reader replays which statement (each reader module registers its own);
- ``create_table``, ``create_index``, ``views``, ``alter``, ``drop``: the statement readers, sharing the column,
  constraint and index-element clauses of ``clauses``;
- ``partitions``: PostgreSQL's partitions and table inheritance (what ATTACH, PARTITION OF, INHERITS and an index
  on a partitioned table do to the other tables); ``session``: the ``search_path`` a script sets;
- ``model``: the mutable tables, keys and constraints, with what RENAME and DROP COLUMN do to them;
- ``dialect``: one rules object per engine, for everything PostgreSQL and SQLite do differently (name folding,
  grammar, refusal messages, rowid alias, merged autoindexes, DROP COLUMN refusals);
- ``naming``: PostgreSQL's default constraint, index and sequence names (63-byte truncation, collision suffixes);
- ``replay``: the replay in progress; ``freeze``: from the model to the Catalog and back.

SQLite expression and predicate texts are the source text (SQLite compares partial-index predicates structurally
against that text), rewritten on RENAME COLUMN / RENAME TO as SQLite rewrites ``sqlite_schema``.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path

from schema_parity.catalog import Catalog, Dialect
from schema_parity.errors import ConfigError, read_text
from schema_parity.sources.ddl.dialect import rules_for
from schema_parity.sources.ddl.freeze import freeze, thaw
from schema_parity.sources.ddl.naming import make_object_name
from schema_parity.sources.ddl.registry import Registry
from schema_parity.sources.ddl.replay import Replay
from schema_parity.sources.ddl.statement import Stmt
from schema_parity.sql.script import Script

__all__ = ["DEFAULT_EXCLUDE", "catalog_from_ddl", "catalog_from_files", "make_object_name", "schema_files"]

#: Tables left out of every Catalog by default: Alembic's own bookkeeping.
DEFAULT_EXCLUDE: tuple[str, ...] = ("alembic_version",)


@functools.cache
def _readers() -> Registry:
    """The statement readers, registered by their modules; imported on the first replay, not by reflection, which
    reads single stored CREATE statements with two of them (``declared``) in every process that catalogs SQLite."""
    from schema_parity.sources.ddl import alter, create_index, create_table, drop, functions, user_types, views

    registry = Registry()
    for module in (create_table, create_index, views, alter, user_types, drop, functions):
        module.register(registry)
    return registry


#: Characters of a schema file tokenized at a time. A chunk's tokens live until its last statement is replayed, and
#: the fewer there are when the collector runs, the less it walks: 32 KiB (about 7,000 tokens) instead of the
#: splitter's 128 KiB took a third off the collector's time in a 5,000-table replay (docs/performance.md). A
#: statement longer than a chunk is read in a doubled one, as before.
_CHUNK = 1 << 15


def _replay(replay: Replay, sql: str, where: str) -> None:
    """Replay a script's statements; from an unterminated string, identifier or comment on, nothing is read."""
    script = Script(sql, replay.dialect, psql=True, split_in_parentheses=True, chunk=_CHUNK)
    read = _readers().read
    for statement in script:
        replay.run(Stmt.of(statement), where, read)
    if script.unreadable is not None:
        replay.notes.append(f"{where}:{script.unreadable.line}: not modelled: {script.unreadable.message()}")


def catalog_from_ddl(
    sql: str,
    dialect: Dialect,
    *,
    source: str = "",
    path: str | None = None,
    exclude: Sequence[str] = DEFAULT_EXCLUDE,
) -> Catalog:
    """Replay DDL text (a schema file, or Alembic's ``upgrade --sql`` output for PostgreSQL) into a Catalog.

    Statements that cannot change tables, columns or keys are skipped; anything else that is not modelled becomes a
    note ``"<path>:<line>: not modelled: <text>"``; a statement the engine would refuse becomes a note with the
    engine's message and has no effect. Tables named in ``exclude`` (Alembic's ``alembic_version``) are left out.
    """
    replay = Replay(rules_for(dialect))
    where = path or "<sql>"
    _replay(replay, sql, where)
    return freeze(replay, source=source or f"ddl:{where}", revision=None, exclude=exclude)


def schema_files(paths: Sequence[Path]) -> list[Path]:
    """The files ``paths`` stand for (a directory: its ``*.sql`` in name order).

    A missing path, or a directory without ``.sql`` files, is a ConfigError naming it: replaying nothing would give
    an empty schema, and every statement would then be reported against tables that "do not exist".
    """
    files: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            found = sorted(path.glob("*.sql"))
            if not found:
                raise ConfigError(f"{path}: schema SQL directory without .sql files (--schema-sql / schema-sql)")
            files.extend(found)
        elif path.exists():
            files.append(path)
        else:
            raise ConfigError(f"{path}: no such schema SQL file or directory (--schema-sql / schema-sql)")
    return files


def catalog_from_files(
    paths: Sequence[Path],
    dialect: Dialect,
    *,
    base: Catalog | None = None,
    exclude: Sequence[str] = DEFAULT_EXCLUDE,
) -> Catalog:
    """Replay DDL files in order (a directory stands for its ``*.sql`` files in name order), optionally on ``base``."""
    replay = Replay(rules_for(dialect))
    if base is not None:
        thaw(replay, base)
    for file in schema_files(paths):
        text = read_text(file).replace("\r\n", "\n").replace("\r", "\n")  # universal newlines, as open() reads
        _replay(replay, text, str(file))
    source = "ddl:" + ", ".join(str(p) for p in paths)
    return freeze(replay, source=source, revision=base.revision if base else None, exclude=exclude)
