"""A history is run once per engine, however many revisions hold an upsert: each revision's Catalog is taken on the
way (a statement inside a migration is judged at its own revision)."""

from __future__ import annotations

from pathlib import Path

import pytest

from schema_parity.check import run_check
from schema_parity.sources import SchemaOptions
from schema_parity.sources.alembic import AlembicProject, catalog_at, catalogs_at, offline_sql, offline_sqls
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
        dialects=("sqlite", "postgresql"),
    )
    assert len(result.sites) == N
    assert [s.site.revision for s in result.sites] == [f"r{i:02d}" for i in range(N)]
    assert all(v.status == "ok" for s in result.sites for v in s.verdicts)
    ran = counter.read_text().splitlines()
    # offline, PostgreSQL's side is Alembic's --sql mode: the revisions' Python runs there too, once
    assert sorted(ran) == sorted([f"r{i:02d}" for i in range(N)] * 2), "every revision once per engine"


def test_one_offline_run_gives_what_a_run_to_each_revision_gives(tmp_path: Path) -> None:
    """On a history with two branches and a merge, each revision's offline SQL is what a run to it alone emits,
    whether it comes from a prefix of a longer run or from a run of its own."""
    history = [
        Revision("base1", None, "op.create_table('a', sa.Column('id', sa.Integer, primary_key=True))"),
        Revision("left1", "base1", "op.create_table('l', sa.Column('id', sa.Integer, primary_key=True))"),
        Revision("right1", "base1", "op.create_table('r', sa.Column('id', sa.Integer, primary_key=True))"),
        Revision("left2", "left1", "op.add_column('l', sa.Column('n', sa.Integer))"),
        Revision("merge1", ("left2", "right1"), "op.create_index('ix_r', 'r', ['id'], unique=True)"),
        Revision("after1", "merge1", "op.add_column('a', sa.Column('n', sa.Integer))"),
    ]
    project = AlembicProject.load(write_project(tmp_path / "db", history))
    wanted = ["base1", "left1", "right1", "left2", "merge1", "after1", "head"]
    together = offline_sqls(project, wanted)
    assert set(together) == set(wanted)
    for revision in wanted:
        assert together[revision] == offline_sql(project, revision), revision


def test_a_revision_that_cannot_run_offline_stops_only_the_revisions_after_it(tmp_path: Path) -> None:
    history = [
        Revision("ok1", None, "op.create_table('a', sa.Column('id', sa.Integer, primary_key=True))"),
        Revision("reads2", "ok1", "op.get_bind().execute(sa.text('SELECT 1')).scalar()"),
        Revision("ok3", "reads2", "op.create_table('b', sa.Column('id', sa.Integer, primary_key=True))"),
        Revision("side2", "ok1", "op.create_table('c', sa.Column('id', sa.Integer, primary_key=True))"),
    ]
    project = AlembicProject.load(write_project(tmp_path / "db", history))
    for wanted in (["ok1", "reads2", "ok3", "side2"], ["side2", "ok3"], ["ok1", "side2"]):
        together = offline_sqls(project, wanted)
        for revision in wanted:
            assert together[revision] == offline_sql(project, revision), (wanted, revision)
    assert offline_sql(project, "ok1")[1] == offline_sql(project, "side2")[1] == []
    assert "reads2" in offline_sql(project, "ok3")[1][0]


def test_catalogs_taken_on_the_way_equal_a_fresh_run_to_each_revision(tmp_path: Path) -> None:
    """The one-pass SQLite build reflects only the tables a revision changed; every Catalog must still be what a
    fresh database migrated to that revision reflects (renames rewrite other tables' DDL, indexes come and go)."""
    steps = [
        'op.execute("CREATE TABLE parent (id INTEGER PRIMARY KEY, code TEXT UNIQUE)")\n'
        'op.execute("CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent (id), n INT)")',
        'op.execute("CREATE UNIQUE INDEX ix_child_n ON child (n)")',
        'op.execute("ALTER TABLE parent RENAME TO parents")',
        'op.execute("DROP INDEX ix_child_n")\nop.execute("CREATE UNIQUE INDEX ix_child_n ON child (n) WHERE n > 0")',
        'op.execute("ALTER TABLE child RENAME COLUMN n TO m")',
        'op.execute("CREATE VIEW v AS SELECT id, m FROM child")',
        'op.execute("ALTER TABLE child ADD COLUMN k INTEGER CHECK (k > 0)")',
        'op.execute("DROP TABLE parents")',
    ]
    revisions = [Revision(f"r{i}", f"r{i - 1}" if i else None, step) for i, step in enumerate(steps)]
    project = AlembicProject.load(write_project(tmp_path / "db", revisions))
    ids = [r.id for r in revisions]
    one_pass = catalogs_at(project, ids)
    for revision in ids:
        assert one_pass[revision] == catalog_at(project, revision), revision
    before, after = one_pass["r2"].table("child"), one_pass["r3"].table("child")
    assert before is not None and after is not None and before.keys != after.keys  # the rebuilt index is read
