"""The plugin's database fixtures, driven through pytester on small Alembic projects without a conftest.py.

Each inner project's first revision appends a line to a counter file whenever it runs, so a test can count how many
times the migrations really ran (cache hits, xdist, rebuilds).
"""

from __future__ import annotations

import sys
import types
from collections.abc import Callable, Iterable
from pathlib import Path

import pytest

from schema_parity.plugin.fixtures import _start_container
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
    assert len(created) == 5  # two templates, three clones
    assert pg_alive(created) == set(), "the plugin left databases behind"


def test_postgres_unreachable_url_skips_and_fails_when_required(
    pytester: pytest.Pytester, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SCHEMA_PARITY_POSTGRES_URL", "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2")
    pytester.makepyfile(test_inner="def test_it(schema_parity_pg_url):\n    pass\n")
    result = pytester.runpytest("-rs")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["*schema-parity: PostgreSQL at postgresql+psycopg://nobody@127.0.0.1:1/none*"])
    monkeypatch.setenv("SCHEMA_PARITY_REQUIRE_PG", "1")
    result = pytester.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*SCHEMA_PARITY_REQUIRE_PG=1 but PostgreSQL at * is not answering*"])


NO_SERVER = "no PostgreSQL server configured (ini schema_parity_postgres_url or $SCHEMA_PARITY_POSTGRES_URL)"


def test_without_testcontainers_the_container_tier_explains_why(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("testcontainers", "testcontainers.community", "testcontainers.community.postgres",
                 "testcontainers.postgres"):
        monkeypatch.setitem(sys.modules, name, None)  # as if not installed: importing it raises ImportError
    assert _start_container() == (
        None, f"{NO_SERVER} and testcontainers is not installed (pip install 'schema-parity[postgres]')"
    )


def test_without_docker_the_container_tier_explains_why(monkeypatch: pytest.MonkeyPatch) -> None:
    installed = types.ModuleType("testcontainers.community.postgres")
    installed.PostgresContainer = object  # type: ignore[attr-defined]  # never started: no Docker engine
    for name in ("testcontainers", "testcontainers.community"):
        monkeypatch.setitem(sys.modules, name, types.ModuleType(name))
    monkeypatch.setitem(sys.modules, "testcontainers.community.postgres", installed)
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    assert _start_container() == (
        None, f"{NO_SERVER} and no Docker engine for testcontainers (no socket at unix:///nonexistent/docker.sock)"
    )


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
    result.stdout.fnmatch_lines(["*@pytest.mark.schema_parity: schema_parity(revision='head')*"])
