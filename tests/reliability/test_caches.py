"""Every JSON cache entry records the key it was made for: a copied, truncated or foreign file is a miss."""

from __future__ import annotations

import shutil
from pathlib import Path

from schema_parity.caches import JsonEntries
from schema_parity.sites.scan import scan as scan_project

A, B = "a" * 64, "b" * 64


def test_an_entry_is_served_only_for_its_own_key(tmp_path: Path) -> None:
    entries = JsonEntries(tmp_path / "cache", "test entries", fanout=True)
    entries.store(A, {"answer": 1})
    entries.store(B, {"answer": 2})
    assert (entries.load(A), entries.load(B)) == ({"answer": 1}, {"answer": 2})
    shutil.copyfile(entries.path(B), entries.path(A))
    assert entries.load(A) is None
    entries.path(B).write_text('{"key": "' + B + '", "payl')
    assert entries.load(B) is None
    assert (tmp_path / "cache" / ".gitignore").read_text().endswith("*\n")


def test_a_scan_cache_entry_copied_over_another_files_entry_is_not_served(tmp_path: Path) -> None:
    root = tmp_path / "tree"
    root.mkdir()
    (root / "a.sql").write_text("INSERT INTO a (x) VALUES (1) ON CONFLICT (x) DO NOTHING;\n")
    (root / "b.sql").write_text("\n\nINSERT INTO b (y) VALUES (1) ON CONFLICT (y) DO NOTHING;\n")
    cache = tmp_path / "cache"
    first = scan_project([root], root=root, cache_dir=cache)
    files = sorted(p for p in cache.rglob("*.json"))
    assert len(files) == 2 and first.files_parsed == 2
    shutil.copyfile(files[0], files[1])
    again = scan_project([root], root=root, cache_dir=cache)
    assert [(s.path, s.line, s.sql) for s in again.sites] == [(s.path, s.line, s.sql) for s in first.sites]
    assert again.files_parsed == 1, "the overwritten entry was served for the other file"
