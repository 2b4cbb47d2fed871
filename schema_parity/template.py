"""Migrated SQLite templates, built once and copied per test (pytest-free, so any runner can use it).

Running a project's migrations costs milliseconds per revision; copying the migrated file costs microseconds. A
:class:`TemplateCache` keeps one migrated file per (project content, revision, env.py mode) in a directory, builds
it at most once across processes (pytest-xdist workers share it through a file lock) and never lets a half-built
file be trusted: a build writes a private temporary file, fsyncs it and renames it into place, so a template path
either does not exist or holds a complete migration. :func:`fresh_copy` gives each test its own copy.

A template is verified before it is reused, because a cache directory outlives the process that wrote it (a CI
cache restored under the wrong names, a disk that filled up, a file a test wrote to, a directory created by
mistake). The record a template is checked against is its own file name, which carries a digest: the first 128
bits of the SHA-256 of the key (project location and content hash, resolved revision, env.py mode) followed by
the file's bytes. Published by the same ``rename`` as the bytes, it cannot disagree with them after a crash, and
it binds the bytes to the key, so a file copied over another key's name fails too. SQLite itself has no place for
such a record that the tests would not see (``PRAGMA user_version`` and ``application_id`` belong to the
application's own migrations, a table would show up in every test), and a side-car file would need its own
atomic update. A new build is checked with ``PRAGMA quick_check`` before it is published; after that, a matching
digest proves the file is byte for byte the one that passed. The digest is computed once per file (inode, size,
mtime) per process. Whatever fails (a truncated or garbage file, a directory, an older schema) is deleted and
rebuilt under the lock; nothing of it ever reaches a test.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import sqlite3
import stat
import uuid
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import filelock
import sqlalchemy as sa

from schema_parity.caches import ensure_cache_dir
from schema_parity.errors import SchemaParityError
from schema_parity.sources.alembic import AlembicProject, upgrade_engine

__all__ = ["DEFAULT_LOCK_TIMEOUT", "TemplateCache", "fresh_copy", "project_id"]

#: Seconds to wait for another *live* process building the same project; a killed builder's lock is released by
#: the operating system at once (flock), so this only bounds a hung peer.
DEFAULT_LOCK_TIMEOUT = 600.0

_SUFFIX = ".sqlite3"
_BUILDING = ".building"
_DIGEST_HEX = 32

#: Files whose digest matched, by path, with the (device, inode, size, mtime) they had then: each file is hashed
#: once per process, and again only if it changes.
_VERIFIED: dict[Path, tuple[int, int, int, int]] = {}


@dataclass(frozen=True)
class _Key:
    """What a template is a function of, and the parts of its file name that come from it."""

    project_id: str
    fingerprint: str
    revision: str
    use_env_py: bool

    @property
    def prefix(self) -> str:
        """``<project id>-<content hash>``: every template of one project version starts with it."""
        return f"{self.project_id}-{self.fingerprint[:16]}"

    @property
    def ending(self) -> str:
        return f"-{_safe(self.revision)}{'-envpy' if self.use_env_py else ''}{_SUFFIX}"

    def name(self, digest: str) -> str:
        return f"{self.prefix}-{digest}{self.ending}"

    def digest_in(self, name: str) -> str | None:
        """The digest a file name of this key carries, None for a name of another key."""
        match = re.fullmatch(rf"{re.escape(self.prefix)}-([0-9a-f]{{{_DIGEST_HEX}}}){re.escape(self.ending)}", name)
        return match.group(1) if match else None

    def digest(self, path: Path) -> str:
        """SHA-256 of the key and then the file's bytes, shortened to the length a file name carries."""
        digest = hashlib.sha256(
            "\0".join((self.project_id, self.fingerprint, self.revision, str(self.use_env_py), "")).encode()
        )
        with open(path, "rb") as file:
            while chunk := file.read(1 << 20):
                digest.update(chunk)
        return digest.hexdigest()[:_DIGEST_HEX]


class TemplateCache:
    """Migrated SQLite files keyed by the project's content hash, the revision and the env.py mode.

    An instance remembers the paths it resolved, so repeated ``get`` calls in one process cost a ``stat`` instead
    of re-hashing every revision script; a new instance (a new test session) re-hashes and notices edits.
    """

    def __init__(self, cache_dir: Path, *, lock_timeout: float = DEFAULT_LOCK_TIMEOUT) -> None:
        self.cache_dir = Path(cache_dir)
        self.lock_timeout = lock_timeout
        self._resolved: dict[tuple[AlembicProject, str, bool], Path] = {}

    def get(
        self, project: AlembicProject, revision: str = "head", *, use_env_py: bool = False, rebuild: bool = False
    ) -> Path:
        """The template migrated to ``revision``; built (and older builds of this project pruned) when missing or
        when the file found fails verification.

        ``rebuild=True`` builds it again even when a valid file exists. A failing revision raises
        :class:`~schema_parity.errors.MigrationError` (naming the revision, chained to the original exception)
        and leaves no template behind.
        """
        memo_key = (project, revision, use_env_py)
        known = self._resolved.get(memo_key)
        if known is not None and not rebuild and _verified_before(known):
            return known
        key = _Key(project_id(project), project.fingerprint(), project.resolve(revision), use_env_py)
        path = None if rebuild else self._find(key)
        if path is None:
            path = self._build(project, key, rebuild=rebuild)
        self._resolved[memo_key] = path
        return path

    def clear(self) -> int:
        """Delete every template in the directory (``--schema-parity-rebuild``); return how many were removed.

        Anything with a template's name goes, whatever it is (a file, garbage, a directory), and so do the files
        of interrupted builds. Lock files stay: deleting a lock another process holds would let a third process
        lock a new inode.
        """
        if not self.cache_dir.is_dir():
            return 0
        removed = 0
        for path in self.cache_dir.iterdir():
            if path.name.endswith(_SUFFIX) or _BUILDING in path.name:
                _remove(path)
                removed += path.name.endswith(_SUFFIX)
        return removed

    def _find(self, key: _Key) -> Path | None:
        """A file of this key whose digest matches, or None."""
        if not self.cache_dir.is_dir():
            return None
        for path in sorted(self.cache_dir.glob(f"{key.prefix}-*{key.ending}")):
            if _verified(path, key):
                return path
        return None

    def _build(self, project: AlembicProject, key: _Key, *, rebuild: bool) -> Path:
        ensure_cache_dir(self.cache_dir, "migrated templates")
        lock_path = self.cache_dir / f"{key.project_id}.lock"
        try:
            with filelock.FileLock(lock_path, timeout=self.lock_timeout):
                found = None if rebuild else self._find(key)  # a peer built it while this process waited
                if found is not None:
                    return found
                self._remove_leftovers(key)
                building = self.cache_dir / f".{key.project_id}-{uuid.uuid4().hex}{_BUILDING}"
                try:
                    _migrate(building, project, key.revision, use_env_py=key.use_env_py)
                    _quick_check(building)
                    _fsync(building)
                    path = self.cache_dir / key.name(key.digest(building))
                    for entry in self.cache_dir.glob(f"{key.prefix}-*{key.ending}"):
                        if entry != path and key.digest_in(entry.name) is not None:
                            _remove(entry)  # this key's garbage, or the previous build when rebuilding
                    if _identity(path) is None:
                        _remove(path)  # a directory under the very name (a file there holds these bytes)
                    os.replace(building, path)
                finally:
                    building.unlink(missing_ok=True)
                _fsync(self.cache_dir)
        except filelock.Timeout as exc:
            raise SchemaParityError(
                f"Waited {self.lock_timeout:.0f} s for another process building migrated templates under "
                f"{self.cache_dir}. If no test run is active, that process hung: stop it, or delete {lock_path}."
            ) from exc
        _remember(path)
        return path

    def _remove_leftovers(self, key: _Key) -> None:
        """Under the project lock: drop builds of older project content and files of interrupted builds."""
        for path in self.cache_dir.glob(f"{key.project_id}-*{_SUFFIX}"):
            if not path.name.startswith(key.prefix + "-"):
                _remove(path)
        for path in self.cache_dir.glob(f".{key.project_id}-*{_BUILDING}*"):
            _remove(path)


def _verified(path: Path, key: _Key) -> bool:
    """Whether ``path`` is a regular file whose bytes match the digest its name carries for ``key``."""
    expected = key.digest_in(path.name)
    if expected is None:
        return False
    if _verified_before(path):
        return True
    if _identity(path) is None:
        return False
    try:
        matches = key.digest(path) == expected
    except OSError:  # unreadable, or replaced by a directory meanwhile
        return False
    if matches:
        _remember(path)
    return matches


def _verified_before(path: Path) -> bool:
    """Whether this process verified ``path`` and it has not changed since (the cost of a ``stat``)."""
    identity = _identity(path)
    return identity is not None and _VERIFIED.get(path) == identity


def _remember(path: Path) -> None:
    identity = _identity(path)
    if identity is not None:
        _VERIFIED[path] = identity


def _identity(path: Path) -> tuple[int, int, int, int] | None:
    """(device, inode, size, mtime) of a regular file; None for anything else or nothing."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    if not stat.S_ISREG(st.st_mode):
        return None
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def _remove(path: Path) -> None:
    """Delete a file, a symbolic link or a whole directory at ``path``; nothing there is fine."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)
    _VERIFIED.pop(path, None)


def _quick_check(path: Path) -> None:
    """Refuse to publish a build SQLite does not read back as sound (a full disk, a failing device)."""
    with closing(sqlite3.connect(path)) as connection:
        result = [row[0] for row in connection.execute("PRAGMA quick_check")]
    if result != ["ok"]:
        raise SchemaParityError(
            f"The migrated template built in {path.parent} failed SQLite's quick_check ({'; '.join(result[:3])}). "
            "Check the disk (space, errors), then run again."
        )


def _migrate(path: Path, project: AlembicProject, revision: str, *, use_env_py: bool) -> None:
    """Run the migrations into a new file without per-commit fsyncs.

    The file is private until it is renamed into place after one final fsync, and a crash only ever loses a file
    nobody trusts, so SQLite's durability work per revision (synchronous=FULL, an on-disk journal) buys nothing
    here. Neither setting is stored in the file: copies open with SQLite's defaults.
    """
    engine = sa.create_engine(f"sqlite:///{path}")

    @sa.event.listens_for(engine, "connect")
    def _no_durability(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute("PRAGMA synchronous = OFF")
        dbapi_connection.execute("PRAGMA journal_mode = MEMORY")

    try:
        upgrade_engine(engine, project, revision, use_env_py=use_env_py)
    finally:
        engine.dispose()


def fresh_copy(template: Path, dest: Path) -> Path:
    """Copy ``template`` to ``dest`` for one test and return ``dest``.

    ``copy_file_range`` copies inside the kernel (and reflinks on filesystems that can, such as btrfs and XFS),
    measured at ~80 µs for a small schema on ext4 against ~95 µs for ``shutil.copyfile``; it falls back to
    ``shutil.copyfile`` where the call is missing or refused. The cost follows the file's size (about one page
    per table and index), not the number of revisions that built it.
    """
    copy_range = getattr(os, "copy_file_range", None)
    if copy_range is not None:
        try:
            with open(template, "rb") as source, open(dest, "wb") as target:
                remaining = os.fstat(source.fileno()).st_size
                while remaining > 0:
                    copied = copy_range(source.fileno(), target.fileno(), remaining)
                    if copied == 0:
                        break
                    remaining -= copied
            if remaining == 0:
                return dest
        except OSError:  # EXDEV/ENOSYS/EINVAL on old kernels or special filesystems
            pass
    shutil.copyfile(template, dest)
    return dest


def project_id(project: AlembicProject) -> str:
    """Stable per project location (not content), so a new build can prune the same project's older ones (and the
    PostgreSQL templates of xdist workers are named per project)."""
    identity = f"{project.script_location}\0{project.config_path}\0{project.ini_section}"
    return f"{_safe(project.script_location.parent.name)[:40]}_{hashlib.sha256(identity.encode()).hexdigest()[:10]}"


def _safe(text: str) -> str:
    """A file-name-safe form of a revision id; a short hash keeps ids that differ only in odd characters apart."""
    cleaned = re.sub(r"[^A-Za-z0-9_]", "_", text)
    return cleaned if cleaned == text else f"{cleaned}_{hashlib.sha256(text.encode()).hexdigest()[:6]}"


def _fsync(path: Path) -> None:
    """Flush a file (or a directory entry) to disk, so a rename never publishes a file whose data is not there."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
