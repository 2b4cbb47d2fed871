"""``pytest --schema-parity`` with ``deploy-from``: one item per site of the deploy, failing where the CLI fails.

The projects are the git repositories of test_deploy.py (tests/deploy_repos.py): production at the tag ``prod``,
the pull request at HEAD. Each case runs in a pytester session with both deploy orders, on SQLite and PostgreSQL, and
the CLI's findings on the same project are compared with the items' outcomes.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from schema_parity import cli
from tests.deploy_repos import CASES, EXITS, repository, two_histories

CHANGED = "schema-parity::deploy::app/upsert.sql:1"
KEPT = "schema-parity::deploy::app/keep.sql:1"
ORDERS = ("migrations-first", "code-first")


def configure(root: Path, dialect: str, *, order: str | None = None, server: str | None = None) -> None:
    """``[tool.schema-parity]`` of the project: the history, the code, the deploy (and PostgreSQL's server)."""
    lines = [
        "[tool.schema-parity]",
        'alembic-config = "alembic.ini"',
        'paths = ["app"]',
        f'dialects = ["{dialect}"]',
        "cache = false",
        'deploy-from = "prod"',
    ]
    if order is not None:
        lines.append(f'deploy-order = "{order}"')
    if server is not None:
        lines += [f'postgres-url = "{server}"', 'postgres = "required"']
    (root / "pyproject.toml").write_text("\n".join(lines) + "\n")


def outcomes(pytester: pytest.Pytester, *args: str) -> dict[str, str]:
    """Each deploy item's outcome (``passed``/``failed``), by node id."""
    recorded = pytester.inline_run("--schema-parity", "-p", "no:cacheprovider", *args)
    passed, skipped, failed = recorded.listoutcomes()
    assert not skipped
    found = {r.nodeid: "passed" for r in passed} | {r.nodeid: "failed" for r in failed}
    return {nodeid: outcome for nodeid, outcome in found.items() if nodeid.startswith("schema-parity::deploy")}


def expected_safe(name: str, dialect: str) -> str:
    case = CASES[name]
    return case.on_sqlite[0] if case.on_sqlite and dialect == "sqlite" else case.safe


def judge_in_pytest(pytester: pytest.Pytester, name: str, dialect: str, server: str | None = None) -> None:
    repository(pytester.path, CASES[name])
    safe = expected_safe(name, dialect)
    for order in ORDERS:
        configure(pytester.path, dialect, order=order, server=server)
        found = outcomes(pytester)
        changed = "failed" if EXITS[safe][order] == 1 else "passed"
        assert found == {KEPT: "passed", CHANGED: changed}, (order, found)




@pytest.mark.parametrize("name", sorted(CASES))
def test_each_case_as_items_on_sqlite_with_both_orders(pytester: pytest.Pytester, name: str) -> None:
    judge_in_pytest(pytester, name, "sqlite")


@pytest.mark.postgres
@pytest.mark.parametrize("name", sorted(CASES))
def test_each_case_as_items_on_postgresql_with_both_orders(
    pytester: pytest.Pytester, name: str, pg_admin_url: str
) -> None:
    judge_in_pytest(pytester, name, "postgresql", server=pg_admin_url)


def test_the_failure_is_the_finding_and_junit_shows_the_items(pytester: pytest.Pytester) -> None:
    repository(pytester.path, CASES["key-dropped"])
    configure(pytester.path, "sqlite", order="migrations-first")
    result = pytester.runpytest("--schema-parity", "-p", "no:cacheprovider", "--junitxml=report.xml")
    result.assert_outcomes(passed=4, failed=1)  # the schema, two ordinary sites, the kept deploy site; the changed one
    result.stdout.fnmatch_lines(
        [
            "*app/upsert.sql:1:1: SP601 ?sqlite? migrations first breaks the running code on sqlite: revision a3 (*",
            "*help: Deploy the code first*",
        ]
    )
    assert "Traceback" not in result.stdout.str()
    junit = (pytester.path / "report.xml").read_text()
    assert 'classname="schema-parity.deploy" name="app/upsert.sql:1"' in junit
    assert 'name="app/keep.sql:1"' in junit


def test_the_ini_options_override_the_file(pytester: pytest.Pytester) -> None:
    repository(pytester.path, CASES["key-added-with-its-code"])
    configure(pytester.path, "sqlite", order="migrations-first")
    assert outcomes(pytester) == {KEPT: "passed", CHANGED: "passed"}
    pytester.makeini("[pytest]\nschema_parity_deploy_order = code-first\n")
    assert outcomes(pytester) == {KEPT: "passed", CHANGED: "failed"}
    pytester.makeini("[pytest]\nschema_parity_deploy_from = a3\nschema_parity_deploy_order = code-first\n")
    assert outcomes(pytester) == {KEPT: "passed", CHANGED: "passed"}  # from the new head: nothing to deploy
    pytester.makeini("[pytest]\nschema_parity_deploy_order = sideways\n")
    result = pytester.runpytest("--schema-parity", "-p", "no:cacheprovider")
    result.stderr.fnmatch_lines(["*schema_parity_deploy_order = 'sideways': expected one of any, migrations-first*"])


def test_a_bad_deploy_from_is_one_failing_item(pytester: pytest.Pytester) -> None:
    repository(pytester.path, CASES["key-dropped"])
    configure(pytester.path, "sqlite")
    pytester.makeini("[pytest]\nschema_parity_deploy_from = no-such-thing\n")
    result = pytester.runpytest("--schema-parity", "-p", "no:cacheprovider", "-v")
    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines(["*schema-parity::deploy FAILED*", "*--deploy-from no-such-thing: neither a revision*"])


@pytest.mark.parametrize("name", sorted(CASES))
def test_cli_and_pytest_agree(
    pytester: pytest.Pytester, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    """Same project, same configuration: an item fails exactly at the sites where the CLI reports an error, and the
    CLI exits 1 exactly when an item fails."""
    repository(pytester.path, CASES[name])
    monkeypatch.chdir(pytester.path)
    for order in ("any", *ORDERS):
        configure(pytester.path, "sqlite", order=order)
        capsys.readouterr()  # the previous pytest session's output
        code = cli.main(["check", "--format", "json"])
        report = json.loads(capsys.readouterr().out)
        failing = {f"schema-parity::deploy::{f['path']}:{f['line']}" for f in report["findings"] if
                   f["severity"] == "error"}  # fmt: skip
        found = outcomes(pytester)
        assert {n for n, outcome in found.items() if outcome == "failed"} == failing, (order, report["findings"])
        assert set(found) == {f"schema-parity::deploy::{s['path']}:{s['line']}" for s in report["deploy"]["sites"]}
        assert code == (1 if failing else 0)


def test_several_histories_as_items(pytester: pytest.Pytester) -> None:
    """Each site judged against its own history: with ``code-first``, only the site whose key a migration adds fails,
    and its failure names that history."""
    config = 'paths = ["app"]\ndialects = ["sqlite"]\ncache = false\ndeploy-from = "prod"\n'
    two_histories(pytester.path, config)
    item, secret = "schema-parity::deploy::app/item.sql:1", "schema-parity::deploy::app/secret.sql:1"
    assert outcomes(pytester) == {item: "failed", secret: "failed"}  # each order breaks one: no order is safe
    pytester.makeini("[pytest]\nschema_parity_deploy_order = code-first\n")
    assert outcomes(pytester) == {item: "failed", secret: "passed"}
    result = pytester.runpytest("--schema-parity", "-p", "no:cacheprovider")
    result.stdout.fnmatch_lines([f"*SP602 ?sqlite? * revision p2 (* of the history {pytester.path}/alembic.ini gives*"])
