"""Time to check N upserts against N tables with schema-parity, next to what the real engines take to answer.

    python benchmarks/check.py [--sizes 100 1000 5000] [--pg-url postgresql://postgres@127.0.0.1:5432/postgres]
                               [--no-postgres]

Each table has a PRIMARY KEY, a UNIQUE constraint and a partial unique index; the statements cycle through
targets that hit each of them and one that misses (42P10 / "does not match"). schema-parity's cost is the DDL replay
into a Catalog plus parse + judge of every statement, per dialect. The engines' cost is loading the same DDL
(PostgreSQL: into a throw-away database this script creates and drops) and EXPLAIN of every statement, which is the
cheapest way an engine gives the same verdict. ``agree`` counts statements where both say ok or both say error.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from schema_parity.catalog import Dialect
from schema_parity.sources.ddl import catalog_from_ddl
from schema_parity.upsert import parse_upsert
from schema_parity.verdicts.dispatch import judge

DEFAULT_PG_URL = os.environ.get("SCHEMA_PARITY_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
LOAD_BATCH = 500
TARGETS = (
    "(id) DO NOTHING",
    "(b, a) DO UPDATE SET c = excluded.c",
    "(c) WHERE active DO NOTHING",
    "(e) DO NOTHING",  # no key on e: an error on both engines
)


def ddl(n: int) -> list[str]:
    statements = []
    for i in range(n):
        statements.append(f"CREATE TABLE t{i} (id integer PRIMARY KEY, a integer, b integer, c integer, e text, "
                          f"active boolean, CONSTRAINT t{i}_ab_key UNIQUE (a, b))")
        statements.append(f"CREATE UNIQUE INDEX t{i}_c_active ON t{i} (c) WHERE active")
    return statements


def upserts(n: int) -> list[str]:
    return [f"INSERT INTO t{i} (id, a, b, c, e, active) VALUES (1, 2, 3, 4, 'x', true) ON CONFLICT "
            f"{TARGETS[i % len(TARGETS)]}" for i in range(n)]


def timed(fn: Callable[[], object]) -> tuple[float, object]:
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


def checker(dialect: Dialect, schema: list[str], statements: list[str]) -> tuple[float, float, list[bool]]:
    """Seconds for the DDL replay, seconds for parse + judge, and whether each statement is ok."""
    load, catalog = timed(lambda: catalog_from_ddl(";\n".join(schema), dialect))
    run, verdicts = timed(lambda: [judge(parse_upsert(s, dialect), catalog, dialect) for s in statements])
    assert all(v.status != "unresolved" for v in verdicts)  # type: ignore[attr-defined]
    return load, run, [v.status == "ok" for v in verdicts]  # type: ignore[attr-defined]


def sqlite_engine(schema: list[str], statements: list[str]) -> tuple[float, float, list[bool]]:
    conn = sqlite3.connect(":memory:", cached_statements=0)

    def load() -> None:
        for statement in schema:
            conn.execute(statement)

    def explain() -> list[bool]:
        results = []
        for statement in statements:
            try:
                conn.execute(f"EXPLAIN {statement}").fetchall()
                results.append(True)
            except sqlite3.Error:
                results.append(False)
        return results

    load_s, _ = timed(load)
    run_s, results = timed(explain)
    conn.close()
    return load_s, run_s, results  # type: ignore[return-value]


def pg_engine(url: str, schema: list[str], statements: list[str]) -> tuple[float, float, list[bool]]:
    """A throw-away database: the DDL in batched transactions, then EXPLAIN per statement (autocommit: errors stay
    local to their statement)."""
    import psycopg

    name = f"sp_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
    try:
        with psycopg.connect(url, dbname=name, autocommit=True) as conn:

            def load() -> None:
                # batches: one transaction for 10,000 relations exceeds max_locks_per_transaction
                for start in range(0, len(schema), LOAD_BATCH):
                    with conn.transaction():
                        for statement in schema[start : start + LOAD_BATCH]:
                            conn.execute(statement)

            def explain() -> list[bool]:
                results = []
                for statement in statements:
                    try:
                        conn.execute(f"EXPLAIN {statement}").fetchall()
                        results.append(True)
                    except psycopg.Error:
                        results.append(False)
                return results

            load_s, _ = timed(load)
            run_s, results = timed(explain)
    finally:
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return load_s, run_s, results  # type: ignore[return-value]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 5000])
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL)
    parser.add_argument("--no-postgres", action="store_true", help="time SQLite only")
    args = parser.parse_args(argv)
    header = (f"{'N':>5}  {'dialect':<10} {'sp catalog':>10} {'sp check':>9} {'sp total':>9}  "
              f"{'engine DDL':>10} {'EXPLAIN':>8} {'eng total':>9}  {'ratio':>6}  agree")
    print(header)
    print("-" * len(header))
    for n in args.sizes:
        schema, statements = ddl(n), upserts(n)
        dialects: list[Dialect] = ["sqlite"] if args.no_postgres else ["postgresql", "sqlite"]
        for dialect in dialects:
            sp_load, sp_run, sp_ok = checker(dialect, schema, statements)
            en_load, en_run, en_ok = (
                pg_engine(args.pg_url, schema, statements)
                if dialect == "postgresql"
                else sqlite_engine(schema, statements)
            )
            agree = sum(a == b for a, b in zip(sp_ok, en_ok, strict=True))
            sp_total, en_total = sp_load + sp_run, en_load + en_run
            print(f"{n:>5}  {dialect:<10} {sp_load:>9.2f}s {sp_run:>8.2f}s {sp_total:>8.2f}s  "
                  f"{en_load:>9.2f}s {en_run:>7.2f}s {en_total:>8.2f}s  {sp_total / en_total:>5.2f}x  {agree}/{n}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
