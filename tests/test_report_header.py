"""What the text report says it judged against (its header: schema source, revision, engines), and ``--output FILE``
still printing the one-line summary on stdout."""

from __future__ import annotations

import json
import sqlite3
import textwrap
from pathlib import Path

import pytest
import sqlalchemy as sa

from schema_parity.sources import Schema, SchemaOptions
from tests.alembic_projects import write_project
from tests.test_cli_check import BAD, make_project, run_main
from tests.test_plugin_items import APP, MIGRATIONS


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    return tmp_path


def alembic_project(root: Path) -> Path:
    write_project(root, MIGRATIONS)
    (root / "app").mkdir()
    (root / "app" / "store.py").write_text(textwrap.dedent(APP))
    return root


def test_header_names_the_history_the_revision_head_stands_for_and_sqlite(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    alembic_project(project)
    code, out, _ = run_main(capsys, "check", "--dialect", "sqlite", "app")
    assert code == 0
    assert out.splitlines()[:2] == [
        "schema: the Alembic history alembic.ini at head (r2)",
        f"sqlite: migrations run on SQLite {sqlite3.sqlite_version}",
    ]
    code, out, _ = run_main(capsys, "check", "--dialect", "sqlite", "--revision", "r1", "app")
    assert code == 1
    assert out.splitlines()[:3] == [
        "schema: the Alembic history alembic.ini at r1",
        f"sqlite: migrations run on SQLite {sqlite3.sqlite_version}",
        "",  # findings follow
    ]


@pytest.mark.postgres
def test_header_names_the_postgresql_server_version_and_masks_its_password(
    project: Path, capsys: pytest.CaptureFixture[str], pg_admin_url: str
) -> None:
    alembic_project(project)
    url = sa.engine.make_url(pg_admin_url).set(password="hunter2")  # trust authentication ignores it
    engine = sa.create_engine(pg_admin_url)
    try:
        with engine.connect() as conn:
            version = conn.exec_driver_sql("SHOW server_version").scalar_one().split()[0]
    finally:
        engine.dispose()
    given = url.render_as_string(hide_password=False)
    code, out, err = run_main(capsys, "check", "--postgres-url", given, "--postgres", "required", "--no-cache", "app")
    assert code == 0, err
    header = out.splitlines()[1]
    assert f"postgresql: migrations run on PostgreSQL {version} (" in header
    assert url.render_as_string(hide_password=True) in header
    assert f"sqlite: migrations run on SQLite {sqlite3.sqlite_version}" in header
    assert "hunter2" not in out + err


def test_header_names_ddl_files_and_a_database_with_its_password_masked(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_project(project, {"app/q.sql": BAD})
    code, out, _ = run_main(capsys, "check")
    assert code == 1
    assert out.splitlines()[:2] == ["schema: the DDL files schema.sql", "sqlite: DDL files, replayed"]
    database = project / "prod.db"
    with sqlite3.connect(database) as conn:
        conn.executescript((project / "schema.sql").read_text())
    conn.close()
    code, out, _ = run_main(capsys, "check", "--no-config", "--dialect", "sqlite", "--database-url",
                            f"sqlite:///{database}", "app")  # fmt: skip
    assert code == 1
    assert out.splitlines()[0] == f"schema: the database sqlite:///{database} (reflected)"
    # reflecting a server would connect: the header's words for one are checked without it
    options = SchemaOptions(database_url="postgresql+psycopg://app:hunter2@db.internal/prod", postgres="offline")
    with Schema(options, ("postgresql",)) as schema:
        said = schema.judged_against(project)
    assert said == "the database postgresql+psycopg://app:***@db.internal/prod (reflected)"


def test_output_file_still_prints_the_summary_line(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    make_project(project, {"app/q.sql": BAD})
    code, out, _ = run_main(capsys, "check", "--format", "json", "--output", "out/report.json")
    assert code == 1
    assert out == (
        "1 upsert site(s) in 1 file(s) checked for sqlite: 1 error(s), 0 warning(s), 0 unresolved "
        "(report: out/report.json)\n"
    )
    report = json.loads((project / "out/report.json").read_text())
    assert report["summary"]["errors"] == 1
    code, out, _ = run_main(capsys, "check", "--output", "report.txt")
    assert out.startswith("1 upsert site(s) in 1 file(s)") and out.count("\n") == 1
    assert (project / "report.txt").read_text().startswith("schema: the DDL files schema.sql\n")
