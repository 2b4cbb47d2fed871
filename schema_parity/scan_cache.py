"""Scanning a big tree quickly: per-file results cached by content, and cache misses parsed in parallel.

Every file is still read (its bytes are the cache key), but only files that mention ``conflict``, a wrapper's name
or a suppression comment are worth anything, and of those only the ones whose bytes changed since the last run are
parsed again. A SQLAlchemy or wrapper site can depend on another module (where its table is defined), so a file
that mentions ``on_conflict_do`` or a wrapper is keyed by the whole tree's Python files as well: editing a model
re-parses those files, never serves a stale table. The cache holds JSON (not pickle: a cache restored in CI from a
fork's run must not run code), one file per entry, written atomically, so concurrent runs can share it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import re
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from schema_parity import __version__
from schema_parity.caches import JsonEntries
from schema_parity.limits import DEFAULT_MAX_FILE_SIZE
from schema_parity.sites import ScanProblem, Site
from schema_parity.sites.scan import UnreadableFile, internal_error, read_source, scan_file, walk
from schema_parity.sites.sqlalchemy import Project, Wrapper
from schema_parity.suppressions import MARKER, Directive, directives_in

CACHE_DIR = Path(".schema-parity") / "scan-cache"
_CONFLICT = re.compile(rb"(?i)conflict")
_PROJECT_WIDE = b"on_conflict_do"
#: Part of every key: a new version, or a change of the Site fields, must not read old entries.
_SALT = f"{__version__}|{','.join(f.name for f in dataclasses.fields(Site))}|".encode()


@dataclass(frozen=True)
class FileScan:
    """What one file contributes: its sites, why it could not be read, its suppression comments."""

    sites: tuple[Site, ...] = ()
    problems: tuple[ScanProblem, ...] = ()
    directives: tuple[Directive, ...] = ()


@dataclass(frozen=True)
class ProjectScan:
    sites: list[Site]
    problems: list[ScanProblem]
    directives: list[Directive]
    files_scanned: int
    files_parsed: int


def scan_project(
    paths: Sequence[Path],
    *,
    root: Path,
    exclude: Sequence[str] = (),
    wrappers: Sequence[Wrapper] = (),
    cache_dir: Path | None = None,
    jobs: int = 1,
    max_file_size: int = DEFAULT_MAX_FILE_SIZE,
) -> ProjectScan:
    """Like ``sites.scan.scan``, plus suppression comments, a content cache (None: off) and ``jobs`` processes."""
    root = root.resolve()
    walked = walk(paths, root, exclude)
    files, names = walked.files, walked.names
    hints = [_CONFLICT, *(re.compile(re.escape(w.short_name.encode())) for w in wrappers)]
    salt = _SALT + repr((wrappers, max_file_size)).encode() + b"|"
    contents: dict[Path, bytes] = {}
    results: dict[Path, FileScan] = {}
    tree = hashlib.sha256(str(root).encode())  # every Python file's name and bytes: what a table lookup may read
    for path in files:
        try:
            data = read_source(path, max_file_size)
        except UnreadableFile as exc:
            results[path] = FileScan(problems=(ScanProblem(names[path], 0, str(exc)),))
            continue
        if cache_dir and path.suffix == ".py":
            tree.update(names[path].encode() + b"\0" + hashlib.sha256(data).digest())
        if MARKER in data or any(hint.search(data) for hint in hints):
            contents[path] = data
    tree_key = tree.hexdigest().encode()
    misses: list[tuple[Path, str, str | None]] = []
    entries = JsonEntries(cache_dir, "per-file scan results", fanout=True) if cache_dir else None
    for path, data in contents.items():
        key = None
        if entries is not None:
            wide = path.suffix == ".py" and (_PROJECT_WIDE in data or any(h.search(data) for h in hints[1:]))
            scope = tree_key + names[path].encode() if wide else b""
            key = hashlib.sha256(salt + path.suffix.encode() + b"|" + scope + b"|" + data).hexdigest()
            cached = _load(entries, key, names[path])
            if cached is not None:
                results[path] = cached
                continue
        misses.append((path, names[path], key))
    work = [(path, name) for path, name, _key in misses]
    scanned = _examine_all(work, (root, files, wrappers, max_file_size), jobs)
    for (path, _name, key), result in zip(misses, scanned, strict=True):
        results[path] = result
        if entries is not None and key:
            _store(entries, key, result)
    ordered = [results[p] for p in files if p in results]
    sites = sorted((s for r in ordered for s in r.sites), key=lambda s: (s.path, s.line, s.column))
    problems = [*walked.problems, *(p for r in ordered for p in r.problems)]
    return ProjectScan(
        sites=sites,
        problems=sorted(problems, key=lambda problem: (problem.path, problem.line)),
        directives=[d for r in ordered for d in r.directives],
        files_scanned=len(files),
        files_parsed=len(misses),
    )


def resolve_jobs(jobs: int) -> int:
    """``0`` means one process per CPU."""
    return jobs if jobs > 0 else (os.cpu_count() or 1)


# Each worker process builds its own Project index over the same files (modules are parsed on first use).
_worker: dict[str, Any] = {}


def _init_worker(root: Path, files: list[Path], wrappers: Sequence[Wrapper], max_file_size: int) -> None:
    _worker.update(
        project=Project(root, files, max_file_size=max_file_size), wrappers=wrappers, max_file_size=max_file_size
    )


def _examine_all(
    work: list[tuple[Path, str]], setup: tuple[Path, list[Path], Sequence[Wrapper], int], jobs: int
) -> list[FileScan]:
    """``setup`` is ``_init_worker``'s arguments: the same in this process and in each worker."""
    workers = min(resolve_jobs(jobs), len(work))
    if workers <= 1:
        _init_worker(*setup)
        try:
            return [_examine(item) for item in work]
        finally:
            _worker.clear()
    with ProcessPoolExecutor(max_workers=workers, initializer=_init_worker, initargs=setup) as pool:
        return list(pool.map(_examine, work, chunksize=max(1, len(work) // (workers * 4))))


def _examine(item: tuple[Path, str]) -> FileScan:
    """One file, parsed: top-level so a process pool can run it. Never raises (a worker's exception would end the
    whole run): a surprise is a problem for this file."""
    path, name = item
    try:
        return _examine_file(path, name)
    except Exception as exc:
        return FileScan(problems=(internal_error(name, exc),))


def _examine_file(path: Path, name: str) -> FileScan:
    max_file_size = _worker["max_file_size"]
    sites, problems = scan_file(
        path, name, project=_worker["project"], wrappers=_worker["wrappers"], max_file_size=max_file_size
    )
    directives: list[Directive] = []
    if sites or not problems:  # a file of which nothing was checked has no suppression to apply, or to report unused
        try:
            data = read_source(path, max_file_size)
        except UnreadableFile:
            data = b""
        if MARKER in data:
            text = data.decode("utf-8", errors="replace")
            # Checked up to the first problem's line (an unclosed quote): comments after it suppress nothing checked.
            unchecked = min((problem.line for problem in problems), default=None)
            found = directives_in(text, name, python=path.suffix == ".py")
            directives = [d for d in found if unchecked is None or d.line < unchecked]
    return FileScan(tuple(sites), tuple(problems), tuple(directives))


def _load(entries: JsonEntries, key: str, name: str) -> FileScan | None:
    """The cached result re-labelled with ``name`` (identical files elsewhere share an entry); None on a miss."""
    data = entries.load(key)
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


def _store(entries: JsonEntries, key: str, scanned: FileScan) -> None:
    entries.store(
        key,
        {
            "sites": [dataclasses.asdict(site) for site in scanned.sites],
            "problems": [[p.line, p.message] for p in scanned.problems],
            "directives": [d.to_json() for d in scanned.directives],
        },
    )
