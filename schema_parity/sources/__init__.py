"""Schema sources behind one façade: a Catalog for a dialect at a revision, from whichever source is configured.

The sources are the project's Alembic migrations (run on SQLite, offline as PostgreSQL DDL, or on a PostgreSQL
server), DDL files replayed (``ddl``) and a live database reflected read-only (``reflect``). :class:`Schema`
chooses among them from :class:`SchemaOptions`, builds each Catalog once, and caches migrated Catalogs across
runs by the content of the migrations. Everything downstream (the check, the reports, the pytest items) reads
Catalogs only. Each source module is imported when first needed: a check without migrations never loads Alembic.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from schema_parity.sources.schema import Schema, SchemaOptions, Unavailable

__all__ = ["Schema", "SchemaOptions", "Unavailable"]


def __getattr__(name: str) -> Any:
    """The façade's classes, from ``sources.schema`` on first use: a process that only migrates or reflects (a
    first catalog, a template) imports this package without building them."""
    if name in __all__:
        from schema_parity.sources import schema

        return getattr(schema, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
