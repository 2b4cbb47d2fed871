"""`schema-parity check` on generated Alembic histories of N revisions with upserts inside them: is it linear?

    python benchmarks/revisions.py [--sizes 100 200 400] [--sites 1 4] [--dialects sqlite postgresql]

Each revision creates a table with a unique constraint and runs ``--sites`` upserts inside its ``upgrade()``
(``op.execute("INSERT ... ON CONFLICT ...")``), so the check needs the schema at every revision: N Catalogs per
engine. Each cell is one fresh ``schema-parity check --alembic-config alembic.ini --dialect D --no-cache migrations``
process (start-up, migrations, scan, judge, report): its wall and CPU seconds (with the processes it waits for; not
the PostgreSQL server's), CPU per revision in milliseconds, and the check process's peak RSS. Linear growth shows as
a flat "CPU / revision" column down each dialect's rows.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.alembic_projects import Revision, write_project  # noqa: E402


def history(n: int, sites: int) -> list[Revision]:
    """N revisions; each creates a table with a unique key and runs ``sites`` upserts into it."""
    upserts = "\n".join(
        f'op.execute("INSERT INTO t{{i}} (id, k) VALUES ({s}, {s}) ON CONFLICT (k) DO NOTHING")' for s in range(sites)
    )
    return [
        Revision(
            f"r{i:04d}",
            f"r{i - 1:04d}" if i else None,
            f"""
op.create_table("t{i}", sa.Column("id", sa.Integer, primary_key=True), sa.Column("k", sa.Integer))
op.create_unique_constraint("uq_t{i}_k", "t{i}", ["k"])
"""
            + upserts.replace("{i}", str(i)),
        )
        for i in range(n)
    ]


def run_check(directory: Path, dialect: str) -> tuple[float, float, int, int]:
    """Wall seconds, CPU seconds, peak RSS in KiB and the exit code of one check."""
    command = [sys.executable, "-m", "schema_parity", "check", "--no-config", "--alembic-config", "alembic.ini",
               "--dialect", dialect, "--no-cache", "migrations"]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=directory, stdout=subprocess.DEVNULL, env=env)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):
        raise SystemExit(f"schema-parity check failed with exit {code} in {directory}")
    # The check and the processes it waited for (the migration runs); not the PostgreSQL server, which outlives it.
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return elapsed, cpu, usage.ru_maxrss, code


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 200, 400])
    parser.add_argument("--sites", type=int, nargs="+", default=[1, 4], help="upserts inside each revision")
    parser.add_argument("--dialects", nargs="+", default=["sqlite", "postgresql"])
    args = parser.parse_args(argv)
    print("| dialect | revisions | sites | wall | CPU | CPU / revision | peak RSS |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for dialect in args.dialects:
        for sites in args.sites:
            for n in args.sizes:
                with tempfile.TemporaryDirectory(prefix="sp-revisions-") as scratch:
                    write_project(Path(scratch), history(n, sites))
                    run_check(Path(scratch), dialect)  # warm: byte-code compiled, files in the page cache
                    wall, cpu, rss, _ = run_check(Path(scratch), dialect)
                print(f"| {dialect} | {n} | {n * sites} | {wall:.2f} s | {cpu:.2f} s | {1000 * cpu / n:.1f} ms | "
                      f"{rss / 1024:.0f} MB |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
