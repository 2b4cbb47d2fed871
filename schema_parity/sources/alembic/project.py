"""An Alembic project: where its revisions live, how Alembic is configured for it, and what its schema depends on.

Read from ``alembic.ini`` or ``[tool.alembic]`` in pyproject.toml, with Alembic's own rules (``%(here)s``,
``version_locations`` and their separators, package resources), but without running anything of the project's
until revisions are loaded: a package resource is found without importing the package, and a missing versions
directory is a configuration error rather than an empty history.
"""

from __future__ import annotations

import configparser
import hashlib
import importlib.machinery
import importlib.util
import io
import logging
import os
import re
import sys
import traceback
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import alembic
import sqlalchemy as sa
from alembic import util as alembic_util
from alembic.config import Config
from alembic.script import Script, ScriptDirectory

from schema_parity import compat
from schema_parity.errors import ConfigError, MigrationError, describe, mask_secrets
from schema_parity.limits import DEFAULT_REVISION_TIMEOUT
from schema_parity.sources.alembic.terminal import asked_for_input, no_terminal
from schema_parity.sources.alembic.watchdog import ctrl_c_watch

try:  # Python 3.11+
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python 3.10
    import tomli as tomllib  # type: ignore[no-redef,import-not-found,unused-ignore]

__all__ = ["AlembicProject", "describe_failure"]

_log = logging.getLogger("schema_parity.sources.alembic")

#: Installed libraries and the standard library: not where a user's import went wrong.
_LIBRARIES = (Path(sa.__file__).parents[1], Path(os.__file__).parent)


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
    metadata: str | None = None
    """``module:attribute`` of the project's MetaData (for its naming convention); else read from env.py."""
    bootstrap: str | None = None
    """A history that starts from ``create_all()``: a fresh database is built from the MetaData and stamped at this
    revision, and only the later revisions run."""
    bootstrap_schemas: tuple[str, ...] = ()
    """The schemas whose tables the bootstrap creates (``""``: tables without a schema); empty: every table."""
    metadata_imports: tuple[str, ...] = ()
    """Modules imported (or ``module:function`` called) before the MetaData is read: they register the models."""

    @classmethod
    def load(
        cls,
        path: str | Path | None = None,
        *,
        script_location: str | Path | None = None,
        ini_section: str = "alembic",
        search_from: Path | None = None,
        revision_timeout: float | None = DEFAULT_REVISION_TIMEOUT,
        metadata: str | None = None,
        bootstrap: str | None = None,
        bootstrap_schemas: tuple[str, ...] = (),
        metadata_imports: tuple[str, ...] = (),
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
                metadata=metadata,
                bootstrap=bootstrap,
                bootstrap_schemas=bootstrap_schemas,
                metadata_imports=metadata_imports,
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
        extra: tuple[tuple[str, str], ...] = ()
        if not location and _is_script_directory(config_path.parent):
            # Flask-Migrate's layout: migrations/alembic.ini beside env.py and versions/, script_location set in code.
            # `flask db` imports the application from the project root, so revisions that import it find it there
            # without an install: the directory holding migrations/, or, when that is a package, the directory
            # holding its top-level package (never a package's own directory: its modules would shadow others).
            location = str(config_path.parent)
            root = config_path.parent.parent
            while (root / "__init__.py").is_file() and root.parent != root:
                root = root.parent
            if "prepend_sys_path" not in options:
                extra = (("prepend_sys_path", str(root)),)
        if not location:
            raise ConfigError(
                (
                    f"{config_path}: no script_location in section [{ini_section}]"
                    if config_path.suffix != ".toml"
                    else f"{config_path}: no script_location in [tool.alembic]"
                )
                + ": give the directory of the revisions with --script-location (script-location), or choose "
                "the ini section that has it with --ini-section (ini-section)"
            )
        here = config_path.parent
        what = f"{config_path}: script_location"
        resolved = _locate(str(location).replace("%(here)s", str(here)), here, what)
        versions = _version_locations(options, here, f"{config_path}: version_locations")
        return cls(
            script_location=_existing_dir(resolved.resolve(), what),
            config_path=config_path,
            ini_section=ini_section,
            options=((("version_locations", os.pathsep.join(versions)),) if versions else ()) + extra,
            revision_timeout=revision_timeout,
            metadata=metadata,
            bootstrap=bootstrap,
            bootstrap_schemas=bootstrap_schemas,
            metadata_imports=metadata_imports,
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
            if not compat.ALEMBIC_TOML:
                raise ConfigError(
                    f"{self.config_path}: Alembic reads [tool.alembic] from pyproject.toml from version 1.16 on, and "
                    f"this environment has Alembic {alembic.__version__}: upgrade it, or give an alembic.ini"
                )
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
        with ctrl_c_watch() as pressed, no_terminal():
            try:
                script.revision_map.heads  # noqa: B018 - imports every revision module now, where errors are caught
            except (Exception, SystemExit, KeyboardInterrupt) as exc:  # ImportError, a typo, sys.exit() ...
                if isinstance(exc, KeyboardInterrupt) and pressed():
                    raise  # a real Ctrl-C stays one
                raise MigrationError(_import_failure(exc, (self.script_location, *self.version_dirs))) from exc
        return script

    @property
    def metadata_reference(self) -> str | None:
        """``module:attribute`` of the project's MetaData: configured, else env.py's ``target_metadata``."""
        from schema_parity.sources.metadata import env_py_metadata

        return self.metadata or env_py_metadata(self.script_location / "env.py")

    @property
    def import_paths(self) -> list[Path]:
        """Where the application's modules are imported from: the config's directory, the project root, their src/."""
        base = self.config_path.parent if self.config_path is not None else self.script_location.parent
        root = _project_root(base)
        return [base, base / "src", root, root / "src"]

    def knows(self, revision: str) -> bool:
        """Whether ``revision`` is in this history (a statement in another history's revision file is not).
        ``head`` always is: a history with several heads fails on it in :meth:`resolve`, with the heads named."""
        if revision in ("head", "heads", "base"):
            return True
        try:
            return self.script.get_revision(revision) is not None
        except alembic_util.CommandError:  # unknown id, or an ambiguous prefix
            return False

    def before_bootstrap(self, revision: str) -> bool:
        """Whether ``revision`` comes before the bootstrap revision (its schema is not built: the models stand for
        the history up to the bootstrap)."""
        if self.bootstrap is None or revision in ("head", "heads"):
            return False
        stamped = self.resolve(self.bootstrap)
        resolved = self.resolve(revision)
        if resolved == stamped:
            return False
        ancestors = {s.revision for s in self.script.revision_map.iterate_revisions(stamped, "base")}
        return resolved in ancestors

    def builds_on(self, applied: Iterable[str], revision: str) -> bool:
        """Whether a database at the ``applied`` heads can be upgraded to ``revision`` by adding revisions only:
        every applied head is ``revision`` or one of its ancestors. Otherwise Alembic would apply the target's
        branch beside the applied one, and the schema would hold both branches' objects."""
        ancestors = self.ancestors(revision)
        return all(head in ancestors for head in applied)

    def ancestors(self, revision: str) -> set[str]:
        """The revisions a database at ``revision`` has run: the revision itself and every one it builds on."""
        target = self.resolve(revision)
        if target in ("head", "heads"):
            target_ids: tuple[str, ...] = self.heads()
        elif target == "base":
            target_ids = ()
        else:
            target_ids = (target,)
        return {s.revision for s in self.script.revision_map.iterate_revisions(target_ids, "base")}

    @cached_property
    def naming_convention(self) -> Mapping[str, Any] | None:
        """The naming convention Alembic applies to ``op.*`` constraints: the configured MetaData's, else that of
        env.py's ``target_metadata`` (None when there is none, or env.py's cannot be imported)."""
        from schema_parity.sources.metadata import naming_convention

        reference = self.metadata_reference
        if reference is None:
            return None
        try:
            return naming_convention(reference, self.import_paths, self.metadata_imports)
        except ConfigError as exc:
            if self.metadata is not None:
                raise
            _log.info("env.py's target_metadata is not used (its naming convention names constraints): %s", exc)
            return None

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

        from schema_parity.version import installed, version

        digest = hashlib.sha256()
        # sqlglot parses the offline DDL; its version comes from the metadata, since importing sqlglot for its
        # ``__version__`` cost a tenth of a second in every process that builds a template, which needs no SQL parser
        parser = installed("sqlglot") or ""
        libraries = (
            version(),
            alembic_pkg.__version__,
            sa.__version__,
            parser,
            sqlite3.sqlite_version,
            sys.version,
        )
        digest.update(repr(libraries).encode())
        files, _directories = self._fingerprinted()
        for name, path in files:
            if name.startswith("models/"):
                break
            _digest_file(digest, name, path)
        settings = (self.options, self.metadata, self.metadata_imports, self.bootstrap, self.bootstrap_schemas)
        digest.update(repr(settings).encode())
        for name, path in files:
            if name.startswith("models/"):  # with a bootstrap, the models build the database
                _digest_file(digest, name, path)
        return digest.hexdigest()

    def input_paths(self) -> list[Path]:
        """Every file the fingerprint reads and every directory whose listing decides which files those are: what
        a replayed whole-run result (``schema_parity.results``) is checked against."""
        files, directories = self._fingerprinted()
        return [*directories, *(path for _, path in files)]

    def _fingerprinted(self) -> tuple[list[tuple[str, Path]], list[Path]]:
        """The files the fingerprint digests, named as it names them (config, then models), and the directories
        listed to find them."""
        # Files are named relative to their root, so the key does not depend on where the project is checked out
        # (and the config file may live anywhere, e.g. beside rather than above the script location).
        files: list[tuple[str, Path]] = []
        directories: list[Path] = []
        roots = [("script_location", self.script_location), *(("version_location", d) for d in self.version_dirs)]
        for label, root in roots:
            directories.append(root)
            for path in sorted(root.rglob("*")):
                relative = path.relative_to(root)
                if "__pycache__" in relative.parts:
                    continue  # bytecode caches change without the source changing
                if path.is_file():
                    files.append((f"{label}/{relative.as_posix()}", path))
                elif path.is_dir():
                    directories.append(path)
        if self.config_path is not None:
            files.append(("config", self.config_path))
        if self.bootstrap is not None:  # the models build the database: their source is part of what it depends on
            for name, path in self._model_files():
                files.append((f"models/{name}", path))
                directories.append(path.parent)
        return files, directories

    def _model_files(self) -> list[tuple[str, Path]]:
        """The source files of the models' module (its whole package directory when it is in one), found without
        importing it; a model defined in another package is not seen (docs/migrations.md says so)."""
        reference = self.metadata_reference
        if reference is None:
            return []
        module = reference.partition(":")[0]
        spec = importlib.machinery.PathFinder.find_spec(module.partition(".")[0], [str(p) for p in self.import_paths])
        if spec is None or spec.origin is None:
            return []
        top = Path(spec.origin).parent if spec.submodule_search_locations else Path(spec.origin)
        files = sorted(top.rglob("*.py")) if top.is_dir() else [top]
        return [(f.relative_to(top.parent).as_posix(), f) for f in files if "__pycache__" not in f.parts]


def _digest_file(digest: Any, name: str, path: Path) -> None:
    content = path.read_bytes()
    digest.update(f"{name}\0{len(content)}\0".encode())  # name and length: no two file lists hash alike
    digest.update(content)


def _import_failure(exc: BaseException, roots: Sequence[Path]) -> str:
    """Name the revision file whose import failed (the innermost traceback frame inside the scripts' directories)."""
    culprit = raised_at = None
    for frame, line in traceback.walk_tb(exc.__traceback__):
        filename = Path(frame.f_code.co_filename)
        if any(filename.is_relative_to(root) for root in roots):
            culprit = f"{filename}:{line}"
        if not str(filename).startswith("<") and not any(filename.is_relative_to(d) for d in _LIBRARIES):
            raised_at = f"{filename}:{line}"
    where = f"{culprit}" if culprit else f"a revision file under {roots[0]}"
    if isinstance(exc, (SystemExit, KeyboardInterrupt)):
        return (
            f"{where} {describe_failure(exc)} while being imported. A revision file, and every module it "
            "imports, must not exit the process: remove the sys.exit() call (raise an exception instead)."
        )
    missing = f" (module {exc.name!r} is not installed)" if isinstance(exc, ModuleNotFoundError) and exc.name else ""
    origin = f" at {raised_at}" if raised_at and raised_at != culprit else ""
    message = mask_secrets(str(exc)).strip()
    detail = f"{type(exc).__name__}: {message}" if message else type(exc).__name__
    if "\n" in detail:  # a multi-line error (a settings validation listing every missing field) is kept whole
        detail = detail.replace("\n", "\n    ")
    if asked_for_input(exc):
        advice = (
            "It asked for input on the terminal while being imported; revisions are imported without a terminal: "
            "give it what it asks for another way (an environment variable or a setting it reads)."
        )
    else:
        advice = (
            "Revision scripts are imported as Python modules; install what they import (the application's "
            "dependencies), set the environment the application's settings need, or remove the import from the "
            "revision."
        )
    return f"{where} cannot be imported{missing}: {detail} (raised{origin or ' there'}). {advice}"


def describe_failure(exc: BaseException) -> str:
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
        flask = directory / "migrations" / "alembic.ini"  # Flask-Migrate keeps it inside the migrations directory
        if flask.is_file() and _is_script_directory(flask.parent):
            return flask
    raise ConfigError(
        f"No alembic.ini (or pyproject.toml with [tool.alembic]) in {start} or its parents. "
        "Pass --alembic-config PATH, or --schema-sql / --database-url for another schema source."
    )


def _is_script_directory(directory: Path) -> bool:
    """An Alembic script directory: ``env.py`` beside ``versions/``."""
    return (directory / "env.py").is_file() and (directory / "versions").is_dir()


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        data: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
        return data
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


