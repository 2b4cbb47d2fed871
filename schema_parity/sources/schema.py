"""The façade itself: :class:`Schema`, :class:`SchemaOptions` and :class:`Unavailable` (see the package's
docstring), apart from the package so that importing a source (``sources.alembic``, ``sources.reflect``) does not
build them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from schema_parity.catalog import Catalog, Dialect
from schema_parity.errors import ConfigError, MigrationError
from schema_parity.limits import DEFAULT_REVISION_TIMEOUT
from schema_parity.progress import Progress, say
from schema_parity.sources.catalog_cache import store_catalog, stored_catalog

if TYPE_CHECKING:
    from schema_parity.sources.alembic import AlembicProject
    from schema_parity.sources.postgres import Postgres, PostgresMode

__all__ = ["Schema", "SchemaOptions", "Unavailable"]

_T = TypeVar("_T")


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
    postgres: PostgresMode = "auto"
    """Whether PostgreSQL's schema comes from a real server: when one can be had (auto), always, or never."""
    postgres_version: int | None = None
    """Production's PostgreSQL major version (a provisioned server of another version is reported)."""
    postgres_keep_warm: float = 0.0
    """Seconds a provisioned cluster stays up after the run, for the next one."""
    setup_sql: tuple[str, ...] = ()
    """SQL run in each scratch PostgreSQL database before the migrations (extensions, roles, schemas)."""
    metadata: str | None = None
    """``module:attribute`` of the project's MetaData, whose naming convention Alembic applies to ``op.*``."""
    bootstrap: str | None = None
    """The revision a fresh database built from the MetaData (``create_all``) is stamped at, for histories that
    start from ``create_all()``; only the later revisions run."""
    bootstrap_schemas: tuple[str, ...] = ()
    """The schemas whose tables the bootstrap creates (``""``: tables without one), as an install that calls
    ``create_all(tables=...)`` does; empty: every table of the MetaData."""
    metadata_imports: tuple[str, ...] = ()
    """Modules imported (or ``module:function`` called) before the project's MetaData or models are read, for a
    project that registers its models by importing them all (indico's ``import_all_models``)."""
    models: str | None = None
    """``module:attribute`` of SQLAlchemy models whose ``create_all()`` is the schema (instead of a history)."""

    def __post_init__(self) -> None:
        chosen = [
            bool(self.database_url),
            bool(self.schema_sql),
            bool(self.models),
            bool(self.alembic_config or self.script_location),
        ]
        if sum(chosen) > 1:
            raise ConfigError(
                "choose one schema source: --alembic-config/--script-location, --schema-sql, --models or "
                "--database-url"
            )
        if self.postgres_url and (self.database_url or self.schema_sql):
            raise ConfigError(
                "--postgres-url runs the migrations (or the models): it cannot be combined with --database-url or "
                "--schema-sql"
            )

    @property
    def is_alembic(self) -> bool:
        return not self.database_url and not self.schema_sql and not self.models


@dataclass(frozen=True)
class Unavailable:
    """A dialect's schema that cannot be had (PostgreSQL's, when no server runs the migrations and they cannot run
    offline): every site is unresolved for that dialect, with this reason, never judged against another engine's
    schema."""

    reason: str


class Schema:
    """One Catalog per dialect at the configured revision, and (for Alembic projects) at any revision, built on
    first use. ``notes`` collects what the sources could not model, and ``engines`` what each dialect's schema came
    from, for the report. :meth:`close` releases a PostgreSQL server provisioned for the run."""

    def __init__(
        self,
        options: SchemaOptions,
        dialects: Sequence[Dialect],
        cache_dir: Path | None = None,
        *,
        postgres: Postgres | None = None,
        label: str | None = None,
        progress: Progress | None = None,
    ) -> None:
        """``postgres``: a server another Schema of the run already has (the deploy check's two trees share one);
        this Schema then leaves it open on :meth:`close`. ``label``: the history's name in the cache keys instead
        of its config path (a copy in a temporary directory keeps the name of the history it copies).
        ``progress``: told about the long steps (starting PostgreSQL, each revision migrated; see progress.py)."""
        self.options = options
        self.progress = progress
        self._label_override = label
        self.cache_dir = cache_dir
        self.dialects = tuple(dialects)
        self.notes: list[str] = []
        self.engines: dict[Dialect, str] = {}
        self.failures: dict[Dialect, MigrationError] = {}
        """Dialects whose engine could not run the migrations (their sites are unresolved)."""
        self._built: dict[tuple[str, Dialect], Catalog | Unavailable] = {}
        self._project: AlembicProject | None = None
        self._reflected: Catalog | None = None
        self._identity: str | None = None
        """The PostgreSQL server kind and major version PostgreSQL's Catalogs were keyed on (see Postgres.identity)."""
        self._owns_postgres = postgres is None
        # Imported here: a process that only migrates (a test session's fresh databases) never needs it.
        from schema_parity.sources.postgres import Postgres

        self.postgres = postgres or Postgres(
            url=options.postgres_url,
            mode=options.postgres,
            linger=options.postgres_keep_warm,
            version=options.postgres_version,
        )

    def close(self) -> None:
        if self._owns_postgres:
            self.postgres.close()

    def __enter__(self) -> Schema:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def is_alembic(self) -> bool:
        return self.options.is_alembic

    def check_configuration(self) -> None:
        """Fail now on a schema source that cannot work (a missing DDL file or Alembic configuration, a versions
        directory that does not exist), even when no site needs the schema: nothing is migrated here."""
        if self.options.schema_sql:
            from schema_parity.sources.ddl import schema_files

            schema_files(self.options.schema_sql)
        elif self.is_alembic:
            self.project().version_dirs  # noqa: B018 - validates the directories

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

    def replay_inputs(self) -> list[Path] | None:
        """The files and directories whose state decides every Catalog this Schema built, for a whole-run result
        replayed while none of them changed (``schema_parity.results``); None when the Catalogs depend on more than
        files: a database, models (any module they import), the project's env.py, a revision that failed (a
        timeout depends on the machine's load), or a PostgreSQL server other than the embedded one's version that
        the installed packages fix (a URL's server, local binaries, a container)."""
        options = self.options
        if options.database_url or options.models or options.use_env_py or self.failures:
            return None
        if options.schema_sql:
            from schema_parity.sources.ddl import schema_files

            given = list(options.schema_sql)
            return [p.resolve() for p in (*given, *schema_files(given))]
        if any(dialect == "postgresql" for _, dialect in self._built) and not (
            options.postgres == "offline" or (self._identity or "").startswith("embedded:")
        ):
            return None
        if any(isinstance(built, Unavailable) for built in self._built.values()):
            return None
        return [p.resolve() for p in self.project().input_paths()]

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
                metadata=options.metadata,
                bootstrap=options.bootstrap,
                bootstrap_schemas=options.bootstrap_schemas,
                metadata_imports=options.metadata_imports,
            )
        return self._project

    def head(self, dialect: Dialect) -> Catalog | Unavailable:
        """The Catalog at the configured revision (``head`` unless the options say otherwise). A configured
        revision the history does not have is an error, not an unavailable schema: the user asked for it."""
        if self.is_alembic:
            self.project().resolve(self.options.revision)
        return self.at(self.options.revision, dialect)

    def at(self, revision: str, dialect: Dialect) -> Catalog | Unavailable:
        key = (revision, dialect)
        if key not in self._built:
            if self.is_alembic:
                self.prepare([revision], (dialect,))
            else:
                self._keep(revision, dialect, self._build(dialect))
        return self._built[key]

    def describe(self) -> str:
        """The history, for a report that names it: its config file (and ini section) or script location."""
        options = self.options
        where = str(options.alembic_config or options.script_location or "")
        return f"{where} [{options.ini_section}]" if options.ini_section != "alembic" else where

    def judged_against(self, root: Path) -> str:
        """What the schema is, for the report's header: the history and the revision it was judged at (with the id
        ``head`` stands for), the DDL files, the models, or the database (its URL's password masked). Paths are
        relative to ``root`` when under it. Reads no more than the check did (the history's revision graph)."""
        options = self.options

        def shown(path: Path) -> str:
            try:
                return path.resolve().relative_to(root.resolve()).as_posix()
            except ValueError:
                return str(path)

        if options.database_url:
            from schema_parity.sources.server import SecretURL

            return f"the database {SecretURL(options.database_url).masked} (reflected)"
        if options.schema_sql:
            return f"the DDL files {', '.join(shown(p) for p in options.schema_sql)}"
        if options.models:
            return f"the models {options.models}"
        project = self.project()
        where = shown(project.config_path or project.script_location)
        if options.ini_section != "alembic":
            where += f" [{options.ini_section}]"
        revision = options.revision
        if revision in ("head", "heads"):
            revision += f" ({', '.join(project.heads()) or 'an empty history'})"
        elif project.knows(revision) and revision != "base":
            resolved = project.resolve(revision)
            revision += f" ({resolved})" if resolved != revision else ""
        bootstrap = f", built from the models at {options.bootstrap}" if options.bootstrap else ""
        return f"the Alembic history {where} at {revision}{bootstrap}"

    @property
    def used(self) -> bool:
        """Whether the check asked this schema for a Catalog: one no site needed is not named (naming a history's
        head would import its revision scripts, which a check with nothing to judge never does)."""
        return bool(self._built)

    def sources(self) -> tuple[str, ...]:
        """Where the Catalogs built so far came from (``alembic:...@rev``, ``ddl:...``), for the report."""
        return tuple(sorted({c.source for c in self._built.values() if isinstance(c, Catalog) and c.source}))

    def prepare(self, revisions: Sequence[str], dialects: Sequence[Dialect] | None = None) -> None:
        """The migrated Catalogs at every revision the sites need, built together for each dialect: from the cache
        when they are there (no server is started), else by one pass through the history (other sources build
        their one Catalog on demand)."""
        if not self.is_alembic:
            return
        for dialect in dialects or self.dialects:
            wanted = [r for r in dict.fromkeys(revisions) if (r, dialect) not in self._built]
            for revision in [r for r in wanted if not self.project().knows(r)]:
                self._built[(revision, dialect)] = Unavailable(
                    f"revision {revision} is not in the history {self.describe()}: if the project keeps several "
                    "histories, declare the others in [[tool.schema-parity.histories]]"
                )
                wanted.remove(revision)
            for revision in [r for r in wanted if self.project().before_bootstrap(r)]:
                self._built[(revision, dialect)] = Unavailable(
                    f"revision {revision} comes before the bootstrap revision {self.options.bootstrap}: the schema is "
                    "built from the models there, and the history before it does not run"
                )
                wanted.remove(revision)
            if not wanted:
                continue
            try:
                if dialect == "postgresql":
                    self._prepare_postgresql(wanted)
                else:
                    self._prepare_sqlite(wanted)
            except MigrationError as exc:
                if exc.revision is None:  # the history itself is broken (an import, a graph): no engine can run it
                    raise
                # A revision this engine cannot run (PostgreSQL-only DDL on SQLite, and the reverse): this dialect's
                # sites are unresolved with the revision named, and the other dialect goes on.
                self.failures[dialect] = exc
                unavailable = Unavailable(f"the migrations cannot run on {dialect}: {exc}")
                for revision in wanted:
                    self._built.setdefault((revision, dialect), unavailable)

    def _prepare_sqlite(self, wanted: list[str]) -> None:
        import sqlite3

        from schema_parity.sources.alembic import catalogs_at

        self.engines["sqlite"] = f"migrations run on SQLite {sqlite3.sqlite_version}"
        cache = self._cache()
        keys = {revision: self._key(revision, "sqlite", "sqlite") for revision in wanted}
        missing = []
        for revision in wanted:
            stored = stored_catalog(cache, keys[revision])
            if stored is None:
                missing.append(revision)
            else:
                self._keep(revision, "sqlite", stored)
        if missing:
            try:
                built = catalogs_at(
                    self.project(), missing, use_env_py=self.options.use_env_py, on_revision=self._migrating("SQLite")
                )
            finally:
                say(self.progress, None)
            for revision, catalog in built.items():
                store_catalog(cache, keys[revision], catalog)
                self._keep(revision, "sqlite", catalog)

    def _prepare_postgresql(self, wanted: list[str]) -> None:
        identity = self._identity = self._finding_server(self.postgres.identity)
        keys = {revision: self._key(revision, "postgresql", identity or "offline") for revision in wanted}
        cache = self._cache()
        missing = []
        for revision in wanted:
            stored = stored_catalog(cache, keys[revision])
            if stored is not None:
                self._keep(revision, "postgresql", stored)
            else:
                missing.append(revision)
        if identity:
            self._note_version(int(identity.partition(":")[2]))
        if not missing:
            engine = f"PostgreSQL {identity.partition(':')[2]} ({identity.partition(':')[0]})" if identity else ""
            self.engines.setdefault(
                "postgresql", f"migrations run on {engine}, from the catalog cache" if engine else
                "Alembic's offline DDL, replayed, from the catalog cache"
            )
            return
        server = self._finding_server(self.postgres.server) if identity is not None else None
        if server is None:
            self.engines["postgresql"] = "Alembic's offline DDL, replayed (no PostgreSQL server: " + (
                "; ".join(self.postgres.reasons) or "postgres = offline") + ")"
            say(self.progress, "PostgreSQL: running the migrations offline (Alembic's --sql mode)")
            try:
                offline = self._offline_postgresql(missing)
            finally:
                say(self.progress, None)
            for revision, built in offline.items():
                if isinstance(built, Catalog):
                    store_catalog(cache, keys[revision], built)
                self._keep(revision, "postgresql", built)
            return
        from schema_parity.sources.server import catalogs_on_server

        self.engines["postgresql"] = f"migrations run on {server.describe()}"
        try:
            built_on_server = catalogs_on_server(
                server.url,
                self.project(),
                missing,
                use_env_py=self.options.use_env_py,
                setup_sql=self.options.setup_sql,
                source=f"alembic:{self._label()}@{{revision}} on {server.describe()}",
                on_revision=self._migrating(f"PostgreSQL {server.version}"),
            )
        finally:
            say(self.progress, None)
        for revision, catalog in built_on_server.items():
            store_catalog(cache, self._key(revision, "postgresql", f"{server.kind}:{server.major}"), catalog)
            self._keep(revision, "postgresql", catalog)

    def _finding_server(self, ask: Callable[[], _T]) -> _T:
        """``ask()`` (the server, or what a cached result depends on) with progress shown: it may start one."""
        say(self.progress, "PostgreSQL: finding or starting a server")
        try:
            return ask()
        finally:
            say(self.progress, None)

    def _migrating(self, engine: str) -> Callable[[str], None] | None:
        """The runner's ``on_revision`` for progress: ``migrating alembic.ini on SQLite: revision 12 of 340``."""
        progress = self.progress
        if progress is None:
            return None
        project = self.project()
        order = {script.revision: number for number, script in enumerate(project.revisions(), start=1)}
        where = (project.config_path or project.script_location).name
        if self.options.ini_section != "alembic":
            where += f" [{self.options.ini_section}]"
        progress(f"migrating {where} on {engine}")

        def applied(revision: str) -> None:
            progress(f"migrating {where} on {engine}: revision {order.get(revision, '?')} of {len(order)} ({revision})")

        return applied

    def _note_version(self, major: int) -> None:
        """Say so in the report when the server's major version is not production's (``postgres-version``)."""
        wanted = self.options.postgres_version
        if wanted is not None and major != wanted:
            note = (
                f"postgresql: production runs PostgreSQL {wanted} (postgres-version), the migrations ran on PostgreSQL "
                f"{major}: keys PostgreSQL {wanted} cannot create are reported as unresolved, but a migration that "
                f"only PostgreSQL {wanted} rejects for another reason is not seen; give a PostgreSQL {wanted} server "
                "with --postgres-url for an exact answer"
            )
            if note not in self.notes:
                self.notes.append(note)

    def _keep(self, revision: str, dialect: Dialect, built: Catalog | Unavailable) -> None:
        if self.is_alembic and isinstance(built, Catalog):
            self.notes.extend(f"{dialect}: {n}" for n in built.notes)
        self._built[(revision, dialect)] = built

    def _cache(self) -> Path | None:
        # An env.py may read the environment: only the built-in environment's result is a function of the files
        # (with a bootstrap, the models' files are part of the project's fingerprint).
        return None if self.options.use_env_py else self.cache_dir

    @property
    def label(self) -> str:
        """The history's name in the cache keys: its config file or script location (or the label given)."""
        return self._label()

    def _label(self) -> str:
        if self._label_override is not None:
            return self._label_override
        project = self.project()
        return str(project.config_path or project.script_location)

    def _key(self, revision: str, dialect: Dialect, engine: str) -> tuple[str, ...]:
        """What a migrated Catalog depends on: the history's content, the revision, and the engine that ran it."""
        setup = "\0".join(self.options.setup_sql) if dialect == "postgresql" else ""
        return (self.project().fingerprint(), self._label(), revision, dialect, engine, setup)

    def _build(self, dialect: Dialect) -> Catalog:
        """The one Catalog of a database or of DDL files (they describe one state, not a history)."""
        options = self.options
        if options.database_url:
            if self._reflected is None:
                from schema_parity.sources.reflect import reflect_url

                self._reflected = reflect_url(options.database_url)
                self.notes.extend(self._reflected.notes)
                self.engines = dict.fromkeys(self.dialects, f"the database {self._reflected.source}, reflected")
            return self._reflected
        if options.models:
            return self._from_models(dialect)
        from schema_parity.sources.ddl import catalog_from_files

        catalog = catalog_from_files(list(options.schema_sql), dialect)
        self.notes.extend(f"{dialect}: {n}" for n in catalog.notes)
        self.engines[dialect] = "DDL files, replayed"
        return catalog

    def _from_models(self, dialect: Dialect) -> Catalog:
        """The schema ``create_all()`` of the models builds: on SQLite, and on PostgreSQL when a server can be had
        (else their PostgreSQL DDL, compiled by SQLAlchemy and replayed)."""
        from schema_parity.sources.metadata import import_metadata
        from schema_parity.sources.models import catalog_from_models

        assert self.options.models is not None
        base = self.options.search_from or Path.cwd()
        metadata = import_metadata(
            self.options.models, [base, base / "src"], what="models", imports=self.options.metadata_imports
        )
        server = self._finding_server(self.postgres.server) if dialect == "postgresql" else None
        catalog = catalog_from_models(metadata, dialect, server_url=server.url if server else None,
                                      source=f"models:{self.options.models}")  # fmt: skip
        self.engines[dialect] = (
            f"models created on {server.describe()}" if server is not None
            else "models created on SQLite" if dialect == "sqlite"
            else "the models' PostgreSQL DDL, replayed (no PostgreSQL server)"
        )  # fmt: skip
        return catalog

    def _offline_postgresql(self, revisions: list[str]) -> dict[str, Catalog | Unavailable]:
        """Alembic's offline DDL for PostgreSQL at each revision (one offline run for a linear history), replayed;
        unavailable where a revision before it cannot run offline (its SQL would stop there, and every later table
        would look missing)."""
        from schema_parity.sources.alembic import offline_sqls
        from schema_parity.sources.ddl import catalog_from_ddl

        project = self.project()
        built: dict[str, Catalog | Unavailable] = {}
        for revision, (sql, offline_notes) in offline_sqls(project, revisions, dialect="postgresql").items():
            if offline_notes:
                how = "; ".join(self.postgres.reasons) or "postgres = offline"
                built[revision] = Unavailable(
                    f"PostgreSQL's schema at revision {revision} is unknown: {' '.join(offline_notes)} PostgreSQL's "
                    f"rules need the migrations run on PostgreSQL, and no server could be used ({how}). Install "
                    "schema-parity[postgres] for the embedded server, or give one with --postgres-url."
                )
            else:
                label = f"alembic-offline:{project.config_path or project.script_location}@{revision}"
                built[revision] = catalog_from_ddl(sql, "postgresql", source=label)
        return built
