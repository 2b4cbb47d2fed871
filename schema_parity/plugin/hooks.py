"""pytest hooks: command-line and ini options, the ``schema_parity`` marker, and reading the settings back.

Each feature registers its options in its own small function called from :func:`pytest_addoption`, so the
``--schema-parity`` check items (``items.py``) add one more block there and one collect hook here.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from schema_parity.template import TemplateCache

MARKER = "schema_parity"
MARKER_HELP = (
    "schema_parity(revision='head'): the schema-parity database fixtures build this test's database at this "
    "Alembic revision instead of head"
)
CACHE_DIR_ENV = "SCHEMA_PARITY_CACHE_DIR"
POSTGRES_URL_ENV = "SCHEMA_PARITY_POSTGRES_URL"
REQUIRE_PG_ENV = "SCHEMA_PARITY_REQUIRE_PG"
DEFAULT_CACHE_DIR = Path(".schema-parity") / "cache"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("schema-parity", "schema-parity: databases built by your real Alembic migrations")
    _add_fixture_options(parser, group)


def _add_fixture_options(parser: pytest.Parser, group: pytest.OptionGroup) -> None:
    group.addoption(
        "--schema-parity-rebuild",
        action="store_true",
        default=False,
        help="Rebuild the migrated template databases instead of reusing the cache (they rebuild by themselves "
        "when a revision script, env.py or alembic.ini changes).",
    )
    parser.addini(
        "schema_parity_alembic_config",
        "alembic.ini or pyproject.toml of the project, relative to the rootdir (default: found from the rootdir)",
    )
    parser.addini(
        "schema_parity_script_location",
        "Alembic script directory relative to the rootdir (overrides the config file's script_location)",
    )
    parser.addini(
        "schema_parity_use_env_py",
        "Run the project's env.py (handing it the connection) instead of the built-in environment",
        type="bool",
        default=False,
    )
    parser.addini(
        "schema_parity_cache_dir",
        f"Where migrated templates are cached (default: {DEFAULT_CACHE_DIR} under the rootdir; "
        f"${CACHE_DIR_ENV} wins)",
    )
    parser.addini(
        "schema_parity_postgres_url",
        f"PostgreSQL server URL (a maintenance database) for schema_parity_pg_url; ${POSTGRES_URL_ENV} wins",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", f"{MARKER}: {MARKER_HELP}")
    # Under xdist only the controller clears (before it starts the workers); the first worker then rebuilds once.
    if config.getoption("schema_parity_rebuild") and not hasattr(config, "workerinput"):
        TemplateCache(cache_dir(config)).clear()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Reject a malformed marker before any fixture runs, naming the test (a typo must not silently mean head)."""
    marker_revision(item)


def _marker_signature(revision: str = "head") -> str:
    """The marker's accepted arguments: Python's own call checking produces the message for anything else."""
    return revision


def marker_revision(node: pytest.Item) -> str | None:
    """The revision the closest ``schema_parity`` marker asks for, or None without a marker."""
    marker = node.get_closest_marker(MARKER)
    if marker is None:
        return None
    try:
        revision = _marker_signature(*marker.args, **marker.kwargs)
    except TypeError as exc:
        pytest.fail(f"{node.nodeid}: invalid @pytest.mark.{MARKER}(...): {exc}. Usage: {MARKER_HELP}", pytrace=False)
    if not isinstance(revision, str) or not revision:
        pytest.fail(
            f"{node.nodeid}: @pytest.mark.{MARKER}(revision=...) must be a revision id string, got {revision!r}",
            pytrace=False,
        )
    return revision


def ini_value(config: pytest.Config, name: str) -> str | None:
    """A string ini option, None when unset or blank."""
    value = str(config.getini(name) or "").strip()
    return value or None


def cache_dir(config: pytest.Config) -> Path:
    """``$SCHEMA_PARITY_CACHE_DIR``, else the ini option (relative to the rootdir), else ``.schema-parity/cache``."""
    configured = os.environ.get(CACHE_DIR_ENV) or ini_value(config, "schema_parity_cache_dir")
    return config.rootpath / (Path(configured) if configured else DEFAULT_CACHE_DIR)
