"""pytest hooks: command-line and ini options, the markers (``markers.py``), and reading the settings back.

Each feature registers its options in its own small function called from :func:`pytest_addoption`, so the
``--schema-parity`` check items (``items.py``) add one more block there and one collect hook here.
"""

from __future__ import annotations

import os
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

from schema_parity.plugin.capture import add_capture_options
from schema_parity.plugin.capture import start as start_capture
from schema_parity.plugin.items import add_check_options, checks_collector, enabled
from schema_parity.plugin.markers import MARKER, MARKERS
from schema_parity.plugin.settings import add_setting_options, ini_layer, ini_value
from schema_parity.sources.postgres import POSTGRES_URL_ENV
from schema_parity.sources.server import SecretURL
from schema_parity.template import TemplateCache

MARKER_HELP = MARKERS[MARKER].ini_line
CACHE_DIR_ENV = "SCHEMA_PARITY_CACHE_DIR"
REQUIRE_PG_ENV = "SCHEMA_PARITY_REQUIRE_PG"
DEFAULT_CACHE_DIR = Path(".schema-parity") / "cache"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("schema-parity", "schema-parity: databases built by your real Alembic migrations")
    add_setting_options(parser)
    _add_fixture_options(parser, group)
    add_check_options(parser, group)
    add_capture_options(parser, group)


def _add_fixture_options(parser: pytest.Parser, group: pytest.OptionGroup) -> None:
    group.addoption(
        "--schema-parity-rebuild",
        action="store_true",
        default=False,
        help="Rebuild the migrated template databases instead of reusing the cache (they rebuild by themselves "
        "when a revision script, env.py or alembic.ini changes).",
    )
    parser.addini(
        "schema_parity_cache_dir",
        f"Where migrated templates are cached (default: {DEFAULT_CACHE_DIR} under the rootdir; "
        f"${CACHE_DIR_ENV} wins)",
    )
    parser.addini(
        "schema_parity_postgres_url",
        f"PostgreSQL server URL (a maintenance database) for the schema_parity_pg_* fixtures; ${POSTGRES_URL_ENV} "
        "wins; unset: the server schema-parity check provisions (the embedded server)",
    )


def pytest_configure(config: pytest.Config) -> None:
    ini_layer(config)  # a malformed ini value stops the session here, not inside every test that uses it
    for marker in MARKERS.values():
        config.addinivalue_line("markers", marker.ini_line)
    config.pluginmanager.register(MaskedComparisons(), "schema_parity-masked-comparisons")
    # Under xdist only the controller clears (before it starts the workers); the first worker then rebuilds once.
    if config.getoption("schema_parity_rebuild") and not hasattr(config, "workerinput"):
        TemplateCache(cache_dir(config)).clear()
    start_capture(config)


class MaskedComparisons:
    """Explains a failed comparison with a :class:`SecretURL` on its masked text.

    A URL's ``repr`` masks its password, but pytest's explanation of ``url == other`` diffs the strings
    themselves; this hands pytest's own explanation the masked URL instead.
    """

    @pytest.hookimpl(tryfirst=True)
    def pytest_assertrepr_compare(self, config: pytest.Config, op: str, left: Any, right: Any) -> list[str] | None:
        if not isinstance(left, SecretURL) and not isinstance(right, SecretURL):
            return None
        left, right = (side.masked if isinstance(side, SecretURL) else side for side in (left, right))
        explanations = config.hook.pytest_assertrepr_compare(config=config, op=op, left=left, right=right)
        return next((lines for lines in explanations if lines), [f"{left!r} {op} {right!r}"])


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(
    collector: pytest.Collector,
) -> Generator[None, pytest.CollectReport, pytest.CollectReport]:
    """The check items are collected like the project's tests: the session's collection gets the ``schema-parity``
    collector first, so ``collected N items`` counts them and ``-k``/``-m`` deselection sees them."""
    report = yield
    if isinstance(collector, pytest.Session) and report.passed and enabled(collector.config):
        report.result.insert(0, checks_collector(collector))
    return report


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Reject a malformed marker before any fixture runs, naming the test (a typo must not silently mean head)."""
    _marker_arguments(item)


def _marker_signature(revision: str = "head", transaction: bool = False) -> tuple[str, bool]:
    """The marker's accepted arguments: Python's own call checking produces the message for anything else."""
    return revision, transaction


def _marker_arguments(node: pytest.Item) -> tuple[str, bool] | None:
    """The closest ``schema_parity`` marker's (revision, transaction), checked; None without a marker."""
    marker = node.get_closest_marker(MARKER)
    if marker is None:
        return None
    try:
        revision, transaction = _marker_signature(*marker.args, **marker.kwargs)
    except TypeError as exc:
        pytest.fail(f"{node.nodeid}: invalid @pytest.mark.{MARKER}(...): {exc}. Usage: {MARKER_HELP}", pytrace=False)
    if not isinstance(revision, str) or not revision:
        pytest.fail(
            f"{node.nodeid}: @pytest.mark.{MARKER}(revision=...) must be a revision id string, got {revision!r}",
            pytrace=False,
        )
    if not isinstance(transaction, bool):
        pytest.fail(
            f"{node.nodeid}: @pytest.mark.{MARKER}(transaction=...) must be True or False, got {transaction!r}",
            pytrace=False,
        )
    return revision, transaction


def marker_revision(node: pytest.Item) -> str | None:
    """The revision the closest ``schema_parity`` marker asks for, or None without a marker."""
    arguments = _marker_arguments(node)
    return None if arguments is None else arguments[0]


def marker_transaction(node: pytest.Item) -> bool:
    """Whether the closest ``schema_parity`` marker asks for a database the test may commit to."""
    arguments = _marker_arguments(node)
    return arguments is not None and arguments[1]


def cache_dir(config: pytest.Config) -> Path:
    """``$SCHEMA_PARITY_CACHE_DIR``, else the ini option (relative to the rootdir), else ``.schema-parity/cache``."""
    configured = os.environ.get(CACHE_DIR_ENV) or ini_value(config, "schema_parity_cache_dir")
    return config.rootpath / (Path(configured) if configured else DEFAULT_CACHE_DIR)
