"""`pytest --schema-parity`: the check as test items, run in pytester example projects."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from tests.alembic_projects import Revision, write_project

MIGRATIONS = [
    Revision(
        "r1",
        None,
        """
        op.create_table('account', sa.Column('id', sa.Integer, primary_key=True),
                        sa.Column('email', sa.String(100), nullable=False), sa.Column('name', sa.String(50)))
        """,
    ),
    Revision("r2", "r1", "op.create_unique_constraint('uq_account_email', 'account', ['email'])"),
]

APP = '''
def save(conn, email, name):
    conn.execute(
        """
        INSERT INTO account (email, name) VALUES (?, ?)
        ON CONFLICT (email) DO UPDATE SET name = excluded.name
        """,
        (email, name),
    )
'''

BROKEN = '''
RENAME = """INSERT INTO account (email, name) VALUES (?, ?) ON CONFLICT (name) DO NOTHING"""
'''


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    write_project(pytester.path, MIGRATIONS)
    (pytester.path / "app").mkdir()
    (pytester.path / "app" / "store.py").write_text(textwrap.dedent(APP))
    pytester.makeini(
        """
        [pytest]
        schema_parity_paths = app
        """
    )
    pytester.makepyfile(test_app="def test_ordinary():\n    assert 1 + 1 == 2\n")
    return pytester


def test_items_pass_alongside_the_project_tests(project: pytest.Pytester) -> None:
    result = project.runpytest("--schema-parity", "-v", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(
        [
            "*schema-parity::schema?postgresql-sqlite? PASSED*",
            "*schema-parity::app/store.py:5 PASSED*",
            "*test_app.py::test_ordinary PASSED*",
        ]
    )


def test_items_are_off_by_default_and_on_by_ini(project: pytest.Pytester) -> None:
    project.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)
    project.makeini("[pytest]\nschema_parity = true\nschema_parity_paths = app\n")
    project.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=3)


def test_a_bad_clause_fails_with_the_checker_message(project: pytest.Pytester) -> None:
    (project.path / "app" / "broken.py").write_text(BROKEN)
    result = project.runpytest("--schema-parity", "-p", "no:cacheprovider", "--junitxml=report.xml")
    result.assert_outcomes(passed=3, failed=1)
    # one finding for both dialects: the migrations run on SQLite too, so PostgreSQL's fix is SQLite's
    lines = result.stdout.lines
    start = next(i for i, line in enumerate(lines) if line.startswith("app/broken.py:2:13: "))
    assert lines[start : start + 2] == [
        "app/broken.py:2:13: SP101 [postgresql, sqlite] ON CONFLICT (name) on account: there is no unique or exclusion "
        "constraint matching the ON CONFLICT specification (42P10, raised when the statement is planned). Keys of "
        "account: PRIMARY KEY account_pkey (id); UNIQUE uq_account_email (email).",
        '    help: Add the key in a migration: op.create_unique_constraint("uq_account_name", "account", ["name"]).',
    ]
    result.stdout.fnmatch_lines(["FAILED schema-parity::app/broken.py:2 *"])
    junit = (project.path / "report.xml").read_text()
    assert 'name="app/broken.py:2"' in junit and "SP101" in junit


def test_k_selection_and_dialect_option(project: pytest.Pytester) -> None:
    (project.path / "app" / "broken.py").write_text(BROKEN)
    result = project.runpytest(
        "--schema-parity", "-p", "no:cacheprovider", "-k", "broken", "-o", "schema_parity_dialects=sqlite"
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*SP101 ?sqlite? *"])
    assert "[postgresql]" not in result.stdout.str()


def test_checks_against_another_revision(project: pytest.Pytester) -> None:
    result = project.runpytest("--schema-parity", "-p", "no:cacheprovider", "-o", "schema_parity_revision=r1")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(["FAILED schema-parity::app/store.py:5 *"])


def test_configuration_error_is_one_failing_item(pytester: pytest.Pytester) -> None:
    (pytester.path / "app.py").write_text(BROKEN)
    pytester.makeini("[pytest]\nschema_parity_alembic_config = missing.ini\n")
    result = pytester.runpytest("--schema-parity", "-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*missing.ini does not exist*"])
    assert "Traceback" not in result.stdout.str()


def test_unknown_dialect_is_a_usage_error(project: pytest.Pytester) -> None:
    result = project.runpytest("--schema-parity", "-p", "no:cacheprovider", "-o", "schema_parity_dialects=mysql")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["ERROR: schema_parity_dialects: unknown dialect(s) mysql; choose from postgresql, sqlite"]
    )


def test_items_work_under_xdist(project: pytest.Pytester) -> None:
    (project.path / "app" / "broken.py").write_text(BROKEN)
    result = project.runpytest_subprocess("--schema-parity", "-n", "2", "-p", "no:cacheprovider", "-p", "no:benchmark")
    result.assert_outcomes(passed=3, failed=1)


def test_ini_paths_relative_to_rootdir(project: pytest.Pytester) -> None:
    sub = Path(project.path / "app")
    result = project.runpytest("--schema-parity", "-p", "no:cacheprovider", str(sub.parent / "test_app.py"))
    result.assert_outcomes(passed=3)


def test_items_honour_suppressions_and_project_config(project: pytest.Pytester) -> None:
    (project.path / "app" / "broken.py").write_text(
        "# schema-parity: ignore[SP101]\n" + BROKEN.lstrip("\n")
    )
    project.runpytest("--schema-parity", "-p", "no:cacheprovider").assert_outcomes(passed=4)
    (project.path / "app" / "broken.py").write_text(BROKEN)
    (project.path / "pyproject.toml").write_text('[tool.schema-parity]\nignore = ["SP1"]\n')
    project.runpytest("--schema-parity", "-p", "no:cacheprovider").assert_outcomes(passed=4)


def _collected_and_results(result: pytest.RunResult) -> tuple[int, int]:
    """The header's ``collected N items`` and the number of results the run reported."""
    out = result.stdout.str()
    collected = re.search(r"collected (\d+) items?", out)
    assert collected is not None, out
    return int(collected.group(1)), sum(result.parseoutcomes().get(k, 0) for k in ("passed", "failed", "error"))


def test_collected_count_includes_the_check_items(project: pytest.Pytester) -> None:
    """The header counts what runs: the check items are collected, not added after pytest counted (the issue's
    ``collected 12 items`` followed by 30 results), and the progress never passes 100%."""
    (project.path / "app" / "broken.py").write_text(BROKEN)
    result = project.runpytest("--schema-parity", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=3, failed=1)
    assert _collected_and_results(result) == (4, 4)
    assert not re.search(r"\[1[0-9][1-9]%\]|\[1[1-9][0-9]%\]", result.stdout.str())
    result.stdout.fnmatch_lines(["schema-parity .F. * [[] 75%[]]", "test_app.py . * [[]100%[]]"], consecutive=True)
    listed = project.runpytest("--schema-parity", "-p", "no:cacheprovider", "--collect-only", "-q")
    listed.stdout.fnmatch_lines(["schema-parity::app/broken.py:2", "*4 tests collected*"])
    deselected = project.runpytest("--schema-parity", "-p", "no:cacheprovider", "-k", "broken")
    deselected.stdout.fnmatch_lines(["collected 4 items / 3 deselected / 1 selected"])
