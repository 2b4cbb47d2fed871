"""Mutation testing of the verdicts in one process: every mutant judged again on every recorded ``check()`` call.

    nice -n 10 python .ci/mutants.py [--generate] [--unit] [--timeout 120] [--out FILE] PATTERN...

``mutmut run`` starts a pytest session per mutant (15-60 s each here, a full selection of 3-4 minutes for a
survivor). This driver instead runs the tests that answer from the engines once, in this process, on the mutated
tree mutmut writes to ``mutants/`` with no mutant active, and records every ``check()`` call they make with the
verdict it returned (the tests pass, so that verdict is the engine's answer wherever a test compares them). Then,
for each mutant whose name matches a PATTERN (``fnmatch``, as ``mutmut results`` names them, e.g.
``schema_parity.verdicts.postgresql.x__btree_implies__mutmut_*``), it selects the mutant as mutmut's trampolines do
(``MUTANT_UNDER_TEST``), clears every cache of ``schema_parity`` and judges each recorded call again: a different
status, rule or arbiter, an exception or no answer within ``--timeout`` seconds kills it. With ``--unit``, each
survivor also runs ``tests/test_verdicts_unit.py`` in a pytest process of its own (a failure kills it). ``--tests``
records other test files instead (those of ``mutants/tests/``: copy a test file there after adding rows to it), to
check survivors against new rows in seconds. ``--dialect`` judges only the recorded calls of one engine: only
``check(..., "sqlite")`` reaches ``verdicts/sqlite.py`` (and only PostgreSQL's calls ``verdicts/postgresql.py``), so
for a mutant there the other engine's calls can tell nothing apart and only cost time.

``--generate`` first writes ``mutants/`` with mutmut's own generator (from ``[tool.mutmut]`` of ``pyproject.toml``;
``mutmut run`` does the same before it collects the tests). The tests recorded are those of ``TESTS`` below
(PostgreSQL needed: ``SCHEMA_PARITY_REQUIRE_PG=1``). One line of JSON per mutant goes to ``--out`` (default
``mutants/driver-results.jsonl``: name, outcome, the first call that told it apart), and a count per function to
stdout; a run continues where the last one with the same ``--out`` stopped. A survivor is then read: a row of
``tests/test_mutants_*.py`` answered by the engine kills it where it changes a verdict (check it with ``--tests``
and the mutant's name), or it is listed in docs/development.md ("Mutation testing") with why.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
MUTANTS = ROOT / "mutants"
TESTS = [
    "tests/test_verdicts_unit.py",
    "tests/test_verdicts_conformance.py",
    "tests/test_engine_tables_postgresql.py",
    "tests/test_engine_tables_sqlite.py",
    "tests/test_mutants_postgresql.py",
    "tests/test_mutants_sqlite.py",
]
"""The tests whose ``check()`` calls are recorded: the engine tables and mutant rows (answered live) and the unit
and conformance tests of the verdicts."""


@dataclass
class Call:
    sql: str
    catalog: Any
    dialect: str
    kwargs: dict[str, Any]
    said: tuple[Any, ...]


class Timeout(BaseException):
    """No answer in time (a BaseException: a mutant's own ``except Exception`` must not swallow it)."""


def said(verdict: Any) -> tuple[Any, ...]:
    """What a verdict decides: its status, its rules in order, its arbiters."""
    return (verdict.status, tuple(p.rule for p in verdict.problems), tuple(verdict.arbiters))


def generate() -> None:
    """Write ``mutants/`` as ``mutmut run`` does before it runs any test."""
    os.chdir(ROOT)
    from mutmut.__main__ import create_mutants
    from mutmut.mutation.trampoline import set_mutant_under_test
    from mutmut.utils.file_utils import copy_also_copy_files, copy_src_dir, setup_source_paths

    set_mutant_under_test("mutant_generation")
    MUTANTS.mkdir(exist_ok=True)
    copy_src_dir()
    copy_also_copy_files()
    setup_source_paths()
    stats = create_mutants(2)
    print(f"generated: {stats.mutated} files mutated, {stats.unmodified} unmodified", file=sys.stderr)


def mutant_names(patterns: list[str]) -> list[str]:
    """The names of the generated mutants that match ``patterns``, in source order."""
    names = []
    for meta in sorted(MUTANTS.glob("schema_parity/**/*.py.meta")):
        keys = json.loads(meta.read_text())["exit_code_by_key"]
        names.extend(k for k in keys if any(fnmatch.fnmatchcase(k, p) for p in patterns))
    return names


def record(tests: list[str]) -> list[Call]:
    """Run ``tests`` in this process on the mutated tree, no mutant active, and keep every ``check()`` call."""
    import pytest

    calls: list[Call] = []

    class Recorder:
        """Wraps ``check`` once pytest has loaded its plugins (``schema_parity`` among them), before the tests
        import it."""

        @pytest.hookimpl(tryfirst=True)
        def pytest_configure(self) -> None:
            from schema_parity import verdicts

            assert Path(verdicts.__file__).is_relative_to(MUTANTS), f"schema_parity from {verdicts.__file__}"
            original = verdicts.check

            def recording(sql: str, catalog: Any, dialect: Any, **kwargs: Any) -> Any:
                verdict = original(sql, catalog, dialect, **kwargs)
                calls.append(Call(sql, catalog, dialect, kwargs, said(verdict)))
                return verdict

            verdicts.check = recording  # type: ignore[assignment]
            self.restore = lambda: setattr(verdicts, "check", original)

    recorder = Recorder()
    code = pytest.main(["-q", "-p", "no:randomly", "-p", "no:cacheprovider", "-x", *tests], plugins=[recorder])
    recorder.restore()
    if code != 0:
        raise SystemExit(f"the tests fail with no mutant active (pytest exit {code})")
    # one call per distinct (statement, Catalog, dialect, options): the tests repeat many
    unique: dict[tuple[str, int, str, str], Call] = {}
    for call in calls:
        unique.setdefault((call.sql, id(call.catalog), call.dialect, repr(sorted(call.kwargs.items()))), call)
    return list(unique.values())


def clear_caches() -> None:
    """Forget every result computed under the previous mutant: the lru_caches and the per-Catalog table indexes."""
    from schema_parity import verdicts

    for name, module in list(sys.modules.items()):
        if name.split(".")[0] != "schema_parity" or module is None:
            continue
        for value in list(vars(module).values()):
            if hasattr(value, "cache_clear"):
                value.cache_clear()
    verdicts._INDEXES.clear()


def _alarm(signum: int, frame: FrameType | None) -> None:
    raise Timeout


def judge(name: str, calls: list[Call], timeout: int) -> dict[str, Any]:
    """One mutant against every call: the first difference, exception or timeout kills it."""
    from schema_parity import verdicts

    os.environ["MUTANT_UNDER_TEST"] = name
    clear_caches()
    signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(timeout)
    try:
        for call in calls:
            try:
                now = said(verdicts.check(call.sql, call.catalog, call.dialect, **call.kwargs))  # type: ignore[arg-type]
            except Timeout:
                raise
            except Exception as exc:  # any exception of a mutant kills it
                return {"outcome": "killed", "by": call.sql, "dialect": call.dialect, "error": repr(exc)[:300]}
            if now != call.said:
                return {"outcome": "killed", "by": call.sql, "dialect": call.dialect,
                        "was": repr(call.said), "now": repr(now)}
        return {"outcome": "survived"}
    except Timeout:
        return {"outcome": "timeout"}
    finally:
        signal.alarm(0)
        os.environ["MUTANT_UNDER_TEST"] = ""
        clear_caches()


def unit_tests_kill(name: str) -> bool:
    """Whether ``tests/test_verdicts_unit.py`` fails with the mutant active (a pytest process of its own)."""
    env = {**os.environ, "MUTANT_UNDER_TEST": name}
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:randomly", "-p", "no:cacheprovider",
                          "tests/test_verdicts_unit.py"], cwd=MUTANTS, env=env, capture_output=True, check=False)
    return run.returncode != 0


def function_of(name: str) -> str:
    """``module.x_func__mutmut_3`` -> ``module.x_func``."""
    return re.sub(r"__mutmut_\d+$", "", name)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("patterns", nargs="+", help="fnmatch patterns of mutant names")
    parser.add_argument("--generate", action="store_true", help="write mutants/ first (mutmut's generator)")
    parser.add_argument("--unit", action="store_true", help="run the unit tests for each survivor")
    parser.add_argument("--timeout", type=int, default=120, help="seconds a mutant may take for all calls")
    parser.add_argument("--out", type=Path, default=MUTANTS / "driver-results.jsonl")
    parser.add_argument("--tests", nargs="+", default=TESTS, metavar="FILE",
                        help="record these test files (as copied to mutants/tests/) instead of the default set")
    parser.add_argument("--dialect", choices=("postgresql", "sqlite"),
                        help="judge only this engine's calls (for mutants of that engine's module)")
    args = parser.parse_args()
    if args.generate:
        generate()
    names = mutant_names(args.patterns)
    if not names:
        raise SystemExit("no generated mutant matches (run with --generate first?)")
    if args.out.exists():  # a run continues where the last one with the same --out stopped
        done = {json.loads(line)["name"] for line in args.out.read_text().splitlines() if line}
        names = [n for n in names if n not in done]
    os.chdir(MUTANTS)
    sys.path.insert(0, str(MUTANTS))
    os.environ["MUTANT_UNDER_TEST"] = ""
    started = time.monotonic()
    calls = [c for c in record(args.tests) if args.dialect is None or c.dialect == args.dialect]
    print(f"recorded {len(calls)} distinct check() calls in {time.monotonic() - started:.0f} s; "
          f"{len(names)} mutants", file=sys.stderr, flush=True)
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    with args.out.open("a") as out:
        for name in names:
            began = time.monotonic()
            result = judge(name, calls, args.timeout)
            if result["outcome"] == "survived" and args.unit and unit_tests_kill(name):
                result = {"outcome": "killed", "by": "tests/test_verdicts_unit.py"}
            result = {"name": name, **result, "seconds": round(time.monotonic() - began, 2)}
            counts[function_of(name)][result["outcome"]] += 1
            out.write(json.dumps(result) + "\n")
            out.flush()
            print(f"{result['outcome']:9} {name}", file=sys.stderr, flush=True)
    for function, count in counts.items():
        print(f"{function}: {sum(count.values())} run, {count['killed']} killed, {count['timeout']} timeouts, "
              f"{count['survived']} survived")
    return 0


if __name__ == "__main__":
    sys.exit(main())
