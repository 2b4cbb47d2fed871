"""A history is run once per engine, however many revisions hold an upsert: each revision's Catalog is taken on the
way (a statement inside a migration is judged at its own revision)."""

from __future__ import annotations

from pathlib import Path

import pytest

from schema_parity.check import run_check
from schema_parity.sources import SchemaOptions
from tests.alembic_projects import Revision, write_project

N = 12


def counted_history(counter: Path) -> list[Revision]:
    """N revisions; each creates a table, appends its id to ``counter`` when it runs, and upserts into its table."""
    revisions = []
    for i in range(N):
        revisions.append(
            Revision(
                f"r{i:02d}",
                f"r{i - 1:02d}" if i else None,
                f"""
                with open({str(counter)!r}, "a") as f:
                    f.write("r{i:02d}\\n")
                op.create_table("t{i}", sa.Column("id", sa.Integer, primary_key=True), sa.Column("n", sa.Integer))
                op.execute("INSERT INTO t{i} (id, n) VALUES (1, 1) ON CONFLICT (id) DO NOTHING")
                """,
            )
        )
    return revisions


@pytest.mark.parametrize("postgres", ["auto", "offline"])
def test_each_revision_runs_once_per_engine(tmp_path: Path, postgres: str) -> None:
    counter = tmp_path / "ran.txt"
    ini = write_project(tmp_path / "db", counted_history(counter))
    result = run_check(
        [tmp_path / "db" / "migrations" / "versions"],
        root=tmp_path,
        schema=SchemaOptions(alembic_config=ini, postgres=postgres),  # type: ignore[arg-type]
        dialects=("sqlite", "postgresql") if postgres == "auto" else ("sqlite",),
    )
    assert len(result.sites) == N
    assert [s.site.revision for s in result.sites] == [f"r{i:02d}" for i in range(N)]
    assert all(v.status == "ok" for s in result.sites for v in s.verdicts)
    ran = counter.read_text().splitlines()
    engines = 2 if postgres == "auto" else 1
    assert sorted(ran) == sorted([f"r{i:02d}" for i in range(N)] * engines), "every revision once per engine"
