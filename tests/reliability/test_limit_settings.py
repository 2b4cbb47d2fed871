"""The two limits are settings a user can reach from every entry point: the command line, [tool.schema-parity], and
pytest's ini (the revision time limit, for the database fixtures and the check items)."""

from __future__ import annotations

from pathlib import Path

import pytest

from schema_parity.cli import main
from tests.alembic_projects import Revision, write_project

FIRST = Revision("ok1", None, 'op.create_table("t", sa.Column("a", sa.Integer, primary_key=True))')
ENDLESS = Revision("loop2", "ok1", "while True:\n    pass")
UPSERT = "INSERT INTO t (a) VALUES (1) ON CONFLICT (a) DO NOTHING;\n"


def test_revision_timeout_on_the_command_line_and_in_the_configuration(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    ini = write_project(tmp_path / "proj", [FIRST, ENDLESS])
    (tmp_path / "q.sql").write_text(UPSERT)
    monkeypatch.chdir(tmp_path)
    assert main(["check", "--no-config", "--alembic-config", str(ini), "--revision-timeout", "0.3", "q.sql"]) == 2
    err = capsys.readouterr().err
    assert "Revision loop2" in err and "time limit of 0.3 s" in err and "--revision-timeout SECONDS" in err
    (tmp_path / "pyproject.toml").write_text(
        f'[tool.schema-parity]\nalembic-config = "{ini}"\nrevision-timeout = 0.3\npaths = ["q.sql"]\n'
    )
    assert main(["check", "--no-cache"]) == 2
    assert "time limit of 0.3 s" in capsys.readouterr().err


def test_max_file_size_on_the_command_line_and_in_the_configuration(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "schema.sql").write_text("CREATE TABLE t (a integer PRIMARY KEY);\n")
    (tmp_path / "q.sql").write_text(UPSERT)
    monkeypatch.chdir(tmp_path)
    args = ["check", "--no-cache", "--format", "json", "q.sql", "--schema-sql", "schema.sql"]
    assert main(["--debug", *args[:1], "--no-config", *args[1:], "--max-file-size", "10"]) == 0
    assert '"rule": "SP903"' in capsys.readouterr().out
    (tmp_path / "pyproject.toml").write_text("[tool.schema-parity]\nmax-file-size = 10\n")
    assert main(args) == 0
    assert "over the 10-byte limit" in capsys.readouterr().out
    (tmp_path / "pyproject.toml").write_text("[tool.schema-parity]\nmax-file-size = 1000\n")
    assert main(args) == 0
    assert '"sites": 1' in capsys.readouterr().out


PYTEST_INI = """\
[pytest]
schema_parity_alembic_config = proj/alembic.ini
schema_parity_revision_timeout = {limit}
"""
USES_DATABASE = "def test_db(schema_parity_db_path):\n    assert schema_parity_db_path.exists()\n"


def test_revision_timeout_in_pytest_ini(pytester: pytest.Pytester) -> None:
    write_project(pytester.path / "proj", [FIRST, ENDLESS])
    pytester.makefile(".ini", pytest=PYTEST_INI.format(limit="0.3"))
    pytester.makepyfile(test_db=USES_DATABASE)
    result = pytester.runpytest_subprocess("-p", "no:randomly")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*Revision loop2*time limit of 0.3 s*"])


def test_an_invalid_revision_timeout_in_pytest_ini_is_a_usage_error(pytester: pytest.Pytester) -> None:
    write_project(pytester.path / "proj", [FIRST])
    pytester.makefile(".ini", pytest=PYTEST_INI.format(limit="soon"))
    pytester.makepyfile(test_db=USES_DATABASE)
    result = pytester.runpytest_subprocess("-p", "no:randomly")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*schema_parity_revision_timeout = 'soon': expected a number of seconds*"])
