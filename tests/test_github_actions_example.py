"""examples/github-actions/schema-parity.yml is a workflow GitHub accepts, and its ``run:`` steps pass as written.

The workflow is validated against GitHub's workflow schema (tests/data/github-workflow.json, from SchemaStore; see
tests/data/README.md). Its ``run:`` steps are executed, job by job, with bash as the runner does, in a scratch copy of
examples/telemetry. Only what GitHub provides is substituted:

- ``actions/checkout``: the scratch copy is the checked-out repository (``GITHUB_WORKSPACE``);
- ``actions/setup-python``: the interpreter running this test is first on ``PATH``, with the package under test
  installed; the install steps run as written against it with ``PIP_NO_INDEX=1``, so they must find every
  requirement already installed and cannot change the environment;
- the ``postgres`` service container: ``SCHEMA_PARITY_POSTGRES_URL`` names the test's PostgreSQL server instead;
- ``GITHUB_STEP_SUMMARY``: a file in the scratch directory;
- ``github/codeql-action/upload-sarif``: the file it would upload is validated against the SARIF 2.1.0 schema.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW = ROOT / "examples" / "github-actions" / "schema-parity.yml"
TELEMETRY = ROOT / "examples" / "telemetry"
WORKFLOW_SCHEMA = ROOT / "tests" / "data" / "github-workflow.json"
SARIF_SCHEMA = ROOT / "tests" / "data" / "sarif-schema-2.1.0.json"
SUBSTITUTED_ACTIONS = ("actions/checkout@", "actions/setup-python@", "github/codeql-action/upload-sarif@")


class WorkflowLoader(yaml.SafeLoader):
    """YAML as GitHub reads it: ``on`` is a key, not YAML 1.1's boolean (only true/false are booleans)."""


WorkflowLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
WorkflowLoader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|false)$"), list("tf"))


def load_workflow(text: str) -> dict[str, Any]:
    document = yaml.load(text, Loader=WorkflowLoader)  # a SafeLoader subclass: no arbitrary objects
    assert isinstance(document, dict)
    return document


def workflow_errors(document: dict[str, Any]) -> list[str]:
    schema = json.loads(WORKFLOW_SCHEMA.read_text(encoding="utf-8"))
    validator = jsonschema.Draft7Validator(schema)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(document)]


def test_the_workflow_is_valid_for_github() -> None:
    assert workflow_errors(load_workflow(WORKFLOW.read_text(encoding="utf-8"))) == []


def test_the_schema_rejects_a_misspelled_workflow() -> None:
    # the validation can fail: a key GitHub does not know, and a job without runs-on
    document = load_workflow(WORKFLOW.read_text(encoding="utf-8"))
    document["jobs"]["check"]["run-on"] = document["jobs"]["check"].pop("runs-on")
    assert workflow_errors(document) != []


def test_the_workflow_reads_on_as_the_trigger_key() -> None:
    document = load_workflow(WORKFLOW.read_text(encoding="utf-8"))
    assert set(document["on"]) == {"pull_request", "push"}


def run_job(job: dict[str, Any], workflow_env: dict[str, str], workspace: Path, pg_url: str) -> list[tuple[str, str]]:
    """Run the job's steps in order as the runner would; the (command, output) of each ``run:`` step.

    A ``uses:`` step must be one of the actions whose effect the module docstring substitutes."""
    summary = workspace.parent / "step-summary.md"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SCHEMA_PARITY_", "PYTEST_", "PIP_"))}
    env.update(workflow_env)
    env.update(job.get("env", {}))
    env.update(
        {
            "SCHEMA_PARITY_POSTGRES_URL": pg_url,  # the service container
            "SCHEMA_PARITY_CACHE_DIR": str(workspace.parent / "cache"),
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",  # setup-python
            "PIP_NO_INDEX": "1",
            "PIP_FIND_LINKS": "",
            "GITHUB_ACTIONS": "true",
            "CI": "true",
            "GITHUB_WORKSPACE": str(workspace),
            "GITHUB_STEP_SUMMARY": str(summary),
        }
    )
    outputs = []
    for step in job["steps"]:
        if "uses" in step:
            assert step["uses"].startswith(SUBSTITUTED_ACTIONS), f"no substitute for {step['uses']}"
            if step["uses"].startswith("github/codeql-action/upload-sarif@"):
                sarif = json.loads((workspace / step["with"]["sarif_file"]).read_text(encoding="utf-8"))
                jsonschema.validate(sarif, json.loads(SARIF_SCHEMA.read_text(encoding="utf-8")))
            continue
        result = subprocess.run(
            ["bash", "-e", "-c", step["run"]],  # the runner's default shell on Linux: bash -e {0}
            cwd=workspace,
            env={**env, **step.get("env", {})},
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        output = result.stdout + result.stderr
        assert result.returncode == 0, f"step {step.get('name', step['run'])!r} exited {result.returncode}:\n{output}"
        outputs.append((step["run"], output))
    return outputs


@pytest.mark.postgres
def test_the_workflow_steps_pass_on_the_telemetry_example(tmp_path: Path, pg_admin_url: str) -> None:
    workflow = load_workflow(WORKFLOW.read_text(encoding="utf-8"))
    workspace = tmp_path / "repository"
    shutil.copytree(TELEMETRY, workspace)

    check = dict(run_job(workflow["jobs"]["check"], workflow["env"], workspace, pg_admin_url))
    github = check["schema-parity check --format github"]
    assert "1 upsert site(s)" in github and "0 error(s)" in github and "::error" not in github
    summary = (tmp_path / "step-summary.md").read_text(encoding="utf-8")
    assert "schema-parity: 0 error(s)" in summary and "1 upsert site(s)" in summary
    sarif = json.loads((workspace / "schema-parity.sarif").read_text(encoding="utf-8"))
    assert sarif["runs"][0]["results"] == []

    pytest_job = dict(run_job(workflow["jobs"]["pytest"], workflow["env"], workspace, pg_admin_url))
    assert "31 passed" in pytest_job["pytest --schema-parity"]


@pytest.mark.postgres
def test_a_finding_fails_the_check_step_with_an_annotation(tmp_path: Path, pg_admin_url: str) -> None:
    # Without the migration that adds the unique key, the upsert's target matches nothing: the github-format step
    # fails the job with an annotation on the upsert's line, and the SARIF step still writes the report.
    workflow = load_workflow(WORKFLOW.read_text(encoding="utf-8"))
    workspace = tmp_path / "repository"
    shutil.copytree(TELEMETRY, workspace)
    (workspace / "migrations" / "versions" / "805164cd4665_add_unique_constraint_http_error_summary.py").unlink()
    job = workflow["jobs"]["check"]
    github_step = next(s for s in job["steps"] if "--format github" in s.get("run", ""))
    with pytest.raises(AssertionError, match="exited 1") as failure:
        run_job(
            {**job, "steps": job["steps"][: job["steps"].index(github_step) + 1]},
            workflow["env"],
            workspace,
            pg_admin_url,
        )
    assert "::error file=telemetry/comprehensive_telemetry.py,line=23," in str(failure.value)
    summary = (tmp_path / "step-summary.md").read_text(encoding="utf-8")
    assert "| `telemetry/comprehensive_telemetry.py:23:5` | SP101" in summary

    sarif_steps = [
        s for s in job["steps"] if "--format sarif" in s.get("run", "") or "upload-sarif" in s.get("uses", "")
    ]
    assert len(sarif_steps) == 2
    run_job({**job, "steps": sarif_steps}, workflow["env"], workspace, pg_admin_url)
    sarif = json.loads((workspace / "schema-parity.sarif").read_text(encoding="utf-8"))
    assert {r["ruleId"] for r in sarif["runs"][0]["results"]} == {"SP101"}
