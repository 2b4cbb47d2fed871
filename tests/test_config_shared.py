"""One configuration: `schema-parity check` and `pytest --schema-parity` read [tool.schema-parity] the same way, and
agree on every finding; pytest's ini options override the file's keys as command-line options do for the CLI."""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

import pytest

from schema_parity.cli import main
from tests.alembic_projects import Revision, write_project

MIGRATIONS = [
    Revision(
        "r1",
        None,
        "op.create_table('account', sa.Column('id', sa.Integer, primary_key=True), "
        "sa.Column('email', sa.String(100), nullable=False), sa.Column('name', sa.String(50)))",
    ),
    Revision("r2", "r1", "op.create_unique_constraint('uq_account_email', 'account', ['email'])"),
]
#: Line 2 upserts on a key only r2 creates; line 3 on no key at all; line 4 uses SQLite-only syntax.
APP = textwrap.dedent(
    '''\
    Q = [
        "INSERT INTO account (email) VALUES (?) ON CONFLICT (email) DO NOTHING",
        "INSERT INTO account (email, name) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
        "INSERT OR REPLACE INTO account (email) VALUES (?) ON CONFLICT (email) DO NOTHING",
    ]
    '''
)
#: Every key the pytest items used to ignore: paths, dialects, the Alembic project, the revision, the baseline.
PYPROJECT = textwrap.dedent(
    """\
    [tool.schema-parity]
    paths = ["app"]
    alembic-config = "db/alembic.ini"
    revision = "{revision}"
    dialects = ["{dialect}"]
    {baseline}
    """
)


def write(root: Path, *, revision: str = "head", dialect: str = "postgresql", baseline: str = "") -> None:
    write_project(root / "db", MIGRATIONS)
    (root / "app").mkdir(exist_ok=True)
    (root / "app" / "queries.py").write_text(APP)
    (root / "vendored.py").write_text(APP)  # outside `paths`: neither runner may look at it
    (root / "pyproject.toml").write_text(PYPROJECT.format(revision=revision, dialect=dialect, baseline=baseline))


def cli_failures(root: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> dict[str, list]:
    """What the CLI reports, as {"path:line": sorted [rule, dialect] pairs} of the error findings."""
    monkeypatch.chdir(root)
    main(["check", "--format", "json", "--no-cache"])
    report = json.loads(capsys.readouterr().out)
    failures: dict[str, list] = {}
    for finding in report["findings"]:
        if finding["severity"] == "error" and not finding["baselined"] and not finding["suppressed"]:
            site = f"{finding['path']}:{finding['line']}"
            failures.setdefault(site, []).append([finding["rule"], finding["dialect"]])
    return {site: sorted(pairs) for site, pairs in failures.items()}


def pytest_failures(pytester: pytest.Pytester, *args: str) -> tuple[dict[str, list], pytest.RunResult]:
    """What the items report, in the same shape, from the failing items' texts."""
    result = pytester.runpytest("--schema-parity", "-p", "no:cacheprovider", "-p", "no:randomly", "-rf", *args)
    failures: dict[str, list] = {}
    for line in result.outlines:
        match = re.match(r"(app/\S+?):(\d+):\d+: (SP\d+) \[(\w+)\]", line.strip())
        if match:
            failures.setdefault(f"{match[1]}:{match[2]}", []).append([match[3], match[4]])
    return {site: sorted(pairs) for site, pairs in failures.items()}, result


@pytest.mark.parametrize(
    ("revision", "dialect"), [("head", "postgresql"), ("r1", "postgresql"), ("r1", "sqlite")]
)
def test_check_and_pytest_agree_on_every_finding(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    revision: str,
    dialect: str,
) -> None:
    write(pytester.path, revision=revision, dialect=dialect)
    from_cli = cli_failures(pytester.path, monkeypatch, capsys)
    from_pytest, result = pytest_failures(pytester)
    assert from_cli, "the project has findings in every parametrisation"
    assert from_pytest == from_cli
    assert all(pairs and all(d == dialect for _, d in pairs) for pairs in from_cli.values())
    assert ("app/queries.py:2" in from_cli) == (revision == "r1")
    result.assert_outcomes(passed=1 + 3 - len(from_cli), failed=len(from_cli))  # the schema item and 3 sites
    assert "vendored.py" not in result.stdout.str()


def test_both_honour_the_baseline_of_the_configuration(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write(pytester.path)
    monkeypatch.chdir(pytester.path)
    assert main(["check", "--no-cache", "--write-baseline", "baseline.json"]) == 0
    capsys.readouterr()
    write(pytester.path, baseline='baseline = "baseline.json"')
    assert cli_failures(pytester.path, monkeypatch, capsys) == {}
    from_pytest, result = pytest_failures(pytester)
    assert from_pytest == {}
    result.assert_outcomes(passed=4)


def test_ini_options_override_the_file_like_command_line_options(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write(pytester.path)
    monkeypatch.chdir(pytester.path)
    main(["check", "--format", "json", "--no-cache", "--revision", "r1", "--dialect", "sqlite"])
    report = json.loads(capsys.readouterr().out)
    from_cli = sorted(
        [f"{f['path']}:{f['line']}", f["rule"], f["dialect"]]
        for f in report["findings"]
        if f["severity"] == "error" and not f["baselined"]
    )
    from_pytest, _ = pytest_failures(pytester, "-o", "schema_parity_revision=r1", "-o", "schema_parity_dialects=sqlite")
    assert sorted([site, rule, dialect] for site, pairs in from_pytest.items() for rule, dialect in pairs) == from_cli
    assert {dialect for *_, dialect in from_cli} == {"sqlite"}


def test_the_fixtures_build_the_project_the_configuration_names(pytester: pytest.Pytester) -> None:
    write(pytester.path)
    pytester.makepyfile(
        test_db="""
        import sqlite3

        def test_migrated(schema_parity_db_path):
            with sqlite3.connect(schema_parity_db_path) as conn:
                (ddl,) = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'account'").fetchone()
            assert "CONSTRAINT uq_account_email UNIQUE (email)" in ddl
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider", "-p", "no:randomly")
    result.assert_outcomes(passed=1)


def test_a_broken_configuration_file_fails_the_items_and_the_fixtures_naming_it(pytester: pytest.Pytester) -> None:
    write(pytester.path)
    (pytester.path / "pyproject.toml").write_text('[tool.schema-parity]\nalembic-confg = "db/alembic.ini"\n')
    pytester.makepyfile(test_db="def test_db(schema_parity_db_path):\n    pass\n")
    result = pytester.runpytest("--schema-parity", "-p", "no:cacheprovider", "-p", "no:randomly")
    result.assert_outcomes(failed=1, errors=1)
    assert result.stdout.str().count("unknown key 'alembic-confg'") >= 2
