"""Database fixtures built by the project's real Alembic migrations.

One small fixture per decision, layered like pytest-django's: override any of them in a ``conftest.py`` (same name)
and everything built on it follows. The chain for SQLite is::

    schema_parity_alembic_config, schema_parity_use_env_py, schema_parity_cache
        -> schema_parity_template (session, head)      schema_parity_revision (function, from the marker)
            -> schema_parity_db_path -> schema_parity_db_url -> schema_parity_engine -> schema_parity_connection

and for PostgreSQL::

    schema_parity_pg_server_url -> schema_parity_pg_templates
        -> schema_parity_pg_connection (rollback mode; clone mode with the marker's transaction=True)
        -> schema_parity_pg_url (clone mode) -> schema_parity_pg_engine, schema_parity_pg_async_url
            -> schema_parity_pg_async_engine
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import pytest
import sqlalchemy as sa

from schema_parity.errors import ConfigError
from schema_parity.plugin.hooks import (
    REQUIRE_PG_ENV,
    cache_dir,
    ini_value,
    marker_revision,
    marker_transaction,
)
from schema_parity.plugin.pg import PG_PREFIX, PgTemplates, async_driver, sync_url
from schema_parity.plugin.settings import settings
from schema_parity.plugin.xdist import report, run_owner
from schema_parity.sources.alembic import AlembicProject, current_revision, upgrade_engine
from schema_parity.sources.postgres import POSTGRES_URL_ENV, Postgres
from schema_parity.sources.server import SecretURL
from schema_parity.template import TemplateCache, fresh_copy

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

    from schema_parity.catalog import Catalog
    from schema_parity.config import SchemaOptions

__all__ = [
    "PG_PREFIX",
    "Migrator",
    "PgTemplates",
    "schema_parity_alembic_config",
    "schema_parity_cache",
    "schema_parity_catalog",
    "schema_parity_catalogs",
    "schema_parity_connection",
    "schema_parity_db_path",
    "schema_parity_db_url",
    "schema_parity_engine",
    "schema_parity_migrator",
    "schema_parity_pg_async_driver",
    "schema_parity_pg_async_engine",
    "schema_parity_pg_async_url",
    "schema_parity_pg_connection",
    "schema_parity_pg_engine",
    "schema_parity_pg_server_url",
    "schema_parity_pg_templates",
    "schema_parity_pg_url",
    "schema_parity_revision",
    "schema_parity_template",
    "schema_parity_use_env_py",
]

# -- the project and the cache -------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def schema_parity_alembic_config(pytestconfig: pytest.Config) -> AlembicProject:
    """The Alembic project whose migrations build every database.

    From the configuration (``alembic-config``, ``script-location``, ``ini-section``, ``revision-timeout`` in
    ``[tool.schema-parity]``, or the ini options of the same names, relative to the rootdir), else the
    ``alembic.ini`` (or ``pyproject.toml`` with ``[tool.alembic]``) found from the rootdir. Override it to return
    ``AlembicProject.load(...)`` for anything else.
    """
    try:
        schema = settings(pytestconfig).schema
        return AlembicProject.load(
            schema.alembic_config,
            script_location=schema.script_location,
            ini_section=schema.ini_section,
            search_from=schema.search_from,
            revision_timeout=schema.revision_timeout,
            metadata=schema.metadata,
            bootstrap=schema.bootstrap,
            bootstrap_schemas=schema.bootstrap_schemas,
            metadata_imports=schema.metadata_imports,
        )
    except ConfigError as exc:
        pytest.fail(f"schema-parity: {exc} (or set alembic-config in [tool.schema-parity])", pytrace=False)


@pytest.fixture(scope="session")
def schema_parity_use_env_py(pytestconfig: pytest.Config) -> bool:
    """Whether migrations run through the project's env.py (``use-env-py``; default: not)."""
    try:
        return settings(pytestconfig).schema.use_env_py
    except ConfigError as exc:
        pytest.fail(f"schema-parity: {exc}", pytrace=False)


@pytest.fixture(scope="session")
def schema_parity_cache(pytestconfig: pytest.Config) -> TemplateCache:
    """The template cache (``$SCHEMA_PARITY_CACHE_DIR``, ini ``schema_parity_cache_dir``, ``.schema-parity/cache``)."""
    return TemplateCache(cache_dir(pytestconfig))


@pytest.fixture(scope="session")
def schema_parity_template(
    schema_parity_cache: TemplateCache, schema_parity_alembic_config: AlembicProject, schema_parity_use_env_py: bool
) -> Path:
    """The migrated SQLite file at head, built once per project content (across runs and xdist workers). Read-only."""
    return schema_parity_cache.get(schema_parity_alembic_config, "head", use_env_py=schema_parity_use_env_py)


@pytest.fixture
def schema_parity_revision(request: pytest.FixtureRequest) -> str:
    """The revision this test's database is at: ``@pytest.mark.schema_parity(revision=...)``, else ``head``."""
    return marker_revision(request.node) or "head"


def _template_at(request: pytest.FixtureRequest, revision: str) -> Path:
    """Head comes from the session fixture (so overriding it counts); other revisions from the cache."""
    if revision == "head":
        return request.getfixturevalue("schema_parity_template")
    cache: TemplateCache = request.getfixturevalue("schema_parity_cache")
    return cache.get(
        request.getfixturevalue("schema_parity_alembic_config"),
        revision,
        use_env_py=request.getfixturevalue("schema_parity_use_env_py"),
    )


# -- SQLite databases, one per test --------------------------------------------------------------------------------
def _tmp_path(request: pytest.FixtureRequest) -> Path:
    """``tmp_path``, requested only after the template exists: pytest's tmp_path teardown breaks when a Ctrl-C
    interrupts a setup that had already created it (a first build can be long enough to be interrupted)."""
    return request.getfixturevalue("tmp_path")


@pytest.fixture
def schema_parity_db_path(request: pytest.FixtureRequest, schema_parity_revision: str) -> Path:
    """A private migrated SQLite file for this test (a copy of the template), for code that opens sqlite3 itself."""
    template = _template_at(request, schema_parity_revision)
    return fresh_copy(template, _tmp_path(request) / "schema_parity.sqlite3")


@pytest.fixture
def schema_parity_db_url(schema_parity_db_path: Path) -> str:
    """SQLAlchemy URL of this test's private database."""
    return f"sqlite:///{schema_parity_db_path}"


@pytest.fixture
def schema_parity_engine(schema_parity_db_url: str) -> Iterator[sa.Engine]:
    """An Engine on this test's private database, disposed after the test."""
    engine = sa.create_engine(schema_parity_db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def schema_parity_connection(schema_parity_engine: sa.Engine) -> Iterator[sa.Connection]:
    """A Connection on this test's private database; uncommitted work is rolled back when it closes."""
    with schema_parity_engine.connect() as connection:
        yield connection


@pytest.fixture(scope="session")
def schema_parity_catalogs() -> dict[Path, Catalog]:
    """Catalogs already reflected in this session, by template file: each revision is reflected once."""
    return {}


@pytest.fixture
def schema_parity_catalog(
    request: pytest.FixtureRequest,
    schema_parity_revision: str,
    schema_parity_catalogs: dict[Path, Catalog],
    schema_parity_alembic_config: AlembicProject,
) -> Catalog:
    """The Catalog of the migrated schema at this test's revision (reflected from the template once per session).

    It describes what the migrations built, not DDL the test runs later; reflect ``schema_parity_connection``
    yourself for that.
    """
    template = _template_at(request, schema_parity_revision)
    if template not in schema_parity_catalogs:
        from schema_parity.sources.reflect import reflect

        project = schema_parity_alembic_config
        engine = sa.create_engine(f"sqlite:///file:{template}?mode=ro&uri=true")
        try:
            with engine.connect() as connection:
                schema_parity_catalogs[template] = reflect(
                    connection,
                    source=f"alembic:{project.config_path or project.script_location}@{schema_parity_revision}",
                    revision=current_revision(connection),
                )
        finally:
            engine.dispose()
    return schema_parity_catalogs[template]


# -- stepping through revisions -------------------------------------------------------------------------------------
class Migrator:
    """A private SQLite database that a test steps through revisions, to test data migrations."""

    def __init__(self, project: AlembicProject, path: Path, *, use_env_py: bool = False) -> None:
        self.project = project
        self.use_env_py = use_env_py
        self.path = path
        self.url = f"sqlite:///{path}"
        self.engine = sa.create_engine(self.url)

    def upgrade(self, revision: str = "head") -> list[str]:
        """Apply the revisions from where the database is up to ``revision``; return those applied."""
        return upgrade_engine(self.engine, self.project, revision, use_env_py=self.use_env_py)

    def current(self) -> str | None:
        """The revision the database is at (branch heads joined by commas), None before the first one."""
        with self.engine.connect() as connection:
            return current_revision(connection)

    def insert(self, table: str, rows: Sequence[Mapping[str, Any]]) -> None:
        """Insert rows into ``table`` as it exists at the current revision (seed data before an upgrade)."""
        with self.engine.begin() as connection:
            target = sa.Table(table, sa.MetaData(), autoload_with=connection)
            connection.execute(sa.insert(target), [dict(row) for row in rows])

    def close(self) -> None:
        self.engine.dispose()


@pytest.fixture
def schema_parity_migrator(
    request: pytest.FixtureRequest, schema_parity_alembic_config: AlembicProject, schema_parity_use_env_py: bool
) -> Iterator[Migrator]:
    """A :class:`Migrator` on a fresh database: empty (base), or at the marker's revision when the test has one."""
    revision = marker_revision(request.node)
    template = _template_at(request, revision) if revision is not None else None
    path = _tmp_path(request) / "schema_parity_migrator.sqlite3"
    if template is not None:
        fresh_copy(template, path)
    migrator = Migrator(schema_parity_alembic_config, path, use_env_py=schema_parity_use_env_py)
    yield migrator
    migrator.close()


# -- PostgreSQL ---------------------------------------------------------------------------------------------------
def _pg_unavailable(reason: str) -> NoReturn:
    """Skip, or fail when ``SCHEMA_PARITY_REQUIRE_PG=1`` (so CI cannot pass by skipping the PostgreSQL tier)."""
    if os.environ.get(REQUIRE_PG_ENV) == "1":
        pytest.fail(f"schema-parity: {REQUIRE_PG_ENV}=1 but {reason}", pytrace=False)
    pytest.skip(f"schema-parity: {reason}")


def _configured_pg_url(config: pytest.Config, schema: SchemaOptions) -> str | None:
    """``$SCHEMA_PARITY_POSTGRES_URL``, else ini ``schema_parity_postgres_url``, else ``postgres-url``."""
    return os.environ.get(POSTGRES_URL_ENV) or ini_value(config, "schema_parity_postgres_url") or schema.postgres_url


@pytest.fixture(scope="session")
def schema_parity_pg_server_url(pytestconfig: pytest.Config) -> Iterator[SecretURL]:
    """URL of a PostgreSQL server (its maintenance database) on which the plugin creates and drops databases.

    The server ``schema-parity check`` uses, found or provisioned the same way (``Postgres(...).server()``): the
    configured URL (``$SCHEMA_PARITY_POSTGRES_URL``, ini ``schema_parity_postgres_url``, ``postgres-url``), else
    the embedded server, local PostgreSQL binaries, a testcontainers container; released after the session. None
    of them: skip, or fail under ``SCHEMA_PARITY_REQUIRE_PG=1`` or ``postgres = "required"``. An async URL
    (``postgresql+asyncpg://``) is served through psycopg here; the async fixtures keep its driver.

    A :class:`~schema_parity.sources.server.SecretURL`: a ``str`` whose ``repr`` masks the password.
    """
    try:
        schema = settings(pytestconfig).schema
    except ConfigError as exc:
        pytest.fail(f"schema-parity: {exc}", pytrace=False)
    if schema.postgres == "offline":
        _pg_unavailable('postgres = "offline" in the configuration: no PostgreSQL server is used')
    configured = _configured_pg_url(pytestconfig, schema)
    postgres = Postgres(
        url=sync_url(configured) if configured else None,
        linger=schema.postgres_keep_warm,
        version=schema.postgres_version,
    )
    try:
        server = postgres.server()
    except ConfigError as exc:  # the driver is not installed: the message says which extra to install
        _pg_unavailable(str(exc))
    try:
        if server is None:
            reason = f"no PostgreSQL server ({'; '.join(postgres.reasons)})"
            if schema.postgres == "required":
                pytest.fail(f'schema-parity: postgres = "required" but {reason}', pytrace=False)
            _pg_unavailable(reason)
        yield SecretURL(server.url)
    finally:
        postgres.close()


@pytest.fixture(scope="session")
def schema_parity_pg_async_driver(pytestconfig: pytest.Config) -> str:
    """The SQLAlchemy driver of the async fixtures: ``postgresql+asyncpg`` when the configured URL uses asyncpg,
    else ``postgresql+psycopg`` (psycopg 3's async mode). Override it to choose."""
    try:
        configured = _configured_pg_url(pytestconfig, settings(pytestconfig).schema)
    except ConfigError as exc:
        pytest.fail(f"schema-parity: {exc}", pytrace=False)
    return async_driver(configured or "postgresql+psycopg://")


@pytest.fixture(scope="session")
def schema_parity_pg_templates(
    pytestconfig: pytest.Config,
    schema_parity_pg_server_url: str,
    schema_parity_alembic_config: AlembicProject,
    schema_parity_use_env_py: bool,
) -> Iterator[PgTemplates]:
    """The run's PostgreSQL templates (one per revision used, shared by xdist workers), the clone pool and the
    rollback databases; everything this process made is dropped at the end of the session."""
    templates = PgTemplates(
        schema_parity_pg_server_url,
        schema_parity_alembic_config,
        use_env_py=schema_parity_use_env_py,
        setup_sql=settings(pytestconfig).schema.setup_sql,
        owner=run_owner(pytestconfig),
        lock_dir=cache_dir(pytestconfig),
        prefix=PG_PREFIX,
    )
    try:
        yield templates
    finally:
        report(pytestconfig, schema_parity_pg_server_url, templates.shared)
        templates.close()


@pytest.fixture
def schema_parity_pg_url(schema_parity_pg_templates: PgTemplates, schema_parity_revision: str) -> Iterator[SecretURL]:
    """Clone mode: URL of a database of this test's own, a copy of the template at its revision; the test may
    commit and connect as it likes. Made ahead and dropped after the test on the pool's thread.

    A ``str`` whose ``repr`` masks the password, so failure reports never show it.
    """
    name = schema_parity_pg_templates.clone(schema_parity_revision)
    try:
        yield schema_parity_pg_templates.url(name)
    finally:
        schema_parity_pg_templates.drop(name)


@pytest.fixture
def schema_parity_pg_connection(
    request: pytest.FixtureRequest, schema_parity_pg_templates: PgTemplates, schema_parity_revision: str
) -> Iterator[sa.Connection]:
    """Rollback mode (the default): a Connection inside a transaction on the session's migrated database, rolled
    back at the end of the test; committing raises. With ``@pytest.mark.schema_parity(transaction=True)``: a
    Connection on a database of the test's own (``schema_parity_pg_url``), which it may commit to."""
    if marker_transaction(request.node):
        engine = sa.create_engine(request.getfixturevalue("schema_parity_pg_url"), poolclass=sa.pool.NullPool)
        try:
            with engine.connect() as connection:
                yield connection
        finally:
            engine.dispose()
        return
    database = schema_parity_pg_templates.rollback_database(schema_parity_revision)
    yield from database.connection(request.node.nodeid)


@pytest.fixture
def schema_parity_pg_engine(schema_parity_pg_url: str) -> Iterator[sa.Engine]:
    """An Engine on this test's own database (clone mode), disposed after the test."""
    engine = sa.create_engine(schema_parity_pg_url)
    yield engine
    engine.dispose()


@pytest.fixture
def schema_parity_pg_async_url(schema_parity_pg_url: str, schema_parity_pg_async_driver: str) -> SecretURL:
    """The URL of this test's own database (clone mode) with the async driver, for ``create_async_engine``."""
    url = sa.make_url(schema_parity_pg_url).set(drivername=schema_parity_pg_async_driver)
    return SecretURL(url.render_as_string(hide_password=False))


@pytest.fixture
def schema_parity_pg_async_engine(schema_parity_pg_async_url: str) -> Iterator[AsyncEngine]:
    """An ``AsyncEngine`` on this test's own database (clone mode).

    It keeps no connection between uses (``NullPool``): an async connection belongs to the event loop that opened
    it, and the test's loop (pytest-asyncio, anyio, ``asyncio.run``) is not the fixture's, so the engine works under
    any of them and needs no loop to be disposed.
    """
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(schema_parity_pg_async_url, poolclass=sa.pool.NullPool)
    yield engine
    engine.sync_engine.dispose()
