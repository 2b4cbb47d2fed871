"""Adopting the check on legacy code: a baseline robust to shifted lines, and --diff-base on a real git repository."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.test_cli_check import BAD, GOOD, make_project, rules_of, run_main

OTHER_BAD = "INSERT INTO t (host, code, n) VALUES ('b', 2, 3) ON CONFLICT (host, n) DO NOTHING;"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_baseline_absorbs_old_findings_after_lines_shift(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    make_project(project, {"app/q.sql": f"{BAD}\n", "app/r.py": f'def f(c):\n    c.execute("{BAD}")\n'})
    code, _out, err = run_main(capsys, "check", "--write-baseline", "baseline.json")
    assert code == 0 and "recorded 2 finding(s)" in err
    entries = json.loads((project / "baseline.json").read_text())["findings"]
    assert [(e["rule"], e["path"], e["count"]) for e in entries] == [
        ("SP101", "app/q.sql", 1),
        ("SP101", "app/r.py", 1),
    ]
    assert "line" not in entries[0]
    # unrelated edits move the statements and reformat one: still the same findings
    (project / "app/q.sql").write_text(f"-- header\n\n{GOOD}\n\n{BAD.replace(' ON ', chr(10) + '  on ')}\n")
    (project / "app/r.py").write_text(f'import os\n\n\ndef f(c):\n    os.getcwd()\n    c.execute("{BAD}")\n')
    code, report, _ = run_main(capsys, "check", "--baseline", "baseline.json", "--format", "json", parse=True)
    assert code == 0, report["findings"]
    assert [f["baselined"] for f in report["findings"]] == [True, True]
    assert report["summary"]["baselined"] == 2 and report["summary"]["errors"] == 0
    # a new problem is reported, the old ones are not
    (project / "app/q.sql").write_text(f"{BAD}\n{OTHER_BAD}\n")
    code, out, _ = run_main(capsys, "check", "--baseline", "baseline.json")
    assert code == 1 and "2:1 error SP101" in out and "1:1 error" not in out and "2 in the baseline" in out


def test_an_entry_absorbs_at_most_its_count(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    make_project(project, {"app/q.sql": f"{BAD}\n"})
    run_main(capsys, "check", "--write-baseline", "baseline.json")
    (project / "app/q.sql").write_text(f"{BAD}\n{BAD}\n")  # the same statement, copied
    code, report, _ = run_main(capsys, "check", "--baseline", "baseline.json", "--format", "json", parse=True)
    assert code == 1
    assert [(f["line"], f["baselined"]) for f in report["findings"]] == [(1, True), (2, False)]


def test_baseline_from_config_and_a_malformed_one(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tests.test_cli_check import CONFIG

    make_project(project, {"app/q.sql": BAD}, config=CONFIG + 'baseline = "ci/baseline.json"\n')
    assert run_main(capsys, "check", "--write-baseline", "ci/baseline.json")[0] == 0
    assert run_main(capsys, "check")[0] == 0
    (project / "ci/baseline.json").write_text('{"version": 1, "findings": [{"rule": "SP101"}]}')
    code, _, err = run_main(capsys, "check")
    assert code == 2 and "ci/baseline.json: malformed entry" in err


# -- --diff-base ------------------------------------------------------------------------------------------------------
def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", "-c", "commit.gpgsign=false", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


@needs_git
def test_diff_base_checks_only_changed_statements(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    make_project(project, {"app/old.sql": f"{BAD}\n{GOOD}\n", "app/edit.sql": f"{GOOD}\n{BAD}\n"})
    git(project, "init", "-q", "-b", "main")
    git(project, "add", ".")
    git(project, "commit", "-q", "-m", "base")
    git(project, "checkout", "-q", "-b", "feature")
    (project / "app/edit.sql").write_text(f"{GOOD}\n{BAD}\n{OTHER_BAD}\n")  # line 3 added
    git(project, "commit", "-q", "-am", "edit")
    (project / "app/new.sql").write_text(f"{BAD}\n")  # untracked
    (project / "app/old.sql").write_text(f"-- a comment\n{BAD}\n{GOOD}\n")  # unstaged; BAD only moved

    code, report, _ = run_main(capsys, "check", "--diff-base", "main", "--format", "json", parse=True)
    assert code == 1
    assert rules_of(report) == [("SP101", "app/edit.sql", 3), ("SP101", "app/new.sql", 1)]
    assert report["diff_base"] == "main"
    code, out, _ = run_main(capsys, "check")
    assert code == 1 and out.count("error SP101") == 4


@needs_git
def test_diff_base_checks_everything_when_the_schema_changed(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    make_project(project, {"app/q.sql": f"{GOOD}\n"})
    git(project, "init", "-q", "-b", "main")
    git(project, "add", ".")
    git(project, "commit", "-q", "-m", "base")
    (project / "schema.sql").write_text((project / "schema.sql").read_text().replace("(host);", "(code);"))
    code, report, _ = run_main(capsys, "check", "--diff-base", "main", "--format", "json", parse=True)
    assert code == 1 and rules_of(report) == [("SP101", "app/q.sql", 1)]
    assert any("the schema changed since main" in note for note in report["notes"])


@needs_git
def test_diff_base_errors(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    make_project(project, {"app/q.sql": BAD})
    code, _, err = run_main(capsys, "check", "--diff-base", "main")
    assert code == 2 and "is not inside a git repository" in err
    git(project, "init", "-q", "-b", "main")
    git(project, "add", ".")
    git(project, "commit", "-q", "-m", "base")
    code, _, err = run_main(capsys, "check", "--diff-base", "no-such-branch")
    assert code == 2 and "no merge-base of HEAD and 'no-such-branch'" in err


def test_a_missing_baseline_says_the_command_that_writes_it(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The advice is a whole command, right for `schema-parity check` and for a pytest item alike."""
    make_project(project, {"app/q.sql": BAD})
    code, _, err = run_main(capsys, "check", "--baseline", "ci/none.json")
    missing = project / "ci" / "none.json"
    assert code == 2
    assert str(err).splitlines() == [
        f"schema-parity: error: baseline {missing}: cannot read: No such file or directory (create it with: "
        f"schema-parity check --write-baseline {missing})"
    ]
