"""Schema dumps replayed by ``--schema-sql`` against the same dumps loaded into PostgreSQL: table by table.

    python benchmarks/dump_parity.py DIR --postgres-url postgresql://postgres@127.0.0.1:5432/postgres [--show 5]

Each ``DIR/*.sql`` (a ``pg_dump --schema-only`` file, a Rails ``db/structure.sql``, an Ecto ``structure.sql``) is
loaded with ``psql`` into a fresh database (``sp_dump_<pid>_<n>``, dropped afterwards; a statement the server
refuses, such as a missing extension's type, is skipped as psql skips it) and reflected; the same file is
replayed into a Catalog. For every table the server holds, the two are compared on what verdicts read (columns:
name, nullability, has-default, type family; keys: kind, name, elements, include, predicate, deferral,
NULLS NOT DISTINCT, method, operators, validity; rules). The table prints, per file, the tables equal, missing from the
replay, and different, and the notes the replay emitted; ``--show`` prints that many differences per file.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import sqlglot
from sqlglot import exp

from schema_parity.catalog import Catalog, Key, sorted_catalog
from schema_parity.sources.ddl import catalog_from_files
from schema_parity.sources.reflect import reflect


def _pg_text(text: str | None) -> str | None:
    """pg_get_indexdef's spelling and the replay's, made comparable: casts and parentheses dropped."""
    if text is None:
        return None
    try:
        tree = sqlglot.parse_one(text, read="postgres")
    except sqlglot.errors.SqlglotError:
        return text
    text = tree.sql(dialect="postgres")
    while True:  # one pass unwraps one level: ``CAST((x) AS text)`` needs two
        tree = tree.transform(lambda n: n.this if isinstance(n, (exp.Cast, exp.Paren)) else n)
        again = tree.sql(dialect="postgres")
        if again == text:
            return text
        text = again


def _key(key: Key) -> tuple[Any, ...]:
    elements = tuple((e.column, _pg_text(e.expression), e.collation, e.opclass) for e in key.elements)
    return (
        key.kind,
        key.name,
        elements,
        key.include,
        _pg_text(key.predicate),
        key.deferrable,
        key.initially_deferred,
        key.nulls_not_distinct,
        key.method,
        key.operators,
        key.valid,
    )


def view(catalog: Catalog) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for t in sorted_catalog(catalog).tables:
        if t.kind == "view":
            continue  # a view is no ON CONFLICT target; its columns are derived where the SELECT allows
        out[t.qualified_name] = {
            "kind": t.kind,
            "columns": [(c.name, c.nullable, c.has_default, c.normalized_type) for c in t.columns],
            "keys": sorted((_key(k) for k in t.keys), key=repr),
            "has_rules": t.has_rules,
        }
    return out


def _load(admin: sa.engine.URL, name: str, file: Path) -> Catalog:
    target = admin.set(database=name)
    env = {**os.environ, "PGOPTIONS": "-c client_min_messages=error"}
    dsn = target.set(drivername="postgresql").render_as_string(hide_password=False)
    subprocess.run(["psql", "-q", "-X", "-d", dsn, "-f", str(file)], env=env, capture_output=True, check=False)
    engine = sa.create_engine(target)
    try:
        with engine.connect() as conn:
            return reflect(conn)
    finally:
        engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("directory", type=Path)
    parser.add_argument("--postgres-url", required=True)
    parser.add_argument("--show", type=int, default=0, help="differences to print per file")
    args = parser.parse_args()
    admin_url = sa.engine.make_url(args.postgres_url)
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    totals = {"tables": 0, "equal": 0, "missing": 0, "different": 0, "notes": 0}
    print("| file | tables | equal | missing | different | notes |\n|---|---|---|---|---|---|")
    files = sorted(args.directory.glob("*.sql"))
    for n, file in enumerate(files):
        name = f"sp_dump_{os.getpid()}_{n}"
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        try:
            real = view(_load(admin_url, name, file))
        finally:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        replayed_catalog = catalog_from_files([file], "postgresql")
        replayed = view(replayed_catalog)
        missing = [t for t in real if t not in replayed]
        different = [t for t in real if t in replayed and replayed[t] != real[t]]
        row = {
            "tables": len(real),
            "equal": len(real) - len(missing) - len(different),
            "missing": len(missing),
            "different": len(different),
            "notes": len(replayed_catalog.notes),
        }
        for k, v in row.items():
            totals[k] += v
        print(f"| {file.name} | " + " | ".join(str(v) for v in row.values()) + " |")
        for t in (missing + different)[: args.show]:
            print(f"    {file.name} {t}:", file=sys.stderr)
            for field, theirs in real[t].items():
                mine = replayed.get(t, {}).get(field)
                server = theirs
                if field in ("keys", "columns") and mine is not None:  # only what differs
                    server, mine = [x for x in theirs if x not in mine], [x for x in mine if x not in theirs]
                if server != mine:
                    print(f"      {field}: server {server}\n      {' ' * len(field)}  replay {mine}", file=sys.stderr)
        for note in replayed_catalog.notes[: args.show]:
            print(f"    note {note}", file=sys.stderr)
    print(f"| {len(files)} files | " + " | ".join(str(v) for v in totals.values()) + " |")
    admin.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
