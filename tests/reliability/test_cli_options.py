"""Command-line options about the tool itself: what --no-cache bypasses, and -v/--verbose logging on stderr."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from schema_parity import cli
from tests.test_cli_check import GOOD, make_project, run_main


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    return tmp_path


def test_no_cache_help_names_every_cache_it_bypasses(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.main(["check", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert "per-file scan results, migrated catalogs and the result of a run repeated with nothing changed" in help_text
    assert "--no-cache bypasses every cache" in help_text


@pytest.mark.parametrize("option", ["-v", "--verbose"])
@pytest.mark.parametrize("where", ["before", "after"])
def test_verbose_before_or_after_the_command_shows_info_messages_quiet_without(
    project: Path, capsys: pytest.CaptureFixture[str], option: str, where: str
) -> None:
    make_project(project, {"app/q.sql": GOOD})
    code, _out, err = run_main(capsys, "check")
    assert (code, err) == (0, "")
    code, _out, err = run_main(capsys, *([option, "check"] if where == "before" else ["check", option]))
    assert code == 0, err
    assert err == f"schema-parity: settings from {project / 'pyproject.toml'}\n"


def test_verbose_shows_every_schema_parity_logger_and_leaves_logging_as_it_was(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Other modules (env.py redirects, PostgreSQL provisioning) log under ``schema_parity.*`` at INFO."""
    from schema_parity import check as check_module

    real = check_module.run_check

    def logging_run_check(*args: object, **kwargs: object) -> object:
        logging.getLogger("schema_parity.sources.server").info("created scratch database %s", "sp_x")
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(check_module, "run_check", logging_run_check)
    make_project(project, {"app/q.sql": GOOD})
    logger = logging.getLogger("schema_parity")
    before = (logger.level, logger.propagate, list(logger.handlers))
    _code, _out, err = run_main(capsys, "check")
    assert "created scratch database" not in err
    _code, _out, err = run_main(capsys, "check", "-v")
    assert "schema-parity: created scratch database sp_x\n" in err
    assert (logger.level, logger.propagate, list(logger.handlers)) == before
