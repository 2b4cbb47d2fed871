"""Which files a scan reads, and how: the walk of the tree and the guarded read of one file.

Scanning must survive any tree: only regular files are read (a FIFO would block, ``/dev/zero`` never ends), never
more than ``max_file_size`` bytes, symbolic links are followed only to files inside the scanned tree, and anything
wrong with one file or directory (unreadable, too big, too deeply nested) is a ``ScanProblem`` for it, reported as
SP903, while the scan goes on.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path

from schema_parity.rules import rule_for
from schema_parity.sites import ScanProblem

SP903 = rule_for("SP903")

__all__ = ["SKIPPED_DIRS", "UnreadableFile", "Walk", "read_source", "relative_name", "walk"]

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
        ".schema-parity",  # the tool's own caches: JSON only, and rewritten by every run
    }
)
_SUFFIXES = (".py", ".sql")
#: Open without blocking: a FIFO opened for reading waits for a writer otherwise.
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)
_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
)


class UnreadableFile(Exception):
    """Why a file's bytes were not read; the message is what the user is told."""


def read_source(path: Path, max_size: int) -> bytes:
    """The bytes of a regular file of at most ``max_size`` bytes, else UnreadableFile saying why.

    The type and size are checked on the open descriptor (the file may have changed since the walk), which is
    opened non-blocking so that a FIFO is refused instead of waited on; a file that grows while it is read is still
    cut off at the limit.
    """
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except OSError as exc:
        raise UnreadableFile(SP903.text("cannot-read-file", error=exc.strerror or exc)) from None
    with open(fd, "rb", buffering=0) as handle:
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                raise UnreadableFile(SP903.text("not-a-regular-file", kind=_kind(info.st_mode)))
            if info.st_size > max_size:
                raise UnreadableFile(_too_big(info.st_size, max_size))
            data = handle.read(info.st_size + 1)
            if len(data) > info.st_size:  # it grew since fstat: read on, up to the limit
                data += handle.read(max_size + 1 - len(data))
        except OSError as exc:
            raise UnreadableFile(SP903.text("cannot-read-file", error=exc.strerror or exc)) from None
    if len(data) > max_size:
        raise UnreadableFile(_too_big(len(data), max_size))
    return data


def _too_big(size: int, max_size: int) -> str:
    return SP903.text("too-big", size=size, limit=max_size)


def _kind(mode: int) -> str:
    return next((name for test, name in _KINDS if test(mode)), "not a file")


@dataclass(frozen=True)
class Walk:
    """The files to scan (sorted by name, each real file once), the name of each, and what could not be walked;
    ``directories``, every directory the walk listed (or tried to): a new file is an entry added to one of them."""

    files: list[Path]
    names: dict[Path, str]
    problems: list[ScanProblem] = field(default_factory=list)
    directories: list[str] = field(default_factory=list)


def walk(paths: Sequence[str | Path], root: Path, exclude: Sequence[str]) -> Walk:
    """The ``.py`` and ``.sql`` regular files under ``paths``, without entering skipped or excluded directories.

    Directory links are never entered; a file link is followed only to a regular file inside a scanned directory
    (a file reached both directly and through links is listed once, under its own name). A directory that cannot
    be listed, a ``.py``/``.sql`` entry that is not a regular file, and a link out of the tree are problems.
    """
    root = Path(root)
    problems: list[ScanProblem] = []
    found: dict[str, tuple[Path, str]] = {}  # real path -> (the path it is read through, its name)
    links: list[tuple[str, Path]] = []  # (name, link) of links not to directories, followed after the walk
    starts: list[tuple[str, str]] = []  # (real directory, its name)
    for given in paths:
        real = os.path.realpath(root / given)  # an explicitly given link is the user's choice: followed
        name = relative_name(Path(real), root)
        try:
            mode = os.stat(real).st_mode
        except FileNotFoundError:
            continue
        except OSError as exc:
            reason = SP903.text("cannot-read", error=exc.strerror or exc)
            problems.append(ScanProblem(relative_name(root / given, root), 0, reason))
            continue
        if stat.S_ISDIR(mode):
            starts.append((real, name))
        elif real.endswith(_SUFFIXES) and not _excluded(name, exclude):
            if stat.S_ISREG(mode):
                found.setdefault(real, (Path(real), name))
            else:
                problems.append(ScanProblem(name, 0, SP903.text("not-a-regular-file", kind=_kind(mode))))
    directories: list[str] = []
    for directory, name in starts:
        _walk_tree(directory, name, exclude, found=found, links=links, problems=problems, listed=directories)
    trees = [directory for directory, _ in starts]
    for name, link in sorted(links):
        target = os.path.realpath(link)
        if not _inside(target, trees):
            reason = SP903.text("link-outside", target=target)
            problems.append(ScanProblem(name, 0, reason))
            continue
        try:
            mode = os.stat(target).st_mode
        except OSError as exc:  # dangling, or a loop
            problems.append(ScanProblem(name, 0, SP903.text("cannot-read-file", error=exc.strerror or exc)))
            continue
        if stat.S_ISREG(mode):
            found.setdefault(target, (link, name))
        elif not stat.S_ISDIR(mode):  # a link to a directory is not followed, as a directory link is not
            problems.append(ScanProblem(name, 0, SP903.text("not-a-regular-file", kind=_kind(mode))))
    ordered = sorted(found.values(), key=lambda item: item[1])
    return Walk(
        [path for path, _ in ordered],
        dict(ordered),
        sorted(problems, key=lambda problem: (problem.path, problem.line)),
        sorted(directories),
    )


def _walk_tree(
    top: str,
    top_name: str,
    exclude: Sequence[str],
    *,
    found: dict[str, tuple[Path, str]],
    links: list[tuple[str, Path]],
    problems: list[ScanProblem],
    listed: list[str],
) -> None:
    """Walk one real directory without recursion (trees can be deep) and without following directory links, so
    every path met is a real path."""
    pending = [(top, top_name, True)]
    while pending:
        directory, name, is_start = pending.pop()
        listed.append(directory)
        try:
            with os.scandir(directory) as listing:
                entries = list(listing)
        except OSError as exc:
            reason = SP903.text("cannot-list-directory", error=exc.strerror or exc)
            problems.append(ScanProblem(name, 0, reason))
            continue
        if not is_start and any(entry.name == "pyvenv.cfg" for entry in entries):
            continue  # a virtualenv
        prefix = "" if name == "." else name + "/"
        for entry in entries:
            relative = prefix + entry.name
            try:
                if entry.is_dir(follow_symlinks=False):
                    if entry.name not in SKIPPED_DIRS and not _excluded(relative, exclude):
                        pending.append((entry.path, relative, False))
                    continue
                if not entry.name.endswith(_SUFFIXES) or _excluded(relative, exclude):
                    continue
                if entry.is_file(follow_symlinks=False):
                    found[entry.path] = (Path(entry.path), relative)
                elif entry.is_symlink():
                    links.append((relative, Path(entry.path)))
                else:
                    mode = entry.stat(follow_symlinks=False).st_mode
                    problems.append(ScanProblem(relative, 0, SP903.text("not-a-regular-file", kind=_kind(mode))))
            except OSError as exc:
                problems.append(ScanProblem(relative, 0, SP903.text("cannot-read-file", error=exc.strerror or exc)))


def _inside(path: str, trees: Sequence[str]) -> bool:
    return any(path == tree or path.startswith(tree.rstrip(os.sep) + os.sep) for tree in trees)


def _excluded(relative: str, patterns: Sequence[str]) -> bool:
    name = relative.rsplit("/", 1)[-1]
    return any(
        fnmatchcase(relative, pattern.rstrip("/")) or fnmatchcase(name, pattern.rstrip("/")) for pattern in patterns
    )


def relative_name(path: Path, root: Path) -> str:
    """``path`` relative to ``root`` with forward slashes: how files are named in sites and problems."""
    return Path(os.path.relpath(path, root)).as_posix()
