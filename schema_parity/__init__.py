"""schema-parity: test databases built by the real Alembic migrations, and every ON CONFLICT checked against them."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from schema_parity.catalog import Catalog, Column, Key, KeyElement, Table

try:
    __version__ = version("schema-parity")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+unknown"

__all__ = ["Catalog", "Column", "Key", "KeyElement", "Table", "__version__"]


def __getattr__(name: str) -> object:
    """``assert_schema_parity`` (schema_parity.diff) imported on first use: the package itself stays light."""
    if name == "assert_schema_parity":
        from schema_parity.diff import assert_schema_parity

        return assert_schema_parity
    raise AttributeError(f"module 'schema_parity' has no attribute {name!r}")
