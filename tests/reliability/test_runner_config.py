"""The project as configured: URLs with % escapes, missing version directories, unusual layouts, package-form
script locations, and a fingerprint (cache key) that follows everything the schema depends on."""

from __future__ import annotations

import importlib.metadata
import sys
import traceback
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
import sqlglot

from schema_parity import compat, version
from schema_parity.errors import ConfigError, MigrationError
from schema_parity.sources import Schema, SchemaOptions
from schema_parity.sources.alembic import AlembicProject, catalog_at, sqlite_memory_connection, upgrade
from schema_parity.sources.server import catalogs_on_server
from tests.alembic_projects import INI, Revision, linear_chain, revision_source, stock_project, write_project

TABLE = "op.create_table('t', sa.Column('id', sa.Integer, primary_key=True))"


# -- % escapes in URLs (item: configparser interpolation) --------------------------------------------------------------
ESCAPED_URL = "postgresql+psycopg://app:Pa%40ss@db.example.invalid/app?options=-csearch_path%3Dapp"


def test_urls_with_percent_escapes_reach_alembic_unchanged(tmp_path: Path) -> None:
    """ConfigParser reads % as interpolation: the URL must be escaped going in and come back as given."""
    project = AlembicProject.load(write_project(tmp_path, linear_chain(1)))
    cfg = project.config(url=ESCAPED_URL)
    assert cfg.get_main_option("sqlalchemy.url") == ESCAPED_URL
    assert cfg.get_section(cfg.config_ini_section, {})["sqlalchemy.url"] == ESCAPED_URL


def server_url(admin_url: str, *, password: str) -> str:
    """The admin URL with a password (the test server trusts local users) and a %-escaped search_path option
    (alembic_version lands in public, created before the first revision creates schema app)."""
    url = sa.engine.make_url(admin_url).set(password=password).render_as_string(hide_password=False)
    return url + ("&" if "?" in url else "?") + "options=-csearch_path%3Dapp%2Cpublic"  # a socket URL has a query


SEARCH_PATH_REVISIONS = [
    Revision(
        "s1",
        None,
        """
        op.execute('CREATE SCHEMA app')
        path = op.get_bind().exec_driver_sql('SHOW search_path').scalar()
        assert path == 'app,public', f'the options of the URL were lost: search_path is {path}'
        op.create_table('t', sa.Column('id', sa.Integer, primary_key=True))
        """,
    )
]


@pytest.mark.postgres
@pytest.mark.parametrize("use_env_py", [False, True], ids=["builtin-env", "stock-env-py"])
def test_escaped_server_url_migrates_a_real_scratch_database(
    tmp_path: Path, pg_admin_url: str, use_env_py: bool
) -> None:
    ini = stock_project(tmp_path, SEARCH_PATH_REVISIONS)
    catalogs = catalogs_on_server(
        server_url(pg_admin_url, password="Pa@ss%"), AlembicProject.load(ini), ["head"], use_env_py=use_env_py
    )
    assert [t.name for t in catalogs["head"].tables] == ["t"]


@pytest.mark.postgres
def test_password_of_an_escaped_url_is_in_no_error(tmp_path: Path, pg_admin_url: str) -> None:
    revisions = [*SEARCH_PATH_REVISIONS, Revision("s2", "s1", "op.execute('SELECT * FROM no_such_table')")]
    project = AlembicProject.load(write_project(tmp_path, revisions))
    url = server_url(pg_admin_url, password="Pa@ss-9f3k")
    with pytest.raises(MigrationError) as excinfo:
        catalogs_on_server(url, project, ["head"])
    shown = "".join(traceback.format_exception(excinfo.value))
    assert "Revision s2" in shown
    assert "Pa@ss-9f3k" not in shown and "Pa%40ss-9f3k" not in shown


# -- where the revisions are -------------------------------------------------------------------------------------------
def test_missing_versions_directory_is_a_configuration_error(tmp_path: Path) -> None:
    ini = write_project(tmp_path, [])
    (tmp_path / "migrations" / "versions").rmdir()
    with pytest.raises(ConfigError) as excinfo:
        catalog_at(AlembicProject.load(ini))
    assert str(tmp_path / "migrations" / "versions") in str(excinfo.value)


def test_version_location_pointing_nowhere_is_a_configuration_error(tmp_path: Path) -> None:
    write_project(tmp_path, linear_chain(2))
    ini = tmp_path / "alembic.ini"
    ini.write_text(INI + "version_locations = %(here)s/migrations/versions %(here)s/migrations/verisons\n")
    with pytest.raises(ConfigError) as excinfo:
        AlembicProject.load(ini).heads()
    assert str(tmp_path / "migrations" / "verisons") in str(excinfo.value)


# -- layout and fingerprint --------------------------------------------------------------------------------------------
def sql_file_project(root: Path) -> Path:
    """A revision that runs a .sql file kept beside it."""
    versions = root / "migrations" / "versions"
    ini = write_project(root, [])
    (versions / "q1_rev.py").write_text(
        revision_source(
            Revision(
                "q1",
                None,
                "op.execute((Path(__file__).parent / 'q1_schema.sql').read_text())",
                imports="from pathlib import Path",
            )
        )
    )
    (versions / "q1_schema.sql").write_text("CREATE TABLE first_table (id INTEGER PRIMARY KEY)")
    return ini


def test_fingerprint_and_catalog_cache_follow_a_sql_file_a_revision_reads(tmp_path: Path) -> None:
    ini = sql_file_project(tmp_path / "proj")
    cache = tmp_path / "cache"

    def head_tables() -> set[str]:
        catalogs = Schema(SchemaOptions(alembic_config=ini), ["sqlite"], cache_dir=cache)
        return {t.name for t in catalogs.head("sqlite").tables}

    before = AlembicProject.load(ini).fingerprint()
    assert head_tables() == {"first_table"}
    (tmp_path / "proj" / "migrations" / "versions" / "q1_schema.sql").write_text(
        "CREATE TABLE second_table (id INTEGER PRIMARY KEY)"
    )
    assert AlembicProject.load(ini).fingerprint() != before
    assert head_tables() == {"second_table"}


def test_fingerprint_follows_version_locations_outside_the_script_location(tmp_path: Path) -> None:
    write_project(tmp_path, [])
    external = tmp_path / "more_versions"
    external.mkdir()
    (external / "x1_rev.py").write_text(revision_source(Revision("x1", None, TABLE)))
    ini = tmp_path / "alembic.ini"
    ini.write_text(INI + "version_locations = %(here)s/more_versions\n")
    before = AlembicProject.load(ini).fingerprint()
    (external / "x1_rev.py").write_text(revision_source(Revision("x1", None, TABLE.replace("'t'", "'u'"))))
    assert AlembicProject.load(ini).fingerprint() != before


def test_fingerprint_follows_the_sql_parser_version(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Offline PostgreSQL DDL is parsed by sqlglot: a cached catalog is only valid for the version that parsed it."""
    assert importlib.metadata.version("sqlglot") == sqlglot.__version__  # read from the metadata, not imported
    ini = write_project(tmp_path, linear_chain(1))
    before = AlembicProject.load(ini).fingerprint()
    installed = importlib.metadata.version
    monkeypatch.setattr(importlib.metadata, "version", lambda name: installed(name) + ".other" * (name == "sqlglot"))
    version.installed.cache_clear()  # read once per process: a new process sees the upgraded library
    try:
        assert AlembicProject.load(ini).fingerprint() != before
    finally:
        version.installed.cache_clear()


def test_config_file_beside_the_script_location(tmp_path: Path) -> None:
    """keephq/keep's layout: the ini is not above the migrations (it lives in a sibling directory)."""
    write_project(tmp_path / "db", linear_chain(2))
    (tmp_path / "db" / "alembic.ini").unlink()
    (tmp_path / "config").mkdir()
    ini = tmp_path / "config" / "alembic.ini"
    ini.write_text("[alembic]\nscript_location = %(here)s/../db/migrations\n")
    project = AlembicProject.load(ini)
    assert len(project.fingerprint()) == 64
    catalogs = Schema(SchemaOptions(alembic_config=ini), ["sqlite"], cache_dir=tmp_path / "cache")
    assert {t.name for t in catalogs.head("sqlite").tables} == {"t0_0", "t1_0"}
    assert (tmp_path / "db" / "migrations" / "versions").resolve() in catalogs.schema_paths()


# -- script_location = "package:directory" -----------------------------------------------------------------------------
@pytest.fixture
def package_name() -> Iterator[str]:
    name = f"svcapp_{uuid.uuid4().hex[:8]}"
    yield name
    for module in [m for m in sys.modules if m == name or m.startswith(name + ".")]:
        del sys.modules[module]


def write_package(base: Path, name: str, subpackage: str | None) -> Path:
    """A package whose __init__ needs a service that is not there; its migrations inside (or in a subpackage)."""
    package = base / name
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("raise RuntimeError('needs the message broker at import')\n")
    if subpackage is not None:
        package = package / subpackage
        package.mkdir()
        (package / "__init__.py").write_text("raise RuntimeError('needs the cache at import')\n")
    write_project(package, linear_chain(2))
    (package / "alembic.ini").unlink()
    return package / "migrations"


@pytest.mark.parametrize("layout", ["flat", "src"])
@pytest.mark.parametrize("subpackage", [None, "core"])
def test_package_script_location_is_found_without_importing_the_package(
    tmp_path: Path, package_name: str, layout: str, subpackage: str | None
) -> None:
    base = tmp_path / "src" if layout == "src" else tmp_path
    migrations = write_package(base, package_name, subpackage)
    dotted = f"{package_name}.{subpackage}" if subpackage else package_name
    if compat.ALEMBIC_TOML:
        config = tmp_path / "pyproject.toml"
        config.write_text(f'[tool.alembic]\nscript_location = "{dotted}:migrations"\n')
    else:  # Alembic before 1.16 reads only ini files
        config = tmp_path / "alembic.ini"
        config.write_text(f"[alembic]\nscript_location = {dotted}:migrations\n")

    project = AlembicProject.load(config)

    assert project.script_location == migrations.resolve()
    with sqlite_memory_connection() as conn:
        assert upgrade(conn, project) == ["r0000", "r0001"]
    assert package_name not in sys.modules


def test_package_script_location_that_does_not_exist_is_named(tmp_path: Path, package_name: str) -> None:
    ini = tmp_path / "alembic.ini"
    ini.write_text(f"[alembic]\nscript_location = {package_name}:migrations\n")
    with pytest.raises(ConfigError) as excinfo:
        AlembicProject.load(ini)
    message = str(excinfo.value)
    assert f"{package_name}:migrations" in message and f"no package {package_name!r}" in message
