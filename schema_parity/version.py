"""The installed version of schema-parity, read once from the package metadata on first use.

A module of its own, importing only the standard library, so that the modules that stamp the version into a cache
key, a baseline or a report need not import the ``schema_parity`` package's lazy exports (and, through them, the
modules that import them back).
"""

from __future__ import annotations

import functools


@functools.cache
def version() -> str:
    """The distribution's version (importlib.metadata, some 30 ms: read only when asked for)."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    try:
        return installed("schema-parity")
    except PackageNotFoundError:  # running from a source tree that was not installed
        return "0.0.0+unknown"
