"""Without the PostgreSQL driver, --postgres-url and the PostgreSQL fixtures say which extra to install.

The driver is made unimportable the way a missing package is (``sys.modules["psycopg"] = None`` makes ``import
psycopg`` raise ModuleNotFoundError), in a separate process so this test run keeps its own driver.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.alembic_projects import Revision, write_project

PASSWORD = "Dr1verTestPw"
URL = f"postgresql+psycopg://postgres:{PASSWORD}@127.0.0.1:5432/postgres"
INSTALL = "pip install 'schema-parity[postgres]'"

WITHOUT_DRIVER = """
import sys
sys.modules["psycopg"] = None
from schema_parity.cli import main
sys.exit(main(sys.argv[1:]))
"""


def _check_without_driver(
    tmp_path: Path, *options: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``schema-parity check`` of a one-table project with an upsert, for PostgreSQL, with psycopg unimportable."""
    ini = write_project(tmp_path, [Revision("d1", None, "op.create_table('t', sa.Column('id', sa.Integer))")])
    (tmp_path / "app.py").write_text('SQL = "INSERT INTO t (id) VALUES (1) ON CONFLICT (id) DO NOTHING"\n')
    command = ["check", "--alembic-config", str(ini), *options, "--dialect", "postgresql", "--no-cache", "app.py"]
    return subprocess.run(
        [sys.executable, "-c", WITHOUT_DRIVER, *command],
        capture_output=True, text=True, cwd=tmp_path, timeout=300, check=False, env=env,
    )


def test_check_postgres_url_without_the_driver_is_one_message_and_exit_2(tmp_path: Path) -> None:
    run = _check_without_driver(tmp_path, "--postgres-url", URL)
    assert run.returncode == 2, run.stderr
    assert "Traceback" not in run.stderr
    [line] = run.stderr.splitlines()
    assert line.startswith(
        "schema-parity: error: Cannot open postgresql+psycopg://postgres:***@127.0.0.1:5432/postgres"
    )
    assert "its database driver is not installed" in line and INSTALL in line
    assert PASSWORD not in run.stdout + run.stderr


@pytest.mark.parametrize(("require", "outcome"), [(False, "skipped"), (True, "errors")])
def test_postgres_fixtures_without_the_driver_skip_or_fail_with_the_extra_to_install(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, require: bool, outcome: str
) -> None:
    for name in ("SCHEMA_PARITY_CACHE_DIR", "SCHEMA_PARITY_REQUIRE_PG", "PYTEST_XDIST_WORKER"):
        monkeypatch.delenv(name, raising=False)
    if require:
        monkeypatch.setenv("SCHEMA_PARITY_REQUIRE_PG", "1")
    monkeypatch.setenv("SCHEMA_PARITY_POSTGRES_URL", URL)
    pytester.makeini("[pytest]\nfilterwarnings = error\n")
    write_project(pytester.path, [Revision("d1", None, "op.create_table('t', sa.Column('id', sa.Integer))")])
    pytester.makeconftest('import sys\nsys.modules["psycopg"] = None\n')
    pytester.makepyfile(test_inner="def test_it(schema_parity_pg_url):\n    pass\n")
    result = pytester.runpytest_subprocess("-rs", timeout=120)
    result.assert_outcomes(**{outcome: 1})
    output = result.stdout.str()
    assert "its database driver is not installed" in output and INSTALL in output
    assert "Traceback" not in output and "ModuleNotFoundError: import of psycopg" in output
    assert PASSWORD not in output + result.stderr.str()
    if require:
        result.stdout.fnmatch_lines(["*SCHEMA_PARITY_REQUIRE_PG=1 but Cannot open postgresql+psycopg://postgres:***@*"])


@pytest.mark.parametrize(("mode", "code"), [("auto", 1), ("required", 2)])
def test_without_the_driver_no_server_is_started_and_auto_goes_on_offline(tmp_path: Path, mode: str, code: int) -> None:
    """A bare install on a machine that has PostgreSQL (a CI runner): starting a cluster no driver can reach is no
    use. ``auto`` judges on Alembic's offline SQL (the missing key is still found); ``required`` names the driver."""
    env = {k: v for k, v in os.environ.items() if k not in ("SCHEMA_PARITY_POSTGRES_URL", "SCHEMA_PARITY_CACHE_DIR")}
    env["SCHEMA_PARITY_CACHE_DIR"] = str(tmp_path / "cache")
    run = _check_without_driver(tmp_path, "--postgres", mode, env=env)
    assert run.returncode == code, run.stdout + run.stderr
    assert "Traceback" not in run.stderr
    if code == 1:
        assert "SP101" in run.stdout and "no PostgreSQL driver (psycopg) is installed" in run.stdout
    else:
        assert "no PostgreSQL driver (psycopg) is installed (pip install 'schema-parity[postgres]')" in run.stderr
    assert not list(Path(env["SCHEMA_PARITY_CACHE_DIR"]).glob("**/postmaster.pid"))
