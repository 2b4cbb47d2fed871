"""One engine failing does not stop the other: a revision only PostgreSQL can run leaves SQLite's sites unresolved
with the revision named, and PostgreSQL's verdicts go on (and the reverse); when no engine can run the history, the
check stops with exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from schema_parity.cli import main
from tests.alembic_projects import Revision, write_project

pytestmark = pytest.mark.postgres

TABLE = Revision(
    "t1", None, "op.create_table('t', sa.Column('id', sa.Integer, primary_key=True), sa.Column('tags', sa.Text))"
)
KEY = "op.create_unique_constraint('uq_t_tags', 't', ['tags'])"
#: Each runs on one engine only.
ONLY = {
    "postgresql": f"op.execute(\"SET LOCAL lock_timeout = '5s'\")\n{KEY}",
    "sqlite": f"op.execute('PRAGMA foreign_keys = ON')\n{KEY}",
    "neither": "op.execute('THIS IS NOT SQL')",
}
APP = 'SQL = "INSERT INTO t (id, tags) VALUES (1, \'a\') ON CONFLICT (tags) DO NOTHING"\n'


def run(tmp_path: Path, only: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, dict | None, str]:
    write_project(tmp_path / "db", [TABLE, Revision("x2", "t1", ONLY[only])])
    (tmp_path / "app.py").write_text(APP)
    code = main(["check", "--no-config", "--no-cache", "--alembic-config", str(tmp_path / "db" / "alembic.ini"),
                 "--format", "json", str(tmp_path / "app.py")])  # fmt: skip
    out, err = capsys.readouterr()
    return code, (json.loads(out) if out else None), err


@pytest.mark.parametrize(("runs_on", "fails_on"), [("postgresql", "sqlite"), ("sqlite", "postgresql")])
def test_the_engine_that_can_run_the_history_judges(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], runs_on: str, fails_on: str
) -> None:
    code, report, _ = run(tmp_path, runs_on, capsys)
    assert code == 0 and report is not None
    (site,) = report["sites"]
    assert site["verdicts"][runs_on] == {"verdict": "ok", "arbiters": ["uq_t_tags"], "rules": [], "reason": None}
    assert site["verdicts"][fails_on]["verdict"] == "unresolved"
    (reason,) = [f["message"] for f in report["findings"] if f["dialect"] == fails_on]
    assert reason.startswith(f"the migrations cannot run on {fails_on}: Revision x2 (")


def test_when_no_engine_can_run_the_history_the_check_stops(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, report, err = run(tmp_path, "neither", capsys)
    assert code == 2 and report is None
    assert "Revision x2 (" in err and "THIS IS NOT SQL" in err
