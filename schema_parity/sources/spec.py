"""Schema sources named on one line, for ``schema-parity diff`` and ``assert_schema_parity``.

A spec is ``KIND:WHERE``:

- ``alembic:PATH[@REV][#sqlite|#postgresql]``: the migrations (an ``alembic.ini``, a directory holding one, or a
  script directory) upgraded to REV (default ``head``) on a fresh database of the engine (default SQLite);
- ``sql:PATH[#sqlite|#postgresql]``: DDL files (a file, or a directory's ``*.sql`` in name order) executed on a fresh
  database of the engine;
- ``url:URL``: an existing database, opened read-only (see ``reflect``);
- ``models:MODULE:ATTR[#sqlite|#postgresql]``: SQLAlchemy models (a MetaData or declarative base), ``create_all()``;
- ``python:MODULE:FUNCTION``: a function that creates tables, called with a SQLAlchemy ``Connection`` to a fresh
  SQLite database, or with the database file's path when its one parameter is named like ``*path``.

Every source ends the same way: the engine's own catalog is read (``reflect``) into a Catalog, so two sources
differ only where the databases they build differ. PostgreSQL is a scratch database on a server, provisioned as
the check provisions one (``Postgres``), created and dropped here.
"""

from __future__ import annotations

import inspect
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, get_args

import sqlalchemy as sa

from schema_parity import compat
from schema_parity.catalog import Catalog, Dialect
from schema_parity.errors import ConfigError, SchemaParityError, describe

__all__ = ["KINDS", "SourceSpec", "Sources", "parse_spec"]

SourceKind = Literal["alembic", "sql", "url", "models", "python"]
KINDS: tuple[SourceKind, ...] = get_args(SourceKind)
_EXAMPLES = (
    "alembic:alembic.ini@head#postgresql, sql:tests/schema.sql, url:sqlite:///app.db, "
    "models:app.models:Base, python:tests.helpers:create_tables"
)


@dataclass(frozen=True)
class SourceSpec:
    """One parsed spec; ``text`` is what the user wrote, with a URL's password masked (it is shown in reports)."""

    kind: SourceKind
    target: str
    """The path, URL or ``module:attribute``."""
    revision: str | None = None
    dialect: Dialect | None = None
    """The engine the schema is built on (None for ``url:``, whose engine is the database's)."""
    text: str = ""

    @property
    def engine(self) -> Dialect:
        """The engine building the schema (``url:`` specs read theirs from the URL)."""
        if self.dialect is not None:
            return self.dialect
        return "postgresql" if sa.engine.make_url(self.target).get_backend_name() == "postgresql" else "sqlite"


def parse_spec(text: str) -> SourceSpec:
    """A spec from its text; a malformed one is a ConfigError saying what is expected."""
    kind, colon, rest = text.partition(":")
    if not colon or kind not in KINDS:
        hint = f" (did you mean sql:{text}?)" if text.endswith(".sql") else ""
        hint = hint or (f" (did you mean alembic:{text}?)" if text.endswith(".ini") else "")
        raise ConfigError(
            f"source {_masked(text)!r}: expected KIND:WHERE with KIND one of {', '.join(KINDS)}{hint}; e.g. {_EXAMPLES}"
        )
    if not rest:
        raise ConfigError(f"source {text!r}: nothing after {kind}:")
    if kind == "url":
        try:
            url = sa.engine.make_url(rest)
        except sa.exc.ArgumentError:
            raise ConfigError(f"source {_masked(text)!r}: not a database URL (e.g. url:sqlite:///app.db)") from None
        if url.get_backend_name() not in ("postgresql", "sqlite"):
            raise ConfigError(f"source {_masked(text)!r}: schema-parity reads PostgreSQL and SQLite databases only")
        return SourceSpec("url", rest, text=f"url:{url.render_as_string(hide_password=True)}")
    body, hash_, dialect_text = rest.rpartition("#") if "#" in rest else (rest, "", "")
    dialect: Dialect = "sqlite"
    if hash_:
        if dialect_text not in ("sqlite", "postgresql"):
            raise ConfigError(f"source {text!r}: #{dialect_text} is not an engine; use #sqlite or #postgresql")
        dialect = dialect_text  # type: ignore[assignment]
    if kind == "python" and dialect != "sqlite":
        raise ConfigError(f"source {text!r}: a python: source builds a SQLite database (no #{dialect})")
    revision = None
    if kind == "alembic" and "@" in body:
        body, _, revision = body.rpartition("@")
        if not revision or not body:
            raise ConfigError(f"source {text!r}: expected alembic:PATH@REVISION")
    if kind in ("models", "python"):
        module, _, attribute = body.partition(":")
        if (
            not module
            or not attribute
            or not all(p.isidentifier() for p in (*module.split("."), *attribute.split(".")))
        ):
            raise ConfigError(f"source {text!r}: expected {kind}:package.module:attribute")
    return SourceSpec(kind, body, revision, dialect, text)


def _masked(text: str) -> str:
    """A spec fit for a message: a URL's password hidden (``SecretURL.masked``: all of it when it does not parse)."""
    if "://" not in text:
        return text
    from schema_parity.sources.server import SecretURL

    kind, _, rest = text.partition(":")
    return f"{kind}:{SecretURL(rest).masked}" if "://" in rest else SecretURL(text).masked


class Sources:
    """Builds the Catalog of each spec; one PostgreSQL server (provisioned on first need) serves every spec, and
    :meth:`close` releases it. ``cwd`` is where relative paths and modules are found."""

    def __init__(
        self,
        cwd: Path,
        *,
        postgres_url: str | None = None,
        revision_timeout: float | None = None,
        use_env_py: bool = False,
    ) -> None:
        from schema_parity.sources.postgres import Postgres

        self.cwd = cwd
        self.postgres_url = postgres_url
        self.revision_timeout = revision_timeout
        self.use_env_py = use_env_py
        self.postgres = Postgres(url=postgres_url, mode="required")
        self.engines: dict[str, str] = {}
        """What built each spec's schema (by spec text), for the report."""

    def close(self) -> None:
        self.postgres.close()

    def __enter__(self) -> Sources:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def catalog(self, spec: SourceSpec) -> Catalog:
        builder: Callable[[SourceSpec], Catalog] = getattr(self, f"_{spec.kind}")
        return builder(spec)

    # -- each kind ---------------------------------------------------------------------------------------------
    def _alembic(self, spec: SourceSpec) -> Catalog:
        from schema_parity.limits import DEFAULT_REVISION_TIMEOUT
        from schema_parity.sources import Schema, SchemaOptions, Unavailable

        path = self._path(spec)
        config = path / "alembic.ini" if path.is_dir() else path
        options = SchemaOptions(
            alembic_config=config if config.is_file() else None,
            script_location=None if config.is_file() else path,
            revision=spec.revision or "head",
            use_env_py=self.use_env_py,
            postgres_url=self.postgres_url,
            postgres="required",
            revision_timeout=self.revision_timeout if self.revision_timeout is not None else DEFAULT_REVISION_TIMEOUT,
            search_from=self.cwd,
        )
        schema = Schema(options, (spec.engine,))  # no cache: a cached Catalog may predate FK and CHECK reading
        schema.postgres = self.postgres  # one server for both sides, released by close()
        built = schema.head(spec.engine)
        self.engines[spec.text] = schema.engines.get(spec.engine, "")
        if isinstance(built, Unavailable):
            raise ConfigError(f"{spec.text}: {built.reason}")
        return _labelled(built, spec)

    def _sql(self, spec: SourceSpec) -> Catalog:
        from schema_parity.sources.ddl import schema_files

        files = schema_files([self._path(spec)])
        text = "\n".join(f.read_text(encoding="utf-8") for f in files)
        with self.scratch(spec.engine) as connection:
            try:
                if spec.engine == "sqlite":
                    connection.connection.driver_connection.executescript(text)  # type: ignore[union-attr]
                else:
                    connection.exec_driver_sql(text)
                    compat.commit(connection)
            except Exception as exc:  # the file's own error, as the engine reports it
                raise ConfigError(f"{spec.text}: the DDL does not run on {spec.engine}: {describe(exc)}") from exc
            return _labelled(self._reflect(connection), spec)

    def _url(self, spec: SourceSpec) -> Catalog:
        from schema_parity.sources.reflect import reflect_url

        self.engines[spec.text] = "the database, reflected read-only"
        return _labelled(reflect_url(spec.target, source=spec.text), spec)

    def _models(self, spec: SourceSpec) -> Catalog:
        from schema_parity.sources.metadata import import_metadata

        metadata = import_metadata(spec.target, [self.cwd, self.cwd / "src"], what="models")
        with self.scratch(spec.engine) as connection:
            metadata.create_all(connection)
            compat.commit(connection)
            return _labelled(self._reflect(connection), spec)

    def _python(self, spec: SourceSpec) -> Catalog:
        from schema_parity.sources.metadata import import_object

        function = import_object(spec.target, [self.cwd, self.cwd / "src"], what="the python: source",
                                 example="tests.helpers:create_tables")  # fmt: skip
        if not callable(function):
            raise ConfigError(f"{spec.text}: {type(function).__name__} is not callable")
        try:
            parameters = list(inspect.signature(function).parameters.values())
        except (TypeError, ValueError):
            parameters = []
        wants_path = len(parameters) == 1 and parameters[0].name.lower().endswith("path")
        with tempfile.TemporaryDirectory(prefix="schema-parity-") as directory:
            path = Path(directory) / "schema.db"
            engine = compat.create_engine(f"sqlite:///{path}")
            try:
                try:
                    if wants_path:
                        function(str(path))
                    else:
                        with engine.begin() as connection:
                            function(connection)
                except SchemaParityError:
                    raise
                except (Exception, SystemExit) as exc:
                    raise ConfigError(f"{spec.text}: the function raised {describe(exc)}") from exc
                with engine.connect() as connection:
                    self.engines[spec.text] = f"{spec.target}({'path' if wants_path else 'connection'}) on SQLite"
                    return _labelled(self._reflect(connection), spec)
            finally:
                engine.dispose()

    # -- helpers -----------------------------------------------------------------------------------------------
    def _path(self, spec: SourceSpec) -> Path:
        path = (self.cwd / spec.target).resolve()
        if not path.exists():
            raise ConfigError(f"{spec.text}: {spec.target} does not exist (from {self.cwd})")
        return path

    @staticmethod
    def _reflect(connection: sa.Connection) -> Catalog:
        from schema_parity.sources.reflect import reflect

        return reflect(connection)

    @contextmanager
    def scratch(self, dialect: Dialect) -> Iterator[sa.Connection]:
        """A connection to a fresh database of ``dialect``, created here and dropped after the block."""
        if dialect == "sqlite":
            from schema_parity.sources.alembic import sqlite_memory_connection

            with sqlite_memory_connection() as connection:
                yield connection
            return
        from schema_parity.sources.server import PREFIX, ScratchDatabases

        server = self.postgres.server()
        assert server is not None  # mode "required": no server is a ConfigError
        scratch = ScratchDatabases(server.url, PREFIX)
        try:
            engine = compat.create_engine(scratch.url(scratch.create(label="diff")))
            try:
                with engine.connect() as connection:
                    yield connection
            finally:
                engine.dispose()
        finally:
            scratch.close()


def _labelled(catalog: Catalog, spec: SourceSpec) -> Catalog:
    from dataclasses import replace

    return replace(catalog, source=spec.text)
