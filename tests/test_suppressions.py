"""Every suppression form in SQL and Python files, and the report of suppressions that no longer suppress anything."""

from __future__ import annotations

from pathlib import Path

import pytest

from schema_parity.suppressions import directives_in
from tests.test_cli_check import BAD, GOOD, make_project, rules_of, run_main

NOT_NULL = "INSERT INTO t (host) VALUES ('a') ON CONFLICT (host) DO NOTHING;"  # SP301


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def check_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict]:
    code, report, _ = run_main(capsys, "check", "--format", "json", *args, parse=True)
    return code, report  # type: ignore[return-value]


@pytest.mark.parametrize(
    "text",
    [
        f"-- schema-parity: ignore[SP101]\n{BAD}\n",
        f"{BAD}  -- schema-parity: ignore[SP101]\n",
        f"-- schema-parity: ignore\n{BAD}\n",
        f"-- schema-parity: ignore[SP301, sp101]\n{BAD}\n",
        f"-- schema-parity: ignore[SP1]\n{BAD}\n",
        f"-- schema-parity: ignore-file[SP101]\n\n\n{GOOD}\n\n{BAD}\n",
        f"-- a header\n-- schema-parity: ignore-file\n{BAD}\n",
    ],
    ids=["line-above", "same-line", "bare", "two-codes", "prefix", "file-level", "file-level-bare"],
)
def test_sql_forms_suppress(project: Path, capsys: pytest.CaptureFixture[str], text: str) -> None:
    make_project(project, {"app/q.sql": text})
    code, report = check_json(capsys)
    assert code == 0
    assert rules_of(report) == [] and [r for r, *_ in rules_of(report, suppressed=True)] == ["SP101"]
    assert report["summary"]["errors"] == 0 and report["summary"]["suppressed"] == 1


@pytest.mark.parametrize(
    "text",
    [
        f"-- schema-parity: ignore[SP301]\n{BAD}\n",  # another rule
        f"-- schema-parity: ignore[SP101]\n\n{BAD}\n",  # two lines above
        "\n" * 20 + f"-- schema-parity: ignore-file[SP101]\n{GOOD}\n{BAD}\n",  # file-level after line 20
        f"-- schema-parity: ignore[SP101]\n{GOOD}\n{BAD}\n",  # belongs to the statement below it only
    ],
    ids=["other-rule", "too-far", "file-level-too-late", "next-statement-only"],
)
def test_sql_forms_that_do_not_suppress(project: Path, capsys: pytest.CaptureFixture[str], text: str) -> None:
    make_project(project, {"app/q.sql": text})
    code, report = check_json(capsys)
    assert code == 1 and [r for r, *_ in rules_of(report)] == ["SP101"]


PY_ABOVE = f'''\
def f(cur):
    # schema-parity: ignore[SP101]
    cur.execute(
        """
        {BAD}
        """
    )
'''
PY_TRAILING = f'''\
def f(cur):
    cur.execute(
        """
        {BAD}
        """
    )  # schema-parity: ignore[SP101]
'''
PY_SQL_COMMENT = f'''\
def f(cur):
    cur.execute("""
        -- schema-parity: ignore[SP101]
        {BAD}
    """)
'''
PY_FILE = f'# schema-parity: ignore-file[SP101]\n\ndef f(cur):\n    cur.execute("{BAD}")\n'


@pytest.mark.parametrize(
    "text", [PY_ABOVE, PY_TRAILING, PY_SQL_COMMENT, PY_FILE], ids=["above", "trailing", "sql-comment", "file"]
)
def test_python_forms_suppress(project: Path, capsys: pytest.CaptureFixture[str], text: str) -> None:
    make_project(project, {"app/q.py": text})
    code, report = check_json(capsys)
    assert code == 0, report["findings"]
    assert [r for r, *_ in rules_of(report, suppressed=True)] == ["SP101"]


def test_python_comment_covers_only_its_own_statement(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = f'def f(cur):\n    # schema-parity: ignore[SP101]\n    cur.execute("{GOOD}")\n    cur.execute("{BAD}")\n'
    make_project(project, {"app/q.py": text})
    code, report = check_json(capsys)
    assert code == 1 and rules_of(report) == [("SP101", "app/q.py", 4)]


def test_unused_suppressions_are_reported_on_request(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = (
        "-- schema-parity: ignore-file[SP205]\n"  # SP205 never fires here
        f"-- schema-parity: ignore[SP101]\n{BAD}\n"  # used
        f"-- schema-parity: ignore[SP101,SP301]\n{NOT_NULL}\n"  # SP301 used, SP101 not
        f"-- schema-parity: ignore[SP777]\n{GOOD}\n"  # unknown code
        f"-- schema-parity: ignore[SP111]\n{GOOD}\n"  # a rule that is not selected: not reported
    )
    make_project(project, {"app/q.sql": text, "app/plain.sql": "-- schema-parity: ignore\nSELECT 1;\n"})
    code, report = check_json(capsys)
    assert code == 0 and rules_of(report) == []
    code, report = check_json(capsys, "--report-unused-suppressions", "--ignore", "SP111")
    reported = [f for f in report["findings"] if not f["suppressed"]]
    assert code == 0 and {(f["rule"], f["severity"]) for f in reported} == {("SP904", "warning")}
    unused = [(f["path"], f["line"], f["message"]) for f in reported]
    assert unused == [
        ("app/plain.sql", 1, "unused suppression: nothing reported for every rule in these lines"),
        ("app/q.sql", 1, "unused suppression: nothing reported for SP205 in this file"),
        ("app/q.sql", 4, "unused suppression: nothing reported for SP101 in these lines"),
        ("app/q.sql", 6, "unknown rule code SP777 in a suppression comment"),
    ]
    code, _report = check_json(capsys, "--report-unused-suppressions", "--severity", "SP904=error")
    assert code == 1


def test_directive_parsing() -> None:
    text = "x = 1  # schema-parity: ignore[sp101 , SP3]\n# schema-parity: ignored\n# schema-parity:ignore-file\n"
    found = directives_in(text, "m.py", python=True)
    assert [(d.line, d.codes, d.file_level) for d in found] == [(1, ("SP101", "SP3"), False), (3, (), True)]
