"""``schema-parity diff --stairway``: each revision's downgrade must restore the schema before it, and the upgrade
after it must rebuild the schema the first upgrade built, on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from schema_parity.cli import main
from schema_parity.diff_stairway import stairway
from schema_parity.sources.spec import Sources, parse_spec
from tests.alembic_projects import Revision, write_project

R1 = Revision(
    "r1",
    None,
    "op.create_table('t', sa.Column('id', sa.Integer, primary_key=True), sa.Column('a', sa.String(10)))",
    "op.drop_table('t')",
)
GOOD_R2 = Revision(
    "r2", "r1", "op.add_column('t', sa.Column('b', sa.Integer))", "op.drop_column('t', 'b')"
)  # fmt: skip
# A downgrade that forgets the unique key, and an upgrade that tolerates what is left behind: running the steps
# succeeds; only the schemas show that the round trip is not one.
LEAKY_R2 = Revision(
    "r2",
    "r1",
    """
    op.execute("CREATE TABLE IF NOT EXISTS u (id INTEGER PRIMARY KEY, v VARCHAR(10) NOT NULL)")
    op.create_index("ix_t_a", "t", ["a"], unique=True)
    """,
    """
    op.drop_index("ix_t_a", table_name="t")
    op.alter_column("u", "v", existing_type=sa.String(10), nullable=True)
    """,
)
BROKEN_R2 = Revision("r2", "r1", "op.add_column('t', sa.Column('b', sa.Integer))", "op.drop_table('missing')")


def run(tmp_path: Path, revisions: list[Revision], spec: str, postgres_url: str | None = None) -> list[str]:
    write_project(tmp_path, revisions)
    with Sources(tmp_path, postgres_url=postgres_url) as sources:
        steps = stairway(parse_spec(spec), [parse_spec(spec).engine], sources)
    found = []
    for step in steps:
        found += [f"{step.revision} restored: {d.describe()}" for d in step.not_restored]
        found += [f"{step.revision} rebuilt: {d.describe()}" for d in step.not_rebuilt]
        found += [f"{step.revision} error" for _ in [step.error] if step.error]
    return found


def test_a_good_history_round_trips(tmp_path: Path) -> None:
    assert run(tmp_path, [R1, GOOD_R2], "alembic:alembic.ini#sqlite") == []


def test_a_leaky_downgrade_is_found_although_every_step_runs(tmp_path: Path) -> None:
    assert run(tmp_path, [R1, LEAKY_R2], "alembic:alembic.ini#sqlite") == [
        "r2 restored: u: only in B: table",
        "r2 rebuilt: u.v: nullability: A has NOT NULL, B has NULL",
    ]


def test_a_failing_downgrade_names_the_revision(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                               monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    assert run(tmp_path, [R1, BROKEN_R2], "alembic:alembic.ini#sqlite") == ["r2 error"]
    monkeypatch.chdir(tmp_path)
    assert main(["diff", "--stairway", "alembic:alembic.ini#sqlite"]) == 1
    out = capsys.readouterr().out
    assert "r1 (sqlite): ok" in out and "r2 (sqlite):" in out and "missing" in out
    assert "1 of 2 round trip(s) do not restore the schema" in out


def test_the_command(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    write_project(tmp_path, [R1, GOOD_R2])
    monkeypatch.chdir(tmp_path)
    assert main(["diff", "--stairway", "alembic:alembic.ini#sqlite"]) == 0
    assert capsys.readouterr().out.endswith("2 round trip(s), all restore the schema\n")
    assert main(["diff", "--stairway", "alembic:alembic.ini#sqlite", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["source"] == "alembic:alembic.ini#sqlite"
    steps = [(s["revision"], s["dialect"], s["ok"]) for s in data["steps"]]
    assert steps == [("r1", "sqlite", True), ("r2", "sqlite", True)]
    assert main(["diff", "--stairway", "sql:x.sql#sqlite"]) == 2
    assert main(["diff", "alembic:alembic.ini"]) == 2
    assert "diff needs two sources" in capsys.readouterr().err


@pytest.mark.postgres
def test_on_postgresql(tmp_path: Path, pg_admin_url: str) -> None:
    assert run(tmp_path, [R1, LEAKY_R2], "alembic:alembic.ini#postgresql", pg_admin_url) == [
        "r2 restored: u: only in B: table",
        "r2 rebuilt: u.v: nullability: A has NOT NULL, B has NULL",
    ]


# The stairway reads a table again only when its stored definition changed (the reflection memo): a downgrade that
# leaves an index behind on a table every step keeps must still show, on each engine.
INDEX_LEFT_R2 = Revision(
    "r2", "r1", 'op.execute("CREATE UNIQUE INDEX IF NOT EXISTS ix_t_a ON t (a)")', "pass"
)  # fmt: skip


@pytest.mark.parametrize("dialect", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_an_index_left_on_a_kept_table_is_found(tmp_path: Path, dialect: str, request: pytest.FixtureRequest) -> None:
    url = request.getfixturevalue("pg_admin_url") if dialect == "postgresql" else None
    found = run(tmp_path, [R1, INDEX_LEFT_R2], f"alembic:alembic.ini#{dialect}", url)
    assert found == ["r2 restored: t: only in B: UNIQUE INDEX ix_t_a (a)"]


def test_the_runner_downgrades(tmp_path: Path) -> None:
    from schema_parity.sources.alembic import AlembicProject, current_revision, sqlite_memory_connection, upgrade
    from schema_parity.sources.alembic.runner import downgrade
    from schema_parity.sources.reflect import reflect

    project = AlembicProject.load(write_project(tmp_path, [R1, GOOD_R2]))
    with sqlite_memory_connection() as connection:
        assert upgrade(connection, project) == ["r1", "r2"]
        assert downgrade(connection, project, "r1") == ["r2"]
        assert current_revision(connection) == "r1"
        assert [c.name for c in reflect(connection).tables[0].columns] == ["id", "a"]
        assert downgrade(connection, project, "base") == ["r1"]
        assert current_revision(connection) is None and reflect(connection).tables == ()
