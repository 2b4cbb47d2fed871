"""[tool.schema-parity]: discovery, validation (exit 2 naming file and key), and precedence over the command line."""

from __future__ import annotations

from pathlib import Path

import pytest

from schema_parity.config import Config, RuleSelection, find_config, load_config
from schema_parity.errors import ConfigError
from tests.test_cli_check import BAD, CONFIG, SCHEMA, make_project, rules_of, run_main

TWO_RULES = f"{BAD}\nINSERT INTO t (host) VALUES ('a') ON CONFLICT (host) DO NOTHING;\n"  # SP101, then SP301


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_discovery_walks_up_and_prefers_the_dedicated_file(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.schema-parity]\nrevision = 'abc'\n")
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    (tmp_path / "a" / "pyproject.toml").write_text("[tool.ruff]\nline-length = 100\n")  # no table: skipped
    assert find_config(deep) == tmp_path / "pyproject.toml"
    (tmp_path / "a" / ".schema-parity.toml").write_text("revision = 'def'\n")
    assert find_config(deep) == tmp_path / "a" / ".schema-parity.toml"
    assert load_config(tmp_path / "a" / ".schema-parity.toml").revision == "def"


def test_values_are_converted_and_paths_taken_from_the_file(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        "[tool.schema-parity]\n"
        'paths = ["src"]\nschema-sql = ["db/schema.sql"]\nalembic-config = "alembic.ini"\n'
        'select = ["sp1", "SP301"]\nignore = ["SP111"]\nseverity = { SP111 = "error" }\n'
        'dialects = ["postgresql"]\nformat = "sarif"\njobs = 0\ncache = false\nuse-env-py = true\n'
        '[[tool.schema-parity.wrappers]]\nfunction = "app.db.upsert"\ntable = "model"\nindex_elements = 1\n'
    )
    config = load_config(tmp_path / "pyproject.toml")
    assert config.paths == (tmp_path / "src",)
    assert config.schema_sql == (tmp_path / "db" / "schema.sql",)
    assert config.alembic_config == tmp_path / "alembic.ini"
    assert config.select == ("SP1", "SP301") and config.ignore == ("SP111",)
    assert config.severity == {"SP111": "error"}
    assert (config.dialects, config.format, config.jobs, config.cache, config.use_env_py) == (
        ("postgresql",),
        "sarif",
        0,
        False,
        True,
    )
    assert config.wrappers is not None and config.wrappers[0].function == "app.db.upsert"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("selcet = ['SP1']", "unknown key 'selcet'"),
        ("paths = 'src'", "paths must be a list of paths"),
        ("select = ['SP7']", "select: 'SP7' is not a rule code or prefix"),
        ("severity = { SP111 = 'fatal' }", "SP111 = 'fatal'"),
        ("dialects = ['mysql']", "'mysql' is not one of postgresql, sqlite"),
        ("format = 'xml'", "format must be one of text, json, github, sarif"),
        ("jobs = -1", "jobs must be a whole number"),
        ("wrappers = [{ table = 'model' }]", "wrappers: entry 1:"),
        ("revision = ", "invalid TOML"),
    ],
)
def test_bad_config_exits_2_naming_file_and_key(
    project: Path, capsys: pytest.CaptureFixture[str], body: str, message: str
) -> None:
    make_project(project, {"app/q.sql": BAD}, config=f"[tool.schema-parity]\n{body}\n")
    code, _out, err = run_main(capsys, "check")
    assert code == 2
    assert str(project / "pyproject.toml") in err and message in err, err


def test_cli_replaces_config_and_config_replaces_defaults(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    make_project(project, {"app/q.sql": TWO_RULES}, config=CONFIG + 'select = ["SP3"]\nformat = "json"\n')
    # config: only SP3xx, JSON output
    _, report, _ = run_main(capsys, "check", parse=True)
    assert [r for r, *_ in rules_of(report)] == ["SP301"]
    # command line --select replaces the file's select; --format replaces its format
    _, report, _ = run_main(capsys, "check", "--select", "SP1", parse=True)
    assert [r for r, *_ in rules_of(report)] == ["SP101"]
    code, out, _ = run_main(capsys, "check", "--format", "text")
    assert code == 1 and out.startswith("schema: the DDL files schema.sql\nsqlite: DDL files, replayed\n\napp/q.sql\n")
    # --no-config: defaults (every rule, both dialects, paths "."), schema given on the command line
    _, report, _ = run_main(
        capsys, "check", "--no-config", "--schema-sql", "schema.sql", "--format", "json", parse=True
    )
    assert sorted({r for r, *_ in rules_of(report)}) == ["SP101", "SP301"]
    assert report["dialects"] == ["postgresql", "sqlite"]


def test_explicit_config_file(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    make_project(project, {"app/q.sql": TWO_RULES})
    (project / "strict.toml").write_text('schema-sql = ["schema.sql"]\npaths = ["app"]\nignore = ["SP1"]\n')
    code, report, _ = run_main(capsys, "check", "--config", "strict.toml", "--format", "json", parse=True)
    assert code == 1 and {r for r, *_ in rules_of(report)} == {"SP301"}
    code, _, err = run_main(capsys, "check", "--config", "missing.toml")
    assert code == 2 and "missing.toml" in err


def test_cli_schema_source_replaces_the_files(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The file says --schema-sql; --database-url on the command line wins instead of 'choose one source'."""
    import sqlite3

    make_project(project, {"app/q.sql": BAD})
    with sqlite3.connect(project / "db.sqlite") as db:
        db.executescript(SCHEMA.replace("(host);", "(host, code);"))
    code, report, err = run_main(
        capsys, "check", "--database-url", "sqlite:///db.sqlite", "--format", "json", parse=True
    )
    assert code == 0, err
    assert report["summary"]["sites"] == 1


def test_running_from_a_subdirectory_uses_the_projects_paths(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    make_project(project, {"app/q.sql": BAD, "app/gen/x.sql": BAD}, config=CONFIG + 'exclude = ["app/gen"]\n')
    (project / "sub").mkdir()
    monkeypatch.chdir(project / "sub")
    code, out, _ = run_main(capsys, "check")
    assert code == 1 and "../app/q.sql" in out and "gen" not in out


@pytest.mark.parametrize(
    ("select", "ignore", "enabled"),
    [
        (("ALL",), (), {"SP101", "SP301", "SP904"}),
        (("SP1",), (), {"SP101"}),
        (("SP1",), ("SP101",), set()),
        (("SP101",), ("SP1",), {"SP101"}),  # the more specific entry wins
        (("ALL",), ("SP9",), {"SP101", "SP301"}),
    ],
)
def test_rule_selection_most_specific_wins(select: tuple[str, ...], ignore: tuple[str, ...], enabled: set[str]) -> None:
    selection = RuleSelection(select=select, ignore=ignore)
    assert {c for c in ("SP101", "SP301", "SP904") if selection.enabled(c)} == enabled


def test_severity_override_most_specific_wins() -> None:
    selection = RuleSelection(severity={"SP1": "warning", "SP111": "error"})
    assert selection.level("SP101", "error") == "warning"
    assert selection.level("SP111", "warning") == "error"
    assert selection.level("SP301", "error") == "error"


def test_pyproject_given_explicitly_must_have_the_table(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    with pytest.raises(ConfigError, match=r"no \[tool.schema-parity\] table"):
        load_config(tmp_path / "pyproject.toml")
    assert Config().paths is None


def test_the_documented_examples_are_valid(tmp_path: Path) -> None:
    """Every TOML block in docs/configuration.md loads (a pyproject.toml table, or a .schema-parity.toml)."""
    import re

    doc = (Path(__file__).resolve().parents[1] / "docs" / "configuration.md").read_text()
    blocks = re.findall(r"```toml\n(.*?)```", doc, flags=re.S)
    assert len(blocks) >= 4
    for block in blocks:
        name = "pyproject.toml" if "[tool.schema-parity" in block else ".schema-parity.toml"
        header = "[tool.schema-parity]\n" if name == "pyproject.toml" and "[tool.schema-parity]" not in block else ""
        (tmp_path / name).write_text(header + block)
        load_config(tmp_path / name)


def test_the_documented_key_table_matches_the_configuration() -> None:
    """docs/configuration.md's key table (written by hand, with its command-line column) lists every key the
    configuration accepts and no other, and every option it names is one `schema-parity check` has."""
    import re

    from schema_parity.cli import build_parser
    from schema_parity.config import _KEYS

    doc = (Path(__file__).resolve().parents[1] / "docs" / "configuration.md").read_text()
    section = doc.split("\n## Keys\n", 1)[1].split("\n### ", 1)[0]
    rows = [line.split(" | ") for line in section.splitlines() if line.startswith("| `")]
    documented = {row[0].strip("| `") for row in rows}
    assert documented == set(_KEYS)
    parser = build_parser()
    commands = next(a for a in parser._actions if a.dest == "command").choices  # type: ignore[attr-defined]
    check_options = {flag for action in commands["check"]._actions for flag in action.option_strings}
    named = {flag for row in rows for flag in re.findall(r"--[a-z][a-z-]*", row[2])}
    assert named and named <= check_options, sorted(named - check_options)


def test_load_config_takes_a_string_path(tmp_path: Path) -> None:
    """A caller passing the path as text gets the same Config as with a Path (paths resolve from the file)."""
    (tmp_path / "pyproject.toml").write_text('[tool.schema-parity]\ndialects = ["sqlite"]\nbaseline = "b.json"\n')
    from_text = load_config(str(tmp_path / "pyproject.toml"))
    assert from_text == load_config(tmp_path / "pyproject.toml")
    assert from_text.dialects == ("sqlite",) and from_text.baseline == tmp_path.resolve() / "b.json"
