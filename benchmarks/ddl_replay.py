"""The DDL replay alone (``--schema-sql``'s cost before any upsert is read): CPU to build the Catalog of N tables.

    python benchmarks/ddl_replay.py [--sizes 1000 5000] [--repeat 7] [--python OTHER]

The corpus is the one of ``benchmarks/check.py`` and ``benchmarks/engine_vs_check.py`` (N tables with a PRIMARY KEY,
a UNIQUE constraint and a partial unique index each), written to a file and replayed with ``catalog_from_files``
for PostgreSQL, with the collector thresholds a check sets. Each run is a fresh process that replays the file
``--repeat`` times and reports the fastest (the first replay of a process also pays for imports' lazy parts);
the table shows the median of those over ``--runs`` processes. With ``--python``, that interpreter's installation is
timed too, in alternation with this one, on the same file: a change to the replay is measured this way.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

# The corpus of benchmarks/check.py (this script's directory is on sys.path when it runs).
from check import ddl

_RUN = """
import gc, sys, time
from pathlib import Path
from schema_parity.check import _GC_THRESHOLDS
from schema_parity.sources.ddl import catalog_from_files
gc.set_threshold(*_GC_THRESHOLDS)
paths, best = [Path(sys.argv[1])], float("inf")
for _ in range(int(sys.argv[2])):
    started = time.process_time()
    catalog_from_files(paths, "postgresql")
    best = min(best, time.process_time() - started)
print(best)
"""


def replay_cpu(python: str, schema: Path, repeat: int) -> float:
    """The fastest of ``repeat`` replays of ``schema`` in a fresh process of ``python``, in CPU seconds."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    done = subprocess.run([python, "-c", _RUN, str(schema), str(repeat)], capture_output=True, text=True, env=env,
                          cwd=schema.parent, check=True)
    return float(done.stdout.strip())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument("--repeat", type=int, default=7, help="replays per process (the fastest counts)")
    parser.add_argument("--runs", type=int, default=3, help="processes per interpreter (the median counts)")
    parser.add_argument("--python", help="another installation's interpreter, timed in alternation")
    args = parser.parse_args(argv)
    pythons = [sys.executable] + ([args.python] if args.python else [])
    print(f"{'tables':>7}  {'replay CPU, this':>16}" + (f"  {'--python':>9}  change" if args.python else ""))
    for n in args.sizes:
        with tempfile.TemporaryDirectory(prefix="sp-bench-") as scratch:
            schema = Path(scratch) / "schema.sql"
            schema.write_text(";\n".join(ddl(n)) + ";\n")
            cpu: dict[str, list[float]] = {p: [] for p in pythons}
            for round_ in range(args.runs):
                for python in pythons if round_ % 2 == 0 else pythons[::-1]:
                    cpu[python].append(replay_cpu(python, schema, args.repeat))
        now = statistics.median(cpu[sys.executable])
        line = f"{n:>7}  {now:>15.3f}s"
        if args.python:
            other = statistics.median(cpu[args.python])
            line += f"  {other:>8.3f}s  {100 * (now - other) / other:>+5.1f}%"
        print(line, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
