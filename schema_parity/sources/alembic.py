"""Running a project's real Alembic revision scripts: online (SQLite or PostgreSQL) and offline (SQL text).

The revision scripts run unchanged through Alembic's own runtime. Around them:

* By default the project's ``env.py`` is *not* executed (it often reads a production URL, imports the app or
  configures logging); the revisions run in an :class:`EnvironmentContext` built here. ``use_env_py=True`` runs the
  project's ``env.py`` instead, with the connection handed over in ``config.attributes["connection"]``.
* Either way, while user code runs every database connection it makes is redirected to the scratch database, or
  refused when that is impossible (:class:`_Sandbox`): no revision ever runs on a database schema-parity did not
  create. Each revision has a time limit (:class:`_Watchdog`), and ``sys.exit()`` in user code is an error.
* On SQLite, operations SQLite cannot ALTER (constraints, column changes) are routed through Alembic's batch
  ("move and copy") mode, so PostgreSQL-first migrations such as ``op.create_unique_constraint(...)`` run as
  written and leave the constraint in the SQLite schema.
"""

from __future__ import annotations

import configparser
import contextlib
import ctypes
import functools
import hashlib
import importlib
import importlib.machinery
import importlib.util
import io
import logging
import os
import re
import signal
import sys
import threading
import time
import traceback
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from types import FrameType, ModuleType
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
from schema_parity.limits import DEFAULT_REVISION_TIMEOUT

try:  # Python 3.11+
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python 3.10
    import tomli as tomllib  # type: ignore[no-redef,import-not-found,unused-ignore]

_log = logging.getLogger(__name__)


# -- the project --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class AlembicProject:
    """Where a project's revisions live, read from ``alembic.ini`` or ``[tool.alembic]`` in pyproject.toml."""

    script_location: Path
    config_path: Path | None = None
    ini_section: str = "alembic"
    options: tuple[tuple[str, str], ...] = field(default=())
    """Options that override the file's (``version_locations`` made absolute); Alembic reads the rest itself."""
    revision_timeout: float | None = DEFAULT_REVISION_TIMEOUT
    """Seconds each revision may run before it is stopped with a MigrationError; None for no limit."""

    @classmethod
    def load(
        cls,
        path: str | Path | None = None,
        *,
        script_location: str | Path | None = None,
        ini_section: str = "alembic",
        search_from: Path | None = None,
        revision_timeout: float | None = DEFAULT_REVISION_TIMEOUT,
    ) -> AlembicProject:
        """Load a project from an ini or pyproject file, or find ``alembic.ini`` / ``pyproject.toml`` upwards.

        ``script_location`` overrides (or replaces) the file's setting; relative paths resolve against the
        config file's directory, as Alembic's ``%(here)s`` does. A package resource (``myapp:migrations``) is
        found without importing the package.
        """
        if path is None and script_location is not None:
            located = _locate(str(script_location), Path.cwd(), "script_location")
            return cls(
                script_location=_existing_dir(located.resolve(), "script_location"),
                revision_timeout=revision_timeout,
            )
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
        what = f"{config_path}: script_location"
        resolved = _locate(str(location).replace("%(here)s", str(here)), here, what)
        versions = _version_locations(options, here, f"{config_path}: version_locations")
        return cls(
            script_location=_existing_dir(resolved.resolve(), what),
            config_path=config_path,
            ini_section=ini_section,
            options=(("version_locations", os.pathsep.join(versions)),) if versions else (),
            revision_timeout=revision_timeout,
        )

    def config(self, *, url: str | None = None, output_buffer: io.StringIO | None = None) -> Config:
        """A fresh Alembic ``Config`` pointing at the project's scripts (never at a production URL).

        Alembic stores options in a ConfigParser, which reads ``%`` as interpolation: every value set here is
        escaped (``%%``), so URLs such as ``...:Pa%40ss@host/db?options=-csearch_path%3Dapp`` and paths with a
        ``%`` come back unchanged from ``get_main_option``/``get_section``.
        """
        if self.config_path is not None and self.config_path.suffix != ".toml":
            cfg = Config(str(self.config_path), ini_section=self.ini_section, output_buffer=output_buffer)
        elif self.config_path is not None:
            cfg = Config(toml_file=str(self.config_path), output_buffer=output_buffer)
        else:
            cfg = Config(output_buffer=output_buffer)
        settings = [("script_location", str(self.script_location)), *self.options]
        if self.options:  # paths made absolute and joined with os.pathsep: they must not depend on the working dir
            settings.append(("path_separator", "os"))
        settings.append(("sqlalchemy.url", url or "sqlite://"))
        for key, value in settings:
            cfg.set_main_option(key, value.replace("%", "%%"))
        return cfg

    @cached_property
    def version_dirs(self) -> tuple[Path, ...]:
        """The directories holding the revision files: ``version_locations``, else ``<script_location>/versions``.

        Alembic silently treats a missing one as an empty history, which turns a typo into "no such table"
        findings everywhere: here it is a configuration error naming the path.
        """
        configured = dict(self.options).get("version_locations")
        if configured:
            dirs = tuple(Path(p) for p in configured.split(os.pathsep))
            what = f"{self.config_path or self.script_location}: the version_locations entry"
        else:
            dirs = (self.script_location / "versions",)
            what = f"{self.config_path or self.script_location}: the versions directory"
        for directory in dirs:
            if not directory.is_dir():
                raise ConfigError(
                    f"{what} {directory} does not exist, so there would be no revisions to run. Create it "
                    "(Alembic's `alembic init` does; git does not keep an empty directory), or set "
                    "version_locations to the directories that hold the revision files."
                )
        return dirs

    @cached_property
    def script(self) -> ScriptDirectory:
        """The script directory with every revision file loaded (a file that fails to import is named)."""
        self.version_dirs  # noqa: B018 - a missing versions directory is a ConfigError, not an empty history
        try:
            script = ScriptDirectory.from_config(self.config())
        except alembic_util.CommandError as exc:
            raise ConfigError(f"{self.script_location}: {exc}") from exc
        with _ctrl_c_watch() as pressed:
            try:
                script.revision_map.heads  # noqa: B018 - imports every revision module now, where errors are caught
            except (Exception, SystemExit, KeyboardInterrupt) as exc:  # ImportError, a typo, sys.exit() ...
                if isinstance(exc, KeyboardInterrupt) and pressed():
                    raise  # a real Ctrl-C stays one
                raise MigrationError(_import_failure(exc, (self.script_location, *self.version_dirs))) from exc
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
        """Content hash of what the migrated schema depends on: the key of the catalog and template caches.

        Every file under the script location and each version directory (a revision may read a ``.sql`` file
        beside it), the config file, the options, and the versions of the libraries that build or parse the
        schema. Computed once per project object: a check asks for it per revision and dialect. Load the
        project again to see edits made since.
        """
        return self._fingerprint

    @cached_property
    def _fingerprint(self) -> str:
        import sqlite3

        import alembic as alembic_pkg
        import sqlglot

        import schema_parity

        digest = hashlib.sha256()
        libraries = (schema_parity.__version__, alembic_pkg.__version__, sa.__version__, sqlglot.__version__,
                     sqlite3.sqlite_version, sys.version)
        digest.update(repr(libraries).encode())
        # Files are named relative to their root, so the key does not depend on where the project is checked out
        # (and the config file may live anywhere, e.g. beside rather than above the script location).
        roots = [("script_location", self.script_location), *(("version_location", d) for d in self.version_dirs)]
        for label, root in roots:
            for path in sorted(root.rglob("*")):
                relative = path.relative_to(root)
                if "__pycache__" in relative.parts or not path.is_file():
                    continue  # bytecode caches change without the source changing
                _digest_file(digest, f"{label}/{relative.as_posix()}", path)
        if self.config_path is not None:
            _digest_file(digest, "config", self.config_path)
        digest.update(repr(self.options).encode())
        return digest.hexdigest()


def _digest_file(digest: Any, name: str, path: Path) -> None:
    content = path.read_bytes()
    digest.update(f"{name}\0{len(content)}\0".encode())  # name and length: no two file lists hash alike
    digest.update(content)


def _import_failure(exc: BaseException, roots: Sequence[Path]) -> str:
    """Name the revision file whose import failed (the innermost traceback frame inside the scripts' directories)."""
    culprit = None
    for frame, line in traceback.walk_tb(exc.__traceback__):
        filename = Path(frame.f_code.co_filename)
        if any(filename.is_relative_to(root) for root in roots):
            culprit = f"{filename}:{line}"
    where = f"{culprit}" if culprit else f"a revision file under {roots[0]}"
    if isinstance(exc, (SystemExit, KeyboardInterrupt)):
        return (
            f"{where} {_describe_failure(exc)} while being imported. A revision file, and every module it "
            "imports, must not exit the process: remove the sys.exit() call (raise an exception instead)."
        )
    return (
        f"{where} cannot be imported: {describe(exc)}. Revision scripts are imported as Python "
        "modules; install what they import (the application's dependencies) or remove the import from the revision."
    )


def _describe_failure(exc: BaseException) -> str:
    """What an exception from user code was, in words (SystemExit's message is only its exit code)."""
    if isinstance(exc, SystemExit):
        return f"called sys.exit({exc.code!r})"
    if isinstance(exc, KeyboardInterrupt):
        return "raised KeyboardInterrupt"
    return f"raised {describe(exc)}"


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


def _version_locations(options: dict[str, str], here: Path, what: str) -> list[str]:
    """``version_locations`` split as Alembic splits it, each made absolute against the config file's directory."""
    raw = options.get("version_locations", "").strip()
    if not raw:
        return []
    separator = options.get("path_separator") or options.get("version_path_separator")
    # Without a separator setting Alembic splits the legacy way: on spaces, commas and colons.
    parts = raw.split(_SEPARATORS.get(separator, separator)) if separator else re.split(r"[\s,:]+", raw)
    return [str(_locate(part.strip(), here, what).resolve()) for part in parts if part.strip()]


def _locate(location: str, here: Path, what: str) -> Path:
    """A directory setting as Alembic reads it: a path (relative to the config file's directory, else to the
    working directory) or a package resource ``pkg.sub:dir``."""
    path = Path(location)
    if path.is_absolute() or (here / path).exists():
        return here / path
    if path.exists():
        return path
    if ":" in location:
        return _package_resource(location, here, what)
    return here / path


def _package_resource(location: str, here: Path, what: str) -> Path:
    """``pkg.sub:dir`` as a directory, found without running the package's ``__init__``.

    Alembic imports the package, and a package whose ``__init__`` connects to services (or needs settings) that
    a test or CI machine lacks cannot be imported there. ``find_spec`` on the top-level name reads no code: it is
    looked up in the config file's directory, the project root and their ``src/``, then where Python would find
    it (installed, editable); sub-packages are then plain directories.
    """
    package, *resource = location.split(":")
    top, *subpackages = package.split(".")
    roots = dict.fromkeys(d for base in (here, _project_root(here)) for d in (base, base / "src"))
    spec = importlib.machinery.PathFinder.find_spec(top, [str(d) for d in roots])
    if spec is None:
        try:
            spec = importlib.util.find_spec(top)
        except (ImportError, ValueError):  # ValueError: a module in sys.modules without a spec
            spec = None
    directories = [Path(d) for d in (spec.submodule_search_locations or [])] if spec is not None else []
    if not directories:
        raise ConfigError(
            f"{what} {location!r}: there is no package {top!r} in {', '.join(str(d) for d in roots)} or among the "
            "installed packages. Install the project (pip install -e .), or give script_location as a path."
        )
    candidates = [d.joinpath(*subpackages, *resource) for d in directories]
    return next((c for c in candidates if c.is_dir()), candidates[0])


def _project_root(start: Path) -> Path:
    """The nearest directory at or above ``start`` that looks like a project root; ``start`` itself otherwise."""
    markers = ("pyproject.toml", "setup.py", "setup.cfg", ".git")
    return next((d for d in (start, *start.parents) if any((d / m).exists() for m in markers)), start)


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
    if isinstance(operation, alembic_ops.AddConstraintOp):  # every subclass has a constraint_name
        return getattr(operation, "constraint_name", None) is not None
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

    def __init__(self, script: ScriptDirectory, destination: str, watchdog: _Watchdog) -> None:
        self.script = script
        self.destination = destination
        self.watchdog = watchdog
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
        self.watchdog.restart()  # each revision has the whole time limit

    @property
    def failing(self) -> RevisionStep | None:
        return self.pending[0] if self.pending else None


def _environment(
    cfg: Config, progress: _Progress, sandbox: _Sandbox | None = None, **kw: Any
) -> EnvironmentContext:
    """An EnvironmentContext whose ``op`` is :func:`_parity_operations` and which reports progress.

    Instance attributes replace ``configure`` and ``run_migrations`` before the module proxy (``alembic.context``)
    is installed, so a project's own ``env.py`` calls them too. Online, whatever ``env.py`` passes to
    ``configure`` (another connection, a URL) is replaced by the scratch connection of the ``sandbox``.
    """
    env = EnvironmentContext(cfg, progress.script, fn=progress.steps, destination_rev=progress.destination, **kw)
    plain_configure = env.configure

    def configure(
        connection: Any = None, url: Any = None, dialect_name: str | None = None, **options: Any
    ) -> None:
        if sandbox is not None:  # online: the scratch connection, whatever env.py asked for
            connection, url, dialect_name = sandbox.scratch_for(connection, url, dialect_name), None, None
            options.pop("dialect_opts", None)
        callbacks: list[Any] = list(options.pop("on_version_apply", None) or ())
        options["on_version_apply"] = [*callbacks, progress.applied_one]
        plain_configure(connection=connection, url=url, dialect_name=dialect_name, **options)

    def run_migrations(**options: Any) -> None:
        context = env.get_context()
        operations = _parity_operations(context)
        operations._install_proxy()
        try:
            context.run_migrations(**options)
        finally:
            operations._remove_proxy()

    env.configure = configure  # type: ignore[method-assign,assignment]
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
    env_py = Path(script.env_py_location) if use_env_py else None
    sandbox = _Sandbox(connection, env_py)
    watchdog = _Watchdog(project.revision_timeout, connection.connection.dbapi_connection)
    progress = _Progress(script, destination, watchdog)
    env = _environment(cfg, progress, sandbox)
    _Running.operation = None
    with _ctrl_c_watch() as pressed:
        try:
            # Revision scripts print progress; stdout belongs to the report (JSON, SARIF), so send it to stderr.
            with sandbox.installed(), watchdog.running(), env, contextlib.redirect_stdout(sys.stderr):
                if use_env_py:
                    script.run_env()
                else:
                    env.configure(connection=connection, target_metadata=None)
                    with env.begin_transaction():
                        env.run_migrations()
            sandbox.check()  # a refusal that env.py caught and ignored is still a failure
            watchdog.check()
        except BaseException as exc:
            failure = _failure(exc, progress, connection.dialect.name, env_py, pressed())
            if failure is exc:
                raise
            raise failure from exc
    return progress.applied


def _failure(
    exc: BaseException, progress: _Progress, dialect: str, env_py: Path | None, ctrl_c: bool
) -> BaseException:
    """The exception to raise for a failed run: a MigrationError naming the revision or env.py at fault.

    A real Ctrl-C stays a KeyboardInterrupt; after the time limit expired, whatever exception the stopped revision
    raised (an interrupted statement, the injected timeout) is reported as the timeout.
    """
    step = progress.failing
    if progress.watchdog.expired:
        return _timeout_failure(progress.watchdog.limit, step, env_py)
    if isinstance(exc, KeyboardInterrupt) and ctrl_c:
        return exc
    if isinstance(exc, MigrationError) or not isinstance(exc, (Exception, SystemExit, KeyboardInterrupt)):
        return exc
    if isinstance(exc, alembic_util.CommandError):
        return MigrationError(f"{progress.script.dir}: {exc}")
    return _migration_failure(exc, step, dialect, env_py)


def _migration_failure(
    exc: BaseException, step: RevisionStep | None, dialect: str, env_py: Path | None = None
) -> MigrationError:
    if step is None:
        if env_py is not None:
            return MigrationError(
                f"env.py ({env_py}) {_describe_failure(exc)} outside any revision. Fix env.py, or run without "
                "--use-env-py (schema-parity's own environment runs the revisions without it)."
            )
        return MigrationError(f"Alembic failed before any revision ran: {describe(exc)}")
    operation = _Running.operation
    what = _describe_operation(operation) if operation is not None else "the revision"
    revision = step.revision
    path = revision.path
    advice = "Fix the revision, or run it against the engine it was written for."
    if isinstance(exc, (SystemExit, KeyboardInterrupt)):
        advice = (
            "A revision, and every module it imports, must not exit the process: remove the sys.exit() call "
            "(raise an exception instead)."
        )
        return MigrationError(
            f"Revision {revision.revision} ({path}) {_describe_failure(exc)}. {advice}",
            revision=revision.revision,
            path=path,
        )
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


def _timeout_failure(limit: float | None, step: RevisionStep | None, env_py: Path | None) -> MigrationError:
    revision, path = (step.revision.revision, step.revision.path) if step is not None else (None, None)
    what = f"Revision {revision} ({path})" if step else f"env.py ({env_py})" if env_py else "The migration environment"
    return MigrationError(
        f"{what} ran longer than the time limit of {limit:g} s per revision and was stopped. If it really needs "
        "longer, raise the limit: --revision-timeout SECONDS (revision-timeout in [tool.schema-parity], "
        "schema_parity_revision_timeout in pytest's ini; 0 removes it).",
        revision=revision,
        path=path,
    )


# -- keeping user code away from other databases ------------------------------------------------------------------
#: Process-wide patches (SQLAlchemy's factories, driver connects) must not interleave between two runs.
_SANDBOX_LOCK = threading.RLock()
_TRUSTED = threading.local()
"""``depth`` > 0 while the tool's own code runs inside a sandboxed run (a signal handler dropping databases)."""


@contextlib.contextmanager
def trusted() -> Iterator[None]:
    """The tool's own code, interrupting a run (a signal handler): its connections are not redirected or refused."""
    _TRUSTED.depth = getattr(_TRUSTED, "depth", 0) + 1
    try:
        yield
    finally:
        _TRUSTED.depth -= 1
_ENGINE_FACTORIES = ("sqlalchemy", "sqlalchemy.engine", "sqlalchemy.engine.create")
_ASYNC_ENGINE_FACTORIES = ("sqlalchemy.ext.asyncio", "sqlalchemy.ext.asyncio.engine")
_DRIVERS = ("sqlite3", "sqlite3.dbapi2", "psycopg", "psycopg2")


class _Sandbox:
    """While the migrations run, every connection user code makes on this thread is the scratch connection.

    env.py (or a module it imports, or a revision) may build its own engine from application settings: the
    engines SQLAlchemy's factories return during the run are stand-ins for the scratch connection, and whatever
    ``context.configure`` receives is replaced by it. What cannot be redirected is refused before it connects: an
    Engine made before the run (an application module imported earlier) and a raw driver ``connect()``. So no
    revision ever runs on a database schema-parity did not create. Other threads are left alone.
    """

    def __init__(self, connection: sa.Connection, env_py: Path | None) -> None:
        self.connection = connection
        self.env_py = env_py
        self.scratch_url = connection.engine.url.render_as_string(hide_password=True)
        self.redirected: list[str] = []
        self.refused: list[str] = []
        self._thread = threading.get_ident()
        self._active = False
        self._engine = _ScratchEngine(connection)
        self._drivers: dict[ModuleType, Callable[..., Any]] = {}

    def _ours(self) -> bool:
        """Whether a connection made now is user code's, on the migrating thread (the tool's own code is trusted)."""
        return self._active and threading.get_ident() == self._thread and not getattr(_TRUSTED, "depth", 0)

    @contextlib.contextmanager
    def installed(self) -> Iterator[None]:
        with _SANDBOX_LOCK, _logging_restored(), contextlib.ExitStack() as stack:
            for name in _ENGINE_FACTORIES:
                for factory in ("create_engine", "engine_from_config"):
                    self._patch(stack, _module(name), factory, self._redirect, self._engine)
            for name in _ASYNC_ENGINE_FACTORIES if self._async_engines_possible() else ():
                for factory in ("create_async_engine", "async_engine_from_config"):
                    self._patch(stack, _module(name), factory, self._redirect, _ScratchAsyncEngine(self._engine))
            for name in _DRIVERS:
                module = _module(name)
                if module is not None:
                    self._drivers[module] = module.connect
                self._patch(stack, module, "connect", self._refuse_driver, name)
            for event, listener in (("do_connect", self._do_connect), ("engine_connect", self._engine_connect)):
                sa.event.listen(sa.engine.Engine, event, listener)
                stack.callback(sa.event.remove, sa.engine.Engine, event, listener)
            self._active = True
            stack.callback(setattr, self, "_active", False)  # runs first on exit
            if self.env_py is not None:
                _log.info("running %s; every connection it makes goes to the scratch database %s",
                          self.env_py, self.scratch_url)
            yield
        for what in self.redirected:  # after _logging_restored: env.py's fileConfig() may have silenced us
            _log.info("%s was redirected to the scratch database %s", what, self.scratch_url)

    def _async_engines_possible(self) -> bool:
        """Whether user code may make an async engine: SQLAlchemy's asyncio extension is loaded already, or could be
        by env.py (it needs greenlet). Importing it costs 0.2 s, and without greenlet a failed import leaves a
        half-imported package behind, so it is not imported otherwise."""
        if _ASYNC_ENGINE_FACTORIES[0] in sys.modules:
            return True
        return self.env_py is not None and importlib.util.find_spec("greenlet") is not None

    def check(self) -> None:
        if self.refused:
            raise MigrationError(self.refused[0])

    @staticmethod
    def _patch(
        stack: contextlib.ExitStack, module: ModuleType | None, name: str, wrap: Callable[..., Any], arg: Any
    ) -> None:
        original = getattr(module, name, None)
        if module is None or original is None:
            return
        setattr(module, name, wrap(original, name, arg))
        stack.callback(setattr, module, name, original)

    def scratch_for(self, connection: Any, url: Any, dialect_name: str | None) -> sa.Connection:
        """The connection ``context.configure`` gets, whatever env.py passed (noted when that was something else)."""
        if connection is not None and connection is not self.connection and not isinstance(connection, _Borrowed):
            url = getattr(getattr(connection, "engine", None), "url", connection)
            self.redirected.append(f"{self._who()}: context.configure(connection=<connection to {_masked(url)}>)")
        elif connection is None and (url is not None or dialect_name is not None):
            self.redirected.append(f"{self._who()}: context.configure(url={_masked(url) if url else dialect_name})")
        return self.connection

    def _redirect(self, original: Callable[..., Any], name: str, scratch: Any) -> Callable[..., Any]:
        @functools.wraps(original)
        def factory(*args: Any, **kwargs: Any) -> Any:
            if not self._ours():
                return original(*args, **kwargs)
            if name.endswith("from_config"):
                configuration = args[0] if args else kwargs.get("configuration", {})
                url = configuration.get((args[1] if len(args) > 1 else kwargs.get("prefix", "sqlalchemy.")) + "url")
            else:
                url = args[0] if args else kwargs.get("url")
            self.redirected.append(f"{self._who()}: {name}({_masked(url)}) at {_caller()}")
            return scratch

        return factory

    def _refuse_driver(self, original: Callable[..., Any], name: str, module: str) -> Callable[..., Any]:
        @functools.wraps(original)
        def connect(*args: Any, **kwargs: Any) -> Any:
            if not self._ours():
                return original(*args, **kwargs)
            # A sqlite3 argument is a file name; a psycopg one may carry a password, so it is not shown.
            shown = repr(args[0]) if module.startswith("sqlite3") and args else "..."
            raise self._refuse(
                f"{_caller()} opened a database connection with {module}.{name}({shown}), which cannot be "
                "redirected to the scratch database"
            )

        return connect

    def _do_connect(self, dialect: sa.Dialect, _record: Any, cargs: Sequence[Any], cparams: dict[str, Any]) -> Any:
        """A new DBAPI connection: the scratch engine's goes through (to the real driver), any other is refused."""
        if not self._ours():
            return None
        if dialect is self.connection.dialect:
            connect = self._drivers.get(dialect.loaded_dbapi)  # type: ignore[call-overload]
            return connect(*cargs, **cparams) if connect is not None else None
        target = [str(a) for a in cargs[:1]] + [
            f"{k}={cparams[k]}" for k in ("host", "port", "dbname", "database") if k in cparams
        ]
        raise self._refuse(
            "an Engine created before the migrations started (or by a create_engine imported before them, e.g. in "
            f"an application module) tried to connect to a {dialect.name} database ({', '.join(target)}) at "
            f"{_caller()}"
        )

    def _engine_connect(self, connection: sa.Connection) -> None:
        """A connection checked out of another engine's pool (no new DBAPI connection, so no do_connect)."""
        if self._ours() and connection.dialect is not self.connection.dialect:
            raise self._refuse(
                f"an Engine created before the migrations started tried to connect to "
                f"{_masked(connection.engine.url)} at {_caller()}"
            )

    def _who(self) -> str:
        return f"env.py ({self.env_py})" if self.env_py is not None else "a revision"

    def _refuse(self, what: str) -> MigrationError:
        if self.env_py is not None:
            advice = (
                'Make env.py use config.attributes["connection"], or build its engine inside env.py with '
                "engine_from_config()/create_engine() from the sqlalchemy.url option (schema-parity redirects "
                "those), or drop --use-env-py."
            )
        else:
            advice = "A revision must reach the database through op.get_bind() (or op.execute)."
        message = (
            f"{self._who()}: {what}. schema-parity refused it, so nothing ran on a database it did not create. "
            f"{advice}"
        )
        self.refused.append(message)
        return MigrationError(message)


def _module(name: str) -> ModuleType | None:
    """The module, imported now so that later imports by env.py see the patched functions; None if not installed."""
    try:
        return importlib.import_module(name) if importlib.util.find_spec(name.partition(".")[0]) else None
    except ImportError:  # installed but broken (psycopg2 without libpq): user code cannot connect with it either
        return None


def _masked(url: Any) -> str:
    """A URL fit for a message: the password hidden."""
    try:
        return sa.make_url(url).render_as_string(hide_password=True)
    except Exception:  # not a URL at all
        return type(url).__name__


def _caller() -> str:
    """``file:line`` of the user code that made the call (the first frame outside this module and SQLAlchemy)."""
    internal = (os.path.dirname(sa.__file__), __file__)
    frame: FrameType | None = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(internal):
        frame = frame.f_back
    return f"{frame.f_code.co_filename}:{frame.f_lineno}" if frame is not None else "unknown"


class _Borrowed:
    """What the scratch engine's ``connect()`` returns: the scratch connection, which env.py must not close."""

    def __init__(self, connection: sa.Connection) -> None:
        self._connection = connection

    def __enter__(self) -> sa.Connection:
        return self._connection

    def __exit__(self, *exc: object) -> None:
        return None  # the caller of upgrade() owns the connection

    def close(self) -> None:
        return None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._connection, name)


class _ScratchEngine:
    """The Engine every SQLAlchemy factory returns to user code during the run: the scratch connection."""

    def __init__(self, connection: sa.Connection) -> None:
        self._connection = connection

    def connect(self) -> _Borrowed:
        return _Borrowed(self._connection)

    @contextlib.contextmanager
    def begin(self) -> Iterator[sa.Connection]:
        if self._connection.in_transaction():
            yield self._connection
        else:
            with self._connection.begin():
                yield self._connection

    def dispose(self, close: bool = True) -> None:
        return None

    def __getattr__(self, name: str) -> Any:  # url, dialect, name, ...: the scratch engine's
        return getattr(self._connection.engine, name)


class _ScratchAsyncConnection:
    """An AsyncConnection stand-in: ``run_sync`` runs the function on the scratch connection, in this thread."""

    def __init__(self, connection: sa.Connection) -> None:
        self.sync_connection = connection
        self.dialect = connection.dialect

    async def __aenter__(self) -> _ScratchAsyncConnection:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    async def run_sync(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return fn(self.sync_connection, *args, **kwargs)

    async def commit(self) -> None:
        self.sync_connection.commit()

    async def close(self) -> None:
        return None


class _ScratchAsyncEngine:
    """What ``create_async_engine``/``async_engine_from_config`` return during the run (Alembic's async template)."""

    def __init__(self, engine: _ScratchEngine) -> None:
        self.sync_engine = engine

    def connect(self) -> _ScratchAsyncConnection:
        return _ScratchAsyncConnection(self.sync_engine._connection)

    @contextlib.asynccontextmanager
    async def begin(self) -> AsyncIterator[_ScratchAsyncConnection]:
        with self.sync_engine.begin() as connection:
            yield _ScratchAsyncConnection(connection)

    async def dispose(self, close: bool = True) -> None:
        return None

    def __getattr__(self, name: str) -> Any:
        return getattr(self.sync_engine, name)


@contextlib.contextmanager
def _logging_restored() -> Iterator[None]:
    """Put the logging configuration back after user code ran.

    The stock env.py calls ``logging.config.fileConfig(alembic.ini)``, which disables every logger that already
    exists (the caller's, pytest's caplog) and replaces the root handlers; inside a test session that would
    silence logging for every later test.
    """
    manager = logging.Logger.manager
    root = logging.getLogger()

    def loggers() -> list[logging.Logger]:
        return [root, *(lg for lg in list(manager.loggerDict.values()) if isinstance(lg, logging.Logger))]

    saved = {id(lg): (lg.level, list(lg.handlers), lg.propagate, lg.disabled) for lg in loggers()}
    disabled_below = manager.disable
    try:
        yield
    finally:
        for logger in loggers():  # a logger made during the run goes back to the defaults
            level, handlers, propagate, disabled = saved.get(id(logger), (logging.NOTSET, [], True, False))
            logger.level, logger.handlers[:], logger.propagate, logger.disabled = level, handlers, propagate, disabled
        logging.disable(disabled_below)  # also clears the loggers' cached levels


# -- time limit and interrupts ---------------------------------------------------------------------------------------
class _RevisionTimeout(BaseException):
    """Raised inside the migrating thread when a revision runs out of time (a BaseException: ``except Exception``
    in the revision must not swallow it)."""


class _Watchdog:
    """Stops a revision that runs longer than ``limit`` seconds.

    A timer thread, not ``signal.alarm``: signals reach only the main thread and do not exist on Windows, and a
    test session may migrate from a worker thread. On expiry it interrupts the running statement (sqlite3's
    ``interrupt()``, psycopg's ``cancel``), which Python code cannot do while a query runs in C, and raises
    :class:`_RevisionTimeout` in the migrating thread. The clock restarts at each revision.
    """

    def __init__(self, limit: float | None, dbapi_connection: Any = None) -> None:
        self.limit = limit
        self.expired = False
        self._dbapi_connection = dbapi_connection
        self._target = threading.get_ident()
        self._deadline = 0.0
        self._stopped = False
        self._changed = threading.Condition()

    def restart(self) -> None:
        with self._changed:
            self._deadline = time.monotonic() + (self.limit or 0.0)
            self._changed.notify()

    @contextlib.contextmanager
    def running(self) -> Iterator[None]:
        if self.limit is None:
            yield
            return
        self.restart()
        watcher = threading.Thread(target=self._watch, name="schema-parity revision time limit", daemon=True)
        watcher.start()
        try:
            yield
        finally:
            with self._changed:
                self._stopped = True
                self._changed.notify()
            watcher.join()
            if self.expired:  # withdraw the exception if it has not been raised yet; check() reports the timeout
                _raise_in(self._target, None)

    def check(self) -> None:
        """The revision finished as the limit expired (the exception was withdrawn): still a timeout."""
        if self.expired:
            raise _RevisionTimeout

    def _watch(self) -> None:
        with self._changed:
            while not self._stopped:
                remaining = self._deadline - time.monotonic()
                if remaining > 0:
                    self._changed.wait(remaining)
                    continue
                self.expired = True
                self._interrupt()
                _raise_in(self._target, _RevisionTimeout)
                return

    def _interrupt(self) -> None:
        """Abort the statement running on the migration's connection, if any (both calls are thread-safe)."""
        for name in ("interrupt", "cancel_safe", "cancel"):  # sqlite3; psycopg 3.2+; psycopg 3.0/3.1, psycopg2
            method = getattr(self._dbapi_connection, name, None)
            if method is not None:
                with contextlib.suppress(Exception):  # a connection already closed: nothing runs there
                    method()
                return


def _raise_in(thread_id: int, exc_type: type[BaseException] | None) -> None:
    """Raise ``exc_type`` in another thread at its next bytecode; None withdraws one not raised yet (CPython)."""
    ctypes.pythonapi.PyThreadState_SetAsyncExc(
        ctypes.c_ulong(thread_id), ctypes.py_object(exc_type) if exc_type is not None else None
    )


@contextlib.contextmanager
def _ctrl_c_watch() -> Iterator[Callable[[], bool]]:
    """Tell a real Ctrl-C (which must stay a KeyboardInterrupt, to stop the CLI or the test session) from user code
    raising KeyboardInterrupt (a failure of that code).

    SIGINT reaches only the main thread, and becomes a KeyboardInterrupt only through a Python handler: where
    either is missing, every KeyboardInterrupt comes from user code.
    """
    pressed: list[int] = []
    main = threading.current_thread() is threading.main_thread()
    previous = signal.getsignal(signal.SIGINT) if main else None
    if not callable(previous):
        yield lambda: False
        return

    def handler(signum: int, frame: FrameType | None) -> Any:
        pressed.append(signum)
        return previous(signum, frame)

    signal.signal(signal.SIGINT, handler)
    try:
        yield lambda: bool(pressed)
    finally:
        signal.signal(signal.SIGINT, previous)


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
    watchdog = _Watchdog(project.revision_timeout)
    progress = _Progress(project.script, destination, watchdog)
    env = _environment(cfg, progress, as_sql=True, starting_rev=None)
    notes: list[str] = []
    with _ctrl_c_watch() as pressed:
        try:
            with watchdog.running(), env, contextlib.redirect_stdout(sys.stderr):
                env.configure(
                    dialect_name=dialect, output_buffer=buffer, literal_binds=True, transactional_ddl=False
                )
                with env.begin_transaction():
                    env.run_migrations()
            watchdog.check()
        except BaseException as exc:
            if watchdog.expired or not isinstance(exc, Exception) or isinstance(exc, alembic_util.CommandError):
                failure = _failure(exc, progress, dialect, None, pressed())
                if failure is exc:
                    raise
                raise failure from exc
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
    return [step.revision for step in project.script._upgrade_revs(destination, None)]  # type: ignore[arg-type]


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
