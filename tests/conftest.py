"""Shared test fixtures: real SQLite files and throw-away databases on a real PostgreSQL server.

PostgreSQL tests skip when no server answers, except when ``SCHEMA_PARITY_REQUIRE_PG=1`` (set by ``.ci/run``): then
a missing server is a failure, so CI can never pass by skipping the PostgreSQL tier.

The suite runs in random order (pytest-randomly; the seed is in the header, ``-p randomly --randomly-seed=N`` replays
it); the pytest runs that tests start inside themselves keep their file order.
"""

from __future__ import annotations

import contextlib
import os
import sys
import uuid
from collections.abc import Callable, Iterable, Iterator

import pytest
import sqlalchemy as sa

from schema_parity import compat

# Imported once for the whole session: an in-process pytester run restores sys.modules afterwards, and a driver first
# imported inside it would be imported again, so that SQLAlchemy's dialects (which keep the first module) no longer
# recognise the new module's exceptions as the driver's. A missing driver is reported by the fixtures below.
with contextlib.suppress(ImportError):
    import psycopg  # noqa: F401

#: The server the PostgreSQL tests create their databases on: the machine's own by default. With
#: SCHEMA_PARITY_TEST_PG_URL="" the suite provisions PostgreSQL as the tool does (the embedded server of the test
#: extra, else local binaries). The check's own PostgreSQL (postgres = auto) is provisioned either way.
LOCAL_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PG_ADMIN_URL = os.environ.get("SCHEMA_PARITY_TEST_PG_URL", LOCAL_SERVER) or None
REQUIRE_PG = os.environ.get("SCHEMA_PARITY_REQUIRE_PG") == "1"
CASES_DB = os.environ.get("SCHEMA_PARITY_TEST_CASES_DB")


def _pg_unavailable_reason(url: str) -> str | None:
    try:
        engine = compat.create_engine(url, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        engine.dispose()
    except Exception as exc:  # any failure to reach the server means "no PostgreSQL tier here"
        shown = sa.engine.make_url(url).render_as_string(hide_password=True)
        return f"PostgreSQL at {shown} is not answering: {exc}"
    return None


@pytest.fixture(autouse=True)
def _forget_modules_of_test_projects(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Modules a test's project left in ``sys.modules`` (a revision importing its application at load time, which the
    tool keeps as Alembic does) are forgotten after the test, so the next test's package of the same name (``app``)
    is its own, whichever test ran before it in this worker."""
    before = set(sys.modules)
    yield
    base = str(tmp_path_factory.getbasetemp())
    for name in set(sys.modules) - before:
        if (getattr(sys.modules.get(name), "__file__", None) or "").startswith(base):
            del sys.modules[name]


@pytest.fixture(autouse=True)
def _inner_pytest_runs_keep_file_order(request: pytest.FixtureRequest) -> Iterator[None]:
    """Inner pytest runs (pytester, ``python -m pytest`` subprocesses) run their tests in file order.

    pytest-randomly would shuffle an inner run with a seed of its own, not the outer run's printed one, so a failure
    could not be replayed; and some inner tests prove isolation only when they run after the test that writes.
    """
    if "pytester" in request.fixturenames:
        request.getfixturevalue("pytester")  # it clears PYTEST_ADDOPTS when it starts: set ours after that
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PYTEST_ADDOPTS", f"{os.environ.get('PYTEST_ADDOPTS', '')} -p no:randomly".strip())
        yield


@pytest.fixture(scope="session")
def pg_admin_url() -> Iterator[str]:
    """URL of a PostgreSQL maintenance database: ``SCHEMA_PARITY_TEST_PG_URL``, else a provisioned server; skips (or
    fails under SCHEMA_PARITY_REQUIRE_PG=1) without one."""
    from schema_parity.errors import ConfigError
    from schema_parity.sources.postgres import Postgres

    postgres = Postgres(url=PG_ADMIN_URL, mode="required")
    try:
        try:
            url = PG_ADMIN_URL or postgres.server().url
        except ConfigError as exc:
            url, reason = None, f"no PostgreSQL could be provisioned: {exc}"
        else:
            reason = _pg_unavailable_reason(url)
        if reason is not None:
            if REQUIRE_PG:
                pytest.fail(f"SCHEMA_PARITY_REQUIRE_PG=1 but {reason}", pytrace=False)
            pytest.skip(reason)
        assert url is not None
        yield url
    finally:
        postgres.close()


@pytest.fixture(scope="session")
def pg_admin_engine(pg_admin_url: str) -> Iterator[sa.Engine]:
    engine = compat.create_engine(pg_admin_url, isolation_level="AUTOCOMMIT")
    yield engine
    engine.dispose()


@pytest.fixture
def pg_alive(pg_admin_engine: sa.Engine) -> Callable[[Iterable[str]], set[str]]:
    """Which of the given databases exist: a test looks only at databases it knows it created.

    Other clients create and drop databases on the same server (some with our prefixes) while the suite runs, so
    comparing the server's database list before and after a test would see theirs.
    """

    def alive(names: Iterable[str]) -> set[str]:
        with pg_admin_engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT datname FROM pg_database WHERE datname = ANY(:names)"),
                                {"names": list(names)})
            return {name for (name,) in rows}

    return alive


@pytest.fixture(scope="module")
def pg_cases_engine(pg_admin_engine: sa.Engine) -> Iterator[sa.Engine]:
    """One database for a module of engine cases; each case runs in its own schema, rolled back.

    ``SCHEMA_PARITY_TEST_CASES_DB`` names an existing database to use instead of a fresh one (``postgres`` will do:
    every case is rolled back, so nothing stays in it). A mutation run starts thousands of short pytest sessions,
    and each DROP DATABASE waits for a checkpoint.
    """
    if CASES_DB:
        engine = sa.create_engine(pg_admin_engine.url.set(database=CASES_DB))
        yield engine
        engine.dispose()
        return
    with own_database(pg_admin_engine, "sp_cases") as engine:
        yield engine


@contextlib.contextmanager
def own_database(admin: sa.Engine, prefix: str) -> Iterator[sa.Engine]:
    """A database of the test's own (``<prefix>_<random>``), dropped afterwards: the server is shared."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}" TEMPLATE template0'))
    engine = compat.create_engine(admin.url.set(database=name))
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def pg_url(pg_admin_engine: sa.Engine) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    name = f"sp_test_{uuid.uuid4().hex[:12]}"
    with pg_admin_engine.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}" TEMPLATE template0'))
    url = pg_admin_engine.url.set(database=name)
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with pg_admin_engine.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def pg_engine(pg_url: str) -> Iterator[sa.Engine]:
    engine = compat.create_engine(pg_url)
    yield engine
    engine.dispose()


@pytest.fixture
def sqlite_engine(tmp_path) -> Iterator[sa.Engine]:
    engine = compat.create_engine(f"sqlite:///{tmp_path / 'test.db'}")
    yield engine
    engine.dispose()
