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

``--ddl`` judges mutants of the DDL replay (``schema_parity/sources/ddl/``) instead: the Catalogs the recorded
calls are given were built before any mutant is active, so they never see one. The tests of ``DDL_TESTS`` run once
and every Catalog the replay builds is recorded with how it was asked for: ``catalog_from_ddl`` (text, dialect,
options), ``catalog_from_files`` (the files' texts, the base Catalog) and SQLite reflection, which reads each
stored CREATE statement with the replay's readers (the database's ``sqlite_schema`` statements, replayed into an
in-memory database), with every ``check()`` call made against such a Catalog. For each mutant, every recorded
Catalog is built again: a different Catalog (its JSON form), an exception, or no answer within ``--each`` seconds
for one Catalog or ``--timeout`` for all kills. A killed mutant's line says which recorded Catalog told it apart,
which of its parts differ (only ``notes``: a message), and whether a recorded ``check()`` against it then changes
its verdict. ``catalog_from_files`` itself is not called again (its files are gone): its steps are. The
recording takes 10-30 minutes; ``--save FILE`` keeps it and ``--load FILE`` judges against it in another run or
another checkout's ``mutants/`` (each loaded Catalog is built again first, no mutant active, and left out unless it
is the same).
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import pickle
import re
import signal
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
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
DDL_TESTS = [
    "tests/test_ddl.py",
    "tests/test_ddl_pg_dump.py",
    "tests/test_ddl_unmodelled.py",
    "tests/test_ddl_mutants.py",
    "tests/test_sources_agree.py",
    "tests/test_mutants_postgresql.py",
    "tests/test_mutants_sqlite.py",
    "tests/test_engine_tables_values_count.py",
    "tests/test_differential.py",
]
"""With ``--ddl``: the tests whose replayed Catalogs are recorded. The replay's own tests (their Catalogs compared
with PostgreSQL's and SQLite's reflections, or pinned), the rows that build a Catalog from their DDL beside the
engine's reflected one (SQLite's reflection reads the stored statements with the replay)."""


@dataclass
class Call:
    sql: str
    catalog: Any
    dialect: str
    kwargs: dict[str, Any]
    said: tuple[Any, ...]


@dataclass
class Built:
    """A Catalog the DDL replay built during the recording, and how to build it again."""

    kind: str
    """``ddl`` (``catalog_from_ddl``), ``files`` (``catalog_from_files``) or ``sqlite`` (SQLite reflection)."""
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    catalog: Any
    """As built with no mutant active (kept alive: the recorded checks find their Catalog by identity)."""
    checks: list[Call]

    def label(self) -> str:
        """The recorded input, short, for the results file."""
        text = self.args[0] if self.kind != "files" else "\n".join(t for t, _ in self.args[0])
        if self.kind == "sqlite":
            text = ";\n".join(self.args[0])
        return f"{self.kind}/{self.args[1]}: {text[:300]}"


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
            from schema_parity.verdicts import dispatch

            assert Path(dispatch.__file__).is_relative_to(MUTANTS), f"schema_parity from {dispatch.__file__}"
            original = dispatch.check

            def recording(sql: str, catalog: Any, dialect: Any, **kwargs: Any) -> Any:
                verdict = original(sql, catalog, dialect, **kwargs)
                calls.append(Call(sql, catalog, dialect, kwargs, said(verdict)))
                return verdict

            dispatch.check = recording  # type: ignore[assignment]
            self.restore = lambda: setattr(dispatch, "check", original)

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


def stored_statements(connection: Any) -> tuple[str, ...]:
    """A SQLite database's stored CREATE statements, in the order they were stored (its own tables left out)."""
    rows = connection.exec_driver_sql(
        "SELECT sql FROM sqlite_schema WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY rowid"
    ).all()
    return tuple(r[0] for r in rows)


def build(kind: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """The Catalog a recorded replay builds now (under the mutant that is active)."""
    from schema_parity.sources import ddl
    from schema_parity.sources.ddl.dialect import rules_for
    from schema_parity.sources.ddl.freeze import freeze, thaw
    from schema_parity.sources.ddl.replay import Replay

    if kind == "ddl":
        return ddl.catalog_from_ddl(*args, **kwargs)
    if kind == "files":  # catalog_from_files on the files' recorded texts (the files are gone)
        texts, dialect = args
        replay = Replay(rules_for(dialect))
        if kwargs["base"] is not None:
            thaw(replay, kwargs["base"])
        for text, where in texts:
            ddl._replay(replay, text, where)
        revision = kwargs["base"].revision if kwargs["base"] is not None else None
        return freeze(replay, source=kwargs["source"], revision=revision, exclude=kwargs["exclude"])
    import sqlalchemy as sa

    from schema_parity.sources import reflect

    statements, _ = args
    engine = sa.create_engine("sqlite://", poolclass=sa.pool.StaticPool)
    try:
        with engine.connect() as connection:
            for statement in statements:
                connection.exec_driver_sql(statement)
            return reflect.reflect(connection, **kwargs)
    finally:
        engine.dispose()


def record_ddl(tests: list[str]) -> list[Built]:
    """Run ``tests`` in this process on the mutated tree, no mutant active, and keep every Catalog the DDL replay
    builds, with the ``check()`` calls made against it; those a second build does not reproduce are left out."""
    import pytest

    if not (MUTANTS / "examples").exists():  # test_sources_agree.py migrates the example project
        (MUTANTS / "examples").symlink_to(ROOT / "examples")
    built: list[Built] = []
    by_id: dict[int, Built] = {}

    def keep(kind: str, args: tuple[Any, ...], kwargs: dict[str, Any], catalog: Any) -> Any:
        entry = Built(kind, args, kwargs, catalog, [])
        built.append(entry)
        by_id[id(catalog)] = entry
        return catalog

    class Recorder:
        """Wraps the replay's entry points, SQLite reflection and ``check`` before the tests import them."""

        @pytest.hookimpl(tryfirst=True)
        def pytest_configure(self) -> None:
            from schema_parity.errors import read_text
            from schema_parity.sources import ddl, reflect
            from schema_parity.verdicts import dispatch

            assert Path(ddl.__file__).is_relative_to(MUTANTS), f"schema_parity from {ddl.__file__}"
            from_ddl, from_files = ddl.catalog_from_ddl, ddl.catalog_from_files
            reflected, check = reflect.reflect, dispatch.check
            originals: dict[tuple[Any, str], Any] = {
                (ddl, "catalog_from_ddl"): from_ddl,
                (ddl, "catalog_from_files"): from_files,
                (reflect, "reflect"): reflected,
                (dispatch, "check"): check,
            }

            def catalog_from_ddl(sql: str, dialect: Any, **kwargs: Any) -> Any:
                return keep("ddl", (sql, dialect), kwargs, from_ddl(sql, dialect, **kwargs))

            def catalog_from_files(paths: Any, dialect: Any, *, base: Any = None, exclude: Any = None) -> Any:
                exclude = ddl.DEFAULT_EXCLUDE if exclude is None else exclude
                catalog = from_files(paths, dialect, base=base, exclude=exclude)
                texts = tuple((read_text(f).replace("\r\n", "\n").replace("\r", "\n"), str(f))
                              for f in ddl.schema_files(paths))
                options = {"base": base, "exclude": exclude, "source": catalog.source}
                return keep("files", (texts, dialect), options, catalog)

            def reflect_recorded(connection: Any, **kwargs: Any) -> Any:
                catalog = reflected(connection, **kwargs)
                if connection.dialect.name != "sqlite":
                    return catalog
                options = {k: v for k, v in kwargs.items() if k != "memo"}
                return keep("sqlite", (stored_statements(connection), "sqlite"), options, catalog)

            def checking(sql: str, catalog: Any, dialect: Any, **kwargs: Any) -> Any:
                verdict = check(sql, catalog, dialect, **kwargs)
                if id(catalog) in by_id and by_id[id(catalog)].catalog is catalog:
                    by_id[id(catalog)].checks.append(Call(sql, catalog, dialect, kwargs, said(verdict)))
                return verdict

            ddl.catalog_from_ddl = catalog_from_ddl
            ddl.catalog_from_files = catalog_from_files
            reflect.reflect = reflect_recorded
            dispatch.check = checking

            def restore() -> None:
                for (module, name), original in originals.items():
                    setattr(module, name, original)

            self.restore = restore

    recorder = Recorder()
    code = pytest.main(["-q", "-p", "no:randomly", "-p", "no:cacheprovider", "-x", "-k", "not exploration", *tests],
                       plugins=[recorder])
    recorder.restore()
    if code != 0:
        raise SystemExit(f"the tests fail with no mutant active (pytest exit {code})")
    # one entry per distinct input; its checks merged, one per distinct call
    unique: dict[str, Built] = {}
    for entry in built:
        key = repr((entry.kind, entry.args, sorted((k, v if k != "base" else id(v)) for k, v in entry.kwargs.items())))
        kept = unique.setdefault(key, entry)
        if kept is not entry:
            kept.checks.extend(entry.checks)
    for entry in unique.values():
        distinct = {(c.sql, c.dialect, repr(sorted(c.kwargs.items()))): c for c in entry.checks}
        entry.checks = list(distinct.values())
    return reproduced(list(unique.values()))


def reproduced(built: list[Built]) -> list[Built]:
    """The recorded Catalogs this tree builds again, with no mutant active, as they were recorded: a recording
    loaded into a tree whose replay has changed since keeps only what still holds."""
    kept = []
    for entry in built:
        clear_caches()
        try:  # a SQLite schema that calls an application function cannot be stored again without it
            again = build(entry.kind, entry.args, entry.kwargs).to_dict()
        except Exception as exc:
            again = {"error": repr(exc)[:100]}
        if again == entry.catalog.to_dict():
            kept.append(entry)
        else:
            print(f"not reproduced, left out: {entry.label()[:200]!r}", file=sys.stderr)
    return kept


def clear_caches(catalogs: Iterable[Any] = ()) -> None:
    """Forget every result computed under the previous mutant: the lru_caches and the facts kept in each of
    ``catalogs``' memo (the table indexes among them)."""
    for catalog in catalogs:
        vars(catalog).pop("memo", None)
    for name, module in list(sys.modules.items()):
        if name.split(".")[0] != "schema_parity" or module is None:
            continue
        for value in list(vars(module).values()):
            if hasattr(value, "cache_clear"):
                value.cache_clear()


def _alarm(signum: int, frame: FrameType | None) -> None:
    raise Timeout


def judge(name: str, calls: list[Call], timeout: int) -> dict[str, Any]:
    """One mutant against every call: the first difference, exception or timeout kills it."""
    from schema_parity.verdicts import dispatch

    os.environ["MUTANT_UNDER_TEST"] = name
    clear_caches(call.catalog for call in calls)
    signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(timeout)
    try:
        for call in calls:
            try:
                now = said(dispatch.check(call.sql, call.catalog, call.dialect, **call.kwargs))  # type: ignore[arg-type]
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
        clear_caches(call.catalog for call in calls)


def differing_parts(was: dict[str, Any], now: dict[str, Any]) -> list[str]:
    """Which parts of two Catalogs' JSON forms differ: a table by name, or a top-level field."""
    parts = [k for k in was if k != "tables" and was[k] != now.get(k)]
    tables_was = {(t["schema"], t["name"]): t for t in was["tables"]}
    # a mutant may put something that is no table among the tables, or no tables (``None``): those count as missing
    tables_now = {(t["schema"], t["name"]): t for t in now.get("tables") or () if isinstance(t, dict)}
    for key in sorted(set(tables_was) | set(tables_now), key=repr):
        if tables_was.get(key) != tables_now.get(key):
            parts.append(f"table {'.'.join(p for p in key if p)}")
    return parts or ["tables (order)"]


def judge_ddl(name: str, built: list[Built], timeout: int, each: int) -> dict[str, Any]:
    """One mutant of the replay against every recorded Catalog: the first difference, exception or timeout kills it.

    No Catalog may take more than ``each`` seconds (a recorded one takes well under one: a mutant that stops the
    reader advancing loops forever), all of them no more than ``timeout``. The Catalog that told a mutant apart is
    built first for the next one."""
    from schema_parity.verdicts import dispatch

    os.environ["MUTANT_UNDER_TEST"] = name
    clear_caches()
    signal.signal(signal.SIGALRM, _alarm)
    deadline = time.monotonic() + timeout
    try:
        for entry in built:
            signal.alarm(max(1, min(each, round(deadline - time.monotonic()))))
            try:
                catalog = build(entry.kind, entry.args, entry.kwargs)
                now, was = catalog.to_dict(), entry.catalog.to_dict()
            except Timeout:
                raise
            except Exception as exc:  # any exception of a mutant kills it
                built.remove(entry)
                built.insert(0, entry)
                return {"outcome": "killed", "by": entry.label(), "error": repr(exc)[:300]}
            if now == was:
                continue
            built.remove(entry)  # first for the next mutant: mutants of one function are told apart by the same input
            built.insert(0, entry)
            changed = None
            for call in entry.checks:
                try:
                    verdict = said(dispatch.check(call.sql, catalog, call.dialect, **call.kwargs))  # type: ignore[arg-type]
                except Timeout:
                    raise
                except Exception as exc:
                    verdict = ("error", repr(exc)[:100])
                if verdict != call.said:
                    changed = {"sql": call.sql, "was": repr(call.said), "now": repr(verdict)}
                    break
            return {"outcome": "killed", "by": entry.label(), "differs": differing_parts(was, now),
                    "verdict_changed": changed}
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
    parser.add_argument("--each", type=int, default=10, help="with --ddl: seconds a mutant may take for one Catalog")
    parser.add_argument("--out", type=Path, default=MUTANTS / "driver-results.jsonl")
    parser.add_argument("--tests", nargs="+", metavar="FILE",
                        help="record these test files (as copied to mutants/tests/) instead of the default set")
    parser.add_argument("--dialect", choices=("postgresql", "sqlite"),
                        help="judge only this engine's calls (for mutants of that engine's module)")
    parser.add_argument("--ddl", action="store_true",
                        help="mutants of the DDL replay: build every recorded Catalog again and compare")
    parser.add_argument("--save", type=Path, metavar="FILE",
                        help="with --ddl: also write the recording to FILE (for --load in another tree)")
    parser.add_argument("--load", type=Path, metavar="FILE",
                        help="with --ddl: judge against the recording --save wrote instead of recording again")
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
    if args.ddl and args.load:
        built = reproduced(pickle.loads(args.load.read_bytes()))
        checks = sum(len(entry.checks) for entry in built)
        print(f"loaded {len(built)} recorded Catalogs and {checks} check() calls, reproduced in "
              f"{time.monotonic() - started:.0f} s; {len(names)} mutants", file=sys.stderr, flush=True)
    elif args.ddl:
        built = record_ddl(args.tests or DDL_TESTS)
        if args.save:
            clear_caches(entry.catalog for entry in built)
            args.save.write_bytes(pickle.dumps(built))
        checks = sum(len(entry.checks) for entry in built)
        print(f"recorded {len(built)} distinct Catalogs ({Counter(e.kind for e in built)}) and {checks} check() "
              f"calls against them in {time.monotonic() - started:.0f} s; {len(names)} mutants",
              file=sys.stderr, flush=True)
    else:
        calls = [c for c in record(args.tests or TESTS) if args.dialect is None or c.dialect == args.dialect]
        print(f"recorded {len(calls)} distinct check() calls in {time.monotonic() - started:.0f} s; "
              f"{len(names)} mutants", file=sys.stderr, flush=True)
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    with args.out.open("a") as out:
        for name in names:
            began = time.monotonic()
            result = judge_ddl(name, built, args.timeout, args.each) if args.ddl else judge(name, calls, args.timeout)
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
