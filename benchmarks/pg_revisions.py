"""Where the time of the PostgreSQL one pass goes: migrations, signatures, reflection reads, per revision.

    python benchmarks/pg_revisions.py [--sizes 100 200 400] [--pg-url URL] [--no-memo]

Runs ``catalogs_on_server`` (what ``schema-parity check`` runs for PostgreSQL on a server) in this process on the
generated histories of ``benchmarks/revisions.py`` (one table with a unique constraint and one upsert per revision),
and times every statement sent to the server by what it is for: the migrations (Alembic's DDL and version table), the
per-relation signature query, and the reflection reads (the five catalog queries, for every relation without a memo,
for the changed ones with it). Each column is milliseconds per revision, averaged over the pass; "rest" is the wall
time outside those statements (connections, Alembic's Python, building the Catalogs). A flat row-to-row value down a
column is linear growth. ``--no-memo`` reflects every relation after every revision (the build before the memo).
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from benchmarks.revisions import history  # noqa: E402
from schema_parity.sources import server  # noqa: E402
from schema_parity.sources.alembic import AlembicProject  # noqa: E402
from tests.alembic_projects import write_project  # noqa: E402

DEFAULT_PG_URL = os.environ.get("SCHEMA_PARITY_TEST_PG_URL") or "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"

#: How each of the reflection's statements starts (after its first newline).
_REFLECTION = ("SELECT c.oid, n.nspname", "SELECT a.attrelid", "SELECT con.conrelid", "SELECT i.indrelid")


def kind(statement: str) -> str:
    text = statement.lstrip()
    if text.startswith("WITH rel AS"):
        return "signature"
    if text.startswith(_REFLECTION) or text.startswith("SELECT current_database()"):
        return "reflection"
    return "migrations"


def one(n: int, pg_url: str, label: str) -> str:
    """The table row of one pass over ``n`` revisions (run in a process of its own, for its peak RSS)."""
    spent: dict[str, float] = defaultdict(float)
    started: dict[int, float] = {}

    def before(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        started[id(cursor)] = time.perf_counter()

    def after(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        spent[kind(statement)] += time.perf_counter() - started.pop(id(cursor))

    sa.event.listen(sa.engine.Engine, "before_cursor_execute", before)
    sa.event.listen(sa.engine.Engine, "after_cursor_execute", after)
    with tempfile.TemporaryDirectory(prefix="sp-pg-revisions-") as scratch:
        project = AlembicProject.load(write_project(Path(scratch), history(n, 1)))
        revisions = [f"r{i:04d}" for i in range(n)]
        wall, cpu = time.perf_counter(), time.process_time()
        server.catalogs_on_server(pg_url, project, revisions)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    cells = [spent["migrations"], spent["signature"], spent["reflection"], wall - sum(spent.values())]
    return (
        f"| {label} | {n} | {wall:.1f} s | {cpu:.1f} s | {1000 * wall / n:.0f} ms | {1000 * cpu / n:.0f} ms | "
        + " | ".join(f"{1000 * c / n:.1f} ms" for c in cells)
        + f" | {rss:.0f} MB |"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 200, 400])
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL)
    parser.add_argument("--no-memo", action="store_true", help="reflect every relation after every revision")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # one size, in this process
    args = parser.parse_args(argv)
    label = "without memo" if args.no_memo else "with memo"
    if args.no_memo:
        server.PostgresMemo = lambda: None  # type: ignore[assignment,misc,return-value]
    if args.one is not None:
        print(one(args.one, args.pg_url, label), flush=True)
        return 0
    print(
        "| build | revisions | wall | CPU | wall / revision | CPU / revision | migrations | signature | reflection "
        "| rest | peak RSS |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n in args.sizes:
        command = [sys.executable, __file__, "--one", str(n), "--pg-url", args.pg_url]
        subprocess.run([*command, *(["--no-memo"] if args.no_memo else [])], check=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
