"""--use-env-py never runs a revision on a database schema-parity did not create.

A real env.py builds its own engine from application settings: every engine it makes is redirected to the scratch
database, and what cannot be redirected (an Engine made before the run, a raw driver connection) is refused.
"""

from __future__ import annotations

import hashlib
import importlib
import logging
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from schema_parity.catalog import Catalog
from schema_parity.cli import main
from schema_parity.errors import MigrationError
from schema_parity.sources.alembic import AlembicProject, catalog_at
from schema_parity.sources.server import ScratchDatabases, catalogs_on_server
from tests.alembic_projects import Revision, linear_chain, run_migrations_env_py, stock_project, write_project

URL_VARIABLE = "SP_TEST_APP_DATABASE_URL"


@pytest.fixture
def app_modules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """Unique names for the application's modules (written under tmp_path, importable), forgotten afterwards."""
    monkeypatch.syspath_prepend(str(tmp_path))
    tag = uuid.uuid4().hex[:8]
    names = {"settings": f"settings_{tag}", "db": f"appdb_{tag}"}
    yield names
    for name in names.values():
        sys.modules.pop(name, None)


def write_app(root: Path, names: dict[str, str]) -> None:
    """An application whose settings read the database URL from the environment and whose db module connects."""
    (root / f"{names['settings']}.py").write_text(f"import os\nDATABASE_URL = os.environ[{URL_VARIABLE!r}]\n")
    (root / f"{names['db']}.py").write_text(
        f"from sqlalchemy import create_engine\nimport {names['settings']} as settings\n"
        "engine = create_engine(settings.DATABASE_URL)\n"
    )


def env_py_variants(names: dict[str, str]) -> dict[str, str]:
    settings, db = names["settings"], names["db"]
    return {
        # the engine comes from an application module env.py imports
        "app_module": run_migrations_env_py(f"{db}.engine.connect()", imports=f"import {db}"),
        # env.py builds it from settings, the way Alembic's template builds it from sqlalchemy.url
        "engine_from_config": run_migrations_env_py(
            f"engine_from_config({{'sqlalchemy.url': {settings}.DATABASE_URL}}, prefix='sqlalchemy.').connect()",
            imports=f"from sqlalchemy import engine_from_config\nimport {settings}",
        ),
        # offline-style configure(url=...) in online mode
        "configure_url": (
            f"from alembic import context\nimport {settings}\n"
            f"context.configure(url={settings}.DATABASE_URL, target_metadata=None)\n"
            "with context.begin_transaction():\n    context.run_migrations()\n"
        ),
    }


def assert_chain_schema(catalog: Catalog) -> None:
    """linear_chain(2): two tables, the second revision's unique constraint on the first."""
    assert {t.name for t in catalog.tables} >= {"t0_0", "t1_0"}
    assert "uq_t0_0_a" in {k.name for k in catalog.table("t0_0").keys}


def file_state(path: Path) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else None


@pytest.mark.parametrize("dev_exists", [False, True], ids=["no-dev-file", "dev-file"])
@pytest.mark.parametrize("variant", ["app_module", "engine_from_config", "configure_url"])
def test_env_py_engine_from_application_settings_is_redirected(
    tmp_path: Path,
    app_modules: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    variant: str,
    dev_exists: bool,
) -> None:
    dev = tmp_path / "dev.sqlite3"
    if dev_exists:  # the developer's database, with data in it
        engine = sa.create_engine(f"sqlite:///{dev}")
        with engine.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE app_data (id INTEGER PRIMARY KEY)")
        engine.dispose()
    before = file_state(dev)
    monkeypatch.setenv(URL_VARIABLE, f"sqlite:///{dev}")
    write_app(tmp_path, app_modules)
    project = AlembicProject.load(
        write_project(tmp_path / "proj", linear_chain(2), env_py=env_py_variants(app_modules)[variant])
    )
    caplog.set_level(logging.INFO, logger="schema_parity")

    catalog = catalog_at(project, use_env_py=True)

    assert file_state(dev) == before
    assert_chain_schema(catalog)
    assert "app_data" not in {t.name for t in catalog.tables}
    redirected = [r.getMessage() for r in caplog.records if "redirected to the scratch database" in r.getMessage()]
    assert redirected and str(dev) in redirected[0] and "env.py" in redirected[0]


@pytest.mark.parametrize("template", ["generic", "async"])
def test_stock_alembic_init_env_py_builds_the_schema(
    tmp_path: Path, template: str, caplog: pytest.LogCaptureFixture
) -> None:
    """`alembic init` writes an env.py that builds its engine from sqlalchemy.url (and configures logging)."""
    if template == "async":
        pytest.importorskip("greenlet", reason="the async template imports sqlalchemy.ext.asyncio")
    project = AlembicProject.load(stock_project(tmp_path, linear_chain(2), template=template))
    caplog.set_level(logging.INFO, logger="schema_parity")
    ours = logging.getLogger("schema_parity.sources.alembic")

    assert_chain_schema(catalog_at(project, use_env_py=True))
    # env.py's fileConfig(alembic.ini) disabled every existing logger; it is undone after the run
    assert not ours.disabled
    assert any("engine_from_config" in r.getMessage() for r in caplog.records)


def test_raw_driver_connection_in_env_py_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    dev = tmp_path / "dev.sqlite3"
    monkeypatch.setenv(URL_VARIABLE, str(dev))
    env_py = run_migrations_env_py("contextlib.closing(sqlite3.connect(os.environ[" + repr(URL_VARIABLE) + "]))",
                                   imports="import contextlib, os, sqlite3")
    ini = write_project(tmp_path / "proj", linear_chain(2), env_py=env_py)

    assert main(["schema", "--alembic-config", str(ini), "--use-env-py"]) == 2
    message = capsys.readouterr().err
    assert str(tmp_path / "proj" / "migrations" / "env.py") in message
    assert f"sqlite3.connect({str(dev)!r})" in message
    assert 'config.attributes["connection"]' in message and "--use-env-py" in message
    assert "Traceback" not in message
    assert not dev.exists()


DRIVER_IMPORTED_DURING_THE_RUN = """\
import sys
from schema_parity.errors import MigrationError
from schema_parity.sources.alembic import AlembicProject, catalog_at
assert "psycopg" not in sys.modules, "the case needs a process that has not imported psycopg"
meta_path = list(sys.meta_path)
catalog_at(AlembicProject.load(sys.argv[1]))
print("imported by a run:", "psycopg" in sys.modules)
try:
    catalog_at(AlembicProject.load(sys.argv[1]), use_env_py=True)
except MigrationError as error:
    print(error)
import psycopg
print("after the run:", psycopg.connect == psycopg.Connection.connect, type(psycopg.__spec__.loader).__name__,
      sys.meta_path == meta_path)
"""


def test_a_driver_env_py_imports_during_the_run_is_guarded_too(tmp_path: Path) -> None:
    """The sandbox does not import psycopg to guard it (that costs a process as much as importing sqlglot): an
    import during the run guards the module, and after the run it is as imported, its spec untouched."""
    env_py = run_migrations_env_py("psycopg.connect('postgresql://nobody@127.0.0.1:1/none')", imports="import psycopg")
    ini = write_project(tmp_path / "proj", linear_chain(2), env_py=env_py)

    result = subprocess.run(
        [sys.executable, "-c", DRIVER_IMPORTED_DURING_THE_RUN, str(ini)],
        capture_output=True, text=True, check=False, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    plain, refusal, after = result.stdout.splitlines()
    assert plain == "imported by a run: False"
    assert "env.py" in refusal and "psycopg.connect(...)" in refusal and "--use-env-py" in refusal
    assert after == "after the run: True SourceFileLoader True"


@pytest.mark.parametrize("pooled", [False, True], ids=["new-connection", "pooled-connection"])
@pytest.mark.parametrize("swallowed", [False, True], ids=["raised", "caught-by-env-py"])
def test_engine_created_before_the_run_is_refused(
    tmp_path: Path, app_modules: dict[str, str], pooled: bool, swallowed: bool
) -> None:
    """An application module imported earlier in the session (as in a pytest run) holds an engine to its own DB."""
    other = tmp_path / "other.sqlite3"
    (tmp_path / f"{app_modules['db']}.py").write_text(
        f"import sqlalchemy as sa\nengine = sa.create_engine({f'sqlite:///{other}'!r})\n"
    )
    app = importlib.import_module(app_modules["db"])
    if pooled:  # the engine already holds a connection in its pool: no new DBAPI connection is made
        with app.engine.connect():
            pass
    before = file_state(other)
    connect = f"{app_modules['db']}.engine.connect()"
    env_py = run_migrations_env_py(connect, imports=f"import {app_modules['db']}")
    if swallowed:  # env.py falls back to the handed-over connection: the attempt still fails the run
        env_py = (
            f"import {app_modules['db']}\ntry:\n    {connect}\nexcept Exception:\n    pass\n"
            + run_migrations_env_py("context.config.attributes['connection']")
        )
    project = AlembicProject.load(write_project(tmp_path / "proj", linear_chain(2), env_py=env_py))

    with pytest.raises(MigrationError) as excinfo:
        catalog_at(project, use_env_py=True)
    message = str(excinfo.value)
    assert "env.py" in message and "created before the migrations started" in message
    assert 'config.attributes["connection"]' in message
    assert file_state(other) == before
    with app.engine.connect() as connection:  # after the run (its listeners stay) the engine is the application's
        assert connection.exec_driver_sql("PRAGMA database_list").all()[0].file == str(other)
    app.engine.dispose()


def test_connection_opened_before_the_run_and_given_to_configure_is_replaced(
    tmp_path: Path, app_modules: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    """A connection already open makes no connect event: context.configure gets the scratch connection instead."""
    other = tmp_path / "other.sqlite3"
    (tmp_path / f"{app_modules['db']}.py").write_text(
        f"import sqlalchemy as sa\nengine = sa.create_engine({f'sqlite:///{other}'!r})\nconnection = engine.connect()\n"
    )
    app = importlib.import_module(app_modules["db"])
    before = file_state(other)
    env_py = (
        f"from alembic import context\nimport {app_modules['db']} as app\n"
        "context.configure(connection=app.connection, target_metadata=None)\n"
        "with context.begin_transaction():\n    context.run_migrations()\n"
    )
    project = AlembicProject.load(write_project(tmp_path / "proj", linear_chain(2), env_py=env_py))
    caplog.set_level(logging.INFO, logger="schema_parity")

    assert_chain_schema(catalog_at(project, use_env_py=True))
    assert file_state(other) == before
    assert f"context.configure(connection=<connection to sqlite:///{other}>) was redirected" in caplog.text
    app.connection.close()
    app.engine.dispose()


def test_without_env_py_a_revision_that_makes_its_own_engine_is_redirected_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A data migration that opens the application's database itself runs on the scratch database instead."""
    dev = tmp_path / "dev.sqlite3"
    monkeypatch.setenv(URL_VARIABLE, f"sqlite:///{dev}")
    body = (
        f"with sa.create_engine(os.environ[{URL_VARIABLE!r}]).begin() as connection:\n"
        "    connection.exec_driver_sql('CREATE TABLE made_by_data_migration (id INTEGER)')"
    )
    revisions = [*linear_chain(1), Revision("d2", "r0000", body, imports="import os")]
    project = AlembicProject.load(write_project(tmp_path / "proj", revisions))

    catalog = catalog_at(project)

    assert "made_by_data_migration" in {t.name for t in catalog.tables}
    assert not dev.exists()


# -- on a PostgreSQL scratch database ----------------------------------------------------------------------------------
@pytest.fixture
def dev_database(pg_admin_url: str) -> Iterator[tuple[ScratchDatabases, str]]:
    """A 'development database' on the server (created and dropped through ScratchDatabases)."""
    scratch = ScratchDatabases(pg_admin_url, "sp_reliability_dev_")
    name = scratch.create()
    yield scratch, name
    scratch.close()


def user_tables(scratch: ScratchDatabases, name: str) -> list[str]:
    engine = sa.create_engine(scratch.url(name))
    try:
        with engine.connect() as conn:
            return sa.inspect(conn).get_table_names()
    finally:
        engine.dispose()


def password_url(scratch: ScratchDatabases, name: str) -> str:
    """A URL to ``name`` carrying a password (the test server trusts local connections, so it is not checked)."""
    return scratch.server_url.set(database=name, password="s3cret-dev-pw").render_as_string(hide_password=False)


@pytest.mark.postgres
def test_env_py_on_postgresql_never_touches_the_development_database(
    tmp_path: Path,
    pg_admin_url: str,
    dev_database: tuple[ScratchDatabases, str],
    app_modules: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    scratch, dev = dev_database
    monkeypatch.setenv(URL_VARIABLE, password_url(scratch, dev))
    write_app(tmp_path, app_modules)
    env_py = env_py_variants(app_modules)["app_module"]
    project = AlembicProject.load(write_project(tmp_path / "proj", linear_chain(2), env_py=env_py))
    caplog.set_level(logging.INFO, logger="schema_parity")

    catalogs = catalogs_on_server(pg_admin_url, project, ["head"], use_env_py=True)

    assert_chain_schema(catalogs["head"])
    assert user_tables(scratch, dev) == []
    assert "redirected to the scratch database" in caplog.text
    assert "s3cret-dev-pw" not in caplog.text


@pytest.mark.postgres
@pytest.mark.parametrize("template", ["generic", "async"])
def test_stock_env_py_on_postgresql(
    tmp_path: Path, pg_admin_url: str, template: str, caplog: pytest.LogCaptureFixture
) -> None:
    """The engine env.py builds from sqlalchemy.url is the connection schema-parity migrates, not a second one."""
    if template == "async":
        pytest.importorskip("greenlet", reason="the async template imports sqlalchemy.ext.asyncio")
    project = AlembicProject.load(stock_project(tmp_path, linear_chain(2), template=template))
    caplog.set_level(logging.INFO, logger="schema_parity")
    assert_chain_schema(catalogs_on_server(pg_admin_url, project, ["head"], use_env_py=True)["head"])
    # Alembic's async template calls async_engine_from_config; before Alembic 1.11 it wrapped engine_from_config's
    # engine in AsyncEngine(...), which gets the scratch engine all the same.
    env_py = (tmp_path / "migrations" / "env.py").read_text()
    factory = "async_engine_from_config" if "async_engine_from_config" in env_py else "engine_from_config"
    assert any(f" {factory}(" in r.getMessage() and "redirected" in r.getMessage() for r in caplog.records)


@pytest.mark.postgres
def test_raw_psycopg_connection_on_postgresql_is_refused_without_showing_the_password(
    tmp_path: Path, pg_admin_url: str, dev_database: tuple[ScratchDatabases, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    scratch, dev = dev_database
    conninfo = password_url(scratch, dev).replace("postgresql+psycopg://", "postgresql://")
    monkeypatch.setenv(URL_VARIABLE, conninfo)
    env_py = run_migrations_env_py(f"psycopg.connect(os.environ[{URL_VARIABLE!r}])", imports="import os, psycopg")
    project = AlembicProject.load(write_project(tmp_path / "proj", linear_chain(2), env_py=env_py))

    with pytest.raises(MigrationError) as excinfo:
        catalogs_on_server(pg_admin_url, project, ["head"], use_env_py=True)
    message = str(excinfo.value)
    assert "env.py" in message and "psycopg.connect(...)" in message and "--use-env-py" in message
    assert "s3cret-dev-pw" not in message
    assert user_tables(scratch, dev) == []


@pytest.mark.postgres
def test_engine_created_before_a_postgresql_run_is_refused_and_its_password_masked(
    tmp_path: Path, pg_admin_url: str, dev_database: tuple[ScratchDatabases, str], app_modules: dict[str, str]
) -> None:
    scratch, dev = dev_database
    (tmp_path / f"{app_modules['db']}.py").write_text(
        f"import sqlalchemy as sa\nengine = sa.create_engine({password_url(scratch, dev)!r})\n"
    )
    app = importlib.import_module(app_modules["db"])
    env_py = run_migrations_env_py(f"{app_modules['db']}.engine.connect()", imports=f"import {app_modules['db']}")
    project = AlembicProject.load(write_project(tmp_path / "proj", linear_chain(2), env_py=env_py))

    with pytest.raises(MigrationError) as excinfo:
        catalogs_on_server(pg_admin_url, project, ["head"], use_env_py=True)
    message = str(excinfo.value)
    assert "created before the migrations started" in message and dev in message
    assert "s3cret-dev-pw" not in message
    assert user_tables(scratch, dev) == []
    app.engine.dispose()


def test_a_revision_inspecting_the_engine_it_created_sees_the_scratch_database(tmp_path: Path) -> None:
    """A revision builds an engine from the application's URL and asks `sa.inspect(engine)` which tables exist
    (to create only the missing ones): it gets an Inspector of the scratch database."""
    body = """
        op.create_table('present', sa.Column('id', sa.Integer, primary_key=True))
        engine = sa.create_engine('postgresql://app@db.invalid/app')
        if 'present' in sa.inspect(engine).get_table_names():
            op.create_table('seen', sa.Column('id', sa.Integer, primary_key=True))
        """
    project = AlembicProject.load(write_project(tmp_path, [Revision("i1", None, body)]))
    assert sorted(t.name for t in catalog_at(project).tables) == ["present", "seen"]
