"""The run-time capture in pytest (docs/capture.md): pytester projects whose conflict targets are built at run time,
wrong for PostgreSQL but passing on SQLite, run on SQLite; the session must report each at its application call site.
"""

from __future__ import annotations

import json
import re
import textwrap

import pytest

from tests.alembic_projects import Revision, write_project

MIGRATIONS = [
    Revision(
        "r1",
        None,
        """
        op.create_table('item', sa.Column('id', sa.Integer, primary_key=True),
                        sa.Column('sku', sa.String(40), nullable=False),
                        sa.Column('deleted', sa.Boolean, nullable=False, server_default=sa.false()),
                        sa.Column('qty', sa.Integer))
        op.create_index('ix_live_sku', 'item', ['sku'], unique=True, postgresql_where=sa.text('NOT deleted'))
        op.create_table('counter', sa.Column('host', sa.String(40), nullable=False),
                        sa.Column('name', sa.String(40), nullable=False), sa.Column('n', sa.Integer))
        op.create_unique_constraint('uq_counter', 'counter', ['host', 'name'])
        """,
    ),
]

# Three ways real code builds a target at run time: from configuration (raw SQL), from a model's property, and
# through a generic helper. Each runs on SQLite and fails on PostgreSQL.
STORE = '''
import sqlalchemy as sa
from sqlalchemy.dialects import sqlite

metadata = sa.MetaData()
item = sa.Table("item", metadata, sa.Column("id", sa.Integer, primary_key=True), sa.Column("sku", sa.String),
                sa.Column("deleted", sa.Boolean), sa.Column("qty", sa.Integer))
counter = sa.Table("counter", metadata, sa.Column("host", sa.String), sa.Column("name", sa.String),
                   sa.Column("n", sa.Integer))

CONFIG = {"counter": {"key": ["host", "name"], "set": "n = n + excluded.n"}}


class Item:
    table = item

    @property
    def conflict_key(self):
        return ["sku"]


class Counter:
    table = counter
    conflict_key = ["host", "name"]


def bump(conn, host, name, n):
    cfg = CONFIG["counter"]
    sql = (
        f"INSERT INTO counter (host, name, n) VALUES (?, ?, ?) "
        f"ON CONFLICT ({', '.join(cfg['key'])}) DO UPDATE SET {cfg['set']}"
    )
    conn.exec_driver_sql(sql, (host, name, n))


def upsert_many(model, conn, rows):
    stmt = sqlite.insert(model.table).values(rows)
    keep = {c: stmt.excluded[c] for c in rows[0] if c not in model.conflict_key}
    conn.execute(stmt.on_conflict_do_update(index_elements=model.conflict_key, set_=keep))
'''

TESTS = '''
from app import store


def test_bump(schema_parity_engine):
    with schema_parity_engine.begin() as conn:
        store.bump(conn, "h", "x", 1)
        store.bump(conn, "h", "x", 2)


def test_items(schema_parity_engine):
    with schema_parity_engine.begin() as conn:
        store.upsert_many(store.Item(), conn, [{"sku": "a", "qty": 1}])


def test_counters(schema_parity_engine):
    with schema_parity_engine.begin() as conn:
        store.upsert_many(store.Counter, conn, [{"host": "h", "name": "x", "n": 1}, {"host": "h", "name": "x", "n": 2}])
'''


def capture_project(pytester: pytest.Pytester) -> pytest.Pytester:
    """The migrations, the application's store and its tests, configured for the plugin."""
    write_project(pytester.path, MIGRATIONS)
    (pytester.path / "app").mkdir()
    (pytester.path / "app" / "__init__.py").write_text("")
    (pytester.path / "app" / "store.py").write_text(textwrap.dedent(STORE))
    pytester.makeini("[pytest]\nschema_parity_paths = app\nschema_parity_alembic_config = alembic.ini\n")
    pytester.makepyfile(test_store=TESTS)
    return pytester


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    return capture_project(pytester)


def line_of(project: pytest.Pytester, text: str) -> int:
    lines = (project.path / "app" / "store.py").read_text().splitlines()
    return next(number for number, line in enumerate(lines, start=1) if text in line)


def test_run_time_targets_are_judged_at_their_call_sites(project: pytest.Pytester) -> None:
    bump = line_of(project, "conn.exec_driver_sql(sql")
    helper = line_of(project, "conn.execute(stmt.on_conflict_do_update")
    result = project.runpytest("--schema-parity", "-p", "no:cacheprovider", "-v", "--junitxml=report.xml")
    out = result.stdout.str()
    # the project's own tests pass on SQLite; both call sites fail with PostgreSQL's rules
    result.stdout.fnmatch_lines(
        [
            "*test_store.py::test_bump PASSED*",
            "*test_store.py::test_counters PASSED*",
            f"*schema-parity::captured::app/store.py:{bump}[[]counter (host, name)[]] FAILED*",
            f"*schema-parity::captured::app/store.py:{helper}[[]counter (host, name)[]] FAILED*",
            f"*schema-parity::captured::app/store.py:{helper}[[]item (sku)[]] FAILED*",
        ]
    )
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    # configuration-built SET: ambiguous on PostgreSQL only
    assert f"app/store.py:{bump}: SP205 [postgresql]" in out
    assert f"app/store.py:{bump}: SP205 [sqlite]" not in out
    # model property target against a partial index that SQLite builds as a full one
    assert f"app/store.py:{helper}: SP101 [postgresql]" in out
    assert f"app/store.py:{helper}: SP101 [sqlite]" not in out
    # the generic helper's batch proposes the counter key twice
    duplicate = "SP302 [postgresql] rows 1 and 2 propose the same conflict key (host='h', name='x')"
    assert f"app/store.py:{helper}: {duplicate}" in out
    assert "first run by: test_store.py::test_bump" in out
    # the static scan could read neither: both are reported as judged at run time
    result.stdout.fnmatch_lines(
        ["*judged at run time: unresolved site app/store.py:*", "*2 statically unresolved site(s) judged at run time*"]
    )
    junit = (project.path / "report.xml").read_text()
    assert f'name="app/store.py:{bump}[counter (host, name)]"' in junit
    assert f'name="app/store.py:{helper}[item (sku)]"' in junit
    assert "SP205" in junit and "SP302" in junit


def test_capture_is_off_without_schema_parity_and_can_run_alone(project: pytest.Pytester) -> None:
    plain = project.runpytest("-p", "no:cacheprovider")
    plain.assert_outcomes(passed=3)
    assert "captured" not in plain.stdout.str()
    alone = project.runpytest("--schema-parity-capture", "-p", "no:cacheprovider")
    alone.assert_outcomes(passed=3, failed=3)
    off = project.runpytest("--schema-parity", "--no-schema-parity-capture", "-p", "no:cacheprovider")
    assert "captured::" not in off.stdout.str()
    assert off.ret == pytest.ExitCode.OK


def test_suppression_comment_at_the_call_site(project: pytest.Pytester) -> None:
    store = project.path / "app" / "store.py"
    store.write_text(store.read_text().replace(
        "    conn.exec_driver_sql(sql, (host, name, n))",
        "    conn.exec_driver_sql(sql, (host, name, n))  # schema-parity: ignore[SP205]",
    ))
    result = project.runpytest("--schema-parity-capture", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=4, failed=2)
    assert "SP205" not in result.stdout.str()


def test_under_xdist_workers_send_their_records(project: pytest.Pytester) -> None:
    result = project.runpytest_subprocess(
        "--schema-parity-capture", "-n", "2", "-p", "no:cacheprovider", "-p", "no:benchmark"
    )
    result.assert_outcomes(passed=3, failed=3)
    result.stdout.fnmatch_lines(["*SP302 ?postgresql? rows 1 and 2*", "*SP205 ?postgresql?*"])
    assert "not recorded" not in result.stdout.str()


def test_upserts_that_could_not_be_recorded_are_counted_across_workers(project: pytest.Pytester) -> None:
    """A statement run by a library method handed straight to a thread pool has no application line to be judged
    at: the session says how many were not recorded and why, from every xdist worker, instead of passing in
    silence."""
    project.makepyfile(test_pooled="""
        import sqlite3
        from concurrent.futures import ThreadPoolExecutor

        import pytest


        @pytest.mark.parametrize("n", [1, 2])
        def test_pooled(n):
            conn = sqlite3.connect(":memory:", check_same_thread=False)
            conn.execute("CREATE TABLE t (k TEXT UNIQUE, v INTEGER)")
            sql = "INSERT INTO t (k, v) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v"
            with ThreadPoolExecutor(1) as pool:
                pool.submit(conn.execute, sql, ("a", n)).result()
            conn.close()
    """)
    result = project.runpytest_subprocess(
        "--schema-parity-capture", "-n", "2", "-p", "no:cacheprovider", "-p", "no:benchmark"
    )
    result.stdout.fnmatch_lines([
        "*= schema-parity: upserts executed but not recorded =*",
        "2 x no application frame on the stack of a sqlite3 statement (only library code)",
    ])

def test_saved_capture_is_judged_by_the_cli(project: pytest.Pytester) -> None:
    project.runpytest("--schema-parity-capture", "--schema-parity-capture-file=capture.json", "-p", "no:cacheprovider")
    data = json.loads((project.path / "capture.json").read_text())
    assert data["version"] == 1 and len(data["statements"]) == 3
    assert {f["rule"] for f in data["report"]["findings"]} >= {"SP101", "SP205", "SP302"}
    from schema_parity.cli import main

    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(project.path)
        code = main(["check", "--alembic-config", "alembic.ini", "--captured", "capture.json", "--format", "json",
                     "--output", "out.json", "app"])
    report = json.loads((project.path / "out.json").read_text())
    assert code == 1
    rules = {(f["rule"], f["dialect"]) for f in report["findings"]}
    assert {("SP101", "postgresql"), ("SP205", "postgresql"), ("SP302", "postgresql")} <= rules
    assert ("SP205", "sqlite") not in rules
    assert any("judged at run time" in note for note in report["notes"])


def test_each_statement_of_one_line_is_a_result_of_its_own(project: pytest.Pytester) -> None:
    """The generic helper runs a right statement for one model and a wrong one (a key proposed twice) for another
    from the same line: the wrong one fails alone, under a name that says which table and target it is."""
    store = project.path / "app" / "store.py"
    store.write_text(store.read_text().replace('return ["sku"]', 'return ["id"]'))
    project.makepyfile(test_store="""
        from app import store


        def test_items(schema_parity_engine):
            with schema_parity_engine.begin() as conn:
                store.upsert_many(store.Item(), conn, [{"sku": "a", "qty": 1}])


        def test_counters(schema_parity_engine):
            with schema_parity_engine.begin() as conn:
                store.upsert_many(store.Counter, conn, [{"host": "h", "name": "x", "n": 1}])
                rows = [{"host": "h", "name": "y", "n": 1}, {"host": "h", "name": "y", "n": 2}]
                store.upsert_many(store.Counter, conn, rows)
    """)
    helper = line_of(project, "conn.execute(stmt.on_conflict_do_update")
    result = project.runpytest("--schema-parity-capture", "-p", "no:cacheprovider", "-v")
    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines(
        [
            f"*schema-parity::captured::app/store.py:{helper}[[]counter (host, name)[]] FAILED*",
            f"*schema-parity::captured::app/store.py:{helper}[[]item (id)[]] PASSED*",
        ]
    )
    # one result for the counter statements of one and two rows; its failure names only its own finding
    failure = result.stdout.str().split("_ schema-parity captured ", 1)[1].split("upserts captured at run time")[0]
    assert f"app/store.py:{helper}: SP302 [postgresql] rows 1 and 2 propose the same conflict key" in failure
    assert "INSERT INTO item" not in failure
    assert failure.count("statement: INSERT INTO counter") == 2


def test_header_announces_the_captured_results_and_progress_ends_at_100(project: pytest.Pytester) -> None:
    """The captured statements are only known after the last test: the header says they come, and the progress
    counts them as they are reported, so it never passes 100% (it said 150% when they were added uncounted)."""
    result = project.runpytest("--schema-parity", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=6, failed=3)
    out = result.stdout.str()
    result.stdout.fnmatch_lines(
        [
            "collected 6 items",
            "schema-parity: the upserts the tests execute are judged after the last test, one more result per "
            "statement and call site (schema-parity::captured::...)",
        ]
    )
    result.stdout.fnmatch_lines(
        ["schema-parity ... * [[] 50%[]]", "test_store.py ... * [[]100%[]]", "schema-parity FFF * [[]100%[]]"],
        consecutive=True,
    )
    assert re.findall(r"\[ *(\d+)%\]", out) == ["50", "100", "100"]
    workers = project.runpytest_subprocess("--schema-parity", "-n", "2", "-p", "no:cacheprovider", "-p", "no:benchmark")
    workers.assert_outcomes(passed=6, failed=3)
    assert re.findall(r"\[ *(\d+)%\]", workers.stdout.str())[-1] == "100"
    assert not re.search(r"\[1[0-9][1-9]%\]|\[1[1-9][0-9]%\]", workers.stdout.str())
