"""One benchmark script at two commits, interleaved: a before/after/change table of medians.

    python benchmarks/compare.py --before-tree /tmp/base --before-python /tmp/base-venv/bin/python \\
        [--runs 5] [--nice 10] [--json FILE] -- migrate.py --sizes 100 --repeat 3

Runs ``SCRIPT ARGS`` from each tree's own ``benchmarks/`` with that side's interpreter, alternating
(before, after, before, after, ...; ``--abba`` alternates which goes first in each round, so a load trend over the
session weighs on both sides alike), ``--runs`` times each, every run a fresh process under the same ``nice``. The
script's own table is parsed into rows (seconds, or milliseconds where the script prints them), and the table shows,
per row, the median of each side and the change in percent. Each process's CPU time (user + system, from
``wait4``) is a row too: it moves less with the machine's load than wall time does. The load average is printed
before and after. The after side defaults to this tree and this interpreter.

Parsed scripts: check.py, migrate.py, scan.py, fixtures.py (the rows of their tables that are times).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]

Rows = dict[str, float]


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def _pipe_table(text: str, keys: tuple[str, ...], unit: Callable[[str], str | None]) -> Rows:
    """Rows of a ``|`` table: the row's name is its ``keys`` cells, one row per column ``unit`` gives a unit to."""
    rows: Rows = {}
    header: list[str] | None = None
    for line in text.splitlines():
        if "|" not in line or set(line.strip()) <= set("|-: "):
            continue
        cells = _cells(line)
        if header is None or (all(k in cells for k in keys) and not any(_number(c) for c in cells)):
            header = cells
            continue
        named = dict(zip(header, cells, strict=False))
        label = ", ".join(named.get(k, "") for k in keys)
        for column, value in named.items():
            suffix = unit(column)
            number = _number(value)
            if suffix is not None and number is not None:
                rows[f"{label}: {column}"] = number
    return rows


def _number(text: str) -> float | None:
    match = re.fullmatch(r"([0-9][0-9,]*(?:\.[0-9]+)?)s?", text.strip())
    return float(match.group(1).replace(",", "")) if match else None


def parse_check(text: str) -> Rows:
    """check.py: ``N dialect catalog check total  engine-DDL EXPLAIN engine-total ...``, seconds."""
    rows: Rows = {}
    names = ("sp catalog", "sp check", "sp total", "engine DDL", "EXPLAIN", "eng total")
    for line in text.splitlines():
        match = re.match(r"\s*(\d+)\s+(\w+)\s+((?:[0-9.]+s\s+){6})", line)
        if match:
            values = [float(v.rstrip("s")) for v in match.group(3).split()]
            for name, value in zip(names, values, strict=True):
                rows[f"{match.group(1)} {match.group(2)}: {name}"] = value
    return rows


def parse_migrate(text: str) -> Rows:
    return _pipe_table(text, ("revisions",), lambda c: "s" if c.endswith("(s)") else None)


def parse_scan(text: str) -> Rows:
    return _pipe_table(text, ("tree", "tool"), lambda c: "s" if c == "seconds" else None)


def parse_fixtures(text: str) -> Rows:
    return _pipe_table(text, ("revisions",), lambda c: "ms" if c.endswith(" ms") else None)


PARSERS: dict[str, Callable[[str], Rows]] = {
    "check.py": parse_check,
    "migrate.py": parse_migrate,
    "scan.py": parse_scan,
    "fixtures.py": parse_fixtures,
}


def run_once(python: str, tree: Path, script: str, args: list[str], nice: int) -> Rows:
    """One run of the script in a fresh process: its parsed rows."""
    command = ["nice", "-n", str(nice), python, str(tree / "benchmarks" / script), *args]
    process = subprocess.Popen(command, cwd=tree, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = process.communicate()
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({process.returncode}):\n{err[-2000:]}")
    rows = PARSERS[script](out)
    if not rows:
        raise SystemExit(f"no rows parsed from {script}'s output:\n{out}")
    return rows


def _children_cpu() -> float:
    """CPU seconds of the reaped child processes so far (``nice`` execs the interpreter: same process)."""
    usage = os.times()
    return usage.children_user + usage.children_system


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before-tree", type=Path, required=True, help="checkout of the before commit")
    parser.add_argument("--before-python", required=True, help="interpreter with the before checkout installed")
    parser.add_argument("--after-tree", type=Path, default=HERE, help="checkout of the after commit (this one)")
    parser.add_argument("--after-python", default=sys.executable, help="interpreter for the after side (this one)")
    parser.add_argument("--runs", type=int, default=5, help="runs per side (the median is reported)")
    parser.add_argument("--nice", type=int, default=10, help="niceness of every run, both sides alike")
    parser.add_argument("--abba", action="store_true", help="alternate which side runs first in each round")
    parser.add_argument("--json", type=Path, help="write every run's rows here")
    parser.add_argument("script", choices=sorted(PARSERS), help="a script in benchmarks/ of both trees")
    parser.add_argument("args", nargs=argparse.REMAINDER, help="the script's arguments (after --)")
    options = parser.parse_args(argv)
    args = options.args[1:] if options.args[:1] == ["--"] else options.args
    sides = {
        "before": (options.before_python, options.before_tree.resolve()),
        "after": (options.after_python, options.after_tree.resolve()),
    }
    runs: dict[str, list[Rows]] = {"before": [], "after": []}
    print(f"# {options.script} {' '.join(args)}: {options.runs} runs per side, interleaved, nice {options.nice}")
    print(f"# load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    started = time.time()
    for round_ in range(options.runs):
        order = ("after", "before") if options.abba and round_ % 2 else ("before", "after")
        for side in order:
            python, tree = sides[side]
            cpu = _children_cpu()
            rows = run_once(python, tree, options.script, args, options.nice)
            rows["process CPU (user+sys)"] = _children_cpu() - cpu
            runs[side].append(rows)
            print(f"# round {round_ + 1} {side}: load {os.getloadavg()[0]:.2f}", flush=True)
    print(f"# load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())} ({time.time() - started:.0f} s)")
    names = [name for name in runs["after"][0] if all(name in r for r in runs["before"] + runs["after"])]
    width = max(len(n) for n in names)
    print(f"\n| {'row':<{width}} | before | after | change |")
    print(f"|{'-' * (width + 2)}|---:|---:|---:|")
    for name in names:
        before = statistics.median(r[name] for r in runs["before"])
        after = statistics.median(r[name] for r in runs["after"])
        change = f"{(after - before) / before * 100:+.1f}%" if before else "n/a"
        print(f"| {name:<{width}} | {before:.3f} | {after:.3f} | {change} |")
    if options.json:
        options.json.write_text(json.dumps(runs, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
