"""``--diff-base``: which lines changed since a git ref, so a pull request is judged on what it touched.

Compared with the merge-base of HEAD and the ref (what the pull request adds, not what the base branch gained
since), including staged and unstaged edits, plus untracked files that git does not ignore.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from schema_parity.errors import ConfigError

_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@")


@dataclass(frozen=True)
class Changes:
    """Changed lines per absolute file path; ``None`` as the value means the whole file is new."""

    base: str
    merge_base: str
    lines: dict[Path, frozenset[int] | None]

    def touches(self, path: Path, first: int, last: int) -> bool:
        if path not in self.lines:
            return False
        changed = self.lines[path]
        return changed is None or any(first <= line <= last for line in changed)

    def touches_file_under(self, directories: list[Path]) -> bool:
        return any(path == d or d in path.parents for path in self.lines for d in directories)


def _git(cwd: Path, *args: str) -> str:
    try:
        done = subprocess.run(
            ["git", "-c", "core.quotePath=false", *args], cwd=cwd, capture_output=True, text=True, check=False
        )
    except FileNotFoundError as exc:
        raise ConfigError("--diff-base needs git, which is not installed") from exc
    if done.returncode != 0:
        raise ConfigError(f"git {' '.join(args)} failed: {done.stderr.strip()}")
    return done.stdout


def changes_since(ref: str, cwd: Path) -> Changes:
    """Lines changed between the merge-base of HEAD and ``ref`` and the working tree."""
    try:
        top = Path(_git(cwd, "rev-parse", "--show-toplevel").strip())
    except ConfigError as exc:
        raise ConfigError(f"--diff-base {ref}: {cwd} is not inside a git repository") from exc
    try:
        merge_base = _git(top, "merge-base", "HEAD", ref).strip()
    except ConfigError as exc:
        raise ConfigError(f"--diff-base {ref}: no merge-base of HEAD and {ref!r} (is the ref fetched?)") from exc
    lines: dict[Path, frozenset[int] | None] = {}
    path: Path | None = None
    current: set[int] = set()
    previous = ""
    diff = _git(top, "diff", "-U0", "--no-color", "--no-ext-diff", "--find-renames", merge_base, "--")
    for row in diff.splitlines():
        header, previous = row.startswith("+++ ") and previous.startswith("--- "), row
        if header:
            if path is not None:
                lines[path] = frozenset(current)
            target = row[4:]
            path = None if target == "/dev/null" else (top / target[2:]).resolve()
            current = set()
        elif path is not None and (hunk := _HUNK.match(row)):
            start, count = int(hunk.group(1)), int(hunk.group(2) or 1)
            # A pure deletion (count 0) sits after line ``start``: the lines on both sides of it changed.
            current.update(range(start, start + count) if count else (start, start + 1))
    if path is not None:
        lines[path] = frozenset(current)
    for name in _git(top, "ls-files", "--others", "--exclude-standard", "-z").split("\0"):
        if name:
            lines[(top / name).resolve()] = None
    return Changes(base=ref, merge_base=merge_base, lines=lines)
