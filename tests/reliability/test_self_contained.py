"""The repository stands on its own: a user's clone has nothing beside it, so nothing in it may point outside it."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
#: A path into a development workspace, or to a folder next to the repository.
OUTSIDE = re.compile(r"(?:\.\./)+shared\b|/work/(?:shared|main)\b|shared/(?:research|seed|design)\b")
SKIPPED = {".git", ".schema-parity", "__pycache__", ".hypothesis", ".pytest_cache", ".ruff_cache", ".mypy_cache"}


def repository_files() -> list[Path]:
    """The files under version control (the tree when git is not there, without caches)."""
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=False)
    if listed.returncode == 0 and listed.stdout:
        return [ROOT / name for name in listed.stdout.decode().split("\0") if name]
    return [p for p in ROOT.rglob("*") if p.is_file() and not SKIPPED.intersection(p.relative_to(ROOT).parts)]


def test_no_file_refers_to_a_place_outside_the_repository() -> None:
    offenders = []
    for path in repository_files():
        if not path.is_file() or path.suffix in {".png", ".whl"}:
            continue
        text = path.read_bytes().decode("utf-8", errors="replace")
        for match in OUTSIDE.finditer(text):
            offenders.append(f"{path.relative_to(ROOT)}:{text.count(chr(10), 0, match.start()) + 1}: {match.group()}")
    assert offenders == []
    assert len(repository_files()) > 100  # the walk saw the repository, not an empty directory
