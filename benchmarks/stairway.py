"""`schema-parity diff --stairway` on generated Alembic histories of N revisions: is it linear?

    python benchmarks/stairway.py [--sizes 50 100 200] [--dialects sqlite postgresql]

Each revision creates a table with a unique constraint and drops it in its downgrade, so every round trip restores
the schema. The stairway reflects the database four times per revision (before, after the upgrade, after the
downgrade, after the second upgrade); without reuse that is N²·2 tables for N revisions. Each cell is one fresh
``schema-parity diff --stairway alembic:alembic.ini#D`` process: its wall and CPU seconds (with the processes it
waits for; not the PostgreSQL server's) and CPU per revision in milliseconds. Linear growth shows as a flat
"CPU / revision" column down each dialect's rows. PostgreSQL runs need a server the tool can find (see
docs/postgres.md), e.g. ``SCHEMA_PARITY_POSTGRES_URL``.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from revisions import history as revision_chain  # noqa: E402  (this script's directory is on sys.path)

from tests.alembic_projects import Revision, write_project  # noqa: E402


def history(n: int) -> list[Revision]:
    """N revisions (those of benchmarks/revisions.py, without upserts); each one's downgrade drops its table."""
    return [replace(r, downgrade=f'op.drop_table("t{i}")') for i, r in enumerate(revision_chain(n, 0))]


def run_stairway(directory: Path, dialect: str) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds and the exit code of one stairway."""
    command = [sys.executable, "-m", "schema_parity", "diff", "--stairway", f"alembic:alembic.ini#{dialect}"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    code = subprocess.run(command, cwd=directory, stdout=subprocess.DEVNULL, check=False).returncode
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu, code


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[50, 100, 200])
    parser.add_argument("--dialects", nargs="+", default=["sqlite"], choices=["sqlite", "postgresql"])
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f}")
    print("| dialect | revisions | wall s | CPU s | CPU / revision ms | exit |")
    print("|---|---:|---:|---:|---:|---:|")
    for dialect in args.dialects:
        for n in args.sizes:
            with tempfile.TemporaryDirectory() as scratch:
                directory = Path(scratch)
                write_project(directory, history(n))
                wall, cpu, code = run_stairway(directory, dialect)
            print(f"| {dialect} | {n} | {wall:.2f} | {cpu:.2f} | {1000 * cpu / n:.1f} | {code} |", flush=True)


if __name__ == "__main__":
    main()
