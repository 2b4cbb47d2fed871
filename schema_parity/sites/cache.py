"""Per-file scan results cached by content, so that a big tree is parsed again only where it changed.

A SQLAlchemy or wrapper site can depend on another module (where its table is defined), so such a file is keyed by
the whole tree's Python files as well: editing a model re-parses those files, never serves a stale table. The cache
holds JSON (not pickle: a cache restored in CI from a fork's run must not run code), one file per entry, written
atomically by ``schema_parity.caches``, so concurrent runs can share it.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
from pathlib import Path

from schema_parity.caches import JsonEntries
from schema_parity.sites import FileScan, ScanProblem, Site
from schema_parity.suppressions import Directive


@functools.cache
def _salt() -> bytes:
    """Part of every key: a new version, or a change of the Site fields, must not read old entries. Computed on first
    use: the version comes from importlib.metadata, which a check without a cache does not otherwise import."""
    from schema_parity.version import version

    return f"{version()}|{','.join(f.name for f in dataclasses.fields(Site))}|".encode()


class ScanCache:
    """The entries of one scan: ``settings`` (the wrappers, the file size limit...) are part of every key."""

    def __init__(self, directory: Path, root: Path, settings: object) -> None:
        self._entries = JsonEntries(directory, "per-file scan results", fanout=True)
        self._salt = _salt() + repr(settings).encode() + b"|"
        self._tree = hashlib.sha256(str(root).encode())  # every Python file's name and bytes
        self._tree_key: bytes | None = None

    def add_module(self, name: str, data: bytes) -> None:
        """Count one Python file of the tree (all of them before the first ``key``): what a table lookup may read."""
        self._tree.update(name.encode() + b"\0" + hashlib.sha256(data).digest())

    def key(self, name: str, suffix: str, data: bytes, *, wide: bool) -> str:
        """The entry of a file with these bytes; ``wide`` when its sites may depend on other modules of the tree."""
        if self._tree_key is None:
            self._tree_key = self._tree.hexdigest().encode()
        scope = self._tree_key + name.encode() if wide else b""
        return hashlib.sha256(self._salt + suffix.encode() + b"|" + scope + b"|" + data).hexdigest()

    def load(self, key: str, name: str) -> FileScan | None:
        """The cached result re-labelled with ``name`` (identical files elsewhere share an entry); None on a miss."""
        data = self._entries.load(key)
        if data is None:
            return None
        try:
            return FileScan(
                sites=tuple(Site(**{**site, "path": name}) for site in data["sites"]),
                problems=tuple(ScanProblem(name, line, message) for line, message in data["problems"]),
                directives=tuple(Directive.from_json(name, d) for d in data["directives"]),
            )
        except (ValueError, KeyError, TypeError):
            return None  # written by an older version: parse again

    def store(self, key: str, scanned: FileScan) -> None:
        self._entries.store(
            key,
            {
                "sites": [dataclasses.asdict(site) for site in scanned.sites],
                "problems": [[p.line, p.message] for p in scanned.problems],
                "directives": [d.to_json() for d in scanned.directives],
            },
        )
