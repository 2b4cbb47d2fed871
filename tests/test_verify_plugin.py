"""``pytest --schema-parity-verify``: the check items, with every site also put to the engine; an item whose engine
contradicts the static verdict fails with SP905 and both answers."""

from __future__ import annotations

import pytest

from tests.alembic_projects import Revision, write_project

MIGRATIONS = [
    Revision(
        "r1",
        None,
        """
        op.create_table('account', sa.Column('id', sa.Integer, primary_key=True),
                        sa.Column('email', sa.String(100), nullable=False, unique=True), sa.Column('name', sa.Text))
        """,
    ),
]
APP = """\
SAVE = "INSERT INTO account (email, name) VALUES (?, ?) ON CONFLICT (email) DO UPDATE SET name = excluded.name"
RENAME = "INSERT INTO account (email, name) VALUES (?, ?) ON CONFLICT (name) DO NOTHING"
"""
#: The static judge made wrong in the inner session: it calls RENAME (no key on name) ok.
CONFTEST = """\
from schema_parity import check
from schema_parity.verdicts import Verdict

real = check.judge_site


def wrong(site, catalog, dialect, **options):
    verdict, table, target = real(site, catalog, dialect, **options)
    return (Verdict(dialect, "ok") if "(name)" in site.sql else verdict), table, target


def pytest_configure(config):
    check.judge_site = wrong


def pytest_unconfigure(config):
    check.judge_site = real
"""


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    write_project(pytester.path, MIGRATIONS)
    (pytester.path / "app").mkdir()
    (pytester.path / "app" / "store.py").write_text(APP)
    pytester.makeini("[pytest]\nschema_parity_paths = app\nschema_parity_dialects = sqlite\n")
    pytester.makeconftest(CONFTEST)
    return pytester


def test_the_option_fails_the_item_the_engine_contradicts(project: pytest.Pytester) -> None:
    project.runpytest("--schema-parity", "-p", "no:cacheprovider").assert_outcomes(passed=3)  # static only
    result = project.runpytest("--schema-parity-verify", "-v", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*schema-parity::app/store.py:1 PASSED*",
            "*schema-parity::app/store.py:2 FAILED*",
            "*app/store.py:2:11: SP905 ?sqlite? schema-parity's static verdict and SQLite * disagree on this "
            "statement: SQLite * refused it when preparing it: 'ON CONFLICT clause does not match any PRIMARY KEY or "
            "UNIQUE constraint' (SP101); the static verdict was ok.*",
        ]
    )
