"""Schema parity under pytest: ``assert_schema_parity`` in a test, and configured pairs as ``--schema-parity`` items."""

from __future__ import annotations

import textwrap

import pytest

from tests.alembic_projects import Revision, write_project

MIGRATIONS = [
    Revision("r1", None, """
        op.create_table('account', sa.Column('id', sa.Integer, primary_key=True),
                        sa.Column('email', sa.String(100), nullable=False))
        op.create_unique_constraint('uq_account_email', 'account', ['email'])
    """),
]  # fmt: skip
SAME = "CREATE TABLE account (id INTEGER PRIMARY KEY, email VARCHAR(100) NOT NULL, CONSTRAINT uq UNIQUE (email));\n"
DRIFTED = "CREATE TABLE account (id INTEGER PRIMARY KEY, email VARCHAR(100) NOT NULL);\n"


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    write_project(pytester.path, MIGRATIONS)
    (pytester.path / "tests").mkdir()
    pytester.makepyprojecttoml(
        """
        [tool.schema-parity]
        alembic-config = "alembic.ini"
        dialects = ["sqlite"]
        paths = ["tests"]

        [[tool.schema-parity.parity]]
        a = "alembic:alembic.ini"
        b = "sql:tests/schema.sql"
        ignore = ["index"]
        """
    )
    (pytester.path / "tests" / "test_schema.py").write_text(textwrap.dedent("""
        from pathlib import Path

        from schema_parity import assert_schema_parity

        def test_the_test_schema_is_the_migrations():
            assert_schema_parity("alembic:alembic.ini", "sql:tests/schema.sql", cwd=Path(__file__).parents[1])
    """))
    return pytester


def test_equal_schemas_pass(project: pytest.Pytester) -> None:
    (project.path / "tests" / "schema.sql").write_text(SAME)
    result = project.runpytest("--schema-parity", "-v", "-p", "no:cacheprovider", "-p", "no:randomly")
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(["*schema-parity::parity?alembic:alembic.ini | sql:tests/schema.sql? PASSED*"])


def test_a_drifted_schema_fails_the_item_and_the_assertion(project: pytest.Pytester) -> None:
    (project.path / "tests" / "schema.sql").write_text(DRIFTED)
    result = project.runpytest("--schema-parity", "-p", "no:cacheprovider", "-p", "no:randomly")
    result.assert_outcomes(passed=1, failed=2)
    result.stdout.fnmatch_lines(["*account*", "*only in A: UNIQUE uq_account_email (email)*"])
    assert result.stdout.str().count("only in A: UNIQUE uq_account_email (email)") >= 2
    without = project.runpytest("-p", "no:cacheprovider", "-p", "no:randomly")
    without.assert_outcomes(failed=1)  # without --schema-parity: only the test's own assertion


def test_a_bad_pair_is_a_configuration_error(project: pytest.Pytester) -> None:
    (project.path / "pyproject.toml").write_text(
        '[tool.schema-parity]\nalembic-config = "alembic.ini"\n\n[[tool.schema-parity.parity]]\na = "schema.sql"\n'
        'b = "alembic:alembic.ini"\n'
    )
    result = project.runpytest("--schema-parity", "-p", "no:cacheprovider", "-p", "no:randomly")
    result.stdout.fnmatch_lines(["*: parity: entry 1: a: source 'schema.sql': expected KIND:WHERE*"])
    result.stdout.fnmatch_lines(["FAILED schema-parity::schema - *"])
