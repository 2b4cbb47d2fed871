"""What the run-time capture costs: test suites timed with and without ``--schema-parity-capture``, and the cost of
recording one statement.

    python benchmarks/capture.py [--tests 1000] [--repeat 3] [--no-telemetry]

Two suites, each run in a fresh ``python -m pytest`` process, alternately with and without the capture, ``--repeat``
times; the first table shows the best wall time and the best CPU time (user + system of the pytest process: other
processes on the machine add less to it than to wall time) of each, the overhead on both, whose goal is under 5% of
the suite's time, and the fixed part of it: judging the distinct statements at the end of the session (the terminal
section's ``judged in``):

* ``telemetry``: the example project's own tests (examples/telemetry, SQLite and PostgreSQL databases built by its
  migrations); the capture records its upserts and judges them at the end;
* ``generated N``: a generated project of N tests, each running three upserts on SQLite (a SQLAlchemy construct, a
  multi-row one, raw SQL on a ``sqlite3`` connection), whose schema comes from one Alembic revision.

Both runs of a suite include pytest's start and the session's end; the capture's row adds recording every statement
and judging the distinct ones (its migrated Catalogs are cached after the warm-up run, as in any repeated run).

The second table is the per-statement cost, measured in this process on an in-memory SQLite database: the CPU time
one statement takes with and without an active capture, best of five rounds of 5,000, for a statement that is not an
upsert (the common case), an upsert construct repeated from one line, raw SQL on a ``sqlite3`` connection, and raw
upserts whose text differs every time (literals written into the SQL: each is a new record). The rounds alternate
between without and with.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
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


class Timing:
    """One pytest run: wall and CPU seconds, and the capture's judging at the end (0 without the capture)."""

    def __init__(self, wall: float, cpu: float, judged: float) -> None:
        self.wall, self.cpu, self.judged = wall, cpu, judged


def run(directory: Path, capture: bool) -> Timing:
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "-p", "no:cacheprovider", "-p", "no:xdist"]
    if capture:
        command.append("--schema-parity-capture")
    env = {**os.environ, "PYTHONPATH": str(directory)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, cwd=directory, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"pytest failed in {directory} (capture={capture}):\n{done.stdout[-3000:]}{done.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    judged = re.search(r"judged in ([0-9.]+)s", done.stdout)
    return Timing(elapsed, cpu, float(judged.group(1)) if judged else 0.0)


def measure(name: str, directory: Path, repeat: int) -> tuple[str, list[Timing], list[Timing]]:
    run(directory, True)  # warm-up: migrated templates and Catalogs cached, bytecode compiled
    plain: list[Timing] = []
    captured: list[Timing] = []
    for _ in range(repeat):
        plain.append(run(directory, False))
        captured.append(run(directory, True))
    return name, plain, captured


def per_statement(rounds: int = 5, count: int = 5000) -> list[tuple[str, float, float]]:
    """Microseconds per statement without and with an active capture (best of ``rounds``)."""
    import sqlalchemy as sa
    from sqlalchemy.dialects import sqlite

    from schema_parity.capture import Capture

    metadata = sa.MetaData()
    item = sa.Table("item", metadata, sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("sku", sa.String, unique=True), sa.Column("qty", sa.Integer))
    engine = sa.create_engine("sqlite://")
    metadata.create_all(engine)
    raw_sql = "INSERT INTO item (sku, qty) VALUES (?, ?) ON CONFLICT (sku) DO UPDATE SET qty = excluded.qty"

    def select(conn: sa.Connection, raw: sqlite3.Connection, n: int) -> None:
        conn.execute(sa.select(item.c.qty).where(item.c.sku == f"s{n % 50}")).all()

    def construct(conn: sa.Connection, raw: sqlite3.Connection, n: int) -> None:
        stmt = sqlite.insert(item).values(sku=f"s{n % 50}", qty=n)
        conn.execute(stmt.on_conflict_do_update(index_elements=["sku"], set_={"qty": stmt.excluded.qty}))

    def raw_upsert(conn: sa.Connection, raw: sqlite3.Connection, n: int) -> None:
        raw.execute(raw_sql, (f"s{n % 50}", n))

    def literal_upsert(conn: sa.Connection, raw: sqlite3.Connection, n: int) -> None:
        raw.execute(f"INSERT INTO item (sku, qty) VALUES ('s{n}', {n}) ON CONFLICT (sku) DO UPDATE SET qty = 1")

    def once(body: Callable[[sa.Connection, sqlite3.Connection, int], None]) -> float:
        raw = sqlite3.connect(":memory:")
        raw.execute("CREATE TABLE item (id INTEGER PRIMARY KEY, sku TEXT UNIQUE, qty INTEGER)")
        with engine.begin() as conn:
            start = time.process_time()  # this process's CPU: other processes on the machine weigh on it less
            for n in range(count):
                body(conn, raw, n)
            elapsed = time.process_time() - start
        raw.close()
        return elapsed / count * 1e6

    rows = []
    for name, body in [("not an upsert", select), ("upsert construct", construct), ("raw upsert", raw_upsert),
                       ("raw, new text each", literal_upsert)]:
        plain: list[float] = []
        captured: list[float] = []
        for _ in range(rounds):  # alternately, so that a busy moment of the machine weighs on both
            plain.append(once(body))
            with Capture(Path.cwd()):
                captured.append(once(body))
        rows.append((name, min(plain), min(captured)))
    engine.dispose()
    return rows


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
    print(f"{'suite':<16} {'wall without':>12} {'with':>8} {'overhead':>9} {'cpu without':>12} {'with':>8} "
          f"{'overhead':>9} {'judging':>8}")
    print("-" * 90)
    for name, plain, captured in rows:
        wall = min(t.wall for t in plain), min(t.wall for t in captured)
        cpu = min(t.cpu for t in plain), min(t.cpu for t in captured)
        judged = min(t.judged for t in captured)
        print(f"{name:<16} {wall[0]:>11.2f}s {wall[1]:>7.2f}s {(wall[1] - wall[0]) / wall[0] * 100:>8.1f}% "
              f"{cpu[0]:>11.2f}s {cpu[1]:>7.2f}s {(cpu[1] - cpu[0]) / cpu[0] * 100:>8.1f}% {judged:>7.2f}s")
    print()
    print(f"{'per statement':<20} {'without':>9} {'with capture':>13} {'added':>9}")
    print("-" * 54)
    for name, plain_us, captured_us in per_statement():
        print(f"{name:<20} {plain_us:>7.1f}us {captured_us:>11.1f}us {captured_us - plain_us:>7.1f}us")


if __name__ == "__main__":
    main()
