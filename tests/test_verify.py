"""``schema-parity check --verify``: every resolved site put to both real engines, migrated to the site's revision.

One project holds sites of many kinds (ok, no matching key, a deferrable arbiter, an exclusion constraint under DO
UPDATE, an ambiguous reference, a NOT NULL column left out, and rows whose values a foreign key, a CHECK, a NOT NULL
column or a trigger refuse); on both engines every answer agrees with the static verdict. Then the static judge is
made wrong for one site, in-process, and the run reports SP905 with both answers and exits 1. No database is mocked:
SQLite in memory, PostgreSQL at the test server (``--postgres-url``), scratch databases only.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest

from schema_parity import check
from schema_parity.catalog import Catalog, Dialect
from schema_parity.cli import main
from schema_parity.sites import Site
from schema_parity.sources.server import ScratchDatabases
from schema_parity.verdicts import Problem, Verdict
from tests.alembic_projects import Revision, write_project

pytestmark = pytest.mark.postgres

#: Two revisions that run on both engines; PostgreSQL gets a deferrable key, an exclusion constraint and a trigger
#: in PL/pgSQL, SQLite a plain unique index and a trigger of its own.
HISTORY = [
    Revision(
        "v1",
        None,
        """
        op.create_table(
            "booking",
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("room", sa.Integer, nullable=False),
            sa.Column("slot", sa.Integer, nullable=False),
            sa.Column("code", sa.Text, nullable=False),
            sa.Column("starts", sa.DateTime, nullable=False),
        )
        # a statement of this revision, never executed here: judged (and verified) at v1, where no key matches
        BEFORE_KEY = ("INSERT INTO booking (room, slot, code, starts) VALUES (1, 2, 'c', '2000-01-01') "
                      "ON CONFLICT (room, slot) DO NOTHING")
        """,
    ),
    Revision(
        "v2",
        "v1",
        """
        op.create_index("booking_room_slot", "booking", ["room", "slot"], unique=True)
        op.create_table(
            "payment",
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("booking_id", sa.Integer, sa.ForeignKey("booking.id"), nullable=False, unique=True),
            sa.Column("amount", sa.Integer, sa.CheckConstraint("amount > 100"), nullable=False),
        )
        op.create_table("audit", sa.Column("id", sa.Integer, primary_key=True), sa.Column("what", sa.Text))
        op.create_table(
            "kinds",
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("at", sa.DateTime, nullable=False),
            sa.Column("day", sa.Date, nullable=False),
            sa.Column("flag", sa.Boolean, nullable=False),
            sa.Column("doc", sa.JSON, nullable=False),
            sa.Column("token", sa.Uuid, nullable=False, unique=True),
            sa.Column("mood", sa.Enum("calm", "busy", name="mood"), nullable=False),
            sa.Column("note", sa.Text),
        )
        if op.get_context().dialect.name == "postgresql":
            op.execute("ALTER TABLE booking ADD CONSTRAINT booking_code_key UNIQUE (code) DEFERRABLE")
            op.execute("ALTER TABLE booking ADD COLUMN during tsrange")
            op.execute("ALTER TABLE booking ADD CONSTRAINT no_overlap EXCLUDE USING gist (during WITH &&)")
            op.execute("CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS "
                       "$$ BEGIN RAISE EXCEPTION 'audit rows are written by the auditor'; END $$")
            op.execute("CREATE TRIGGER no_audit BEFORE INSERT ON audit FOR EACH ROW EXECUTE FUNCTION refuse()")
        else:
            op.create_index("booking_code_key", "booking", ["code"], unique=True)
            op.execute("CREATE TRIGGER no_audit BEFORE INSERT ON audit "
                       "BEGIN SELECT RAISE(ABORT, 'audit rows are written by the auditor'); END")
        """,
    ),
]
BOOKING = "INSERT INTO booking (room, slot, code, starts) VALUES"
#: (name, statement, {dialect: (result, rule)}): what each engine answers; every answer agrees with the verdict.
SITES: list[tuple[str, str, dict[str, tuple[str, str | None]]]] = [
    ("OK", f"{BOOKING} (:room, :slot, :code, :starts) ON CONFLICT (room, slot) DO UPDATE SET code = excluded.code",
     {"postgresql": ("ok", None), "sqlite": ("ok", None)}),
    ("NO_KEY", f"{BOOKING} (%s, %s, %s, %s) ON CONFLICT (code, starts) DO NOTHING",
     {"postgresql": ("error", "SP101"), "sqlite": ("error", "SP101")}),
    ("DEFERRED", f"{BOOKING} (?, ?, ?, ?) ON CONFLICT (code) DO NOTHING",
     {"postgresql": ("error", "SP110"), "sqlite": ("ok", None)}),
    ("EXCLUSION", f"{BOOKING} (:room, :slot, :code, :starts) ON CONFLICT ON CONSTRAINT no_overlap "
     "DO UPDATE SET code = excluded.code",
     {"postgresql": ("error", "SP109"), "sqlite": ("error", "SP104")}),
    ("AMBIGUOUS", f"{BOOKING} (:room, :slot, :code, :starts) ON CONFLICT (room, slot) "
     "DO UPDATE SET code = code || excluded.code",
     {"postgresql": ("error", "SP205"), "sqlite": ("ok", None)}),
    ("LEFT_OUT", "INSERT INTO booking (room, slot, starts) VALUES ($1, $2, $3) ON CONFLICT (room, slot) DO NOTHING",
     {"postgresql": ("error", "SP301"), "sqlite": ("error", "SP301")}),
    ("FOREIGN_KEY", "INSERT INTO payment (booking_id, amount) VALUES (:booking, 500) "
     "ON CONFLICT (booking_id) DO NOTHING",
     {"postgresql": ("value-error", None), "sqlite": ("ok", None)}),  # SQLite enforces no foreign key by default
    ("CHECK", "INSERT INTO payment (booking_id, amount) VALUES (:booking, :amount) ON CONFLICT (booking_id) DO NOTHING",
     {"postgresql": ("value-error", None), "sqlite": ("value-error", None)}),
    ("NOT_NULL", f"{BOOKING} (:room, :slot, NULL, :starts) ON CONFLICT (room, slot) DO NOTHING",
     {"postgresql": ("value-error", None), "sqlite": ("value-error", None)}),
    ("TRIGGER", "INSERT INTO audit (id, what) VALUES (%(id)s, %(what)s) ON CONFLICT (id) DO NOTHING",
     {"postgresql": ("value-error", None), "sqlite": ("value-error", None)}),
    ("TYPED", "INSERT INTO kinds (at, day, flag, doc, token, mood, note) VALUES (:at, :day, :flag, :doc, :token, "
     ":mood, :note) ON CONFLICT (token) DO UPDATE SET note = :note, at = excluded.at WHERE kinds.day < :day",
     {"postgresql": ("ok", None), "sqlite": ("ok", None)}),
]  # fmt: skip
APP = "".join(f"{name} = {sql!r}\n" for name, sql, _ in SITES)
LINES = {name: line for line, (name, _, _) in enumerate(SITES, start=1)}


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    write_project(tmp_path / "db", HISTORY)
    (tmp_path / "app.py").write_text(APP)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SCHEMA_PARITY_POSTGRES_URL", raising=False)
    return tmp_path


@pytest.fixture
def scratch_databases(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The scratch databases the run creates (other clients of the server make their own)."""
    created: list[str] = []
    create = ScratchDatabases.create

    def recording_create(self: ScratchDatabases, **kwargs: str) -> str:
        created.append(create(self, **kwargs))
        return created[-1]

    monkeypatch.setattr(ScratchDatabases, "create", recording_create)
    return created


def run(capsys: pytest.CaptureFixture[str], url: str, *args: str) -> tuple[int, dict[str, Any]]:
    code = main(["check", "--no-config", "--alembic-config", "db/alembic.ini", "--postgres-url", url,
                 "--format", "json", "--verify", *args, "app.py", "db/migrations"])  # fmt: skip
    out, err = capsys.readouterr()
    assert code in (0, 1), err
    return code, json.loads(out)


def answers(report: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    """Each (site, dialect)'s verified answer, the site named by its constant (BEFORE_KEY for the migration's)."""
    names = {line: name for name, line in LINES.items()}
    return {
        (names[s["line"]] if s["path"] == "app.py" else "BEFORE_KEY", dialect): answer
        for s in report["sites"]
        for dialect, answer in s["verified"].items()
    }


def test_every_kind_of_site_agrees_on_both_engines(
    project: Path,
    capsys: pytest.CaptureFixture[str],
    pg_admin_url: str,
    scratch_databases: list[str],
    pg_alive: Callable[[Iterable[str]], set[str]],
) -> None:
    code, report = run(capsys, pg_admin_url)
    found = answers(report)
    expected = {(name, dialect): said for name, _, by in SITES for dialect, said in by.items()}
    expected |= {("BEFORE_KEY", "postgresql"): ("error", "SP101"), ("BEFORE_KEY", "sqlite"): ("error", "SP101")}
    assert {key: (a["result"], a["rule"]) for key, a in found.items()} == expected
    assert {key: a["agrees"] for key, a in found.items()} == dict.fromkeys(expected, True)
    assert [f for f in report["findings"] if f["rule"] == "SP905"] == []
    assert code == 1  # the static findings (SP101, SP110, ...) are still reported
    # the engines' own words, and the arbiters they show
    assert found[("NO_KEY", "postgresql")]["sqlstate"] == "42P10"
    assert found[("DEFERRED", "postgresql")]["phase"] == "execute"  # a deferrable arbiter fails only at execution
    assert found[("FOREIGN_KEY", "postgresql")]["sqlstate"] == "23503"
    assert (found[("CHECK", "postgresql")]["sqlstate"], found[("NOT_NULL", "postgresql")]["sqlstate"]) == (
        "23514", "23502")  # fmt: skip
    assert found[("TRIGGER", "postgresql")]["message"] == "audit rows are written by the auditor"
    assert found[("OK", "postgresql")]["arbiters"] == ["booking_room_slot"]
    assert found[("OK", "sqlite")]["arbiters"] == ["booking_room_slot"]
    assert found[("DEFERRED", "sqlite")]["arbiters"] == ["booking_code_key"]
    assert found[("TYPED", "postgresql")]["arbiters"] == ["kinds_token_key"]
    # nothing outlives the run
    assert scratch_databases and pg_alive(scratch_databases) == set()


def test_the_text_report_counts_the_answers(
    project: Path, capsys: pytest.CaptureFixture[str], pg_admin_url: str
) -> None:
    code = main(["check", "--no-config", "--alembic-config", "db/alembic.ini", "--postgres-url", pg_admin_url,
                 "--verify", "app.py", "db/migrations"])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 1
    assert "(postgresql): 12 agree, 0 disagree, 0 undecided" in out
    assert "(sqlite): 12 agree, 0 disagree, 0 undecided" in out


def wrong_about(statement: str, dialect: Dialect, wrong: Verdict) -> Callable[..., Any]:
    """The real static judge, except that it answers ``wrong`` for ``statement`` under ``dialect``'s rules."""
    real = check.judge_site

    def judge_site(
        site: Site, catalog: Catalog, judged: Dialect, **options: Any
    ) -> tuple[Verdict, str | None, str | None]:
        verdict, table, target = real(site, catalog, judged, **options)
        return (wrong if site.sql == statement and judged == dialect else verdict), table, target

    return judge_site


SQL = {name: sql for name, sql, _ in SITES}


@pytest.mark.parametrize(
    ("dialect", "site", "wrong", "engine_said", "static_said"),
    [
        # the statement fails on the engine, the static verdict says ok
        ("postgresql", "NO_KEY", Verdict("postgresql", "ok"), "refused it when planning it: 42P10 'there is no "
         "unique or exclusion constraint matching the ON CONFLICT specification' (SP101)", "the static verdict was ok"),
        ("sqlite", "NO_KEY", Verdict("sqlite", "ok"), "refused it when preparing it: 'ON CONFLICT clause does not "
         "match any PRIMARY KEY or UNIQUE constraint' (SP101)", "the static verdict was ok"),
        # the engine accepts it, the static verdict says error
        ("postgresql", "OK", Verdict.of("postgresql", [Problem("SP101", "wrong")]),
         "accepted it with arbiter(s) booking_room_slot", "the static verdict was error SP101"),
        # another rule
        ("sqlite", "LEFT_OUT", Verdict.of("sqlite", [Problem("SP202", "wrong")]),
         "refused it when running it: 'NOT NULL constraint failed: booking.code' (SP301)",
         "the static verdict was error SP202"),
        # a deferrable arbiter the static verdict missed: only the execution tells
        ("postgresql", "DEFERRED", Verdict("postgresql", "ok", ("booking_code_key",)),
         "refused it when executing it: 55000", "the static verdict was ok (arbiter(s) booking_code_key)"),
        # other arbiters
        ("postgresql", "OK", Verdict("postgresql", "ok", ("booking_pkey",)),
         "accepted it with arbiter(s) booking_room_slot", "the static verdict was ok (arbiter(s) booking_pkey)"),
        # a plan-time rule the static verdict claims, though the statement was planned before the values failed
        ("postgresql", "CHECK", Verdict.of("postgresql", [Problem("SP101", "wrong")]),
         "refused the placeholder values when executing it: 23514", "the static verdict was error SP101"),
    ],
)  # fmt: skip
def test_a_wrong_static_verdict_is_caught_with_both_answers(
    project: Path,
    capsys: pytest.CaptureFixture[str],
    pg_admin_url: str,
    monkeypatch: pytest.MonkeyPatch,
    dialect: Dialect,
    site: str,
    wrong: Verdict,
    engine_said: str,
    static_said: str,
) -> None:
    monkeypatch.setattr(check, "judge_site", wrong_about(SQL[site], dialect, wrong))
    code, report = run(capsys, pg_admin_url, "--dialect", dialect, "--select", "SP905")
    assert code == 1
    (finding,) = [f for f in report["findings"] if f["rule"] == "SP905"]
    assert (finding["severity"], finding["path"], finding["line"], finding["dialect"]) == (
        "error", "app.py", LINES[site], dialect)  # fmt: skip
    assert engine_said in finding["message"] and static_said in finding["message"], finding["message"]
    assert "defect of schema-parity" in finding["message"]
    assert answers(report)[(site, dialect)]["agrees"] is False


def test_without_verify_nothing_runs_on_the_engines(
    project: Path, capsys: pytest.CaptureFixture[str], pg_admin_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(check, "judge_site", wrong_about(SQL["NO_KEY"], "sqlite", Verdict("sqlite", "ok")))
    code = main(["check", "--no-config", "--alembic-config", "db/alembic.ini", "--dialect", "sqlite",
                 "--format", "json", "--select", "SP905", "app.py"])  # fmt: skip
    report = json.loads(capsys.readouterr().out)
    assert code == 0
    assert report["version"] == 6
    assert [s["verified"] for s in report["sites"]] == [{} for _ in SITES]


def test_a_disagreement_is_loud_in_the_text_report(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(check, "judge_site", wrong_about(SQL["NO_KEY"], "sqlite", Verdict("sqlite", "ok")))
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.delenv("NO_COLOR", raising=False)
    code = main(["check", "--no-config", "--alembic-config", "db/alembic.ini", "--dialect", "sqlite", "--verify",
                 "app.py"])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 1
    assert f"  {LINES['NO_KEY']}:11 \x1b[1;31merror\x1b[0m \x1b[36mSP905\x1b[0m [sqlite] " in out
    assert "\x1b[1;31mverified on SQLite " in out and "(sqlite): 10 agree, 1 disagree, 0 undecided\x1b[0m" in out


def test_one_row_updated_twice_is_the_statements_error_only_when_its_own_literals_repeat_the_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], pg_admin_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """21000 ("cannot affect row a second time") is SP302 when the statement's literals repeat the key, whether or
    not placeholders fill other columns; when placeholders are the keys, the values --verify chose are distinct and
    the statement runs. Every answer agrees with the static verdict."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SCHEMA_PARITY_POSTGRES_URL", pg_admin_url)  # the server --verify runs on
    (tmp_path / "schema.sql").write_text("CREATE TABLE t (id integer PRIMARY KEY, a integer UNIQUE, b integer);\n")
    head = "INSERT INTO t (id, a, b) VALUES"
    tail = "ON CONFLICT (a) DO UPDATE SET b = excluded.b"
    (tmp_path / "app.py").write_text(
        f'LITERAL = "{head} (1, 1, 1), (2, 1, 2) {tail}"\n'
        f'IDS_BOUND = "{head} (:x, 1, 1), (:y, 1, 2) {tail}"\n'
        f'KEYS_BOUND = "{head} (1, :x, 1), (2, :y, 2) {tail}"\n'
    )
    code = main(["check", "--no-config", "--schema-sql", "schema.sql", "--dialect", "postgresql", "--format", "json",
                 "--verify", "app.py"])  # fmt: skip
    out, err = capsys.readouterr()
    assert code == 1, err
    report = json.loads(out)
    found = {s["line"]: s["verified"]["postgresql"] for s in report["sites"]}
    assert {line: (a["result"], a["rule"], a["sqlstate"], a["agrees"]) for line, a in found.items()} == {
        1: ("error", "SP302", "21000", True),
        2: ("error", "SP302", "21000", True),
        3: ("ok", None, None, True),
    }
    assert [f for f in report["findings"] if f["rule"] == "SP905"] == []
