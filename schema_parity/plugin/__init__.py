"""pytest plugin entry point (``pytest11``): thin hooks and fixtures over the pytest-free core.

pytest registers the hooks and fixtures it finds on this module, so each one is re-exported here.
"""

from __future__ import annotations

from schema_parity.plugin.fixtures import (
    schema_parity_alembic_config,
    schema_parity_cache,
    schema_parity_catalog,
    schema_parity_catalogs,
    schema_parity_connection,
    schema_parity_db_path,
    schema_parity_db_url,
    schema_parity_engine,
    schema_parity_migrator,
    schema_parity_pg_async_driver,
    schema_parity_pg_async_engine,
    schema_parity_pg_async_url,
    schema_parity_pg_connection,
    schema_parity_pg_engine,
    schema_parity_pg_server_url,
    schema_parity_pg_templates,
    schema_parity_pg_url,
    schema_parity_revision,
    schema_parity_template,
    schema_parity_use_env_py,
)
from schema_parity.plugin.hooks import (
    pytest_addoption,
    pytest_configure,
    pytest_make_collect_report,
    pytest_runtest_setup,
)
from schema_parity.plugin.xdist import pytest_configure_node, pytest_sessionfinish, pytest_testnodedown

__all__ = [
    "pytest_addoption",
    "pytest_configure",
    "pytest_configure_node",
    "pytest_make_collect_report",
    "pytest_runtest_setup",
    "pytest_sessionfinish",
    "pytest_testnodedown",
    "schema_parity_alembic_config",
    "schema_parity_cache",
    "schema_parity_catalog",
    "schema_parity_catalogs",
    "schema_parity_connection",
    "schema_parity_db_path",
    "schema_parity_db_url",
    "schema_parity_engine",
    "schema_parity_migrator",
    "schema_parity_pg_async_driver",
    "schema_parity_pg_async_engine",
    "schema_parity_pg_async_url",
    "schema_parity_pg_connection",
    "schema_parity_pg_engine",
    "schema_parity_pg_server_url",
    "schema_parity_pg_templates",
    "schema_parity_pg_url",
    "schema_parity_revision",
    "schema_parity_template",
    "schema_parity_use_env_py",
]
