"""A project's real Alembic revision scripts, run to build a schema: the project, the runner, and their guards.

``project``: where the revisions live and what the schema depends on (the cache key). ``runner``: upgrading a
connection, or producing offline SQL. ``batch``: SQLite's constraint and column changes through batch mode.
``sandbox``: no connection user code makes reaches another database. ``watchdog``: a time limit per revision.
"""

from __future__ import annotations

from schema_parity.sources.alembic.project import AlembicProject
from schema_parity.sources.alembic.runner import (
    applied_heads,
    catalog_at,
    catalogs_at,
    current_revision,
    in_history_order,
    offline_sql,
    offline_sqls,
    upgrade,
    upgrade_engine,
)
from schema_parity.sources.alembic.sandbox import sqlite_memory_connection, trusted

__all__ = [
    "AlembicProject",
    "applied_heads",
    "catalog_at",
    "catalogs_at",
    "current_revision",
    "in_history_order",
    "offline_sql",
    "offline_sqls",
    "sqlite_memory_connection",
    "trusted",
    "upgrade",
    "upgrade_engine",
]
