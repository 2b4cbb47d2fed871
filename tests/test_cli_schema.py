"""`schema-parity schema` and the command's error contract, run as a user runs it: a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from schema_parity.catalog import Catalog
from tests.alembic_projects import Revision, linear_chain, write_project

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE_INI = ROOT / "examples" / "telemetry" / "alembic.ini"


def run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "schema_parity", *args],
        check=False,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_version() -> None:
    result = run("--version")
    assert result.returncode == 0
    assert result.stdout.startswith("schema-parity ")


def test_text_at_head_and_json_at_first_revision() -> None:
    head = run("schema", "--alembic-config", str(EXAMPLE_INI))
    assert head.returncode == 0, head.stderr
    assert "UNIQUE uq_http_error_summary_host_status (host, status_code)" in head.stdout
    assert "at revision 805164cd4665" in head.stdout

    first = run("schema", "--alembic-config", str(EXAMPLE_INI), "--format", "json", "--revision", "a1b2c3d4e5f6")
    assert first.returncode == 0, first.stderr
    catalog = Catalog.from_json(first.stdout)
    assert catalog.revision == "a1b2c3d4e5f6"
    table = catalog.table("http_error_summary")
    assert table is not None
    assert [k.kind for k in table.keys] == ["primary_key"]
    assert "uq_http_error_summary_host_status" not in first.stdout


def test_discovers_alembic_ini_from_the_working_directory(tmp_path: Path) -> None:
    result = run("schema", "--format", "json", cwd=EXAMPLE_INI.parent)
    assert result.returncode == 0, result.stderr
    assert Catalog.from_json(result.stdout).revision == "805164cd4665"


def test_output_file(tmp_path: Path) -> None:
    out = tmp_path / "schema.json"
    result = run("schema", "--alembic-config", str(EXAMPLE_INI), "--format", "json", "--output", str(out))
    assert result.returncode == 0 and result.stdout == ""
    assert json.loads(out.read_text())["dialect"] == "sqlite"


@pytest.mark.parametrize(
    ("setup", "args", "expected"),
    [
        ("missing", ["--alembic-config", "{tmp}/nope.ini"], "nope.ini does not exist"),
        ("malformed", ["--alembic-config", "{tmp}/alembic.ini"], "malformed ini"),
        ("chain", ["--alembic-config", "{tmp}/alembic.ini", "--revision", "deadbeef"], "no revision 'deadbeef'"),
        ("failing", ["--alembic-config", "{tmp}/alembic.ini"], "Revision bad2"),
        ("two_heads", ["--alembic-config", "{tmp}/alembic.ini"], "2 heads (left, right)"),
        ("chain", ["--database-url", "postgresql+psycopg://u:hunter2@127.0.0.1:1/db"], "***"),
        ("chain", ["--database-url", "sqlite:///{tmp}/missing.db"], "missing.db"),
    ],
)
def test_bad_input_exits_2_with_a_message_and_no_traceback(
    tmp_path: Path, setup: str, args: list[str], expected: str
) -> None:
    if setup == "malformed":
        (tmp_path / "alembic.ini").write_text("[alembic\nscript_location = x\n")
    elif setup == "chain":
        write_project(tmp_path, linear_chain(2))
    elif setup == "failing":
        write_project(
            tmp_path,
            [
                Revision("ok1", None, "op.create_table('t', sa.Column('id', sa.Integer, primary_key=True))"),
                Revision("bad2", "ok1", "op.execute('ALTER TABLE t ADD CONSTRAINT c CHECK (id > 0) NOT VALID')"),
            ],
        )
    elif setup == "two_heads":
        write_project(
            tmp_path,
            [
                Revision("b", None, "pass"),
                Revision("left", "b", "pass"),
                Revision("right", "b", "pass"),
            ],
        )
    result = run("schema", *[a.format(tmp=tmp_path) for a in args])
    assert result.returncode == 2, result.stdout + result.stderr
    assert expected in result.stderr
    assert "Traceback" not in result.stderr
    assert "hunter2" not in result.stderr
    assert result.stderr.startswith("schema-parity: error: ")
    assert not (tmp_path / "missing.db").exists()


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    result = run("--debug", "schema", "--alembic-config", str(tmp_path / "nope.ini"))
    assert result.returncode == 2
    assert "Traceback" in result.stderr


@pytest.mark.postgres
def test_reflects_postgresql_read_only(pg_url: str) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(pg_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (id integer PRIMARY KEY, a integer, CONSTRAINT t_a_uq UNIQUE (a))")
    engine.dispose()
    result = run("schema", "--database-url", pg_url)
    assert result.returncode == 0, result.stderr
    assert "UNIQUE t_a_uq (a)" in result.stdout
    assert "PRIMARY KEY t_pkey (id)" in result.stdout


def test_revisions_that_print_do_not_corrupt_json(tmp_path: Path) -> None:
    write_project(
        tmp_path,
        [Revision("p1", None, "print('progress: creating t')\nop.create_table('t', sa.Column('id', sa.Integer))")],
    )
    result = run("schema", "--alembic-config", str(tmp_path / "alembic.ini"), "--format", "json")
    assert result.returncode == 0, result.stderr
    assert Catalog.from_json(result.stdout).table("t") is not None
    assert "progress: creating t" in result.stderr
