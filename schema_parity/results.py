"""Whole-run results: a check run again with nothing changed replays the report of the last run instead of running.

A pre-commit hook or an editor runs ``schema-parity check`` on every save, mostly with nothing changed. The per-file
scan cache and the Catalog cache (``.schema-parity/``) already spare the parsing and the migrations, but such a run
still imports the checker (sqlglot, SQLAlchemy), reads and hashes every file and judges every site again. This
module answers it before any of that is imported, with the standard library only:

- the **run key** is everything outside the files that decides the output: the tool's own source files (their
  ``stat``), the installed distributions (the names of every ``*.dist-info`` on ``sys.path``, so any install or
  upgrade is a new key), the Python and SQLite versions, ``sys.path``, the arguments, the working directory, the
  ``SCHEMA_PARITY_*`` variables and the others the check reads (``PATH``, ``NO_COLOR``, ``FORCE_COLOR``,
  ``DOCKER_HOST``), and whether standard output is a terminal (colours);
- the **entry** stored under that key lists every input of the run with its ``stat`` signature (device, inode,
  size, modification and change times in nanoseconds, mode): each scanned file, each directory the scan listed (a
  new file changes its directory), every file and directory the schema was built from (the revision scripts and
  env.py, the Alembic config, ``--schema-sql`` files), the configuration files that were or could have been read
  (``pyproject.toml``, ``.schema-parity.toml`` and ``alembic.ini`` from the working directory up) and the
  baseline. It holds the report as written (standard output, the ``--output`` file) and the exit code.

A run is replayed only when every input's signature is the one recorded. A file's change time moves with every
write and cannot be set back, so an edit is seen even when it keeps the size and the modification time. An entry is
stored only when every input was last changed well before the run began (0.1 s, 2 s on a file system with
whole-second times): an input changed while the run read it, or within one tick of the file system's clock, could
carry the same signature as what the run read, so such a run stores nothing and the next one does.

Runs whose result depends on more than files are never stored: ``--no-cache``, ``--diff-base`` (git's state),
``--deploy-from``, ``--write-baseline``, ``--captured``, ``--verify``, the ``github`` format (it writes a job summary),
a schema from a database or from models, env.py run (``use-env-py``), a history with a revision that failed, a
PostgreSQL server other than the embedded one, and a run that logged a warning. Entries live in
``.schema-parity/results/`` beside the other caches (written as ``schema_parity.caches`` writes every entry), and
``schema-parity clean`` deletes them.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

__all__ = ["ENV", "RESULTS_DIR", "config_candidates", "isatty", "replay", "run_key", "signature", "store"]

#: Where entries live, under the project's ``.schema-parity/`` (``schema_parity.config.CACHE_DIR``'s parent).
RESULTS_DIR = "results"

#: Environment variables (besides ``SCHEMA_PARITY_*``) a check reads.
ENV = ("PATH", "NO_COLOR", "FORCE_COLOR", "DOCKER_HOST")

#: Configuration files a check may read in the working directory and each directory above it.
CONFIG_NAMES = ("pyproject.toml", ".schema-parity.toml", "alembic.ini")

#: An input changed less than this before the run began is not trusted to show a later change in its signature.
SETTLE_NS = 10**8
#: The same, for a file system with whole-second times (FAT's are two seconds apart).
COARSE_SETTLE_NS = 2 * 10**9

_FORMAT = 1


def signature(path: str) -> list[int] | None:
    """What a path's ``stat`` says of its content: None when it does not exist."""
    try:
        info = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError:
        return [-1]
    return [info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_mode]


def settled(sig: list[int] | None, started_ns: int) -> bool:
    """Whether an input with this signature was last changed early enough before ``started_ns`` that any later
    change gives it another signature."""
    if sig is None:
        return True
    if len(sig) < 6:
        return False
    changed = sig[4]
    return changed < started_ns - (COARSE_SETTLE_NS if changed % 10**9 == 0 else SETTLE_NS)


def _ancestors(cwd: str) -> Iterator[str]:
    """``cwd`` and each directory above it, up to the root."""
    directory = cwd
    while True:
        yield directory
        parent = os.path.dirname(directory)
        if parent == directory:
            return
        directory = parent


def config_candidates(cwd: str) -> list[str]:
    """The configuration files a check run from ``cwd`` may read (found there or in a directory above)."""
    return [os.path.join(directory, name) for directory in _ancestors(cwd) for name in CONFIG_NAMES]


def run_key(
    argv: Sequence[str], cwd: str, environ: Mapping[str, str], *, isatty: bool, path: Sequence[str] | None = None
) -> str:
    """The key of a run: everything besides the project's files that decides its output. ``path``: ``sys.path`` as
    the process started (a check's migrations add the project's directories to it)."""
    path = list(sys.path if path is None else path)
    env = sorted((k, v) for k, v in environ.items() if k.startswith("SCHEMA_PARITY_") or k in ENV)
    parts: dict[str, Any] = {
        "format": _FORMAT,
        "argv": list(argv),
        "cwd": cwd,
        "env": env,
        "isatty": isatty,
        "python": [sys.version, sys.executable, path],
        "sqlite": _sqlite_version(),
        "installed": _installed(path),
        "tool": _tool_files(),
    }
    return hashlib.sha256(json.dumps(parts, separators=(",", ":")).encode()).hexdigest()


def _sqlite_version() -> str:
    import _sqlite3  # the library itself: the sqlite3 package also imports datetime

    return str(_sqlite3.sqlite_version)


def _installed(path: Iterable[str]) -> list[list[str]]:
    """The distributions installed on ``path``: a new, removed or upgraded one changes the list."""
    out = []
    for entry in path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        out.append([entry, *sorted(n for n in names if n.endswith((".dist-info", ".egg-info", ".egg-link", ".pth")))])
    return out


def _tool_files() -> list[Any]:
    """The signature of every source file of schema_parity itself (an edited or reinstalled tool is a new key)."""
    top = os.path.dirname(os.path.abspath(__file__))
    out: list[Any] = []
    for directory, subdirectories, files in os.walk(top):
        subdirectories[:] = sorted(d for d in subdirectories if d != "__pycache__")
        for name in sorted(files):
            if name.endswith((".py", ".json", ".toml", ".txt")):
                path = os.path.join(directory, name)
                out.append([path, signature(path)])
    return out


def _entry_dirs(cwd: str) -> list[str]:
    """Where entries for a run from ``cwd`` may be: ``.schema-parity/results`` here and in each directory above."""
    candidates = (os.path.join(directory, ".schema-parity", RESULTS_DIR) for directory in _ancestors(cwd))
    return [candidate for candidate in candidates if os.path.isdir(candidate)]


def replay(argv: Sequence[str], *, cwd: str | None = None, environ: Mapping[str, str] | None = None) -> int | None:
    """Write the stored report of the same run and return its exit code, when one is stored and none of its inputs
    changed; else None (and nothing written)."""
    if not argv or "check" not in argv or "--no-cache" in argv:
        return None
    cwd = cwd or os.getcwd()
    directories = _entry_dirs(cwd)
    if not directories:
        return None
    key = run_key(argv, cwd, os.environ if environ is None else environ, isatty=isatty())
    for directory in directories:
        payload = _load(os.path.join(directory, f"{key}.json"), key)
        if payload is None:
            continue
        if not _unchanged(payload):
            return None
        try:
            if payload["output"] is not None:
                target, text = payload["output"]
                if not _asked_for(argv, target):  # an entry never writes a file the command line does not name
                    return None
                os.makedirs(os.path.dirname(target) or ".", exist_ok=True)
                with open(target, "w", encoding="utf-8") as handle:
                    handle.write(text)
        except (OSError, TypeError, ValueError):
            return None
        sys.stdout.write(payload["stdout"])
        return int(payload["exit"])
    return None


def _asked_for(argv: Sequence[str], target: str) -> bool:
    """Whether ``argv`` gives ``--output target`` (or ``--output=target``)."""
    pairs = zip(argv, [*argv[1:], None], strict=True)
    return any((flag == "--output" and value == target) or flag == f"--output={target}" for flag, value in pairs)


def isatty() -> bool:
    try:
        return sys.stdout.isatty()
    except (AttributeError, ValueError):
        return False


def _load(path: str, key: str) -> Any:
    # caches.JsonEntries.load reads the same entry, but its pathlib and uuid imports cost a sixth of a replay
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("key") != key:
        return None
    payload = data.get("payload")
    if not isinstance(payload, dict) or not {"inputs", "stdout", "output", "exit"} <= payload.keys():
        return None
    return payload


def _unchanged(payload: Mapping[str, Any]) -> bool:
    try:
        paths, signatures = payload["inputs"]
        return len(paths) == len(signatures) and all(map(_same, paths, signatures))
    except (TypeError, ValueError):
        return False


def _same(path: str, recorded: list[int] | None) -> bool:
    return signature(path) == recorded


def store(
    directory: str,
    key: str,
    *,
    inputs: Iterable[str],
    stdout: str,
    output: tuple[str, str] | None,
    exit_code: int,
    started_ns: int,
) -> bool:
    """Keep a run's report under ``key`` in ``directory`` (the project's ``.schema-parity/results``), unless an
    input changed too recently to be trusted (see ``settled``); whether it was stored."""
    from pathlib import Path

    from schema_parity.caches import JsonEntries

    paths = sorted(set(inputs))
    signatures = [signature(path) for path in paths]
    if not all(settled(sig, started_ns) for sig in signatures):
        return False
    payload = {"inputs": [paths, signatures], "stdout": stdout, "output": output, "exit": exit_code}
    JsonEntries(Path(directory), "whole-run results").store(key, payload)
    _prune(Path(directory), keep=KEEP)
    return True


#: Entries kept per project: each set of arguments, environment and tool version has its own, and an edited tool
#: or an upgraded package leaves the old ones unused; the least recently stored beyond this are deleted.
KEEP = 32


def _prune(directory: Any, *, keep: int) -> None:
    try:
        entries = sorted(directory.glob("*.json"), key=lambda path: path.stat().st_mtime_ns, reverse=True)
        for stale in entries[keep:]:
            stale.unlink(missing_ok=True)
    except OSError:
        return
