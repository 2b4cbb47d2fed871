"""Caches that cannot lie: entries keyed by content, published atomically, each recording the key it was made for.

Every cache of the tool (per-file scan results, migrated Catalogs, migrated SQLite templates) lives in a directory
under ``.schema-parity/`` that carries its own ``.gitignore``, is written by renaming a private temporary file into
place (a concurrent reader sees all of an entry or none of it), and is read only after checking that the entry is
the one asked for: a file copied, restored from a CI cache, or truncated is a miss, never a wrong answer. A cache
that cannot be written (a read-only checkout) only costs the work it would have saved.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["JsonEntries", "ensure_cache_dir", "publish"]


def ensure_cache_dir(directory: Path, what: str) -> None:
    """Create ``directory`` (and parents) with a ``.gitignore`` that keeps it out of version control."""
    directory.mkdir(parents=True, exist_ok=True)
    ignore = directory / ".gitignore"
    if not ignore.exists():
        ignore.write_text(f"# created by schema-parity: {what}, safe to delete\n*\n", encoding="utf-8")


def publish(target: Path, write: Callable[[Path], None]) -> None:
    """Have ``write`` fill a temporary file private to this process beside ``target``, then rename it into place."""
    temporary = target.with_name(f".{target.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
    try:
        write(temporary)
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)


class JsonEntries:
    """JSON entries in one directory, one file per key (a hex digest), each recording its key.

    ``fanout`` spreads entries over 256 subdirectories (``ab/abcd....json``), for caches with an entry per file.
    """

    def __init__(self, directory: Path, what: str, *, fanout: bool = False) -> None:
        self.directory = directory
        self.what = what
        self.fanout = fanout

    def path(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}.json" if self.fanout else self.directory / f"{key}.json"

    def load(self, key: str) -> Any:
        """The payload stored for ``key``; None when absent, unreadable, or recorded for another key."""
        try:
            data = json.loads(self.path(key).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(data, dict) or data.get("key") != key:
            return None
        return data.get("payload")

    def store(self, key: str, payload: Any) -> None:
        """Store ``payload`` (JSON data) for ``key``; a cache that cannot be written is skipped silently."""
        target = self.path(key)
        text = json.dumps({"key": key, "payload": payload}, separators=(",", ":"))

        def write(path: Path) -> None:
            path.write_text(text, encoding="utf-8")

        try:
            ensure_cache_dir(self.directory, self.what)
            target.parent.mkdir(exist_ok=True)
            publish(target, write)
        except OSError:
            return
