"""Installed versions, read from the distributions' metadata on first use (nothing is imported to ask).

A module of its own, importing only the standard library, so that the modules that stamp a version into a cache
key, a baseline or a report need not import the ``schema_parity`` package's lazy exports (and, through them, the
modules that import them back), nor the library whose version they record.
"""

from __future__ import annotations

import functools


@functools.cache
def installed(distribution: str) -> str | None:
    """The installed version of ``distribution``; None when it has no metadata (vendored, or run from a source tree
    that was not installed). Read once per process: importlib.metadata parses the whole METADATA file on every
    call (about 0.5 ms), and a cache key is stamped once per project loaded."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as read

    try:
        return read(distribution)
    except PackageNotFoundError:
        return None


@functools.cache
def version() -> str:
    """schema-parity's own version."""
    return installed("schema-parity") or "0.0.0+unknown"
