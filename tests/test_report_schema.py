"""The published JSON Schemas (docs/reference/report.schema.json, capture.schema.json) hold for real output.

Reports of real ``schema-parity check --format json`` runs, clean, with findings, unresolved, verified on the
engines, judged on PostgreSQL, of a deploy, and a real capture file, validate against the schemas. The schemas
forbid unknown keys and require every key, so a key added to the report without its schema line fails here; and
the schema's fingerprint must be the one recorded for ``REPORT_VERSION``, so a schema change without a version bump
fails too.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from referencing import Registry, Resource

from schema_parity import cli
from schema_parity.report.json import REPORT_SCHEMA_FINGERPRINTS, REPORT_VERSION
from schema_parity.report.schema import CAPTURE_SCHEMA, REPORT_SCHEMA, fingerprint
from tests.deploy_repos import CASES, repository
from tests.test_capture_plugin import capture_project
from tests.test_cli_check import BAD, GOOD, make_project

REGISTRY = Registry().with_resources(
    (name, Resource.from_contents(schema))
    for name, schema in (("report.schema.json", REPORT_SCHEMA), ("capture.schema.json", CAPTURE_SCHEMA))
)


def errors(instance: Any, schema: dict[str, Any]) -> list[str]:
    validator = jsonschema.Draft202012Validator(schema, registry=REGISTRY)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(instance)]


def check_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    code = cli.main(["check", "--format", "json", *args])
    out, err = capsys.readouterr()
    assert code in (0, 1), err
    return code, json.loads(out)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    return tmp_path


def test_the_schemas_are_valid_draft_2020_12() -> None:
    for schema in (REPORT_SCHEMA, CAPTURE_SCHEMA):
        jsonschema.Draft202012Validator.check_schema(schema)


def test_a_clean_report(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    make_project(project, {"app/q.sql": GOOD})
    code, report = check_json(capsys)
    assert code == 0 and report["summary"]["sites"] == 1 and report["findings"] == []
    assert errors(report, REPORT_SCHEMA) == []


def test_a_report_with_findings_suppressed_and_unresolved(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    runtime = 'def f(cur, key):\n    cur.execute(f"INSERT INTO t (host) VALUES (1) ON CONFLICT ({key}) DO NOTHING")\n'
    make_project(project, {"app/q.sql": f"{BAD}\n-- schema-parity: ignore[SP101]\n{BAD}\n", "app/r.py": runtime})
    code, report = check_json(capsys)
    assert code == 1
    assert report["summary"]["errors"] and report["summary"]["suppressed"] and report["summary"]["unresolved_sites"]
    assert errors(report, REPORT_SCHEMA) == []


def test_a_verified_report(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    make_project(project, {"app/q.sql": f"{GOOD}\n{BAD}\n"})
    _, report = check_json(capsys, "--verify")
    assert any(site["verified"] for site in report["sites"])
    assert errors(report, REPORT_SCHEMA) == []


@pytest.mark.postgres
def test_a_report_judged_on_postgresql(project: Path, capsys: pytest.CaptureFixture[str], pg_admin_url: str) -> None:
    repository(project, CASES["key-dropped"])
    _, report = check_json(
        capsys, "--no-config", "--no-cache", "--alembic-config", "alembic.ini", "--postgres-url", pg_admin_url,
        "--postgres", "required", "app",
    )  # fmt: skip
    assert set(report["engines"]) == {"postgresql", "sqlite"} and report["sites"]
    assert errors(report, REPORT_SCHEMA) == []


def test_a_deploy_report(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repository(project, CASES["key-dropped"])
    _, report = check_json(
        capsys, "--no-config", "--no-cache", "--alembic-config", "alembic.ini", "--dialect", "sqlite",
        "--deploy-from", "prod", "app",
    )  # fmt: skip
    assert report["deploy"] is not None and report["deploy"]["sites"]
    assert errors(report, REPORT_SCHEMA) == []


def test_a_capture_file(pytester: pytest.Pytester) -> None:
    capture_project(pytester)
    pytester.runpytest("--schema-parity-capture", "--schema-parity-capture-file=capture.json", "-p", "no:cacheprovider")
    data = json.loads((pytester.path / "capture.json").read_text())
    assert data["statements"] and data["report"]["findings"]
    assert errors(data, CAPTURE_SCHEMA) == []
    assert any(s["duplicate"] for s in data["statements"])  # SP302's evidence is covered too


def test_an_unknown_or_missing_key_fails_validation(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    make_project(project, {"app/q.sql": BAD})
    _, report = check_json(capsys)
    added = copy.deepcopy(report)
    added["sites"][0]["new_key"] = 1
    missing = copy.deepcopy(report)
    del missing["findings"][0]["hint"]
    retyped = copy.deepcopy(report)
    retyped["summary"]["errors"] = "2"
    assert [len(errors(r, REPORT_SCHEMA)) for r in (added, missing, retyped)] == [1, 1, 1]


def test_the_report_shape_is_the_one_recorded_for_its_version() -> None:
    now = fingerprint(REPORT_SCHEMA)
    assert REPORT_SCHEMA_FINGERPRINTS.get(REPORT_VERSION) == now, (
        f"the JSON report's schema changed (fingerprint {now}) but REPORT_VERSION is still {REPORT_VERSION}: run "
        "`python -m schema_parity.reference fingerprint` and follow what it says"
    )
    assert max(REPORT_SCHEMA_FINGERPRINTS) == REPORT_VERSION
    assert len(set(REPORT_SCHEMA_FINGERPRINTS.values())) == len(REPORT_SCHEMA_FINGERPRINTS), "a bump with no change"
    assert REPORT_SCHEMA["properties"]["version"]["const"] == REPORT_VERSION


def test_the_fingerprint_sees_keys_and_types_not_words() -> None:
    base = fingerprint(REPORT_SCHEMA)
    added, retyped, reworded = (copy.deepcopy(REPORT_SCHEMA) for _ in range(3))
    added["properties"]["sites"]["items"]["properties"]["new_key"] = {"type": "string"}
    retyped["properties"]["findings"]["items"]["properties"]["line"]["type"] = ["integer", "null"]
    reworded["properties"]["notes"]["description"] = "other words"
    assert fingerprint(added) != base and fingerprint(retyped) != base
    assert fingerprint(reworded) == base
