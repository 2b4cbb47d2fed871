"""Schema sources behind one façade: a Catalog for a dialect at a revision, from whichever source is configured.

The sources are the project's Alembic migrations (run on SQLite, offline as PostgreSQL DDL, or on a PostgreSQL
server), DDL files replayed (``ddl``) and a live database reflected read-only (``reflect``). :class:`Schema`
chooses among them from :class:`SchemaOptions`, builds each Catalog once, and caches migrated Catalogs across
runs by the content of the migrations. Everything downstream (the check, the reports, the pytest items) reads
Catalogs only. Each source module is imported when first needed: a check without migrations never loads Alembic.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from schema_parity.catalog import Catalog, Dialect
from schema_parity.errors import ConfigError
from schema_parity.limits import DEFAULT_REVISION_TIMEOUT
from schema_parity.sources.catalog_cache import cached_catalog

if TYPE_CHECKING:
    from schema_parity.sources.alembic import AlembicProject

__all__ = ["Schema", "SchemaOptions"]


@dataclass(frozen=True)
class SchemaOptions:
    """Where the schema comes from: exactly one of database_url, schema_sql, or the Alembic project."""

    alembic_config: Path | None = None
    script_location: Path | None = None
    ini_section: str = "alembic"
    revision: str = "head"
    use_env_py: bool = False
    schema_sql: tuple[Path, ...] = ()
    database_url: str | None = None
    search_from: Path | None = None
    postgres_url: str | None = None
    """A PostgreSQL server on which the migrations run (in a scratch database) for PostgreSQL's rules."""
    revision_timeout: float | None = DEFAULT_REVISION_TIMEOUT
    """Seconds each revision may run (None: no limit)."""

    def __post_init__(self) -> None:
        chosen = [bool(self.database_url), bool(self.schema_sql), bool(self.alembic_config or self.script_location)]
        if sum(chosen) > 1:
            raise ConfigError(
                "choose one schema source: --alembic-config/--script-location, --schema-sql or --database-url"
            )
        if self.postgres_url and (self.database_url or self.schema_sql):
            raise ConfigError(
                "--postgres-url runs the Alembic migrations: it cannot be combined with --database-url or --schema-sql"
            )

    @property
    def is_alembic(self) -> bool:
        return not self.database_url and not self.schema_sql


class Schema:
    """One Catalog per dialect at the configured revision, and (for Alembic projects) at any revision, built on
    first use. ``notes`` collects what the sources could not model, for the report."""

    def __init__(self, options: SchemaOptions, dialects: Sequence[Dialect], cache_dir: Path | None = None) -> None:
        self.options = options
        self.cache_dir = cache_dir
        self.dialects = tuple(dialects)
        self.notes: list[str] = []
        self._built: dict[tuple[str, Dialect], Catalog] = {}
        self._project: AlembicProject | None = None
        self._reflected: Catalog | None = None

    @property
    def is_alembic(self) -> bool:
        return self.options.is_alembic

    def check_configuration(self) -> None:
        """Fail now on a schema source that cannot work (a missing DDL file), even when nothing needs the schema."""
        if self.options.schema_sql:
            from schema_parity.sources.ddl import schema_files

            schema_files(self.options.schema_sql)

    def schema_paths(self) -> list[Path]:
        """Files and directories the schema is built from (a change there can break any site)."""
        options = self.options
        if options.database_url:
            return []
        if options.schema_sql:
            return [p.resolve() for p in options.schema_sql]
        project = self.project()
        paths = (project.script_location, *project.version_dirs, project.config_path)
        return [p.resolve() for p in dict.fromkeys(paths) if p is not None]

    def project(self) -> AlembicProject:
        if self._project is None:
            from schema_parity.sources.alembic import AlembicProject

            options = self.options
            self._project = AlembicProject.load(
                options.alembic_config,
                script_location=options.script_location,
                ini_section=options.ini_section,
                search_from=options.search_from,
                revision_timeout=options.revision_timeout,
            )
        return self._project

    def head(self, dialect: Dialect) -> Catalog:
        """The Catalog at the configured revision (``head`` unless the options say otherwise)."""
        return self.at(self.options.revision, dialect)

    def at(self, revision: str, dialect: Dialect) -> Catalog:
        key = (revision, dialect)
        if key not in self._built:
            catalog = self._build(revision, dialect)
            if self.is_alembic:
                self.notes.extend(f"{dialect}: {n}" for n in catalog.notes)
            self._built[key] = catalog
        return self._built[key]

    def sources(self) -> tuple[str, ...]:
        """Where the Catalogs built so far came from (``alembic:...@rev``, ``ddl:...``), for the report."""
        return tuple(sorted({c.source for c in self._built.values() if c.source}))

    def prepare(self, revisions: Sequence[str]) -> None:
        """With a PostgreSQL server, migrate once through every revision PostgreSQL's rules will need, in history
        order (the other sources build each Catalog on demand)."""
        options = self.options
        if not (options.postgres_url and self.is_alembic and "postgresql" in self.dialects):
            return
        from schema_parity.sources.server import catalogs_on_server

        needed = dict.fromkeys([*revisions, options.revision])
        wanted = [r for r in needed if (r, "postgresql") not in self._built]
        if wanted:
            built = catalogs_on_server(options.postgres_url, self.project(), wanted, use_env_py=options.use_env_py)
            for revision, catalog in built.items():
                self._built[(revision, "postgresql")] = catalog

    def _build(self, revision: str, dialect: Dialect) -> Catalog:
        options = self.options
        if options.database_url:
            if self._reflected is None:
                from schema_parity.sources.reflect import reflect_url

                self._reflected = reflect_url(options.database_url)
                self.notes.extend(self._reflected.notes)
            return self._reflected
        if options.schema_sql:
            from schema_parity.sources.ddl import catalog_from_files

            catalog = catalog_from_files(list(options.schema_sql), dialect)
            self.notes.extend(f"{dialect}: {n}" for n in catalog.notes)
            return catalog
        if options.postgres_url and dialect == "postgresql":
            self.prepare([revision])
            return self._built[(revision, "postgresql")]
        return self._migrated(revision, dialect)

    def _migrated(self, revision: str, dialect: Dialect) -> Catalog:
        from schema_parity.sources.alembic import catalog_at

        project = self.project()
        # An env.py may read the environment: only the built-in environment's result is a function of the files.
        cache = None if self.options.use_env_py else self.cache_dir
        key = (project.fingerprint(), str(project.config_path or project.script_location), revision, dialect)
        if dialect == "sqlite":
            return cached_catalog(
                cache, key, lambda: catalog_at(project, revision, use_env_py=self.options.use_env_py)
            )
        return cached_catalog(cache, key, lambda: self._offline_postgresql(revision))

    def _offline_postgresql(self, revision: str) -> Catalog:
        from schema_parity.sources.alembic import offline_sql
        from schema_parity.sources.ddl import catalog_from_ddl

        project = self.project()
        sql, offline_notes = offline_sql(project, revision, dialect="postgresql")
        if offline_notes:
            # A partial offline schema would make every later table look missing: judge PostgreSQL's rules on the
            # schema the same migrations really built (on SQLite) instead, and say so.
            fallback = "PostgreSQL's rules are applied to the schema the migrations built on SQLite instead"
            return self.at(revision, "sqlite").with_notes(*(f"{n} {fallback}." for n in offline_notes))
        label = f"alembic-offline:{project.config_path or project.script_location}@{revision}"
        return catalog_from_ddl(sql, "postgresql", source=label)
