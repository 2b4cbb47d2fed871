"""Catalogs at every revision of a history, in one pass, next to migrating each revision from base.

    python benchmarks/history.py [--sizes 25 50 100] [--repeat 3]

A statement inside a revision is judged against the schema at that revision, so a history with an upsert in each of
N revisions needs N Catalogs per engine. The one-pass columns are what the check does (``catalogs_at`` on SQLite,
``offline_sqls`` for PostgreSQL's offline DDL, each replayed); the "from base" columns build each Catalog on its own,
as a run per revision would. Times are the best of ``--repeat`` runs, in seconds.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from schema_parity.sources.alembic import AlembicProject, catalog_at, catalogs_at, offline_sql, offline_sqls
from schema_parity.sources.ddl import catalog_from_ddl
from tests.alembic_projects import Revision, write_project


def history(n: int) -> list[Revision]:
    """N revisions; each creates a table with a unique key and upserts into it."""
    return [
        Revision(
            f"r{i:03d}",
            f"r{i - 1:03d}" if i else None,
            f"""
            op.create_table("t{i}", sa.Column("id", sa.Integer, primary_key=True), sa.Column("k", sa.Integer))
            op.create_unique_constraint("uq_t{i}_k", "t{i}", ["k"])
            op.execute("INSERT INTO t{i} (id, k) VALUES (1, 1) ON CONFLICT (k) DO NOTHING")
            """,
        )
        for i in range(n)
    ]


def best_of(repeat: int, fn: Callable[[AlembicProject, int], object], project: AlembicProject, n: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn(project, n)
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[25, 50, 100])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print("| revisions | SQLite one pass | SQLite from base | offline DDL one pass | offline DDL from base |")
    print("|---:|---:|---:|---:|---:|")
    for n in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            project = AlembicProject.load(write_project(Path(tmp) / "db", history(n)))
            cells = [best_of(args.repeat, way, project, n) for way in WAYS]
        print(f"| {n} | " + " | ".join(f"{c:.2f}" for c in cells) + " |")


def _revisions(n: int) -> list[str]:
    return [f"r{i:03d}" for i in range(n)]


def sqlite_one_pass(project: AlembicProject, n: int) -> object:
    return catalogs_at(project, _revisions(n))


def sqlite_from_base(project: AlembicProject, n: int) -> object:
    return [catalog_at(project, r) for r in _revisions(n)]


def offline_one_pass(project: AlembicProject, n: int) -> object:
    return [catalog_from_ddl(sql, "postgresql") for sql, _ in offline_sqls(project, _revisions(n)).values()]


def offline_from_base(project: AlembicProject, n: int) -> object:
    return [catalog_from_ddl(offline_sql(project, r)[0], "postgresql") for r in _revisions(n)]


WAYS = (sqlite_one_pass, sqlite_from_base, offline_one_pass, offline_from_base)


if __name__ == "__main__":
    main()
