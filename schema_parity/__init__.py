"""schema-parity: test databases built by the real Alembic migrations, and every ON CONFLICT checked against them."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from schema_parity.catalog import Catalog, Column, Key, KeyElement, Table
    from schema_parity.diff import assert_schema_parity as assert_schema_parity

    __version__: str

__all__ = ["Catalog", "Column", "Key", "KeyElement", "Table", "__version__"]

_CATALOG = frozenset({"Catalog", "Column", "Key", "KeyElement", "Table"})


def __getattr__(name: str) -> object:
    """Everything is imported on first use, so that importing the package costs nothing: a replayed warm run
    (schema_parity.results) imports no more than the standard library."""
    if name == "__version__":
        from schema_parity.version import version

        found = version()
        globals()["__version__"] = found
        return found
    if name in _CATALOG:
        from schema_parity import catalog

        return getattr(catalog, name)
    if name == "assert_schema_parity":
        from schema_parity.diff import assert_schema_parity as assert_schema_parity

        return assert_schema_parity
    raise AttributeError(f"module 'schema_parity' has no attribute {name!r}")
