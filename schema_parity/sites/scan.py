"""Scanning a project for upsert sites: the one entry point, ``scan``, used by ``schema-parity check`` and the plugin.

Scanning must be cheap enough to run on every test session. Every file is read once (a walk in ``files.py``), but a
file whose bytes contain neither ``conflict`` (any case), a configured wrapper's name nor a suppression comment is
never decoded or parsed: every upsert has that word in it, except a call of a wrapper. Of the files worth parsing,
only those the content cache (``cache.py``) has not seen are parsed, in ``jobs`` processes. Modules that define the
tables a SQLAlchemy upsert names are parsed only when a site refers to them.

Anything wrong with one file (unreadable, not UTF-8, not valid Python, or a bug of ours) is a ``ScanProblem`` for
it, reported as SP903, while the scan goes on.
"""

from __future__ import annotations

import os
import re
import tokenize
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from schema_parity.limits import DEFAULT_MAX_FILE_SIZE
from schema_parity.progress import Progress, say
from schema_parity.rules import rule_for
from schema_parity.sites import FileScan, ScanProblem, Site
from schema_parity.sites.cache import ScanCache
from schema_parity.sites.files import UnreadableFile, read_source, walk
from schema_parity.suppressions import MARKER, Directive, directives_in

if TYPE_CHECKING:
    from schema_parity.sites.sqlalchemy import Project
    from schema_parity.wrappers import Wrapper

__all__ = ["ScanResult", "internal_error", "resolve_jobs", "scan", "scan_file"]

_CONFLICT = re.compile(rb"(?i)conflict")


def _mentions_conflict(data: bytes) -> bool:
    """``_CONFLICT.search(data)``, five times faster: bytes.lower() folds ASCII as a bytes pattern's (?i) does."""
    return b"conflict" in data.lower()


@dataclass(frozen=True)
class ScanResult:
    """Sites sorted by path and position, the files' problems and suppression comments; ``files_scanned`` counts the
    ``.py``/``.sql`` files read, ``files_parsed`` those parsed in this run (not served by the cache)."""

    sites: list[Site]
    problems: list[ScanProblem]
    directives: list[Directive]
    files_scanned: int
    files_parsed: int
    walked: tuple[str, ...] = ()
    """Every file the walk found and every directory it listed: what decides this result besides the files' content
    (a replayed whole-run result is checked against them, results.py)."""


def scan(
    paths: Sequence[str | Path],
    *,
    root: Path,
    exclude: Sequence[str] = (),
    wrappers: Sequence[Wrapper] = (),
    max_file_size: int = DEFAULT_MAX_FILE_SIZE,
    cache_dir: Path | None = None,
    jobs: int = 1,
    progress: Progress | None = None,
) -> ScanResult:
    """Find every upsert site in the ``.py`` and ``.sql`` files under ``paths`` (files or directories).

    ``wrappers`` are the project's own upsert functions (see ``schema_parity.wrappers.Wrapper``): their calls are
    sites too. A file over ``max_file_size`` bytes is not read (a problem says so). ``cache_dir`` keeps per-file
    results by content (None: no cache); ``jobs`` processes parse the files the cache does not hold (0: one per CPU).

    Relative ``paths`` are taken from ``root``; paths in the result are relative to ``root``, with forward
    slashes. An ``exclude`` pattern is an fnmatch pattern matched against that relative path (``*`` crosses ``/``)
    and against the file or directory name; an excluded directory is not entered. Explicitly given paths are
    scanned even inside a normally skipped directory. ``progress`` is told how far reading and parsing are (see
    progress.py).
    """
    root = Path(root).resolve()
    walked = walk(paths, root, exclude)
    files, names = walked.files, walked.names
    hints = [_CONFLICT, *(re.compile(re.escape(w.short_name.encode())) for w in wrappers)]
    cache = ScanCache(cache_dir, root, (wrappers, max_file_size)) if cache_dir else None
    contents: dict[Path, bytes] = {}
    results: dict[Path, FileScan] = {}
    for number, path in enumerate(files, start=1):
        if progress is not None:
            progress(f"scanning: {number} of {len(files)} files read")
        try:
            data = read_source(path, max_file_size)
        except UnreadableFile as exc:
            results[path] = FileScan(problems=(ScanProblem(names[path], 0, str(exc)),))
            continue
        if cache is not None and path.suffix == ".py":
            cache.add_module(names[path], data)
        if MARKER in data or _mentions_conflict(data) or any(hint.search(data) for hint in hints[1:]):
            contents[path] = data
    misses: list[tuple[Path, str, bytes]] = []
    keys: list[str | None] = []
    for path, data in contents.items():
        key = None
        if cache is not None:
            key = cache.key(names[path], path.suffix, data, wide=_project_wide(path, data, hints))
            cached = cache.load(key, names[path])
            if cached is not None:
                results[path] = cached
                continue
        misses.append((path, names[path], data))
        keys.append(key)
    scanned = _examine_all(misses, (root, files, wrappers, max_file_size), jobs, progress)
    say(progress, None)
    for (path, _name, _data), key, result in zip(misses, keys, scanned, strict=True):
        results[path] = result
        if cache is not None and key is not None:
            cache.store(key, result)
    ordered = [results[p] for p in files if p in results]
    sites = sorted((s for r in ordered for s in r.sites), key=lambda s: (s.path, s.line, s.column))
    problems = [*walked.problems, *(p for r in ordered for p in r.problems)]
    return ScanResult(
        sites=sites,
        problems=sorted(problems, key=lambda problem: (problem.path, problem.line)),
        directives=[d for r in ordered for d in r.directives],
        files_scanned=len(files),
        files_parsed=len(misses),
        walked=(*walked.directories, *(str(path) for path in files)),
    )


def _project_wide(path: Path, data: bytes, hints: Sequence[re.Pattern[bytes]]) -> bool:
    """Whether the file's sites may depend on another module (where a SQLAlchemy upsert's table is defined, or a
    wrapper's signature): a SQLAlchemy ``on_conflict_do`` call or a wrapper's name."""
    return path.suffix == ".py" and (b"on_conflict_do" in data or any(h.search(data) for h in hints[1:]))


def resolve_jobs(jobs: int) -> int:
    """``0`` means one process per CPU."""
    return jobs if jobs > 0 else (os.cpu_count() or 1)


def scan_file(
    path: Path,
    name: str,
    *,
    project: Project | None = None,
    wrappers: Sequence[Wrapper] = (),
    max_file_size: int = DEFAULT_MAX_FILE_SIZE,
) -> tuple[list[Site], list[ScanProblem]]:
    """The sites of one file, reported under ``name``; a file without ``conflict`` (or a wrapper's name) in it is not
    decoded. Never raises: whatever goes wrong is a problem for this file."""
    try:
        data = read_source(path, max_file_size)
    except UnreadableFile as exc:
        return [], [ScanProblem(name, 0, str(exc))]
    return _file_sites(data, path.suffix, name, project=project, wrappers=wrappers)


def _file_sites(
    data: bytes, suffix: str, name: str, *, project: Project | None, wrappers: Sequence[Wrapper]
) -> tuple[list[Site], list[ScanProblem]]:
    if not _mentions_conflict(data) and not any(wrapper.short_name.encode() in data for wrapper in wrappers):
        return [], []
    try:
        text = _decode(data, python=suffix == ".py")
    except (UnicodeDecodeError, SyntaxError) as exc:
        return [], [ScanProblem(name, 0, rule_for("SP903").text("not-utf8", error=exc))]
    try:
        if suffix == ".py":
            from schema_parity.sites.python import sites_from_python  # not imported by a scan of .sql files only

            return sites_from_python(text, name, project=project, wrappers=wrappers)
        from schema_parity.sites.sql import sql_file_sites  # loads sqlglot: only a scan that reads SQL pays for it

        return sql_file_sites(text.replace("\r\n", "\n").replace("\r", "\n"), name)
    except Exception as exc:  # the safety net: one file's surprise must not stop the whole scan
        return [], [internal_error(name, exc)]


def _decode(data: bytes, *, python: bool) -> str:
    """UTF-8 (a BOM allowed); a Python file may declare another encoding in a PEP 263 coding line."""
    encoding = tokenize.detect_encoding(iter(data.splitlines(keepends=True)).__next__)[0] if python else "utf-8-sig"
    if "\0" in (text := data.decode(encoding)):
        raise UnicodeDecodeError(encoding, data, data.index(b"\0"), data.index(b"\0") + 1, "NUL byte: a binary file")
    return text


def internal_error(name: str, exc: BaseException) -> ScanProblem:
    """A bug of ours met while reading one file: reported for that file, so the rest of the scan goes on."""
    return ScanProblem(name, 0, rule_for("SP903").text("internal-error", kind=type(exc).__name__, error=exc))


# Each worker process builds its own Project index over the same files when a Python file is first parsed (modules
# are parsed on first use; a scan of .sql files alone does not import the SQLAlchemy site reader).
_worker: dict[str, Any] = {}


def _init_worker(root: Path, files: list[Path], wrappers: Sequence[Wrapper], max_file_size: int) -> None:
    _worker.update(setup=(root, files, max_file_size), wrappers=wrappers)


def _project() -> Project:
    project = _worker.get("project")
    if project is None:
        from schema_parity.sites.sqlalchemy import Project

        root, files, max_file_size = _worker["setup"]
        project = _worker["project"] = Project(root, files, max_file_size=max_file_size)
    return project


def _examine_all(
    work: list[tuple[Path, str, bytes]],
    setup: tuple[Path, list[Path], Sequence[Wrapper], int],
    jobs: int,
    progress: Progress | None = None,
) -> list[FileScan]:
    """``setup`` is ``_init_worker``'s arguments: the same in this process and in each worker."""
    if not work:  # a warm run: every file's sites came from the cache, and the module index is not needed
        return []
    workers = min(resolve_jobs(jobs), len(work))
    if workers <= 1:
        _init_worker(*setup)
        try:
            return _counted(map(_examine, work), len(work), progress)
        finally:
            _worker.clear()
    from concurrent.futures import ProcessPoolExecutor  # multiprocessing: some 30 ms that one process does not need

    with ProcessPoolExecutor(max_workers=workers, initializer=_init_worker, initargs=setup) as pool:
        return _counted(pool.map(_examine, work, chunksize=max(1, len(work) // (workers * 4))), len(work), progress)


def _counted(scans: Iterable[FileScan], total: int, progress: Progress | None) -> list[FileScan]:
    """``scans`` as a list, ``progress`` told of each one done."""
    if progress is None:
        return list(scans)
    done = []
    for scan in scans:
        done.append(scan)
        progress(f"scanning: {len(done)} of {total} files parsed")
    return done


def _examine(item: tuple[Path, str, bytes]) -> FileScan:
    """One file, parsed: top-level so a process pool can run it. Never raises (a worker's exception would end the
    whole run): a surprise is a problem for this file."""
    path, name, data = item
    try:
        return _examine_file(path, name, data)
    except Exception as exc:
        return FileScan(problems=(internal_error(name, exc),))


def _examine_file(path: Path, name: str, data: bytes) -> FileScan:
    project = _project() if path.suffix == ".py" else None
    sites, problems = _file_sites(data, path.suffix, name, project=project, wrappers=_worker["wrappers"])
    directives: list[Directive] = []
    if (sites or not problems) and MARKER in data:  # a file of which nothing was checked has nothing to suppress
        text = data.decode("utf-8", errors="replace")
        # Checked up to the first problem's line (an unclosed quote): comments after it suppress nothing checked.
        unchecked = min((problem.line for problem in problems), default=None)
        found = directives_in(text, name, python=path.suffix == ".py")
        directives = [d for d in found if unchecked is None or d.line < unchecked]
    return FileScan(tuple(sites), tuple(problems), tuple(directives))
