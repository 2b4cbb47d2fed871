"""Per-test cost of a migrated database: the plugin's template copy against migrating a fresh database per test.

    python benchmarks/fixtures.py [--sizes 2 50 200] [--repeat 5] [--copies 300]
    python benchmarks/fixtures.py --postgres [--tests 200] [--migrate-tests 20] [--postgres-url URL]

``--postgres`` measures the PostgreSQL fixtures instead, on the telemetry example's migrations: pytest runs
``--tests`` tests per mode, and a plugin records each test's setup and teardown time (what the fixtures cost; the
test bodies, one ``SELECT``, are not counted). Columns: the median and 90th percentile of setup + teardown per
test, and the first test's setup (building the template, once per run). Modes: ``rollback``
(``schema_parity_pg_connection``), ``clone`` (``schema_parity_pg_url``), and ``migrate``, a fixture that creates
an empty database, runs the migrations into it and drops it per test (``--migrate-tests`` tests), what a project
without templates pays. The server: ``--postgres-url``, else ``$SCHEMA_PARITY_POSTGRES_URL``, else the embedded one.

Columns (best of N runs, per test except the one-time ones; best-of because other processes on the machine only
ever add time):

* ``build once``: building the template (the first run after a migration changes; later runs reuse it);
* ``cache check``: what a later session pays to find it (hashing every revision script, once per session);
* ``copy``: ``fresh_copy`` of the template (``os.copy_file_range``), what ``schema_parity_db_path`` costs per test;
  ``shutil`` and ``:memory:`` are the alternatives it was chosen over: ``shutil.copyfile``, and SQLite's backup
  API into an in-memory database;
* ``copy+engine``: the copy plus ``create_engine``, a first connection and ``dispose``
  (``schema_parity_connection``);
* ``runner/test``: schema-parity's runner migrating a fresh database per test, same chain;
* ``alembic/test``: ``alembic.command.upgrade(cfg, "head")`` through a cookbook env.py per test, what projects without
  the plugin do. Plain Alembic cannot run the chain's ``op.create_unique_constraint`` on SQLite, so this column runs
  the same chain without those operations (which makes it cheaper, not dearer);
* ``stepwise/test``: an *emulation* of pytest-alembic's ``migrate_up_to``: one ``ScriptDirectory`` built once,
  then for each revision an ``EnvironmentContext`` and ``script.run_env()`` (env.py runs once per revision), as in
  its ``executor.py``; same reduced chain as ``alembic/test``. It is not pytest-alembic itself.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.runtime.environment import EnvironmentContext

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from schema_parity.sources.alembic import AlembicProject, upgrade
from schema_parity.template import TemplateCache, fresh_copy
from tests.alembic_projects import COOKBOOK_ENV_PY, Revision, linear_chain, write_project

REPO = Path(__file__).resolve().parents[1]


def best_of(repeat: int, fn: Callable[[int], object]) -> float:
    times = []
    for i in range(repeat):
        start = time.perf_counter()
        fn(i)
        times.append(time.perf_counter() - start)
    return min(times)


def fresh_engine(directory: Path, name: str) -> sa.Engine:
    path = directory / f"{name}.sqlite3"
    path.unlink(missing_ok=True)
    return sa.create_engine(f"sqlite:///{path}")


def runner_upgrade(project: AlembicProject, directory: Path, i: int) -> None:
    engine = fresh_engine(directory, f"runner{i}")
    with engine.connect() as conn:
        upgrade(conn, project)
        conn.commit()
    engine.dispose()


def alembic_upgrade(project: AlembicProject, directory: Path, i: int) -> None:
    engine = fresh_engine(directory, f"alembic{i}")
    with engine.begin() as conn:
        cfg = project.config()
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    engine.dispose()


def stepwise_upgrade(project: AlembicProject, directory: Path, i: int) -> None:
    """pytest-alembic's executor, emulated: a run_env per revision, the ScriptDirectory built once (outside)."""
    script = project.script
    engine = fresh_engine(directory, f"stepwise{i}")
    with engine.begin() as conn:
        cfg = project.config()
        cfg.attributes["connection"] = conn
        for step in project.revisions():
            target = step.revision

            def upgrade_to(rev: object, _context: object, target: str = target) -> list:
                return script._upgrade_revs(target, rev)

            with EnvironmentContext(cfg, script, fn=upgrade_to, destination_rev=target):
                script.run_env()
    engine.dispose()


def backup_to_memory(template: Path) -> None:
    source, memory = sqlite3.connect(template), sqlite3.connect(":memory:")
    source.backup(memory)
    source.close()
    memory.close()


def copy_and_connect(template: Path, directory: Path, i: int) -> None:
    path = fresh_copy(template, directory / f"copy{i}.sqlite3")
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.connect() as conn:
        conn.exec_driver_sql("SELECT 1")
    engine.dispose()


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[2, 50, 200])
    parser.add_argument("--repeat", type=int, default=5, help="runs of each migration (best of)")
    parser.add_argument("--copies", type=int, default=300, help="runs of each copy (best of)")
    parser.add_argument("--postgres", action="store_true", help="measure the PostgreSQL fixtures instead")
    parser.add_argument("--tests", type=int, default=200, help="tests per PostgreSQL fixture mode")
    parser.add_argument("--migrate-tests", type=int, default=20, help="tests migrating a database each")
    parser.add_argument("--postgres-url", help="server for --postgres (default: as the fixtures find one)")
    args = parser.parse_args()
    if args.postgres:
        postgres(args.tests, args.migrate_tests, args.postgres_url)
        return
    header = (
        f"{'revisions':>9} | {'file KB':>7} | {'build once ms':>13} | {'cache check ms':>14} | {'copy ms':>7} | "
        f"{'shutil ms':>9} | {'memory ms':>9} | "
        f"{'copy+engine ms':>14} | {'runner/test ms':>14} | {'alembic/test ms':>15} | {'stepwise/test ms':>16} | "
        f"{'alembic÷copy':>12} | {'stepwise÷copy':>13}"
    )
    print(header)
    print("-" * len(header))
    for size in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            print(measure(size, Path(tmp), repeat=args.repeat, copies=args.copies))


def measure(size: int, root: Path, *, repeat: int, copies: int) -> str:
    """One table row for a chain of ``size`` revisions, built under ``root``."""
    project = AlembicProject.load(write_project(root / "full", linear_chain(size)))
    reduced = [Revision(r.id, r.down, r.upgrade.split("\nop.create_unique")[0]) for r in linear_chain(size)]
    plain = AlembicProject.load(write_project(root / "plain", reduced, env_py=COOKBOOK_ENV_PY))
    work = root / "work"
    work.mkdir()
    start = time.perf_counter()
    template = TemplateCache(root / "cache").get(project)
    build = time.perf_counter() - start
    assert project.config_path is not None
    config_path = project.config_path
    check = best_of(repeat, lambda _i: TemplateCache(root / "cache").get(AlembicProject.load(config_path)))
    copy = best_of(copies, lambda i: fresh_copy(template, work / f"c{i}.sqlite3"))
    plain_copy = best_of(copies, lambda i: shutil.copyfile(template, work / f"s{i}.sqlite3"))
    memory = best_of(copies, lambda _i: backup_to_memory(template))
    copy_engine = best_of(copies, lambda i: copy_and_connect(template, work, i))
    runner = best_of(repeat, lambda i: runner_upgrade(project, work, i))
    alembic = best_of(repeat, lambda i: alembic_upgrade(plain, work, i))
    stepwise = best_of(repeat, lambda i: stepwise_upgrade(plain, work, i))
    return (
        f"{size:>9} | {template.stat().st_size / 1024:>7.0f} | {ms(build):>13} | {ms(check):>14} | "
        f"{ms(copy):>7} | {ms(plain_copy):>9} | {ms(memory):>9} | "
        f"{ms(copy_engine):>14} | {ms(runner):>14} | {ms(alembic):>15} | {ms(stepwise):>16} | "
        f"{alembic / copy:>11.0f}x | {stepwise / copy:>12.0f}x"
    )

# -- PostgreSQL fixtures ---------------------------------------------------------------------------------------------
#: Records each test's setup and teardown seconds; loaded into the inner pytest with -p.
RECORDER = """
import json
import os

_times = {}


def pytest_runtest_logreport(report):
    if report.when in ("setup", "teardown"):
        _times.setdefault(report.nodeid, {})[report.when] = report.duration


def pytest_sessionfinish(session):
    with open(os.environ["SP_BENCH_TIMES"], "w") as out:
        json.dump(list(_times.values()), out)
"""

MODE_TESTS = {
    "rollback": """
import pytest

@pytest.mark.parametrize("i", range({n}))
def test_rollback(schema_parity_pg_connection, i):
    schema_parity_pg_connection.exec_driver_sql("SELECT count(*) FROM http_error_summary")
""",
    "clone": """
import psycopg
import pytest

@pytest.mark.parametrize("i", range({n}))
def test_clone(schema_parity_pg_url, i):
    with psycopg.connect(schema_parity_pg_url.replace("+psycopg", "")) as conn:
        conn.execute("SELECT count(*) FROM http_error_summary")
""",
    "migrate": """
import psycopg
import pytest
import sqlalchemy as sa

from schema_parity.sources.alembic import upgrade_engine


@pytest.fixture
def migrated_url(schema_parity_pg_templates, schema_parity_alembic_config):
    scratch = schema_parity_pg_templates.scratch
    name = scratch.create(label="migrate_")
    engine = sa.create_engine(scratch.url(name))
    upgrade_engine(engine, schema_parity_alembic_config, "head")
    engine.dispose()
    yield scratch.url(name)
    scratch.drop(name)


@pytest.mark.parametrize("i", range({n}))
def test_migrate(migrated_url, i):
    with psycopg.connect(migrated_url.replace("+psycopg", "")) as conn:
        conn.execute("SELECT count(*) FROM http_error_summary")
""",
}


def postgres(tests: int, migrate_tests: int, url: str | None) -> None:
    """One pytest run per mode on a copy of the telemetry example; a table of the per-test fixture costs."""
    header = f"{'mode':>8} | {'tests':>5} | {'median ms':>9} | {'p90 ms':>8} | {'first setup ms':>14}"
    print(header)
    print("-" * len(header))
    for mode, n in (("rollback", tests), ("clone", tests), ("migrate", migrate_tests)):
        if n <= 0:
            continue
        with tempfile.TemporaryDirectory(prefix="sp-bench-") as tmp:
            times = run_mode(Path(tmp), mode, n, url)
        per_test = sorted(t["setup"] + t.get("teardown", 0.0) for t in times)
        p90 = per_test[min(len(per_test) - 1, int(len(per_test) * 0.9))]
        print(
            f"{mode:>8} | {len(times):>5} | {ms(statistics.median(per_test)):>9} | {ms(p90):>8} | "
            f"{ms(times[0]['setup']):>14}"
        )


def run_mode(root: Path, mode: str, n: int, url: str | None) -> list[dict[str, float]]:
    telemetry = REPO / "examples" / "telemetry"
    shutil.copy(telemetry / "alembic.ini", root)
    shutil.copytree(telemetry / "migrations", root / "migrations")
    (root / "pytest.ini").write_text("[pytest]\nfilterwarnings = error\n")
    (root / "test_bench.py").write_text(MODE_TESTS[mode].replace("{n}", str(n)))
    (root / "sp_bench_recorder.py").write_text(RECORDER)
    env = {**os.environ, "SP_BENCH_TIMES": str(root / "times.json"), "PYTHONPATH": str(root)}
    if url:
        env["SCHEMA_PARITY_POSTGRES_URL"] = url
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "-p", "no:cacheprovider"]
    command += ["-p", "sp_bench_recorder", "--schema-parity-rebuild"]
    result = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SystemExit(f"the {mode} run failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return json.loads((root / "times.json").read_text())


if __name__ == "__main__":
    main()
