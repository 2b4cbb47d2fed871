"""The run-time capture's core (schema_parity/capture.py, rows.py), without pytest's plugin: what is recorded, where,
and that recording never changes what a statement does. PostgreSQL is the oracle for the rows rule (SP302)."""

from __future__ import annotations

import asyncio
import gc
import inspect
import json
import sqlite3
import sys
import weakref
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite

from schema_parity.capture import Capture, load, records_from_json, records_to_json
from schema_parity.errors import ConfigError
from schema_parity.rows import RowPlan

ROOT = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().relative_to(ROOT).as_posix()
UPSERT = "INSERT INTO t (k, v) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v"

metadata = sa.MetaData()
table = sa.Table(
    "t", metadata, sa.Column("id", sa.Integer, primary_key=True), sa.Column("k", sa.String, unique=True),
    sa.Column("v", sa.Integer),
)


def here() -> int:
    """The caller's line."""
    frame = inspect.currentframe()
    assert frame is not None and frame.f_back is not None
    return frame.f_back.f_lineno


def test_raw_sqlite3_connections_are_recorded_at_the_calling_line(tmp_path: Path) -> None:
    original = sqlite3.connect
    with Capture(ROOT) as capture:
        capture.test = "t::raw"
        conn = sqlite3.connect(tmp_path / "db.sqlite")
        assert isinstance(conn, sqlite3.Connection)
        conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, k TEXT UNIQUE, v INTEGER)")
        conn.execute(UPSERT, ("a", 1)); line = here()  # noqa: E702 - the record's line is this one
        conn.cursor().executemany(UPSERT, [("a", 2), ("a", 3)])
        conn.execute("SELECT 1")
    assert sqlite3.connect is original
    conn.execute(UPSERT, ("b", 1))  # after stop: nothing more is recorded
    assert conn.execute("SELECT k, v FROM t ORDER BY k").fetchall() == [("a", 3), ("b", 1)]
    conn.close()
    records = capture.records()
    assert [(r.path, r.line, r.source, r.test, dict(r.sql)) for r in records if r.line == line] == [
        (HERE, line, "sqlite3", "t::raw", {None: UPSERT})
    ]
    # the same text from another line is another record; each executemany set runs alone: no duplicate
    assert len(records) == 2 and all(r.duplicate is None for r in records)


def test_a_capture_is_freed_with_the_driver_classes_it_made(tmp_path: Path) -> None:
    """The recording subclasses of the drivers' classes refer to their capture; they live on it, not in a
    process-wide table that kept every capture of a long test run alive."""
    capture = Capture(ROOT)
    with capture:
        conn = sqlite3.connect(tmp_path / "db.sqlite")
        conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, k TEXT UNIQUE, v INTEGER)")
        conn.execute(UPSERT, ("a", 1))
        conn.close()
    assert len(capture.records()) == 1
    gone = weakref.ref(capture)
    del capture, conn
    gc.collect()
    assert gone() is None


def test_a_statement_with_no_application_frame_is_counted_as_missed(tmp_path: Path) -> None:
    """A library method handed straight to a thread pool runs with no application frame on its stack, so there is
    no call site to record the statement at: it is counted, with the reason, instead of vanishing."""
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'db.sqlite'}", connect_args={"check_same_thread": False})
    metadata.create_all(engine)
    with Capture(ROOT) as capture, engine.begin() as conn, ThreadPoolExecutor(1) as pool:
        pool.submit(conn.exec_driver_sql, UPSERT, ("a", 1)).result()
        conn.exec_driver_sql(UPSERT, ("b", 1)); line = here()  # noqa: E702
    engine.dispose()
    assert [(r.path, r.line) for r in capture.records()] == [(HERE, line)]
    assert capture.missed() == {"no application frame on the stack of a sqlalchemy statement (only library code)": 1}


def test_sqlalchemy_connections_are_recorded_once_with_a_postgresql_form(tmp_path: Path) -> None:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    metadata.create_all(engine)
    with Capture(ROOT) as capture, engine.begin() as conn:
        stmt = sqlite.insert(table).values([{"k": "a", "v": 1}, {"k": "a", "v": 2}])
        conn.execute(stmt.on_conflict_do_update(index_elements=["k"], set_={"v": stmt.excluded.v})); line = here()  # noqa: E702
    assert not event.contains(sa.Engine, "before_cursor_execute", capture._on_cursor_execute)
    with engine.connect() as conn:
        assert conn.execute(sa.select(table.c.k, table.c.v)).all() == [("a", 2)]  # SQLite applied both rows
    (record,) = capture.records()
    assert (record.path, record.line, record.source) == (HERE, line, "sqlalchemy")
    assert record.sql["sqlite"] == (
        "INSERT INTO t (k, v) VALUES (?, ?), (?, ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v"
    )
    assert record.sql["postgresql"].startswith("INSERT INTO t (k, v) VALUES (%(k_m0)s::VARCHAR")
    assert record.duplicate is not None and record.duplicate.describe() == "(k='a')"
    assert record.duplicate.rows == (1, 2)


def test_text_constructs_are_raw_sql() -> None:
    engine = sa.create_engine("sqlite://")
    with engine.begin() as conn:
        metadata.create_all(conn)
        with Capture(ROOT) as capture:
            conn.execute(sa.text("INSERT INTO t (k, v) VALUES (:k, 1) ON CONFLICT (k) DO NOTHING"), {"k": "a"})
    (record,) = capture.records()
    assert dict(record.sql) == {None: "INSERT INTO t (k, v) VALUES (?, 1) ON CONFLICT (k) DO NOTHING"}


def helper(conn: sa.Connection, rows: list[dict[str, Any]]) -> int:
    stmt = sqlite.insert(table)
    conn.execute(stmt.on_conflict_do_update(index_elements=["k"], set_={"v": stmt.excluded.v}), rows)
    return here() - 1


def test_the_application_frame_is_the_helper_not_sqlalchemy() -> None:
    engine = sa.create_engine("sqlite://")
    with engine.begin() as conn:
        metadata.create_all(conn)
        with Capture(ROOT) as capture:
            line = helper(conn, [{"k": "a", "v": 1}, {"k": "a", "v": 2}])
    (record,) = capture.records()
    assert (record.path, record.line) == (HERE, line)
    assert record.function[0] == helper.__code__.co_firstlineno
    assert record.executions == 1 and record.duplicate is None  # an executemany without RETURNING: rows run alone


def test_records_survive_json_and_malformed_files_are_config_errors(tmp_path: Path) -> None:
    engine = sa.create_engine("sqlite://")
    with engine.begin() as conn:
        metadata.create_all(conn)
        with Capture(ROOT) as capture:
            helper(conn, [{"k": "a", "v": 1}])
            helper(conn, [{"k": "b", "v": 1}])
    data = records_to_json(capture.records(), root=ROOT)
    assert data["statements"][0]["executions"] == 2
    assert records_from_json(json.loads(json.dumps(data))) == capture.records()
    (tmp_path / "capture.json").write_text(json.dumps(data))
    assert load(tmp_path / "capture.json") == (capture.records(), ROOT)
    (tmp_path / "bad.json").write_text('{"version": 99}')
    with pytest.raises(ConfigError, match="not a schema-parity capture file"):
        load(tmp_path / "bad.json")
    (tmp_path / "bad.json").write_text('{"version": 1, "statements": [{"path": "x"}]}')
    with pytest.raises(ConfigError, match="statement 1 is malformed"):
        load(tmp_path / "bad.json")


@pytest.mark.parametrize(
    ("sql", "style", "params", "expected"),
    [
        ("INSERT INTO t (k, v) VALUES (?, ?), (?, ?) ON CONFLICT (k) DO UPDATE SET v = 1", "qmark", ("a", 1, "a", 2),
         "(k='a')"),
        ("INSERT INTO t (k, v) VALUES (:k1, 1), (:k2, 2) ON CONFLICT (k) DO UPDATE SET v = 1", "named",
         {"k1": 1, "k2": 1}, "(k=1)"),
        ("INSERT INTO t (v, k) VALUES (%(v)s, %(a)s::VARCHAR), (1, %(b)s) ON CONFLICT (k) DO UPDATE SET v = 1",
         "pyformat", {"v": 0, "a": "x", "b": "x"}, "(k='x')"),
        ("INSERT INTO t (k, v) VALUES ($1, $2), ($3, $2) ON CONFLICT (k) DO UPDATE SET v = 1", "numeric_dollar",
         ["a", 1, "a"], "(k='a')"),
        ("INSERT INTO t (k, v) VALUES ('a', 1), ('a', 2) ON CONFLICT (k) DO UPDATE SET v = 1", "qmark", (), "(k='a')"),
        # not the same key: distinct values, NULLs (never equal), 1 and True (equal in Python only)
        ("INSERT INTO t (k, v) VALUES (?, 1), (?, 2) ON CONFLICT (k) DO UPDATE SET v = 1", "qmark", ("a", "b"), None),
        ("INSERT INTO t (k, v) VALUES (?, 1), (?, 2) ON CONFLICT (k) DO UPDATE SET v = 1", "qmark", (None, None),
         None),
        ("INSERT INTO t (k, v) VALUES (?, 1), (?, 2) ON CONFLICT (k) DO UPDATE SET v = 1", "qmark", (1, True), None),
        # not certain: DO NOTHING skips the second row; a DO UPDATE WHERE may leave the first row's target alone;
        # an expression or a partial target is not judged
        ("INSERT INTO t (k, v) VALUES ('a', 1), ('a', 2) ON CONFLICT (k) DO NOTHING", "qmark", (), None),
        ("INSERT INTO t (k, v) VALUES ('a', 1), ('a', 2) ON CONFLICT (k) DO UPDATE SET v = 1 WHERE t.v < 0", "qmark",
         (), None),
        ("INSERT INTO t (k, v) VALUES ('a', 1), ('a', 2) ON CONFLICT ((lower(k))) DO UPDATE SET v = 1", "qmark", (),
         None),
        ("INSERT INTO t (k, v) VALUES ('a', 1), ('a', 2) ON CONFLICT (k) WHERE v > 0 DO UPDATE SET v = 1", "qmark",
         (), None),
        ("INSERT INTO t (k, v) VALUES (upper(?), 1), (upper(?), 2) ON CONFLICT (k) DO UPDATE SET v = 1", "qmark",
         ("a", "a"), None),
    ],
)
def test_row_plans(sql: str, style: str, params: Any, expected: str | None) -> None:
    plan = RowPlan.of(sql, style)
    duplicate = plan.first_repeat(params) if plan is not None else None
    assert (duplicate.describe() if duplicate else None) == expected


ON_CONFLICT_SET = 'ON CONFLICT (k) DO UPDATE SET v = excluded.v'


@pytest.mark.postgres
@pytest.mark.parametrize(
    "sql",
    [
        # PostgreSQL's lexical rules between the rows: comments holding a comma or a parenthesis, E'' strings with a
        # backslash-escaped quote, dollar quoting, a quoted name that reads "on conflict", a comment inside ON CONFLICT
        f"INSERT INTO t (k, v) VALUES ('k', 'a') /* , ( */ , ('k', 'b') {ON_CONFLICT_SET}",
        f"INSERT INTO t (k, v) VALUES ('k', 'a'), -- (\n ('k', 'b') {ON_CONFLICT_SET}",
        f"INSERT INTO t (k, v) VALUES ('k', E'it\\'s, (odd'), ('k', 'b') {ON_CONFLICT_SET}",
        f"INSERT INTO t (k, v) VALUES ('k', $$a, (b$$), ('k', $x$), ($x$) {ON_CONFLICT_SET}",
        "INSERT INTO t (k, \"on conflict\") VALUES ('k', 'a'), ('k', 'b') ON CONFLICT (k) DO UPDATE SET v = 'x'",
        "INSERT INTO t (k, v) VALUES ('k', 'a'), ('k', 'b') ON /* x */ conflict (k) DO UPDATE SET v = excluded.v",
        # no key twice: a row in a comment, strings that hold a row break, nested comments
        f"INSERT INTO t (k, v) VALUES ('k', 'a') /* , ('k', 'b') */ {ON_CONFLICT_SET}",
        f"INSERT INTO t (k, v) VALUES ('k', '), (''k'', ''b'')'), ('j', 'c') {ON_CONFLICT_SET}",
        f"INSERT INTO t (k, v) VALUES ('k', 'a') /* /* */ , ('k', 'b') */ , ('j', 'c') {ON_CONFLICT_SET}",
        f"INSERT INTO t (k, v) VALUES ('k', E'\\''), ('k2', 'b') {ON_CONFLICT_SET}",
    ],
)
def test_row_plans_agree_with_postgresql(pg_engine: sa.Engine, sql: str) -> None:
    """SP302's row plan reads the rows as PostgreSQL's lexer does: a key proposed twice exactly when the server
    raises 21000 on the statement (run on a temporary table, rolled back)."""
    with pg_engine.connect() as conn:
        conn.exec_driver_sql('CREATE TEMP TABLE t (k text UNIQUE, v text, "on conflict" text)')
        try:
            conn.exec_driver_sql(sql.replace("%", "%%"))
            raised = None
        except sa.exc.DBAPIError as error:
            raised = getattr(error.orig, "sqlstate", None)
        conn.rollback()
    plan = RowPlan.of(sql, "format")
    duplicate = plan.first_repeat(()) if plan is not None else None
    assert raised in (None, "21000")
    assert (duplicate is not None) == (raised == "21000"), (raised, duplicate)


@pytest.mark.parametrize(
    ("sql", "planned"),
    [
        ("INSERT INTO t (k) VALUES (?), (?) ON CONFLICT (k) DO UPDATE SET v = 1", True),
        ("INSERT INTO t (k) VALUES (?) /* a */ ,\n -- b\n (?) ON CONFLICT (k) do  update SET v = 1", True),
        ("INSERT INTO t (k) VALUES (?) ON CONFLICT (k) DO UPDATE SET v = 1", False),
        ("INSERT INTO t (k) VALUES (?), (?) ON CONFLICT (k) DO NOTHING", False),
    ],
)
def test_only_a_text_that_can_hold_two_rows_for_do_update_is_parsed_while_recording(sql: str, planned: bool) -> None:
    """The recorder parses a statement (for SP302) only when its text has DO UPDATE and a row break ``), (``."""
    from schema_parity.capture import _may_repeat

    assert _may_repeat(sql) is planned


@pytest.mark.postgres
def test_a_batch_postgresql_rejects_is_reported_on_sqlite(tmp_path: Path, pg_engine: sa.Engine) -> None:
    """The same executemany ... RETURNING: PostgreSQL raises 21000, SQLite passes, the capture reports the key."""
    rows = [{"k": "a", "v": 1}, {"k": "b", "v": 1}, {"k": "a", "v": 2}]
    metadata.create_all(pg_engine)
    with pg_engine.connect() as conn:
        stmt = postgresql.insert(table)
        upsert = stmt.on_conflict_do_update(index_elements=["k"], set_={"v": stmt.excluded.v}).returning(table.c.id)
        with pytest.raises(sa.exc.DBAPIError) as raised:
            conn.execute(upsert, rows)
        assert getattr(raised.value.orig, "sqlstate", None) == "21000"
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    metadata.create_all(engine)
    with Capture(ROOT) as capture, engine.begin() as conn:
        stmt = sqlite.insert(table)
        upsert = stmt.on_conflict_do_update(index_elements=["k"], set_={"v": stmt.excluded.v}).returning(table.c.id)
        assert len(conn.execute(upsert, rows).all()) == 3
    (record,) = capture.records()
    assert record.duplicate is not None and record.duplicate.batched
    assert (record.duplicate.describe(), record.duplicate.rows) == ("(k='a')", (1, 3))


def test_aiosqlite_connections_are_recorded_at_the_awaiting_line(tmp_path: Path) -> None:
    """aiosqlite runs sqlite3 in a worker thread, where no application frame is on the stack: the statement is
    recorded in the coroutine that awaited it, for the connection's own methods and its cursors'; an async
    SQLAlchemy engine on aiosqlite is recorded once, by the engine's events."""
    import aiosqlite
    from sqlalchemy.ext.asyncio import create_async_engine

    original = aiosqlite.connect
    path = tmp_path / "db.sqlite"
    named = "INSERT INTO t (k, v) VALUES (:k, :v) ON CONFLICT (k) DO UPDATE SET v = excluded.v"

    async def run() -> dict[str, int]:
        lines = {}
        async with aiosqlite.connect(path) as conn:
            assert isinstance(conn, aiosqlite.Connection)
            await conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, k TEXT UNIQUE, v INTEGER)")
            await conn.execute(UPSERT, ("a", 1)); lines["execute"] = here()  # noqa: E702
            await conn.executemany(UPSERT, (row for row in [("a", 2), ("a", 3)])); lines["many"] = here()  # noqa: E702
            await conn.execute_insert(named, {"k": "b", "v": 1}); lines["insert"] = here()  # noqa: E702
            async with conn.cursor() as cur:
                await cur.execute(UPSERT.replace("(?, ?)", "(?, ?), (?, ?)"), ("c", 1, "c", 2)); lines["twice"] = here()  # noqa: E702
            await conn.commit()
        engine = create_async_engine(f"sqlite+aiosqlite:///{path}")
        async with engine.begin() as conn:
            stmt = sqlite.insert(table).values(k="d", v=1)
            await conn.execute(stmt.on_conflict_do_nothing(index_elements=["k"])); lines["engine"] = here()  # noqa: E702
        await engine.dispose()
        return lines

    with Capture(ROOT) as capture:
        lines = asyncio.run(run())
    assert aiosqlite.connect is original
    found = {(r.path, r.line, r.source, r.driver, r.duplicate.describe() if r.duplicate else None)
             for r in capture.records()}  # fmt: skip
    assert found == {
        (HERE, lines["execute"], "sqlite3", "aiosqlite", None),
        (HERE, lines["many"], "sqlite3", "aiosqlite", None),
        (HERE, lines["insert"], "sqlite3", "aiosqlite", None),
        (HERE, lines["twice"], "sqlite3", "aiosqlite", "(k='c')"),
        (HERE, lines["engine"], "sqlalchemy", "sqlalchemy sqlite+aiosqlite", None),
    }, capture.missed()
    assert capture.missed() == {}
    with sqlite3.connect(path) as check:  # recorded, and run as they were
        assert check.execute("SELECT k, v FROM t ORDER BY k").fetchall() == [("a", 3), ("b", 1), ("c", 2), ("d", 1)]
    check.close()


def test_an_async_engine_is_recorded_when_sys_modules_has_lost_greenlet(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An in-process pytest run (pytester's ``runpytest``) takes out of ``sys.modules`` the modules first imported
    during it. When SQLAlchemy's asyncio extension first imported greenlet there (an inner run of Alembic's env.py,
    tests/test_plugin_fixtures.py), SQLAlchemy keeps running on that greenlet while ``sys.modules`` no longer has
    it: the statements of async engines are still recorded at the line that awaited them, not missed."""
    from sqlalchemy.ext.asyncio import create_async_engine  # SQLAlchemy imports greenlet now, and keeps it

    for name in [n for n in sys.modules if n == "greenlet" or n.startswith("greenlet.")]:
        monkeypatch.delitem(sys.modules, name)

    async def run() -> int:
        engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}")
        async with engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
            stmt = sqlite.insert(table).values(k="a", v=1)
            await conn.execute(stmt.on_conflict_do_nothing(index_elements=["k"])); line = here()  # noqa: E702
        await engine.dispose()
        return line

    with Capture(ROOT) as capture:
        line = asyncio.run(run())
    assert [(r.path, r.line, r.source) for r in capture.records()] == [(HERE, line, "sqlalchemy")], capture.missed()
    assert capture.missed() == {}


@pytest.mark.postgres
def test_raw_psycopg_and_async_engines_are_recorded(pg_url: str) -> None:
    import psycopg
    from sqlalchemy.ext.asyncio import create_async_engine

    dsn = sa.make_url(pg_url).set(drivername="postgresql").render_as_string(hide_password=False)
    with Capture(ROOT) as capture:
        with psycopg.connect(dsn) as conn:
            conn.execute("CREATE TABLE t (id serial PRIMARY KEY, k text UNIQUE, v integer)")
            raw_line = here() + 1  # a call over several lines is placed at its first line
            conn.execute(
                "INSERT INTO t (k, v) VALUES (%s, %s) ON CONFLICT (k) DO UPDATE SET v = excluded.v", ("a", 1)
            )
        assert type(conn).__name__ == "Connection"

        async def run() -> int:
            engine = create_async_engine(sa.make_url(pg_url).set(drivername="postgresql+psycopg"))
            async with engine.begin() as conn:
                stmt = postgresql.insert(table).values(k="b", v=1)
                await conn.execute(stmt.on_conflict_do_nothing(index_elements=["k"])); line = here()  # noqa: E702
            await engine.dispose()
            return line

        async_line = asyncio.run(run())
    assert psycopg.connect.__module__.startswith("psycopg")
    found = {(r.path, r.line, r.source) for r in capture.records()}
    assert found == {(HERE, raw_line, "psycopg"), (HERE, async_line, "sqlalchemy")}, capture.missed()
    assert capture.missed() == {}
    with psycopg.connect(dsn) as conn:
        assert conn.execute("SELECT k, v FROM t ORDER BY k").fetchall() == [("a", 1), ("b", 1)]


@pytest.mark.postgres
def test_async_psycopg_and_asyncpg_connections_are_recorded(pg_url: str) -> None:
    """psycopg's AsyncConnection.connect, asyncpg.connect and asyncpg.create_pool, opened while the capture is
    active; asyncpg's ``$n`` parameters show a key proposed twice (PostgreSQL itself raises 21000 on it)."""
    import asyncpg
    import psycopg

    dsn = sa.make_url(pg_url).set(drivername="postgresql").render_as_string(hide_password=False)
    upsert = "INSERT INTO t (k, v) VALUES ({}) ON CONFLICT (k) DO UPDATE SET v = excluded.v"
    originals = (psycopg.AsyncConnection.__dict__["connect"], asyncpg.connect, asyncpg.create_pool)

    async def run() -> dict[str, int]:
        lines = {}
        async with await psycopg.AsyncConnection.connect(dsn) as conn:
            assert type(conn) is psycopg.AsyncConnection
            await conn.execute("CREATE TABLE t (id serial PRIMARY KEY, k text UNIQUE, v integer)")
            await conn.execute(upsert.format("%s, %s"), ("a", 1)); lines["psycopg"] = here()  # noqa: E702
            async with conn.cursor() as cur:
                await cur.executemany(upsert.format("%s, %s"), [("a", 2), ("a", 3)]); lines["many"] = here()  # noqa: E702
        pool = await asyncpg.create_pool(dsn, min_size=1, max_size=1)
        async with pool:
            await pool.execute(upsert.format("$1, $2"), "b", 1); lines["pool"] = here()  # noqa: E702
        one = await asyncpg.connect(dsn)
        try:
            pair = upsert.format("$1, $2), ($3, $4")
            returning = pair.replace("DO UPDATE SET v = excluded.v", "DO NOTHING RETURNING k")
            assert len(await one.fetch(returning, "c", 1, "d", 1)) == 2; lines["fetch"] = here()  # noqa: E702
            with pytest.raises(asyncpg.exceptions.CardinalityViolationError):  # 21000
                lines["twice"] = here() + 1
                await one.execute(pair, "e", 1, "e", 2)
        finally:
            await one.close()
        return lines

    with Capture(ROOT) as capture:
        lines = asyncio.run(run())
    assert (psycopg.AsyncConnection.__dict__["connect"], asyncpg.connect, asyncpg.create_pool) == originals
    found = {(r.path, r.line, r.source, r.duplicate.describe() if r.duplicate else None) for r in capture.records()}
    assert found == {
        (HERE, lines["psycopg"], "psycopg", None),
        (HERE, lines["many"], "psycopg", None),
        (HERE, lines["pool"], "asyncpg", None),
        (HERE, lines["fetch"], "asyncpg", None),
        (HERE, lines["twice"], "asyncpg", "(k='e')"),
    }
    with psycopg.connect(dsn) as conn:
        rows = conn.execute("SELECT k, v FROM t ORDER BY k").fetchall()
    assert rows == [("a", 3), ("b", 1), ("c", 1), ("d", 1)]  # recorded, and run as they were
