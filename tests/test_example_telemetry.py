"""The telemetry example's README, command by command: exit codes and key output, so the README cannot rot."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "telemetry"


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        check=False,
        cwd=EXAMPLE,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **(env or {})},
    )


def check(*args: str) -> subprocess.CompletedProcess[str]:
    return run("-m", "schema_parity", "check", *args)


def pytest_run(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    cache = {"SCHEMA_PARITY_CACHE_DIR": str(tmp_path / "cache")}
    return run("-m", "pytest", "-p", "no:cacheprovider", "-p", "no:benchmark", *args, env={**cache, **(env or {})})


def test_step1_check_names_the_missing_key_at_the_first_revision() -> None:
    result = check("telemetry", "--revision", "a1b2c3d4e5f6")
    assert result.returncode == 1, result.stdout + result.stderr
    out = result.stdout
    assert "telemetry/comprehensive_telemetry.py" in out
    # one finding for both engines (the migrations run on SQLite too, so the fix is the same)
    assert "23:5 error SP101 [postgresql, sqlite]" in out and out.count("error SP101") == 1
    assert "http_error_summary" in out
    assert 'op.create_unique_constraint("uq_http_error_summary_host_status_code", "http_error_summary"' in out


def test_step1_pytest_fails_the_same_way(tmp_path: Path) -> None:
    # With no server configured, as on a laptop: the example's PostgreSQL half runs on the embedded server the test
    # extra installs, so only the check item fails.
    result = pytest_run(
        tmp_path, "--schema-parity", "-o", "schema_parity_revision=a1b2c3d4e5f6", env={"SCHEMA_PARITY_REQUIRE_PG": ""}
    )
    assert result.returncode == 1, result.stdout
    assert "2 failed, 29 passed" in result.stdout
    assert "FAILED schema-parity::telemetry/comprehensive_telemetry.py:23" in result.stdout
    # the upsert the tests executed, judged at its call site at that revision too (docs/capture.md)
    assert "FAILED schema-parity::captured::telemetry/comprehensive_telemetry.py:179" in result.stdout
    assert "SP101 [postgresql, sqlite]" in result.stdout


def test_step2_clean_at_head() -> None:
    result = check("telemetry")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 upsert site(s)" in result.stdout and "0 error(s)" in result.stdout


@pytest.mark.postgres
def test_step2_pytest_passes_on_sqlite_and_postgresql(tmp_path: Path, pg_admin_url: str) -> None:
    result = pytest_run(tmp_path, "--schema-parity", env={"SCHEMA_PARITY_POSTGRES_URL": pg_admin_url})
    assert result.returncode == 0, result.stdout
    # 14 tests x 2 engines + the schema item + the upsert site item + the captured call site
    assert "31 passed" in result.stdout


def test_step3_seed_bugs_are_found() -> None:
    result = check("seed")
    assert result.returncode == 1
    out = result.stdout
    assert "SP301 [postgresql, sqlite]" in out and out.count("error SP301") == 1
    assert "leaves out first_seen" in out
    assert 'column reference "count" is ambiguous' in out


def test_step3_hand_written_ddl_hides_them() -> None:
    result = check("seed", "--schema-sql", "seed/create_telemetry_tables.sql", "--dialect", "sqlite")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 error(s)" in result.stdout


def test_step3_diff_shows_both_hidden_differences() -> None:
    """The README's `schema-parity diff` output, exactly."""
    command = "schema-parity diff sql:seed/create_telemetry_tables.sql alembic:alembic.ini@a1b2c3d4e5f6 --ignore"
    readme = (EXAMPLE / "README.md").read_text()
    shown = readme.split(f"$ {command} nullability index type\n", 1)[1].split("$ echo $?", 1)[0]
    result = run("-m", "schema_parity", *command.split()[1:], "nullability", "index", "type")
    assert result.returncode == 1, result.stderr
    assert result.stdout == shown
    assert "first_seen: default: A has CURRENT_TIMESTAMP, B has no default" in shown
    assert "UNIQUE (host, status_code) only in A; ON CONFLICT (host, status_code)" in shown
