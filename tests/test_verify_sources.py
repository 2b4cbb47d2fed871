"""``--verify`` with DDL files, without a server, on a real database, and with a statement that never ends; the
``verify`` configuration key."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from schema_parity import verify
from schema_parity.cli import main
from tests.alembic_projects import Revision, write_project

SCHEMA = """\
CREATE TABLE t (id integer PRIMARY KEY, k text NOT NULL, n integer NOT NULL DEFAULT 0);
CREATE UNIQUE INDEX t_k ON t (k);
"""
#: BAD fails on each engine outside the checker's rules: PostgreSQL has no bigint + text (42883), SQLite's
#: abs() of the smallest integer overflows. (A function an engine lacks is SP901: the application may define it.)
APP = """\
OK = "INSERT INTO t (id, k) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET n = t.n + 1"
NO_KEY = "INSERT INTO t (id, k) VALUES (?, ?) ON CONFLICT (n) DO NOTHING"
BAD = "INSERT INTO t (id, k) VALUES (?, abs(-9223372036854775807 - 1) + CAST('x' AS text)) ON CONFLICT (k) DO NOTHING"
"""
#: Both engines run it until stopped: a recursive CTE without end feeds the INSERT.
ENDLESS = (
    'SQL = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) '
    "INSERT INTO t (id, k) SELECT x, 'k' || x FROM c WHERE true ON CONFLICT (k) DO NOTHING\"\n"
)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "schema.sql").write_text(SCHEMA)
    (tmp_path / "app.py").write_text(APP)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SCHEMA_PARITY_POSTGRES_URL", raising=False)
    return tmp_path


def check(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any], str]:
    code = main(["check", "--no-config", "--schema-sql", "schema.sql", "--format", "json", *args, "app.py"])
    out, err = capsys.readouterr()
    return code, json.loads(out) if out else {}, err


def results(report: dict[str, Any]) -> dict[tuple[int, str], tuple[str, str | None, bool | None]]:
    return {
        (s["line"], dialect): (a["result"], a["rule"], a["agrees"])
        for s in report["sites"]
        for dialect, a in s["verified"].items()
    }


@pytest.mark.postgres
def test_ddl_files_are_loaded_into_a_scratch_database_on_each_engine(
    project: Path, capsys: pytest.CaptureFixture[str], pg_admin_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SCHEMA_PARITY_POSTGRES_URL", pg_admin_url)
    code, report, _ = check(capsys, "--verify")
    assert code == 1
    assert results(report) == {
        (1, "postgresql"): ("ok", None, True),
        (1, "sqlite"): ("ok", None, True),
        (2, "postgresql"): ("error", "SP101", True),
        (2, "sqlite"): ("error", "SP101", True),
        # an error outside the checker's rules: it neither confirms nor contradicts the verdict
        (3, "postgresql"): ("error", None, None),
        (3, "sqlite"): ("error", None, None),
    }
    elsewhere = report["sites"][2]["verified"]
    assert (elsewhere["postgresql"]["sqlstate"], elsewhere["sqlite"]["message"]) == (
        "42883", "integer overflow")  # fmt: skip
    assert report["sites"][0]["verified"]["sqlite"]["arbiters"] == ["t_k"]


def test_ddl_an_engine_refuses_leaves_that_engine_unverified(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "schema.sql").write_text(SCHEMA.replace("k text NOT NULL", 'k text COLLATE "C" NOT NULL'))
    code, report, _ = check(capsys, "--verify", "--dialect", "sqlite")
    assert code == 1
    assert set(results(report).values()) == {("unverified", None, None)}
    assert f"sqlite: not verified: {project / 'schema.sql'} does not run on SQLite: no such collation sequence: C" in (
        report["notes"])  # fmt: skip


def test_without_a_server_postgresql_is_not_verified_and_sqlite_is(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, report, _ = check(capsys, "--verify", "--postgres", "offline")
    assert code == 1
    found = results(report)
    assert {found[(line, "postgresql")] for line in (1, 2, 3)} == {("unverified", None, None)}
    assert found[(2, "sqlite")] == ("error", "SP101", True)
    assert "postgresql: not verified: no PostgreSQL server to run the statements on (postgres = offline: no server " \
           "is used)" in report["notes"]  # fmt: skip
    main(["check", "--no-config", "--schema-sql", "schema.sql", "--verify", "--postgres", "offline", "app.py"])
    out = capsys.readouterr().out
    assert "(postgresql): 0 agree, 0 disagree, 0 undecided, 3 not verified" in out
    assert "(sqlite): 2 agree, 0 disagree, 1 undecided\n" in out
    assert "app.py:3 [sqlite] undecided: SQLite " in out and "'integer overflow'" in out


def test_a_real_database_is_never_used(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["check", "--no-config", "--database-url", "sqlite:///app.db", "--verify", "app.py"])
    assert code == 2
    assert "it never runs statements on a real database such as --database-url" in capsys.readouterr().err
    assert not (project / "app.db").exists()


@pytest.mark.postgres
def test_a_statement_that_never_ends_is_stopped_on_both_engines(
    project: Path, capsys: pytest.CaptureFixture[str], pg_admin_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SCHEMA_PARITY_POSTGRES_URL", pg_admin_url)
    monkeypatch.setattr(verify, "STATEMENT_TIMEOUT", 0.5)
    (project / "app.py").write_text(ENDLESS)
    code, report, _ = check(capsys, "--verify")
    assert code == 0
    (site,) = report["sites"]
    assert {d: (a["result"], a["phase"], a["message"]) for d, a in site["verified"].items()} == {
        "postgresql": ("unverified", "execute", "the statement ran longer than 0.5 s"),
        "sqlite": ("unverified", "step", "the statement ran longer than 0.5 s"),
    }


def test_the_configuration_key_turns_it_on_and_the_option_off(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "pyproject.toml").write_text('[tool.schema-parity]\nschema-sql = ["schema.sql"]\nverify = true\n')
    base = ["check", "--dialect", "sqlite", "--format", "json", "app.py"]
    assert main(base) == 1
    assert json.loads(capsys.readouterr().out)["sites"][1]["verified"]["sqlite"]["rule"] == "SP101"
    assert main([*base, "--no-verify"]) == 1
    assert json.loads(capsys.readouterr().out)["sites"][1]["verified"] == {}
    (project / "pyproject.toml").write_text('[tool.schema-parity]\nverify = "yes"\n')
    assert main(base) == 2
    assert "verify must be true or false, not 'yes'" in capsys.readouterr().err


#: Two branches from one base: each adds a key of its own, and holds a statement aiming at the other branch's key.
BRANCHES = [
    Revision("b0", None, "op.create_table('t', sa.Column('id', sa.Integer, primary_key=True), "
                         "sa.Column('a', sa.Integer), sa.Column('b', sa.Integer))"),
    Revision("ra", "b0", "op.create_index('t_a', 't', ['a'], unique=True)\n"
                         "SQL = 'INSERT INTO t (a, b) VALUES (1, 2) ON CONFLICT (b) DO NOTHING'"),
    Revision("rb", "b0", "op.create_index('t_b', 't', ['b'], unique=True)\n"
                         "SQL = 'INSERT INTO t (a, b) VALUES (1, 2) ON CONFLICT (a) DO NOTHING'"),
]  # fmt: skip


@pytest.mark.parametrize(
    "dialect",
    [
        "sqlite",
        pytest.param("postgresql", marks=pytest.mark.postgres),
    ],
)
def test_a_revision_on_another_branch_is_reached_from_an_empty_database(
    dialect: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    write_project(tmp_path, BRANCHES)
    monkeypatch.chdir(tmp_path)
    server = ["--postgres-url", request.getfixturevalue("pg_admin_url")] if dialect == "postgresql" else []
    code = main(["check", "--no-config", "--alembic-config", "alembic.ini", "--revision", "heads", *server,
                 "--dialect", dialect, "--verify", "--format", "json", "migrations"])  # fmt: skip
    report = json.loads(capsys.readouterr().out)
    assert code == 1
    # each statement aims at the other branch's key: at its own revision no key matches, on either engine
    answers = {s["revision"]: a for s in report["sites"] for a in s["verified"].values()}
    assert {revision: (a["result"], a["rule"], a["agrees"]) for revision, a in answers.items()} == {
        "ra": ("error", "SP101", True),
        "rb": ("error", "SP101", True),
    }
