"""Several Alembic histories in one repository (two sections of one alembic.ini, as a multi-tenant project keeps):
each site is judged against the history that owns its table, and the report says which."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from schema_parity.cli import main
from tests.alembic_projects import Revision, write_project

PUBLIC = [Revision("p1", None, "op.create_table('account', sa.Column('id', sa.Integer, primary_key=True))")]
PRIVATE = [
    Revision(
        "s1",
        None,
        "op.create_table('secret', sa.Column('id', sa.Integer, primary_key=True), sa.Column('k', sa.Text))\n"
        """op.execute("INSERT INTO secret (id, k) VALUES (1, 'x') ON CONFLICT (id) DO NOTHING")""",
    )
]
APP = """
A = "INSERT INTO account (id) VALUES (1) ON CONFLICT (id) DO NOTHING"
S = "INSERT INTO secret (id, k) VALUES (1, 'x') ON CONFLICT (k) DO NOTHING"
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    write_project(tmp_path / "public", PUBLIC)
    write_project(tmp_path / "private", PRIVATE)
    ini = tmp_path / "alembic.ini"  # one ini, two sections (onyx keeps [alembic] and [schema_private])
    ini.write_text(
        "[alembic]\nscript_location = %(here)s/public/migrations\n\n"
        "[schema_private]\nscript_location = %(here)s/private/migrations\n"
    )
    (tmp_path / "app.py").write_text(APP)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def check(capsys: pytest.CaptureFixture[str]) -> tuple[int, dict]:
    code = main(["check", "--no-cache", "--dialect", "sqlite", "--format", "json", "app.py", "private"])
    out, err = capsys.readouterr()
    assert out, err
    return code, json.loads(out)


def test_one_history_reports_the_other_histories_tables_as_missing(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, report = check(capsys)
    assert code == 1
    rules = {s["line"]: s["verdicts"]["sqlite"]["rules"] for s in report["sites"] if s["path"] == "app.py"}
    assert rules == {2: [], 3: ["SP201"]}


def test_each_site_is_judged_against_the_history_that_owns_its_table(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "pyproject.toml").write_text(
        '[tool.schema-parity]\nalembic-config = "alembic.ini"\n\n'
        '[[tool.schema-parity.histories]]\nalembic-config = "alembic.ini"\nini-section = "schema_private"\n'
    )
    code, report = check(capsys)
    by_site = {(s["path"], s["line"]): (s["verdicts"]["sqlite"]["rules"], s["history"]) for s in report["sites"]}
    ini = str(project / "alembic.ini")
    assert by_site[("app.py", 2)] == ([], ini)
    assert by_site[("app.py", 3)] == (["SP101"], f"{ini} [schema_private]")  # the table exists: the key does not
    (migration,) = [v for k, v in by_site.items() if k[0].startswith("private")]
    assert migration == ([], f"{ini} [schema_private]")
    assert code == 1
