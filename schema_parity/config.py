"""The one configuration: ``[tool.schema-parity]`` found from a directory upwards, every key checked, then overrides.

A project writes its settings once, and ``schema-parity check`` (in CI, in pre-commit, on a laptop) and
``pytest --schema-parity`` read them the same way, so the two always agree. Settings arrive in layers (:class:`Config`,
where ``None`` means "not set here"): the configuration file, then the command line or pytest's ini options as
overrides. :func:`resolve` merges them over the built-in defaults into one :class:`Settings`, the only shape the
rest of the tool reads. Relative paths are taken from the file's directory (the command line's are from the working
directory, pytest's ini options' from the rootdir), so the result does not depend on where the command is run.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, get_args

from schema_parity.catalog import DIALECTS, Dialect
from schema_parity.errors import ConfigError, read_text
from schema_parity.limits import DEFAULT_MAX_FILE_SIZE, DEFAULT_REVISION_TIMEOUT
from schema_parity.limits import NEWEST_POSTGRES as NEWEST
from schema_parity.limits import OLDEST_POSTGRES as OLDEST
from schema_parity.rules import RULES, Severity
from schema_parity.sources import SchemaOptions
from schema_parity.sources.postgres import POSTGRES_MODES

if TYPE_CHECKING:
    from schema_parity.wrappers import Wrapper

CONFIG_FILE = ".schema-parity.toml"
#: The per-file scan cache, under the project root (the migrated Catalogs live beside it, in ``catalogs/``).
CACHE_DIR = Path(".schema-parity") / "scan-cache"
PYPROJECT = "pyproject.toml"
TABLE = "schema-parity"
FORMATS = ("text", "json", "github", "sarif")
SEVERITIES: tuple[str, ...] = get_args(Severity)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Config:
    """Settings after validation; ``None`` means "not set here", so a lower layer's value stays in force."""

    source: Path | None = None
    paths: tuple[Path, ...] | None = None
    exclude: tuple[str, ...] | None = None
    alembic_config: Path | None = None
    script_location: Path | None = None
    ini_section: str | None = None
    revision: str | None = None
    use_env_py: bool | None = None
    schema_sql: tuple[Path, ...] | None = None
    database_url: str | None = None
    postgres_url: str | None = None
    postgres: str | None = None
    postgres_version: int | None = None
    postgres_keep_warm: float | None = None
    setup_sql: tuple[str, ...] | None = None
    metadata: str | None = None
    bootstrap: str | None = None
    bootstrap_schemas: tuple[str, ...] | None = None
    metadata_imports: tuple[str, ...] | None = None
    models: str | None = None
    histories: tuple[Mapping[str, Any], ...] | None = None
    """More Alembic histories of the project (``alembic_config``/``script_location``/``ini_section``), each site
    judged against the one that owns its table."""
    dialects: tuple[str, ...] | None = None
    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] | None = None
    severity: Mapping[str, Severity] = field(default_factory=dict)
    wrappers: tuple[Wrapper, ...] | None = None
    format: str | None = None
    baseline: Path | None = None
    report_unused_suppressions: bool | None = None
    jobs: int | None = None
    cache: bool | None = None
    revision_timeout: float | None = None
    """Seconds a revision may run; 0 (no limit) is kept as 0 here and means None downstream."""
    max_file_size: int | None = None
    verify: bool | None = None
    parity: tuple[Mapping[str, Any], ...] | None = None
    """Pairs of schema sources that must be one schema (``[[tool.schema-parity.parity]]``, docs/diff.md)."""
    deploy_from: str | None = None
    deploy_order: str | None = None


def _str(value: Any) -> bool:
    return isinstance(value, str)


def _strs(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _bool(value: Any) -> bool:
    return isinstance(value, bool)


def _int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _seconds(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0


#: toml key -> (Config attribute, type predicate, the expected type in words for the error message)
_KEYS: dict[str, tuple[str, Any, str]] = {
    "paths": ("paths", _strs, "a list of paths"),
    "exclude": ("exclude", _strs, "a list of glob patterns"),
    "alembic-config": ("alembic_config", _str, "a path"),
    "script-location": ("script_location", _str, "a path"),
    "ini-section": ("ini_section", _str, "a string"),
    "revision": ("revision", _str, "a string"),
    "use-env-py": ("use_env_py", _bool, "true or false"),
    "schema-sql": ("schema_sql", _strs, "a list of paths"),
    "database-url": ("database_url", _str, "a string"),
    "postgres-url": ("postgres_url", _str, "a PostgreSQL URL"),
    "postgres": ("postgres", lambda v: v in POSTGRES_MODES, f"one of {', '.join(POSTGRES_MODES)}"),
    "postgres-version": (
        "postgres_version",
        lambda v: _int(v) and OLDEST <= v <= NEWEST,
        f"a PostgreSQL major version from {OLDEST} to {NEWEST}",
    ),
    "postgres-keep-warm": ("postgres_keep_warm", _seconds, "a number of seconds"),
    "metadata": ("metadata", _str, "module:attribute of the project's MetaData, e.g. app.models:Base.metadata"),
    "metadata-imports": (
        "metadata_imports",
        _strs,
        "a list of modules to import, or module:function to call, before the MetaData is read",
    ),
    "histories": (
        "histories",
        lambda v: isinstance(v, list) and all(isinstance(h, dict) for h in v),
        "an array of tables ([[tool.schema-parity.histories]] with alembic-config, script-location, ini-section, "
        "bootstrap, bootstrap-schemas, metadata, metadata-imports)",
    ),
    "models": ("models", _str, "module:attribute of SQLAlchemy models (a MetaData or declarative base)"),
    "bootstrap": ("bootstrap", _str, "a revision (the one the models' create_all() stands for)"),
    "bootstrap-schemas": (
        "bootstrap_schemas",
        _strs,
        'a list of schema names whose tables the bootstrap creates ("" for tables without a schema)',
    ),
    "setup-sql": ("setup_sql", lambda v: _str(v) or _strs(v), "SQL text, or a list of statements"),
    "dialects": ("dialects", _strs, f"a list drawn from {', '.join(DIALECTS)}"),
    "select": ("select", _strs, "a list of rule codes or prefixes"),
    "ignore": ("ignore", _strs, "a list of rule codes or prefixes"),
    "severity": ("severity", lambda v: isinstance(v, dict), "a table of CODE = LEVEL"),
    "wrappers": (
        "wrappers",
        lambda v: isinstance(v, list) and all(isinstance(w, dict) for w in v),
        "an array of tables ([[tool.schema-parity.wrappers]] with function, table, ...)",
    ),
    "format": ("format", _str, f"one of {', '.join(FORMATS)}"),
    "baseline": ("baseline", _str, "a path"),
    "report-unused-suppressions": ("report_unused_suppressions", _bool, "true or false"),
    "jobs": ("jobs", _int, "a whole number (0 = one per CPU)"),
    "cache": ("cache", _bool, "true or false"),
    "revision-timeout": ("revision_timeout", _seconds, "a number of seconds (0 = no limit)"),
    "max-file-size": ("max_file_size", _int, "a number of bytes"),
    "verify": ("verify", _bool, "true or false"),
    "parity": (
        "parity",
        lambda v: isinstance(v, list) and all(isinstance(p, dict) for p in v),
        "an array of tables ([[tool.schema-parity.parity]] with a, b and ignore)",
    ),
    "deploy-from": ("deploy_from", _str, "an Alembic revision or a git ref"),
    "deploy-order": (
        "deploy_order",
        lambda v: v in ("any", "migrations-first", "code-first"),
        "one of any, migrations-first, code-first",
    ),
}
_PATH_KEYS = frozenset({"alembic_config", "script_location", "baseline"})

#: toml key -> (default, one-line meaning): docs/reference/configuration.md is generated from this and ``_KEYS``
#: (``python -m schema_parity.reference configuration``); tests/test_reference_docs.py fails on a key without one.
KEY_DOCS: dict[str, tuple[str, str]] = {
    "paths": ("the working directory", "files or directories scanned for upserts"),
    "exclude": ("none", "fnmatch patterns against the relative path and the file or directory name; a pattern with "
                "`/` is relative to the configuration file"),
    "alembic-config": ("found from the working directory upwards", "`alembic.ini`, or a `pyproject.toml` with "
                       "`[tool.alembic]`: the schema from the project's real migrations (the default source)"),
    "script-location": ("the Alembic config's", "the revisions directory, overriding (or replacing) the Alembic "
                        "config"),
    "ini-section": ("`alembic`", "the Alembic ini section, for projects with several histories in one file"),
    "revision": ("`head`", "the upgrade target the upserts are judged against"),
    "use-env-py": ("`false`", "run the project's `env.py` instead of the built-in environment"),
    "schema-sql": ("none", "the schema from DDL files replayed in order instead of migrations"),
    "database-url": ("none", "the schema reflected from this database (opened read-only) instead of migrations"),
    "postgres-url": ("`$SCHEMA_PARITY_POSTGRES_URL`, else a provisioned server", "the PostgreSQL server the "
                     "migrations run on for PostgreSQL's rules, in a scratch database created and dropped"),
    "postgres": ("`auto`", "whether a PostgreSQL server may (`auto`), must (`required`) or must not (`offline`) be "
                 "used"),
    "postgres-version": ("the server's", "production's PostgreSQL major version: a server of another version is "
                         "reported, and a key that version cannot create makes its sites unresolved"),
    "postgres-keep-warm": ("`0`", "seconds a provisioned cluster stays up after its last user"),
    "metadata": ("`env.py`'s `target_metadata`", "the project's MetaData (or declarative base), whose naming "
                 "convention names the constraints `op.*` creates"),
    "metadata-imports": ("none", "modules imported (or `module:function` called) before the MetaData of `metadata`, "
                         "`bootstrap` or `models` is read"),
    "histories": ("none", "the project's other Alembic histories: each site is judged against the one that owns "
                  "its table"),
    "models": ("none", "the schema from SQLAlchemy models (what `create_all()` builds) instead of a history"),
    "bootstrap": ("none", "a history that starts from `create_all()`: build the models, stamp this revision, run "
                  "the later revisions"),
    "bootstrap-schemas": ("every table of the MetaData", "the schemas whose tables the bootstrap's `create_all()` "
                          "builds (`\"\"`: tables without a schema)"),
    "setup-sql": ("none", "SQL run in each scratch PostgreSQL database before the migrations"),
    "dialects": ("both", "the engines whose rules apply"),
    "select": ('`["ALL"]`', "rule codes or prefixes to report"),
    "ignore": ("none", "rule codes or prefixes not to report (the more specific of `select` and `ignore` wins)"),
    "severity": ("each rule's own", "a rule's level: `error` (fails the run), `warning` or `info`"),
    "wrappers": ("none", "the project's own upsert functions, whose calls are checked like the upserts they make"),
    "format": ("`text`", "the report's format"),
    "baseline": ("none", "report only findings not recorded in this file"),
    "report-unused-suppressions": ("`false`", "report ignore comments that suppress nothing (SP904)"),
    "jobs": ("`1`", "parse files in this many processes"),
    "cache": ("`true`", "reuse the per-file scan results, the migrated Catalogs and whole runs' results in "
              "`.schema-parity/`"),
    "revision-timeout": (f"`{DEFAULT_REVISION_TIMEOUT:g}`", "seconds a revision may run before it is stopped (exit "
                         "2, naming it)"),
    "max-file-size": (f"`{DEFAULT_MAX_FILE_SIZE}`", "a scanned file larger than this is not read, and is reported "
                      "(SP903)"),
    "verify": ("`false`", "also run every resolved upsert on the engines and report where one disagrees with the "
               "static verdict (SP905)"),
    "parity": ("none", "pairs of schema sources that must be one schema, each a `pytest --schema-parity` item"),
    "deploy-from": ("none", "the Alembic revision production runs, or a git ref: judge the old code on the new schema "
                    "and the new code on the old one"),
    "deploy-order": ("`any`", "the order you deploy in: its findings are errors (`any`: errors only when no order is "
                     "safe)"),
}
_PATHS_KEYS = frozenset({"paths", "schema_sql"})


#: Keys that name the schema source: one given by an override replaces every one of the file's.
_SCHEMA_KEYS = ("alembic_config", "script_location", "schema_sql", "database_url", "models")


@dataclass(frozen=True)
class Settings:
    """The resolved configuration, defaults filled in: what a check runs with, from the CLI or from pytest."""

    root: Path
    """Where the run starts: the working directory (CLI) or pytest's rootdir. Relative scan paths are from here."""
    project_root: Path
    """The configuration file's directory (else ``root``): caches and baseline paths are anchored here."""
    source: Path | None
    paths: tuple[Path, ...]
    exclude: tuple[str, ...]
    schema: SchemaOptions
    histories: tuple[SchemaOptions, ...]
    """The project's other Alembic histories (``histories``), with the same settings as ``schema`` otherwise."""
    dialects: tuple[Dialect, ...]
    wrappers: tuple[Wrapper, ...]
    selection: RuleSelection
    format: str
    baseline: Path | None
    report_unused_suppressions: bool
    jobs: int
    cache: bool
    max_file_size: int
    verify: bool = False
    """Put every resolved upsert to the real engines too (``--verify``, docs/verify.md)."""
    parity: tuple[Mapping[str, Any], ...] = ()
    """Pairs of schema sources that must be one schema: ``a``, ``b`` (specs) and ``ignore`` (kinds)."""
    deploy_from: str | None = None
    """The Alembic revision (or git ref) production runs: judge both sides of the deploy (docs/deploy.md)."""
    deploy_order: str = "any"
    """The deploy order the project uses (``any``: exit 1 only when no order is safe)."""

    @property
    def cache_dir(self) -> Path | None:
        """The scan cache directory, or None when caching is off."""
        return self.project_root / CACHE_DIR if self.cache else None


def resolve(root: Path, *overrides: Config, config_file: Path | None = None, read_file: bool = True) -> Settings:
    """Defaults < the configuration file < each override in turn (see docs/configuration.md).

    The file is ``config_file`` when given, else the nearest one from ``root`` upwards (none with
    ``read_file=False``).
    """
    if not read_file:
        file = Config()
    elif config_file is not None:
        if not config_file.is_file():
            raise ConfigError(f"--config {config_file}: no such file")
        file = load_config(config_file)
    else:
        found = find_config(root)
        file = load_config(found) if found is not None else Config()
    if file.exclude and file.source is not None:
        file = replace(file, exclude=_rebase_globs(file.exclude, file.source.parent, root))
    merged = file
    for layer in overrides:
        merged = _merge(merged, layer)
    return _settings(merged, root, file.source)


def _merge(lower: Config, upper: Config) -> Config:
    """``upper``'s values over ``lower``'s: severities add up, and a schema source in ``upper`` replaces ``lower``'s."""
    chosen = {f.name: getattr(upper, f.name) for f in fields(Config) if getattr(upper, f.name) is not None}
    if any(key in chosen for key in _SCHEMA_KEYS):
        lower = replace(
            lower, alembic_config=None, script_location=None, schema_sql=None, database_url=None, models=None
        )
        if "schema_sql" in chosen or "database_url" in chosen:  # no migrations to run on a server then
            lower = replace(lower, postgres_url=None)
    chosen["severity"] = {**lower.severity, **upper.severity}
    chosen.pop("source", None)
    return replace(lower, **chosen)


def _settings(config: Config, root: Path, source: Path | None) -> Settings:
    timeout = DEFAULT_REVISION_TIMEOUT if config.revision_timeout is None else config.revision_timeout or None
    schema = SchemaOptions(
        alembic_config=config.alembic_config,
        script_location=config.script_location,
        ini_section=config.ini_section or "alembic",
        revision=config.revision or "head",
        use_env_py=bool(config.use_env_py),
        schema_sql=config.schema_sql or (),
        database_url=config.database_url,
        postgres_url=config.postgres_url,
        search_from=root,
        revision_timeout=timeout,
        postgres=config.postgres or "auto",  # type: ignore[arg-type]
        postgres_version=config.postgres_version,
        postgres_keep_warm=config.postgres_keep_warm or 0.0,
        setup_sql=config.setup_sql or (),
        metadata=config.metadata,
        bootstrap=config.bootstrap,
        bootstrap_schemas=config.bootstrap_schemas or (),
        metadata_imports=config.metadata_imports or (),
        models=config.models,
    )
    # A history's bootstrap revision is its own (a revision id of another history means nothing there); the MetaData
    # is the main one's unless the entry names another.
    fresh = {
        "alembic_config": None,
        "script_location": None,
        "ini_section": "alembic",
        "bootstrap": None,
        "bootstrap_schemas": (),
    }
    histories = tuple(replace(schema, **{**fresh, **history}) for history in config.histories or ())
    return Settings(
        root=root,
        project_root=source.parent if source is not None else root,
        source=source,
        paths=config.paths or (root,),
        exclude=config.exclude or (),
        schema=schema,
        histories=histories,
        dialects=tuple(config.dialects or DIALECTS),  # type: ignore[arg-type]
        wrappers=config.wrappers or (),
        selection=RuleSelection(select=config.select or ("ALL",), ignore=config.ignore or (), severity=config.severity),
        format=config.format or "text",
        baseline=config.baseline,
        report_unused_suppressions=bool(config.report_unused_suppressions),
        jobs=config.jobs if config.jobs is not None else 1,
        cache=config.cache is not False,
        max_file_size=config.max_file_size if config.max_file_size is not None else DEFAULT_MAX_FILE_SIZE,
        verify=bool(config.verify),
        parity=config.parity or (),
        deploy_from=config.deploy_from,
        deploy_order=config.deploy_order or "any",
    )


def _rebase_globs(patterns: tuple[str, ...], base: Path, root: Path) -> tuple[str, ...]:
    """Patterns with a ``/`` are relative to the config file; scanned paths are relative to the run's root."""
    prefix = Path(os.path.relpath(base, root)).as_posix()
    if prefix == ".":
        return patterns
    return tuple(f"{prefix}/{p}" if "/" in p.rstrip("/") else p for p in patterns)


def find_config(start: Path) -> Path | None:
    """The nearest ``.schema-parity.toml``, or ``pyproject.toml`` with a ``[tool.schema-parity]`` table."""
    for directory in (start.resolve(), *start.resolve().parents):
        dedicated = directory / CONFIG_FILE
        if dedicated.is_file():
            return dedicated
        pyproject = directory / PYPROJECT
        if pyproject.is_file() and TABLE in _read(pyproject).get("tool", {}):
            return pyproject
    return None


def load_config(path: str | os.PathLike[str]) -> Config:
    """Read and validate one file; a pyproject.toml must hold ``[tool.schema-parity]``."""
    path = Path(path)
    log.info("settings from %s", path)
    data = _read(path)
    if path.name == PYPROJECT:
        table = data.get("tool", {}).get(TABLE)
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: no [tool.{TABLE}] table")
        data = table
    return parse_table(data, path)


def parse_table(data: Mapping[str, Any], path: Path) -> Config:
    """Validate a table's keys and values (a typo must stop the run, not be silently ignored)."""
    where = f"{path}: [tool.{TABLE}]" if path.name == PYPROJECT else str(path)
    base = path.parent.resolve()
    values: dict[str, Any] = {"source": path.resolve()}
    for key, raw in data.items():
        if key not in _KEYS:
            raise ConfigError(f"{where}: unknown key {key!r} (known: {', '.join(sorted(_KEYS))})")
        attribute, valid, wording = _KEYS[key]
        value = raw
        if not valid(value):
            raise ConfigError(f"{where}: {key} must be {wording}, not {value!r}")
        if attribute in _PATH_KEYS:
            value = base / value
        elif attribute in _PATHS_KEYS:
            value = tuple(base / v for v in value)
        elif attribute == "dialects":
            value = _check_dialects(value, f"{where}: dialects")
        elif attribute in ("select", "ignore"):
            value = check_codes(value, f"{where}: {key}")
        elif attribute == "severity":
            value = check_severity(value, f"{where}: severity")
        elif attribute == "wrappers":
            value = _wrappers(value, f"{where}: wrappers")
        elif attribute == "histories":
            value = _histories(value, base, f"{where}: histories")
        elif attribute == "parity":
            value = _parity(value, f"{where}: parity")
        elif attribute == "format" and value not in FORMATS:
            raise ConfigError(f"{where}: format must be one of {', '.join(FORMATS)}, not {value!r}")
        elif attribute == "setup_sql":
            value = (value,) if isinstance(value, str) else tuple(value)
        elif isinstance(value, list):
            value = tuple(value)
        values[attribute] = value
    return Config(**values)


def check_codes(codes: Iterable[str], where: str) -> tuple[str, ...]:
    """Upper-cased codes; each must be ``ALL`` or a prefix of a registered rule code."""
    checked = []
    for raw in codes:
        code = raw.strip().upper()
        if code != "ALL" and not any(known.startswith(code) for known in RULES):
            raise ConfigError(f"{where}: {raw!r} is not a rule code or prefix (see `schema-parity rules`)")
        checked.append(code)
    return tuple(checked)


def check_severity(table: Mapping[str, Any], where: str) -> dict[str, Severity]:
    """``{code-or-prefix: level}``, validated."""
    checked: dict[str, Severity] = {}
    for code, level in table.items():
        (upper,) = check_codes([code], where)
        if level not in SEVERITIES:
            raise ConfigError(f"{where}: {code} = {level!r}: the level must be one of {', '.join(SEVERITIES)}")
        checked[upper] = level
    return checked


def _wrappers(tables: Sequence[Mapping[str, Any]], where: str) -> tuple[Wrapper, ...]:
    from schema_parity.wrappers import Wrapper  # only a configuration that lists wrappers needs it

    wrappers = []
    for number, table in enumerate(tables, start=1):
        try:
            wrappers.append(Wrapper.from_dict(table))
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"{where}: entry {number}: {exc}") from exc
        for earlier, other in enumerate(wrappers[:-1], start=1):
            if other.function == wrappers[-1].function and (
                other.dialect is None or wrappers[-1].dialect in (None, other.dialect)
            ):
                raise ConfigError(
                    f"{where}: entries {earlier} and {number} both describe {other.function} for the same engine: "
                    'give one entry, or one per engine (dialect = "postgresql" / "sqlite")'
                )
    return tuple(wrappers)


_HISTORY_KEYS = {
    "alembic-config": "alembic_config",
    "script-location": "script_location",
    "ini-section": "ini_section",
    "bootstrap": "bootstrap",
    "bootstrap-schemas": "bootstrap_schemas",
    "metadata": "metadata",
    "metadata-imports": "metadata_imports",
}


def _histories(tables: Sequence[Mapping[str, Any]], base: Path, where: str) -> tuple[Mapping[str, Any], ...]:
    """Each ``[[histories]]`` entry, its paths taken from the file's directory. ``bootstrap`` and ``metadata`` are
    the history's own: a history that starts from ``create_all()`` names its bootstrap revision here."""
    checked = []
    for number, table in enumerate(tables, start=1):
        unknown = set(table) - set(_HISTORY_KEYS)
        lists = {"bootstrap-schemas", "metadata-imports"}
        if (
            unknown
            or not table
            or not all(isinstance(v, str) for k, v in table.items() if k not in lists)
            or not all(_strs(table[k]) for k in lists & set(table))
        ):
            raise ConfigError(
                f"{where}: entry {number}: expected string values for {', '.join(_HISTORY_KEYS)} (a list of strings "
                f"for bootstrap-schemas and metadata-imports), got {dict(table)!r}"
            )
        entry: dict[str, Any] = {
            _HISTORY_KEYS[k]: tuple(v) if isinstance(v, list) else v for k, v in table.items()
        }
        for key in ("alembic_config", "script_location"):
            if key in entry:
                entry[key] = base / entry[key]
        checked.append(entry)
    return tuple(checked)


def _parity(tables: Sequence[Mapping[str, Any]], where: str) -> tuple[Mapping[str, Any], ...]:
    """Each ``[[parity]]`` entry: two source specs (checked now) and the kinds of difference to ignore."""
    from schema_parity.compare import KINDS
    from schema_parity.sources.spec import parse_spec

    checked = []
    for number, table in enumerate(tables, start=1):
        if set(table) - {"a", "b", "ignore"} or not all(isinstance(table.get(k), str) for k in ("a", "b")):
            raise ConfigError(f"{where}: entry {number}: expected a = SPEC, b = SPEC and ignore = [KIND, ...], "
                              f"got {dict(table)!r}")  # fmt: skip
        ignore = table.get("ignore", [])
        if not _strs(ignore) or set(ignore) - set(KINDS):
            raise ConfigError(f"{where}: entry {number}: ignore must be a list drawn from {', '.join(KINDS)}")
        for key in ("a", "b"):
            try:
                parse_spec(table[key])
            except ConfigError as exc:
                raise ConfigError(f"{where}: entry {number}: {key}: {exc}") from exc
        checked.append({"a": table["a"], "b": table["b"], "ignore": tuple(ignore)})
    return tuple(checked)


def _check_dialects(values: Sequence[str], where: str) -> tuple[str, ...]:
    for value in values:
        if value not in DIALECTS:
            raise ConfigError(f"{where}: {value!r} is not one of {', '.join(DIALECTS)}")
    return tuple(dict.fromkeys(values))


def _read(path: Path) -> dict[str, Any]:
    # tomllib is imported here: a check run without a configuration file does not need it.
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib

    text = read_text(path)  # TOML is UTF-8: other bytes are a ConfigError naming the file, not a crash
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from exc


@dataclass(frozen=True)
class RuleSelection:
    """Which rules report and at what level: ruff's model, where the most specific matching prefix wins."""

    select: tuple[str, ...] = ("ALL",)
    ignore: tuple[str, ...] = ()
    severity: Mapping[str, Severity] = field(default_factory=dict)

    def enabled(self, code: str) -> bool:
        """True when the longest matching ``select`` entry is longer than the longest matching ``ignore`` one."""
        return _longest(self.select, code) > _longest(self.ignore, code)

    def level(self, code: str, default: Severity) -> Severity:
        """The override of the most specific matching ``severity`` key, else ``default``."""
        best = max((k for k in self.severity if _matches(k, code)), key=len, default=None)
        return self.severity[best] if best is not None else default


def _matches(prefix: str, code: str) -> bool:
    return prefix == "ALL" or code.startswith(prefix)


def _longest(prefixes: Iterable[str], code: str) -> int:
    """Length of the longest prefix matching ``code`` (``ALL`` counts as 0), -1 when none does."""
    return max((0 if p == "ALL" else len(p) for p in prefixes if _matches(p, code)), default=-1)
