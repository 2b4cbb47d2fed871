"""Database fixtures built by the project's real Alembic migrations.

One small fixture per decision, layered like pytest-django's: override any of them in a ``conftest.py`` (same name)
and everything built on it follows. The chain for SQLite is::

    schema_parity_alembic_config, schema_parity_use_env_py, schema_parity_cache
        -> schema_parity_template (session, head)      schema_parity_revision (function, from the marker)
            -> schema_parity_db_path -> schema_parity_db_url -> schema_parity_engine -> schema_parity_connection

and for PostgreSQL ``schema_parity_pg_server_url -> schema_parity_pg_templates -> schema_parity_pg_url``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import pytest
import sqlalchemy as sa

from schema_parity.errors import ConfigError, describe
from schema_parity.plugin.hooks import (
    POSTGRES_URL_ENV,
    REQUIRE_PG_ENV,
    cache_dir,
    ini_value,
    marker_revision,
)
from schema_parity.plugin.settings import settings
from schema_parity.sources.alembic import AlembicProject, current_revision, upgrade_engine
from schema_parity.sources.reflect import create_engine_or_explain
from schema_parity.sources.server import ScratchDatabases, SecretURL
from schema_parity.template import TemplateCache, fresh_copy

if TYPE_CHECKING:
    from schema_parity.catalog import Catalog

__all__ = [
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
    "schema_parity_pg_server_url",
    "schema_parity_pg_templates",
    "schema_parity_pg_url",
    "schema_parity_revision",
    "schema_parity_template",
    "schema_parity_use_env_py",
]

#: Image for the testcontainers fallback; override ``schema_parity_pg_server_url`` to use another.
POSTGRES_IMAGE = "postgres:16-alpine"

#: Names of the PostgreSQL databases the fixtures create start with this (the check's too: ``schema_parity_check_``),
#: and a session removes the stale marked ones under it that killed sessions left.
PG_PREFIX = "schema_parity_"


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


def _server_reason(url: str) -> str | None:
    """Why the server at ``url`` cannot be used, or None when it answers."""
    try:
        engine = create_engine_or_explain(url)
    except ConfigError as exc:  # the driver is not installed: the message says which extra to install
        return str(exc)
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except Exception as exc:  # any failure to connect means "no server here"
        shown = sa.make_url(url).render_as_string(hide_password=True)
        return f"PostgreSQL at {shown} is not answering: {describe(exc)}"
    finally:
        engine.dispose()
    return None


def _start_container() -> tuple[Any, str | None]:
    """A started testcontainers ``PostgresContainer``, or None and why not (no package, no Docker engine)."""
    nothing = f"no PostgreSQL server configured (ini schema_parity_postgres_url or ${POSTGRES_URL_ENV})"
    try:
        from testcontainers.community.postgres import PostgresContainer
    except ImportError:
        try:  # testcontainers before the "community" split
            from testcontainers.postgres import PostgresContainer
        except ImportError:
            return None, f"{nothing} and testcontainers is not installed (pip install 'schema-parity[postgres]')"
    docker_host = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
    # Checked here because docker-py leaks a socket (a ResourceWarning) when it finds no engine.
    if docker_host.startswith("unix://") and not Path(docker_host.removeprefix("unix://")).exists():
        return None, f"{nothing} and no Docker engine for testcontainers (no socket at {docker_host})"
    container = PostgresContainer(POSTGRES_IMAGE, driver="psycopg")
    try:
        container.start()
    except Exception as exc:  # daemon down, image pull refused, ...: all mean "no container tier"
        return None, f"{nothing} and testcontainers could not start {POSTGRES_IMAGE}: {type(exc).__name__}: {exc}"
    return container, None


@pytest.fixture(scope="session")
def schema_parity_pg_server_url(pytestconfig: pytest.Config) -> Iterator[SecretURL]:
    """URL of a PostgreSQL server (its maintenance database) on which the plugin creates and drops databases.

    A :class:`~schema_parity.sources.server.SecretURL`: a ``str`` whose ``repr`` (what pytest reports show) masks
    the password.

    ``$SCHEMA_PARITY_POSTGRES_URL``, else ini ``schema_parity_postgres_url``, else a testcontainers PostgreSQL
    (when the package and a Docker engine exist, stopped after the session), else skip
    (fail under ``SCHEMA_PARITY_REQUIRE_PG=1``). The plugin only runs CREATE/DROP DATABASE there.
    """
    configured = os.environ.get(POSTGRES_URL_ENV) or ini_value(pytestconfig, "schema_parity_postgres_url")
    if configured:
        url = SecretURL(configured)
        reason = _server_reason(url)
        if reason is not None:
            _pg_unavailable(reason)
        yield url
        return
    container, reason = _start_container()
    if container is None:
        _pg_unavailable(reason or "no PostgreSQL server")
    try:
        yield SecretURL(container.get_connection_url())
    finally:
        container.stop()


class PgTemplates:
    """Template databases migrated once per session and revision, cloned per test with ``CREATE DATABASE ... TEMPLATE``.

    Every database lives in a :class:`ScratchDatabases` (named ``schema_parity_*``), which drops only its own.
    """

    def __init__(self, server_url: str, project: AlembicProject, *, use_env_py: bool = False) -> None:
        self.scratch = ScratchDatabases(server_url, PG_PREFIX)
        self.project = project
        self.use_env_py = use_env_py
        self._templates: dict[str, str] = {}

    def url(self, database: str) -> SecretURL:
        return self.scratch.url(database)

    def template(self, revision: str = "head") -> str:
        """The name of the template database at ``revision``, migrated on first use."""
        if revision not in self._templates:
            name = self.scratch.create(label="tmpl_")
            engine = sa.create_engine(self.url(name))
            try:
                upgrade_engine(engine, self.project, revision, use_env_py=self.use_env_py)
            except BaseException:
                engine.dispose()
                self.scratch.drop(name)
                raise
            engine.dispose()  # CREATE DATABASE ... TEMPLATE needs the template free of connections
            self._templates[revision] = name
        return self._templates[revision]

    def clone(self, revision: str = "head") -> str:
        """A new database copied from the template at ``revision``; return its name."""
        return self.scratch.create(label="test_", template=self.template(revision))

    def drop(self, name: str) -> None:
        """Drop a database this object created (refuses any other name)."""
        self.scratch.drop(name)

    def close(self) -> None:
        """Drop every database still alive (the templates), then release the admin connection."""
        self._templates.clear()
        self.scratch.close()


@pytest.fixture(scope="session")
def schema_parity_pg_templates(
    schema_parity_pg_server_url: str, schema_parity_alembic_config: AlembicProject, schema_parity_use_env_py: bool
) -> Iterator[PgTemplates]:
    """The session's PostgreSQL template databases (one per revision used), dropped at the end of the session."""
    templates = PgTemplates(
        schema_parity_pg_server_url, schema_parity_alembic_config, use_env_py=schema_parity_use_env_py
    )
    yield templates
    templates.close()


@pytest.fixture
def schema_parity_pg_url(schema_parity_pg_templates: PgTemplates, schema_parity_revision: str) -> Iterator[SecretURL]:
    """URL of a fresh PostgreSQL database migrated to this test's revision, dropped after the test.

    A ``str`` whose ``repr`` masks the password, so failure reports never show it.
    """
    name = schema_parity_pg_templates.clone(schema_parity_revision)
    try:
        yield schema_parity_pg_templates.url(name)
    finally:
        schema_parity_pg_templates.drop(name)
