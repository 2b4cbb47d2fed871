"""Running a project's real Alembic revision scripts: online (SQLite or PostgreSQL) and offline (SQL text).

The revision scripts run unchanged through Alembic's own runtime. Two things are added:

* By default the project's ``env.py`` is *not* executed (it often reads a production URL, imports the app or
  configures logging); the revisions run in an :class:`EnvironmentContext` built here. ``use_env_py=True`` runs the
  project's ``env.py`` instead, with the connection handed over in ``config.attributes["connection"]``.
* On SQLite, operations SQLite cannot ALTER (constraints, column changes) are routed through Alembic's batch
  ("move and copy") mode, so PostgreSQL-first migrations such as ``op.create_unique_constraint(...)`` run as
  written and leave the constraint in the SQLite schema.
"""

from __future__ import annotations

import configparser
import contextlib
import hashlib
import io
import os
import re
import sys
import traceback
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import util as alembic_util
from alembic.config import Config
from alembic.operations import Operations
from alembic.operations import ops as alembic_ops
from alembic.runtime.environment import EnvironmentContext
from alembic.runtime.migration import MigrationContext, RevisionStep
from alembic.script import Script, ScriptDirectory

from schema_parity.catalog import Catalog
from schema_parity.errors import ConfigError, MigrationError, describe

try:  # Python 3.11+
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]


# -- the project --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class AlembicProject:
    """Where a project's revisions live, read from ``alembic.ini`` or ``[tool.alembic]`` in pyproject.toml."""

    script_location: Path
    config_path: Path | None = None
    ini_section: str = "alembic"
    options: tuple[tuple[str, str], ...] = field(default=())
    """Options that override the file's (``version_locations`` made absolute); Alembic reads the rest itself."""

    @classmethod
    def load(
        cls,
        path: str | Path | None = None,
        *,
        script_location: str | Path | None = None,
        ini_section: str = "alembic",
        search_from: Path | None = None,
    ) -> AlembicProject:
        """Load a project from an ini or pyproject file, or find ``alembic.ini`` / ``pyproject.toml`` upwards.

        ``script_location`` overrides (or replaces) the file's setting; relative paths resolve against the
        config file's directory, as Alembic's ``%(here)s`` does.
        """
        if path is None and script_location is not None:
            return cls(script_location=_existing_dir(Path(script_location).resolve(), "script_location"))
        config_path = Path(path) if path is not None else _discover(search_from or Path.cwd())
        if not config_path.is_file():
            raise ConfigError(
                f"Alembic configuration {config_path} does not exist. Pass --alembic-config PATH to an "
                "alembic.ini (or a pyproject.toml with [tool.alembic])."
            )
        config_path = config_path.resolve()
        if config_path.suffix == ".toml":
            options = _toml_options(config_path)
        else:
            options = _ini_options(config_path, ini_section)
        location = script_location if script_location is not None else options.get("script_location")
        if not location:
            raise ConfigError(
                f"{config_path}: no script_location in section [{ini_section}]"
                if config_path.suffix != ".toml"
                else f"{config_path}: no script_location in [tool.alembic]"
            )
        here = config_path.parent
        resolved = Path(str(location).replace("%(here)s", str(here)))
        if ":" in str(location) and not resolved.exists():  # package resource form "myapp:migrations"
            resolved = Path(alembic_util.coerce_resource_to_filename(str(location)))
        if not resolved.is_absolute():
            # Relative to the config file's directory; failing that, to the working directory, as Alembic does.
            resolved = here / resolved if (here / resolved).is_dir() or not resolved.is_dir() else resolved
        versions = _version_locations(options, here)
        return cls(
            script_location=_existing_dir(resolved.resolve(), f"{config_path}: script_location"),
            config_path=config_path,
            ini_section=ini_section,
            options=(("version_locations", os.pathsep.join(versions)),) if versions else (),
        )

    def config(self, *, url: str | None = None, output_buffer: io.StringIO | None = None) -> Config:
        """A fresh Alembic ``Config`` pointing at the project's scripts (never at a production URL)."""
        if self.config_path is not None and self.config_path.suffix != ".toml":
            cfg = Config(str(self.config_path), ini_section=self.ini_section, output_buffer=output_buffer)
        elif self.config_path is not None:
            cfg = Config(toml_file=str(self.config_path), output_buffer=output_buffer)
        else:
            cfg = Config(output_buffer=output_buffer)
        cfg.set_main_option("script_location", str(self.script_location))
        for key, value in self.options:  # paths made absolute: they must not depend on the working directory
            cfg.set_main_option(key, value.replace("%", "%%"))
            cfg.set_main_option("path_separator", "os")
        cfg.set_main_option("sqlalchemy.url", url or "sqlite://")
        return cfg

    @cached_property
    def script(self) -> ScriptDirectory:
        """The script directory with every revision file loaded (a file that fails to import is named)."""
        try:
            script = ScriptDirectory.from_config(self.config())
        except alembic_util.CommandError as exc:
            raise ConfigError(f"{self.script_location}: {exc}") from exc
        try:
            script.revision_map.heads  # noqa: B018 - imports every revision module now, where errors are caught
        except Exception as exc:  # a revision module that raises on import: an ImportError, a typo, ...
            raise MigrationError(_import_failure(exc, self.script_location)) from exc
        return script

    def heads(self) -> tuple[str, ...]:
        return tuple(sorted(self.script.get_heads()))

    def revisions(self) -> list[Script]:
        """Every revision, base first."""
        try:
            return list(reversed(list(self.script.walk_revisions())))
        except Exception as exc:  # broken revision graph: a down_revision naming nothing
            raise MigrationError(f"{self.script_location}: the revision graph is broken: {exc}") from exc

    def resolve(self, revision: str) -> str:
        """Validate a destination (``head``, ``heads``, an id or prefix) and return it; explicit errors otherwise."""
        heads = self.heads()
        if revision == "head" and len(heads) > 1:
            raise MigrationError(
                f"{self.script_location} has {len(heads)} heads ({', '.join(heads)}), so 'head' is ambiguous. "
                "Choose one with --revision REV, use --revision heads to apply every branch, or merge them with "
                "`alembic merge heads`."
            )
        if revision in ("head", "heads", "base"):
            return revision
        try:
            found = self.script.get_revision(revision)
        except alembic_util.CommandError as exc:  # unknown id, or an ambiguous prefix
            found, reason = None, str(exc)
        else:
            reason = "not found"
        if found is None:
            known = ", ".join(r.revision for r in self.revisions()[-5:])
            raise MigrationError(
                f"{self.script_location}: no revision {revision!r} ({reason}). The newest revisions are: {known}. "
                "List them all with `alembic history`."
            )
        return found.revision

    def fingerprint(self) -> str:
        """Content hash of every revision script, the env.py, the config file and the library versions.

        Computed once per project object: a check asks for it per revision and dialect. Load the project again
        to see edits made since.
        """
        return self._fingerprint

    @cached_property
    def _fingerprint(self) -> str:
        import alembic as alembic_pkg

        import schema_parity

        digest = hashlib.sha256()
        for part in (schema_parity.__version__, alembic_pkg.__version__, sa.__version__, sys.version):
            digest.update(part.encode())
        files = sorted(self.script_location.rglob("*.py"))
        if self.config_path is not None:
            files.append(self.config_path)
        for path in files:
            if "__pycache__" in path.parts:
                continue
            digest.update(str(path.relative_to(self.script_location.parent)).encode())
            digest.update(path.read_bytes())
        digest.update(repr(self.options).encode())
        return digest.hexdigest()


def _import_failure(exc: Exception, script_location: Path) -> str:
    """Name the revision file whose import failed (the innermost traceback frame inside the scripts directory)."""
    culprit = None
    for frame, line in traceback.walk_tb(exc.__traceback__):
        filename = Path(frame.f_code.co_filename)
        if filename.is_relative_to(script_location):
            culprit = f"{filename}:{line}"
    where = f"{culprit}" if culprit else f"a revision file under {script_location}"
    return (
        f"{where} cannot be imported: {describe(exc)}. Revision scripts are imported as Python "
        "modules; install what they import (the application's dependencies) or remove the import from the revision."
    )


def _discover(start: Path) -> Path:
    for directory in (start, *start.resolve().parents):
        ini = directory / "alembic.ini"
        if ini.is_file():
            return ini
        pyproject = directory / "pyproject.toml"
        if pyproject.is_file() and "alembic" in _read_toml(pyproject).get("tool", {}):
            return pyproject
    raise ConfigError(
        f"No alembic.ini (or pyproject.toml with [tool.alembic]) in {start} or its parents. "
        "Pass --alembic-config PATH, or --schema-sql / --database-url for another schema source."
    )


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read TOML: {exc}") from exc


def _toml_options(path: Path) -> dict[str, str]:
    section = _read_toml(path).get("tool", {}).get("alembic")
    if not isinstance(section, dict):
        raise ConfigError(f"{path}: no [tool.alembic] section")
    options: dict[str, str] = {}
    for key, value in section.items():
        if isinstance(value, list):
            options[key] = " ".join(str(v) for v in value)
        elif isinstance(value, (str, int, float, bool)):
            options[key] = str(value)
    return options


def _ini_options(path: Path, section: str) -> dict[str, str]:
    """The section as Alembic reads it: ``%(here)s`` and ``%(script_location)s`` style references expanded."""
    parser = configparser.ConfigParser(defaults={"here": str(path.parent)})
    try:
        parser.read(path, encoding="utf-8")
        if not parser.has_section(section):
            raise ConfigError(f"{path}: no [{section}] section (is this an alembic.ini? choose one with --ini-section)")
        return dict(parser.items(section))
    except (configparser.Error, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: malformed ini file: {exc}") from exc


_SEPARATORS = {"os": os.pathsep, "space": " ", "newline": "\n", "colon": ":", "semicolon": ";"}


def _version_locations(options: dict[str, str], here: Path) -> list[str]:
    """``version_locations`` split as Alembic splits it, each made absolute against the config file's directory."""
    raw = options.get("version_locations", "").strip()
    if not raw:
        return []
    separator = options.get("path_separator") or options.get("version_path_separator")
    # Without a separator setting Alembic splits the legacy way: on spaces, commas and colons.
    parts = raw.split(_SEPARATORS.get(separator, separator)) if separator else re.split(r"[\s,:]+", raw)
    located = [here / part.strip() if (here / part.strip()).is_dir() else Path(part.strip()) for part in parts]
    return [str(path.resolve()) for path, part in zip(located, parts, strict=True) if part.strip()]


def _existing_dir(path: Path, what: str) -> Path:
    if not path.is_dir():
        raise ConfigError(f"{what} {path} is not a directory of Alembic revisions")
    return path


# -- SQLite: constraint operations through batch mode --------------------------------------------------------------
def _operation_table(operation: alembic_ops.MigrateOperation) -> tuple[str, str | None]:
    """The table an ALTER-style operation changes (a foreign key names it ``source_table``)."""
    if isinstance(operation, alembic_ops.CreateForeignKeyOp):
        return operation.source_table, operation.kw.get("source_schema")
    return operation.table_name, getattr(operation, "schema", None)  # type: ignore[attr-defined]


def _needs_batch(operation: alembic_ops.MigrateOperation) -> bool:
    """The operations SQLite cannot ALTER in place (Alembic raises NotImplementedError or SQLite a syntax error)."""
    if isinstance(operation, alembic_ops.DropConstraintOp):
        # Batch mode can only find a constraint by name: an unnamed one keeps Alembic's own NotImplementedError,
        # which real migrations catch to skip the step on SQLite.
        return operation.constraint_name is not None
    if isinstance(operation, alembic_ops.CreateUniqueConstraintOp):
        return True  # an unnamed one gets PostgreSQL's default name (see invoke)
    if isinstance(operation, alembic_ops.AddConstraintOp):
        return operation.constraint_name is not None
    if isinstance(operation, alembic_ops.AlterColumnOp):
        # A rename alone is native (RENAME COLUMN); type, nullability and default changes need a copy.
        return (
            operation.modify_type is not None
            or operation.modify_nullable is not None
            or operation.modify_server_default is not False
        )
    if isinstance(operation, alembic_ops.AddColumnOp):
        column = operation.column
        return bool(column.unique or column.primary_key or column.constraints)
    return False


class _Running:
    """The operation being invoked, so a failure can name it (revision scripts run one at a time)."""

    operation: alembic_ops.MigrateOperation | None = None


def _parity_operations(context: MigrationContext) -> Operations:
    """``op`` for the revision scripts: records the running operation, batches what SQLite cannot ALTER.

    Only this instance's ``invoke`` is replaced, so Alembic's module proxies and batch contexts work unchanged.
    """
    operations = Operations(context)
    plain_invoke = operations.invoke

    def invoke(operation: alembic_ops.MigrateOperation) -> Any:
        _Running.operation = operation
        if context.dialect.name != "sqlite" or not _needs_batch(operation):
            return plain_invoke(operation)
        table_name, schema = _operation_table(operation)
        if isinstance(operation, alembic_ops.AddColumnOp):
            return _add_column_with_constraints(operations, operation, table_name, schema)
        if isinstance(operation, alembic_ops.CreateUniqueConstraintOp) and operation.constraint_name is None:
            # Batch mode needs a name; PostgreSQL would call it <table>_<columns>_key.
            operation.constraint_name = "_".join([table_name, *operation.columns, "key"])
        with operations.batch_alter_table(table_name, schema=schema) as batch:
            return batch.invoke(operation)

    operations.invoke = invoke  # type: ignore[method-assign]
    return operations


def _add_column_with_constraints(
    operations: Operations, operation: alembic_ops.AddColumnOp, table_name: str, schema: str | None
) -> None:
    """``add_column(Column(..., unique=True))``: SQLite cannot ADD a UNIQUE column and batch mode needs a name.

    The column is added by a table copy with a named UNIQUE constraint, named as PostgreSQL names the
    constraint that ``ALTER TABLE ... ADD UNIQUE`` creates (``<table>_<column>_key``), so both engines agree.
    """
    column = operation.column._copy()
    unique = bool(column.unique)
    column.unique = None
    with operations.batch_alter_table(table_name, schema=schema, recreate="always") as batch:
        batch.add_column(column)
        if unique:
            batch.create_unique_constraint(f"{table_name}_{column.name}_key", [column.name])


# -- running -------------------------------------------------------------------------------------------------------
class _Progress:
    """Which revisions are still to run and which ran, so a failure names the revision it happened in."""

    def __init__(self, script: ScriptDirectory, destination: str) -> None:
        self.script = script
        self.destination = destination
        self.pending: list[RevisionStep] = []
        self.applied: list[str] = []

    def steps(self, rev: Any, context: MigrationContext) -> list[RevisionStep]:
        found = self.script._upgrade_revs(self.destination, rev)  # what `alembic upgrade` itself calls
        self.pending = list(found)
        return found

    def applied_one(self, *, step: Any, **_: Any) -> None:
        _Running.operation = None
        if self.pending:
            self.pending.pop(0)
        self.applied.append(step.up_revision_id or "")

    @property
    def failing(self) -> RevisionStep | None:
        return self.pending[0] if self.pending else None


def _environment(cfg: Config, progress: _Progress, **kw: Any) -> EnvironmentContext:
    """An EnvironmentContext whose ``op`` is :func:`_parity_operations` and which reports progress.

    Instance attributes replace ``configure`` and ``run_migrations`` before the module proxy (``alembic.context``)
    is installed, so a project's own ``env.py`` calls them too.
    """
    env = EnvironmentContext(cfg, progress.script, fn=progress.steps, destination_rev=progress.destination, **kw)
    plain_configure = env.configure

    def configure(*args: Any, **options: Any) -> None:
        callbacks = list(options.pop("on_version_apply", None) or ())
        plain_configure(*args, on_version_apply=[*callbacks, progress.applied_one], **options)

    def run_migrations(**options: Any) -> None:
        context = env.get_context()
        operations = _parity_operations(context)
        operations._install_proxy()
        try:
            context.run_migrations(**options)
        finally:
            operations._remove_proxy()

    env.configure = configure  # type: ignore[method-assign]
    env.run_migrations = run_migrations  # type: ignore[method-assign]
    return env


def upgrade(
    connection: sa.Connection,
    project: AlembicProject,
    revision: str = "head",
    *,
    use_env_py: bool = False,
) -> list[str]:
    """Upgrade the database behind ``connection`` to ``revision``; return the revisions applied, in order.

    The caller owns the transaction; on SQLite each revision's DDL is committed as Alembic does.
    """
    destination = project.resolve(revision)
    cfg = project.config(url=connection.engine.url.render_as_string(hide_password=False))
    cfg.attributes["connection"] = connection
    script = project.script
    progress = _Progress(script, destination)
    env = _environment(cfg, progress)
    _Running.operation = None
    try:
        # Revision scripts print progress; stdout belongs to the report (JSON, SARIF), so send it to stderr.
        with env, contextlib.redirect_stdout(sys.stderr):
            if use_env_py:
                script.run_env()
            else:
                env.configure(connection=connection, target_metadata=None)
                with env.begin_transaction():
                    env.run_migrations()
    except MigrationError:
        raise
    except alembic_util.CommandError as exc:
        raise MigrationError(f"{project.script_location}: {exc}") from exc
    except Exception as exc:
        raise _migration_failure(exc, progress.failing, connection) from exc
    return progress.applied


def _migration_failure(exc: Exception, step: RevisionStep | None, connection: sa.Connection) -> MigrationError:
    dialect = connection.dialect.name
    operation = _Running.operation
    what = _describe_operation(operation) if operation is not None else "the revision"
    if step is None:
        return MigrationError(f"Alembic failed before any revision ran: {type(exc).__name__}: {exc}")
    revision = step.revision
    path = revision.path
    advice = "Fix the revision, or run it against the engine it was written for."
    if dialect == "sqlite" and isinstance(exc, (sa.exc.DBAPIError, NotImplementedError)):
        advice = (
            "SQLite cannot run this operation. Guard PostgreSQL-only steps with "
            "`if op.get_context().dialect.name == \"postgresql\":`, or judge PostgreSQL semantics from offline SQL "
            "(`--dialect postgresql`) or a real server (`--database-url`)."
        )
    return MigrationError(
        f"Revision {revision.revision} ({path}) failed on {dialect} in {what}: {describe(exc)}. "
        f"{advice}",
        revision=revision.revision,
        path=path,
    )


def _describe_operation(operation: alembic_ops.MigrateOperation) -> str:
    name = type(operation).__name__.removesuffix("Op")
    snake = "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")
    table = getattr(operation, "table_name", None) or getattr(operation, "source_table", None)
    if isinstance(operation, alembic_ops.ExecuteSQLOp):
        sql = str(operation.sqltext).strip().splitlines()[0][:80]
        return f"op.execute({sql!r})"
    return f"op.{snake}(" + (f"{table!r}, ...)" if table else "...)")


@contextlib.contextmanager
def sqlite_memory_connection() -> Iterator[sa.Connection]:
    """One private in-memory SQLite database (a static pool keeps it alive for the whole block)."""
    engine = sa.create_engine("sqlite://", poolclass=sa.pool.StaticPool)
    try:
        with engine.connect() as conn:
            yield conn
    finally:
        engine.dispose()


def migrate_sqlite_file(
    path: Path, project: AlembicProject, revision: str = "head", *, use_env_py: bool = False
) -> list[str]:
    """Build a SQLite file migrated to ``revision`` atomically: a failure never leaves a file at ``path``."""
    partial = path.with_name(path.name + ".partial")
    partial.unlink(missing_ok=True)
    engine = sa.create_engine(f"sqlite:///{partial}")
    try:
        with engine.connect() as conn:
            applied = upgrade(conn, project, revision, use_env_py=use_env_py)
            conn.commit()
    except BaseException:
        engine.dispose()
        partial.unlink(missing_ok=True)
        raise
    engine.dispose()
    partial.replace(path)
    return applied


def offline_sql(
    project: AlembicProject, revision: str = "head", *, dialect: str = "postgresql"
) -> tuple[str, list[str]]:
    """The DDL Alembic's offline (``--sql``) mode emits for ``dialect``, and notes on revisions that cannot run.

    A revision that cannot run offline (it reads data, reflects, uses an untyped bulk_insert) stops the script there;
    the note names it, and the SQL up to that point is returned.
    """
    destination = project.resolve(revision)
    buffer = io.StringIO()
    cfg = project.config(output_buffer=buffer)
    progress = _Progress(project.script, destination)
    env = _environment(cfg, progress, as_sql=True, starting_rev=None)
    notes: list[str] = []
    try:
        with env, contextlib.redirect_stdout(sys.stderr):
            env.configure(
                dialect_name=dialect, output_buffer=buffer, literal_binds=True, transactional_ddl=False
            )
            with env.begin_transaction():
                env.run_migrations()
    except alembic_util.CommandError as exc:
        raise MigrationError(f"{project.script_location}: {exc}") from exc
    except Exception as exc:
        step = progress.failing
        where = f"revision {step.revision.revision} ({step.revision.path})" if step else "the migration environment"
        notes.append(
            f"{where} cannot run in offline mode for {dialect} ({describe(exc)}); "
            "its offline SQL stops there."
        )
    return buffer.getvalue(), notes


def revision_chain(project: AlembicProject, revision: str = "head") -> Sequence[Script]:
    """The revisions an upgrade from base to ``revision`` applies, in order."""
    destination = project.resolve(revision)
    return [step.revision for step in project.script._upgrade_revs(destination, None)]


def catalog_at(
    project: AlembicProject, revision: str = "head", *, use_env_py: bool = False, source: str | None = None
) -> Catalog:
    """The Catalog the real migrations build on a fresh in-memory SQLite database."""
    from schema_parity.sources.reflect import reflect

    label = source or f"alembic:{project.config_path or project.script_location}@{revision}"
    with sqlite_memory_connection() as connection:
        upgrade(connection, project, revision, use_env_py=use_env_py)
        heads = MigrationContext.configure(connection).get_current_heads()
        return reflect(connection, source=label, revision=",".join(sorted(heads)) or None)
