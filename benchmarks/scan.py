"""Scan speed on big trees: schema-parity's scanner (cold and warm cache, serial and parallel) next to grep and ruff.

    python benchmarks/scan.py [TREE ...] [--generated 5000] [--repeat 3] [--jobs 0]

Each TREE is a real source tree (for the numbers in docs/ci.md: PrefectHQ/prefect, materialised with
``git archive``); ``--generated N`` adds a synthetic tree of N Python and SQL files, one in five holding an upsert.
Rows, best of ``--repeat`` runs (other processes on the machine only ever add time):

* ``schema-parity cold``: ``scan`` with an empty cache directory (every file with ``conflict`` parsed);
* ``schema-parity warm``: the same with the cache filled by the previous run (every file still read and hashed);
* ``--jobs N``: cold, misses parsed in N processes;
* ``grep -rli 'on.conflict'``: the floor for "read every file and look for the word";
* ``ruff check --select E9``: ruff parsing every Python file (``--no-cache`` cold, then with its cache warm).

Only the scan is timed: building the schema (migrations) and judging the sites cost the same whatever the tree size.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from schema_parity.sites.scan import resolve_jobs, scan

UPSERT_PY = '''
def save_{n}(conn, host, code):
    conn.execute(
        """
        INSERT INTO events_{m} (host, code, hits) VALUES (:host, :code, 1)
        ON CONFLICT (host, code) DO UPDATE SET hits = events_{m}.hits + 1
        """,
        {{"host": host, "code": code}},
    )
'''
PLAIN_PY = '''
class Model{n}:
    """A plain module without upserts: read, never parsed."""

    def __init__(self, value: int) -> None:
        self.value = value

    def double(self) -> int:
        return self.value * 2
'''


def generate(root: Path, count: int) -> None:
    """``count`` files in 50 packages: every fifth with an upsert, every tenth a .sql file."""
    for i in range(count):
        package = root / f"pkg{i % 50}"
        package.mkdir(parents=True, exist_ok=True)
        if i % 10 == 9:
            sql = f"INSERT INTO events_{i} (host, code) VALUES ('a', 1) ON CONFLICT (host, code) DO NOTHING;\n"
            (package / f"q{i}.sql").write_text(f"-- generated\n{sql}" * 3)
            continue
        body = "".join((UPSERT_PY if i % 5 == 0 and k == 0 else PLAIN_PY).format(n=k, m=i) for k in range(8))
        (package / f"mod{i}.py").write_text(f'"""Generated module {i}."""\n' + body)


def size(root: Path) -> tuple[int, int]:
    files = lines = 0
    for directory, subdirs, names in os.walk(root):
        subdirs[:] = [d for d in subdirs if d not in {".git", ".venv", "node_modules", ".schema-parity"}]
        for name in names:
            if name.endswith((".py", ".sql")):
                files += 1
                with open(os.path.join(directory, name), "rb") as handle:
                    lines += handle.read().count(b"\n")
    return files, lines


def best(run: Callable[[], object], repeat: int, before: Callable[[], None] | None = None) -> float:
    times = []
    for _ in range(repeat):
        if before:
            before()
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def command(*args: str) -> Callable[[], object]:
    return lambda: subprocess.run(args, capture_output=True, check=False)


def measure(root: Path, repeat: int, jobs: int) -> list[tuple[str, float]]:
    cache = Path(tempfile.mkdtemp(prefix="sp-bench-cache-"))
    ruff_cache = Path(tempfile.mkdtemp(prefix="sp-bench-ruff-"))

    def clear() -> None:
        shutil.rmtree(cache, ignore_errors=True)

    def scanner(jobs: int = 1, cache_dir: Path | None = cache) -> Callable[[], object]:
        return lambda: scan([root], root=root, cache_dir=cache_dir, jobs=jobs)

    rows = [
        ("schema-parity cold", best(scanner(), repeat, clear)),
        ("schema-parity warm", best(scanner(), repeat)),
        ("schema-parity no cache", best(scanner(cache_dir=None), repeat)),
        (f"schema-parity cold --jobs {jobs}", best(scanner(jobs), repeat, clear)),
        (
            "grep -rli 'on.conflict'",
            best(command("grep", "-rli", "--include=*.py", "--include=*.sql", "on.conflict", str(root)), repeat),
        ),
    ]
    if shutil.which("ruff"):
        rows.append(
            (
                "ruff check --select E9 (no cache)",
                best(
                    command("ruff", "check", "--select", "E9", "--no-cache", "--exit-zero", "--quiet", str(root)),
                    repeat,
                ),
            )
        )
        warm_ruff = command(
            "ruff", "check", "--select", "E9", "--cache-dir", str(ruff_cache), "--exit-zero", "--quiet", str(root)
        )
        warm_ruff()
        rows.append(("ruff check --select E9 (warm cache)", best(warm_ruff, repeat)))
    clear()
    shutil.rmtree(ruff_cache, ignore_errors=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("trees", nargs="*", type=Path)
    parser.add_argument("--generated", type=int, default=5000, help="files in the synthetic tree (0: none)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=0, help="processes for the parallel row (0: one per CPU)")
    args = parser.parse_args()
    jobs = resolve_jobs(args.jobs)
    trees = list(args.trees)
    with tempfile.TemporaryDirectory(prefix="sp-bench-tree-") as generated:
        if args.generated:
            generate(Path(generated), args.generated)
            trees.append(Path(generated))
        print(f"cpus: {os.cpu_count()}, python {sys.version.split()[0]}, best of {args.repeat}\n")
        print("| tree | files | lines | tool | seconds | files/s | lines/s |")
        print("|---|---:|---:|---|---:|---:|---:|")
        for tree in trees:
            files, lines = size(tree)
            label = f"generated ({args.generated} files)" if str(tree) == generated else tree.name
            for name, seconds in measure(tree.resolve(), args.repeat, jobs):
                print(
                    f"| {label} | {files} | {lines} | {name} | {seconds:.3f} | {files / seconds:,.0f} | "
                    f"{lines / seconds:,.0f} |"
                )


if __name__ == "__main__":
    main()
