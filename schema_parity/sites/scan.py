"""Walking a project for upsert sites: which files are read, and how a file that cannot be read is reported.

Scanning must be cheap enough to run on every test session, so a file whose bytes do not contain ``conflict``
(any case) is never decoded or parsed: every upsert has that word in it, except a call of a configured wrapper,
whose files are found by the wrapper's function name. Modules that define the tables a SQLAlchemy upsert names are
parsed only when a site refers to them.
"""

from __future__ import annotations

import os
import re
import tokenize
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import TYPE_CHECKING

from schema_parity.sites import Site
from schema_parity.sites.sql import sites_from_sql

if TYPE_CHECKING:
    from schema_parity.sites.sqlalchemy import Project, Wrapper

#: Directories never entered below a scanned root (a directory holding ``pyvenv.cfg`` is a virtualenv too).
SKIPPED_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        ".venv",
        "venv",
        "node_modules",
        "__pycache__",
        "build",
        "dist",
        ".tox",
        ".nox",
        "site-packages",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
    }
)
_SUFFIXES = (".py", ".sql")
_CONFLICT = re.compile(rb"(?i)conflict")


@dataclass(frozen=True)
class ScanProblem:
    """A file that could not be examined (unreadable, not UTF-8, not valid Python): reported, never raised.

    ``line`` is 0 when the problem concerns the whole file.
    """

    path: str
    line: int
    message: str


@dataclass(frozen=True)
class ScanResult:
    """Sites sorted by path and position; ``files_scanned`` counts the ``.py``/``.sql`` files read."""

    sites: list[Site]
    problems: list[ScanProblem]
    files_scanned: int


def scan(
    paths: Sequence[str | Path], *, root: Path, exclude: Sequence[str] = (), wrappers: Sequence[Wrapper] = ()
) -> ScanResult:
    """Find every upsert site in the ``.py`` and ``.sql`` files under ``paths`` (files or directories).

    ``wrappers`` are the project's own upsert functions (see ``schema_parity.sites.sqlalchemy.Wrapper``): their calls
    are sites too.

    Relative ``paths`` are taken from ``root``; paths in the result are relative to ``root``, with forward
    slashes. An ``exclude`` pattern is an fnmatch pattern matched against that relative path (``*`` crosses ``/``)
    and against the file or directory name; an excluded directory is not entered. Explicitly given paths are
    scanned even inside a normally skipped directory.
    """
    from schema_parity.sites.sqlalchemy import Project

    root = Path(root).resolve()
    files = sorted(set(_files(paths, root, exclude)), key=lambda path: _relative(path, root))
    project = Project(root, files)
    sites: list[Site] = []
    problems: list[ScanProblem] = []
    for path in files:
        file_sites, file_problems = scan_file(path, _relative(path, root), project=project, wrappers=wrappers)
        sites.extend(file_sites)
        problems.extend(file_problems)
    sites.sort(key=lambda site: (site.path, site.line, site.column))
    return ScanResult(sites, problems, len(files))


def scan_file(
    path: Path, name: str, *, project: Project | None = None, wrappers: Sequence[Wrapper] = ()
) -> tuple[list[Site], list[ScanProblem]]:
    """The sites of one file, reported under ``name``; a file without ``conflict`` (or a wrapper's name) in it is not
    decoded."""
    from schema_parity.sites.python import sites_from_python  # python.py imports ScanProblem from here

    try:
        data = path.read_bytes()
    except OSError as exc:
        return [], [ScanProblem(name, 0, f"cannot read the file: {exc.strerror or exc}")]
    if not _CONFLICT.search(data) and not any(wrapper.short_name.encode() in data for wrapper in wrappers):
        return [], []
    try:
        text = _decode(data, python=path.suffix == ".py")
    except (UnicodeDecodeError, SyntaxError) as exc:
        return [], [ScanProblem(name, 0, f"not a UTF-8 text file, skipped: {exc}")]
    if path.suffix == ".py":
        return sites_from_python(text, name, project=project, wrappers=wrappers)
    return sites_from_sql(text.replace("\r\n", "\n").replace("\r", "\n"), name), []


def _decode(data: bytes, *, python: bool) -> str:
    """UTF-8 (a BOM allowed); a Python file may declare another encoding in a PEP 263 coding line."""
    encoding = tokenize.detect_encoding(iter(data.splitlines(keepends=True)).__next__)[0] if python else "utf-8-sig"
    if "\0" in (text := data.decode(encoding)):
        raise UnicodeDecodeError(encoding, data, data.index(b"\0"), data.index(b"\0") + 1, "NUL byte: a binary file")
    return text


def _files(paths: Sequence[str | Path], root: Path, exclude: Sequence[str]) -> Iterator[Path]:
    for given in paths:
        start = (root / given).resolve() if not Path(given).is_absolute() else Path(given).resolve()
        if start.is_file():
            if start.suffix in _SUFFIXES and not _excluded(_relative(start, root), exclude):
                yield start
            continue
        for directory, subdirs, names in os.walk(start):
            here = Path(directory)
            subdirs[:] = [
                sub
                for sub in subdirs
                if sub not in SKIPPED_DIRS
                and not (here / sub / "pyvenv.cfg").exists()
                and not _excluded(_relative(here / sub, root), exclude)
            ]
            for name in names:
                if name.endswith(_SUFFIXES) and not _excluded(_relative(here / name, root), exclude):
                    yield here / name


def _excluded(relative: str, patterns: Sequence[str]) -> bool:
    name = relative.rsplit("/", 1)[-1]
    return any(
        fnmatchcase(relative, pattern.rstrip("/")) or fnmatchcase(name, pattern.rstrip("/")) for pattern in patterns
    )


def _relative(path: Path, root: Path) -> str:
    return Path(os.path.relpath(path, root)).as_posix()
