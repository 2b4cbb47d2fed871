"""Catalogs of an Alembic project, cached by the content of its migrations, so a repeated check skips migrating.

A pre-commit hook or an editor runs the check on every save; the migrations rarely change between two runs. The
key is the project's fingerprint (every file of the history, the config file, the library versions), the revision
and the dialect, so an edited migration is a new key and an old entry is never trusted. Entries record their key
(see :mod:`schema_parity.caches`): one copied over another key's file is a miss, never served for the wrong key.
"""

from __future__ import annotations

import hashlib
from dataclasses import fields
from pathlib import Path

from schema_parity.caches import JsonEntries
from schema_parity.catalog import Catalog, Column, Key, KeyElement, Table, Uncertain, UserType


def store_catalog(cache_dir: Path | None, key_parts: tuple[str, ...], catalog: Catalog) -> None:
    """Keep ``catalog`` under ``key_parts`` for the next run (no cache: nothing)."""
    if cache_dir is not None:
        JsonEntries(cache_dir, "migrated Catalogs").store(_digest(key_parts), catalog.to_dict())


def stored_catalog(cache_dir: Path | None, key_parts: tuple[str, ...]) -> Catalog | None:
    """The Catalog stored under ``key_parts``, or None (no cache, no entry, or an entry of an older format)."""
    if cache_dir is None:
        return None
    stored = JsonEntries(cache_dir, "migrated Catalogs").load(_digest(key_parts))
    if stored is None:
        return None
    try:
        return Catalog.from_dict(stored)
    except (ValueError, KeyError, TypeError, AttributeError):
        return None


def _digest(key_parts: tuple[str, ...]) -> str:
    return hashlib.sha256("\0".join((*key_parts, _FORMAT)).encode()).hexdigest()


#: The Catalog's shape: an entry stored before a field was added would read back with the field's default.
_FORMAT = "|".join(
    f"{cls.__name__}:{','.join(f.name for f in fields(cls))}"
    for cls in (Catalog, Table, Column, Key, KeyElement, Uncertain, UserType)
)
