"""One finding per statement and root cause, listing every dialect it applies to, in every report and in baselines;
and hints that fit the case (a partial index's predicate, no batch-mode note where the migrations already run on
SQLite, pytest's ini options inside pytest)."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from tests.alembic_projects import Revision, write_project
from tests.test_cli_check import make_project, run_main

SCHEMA = """\
CREATE TABLE t (id INTEGER PRIMARY KEY, host TEXT NOT NULL, code INTEGER NOT NULL, deleted_at TIMESTAMP);
CREATE UNIQUE INDEX uq_t_host_live ON t (host) WHERE deleted_at IS NULL;
"""
BOTH = '[tool.schema-parity]\nschema-sql = ["schema.sql"]\npaths = ["app"]\n'
MISSPELT = "INSERT INTO t (id, hots, code) VALUES (1, 'a', 1) ON CONFLICT (hots) DO UPDATE SET code = excluded.hots;"
"""``hots`` for ``host``, at three places of the statement: seven findings before they were grouped (SP202 three
times on PostgreSQL and twice on SQLite, SP301 on each)."""

BOTH_DIALECTS = ["postgresql", "sqlite"]
SP202 = 'column "hots" of relation "t" does not exist (42703).'
SP202_HINT = "t has columns: id, host, code, deleted_at."
SP301 = (
    "the column list (id, hots, code) of the INSERT into t leaves out host, which is NOT NULL without a default: every "
    "row fails with a NOT NULL violation, and ON CONFLICT never handles those."
)
SP301_HINT = (
    'Insert a value for host, or give it a server default in a migration, e.g. op.alter_column("t", "host", '
    'server_default=sa.text("...")).'
)

#: What ``--write-baseline`` wrote for MISSPELT before findings were grouped (schema-parity 0.2.0.dev0 at 65617f1):
#: one entry per dialect and rule, counting every place of the statement.
OLD_BASELINE = {
    "version": 1,
    "generated_by": "schema-parity 0.2.0.dev0",
    "findings": [
        {"fingerprint": "6ea4eb9d3b32681b2282d002eecba6c5", "rule": "SP202", "path": "app/q.sql", "dialect": "sqlite",
         "table": "t", "count": 2, "message": "table t has no column named hots"},
        {"fingerprint": "c72e464794e6e54e1927435182820369", "rule": "SP202", "path": "app/q.sql",
         "dialect": "postgresql", "table": "t", "count": 3, "message": SP202},
        {"fingerprint": "004f2a828fe93ae45bbd67eff05deea6", "rule": "SP301", "path": "app/q.sql",
         "dialect": "postgresql", "table": "t", "count": 1, "message": SP301},
        {"fingerprint": "b3a3c162b7ee62b117e6aa8f822421f0", "rule": "SP301", "path": "app/q.sql", "dialect": "sqlite",
         "table": "t", "count": 1, "message": SP301},
    ],
}  # fmt: skip


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    monkeypatch.delenv("GITHUB_WORKSPACE", raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
    make_project(tmp_path, {"app/q.sql": MISSPELT + "\n"}, config=BOTH)
    (tmp_path / "schema.sql").write_text(SCHEMA)
    return tmp_path


def _findings_of_text(out: str) -> list[str]:
    """The text report's finding and help lines (the header and summary are another subject)."""
    return [line for line in out.splitlines() if line.startswith(("  1:", "    = help:"))]


def test_a_misspelt_column_is_one_finding_for_both_dialects(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_main(capsys, "check")
    assert code == 1
    assert _findings_of_text(str(out)) == [
        f"  1:1 error SP202 [postgresql, sqlite] {SP202}",
        f"    = help: {SP202_HINT}",
        f"  1:1 error SP301 [postgresql, sqlite] {SP301}",
        f"    = help: {SP301_HINT}",
    ]


def test_json_lists_the_dialects(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, report, _ = run_main(capsys, "check", "--format", "json", parse=True)
    assert code == 1 and isinstance(report, dict)
    assert report["version"] == 6
    assert [
        (f["rule"], f["dialects"], f["dialect"], f["message"], f["hint"]) for f in report["findings"]
    ] == [
        ("SP202", ["postgresql", "sqlite"], None, SP202, SP202_HINT),
        ("SP301", ["postgresql", "sqlite"], None, SP301, SP301_HINT),
    ]
    assert report["summary"]["errors"] == 2
    code, report, _ = run_main(capsys, "check", "--format", "json", "--dialect", "sqlite", parse=True)
    assert [(f["rule"], f["dialects"], f["dialect"]) for f in report["findings"]] == [  # type: ignore[index]
        ("SP202", ["sqlite"], "sqlite"),
        ("SP301", ["sqlite"], "sqlite"),
    ]


def test_sarif_and_github_list_the_dialects(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, sarif, _ = run_main(capsys, "check", "--format", "sarif", parse=True)
    results = sarif["runs"][0]["results"]  # type: ignore[index]
    assert [(r["ruleId"], r["properties"], r["message"]["text"]) for r in results] == [
        ("SP202", {"dialects": BOTH_DIALECTS, "dialect": None, "table": "t"}, f"{SP202}\nhelp: {SP202_HINT}"),
        ("SP301", {"dialects": BOTH_DIALECTS, "dialect": None, "table": "t"}, f"{SP301}\nhelp: {SP301_HINT}"),
    ]
    _, out, _ = run_main(capsys, "check", "--format", "github")
    assert str(out).splitlines()[:2] == [
        f"::error file=app/q.sql,line=1,col=1,title=SP202 unknown-column [postgresql%2C sqlite]::{SP202}%0A%0Ahelp: "
        f"{SP202_HINT}",
        "::error file=app/q.sql,line=1,col=1,title=SP301 not-null-without-default [postgresql%2C sqlite]::"
        f"{SP301}%0A%0Ahelp: {SP301_HINT}",
    ]


def test_a_baseline_written_before_grouping_absorbs_the_grouped_findings(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "old.json").write_text(json.dumps(OLD_BASELINE))
    code, report, _ = run_main(capsys, "check", "--baseline", "old.json", "--format", "json", parse=True)
    assert code == 0
    baselined = [(f["rule"], f["baselined"]) for f in report["findings"]]  # type: ignore[index]
    assert baselined == [("SP202", True), ("SP301", True)]
    # with one dialect's entries only, the finding on both is new for the other: reported
    kept = [e for e in OLD_BASELINE["findings"] if e["dialect"] == "postgresql"]  # type: ignore[union-attr]
    only_postgresql = {**OLD_BASELINE, "findings": kept}
    (project / "old.json").write_text(json.dumps(only_postgresql))
    code, report, _ = run_main(capsys, "check", "--baseline", "old.json", "--format", "json", parse=True)
    assert code == 1
    baselined = [(f["rule"], f["baselined"]) for f in report["findings"]]  # type: ignore[index]
    assert baselined == [("SP202", False), ("SP301", False)]
    # ... and a run on PostgreSQL alone is absorbed by it
    code, _, _ = run_main(capsys, "check", "--baseline", "old.json", "--dialect", "postgresql")
    assert code == 0


def test_a_new_baseline_records_each_dialect_as_before(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main(capsys, "check", "--write-baseline", "new.json")
    assert code == 0 and "recorded 2 finding(s)" in str(err)
    entries = json.loads((project / "new.json").read_text())["findings"]
    old = {(e["rule"], e["dialect"]): e["fingerprint"] for e in OLD_BASELINE["findings"]}  # type: ignore[union-attr]
    assert [(e["rule"], e["dialect"], e["count"], e["fingerprint"]) for e in entries] == sorted(
        [(rule, dialect, 1, print_) for (rule, dialect), print_ in old.items()], key=lambda e: (e[0], e[3])
    )
    for dialects in ([], ["--dialect", "sqlite"], ["--dialect", "postgresql"]):
        assert run_main(capsys, "check", "--baseline", "new.json", *dialects)[0] == 0


# -- hints that fit the case -------------------------------------------------------------------------------------------
PARTIAL = "INSERT INTO t (id, host, code) VALUES (1, 'a', 1) ON CONFLICT (host) DO NOTHING;"
PARTIAL_HINT = (
    "uq_t_host_live is a partial unique index on these columns: repeat its predicate in the target, ON CONFLICT (host) "
    'WHERE deleted_at IS NULL (SQLAlchemy: index_where=sa.text("deleted_at IS NULL")), rather than add a full unique '
    "key, which would also forbid duplicates among the rows the predicate leaves out."
)


def test_a_target_missing_a_partial_index_predicate_is_told_to_add_it(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "app/q.sql").write_text(
        f"{PARTIAL}\n{PARTIAL.replace('(host)', '(host) WHERE deleted_at IS NOT NULL')}\n"
    )
    code, report, _ = run_main(capsys, "check", "--format", "json", parse=True)
    assert code == 1
    assert [(f["line"], f["rule"], f["dialects"], f["hint"]) for f in report["findings"]] == [  # type: ignore[index]
        (1, "SP101", ["postgresql", "sqlite"], PARTIAL_HINT),
        (2, "SP101", ["postgresql", "sqlite"], PARTIAL_HINT),
    ]
    # the fix the hint gives is accepted by both engines' rules
    (project / "app/q.sql").write_text(PARTIAL.replace("(host)", "(host) WHERE deleted_at IS NULL") + "\n")
    assert run_main(capsys, "check")[0] == 0


def test_without_a_partial_index_the_hint_adds_a_key(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """DDL files: nothing runs Alembic on SQLite here, so its hint says what a plain Alembic run there needs."""
    (project / "app/q.sql").write_text(PARTIAL.replace("(host)", "(code)") + "\n")
    code, report, _ = run_main(capsys, "check", "--format", "json", parse=True)
    assert code == 1
    assert [(f["rule"], f["dialects"], f["hint"]) for f in report["findings"]] == [  # type: ignore[index]
        ("SP101", ["postgresql"], 'Add the key in a migration: op.create_unique_constraint("uq_t_code", "t", '
         '["code"]).'),
        (
            "SP101",
            ["sqlite"],
            'Add the index in a migration: op.create_index("uq_t_code", "t", ["code"], unique=True) '
            "(create_unique_constraint needs batch mode on SQLite).",
        ),
    ]


MIGRATIONS = [
    Revision(
        "r1",
        None,
        """
        op.create_table('t', sa.Column('id', sa.Integer, primary_key=True), sa.Column('host', sa.Text, nullable=False),
                        sa.Column('code', sa.Integer, nullable=False), sa.Column('other', sa.Integer))
        """,
    ),
]


def test_migrations_run_on_sqlite_need_no_batch_mode_note(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    """schema-parity runs the project's migrations on SQLite with create_unique_constraint routed through batch mode
    (docs/migrations.md): the fix is PostgreSQL's, and one finding says it for both."""
    monkeypatch.chdir(tmp_path)
    write_project(tmp_path, MIGRATIONS)
    (tmp_path / "app").mkdir()
    (tmp_path / "app/q.sql").write_text(
        "INSERT INTO t (id, host, code) VALUES (1, 'a', 1) ON CONFLICT (code) DO NOTHING;\n"
        "INSERT INTO t (id, host, code) VALUES (1, 'a', 1) ON CONFLICT (code, code) DO NOTHING;\n"
        "INSERT INTO t (id, host, code) VALUES (1, 'a', 1) ON CONFLICT (code) WHERE other > 0 DO NOTHING;\n"
    )
    code, report, _ = run_main(
        capsys, "check", "--no-config", "--alembic-config", "alembic.ini", "--postgres", "offline", "--format", "json",
        "app", parse=True,
    )  # fmt: skip
    assert code == 1
    assert [(f["line"], f["rule"], f["dialects"], f["hint"]) for f in report["findings"]] == [  # type: ignore[index]
        (1, "SP101", ["postgresql", "sqlite"],
         'Add the key in a migration: op.create_unique_constraint("uq_t_code", "t", ["code"]).'),
        (2, "SP101", ["postgresql"],
         'Add the key in a migration: op.create_unique_constraint("uq_t_code", "t", ["code"]).'),
        (2, "SP101", ["sqlite"],
         'Add the index in a migration: op.create_index("uq_t_code", "t", ["code", "code"], unique=True). SQLite '
         "also needs exactly one term per index column: drop the repeated column (S7)."),
        (3, "SP101", ["postgresql", "sqlite"],
         'Add the index in a migration: op.create_index("uq_t_code", "t", ["code"], unique=True, '
         'postgresql_where=sa.text("other > 0"), sqlite_where=sa.text("other > 0")).'),
    ]  # fmt: skip


# -- inside pytest -----------------------------------------------------------------------------------------------------
def test_pytest_items_show_one_finding_for_both_dialects_and_ini_advice(pytester: pytest.Pytester) -> None:
    (pytester.path / "schema.sql").write_text(SCHEMA)
    (pytester.path / "app").mkdir()
    (pytester.path / "app" / "store.py").write_text(f'Q = "{MISSPELT.rstrip(";")}"\n')
    (pytester.path / "app" / "versions").mkdir()
    (pytester.path / "app" / "versions" / "abc123_seed.py").write_text(
        textwrap.dedent(
            f"""\
            revision = "abc123"
            down_revision = None


            def upgrade():
                op.execute("{PARTIAL.replace("(host)", "(id)").rstrip(";")}")
            """
        )
    )
    pytester.makepyprojecttoml(BOTH + '[tool.schema-parity.severity]\nSP901 = "error"\n')
    result = pytester.runpytest("--schema-parity", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=2)
    lines = result.stdout.lines
    start = lines.index(f"app/store.py:1:6: SP202 [postgresql, sqlite] {SP202}")
    assert lines[start : start + 4] == [
        f"app/store.py:1:6: SP202 [postgresql, sqlite] {SP202}",
        f"    help: {SP202_HINT}",
        f"app/store.py:1:6: SP301 [postgresql, sqlite] {SP301}",
        f"    help: {SP301_HINT}",
    ]
    start = next(i for i, line in enumerate(lines) if line.startswith("app/versions/abc123_seed.py:"))
    assert lines[start : start + 2] == [
        "app/versions/abc123_seed.py:6:17: SP901 [postgresql, sqlite] this statement runs inside revision abc123; the "
        "schema source describes one state of the schema, not the schema at that revision",
        "    help: Check it against the migrations: alembic-config in [tool.schema-parity], or "
        "schema_parity_alembic_config in the pytest ini.",
    ]


def test_the_cli_names_its_flags_for_the_same_finding(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "app/versions").mkdir()
    (project / "app/versions/abc123_seed.py").write_text(
        'revision = "abc123"\ndown_revision = None\n\n\ndef upgrade():\n'
        f'    op.execute("{PARTIAL.replace("(host)", "(id)").rstrip(";")}")\n'
    )
    (project / "app/q.sql").unlink()
    code, report, _ = run_main(capsys, "check", "--format", "json", parse=True)
    assert code == 0
    assert [(f["rule"], f["dialects"], f["message"], f["hint"]) for f in report["findings"]] == [  # type: ignore[index]
        (
            "SP901",
            ["postgresql", "sqlite"],
            "this statement runs inside revision abc123; the schema source describes one state of the schema, not the "
            "schema at that revision",
            "Check it against the migrations: --alembic-config PATH (alembic-config in [tool.schema-parity]).",
        )
    ]


def test_the_predicate_is_shown_as_written_without_reflections_parentheses() -> None:
    """PostgreSQL reflects an index predicate as ``(deleted_at IS NULL)``; the hint repeats it bare, as SQLite's
    DDL has it, so both engines' findings give the same fix."""
    from schema_parity.catalog import Catalog, Column, Key, KeyElement, Table
    from schema_parity.verdicts import unwrapped
    from schema_parity.verdicts.dispatch import check

    table = Table(
        name="t",
        columns=(Column("id", "integer", "integer", nullable=False), Column("host", "text", "text", nullable=False),
                 Column("code", "integer", "integer", nullable=False),
                 Column("deleted_at", "timestamp", "timestamp")),
        keys=(Key("t_pkey", "primary_key", (KeyElement(column="id"),)),
              Key("uq_t_host_live", "unique_index", (KeyElement(column="host"),), predicate="(deleted_at IS NULL)")),
    )  # fmt: skip
    verdict = check(PARTIAL.rstrip(";"), Catalog("postgresql", (table,)), "postgresql")
    assert [(p.rule, p.hint) for p in verdict.problems] == [("SP101", PARTIAL_HINT)]
    assert unwrapped("((a IS NULL))") == "a IS NULL"
    assert unwrapped("(a > 0) AND (b > 0)") == "(a > 0) AND (b > 0)"
    assert unwrapped("(s <> ')')") == "s <> ')'"
