"""``check --deploy-from``: the old code on the new schema and the new code on the old one, per site (deploy.py).

Each case is a small Alembic history and two commits of application code in a real git repository: the first
commit (tagged ``prod``) is what production runs, the second the pull request. The migrations run for real on
SQLite and, for the ``postgres`` tests, on the suite's PostgreSQL server; every case is judged with both deploy
orders (``--deploy-order``), whose exit code says whether that order is safe.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from schema_parity import cli
from schema_parity.deploy import pair_sites
from schema_parity.sites import Site
from tests.alembic_projects import Revision, write_project
from tests.deploy_repos import CASES, EXITS, R1, git, repository, two_histories, upsert


def deploy(
    capsys: pytest.CaptureFixture[str], dialect: str, *extra: str, rev: str = "prod", fmt: str = "json"
) -> tuple[int, dict | str, str]:
    code = cli.main([
        "check", "--no-config", "--no-cache", "--alembic-config", "alembic.ini", "--dialect", dialect,
        "--deploy-from", rev, "--format", fmt, *extra, "app",
    ])
    out, err = capsys.readouterr()
    return code, (json.loads(out) if fmt == "json" else out), err


def judge_case(
    name: str, dialect: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    *server: str,
) -> None:
    case = CASES[name]
    repository(tmp_path, case)
    safe, expected_rules = case.on_sqlite if case.on_sqlite and dialect == "sqlite" else (case.safe, case.rules)
    monkeypatch.chdir(tmp_path)
    before = git(tmp_path, "status", "--porcelain")
    code, report, err = deploy(capsys, dialect, *server)
    assert isinstance(report, dict), err
    deployed = report["deploy"]
    assert (deployed["old_revision"], deployed["new_revision"]) == ("a2", "a3")
    assert ("migrations run on PostgreSQL" if server else "migrations run on SQLite") in report["engines"][dialect]
    assert deployed["old_code"].startswith("the tree at prod (")
    by_path = {s["path"]: s for s in deployed["sites"]}
    assert by_path["app/keep.sql"]["safe_order"] == "both"
    changed = by_path["app/upsert.sql"]
    assert (changed["in_old_code"], changed["in_new_code"]) == (True, True)
    assert changed["safe_order"] == safe, changed
    assert deployed["safe_order"] == safe
    rules = sorted({f["rule"] for f in report["findings"]})
    assert rules == sorted(expected_rules), report["findings"]
    assert all(f["path"] == "app/upsert.sql" and f["line"] == 1 for f in report["findings"])
    for f in report["findings"]:
        if f["rule"] in ("SP601", "SP602"):
            assert f["dialect"] == dialect
            assert "revision a3 (" in f["message"], f["message"]  # the migration that breaks or mends the site
    assert code == EXITS[safe]["any"]
    for order in ("migrations-first", "code-first"):
        code, report, err = deploy(capsys, dialect, "--deploy-order", order, *server)
        assert code == EXITS[safe][order], (order, report, err)
        assert isinstance(report, dict)
        blocking = [f for f in report["findings"] if f["severity"] == "error"]
        assert bool(blocking) == (code == 1)
    assert git(tmp_path, "status", "--porcelain") == before  # the working tree is left alone


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_case_on_sqlite_with_both_orders(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    judge_case(name, "sqlite", tmp_path, monkeypatch, capsys)


@pytest.mark.postgres
@pytest.mark.parametrize("name", sorted(CASES))
def test_each_case_on_postgresql_with_both_orders(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], pg_admin_url: str
) -> None:
    judge_case(
        name, "postgresql", tmp_path, monkeypatch, capsys, "--postgres-url", pg_admin_url, "--postgres", "required"
    )


def test_the_migration_and_the_site_are_named_in_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    repository(tmp_path, CASES["key-widened"])
    monkeypatch.chdir(tmp_path)
    code, out, _ = deploy(capsys, "sqlite", fmt="text")
    assert code == 1 and isinstance(out, str)
    assert "app/upsert.sql:1: safe deploy order: neither" in out
    assert "SP601 [sqlite] migrations first breaks the running code on sqlite: revision a3 (" in out
    assert "SP603 no deploy order is safe" in out and "Deploy in two steps" in out
    assert "deploy from a2 (the tree at prod (" in out and "no order is safe" in out


@pytest.mark.parametrize("fmt", ["sarif", "github"])
def test_every_format_carries_the_deploy(
    fmt: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    repository(tmp_path, CASES["key-dropped"])
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    code, out, _ = deploy(capsys, "sqlite", "--deploy-order", "migrations-first", fmt=fmt)
    assert code == 1 and isinstance(out, str)
    if fmt == "sarif":
        run = json.loads(out)["runs"][0]
        assert [r["ruleId"] for r in run["results"]] == ["SP601"]
        assert {"SP601", "SP602", "SP603"} <= {r["id"] for r in run["tool"]["driver"]["rules"]}
        assert run["properties"]["deploy"]["safe_order"] == "code-first"
    else:
        assert out.startswith("::error file=app/upsert.sql,line=1,")
        assert "safe order: the code first, then the migrations" in out


def test_an_alembic_revision_judges_the_working_tree(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Only the migrations changed: the old code is the working tree, judged on the new schema (and the reverse)."""
    repository(tmp_path, CASES["key-dropped"])
    (tmp_path / "app" / "upsert.sql").write_text(upsert("(sku)"))  # the code still upserts on the dropped key
    monkeypatch.chdir(tmp_path)
    code, report, _ = deploy(capsys, "sqlite", rev="a2")
    assert isinstance(report, dict)
    deployed = report["deploy"]
    assert deployed["old_code"] == "the working tree" and deployed["old_revision"] == "a2"
    # The migration breaks a statement the change keeps: no order helps, and the revision is named.
    assert [s["safe_order"] for s in deployed["sites"]] == ["both", "neither"]
    assert [f["rule"] for f in report["findings"]] == ["SP603", "SP601"] and code == 1
    assert "revision a3 (" in report["findings"][1]["message"]
    assert "the change keeps this statement as it is" in report["findings"][1]["message"]
    assert "first change the statement" in report["findings"][0]["hint"]
    (tmp_path / "app" / "upsert.sql").write_text(upsert("(id)"))  # a statement the migration does not touch
    code, report, _ = deploy(capsys, "sqlite", rev="a2")
    assert isinstance(report, dict)
    assert [s["safe_order"] for s in report["deploy"]["sites"]] == ["both", "both"]
    assert report["findings"] == [] and code == 0


def test_diff_base_names_the_old_code_and_the_revision_the_schema(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The CI recipe: ``--deploy-from <production revision> --diff-base <base branch>``."""
    repository(tmp_path, CASES["key-narrowed"])
    git(tmp_path, "branch", "base", "prod")
    monkeypatch.chdir(tmp_path)
    code, report, _ = deploy(capsys, "sqlite", "--diff-base", "base", rev="a2")
    assert isinstance(report, dict)
    assert report["deploy"]["old_code"].startswith("the tree at the merge-base with base (")
    assert report["deploy"]["safe_order"] == "neither" and code == 1


def test_bad_deploy_from_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    repository(tmp_path, CASES["key-dropped"])
    monkeypatch.chdir(tmp_path)
    code, out, err = deploy(capsys, "sqlite", rev="no-such-thing", fmt="text")
    assert code == 2 and out == ""
    assert "--deploy-from no-such-thing: neither a revision of the history" in err and "Traceback" not in err
    code, _, err = deploy(capsys, "sqlite", rev="a3", fmt="text")  # the new head itself: nothing to deploy? fine
    assert code == 0, err


def test_deploy_from_in_the_configuration(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    repository(tmp_path, CASES["key-added-with-its-code"])
    (tmp_path / ".schema-parity.toml").write_text(
        'alembic-config = "alembic.ini"\npaths = ["app"]\ndialects = ["sqlite"]\ncache = false\n'
        'deploy-from = "prod"\ndeploy-order = "code-first"\nformat = "json"\n'
    )
    monkeypatch.chdir(tmp_path)
    code = cli.main(["check"])
    report = json.loads(capsys.readouterr().out)
    assert report["deploy"]["safe_order"] == "migrations-first"
    assert [(f["rule"], f["severity"]) for f in report["findings"]] == [("SP602", "error")]
    assert code == 1


def site(path: str, line: int, sql: str) -> Site:
    return Site(path=path, line=line, column=1, origin="sql", sql=sql)


def test_pairing_same_text_then_same_file_in_order() -> None:
    old = [site("a.sql", 1, "X"), site("a.sql", 5, "Y"), site("b.sql", 1, "Z")]
    new = [site("a.sql", 3, "Y"), site("a.sql", 9, "W"), site("c.sql", 1, "V")]
    pairs = [(o and (o.path, o.sql), n and (n.path, n.sql)) for o, n in pair_sites(old, new)]
    assert pairs == [
        (("a.sql", "Y"), ("a.sql", "Y")),  # moved: the same statement
        (("a.sql", "X"), ("a.sql", "W")),  # rewritten in the same file
        (("b.sql", "Z"), None),  # removed
        (None, ("c.sql", "V")),  # added
    ]


def test_a_statement_built_at_run_time_is_unresolved_never_safe(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The new code computes the table name: code first on the old schema cannot be decided, and says why."""
    case = CASES["key-added-with-its-code"]
    repository(tmp_path, case)
    (tmp_path / "app" / "save.py").write_text(
        "def save(conn, table):\n"
        "    conn.execute(f\"INSERT INTO {table} (id, sku) VALUES (1, 'a') ON CONFLICT (sku) DO NOTHING\")\n"
    )
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-q", "-m", "a dynamic upsert")
    monkeypatch.chdir(tmp_path)
    code, report, _ = deploy(capsys, "sqlite", "--deploy-order", "code-first")
    assert isinstance(report, dict)
    [dynamic] = [s for s in report["deploy"]["sites"] if s["path"] == "app/save.py"]
    assert (dynamic["in_old_code"], dynamic["in_new_code"]) == (False, True)
    assert (dynamic["migrations_first"], dynamic["code_first"], dynamic["safe_order"]) == (
        "safe", "unresolved", "unresolved"
    )
    assert "the table name is computed at run time" in dynamic["reasons"][0]
    assert [f["path"] for f in report["findings"]] == ["app/upsert.sql"] and code == 1  # SP602 on the resolved one


def histories_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], dialect: str, *extra: str
) -> tuple[int, dict, str]:
    monkeypatch.chdir(tmp_path)
    code = cli.main(["check", "--no-cache", "--dialect", dialect, "--format", "json", "--deploy-from", "prod", *extra])
    out, err = capsys.readouterr()
    return code, (json.loads(out) if out else {}), err


@pytest.mark.parametrize("dialect", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_several_histories_each_site_against_its_own(
    dialect: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    request: pytest.FixtureRequest,
) -> None:
    """A git ref gives each history its old head; each site is judged against the history owning its table, and the
    findings and the report name that history."""
    server = []
    if dialect == "postgresql":
        url = request.getfixturevalue("pg_admin_url")
        server = ["--postgres-url", url, "--postgres", "required"]
    two_histories(tmp_path, 'paths = ["app"]')
    code, report, err = histories_check(tmp_path, monkeypatch, capsys, dialect, *server)
    assert report, err
    ini = str(tmp_path / "alembic.ini")
    public, private = ini, f"{ini} [schema_private]"
    deployed = report["deploy"]
    assert deployed["histories"] == [
        {"history": public, "old_revision": "p1", "new_revision": "p2"},
        {"history": private, "old_revision": "s1", "new_revision": "s2"},
    ]
    by_path = {s["path"]: s for s in deployed["sites"]}
    assert (by_path["app/item.sql"]["safe_order"], by_path["app/item.sql"]["history"]) == ("migrations-first", public)
    assert (by_path["app/secret.sql"]["safe_order"], by_path["app/secret.sql"]["history"]) == ("code-first", private)
    found = {(f["path"], f["rule"]): f["message"] for f in report["findings"]}
    assert set(found) == {("app/item.sql", "SP602"), ("app/secret.sql", "SP601")}
    assert f"revision p2 ('revision p2', p2_rev.py) of the history {public} gives it" in found["app/item.sql", "SP602"]
    assert f"revision s2 ('revision s2', s2_rev.py) of the history {private} changes" in found[
        "app/secret.sql", "SP601"
    ]
    # Each order breaks one site: no order is safe for the deploy as a whole, and each finding is an error.
    assert deployed["safe_order"] == "neither" and code == 1
    assert {f["severity"] for f in report["findings"]} == {"error"}
    code, report, _ = histories_check(tmp_path, monkeypatch, capsys, dialect, "--deploy-order", "code-first", *server)
    assert [(f["path"], f["severity"]) for f in report["findings"] if f["severity"] == "error"] == [
        ("app/item.sql", "error")
    ] and code == 1


def test_several_histories_need_a_git_ref(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A revision id gives one history's old revision: the others' are unknown, and the message says what to give."""
    two_histories(tmp_path, 'paths = ["app"]')
    monkeypatch.chdir(tmp_path)
    code = cli.main(["check", "--no-cache", "--dialect", "sqlite", "--deploy-from", "s1"])
    out, err = capsys.readouterr()
    assert code == 2 and out == "" and "Traceback" not in err
    assert "--deploy-from s1: a revision of " in err and "[schema_private], but this project has 2 histories" in err
    assert "give a git ref instead" in err
    code = cli.main(["check", "--no-cache", "--dialect", "sqlite", "--deploy-from", "nothing"])
    assert code == 2 and "neither a revision of the histories " in capsys.readouterr().err


def test_the_old_schema_comes_from_the_revision_files_at_the_ref(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The pull request edits revision a2, which production already ran (its key moves from sku to (sku, shop)),
    and the code with it: the old schema is a2 as production ran it, so both orders break, and the edit is named."""
    r2_old = Revision("a2", "a1", "op.create_unique_constraint('uq_item_sku', 'item', ['sku'])")
    r2_new = Revision("a2", "a1", "op.create_unique_constraint('uq_item_sku_shop', 'item', ['sku', 'shop'])")
    git(tmp_path, "init", "-q", "-b", "main")
    write_project(tmp_path, [R1, r2_old])
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "upsert.sql").write_text(upsert("(sku)"))
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-q", "-m", "production")
    git(tmp_path, "tag", "prod")
    write_project(tmp_path, [R1, r2_new, Revision("a3", "a2", "op.add_column('item', sa.Column('n', sa.Integer))")])
    (tmp_path / "app" / "upsert.sql").write_text(upsert("(sku, shop)"))
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-q", "-m", "the pull request edits a2")
    monkeypatch.chdir(tmp_path)
    code, report, err = deploy(capsys, "sqlite")
    assert isinstance(report, dict), err
    (site,) = report["deploy"]["sites"]
    assert site["safe_order"] == "neither" and code == 1
    found = {f["rule"]: f["message"] for f in report["findings"]}
    assert set(found) == {"SP601", "SP602", "SP603"}
    assert "Keys of item: UNIQUE uq_item_sku (sku)" in found["SP602"]  # the old side: a2 as the tree at prod has it
    assert "before the edit of revision a2 ('revision a2', a2_rev.py) since prod" in found["SP602"]
    assert "the edit of revision a2 ('revision a2', a2_rev.py) since prod" in found["SP601"]
    assert any("the change edits revision a2 ('revision a2', a2_rev.py), which production already ran" in n
               for n in report["notes"])  # fmt: skip


def test_pairing_by_table_and_target_before_order() -> None:
    """Within a file: the same table and target (values rewritten), then the same table (target rewritten), and only
    then order of appearance; a statement added above the others does not shift the pairs."""
    item = "INSERT INTO item (id, sku) VALUES ({}) ON CONFLICT (sku) DO NOTHING"
    old = [
        site("a.sql", 1, item.format("1, 'a'")),
        site("a.sql", 3, "INSERT INTO t (k) VALUES (1) ON CONFLICT (k) DO NOTHING"),
    ]
    new = [
        site("a.sql", 1, "INSERT INTO audit (id) VALUES (1) ON CONFLICT (id) DO NOTHING"),
        site("a.sql", 3, "INSERT INTO t (id, k) VALUES (1, 1) ON CONFLICT (id) DO NOTHING"),
        site("a.sql", 5, item.format("2, 'b'")),
    ]
    pairs = [(o and o.line, n and n.line) for o, n in pair_sites(old, new)]
    assert pairs == [(None, 1), (3, 3), (1, 5)]


def test_an_added_statement_is_not_paired_with_a_rewritten_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The change adds an upsert on a new table above the one it rewrites: each is judged as what it is (no false
    SP603 from pairing the old statement with the new, unrelated one)."""
    case = CASES["key-dropped"]
    repository(tmp_path, case)
    write_project(tmp_path, [R1, Revision("a2", "a1", case.old_key), Revision("a3", "a2", case.change + "\n" + (
        "op.create_table('audit', sa.Column('id', sa.Integer, primary_key=True))"))])  # fmt: skip
    (tmp_path / "app" / "upsert.sql").write_text(
        "INSERT INTO audit (id) VALUES (1) ON CONFLICT (id) DO NOTHING;\n\n" + case.new_sql
    )
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-q", "--amend", "-m", "the pull request")
    monkeypatch.chdir(tmp_path)
    code, report, err = deploy(capsys, "sqlite")
    assert isinstance(report, dict), err
    by_line = {(s["path"], s["line"]): s for s in report["deploy"]["sites"]}
    audit, rewritten = by_line["app/upsert.sql", 1], by_line["app/upsert.sql", 3]
    assert (audit["in_old_code"], audit["safe_order"]) == (False, "migrations-first")
    assert (rewritten["in_old_code"], rewritten["safe_order"]) == (True, "code-first")
    assert "SP603" not in {f["rule"] for f in report["findings"]}
    assert report["deploy"]["safe_order"] == "neither" and code == 1  # each order breaks one of them


def test_a_history_moved_since_the_ref_falls_back_to_the_current_files_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    repository(tmp_path, CASES["key-dropped"])
    (tmp_path / "alembic.ini").rename(tmp_path / "db.ini")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-q", "-m", "the configuration moves")
    monkeypatch.chdir(tmp_path)
    code = cli.main(["check", "--no-config", "--no-cache", "--alembic-config", "db.ini", "--dialect", "sqlite",
                     "--deploy-from", "prod", "--format", "json", "app"])  # fmt: skip
    report = json.loads(capsys.readouterr().out)
    assert report["deploy"]["safe_order"] == "code-first" and code == 0  # judged as before the move
    assert [n for n in report["notes"] if "cannot be loaded from the tree at prod" in n] == [
        f"the history {tmp_path / 'db.ini'} cannot be loaded from the tree at prod as configured now (Alembic "
        "configuration prod:db.ini does not exist): its old schema is built from the current revision files "
        "instead, up to the old revision"
    ]


def test_the_old_schema_is_cached_by_content(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The tree at the ref is extracted anew each run, but its Catalogs are keyed by the files' content: a second
    run migrates nothing, and says the same."""
    from schema_parity.sources import alembic

    repository(tmp_path, CASES["key-widened"])
    monkeypatch.chdir(tmp_path)
    migrated: list[list[str]] = []
    real = alembic.catalogs_at

    def counted(project: alembic.AlembicProject, revisions: list[str], **options: bool) -> dict:
        migrated.append(list(revisions))
        return real(project, revisions, **options)

    monkeypatch.setattr(alembic, "catalogs_at", counted)
    args = ["check", "--no-config", "--alembic-config", "alembic.ini", "--dialect", "sqlite", "--deploy-from", "prod",
            "--format", "json", "app"]  # fmt: skip
    first = cli.main(args), json.loads(capsys.readouterr().out)
    assert sorted(map(sorted, migrated)) == [["a2"], ["a3"]]  # the old tree to its head, the current files
    migrated.clear()
    assert (cli.main(args), json.loads(capsys.readouterr().out)) == first
    assert migrated == []
