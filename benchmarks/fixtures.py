"""Per-test cost of a migrated database: the plugin's template copy against migrating a fresh database per test.

    python benchmarks/fixtures.py [--sizes 2 50 200] [--repeat 5] [--copies 300]

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
import shutil
import sqlite3
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
    args = parser.parse_args()
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

if __name__ == "__main__":
    main()
