"""A warm `schema-parity check` (nothing changed since the last run) next to `ruff check` on the same tree.

    python benchmarks/warm.py [--project PATH] [--check-args "check ..."] [--repeat 9] [--files 2000]

Four commands, each a fresh process run from the project directory, timed as CPU (user + system of the process and
its children, from ``os.wait4``) and wall time, medians over ``--repeat`` runs:

- ``schema-parity cold``: the check with ``--no-cache`` (no scan cache, no Catalog cache, no stored result);
- ``schema-parity warm``: the same check after two runs filled the caches and stored its result
  (schema_parity/results.py), so it replays the report;
- ``ruff check --no-cache .`` and ``ruff check .`` after a run filled ruff's cache.

The check is run as the installed ``schema-parity`` command runs (the console script, by this interpreter). The
default ``--check-args`` judge the tree against a one-table ``--schema-sql`` file written outside it (PostgreSQL's
rules): every file is scanned and every site judged, and no migration runs; give ``--check-args "check"`` for a
project configured in its pyproject.toml. Without ``--project`` a corpus is generated: ``--files`` Python files in
nested packages, one in ten with an upsert, and their ``schema.sql``. ``--ruff`` names the ruff executable (default:
the one on PATH, else ``python -m ruff``). The table also says whether the warm runs replayed (they imported none of
sqlglot, SQLAlchemy and the checker) and the machine's load average.
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

MODULE = '''"""Module {n}."""

import sqlalchemy as sa

LIMIT = {n}


def handler_{n}(rows: list[dict[str, int]]) -> int:
    total = 0
    for row in rows:
        total += row.get("value", 0) * LIMIT
    return total
'''

UPSERT = """

def save_{n}(conn: sa.Connection, host: str, code: int) -> None:
    conn.execute(
        sa.text("INSERT INTO events_{t} (host, code) VALUES (:h, :c) ON CONFLICT (host) DO NOTHING"),
        {{"h": host, "c": code}},
    )
"""


def generate(root: Path, files: int) -> None:
    """``files`` Python modules in packages of 50, one in ten with an upsert on one of 20 tables, and schema.sql."""
    tables = 20
    for n in range(files):
        package = root / "app" / f"pkg{n // 50}"
        package.mkdir(parents=True, exist_ok=True)
        (package / "__init__.py").touch()
        text = MODULE.format(n=n) + (UPSERT.format(n=n, t=n % tables) if n % 10 == 0 else "")
        (package / f"mod{n}.py").write_text(text)
    ddl = "".join(
        f"CREATE TABLE events_{t} (host TEXT NOT NULL, code INTEGER NOT NULL);\n"
        f"CREATE UNIQUE INDEX uq_events_{t}_host ON events_{t} (host);\n"
        for t in range(tables)
    )
    (root / "schema.sql").write_text(ddl)


def timed(command: Sequence[str], cwd: Path) -> tuple[float, float]:
    """CPU seconds (user + system, with children) and wall seconds of one run of ``command``."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}  # byte-code cached as for a user
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        raise SystemExit(f"{shlex.join(command)} failed with exit {os.waitstatus_to_exitcode(status)}")
    return usage.ru_utime + usage.ru_stime, wall


def medians(command: Sequence[str], cwd: Path, repeat: int) -> tuple[float, float]:
    runs = [timed(command, cwd) for _ in range(repeat)]
    return statistics.median(c for c, _ in runs), statistics.median(w for _, w in runs)


def replays(command: Sequence[str], cwd: Path) -> bool:
    """Whether a run of the check imports none of the checker's modules (it replayed a stored result)."""
    probe = subprocess.run(
        [command[0], "-X", "importtime", *command[1:]], cwd=cwd, capture_output=True, text=True, check=False
    )
    return not any(name in probe.stderr for name in ("sqlglot", "sqlalchemy", "schema_parity.check"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--project", type=Path, help="the directory to run in (default: a generated corpus)")
    parser.add_argument("--check-args", help="the check's arguments (default: a one-table --schema-sql, PostgreSQL)")
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--files", type=int, default=2000, help="Python files of the generated corpus")
    parser.add_argument("--ruff", help="the ruff executable (default: ruff on PATH, else python -m ruff)")
    options = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="sp-warm-") as scratch:
        placeholder = Path(scratch) / "placeholder.sql"
        placeholder.write_text("CREATE TABLE placeholder (id int PRIMARY KEY);\n")
        if options.project is None:
            project = Path(scratch) / "corpus"
            generate(project, options.files)
            default = "check --no-config --schema-sql schema.sql --dialect postgresql app"
        else:
            project = options.project.resolve()
            default = f"check --no-config --schema-sql {shlex.quote(str(placeholder))} --dialect postgresql ."
        script = shutil.which("schema-parity")
        if script is None:
            raise SystemExit("the schema-parity command is not installed in this environment")
        check = [sys.executable, script, *shlex.split(options.check_args or default)]
        ruff_found = options.ruff or shutil.which("ruff")
        ruff = [ruff_found] if ruff_found else [sys.executable, "-m", "ruff"]
        time.sleep(0.2)  # a stored result trusts only inputs changed more than 0.1 s before the run (results.py)

        rows: list[tuple[str, tuple[float, float]]] = []
        rows.append(("schema-parity cold (--no-cache)", medians([*check, "--no-cache"], project, options.repeat)))
        for _ in range(2):  # fill the scan and Catalog caches, then store the result
            timed(check, project)
        replayed = replays(check, project)
        rows.append(("schema-parity warm", medians(check, project, options.repeat)))
        rows.append(("ruff check --no-cache", medians([*ruff, "check", "--no-cache", "."], project, options.repeat)))
        timed([*ruff, "check", "."], project)
        rows.append(("ruff check, warm (its cache)", medians([*ruff, "check", "."], project, options.repeat)))

    ruff_warm = rows[-1][1][0]
    print(f"project: {project if options.project else f'generated, {options.files} files'}")
    print(f"check: {shlex.join(check[2:])}")
    print(f"medians of {options.repeat} runs; load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"the warm runs replayed a stored result: {'yes' if replayed else 'no'}\n")
    print("| run | CPU | wall | CPU / ruff warm |")
    print("|---|---:|---:|---:|")
    for name, (cpu, wall) in rows:
        print(f"| {name} | {cpu:.3f} s | {wall:.3f} s | {cpu / ruff_warm:.1f}x |")


if __name__ == "__main__":
    main()
