"""The PostgreSQL fixtures' URLs work as strings everywhere, and pytest failure reports never show the password.

The server runs with trust authentication, so the password in the URL is accepted and never checked: it only has
to travel through the fixtures and stay out of the output.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.alembic_projects import Revision, write_project

PASSWORD = "Fixture5ecretPw"

INNER = f"""
import psycopg
import sqlalchemy as sa


def test_the_urls_work_as_strings(schema_parity_pg_url, schema_parity_pg_server_url):
    assert isinstance(schema_parity_pg_url, str)
    assert f"{{schema_parity_pg_url}}".startswith("postgresql+psycopg://postgres:{PASSWORD}@")
    assert str(schema_parity_pg_server_url).count("{PASSWORD}") == 1
    engine = sa.create_engine(schema_parity_pg_url)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM item")).scalar() == 0
    engine.dispose()
    with psycopg.connect(schema_parity_pg_url.replace("+psycopg", "")) as conn:
        database = sa.engine.make_url(schema_parity_pg_url).database
        assert conn.execute("SELECT current_database()").fetchone()[0] == database
    assert repr(schema_parity_pg_url) == repr(schema_parity_pg_url.replace("{PASSWORD}", "***"))


def test_fails_with_the_urls_in_its_report(schema_parity_pg_url, schema_parity_pg_server_url):
    assert schema_parity_pg_url == "postgresql+psycopg://postgres@127.0.0.1:5432/other"


def test_fails_comparing_the_two_urls(schema_parity_pg_url, schema_parity_pg_server_url):
    assert schema_parity_pg_server_url == schema_parity_pg_url
"""


@pytest.mark.postgres
def test_failure_reports_mask_the_password(
    pytester: pytest.Pytester, pg_admin_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("SCHEMA_PARITY_CACHE_DIR", "SCHEMA_PARITY_REQUIRE_PG", "PYTEST_XDIST_WORKER"):
        monkeypatch.delenv(name, raising=False)
    server = sa.engine.make_url(pg_admin_url).set(password=PASSWORD)
    monkeypatch.setenv("SCHEMA_PARITY_POSTGRES_URL", server.render_as_string(hide_password=False))
    pytester.makeini("[pytest]\nfilterwarnings = error\n")
    # a prefix of its own, so that tests listing the plugin's databases by name do not see this run's
    pytester.makeconftest("import schema_parity.plugin.fixtures as f\nf.PG_PREFIX = 'sp_reliability_masked_'\n")
    write_project(pytester.path, [Revision("m1", None, "op.create_table('item', sa.Column('id', sa.Integer))")])
    pytester.makepyfile(test_inner=INNER)
    # every way pytest shows values: long tracebacks with arguments, locals, full diffs
    result = pytester.runpytest_subprocess("--tb=long", "--showlocals", "-vv", timeout=120)
    output = result.stdout.str() + result.stderr.str()
    assert PASSWORD not in output
    result.assert_outcomes(passed=1, failed=2)
    result.stdout.fnmatch_lines(
        [
            "*schema_parity_pg_url = 'postgresql+psycopg://postgres:***@*",
            "*AssertionError: assert 'postgresql+psycopg://postgres:***@*' == 'postgresql+psycopg://postgres@*/other'",
        ]
    )
