"""What the run-time capture costs: test suites timed with and without ``--schema-parity-capture``.

    python benchmarks/capture.py [--tests 1000] [--repeat 3] [--no-telemetry]

Two suites, each run in a fresh ``python -m pytest`` process, alternately with and without the capture, ``--repeat``
times; the table shows the best wall time of each (other processes on the machine only ever add time) and the
overhead, whose goal is under 5% of the suite's time:

* ``telemetry``: the example project's own tests (examples/telemetry, SQLite and PostgreSQL databases built by its
  migrations); the capture records its upserts and judges them at the end;
* ``generated N``: a generated project of N tests, each running three upserts on SQLite (a SQLAlchemy construct, a
  multi-row one, raw SQL on a ``sqlite3`` connection), whose schema comes from one Alembic revision.

Both runs of a suite include pytest's start and the session's end; the capture's row adds recording every statement
and judging the distinct ones (its migrated Catalogs are cached after the warm-up run, as in any repeated run).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

MIGRATION = '''"""item"""
import sqlalchemy as sa
from alembic import op

revision = "r1"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table("item", sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("sku", sa.String(40), nullable=False), sa.Column("qty", sa.Integer))
    op.create_unique_constraint("uq_item_sku", "item", ["sku"])


def downgrade():
    op.drop_table("item")
'''

INI = """[alembic]
script_location = migrations
"""

APP = '''import sqlalchemy as sa
from sqlalchemy.dialects import sqlite

metadata = sa.MetaData()
item = sa.Table("item", metadata, sa.Column("id", sa.Integer, primary_key=True),
                sa.Column("sku", sa.String, unique=True), sa.Column("qty", sa.Integer))


def save(conn, sku, qty):
    stmt = sqlite.insert(item).values(sku=sku, qty=qty)
    conn.execute(stmt.on_conflict_do_update(index_elements=["sku"], set_={"qty": stmt.excluded.qty}))


def save_many(conn, rows):
    stmt = sqlite.insert(item).values(rows)
    conn.execute(stmt.on_conflict_do_update(index_elements=["sku"], set_={"qty": stmt.excluded.qty}))


def save_raw(raw, sku, qty):
    raw.execute("INSERT INTO item (sku, qty) VALUES (?, ?) ON CONFLICT (sku) DO UPDATE SET qty = excluded.qty",
                (sku, qty))
'''

CONFTEST = '''import sqlite3

import pytest
import sqlalchemy as sa

from app import metadata


@pytest.fixture(scope="session")
def engine(tmp_path_factory):
    engine = sa.create_engine(f"sqlite:///{tmp_path_factory.mktemp('db') / 'db.sqlite'}")
    metadata.create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def raw(engine):
    conn = sqlite3.connect(engine.url.database)
    yield conn
    conn.commit()
    conn.close()
'''

TEST = '''import pytest

import app


@pytest.mark.parametrize("n", range({count}))
def test_upserts_{module}(engine, raw, n):
    with engine.begin() as conn:
        app.save(conn, f"sku-{{n}}", n)
        app.save_many(conn, [{{"sku": f"a-{{n}}", "qty": 1}}, {{"sku": f"b-{{n}}", "qty": 2}}])
    app.save_raw(raw, f"raw-{{n}}", n)
    raw.commit()
'''


def generated_project(directory: Path, tests: int) -> Path:
    (directory / "migrations" / "versions").mkdir(parents=True)
    (directory / "migrations" / "versions" / "r1_item.py").write_text(MIGRATION)
    (directory / "alembic.ini").write_text(INI)
    (directory / "app.py").write_text(APP)
    (directory / "conftest.py").write_text(CONFTEST)
    per_module = 100
    for module in range(0, tests, per_module):
        count = min(per_module, tests - module)
        (directory / f"test_gen_{module}.py").write_text(TEST.format(count=count, module=module))
    (directory / "pyproject.toml").write_text(
        '[tool.schema-parity]\nalembic-config = "alembic.ini"\npaths = ["app.py"]\n\n'
        '[tool.pytest.ini_options]\nfilterwarnings = ["error"]\n'
    )
    return directory


def run(directory: Path, capture: bool) -> float:
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "-p", "no:cacheprovider", "-p", "no:xdist"]
    if capture:
        command.append("--schema-parity-capture")
    env = {**os.environ, "PYTHONPATH": str(directory)}
    start = time.perf_counter()
    done = subprocess.run(command, cwd=directory, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"pytest failed in {directory} (capture={capture}):\n{done.stdout[-3000:]}{done.stderr}")
    return elapsed


def measure(name: str, directory: Path, repeat: int) -> tuple[str, float, float]:
    run(directory, True)  # warm-up: migrated templates and Catalogs cached, bytecode compiled
    plain: list[float] = []
    captured: list[float] = []
    for _ in range(repeat):
        plain.append(run(directory, False))
        captured.append(run(directory, True))
    return name, min(plain), min(captured)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tests", type=int, default=1000, help="tests in the generated suite (default 1000)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each suite with and without (default 3)")
    parser.add_argument("--no-telemetry", action="store_true", help="skip the telemetry example's suite")
    args = parser.parse_args()
    rows = []
    if not args.no_telemetry:
        rows.append(measure("telemetry", ROOT / "examples" / "telemetry", args.repeat))
    with tempfile.TemporaryDirectory(prefix="sp-capture-bench-") as scratch:
        rows.append(measure(f"generated {args.tests}", generated_project(Path(scratch), args.tests), args.repeat))
    print(f"{'suite':<16} {'without':>9} {'with capture':>13} {'overhead':>9}")
    print("-" * 50)
    for name, plain, captured in rows:
        overhead = (captured - plain) / plain * 100
        print(f"{name:<16} {plain:>8.2f}s {captured:>12.2f}s {overhead:>8.1f}%")


if __name__ == "__main__":
    main()
