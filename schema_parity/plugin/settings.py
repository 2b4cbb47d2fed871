"""The pytest side of the one configuration: ``[tool.schema-parity]``, with pytest's ini options as overrides.

The fixtures and the ``--schema-parity`` items read the same :class:`~schema_parity.config.Settings` as
``schema-parity check`` does from the same directory, so the two always agree. An ini option that is set replaces
the file's value for that key, as a command-line option does for the CLI; relative paths in ini options are taken
from the rootdir.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from schema_parity.catalog import DIALECTS
from schema_parity.config import Config, Settings, resolve
from schema_parity.deploy import DEPLOY_ORDERS
from schema_parity.limits import DEFAULT_REVISION_TIMEOUT
from schema_parity.limits import NEWEST_POSTGRES as NEWEST
from schema_parity.limits import OLDEST_POSTGRES as OLDEST

__all__ = ["add_setting_options", "ini_layer", "ini_value", "settings"]

_SETTINGS = pytest.StashKey[Settings]()


def add_setting_options(parser: pytest.Parser) -> None:
    """The ini options that override ``[tool.schema-parity]`` keys (each has the file key's name)."""
    parser.addini(
        "schema_parity_alembic_config",
        "alembic.ini or pyproject.toml of the project, relative to the rootdir (overrides alembic-config)",
    )
    parser.addini(
        "schema_parity_script_location",
        "Alembic script directory relative to the rootdir (overrides script-location)",
    )
    parser.addini(
        "schema_parity_use_env_py",
        "Run the project's env.py instead of the built-in environment (overrides use-env-py)",
        type="bool",
        default=None,
    )
    parser.addini(
        "schema_parity_revision_timeout",
        f"Seconds a revision may run before it is stopped (default {DEFAULT_REVISION_TIMEOUT:g}; 0: no limit; "
        "overrides revision-timeout)",
    )
    parser.addini(
        "schema_parity_paths", "Paths scanned for upserts, relative to the rootdir (overrides paths)", type="paths"
    )
    parser.addini("schema_parity_exclude", "Glob patterns of paths not scanned (overrides exclude)", type="linelist")
    parser.addini(
        "schema_parity_dialects", "Dialects whose rules apply: postgresql, sqlite (overrides dialects)", type="linelist"
    )
    parser.addini("schema_parity_revision", "Revision the upserts are checked against (overrides revision)")
    parser.addini(
        "schema_parity_postgres_version",
        "Production's PostgreSQL major version, e.g. 15 (overrides postgres-version)",
    )
    parser.addini(
        "schema_parity_deploy_from",
        "The Alembic revision production runs, or a git ref: one more item per upsert, judged on both sides of the "
        "deploy (overrides deploy-from)",
    )
    parser.addini(
        "schema_parity_deploy_order",
        f"The order you deploy in: {', '.join(DEPLOY_ORDERS)} (overrides deploy-order)",
    )


def ini_value(config: pytest.Config, name: str) -> str | None:
    """A string ini option, None when unset or blank."""
    value = str(config.getini(name) or "").strip()
    return value or None


def ini_layer(config: pytest.Config) -> Config:
    """The ini options that are set, as a configuration layer; a malformed value is a usage error."""
    root = config.rootpath

    def path(name: str) -> Path | None:
        value = ini_value(config, name)
        return root / value if value else None

    dialects = [d.strip() for d in config.getini("schema_parity_dialects") if d.strip()]
    unknown = [d for d in dialects if d not in DIALECTS]
    if unknown:
        raise pytest.UsageError(
            f"schema_parity_dialects: unknown dialect(s) {', '.join(unknown)}; choose from {', '.join(DIALECTS)}"
        )
    paths = tuple(Path(p) for p in config.getini("schema_parity_paths"))
    exclude = tuple(config.getini("schema_parity_exclude"))
    use_env_py = config.getini("schema_parity_use_env_py")
    return Config(
        paths=paths or None,
        exclude=exclude or None,
        alembic_config=path("schema_parity_alembic_config"),
        script_location=path("schema_parity_script_location"),
        revision=ini_value(config, "schema_parity_revision"),
        use_env_py=None if use_env_py is None else bool(use_env_py),
        dialects=tuple(dict.fromkeys(dialects)) or None,
        revision_timeout=_revision_timeout(config),
        postgres_version=_postgres_version(config),
        deploy_from=ini_value(config, "schema_parity_deploy_from"),
        deploy_order=_deploy_order(config),
    )


def _deploy_order(config: pytest.Config) -> str | None:
    raw = ini_value(config, "schema_parity_deploy_order")
    if raw is not None and raw not in DEPLOY_ORDERS:
        raise pytest.UsageError(f"schema_parity_deploy_order = {raw!r}: expected one of {', '.join(DEPLOY_ORDERS)}")
    return raw


def _postgres_version(config: pytest.Config) -> int | None:
    raw = ini_value(config, "schema_parity_postgres_version")
    if raw is None:
        return None
    if not raw.isdigit() or not OLDEST <= int(raw) <= NEWEST:
        raise pytest.UsageError(
            f"schema_parity_postgres_version = {raw!r}: expected a PostgreSQL major version from {OLDEST} to {NEWEST}"
        )
    return int(raw)


def _revision_timeout(config: pytest.Config) -> float | None:
    raw = ini_value(config, "schema_parity_revision_timeout")
    if raw is None:
        return None
    try:
        seconds = float(raw)
    except ValueError:
        seconds = -1.0
    if not seconds >= 0:
        raise pytest.UsageError(f"schema_parity_revision_timeout = {raw!r}: expected a number of seconds (0: no limit)")
    return seconds


def settings(config: pytest.Config) -> Settings:
    """The session's resolved settings, read once; a problem in the configuration file raises a ConfigError."""
    if _SETTINGS not in config.stash:
        config.stash[_SETTINGS] = resolve(config.rootpath, ini_layer(config))
    return config.stash[_SETTINGS]
