"""Catalogs of an Alembic project, cached by the content of its migrations, so a repeated check skips migrating.

A pre-commit hook or an editor runs the check on every save; the migrations rarely change between two runs. The
key is the project's fingerprint (every revision script, env.py, the config file, the library versions), the
revision and the dialect, so an edited migration is a new key and an old entry is never trusted.

The file name is a hash of the key, and each entry also stores the key itself: an entry copied (or restored from a
CI cache) over another key's file is read as a miss and rebuilt, never served for the wrong key.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path

from schema_parity.catalog import Catalog


def cached_catalog(cache_dir: Path | None, key_parts: tuple[str, ...], build: Callable[[], Catalog]) -> Catalog:
    """The Catalog stored under ``key_parts``, else ``build()`` stored atomically (a cache that cannot be
    written, or an entry that cannot be read or belongs to another key, only costs the build)."""
    if cache_dir is None:
        return build()
    key = hashlib.sha256("\0".join(key_parts).encode()).hexdigest()
    entry = cache_dir / f"{key}.json"
    stored = _read(entry, key_parts)
    if stored is not None:
        return stored
    catalog = build()
    temporary = entry.with_name(f"{entry.name}.{os.getpid()}.tmp")
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        ignore = cache_dir / ".gitignore"
        if not ignore.exists():
            ignore.write_text("# created by schema-parity\n*\n", encoding="utf-8")
        temporary.write_text(json.dumps({"key": list(key_parts), "catalog": catalog.to_dict()}), encoding="utf-8")
        os.replace(temporary, entry)
    except OSError:
        pass
    return catalog


def _read(entry: Path, key_parts: tuple[str, ...]) -> Catalog | None:
    """The entry's Catalog when the entry records exactly ``key_parts``; None for anything else."""
    try:
        data = json.loads(entry.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or data.get("key") != list(key_parts):
            return None
        return Catalog.from_dict(data["catalog"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
