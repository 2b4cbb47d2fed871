"""The exit-code contract under failure: 2 with a message naming the file for bad input, 2 with a bug report
paragraph for an internal error (never 1, which CI reads as "findings"), and the traceback only with --debug."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from schema_parity import check as check_module
from tests.test_cli_check import BAD, GOOD, make_project, run_main

NOT_UTF8 = b"\xff\xfe not UTF-8 \xe9\n"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    return tmp_path


def assert_user_error(code: int, err: str, *names: str) -> None:
    assert code == 2, err
    assert err.startswith("schema-parity: error: "), err
    assert "Traceback" not in err and "internal error" not in err
    for name in names:
        assert name in err, err


# -- internal errors ------------------------------------------------------------------------------------------------
def explode(*_args: object, **_kwargs: object) -> None:
    raise RuntimeError("judging failed on postgresql://app:hunter2@db.example/app")


def test_an_internal_error_exits_2_with_a_bug_report_paragraph(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    make_project(project, {"app/q.sql": GOOD})
    monkeypatch.setattr(check_module, "judge", explode)
    code, out, err = run_main(capsys, "check")
    assert code == 2 and out == ""
    assert err.startswith("schema-parity: internal error: RuntimeError: judging failed on postgresql://app:***@")
    assert "This is a bug in schema-parity" in err and "--debug" in err and "report it" in err
    assert err.count("\n") == 1, "one paragraph"
    assert "Traceback" not in err and "hunter2" not in err


@pytest.mark.parametrize("where", ["before", "after"])
def test_debug_adds_the_traceback_of_an_internal_error(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    make_project(project, {"app/q.sql": GOOD})
    monkeypatch.setattr(check_module, "judge", explode)
    args = ["--debug", "check"] if where == "before" else ["check", "--debug"]
    code, _out, err = run_main(capsys, *args)
    assert code == 2
    assert err.startswith("Traceback (most recent call last):") and "in explode" in err
    assert err.rstrip().splitlines()[-1].startswith("schema-parity: internal error: RuntimeError:")
    assert "hunter2" not in err


def test_the_process_exits_2_on_an_internal_error(tmp_path: Path) -> None:
    """The real entry point (sys.exit(main())), with an internal function broken inside that process."""
    make_project(tmp_path, {"app/q.sql": GOOD})
    program = (
        "import sys\n"
        "import schema_parity.check\n"
        "def explode(*args, **kwargs):\n"
        "    raise KeyError('no such arbiter')\n"
        "schema_parity.check.judge = explode\n"
        "from schema_parity.cli import main\n"
        "sys.exit(main(['check']))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", program], cwd=tmp_path, capture_output=True, text=True, check=False, timeout=120
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("schema-parity: internal error: KeyError: 'no such arbiter'. This is a bug")
    assert "Traceback" not in result.stderr


# -- --schema-sql ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("case", ["missing file", "directory without .sql", "not UTF-8", "not UTF-8 in a directory"])
def test_schema_sql_problems_exit_2_naming_the_file(
    project: Path, capsys: pytest.CaptureFixture[str], case: str
) -> None:
    make_project(project, {"app/q.sql": GOOD}, config=None)
    (project / "ddl").mkdir()
    (project / "ddl" / "README.txt").write_text("no SQL here\n")
    if case == "missing file":
        given, named = "nope.sql", str(project / "nope.sql")
    elif case == "directory without .sql":
        given, named = "ddl", str(project / "ddl")
    elif case == "not UTF-8":
        (project / "latin1.sql").write_bytes(b"CREATE TABLE t (a int);\n-- caf" + NOT_UTF8)
        given, named = "latin1.sql", f"{project / 'latin1.sql'}: not UTF-8 text (byte 0xff at line 2, column 7)"
    else:
        (project / "ddl" / "002.sql").write_bytes(NOT_UTF8)
        given, named = "ddl", f"{project / 'ddl' / '002.sql'}: not UTF-8 text (byte 0xff at line 1, column 1)"
    code, _out, err = run_main(capsys, "check", "--schema-sql", given, "app")
    assert_user_error(code, err, named)


def test_a_missing_schema_sql_file_is_an_error_even_without_statements(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Nothing needs the schema, but the setting is still wrong: it must not pass silently."""
    (project / "empty").mkdir()
    code, _out, err = run_main(capsys, "check", "--no-config", "--schema-sql", "nope.sql", "empty")
    assert_user_error(code, err, str(project / "nope.sql"))


# -- configuration files --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("command", [["check"], ["schema"]])
def test_a_non_utf8_config_file_exits_2_naming_it(
    project: Path, capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    (project / "settings.toml").write_bytes(b'revision = "caf' + NOT_UTF8 + b'"\n')
    code, _out, err = run_main(capsys, *command, "--config", "settings.toml")
    assert_user_error(code, err, f"{project / 'settings.toml'}: not UTF-8 text (byte 0xff at line 1, column 16)")


@pytest.mark.parametrize("command", [["check"], ["schema"]])
def test_a_non_utf8_pyproject_found_upwards_exits_2_naming_it(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    (project / "pyproject.toml").write_bytes(b"[tool.black]\n# caf" + NOT_UTF8)
    (project / "src" / "app").mkdir(parents=True)
    monkeypatch.chdir(project / "src" / "app")
    code, _out, err = run_main(capsys, *command)
    assert_user_error(code, err, f"{project / 'pyproject.toml'}: not UTF-8 text (byte 0xff at line 2, column 6)")


# -- statements too deep for the SQL parser -------------------------------------------------------------------------
DEEP = "(" * 50 + "1" + ")" * 50
#: Too deep for the compiled sqlglot (sqlglotc) as well, which reads 50 levels where the pure-Python one cannot.
DEEPER = "(" * 1000 + "1" + ")" * 1000


@pytest.mark.parametrize(
    ("statement", "expected", "rule"),
    [
        (GOOD.replace("'a'", DEEP), 0, None),
        (BAD.replace("'a'", DEEP), 1, "SP101"),
        (f"INSERT INTO t (host, code) SELECT {DEEPER}, 1 ON CONFLICT (host) DO NOTHING;", 0, "SP902"),
    ],
    ids=["deep VALUES, good target", "deep VALUES, bad target", "deep SELECT"],
)
def test_fifty_nested_parentheses_are_judged_or_unresolved_never_a_crash(
    project: Path, capsys: pytest.CaptureFixture[str], statement: str, expected: int, rule: str | None
) -> None:
    """Inside VALUES the depth changes no fact a verdict reads, so the statement is judged; elsewhere it is SP902."""
    make_project(project, {"app/q.sql": statement + "\n"})
    code, out, err = run_main(capsys, "check", "--dialect", "postgresql", "--dialect", "sqlite")
    assert code == expected, err + out
    assert "internal error" not in err
    if rule is None:
        assert "SP9" not in out
    else:
        assert rule in out
        if rule == "SP902":
            assert "nested too deeply for the SQL parser (sqlglot) outside the VALUES rows" in out


def test_a_fifo_named_as_schema_sql_is_refused_not_waited_on(tmp_path: Path) -> None:
    """A FIFO (or a device) named by mistake: opening it for reading would wait for a writer forever."""
    os.mkfifo(tmp_path / "schema.sql")
    (tmp_path / "q.sql").write_text(GOOD)
    try:
        result = subprocess.run(
            [sys.executable, "-m", "schema_parity", "check", "--no-config", "q.sql", "--schema-sql", "schema.sql"],
            cwd=tmp_path, capture_output=True, text=True, check=False, timeout=120,
        )
    except subprocess.TimeoutExpired:
        pytest.fail("the check waited on the FIFO")
    assert result.returncode == 2
    assert result.stderr == f"schema-parity: error: {tmp_path / 'schema.sql'}: not a regular file\n"
