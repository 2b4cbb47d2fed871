"""The catalog cache serves an entry only for the key it was written for."""

from __future__ import annotations

import shutil
from pathlib import Path

from schema_parity.check import CheckOptions, run_check
from schema_parity.sources import SchemaOptions
from tests.alembic_projects import Revision, write_project

REVISIONS = [
    Revision(
        "c1",
        None,
        "op.create_table('doc', sa.Column('id', sa.Integer, primary_key=True), sa.Column('slug', sa.Text), "
        "sa.UniqueConstraint('slug', name='uq_doc_slug'))",
    ),
    Revision("c2", "c1", "op.drop_constraint('uq_doc_slug', 'doc', type_='unique')"),
]

APP = "SQL = \"INSERT INTO doc (id, slug) VALUES (1, 'x') ON CONFLICT (slug) DO NOTHING\"\n"


def rules_at(root: Path, ini: Path, revision: str) -> list[str]:
    result = run_check(
        [root / "app.py"],
        root=root,
        schema=SchemaOptions(alembic_config=ini, revision=revision),
        dialects=("sqlite",),
        options=CheckOptions(cache_dir=root / ".schema-parity" / "scan"),
    )
    return [f.rule for f in result.findings]


def entries(cache: Path) -> set[Path]:
    return {p for p in cache.iterdir() if p.suffix == ".json"}


def test_an_entry_copied_over_another_keys_entry_is_a_miss(tmp_path: Path) -> None:
    ini = write_project(tmp_path, REVISIONS)
    (tmp_path / "app.py").write_text(APP)
    cache = tmp_path / ".schema-parity" / "catalogs"
    assert rules_at(tmp_path, ini, "c1") == []
    [c1_entry] = entries(cache)
    assert rules_at(tmp_path, ini, "c2") == ["SP101"]
    [c2_entry] = entries(cache) - {c1_entry}
    # e.g. a CI cache restored under the wrong names: c1's file now holds the catalog of c2
    shutil.copyfile(c2_entry, c1_entry)
    assert rules_at(tmp_path, ini, "c1") == [], "the catalog of c2 was served for c1"
    # the entry was rebuilt for its own key, and is a hit again
    assert c1_entry.read_bytes() != c2_entry.read_bytes()
    assert rules_at(tmp_path, ini, "c1") == []
