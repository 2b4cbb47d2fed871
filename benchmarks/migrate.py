"""Time to build the Catalog of a generated Alembic chain, next to a plain `alembic upgrade head`.

    python benchmarks/migrate.py [--sizes 10 100 300] [--repeat 3]

Each revision creates one table and adds a Postgres-style unique constraint to the previous table (which the
runner batches on SQLite). The comparison column runs `alembic.command.upgrade` through a cookbook env.py on the
same chain without the constraint operations (plain Alembic cannot run those on SQLite), then reflects nothing:
it is the cost a project pays today just to migrate.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa
from alembic import command

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from schema_parity.sources.alembic import AlembicProject, catalog_at
from tests.alembic_projects import COOKBOOK_ENV_PY, Revision, linear_chain, write_project


def best_of(repeat: int, fn) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def plain_alembic(ini: Path) -> None:
    project = AlembicProject.load(ini)
    with tempfile.TemporaryDirectory() as tmp:
        engine = sa.create_engine(f"sqlite:///{tmp}/plain.db")
        with engine.begin() as conn:
            cfg = project.config()
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 300])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    header = ("revisions", "schema-parity catalog (s)", "per revision (ms)", "plain alembic upgrade (s)")
    print(f"{header[0]:>9} | {header[1]:>25} | {header[2]:>17} | {header[3]:>25}")
    print("-" * 87)
    for size in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            ini = write_project(Path(tmp) / "sp", linear_chain(size), env_py=COOKBOOK_ENV_PY)
            project = AlembicProject.load(ini)
            ours = best_of(args.repeat, lambda project=project: catalog_at(project))
            plain_revisions = [
                Revision(r.id, r.down, r.upgrade.split("\nop.create_unique")[0]) for r in linear_chain(size)
            ]
            plain_ini = write_project(Path(tmp) / "plain", plain_revisions, env_py=COOKBOOK_ENV_PY)
            plain = best_of(args.repeat, lambda plain_ini=plain_ini: plain_alembic(plain_ini))
        print(f"{size:>9} | {ours:>25.3f} | {ours / size * 1000:>17.2f} | {plain:>25.3f}")


if __name__ == "__main__":
    main()
