"""`schema-parity check`, `rules` and `explain` as a user runs them: exit codes, the scan cache, parallel scanning.

Most tests call ``cli.main`` in-process (a subprocess costs about a second); one runs the installed entry point.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from schema_parity import cli
from schema_parity.rules import RULES
from schema_parity.sources.ddl import catalog_from_ddl
from schema_parity.verdicts.dispatch import check as judge_sql

SCHEMA = """\
CREATE TABLE t (host TEXT NOT NULL, code INTEGER NOT NULL, n INTEGER NOT NULL DEFAULT 0);
CREATE UNIQUE INDEX uq_t_host ON t (host);
"""
BAD = "INSERT INTO t (host, code) VALUES ('a', 1) ON CONFLICT (host, code) DO NOTHING;"
GOOD = "INSERT INTO t (host, code) VALUES ('a', 1) ON CONFLICT (host) DO NOTHING;"
CONFIG = '[tool.schema-parity]\nschema-sql = ["schema.sql"]\npaths = ["app"]\ndialects = ["sqlite"]\n'


def make_project(root: Path, files: dict[str, str], config: str | None = CONFIG) -> Path:
    """A project: schema.sql, a pyproject.toml with [tool.schema-parity] (unless None), and ``files``."""
    (root / "schema.sql").write_text(SCHEMA)
    if config is not None:
        (root / "pyproject.toml").write_text(config)
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def run_main(
    capsys: pytest.CaptureFixture[str], *args: str, parse: bool = False
) -> tuple[int, str, str] | tuple[int, dict, str]:
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return (code, json.loads(out) if parse else out, err)


def rules_of(report: dict, *, suppressed: bool = False) -> list[tuple[str, str, int]]:
    return [(f["rule"], f["path"], f["line"]) for f in report["findings"] if f["suppressed"] == suppressed]


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    return tmp_path


def test_no_arguments_in_a_configured_project(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    make_project(project, {"app/q.sql": f"{GOOD}\n{BAD}\n", "elsewhere/x.sql": BAD})
    code, out, _ = run_main(capsys, "check")
    assert code == 1
    assert "app/q.sql" in out and "2:1 error SP101 [sqlite]" in out and "elsewhere" not in out
    assert "  2 | INSERT INTO t" in out and "    | ^" in out
    assert "1 error(s)" in out and "[postgresql]" not in out


@pytest.mark.parametrize(
    ("files", "args", "expected"),
    [
        ({"app/q.sql": GOOD}, [], 0),
        ({"app/q.sql": BAD}, [], 1),
        ({"app/q.sql": BAD}, ["--exit-zero"], 0),
        ({"app/q.sql": BAD}, ["--ignore", "SP101"], 0),
        ({"app/q.sql": BAD}, ["--severity", "SP101=warning"], 0),
        ({"app/q.sql": BAD}, ["--select", "SP999"], 2),
        ({"app/q.sql": BAD}, ["--severity", "SP101=fatal"], 2),
        ({"app/q.sql": BAD}, ["missing_dir"], 2),
        ({"app/q.sql": BAD}, ["--baseline", "nope.json"], 2),
    ],
)
def test_exit_codes(
    project: Path, capsys: pytest.CaptureFixture[str], files: dict[str, str], args: list[str], expected: int
) -> None:
    make_project(project, files)
    code, _out, err = run_main(capsys, "check", *args)
    assert code == expected, err
    if expected == 2:
        assert err.startswith("schema-parity: error:") and "Traceback" not in err


def test_rules_lists_every_code(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_main(capsys, "rules")
    assert code == 0
    listed = [line.split()[0] for line in out.splitlines() if line.startswith("SP")]
    assert listed == sorted(RULES) and "SP904" in listed


def test_explain_prints_the_page(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_main(capsys, "explain", "sp101")
    assert code == 0
    assert out.startswith("SP101 no-matching-key (default severity: error)")
    assert "PostgreSQL: " in out and "SQLite: " in out and "Fails (postgresql, sqlite):" in out and "Fixed:" in out
    assert "docs/rules.md#sp101-no-matching-key" in out
    assert run_main(capsys, "explain", "unused-suppression")[1].startswith("SP904 ")
    code, _, err = run_main(capsys, "explain", "SP999")
    assert code == 2 and "unknown rule 'SP999'" in err


@pytest.mark.parametrize("code", sorted(c for c, rule in RULES.items() if rule.example.schema))
def test_rule_page_examples_fail_and_pass_as_claimed(code: str) -> None:
    """The failing example reports the rule; the fixed one reports nothing, for each dialect the page names."""
    page = RULES[code].example
    assert page.schema is not None
    for dialect in page.dialects:
        bad = judge_sql(page.bad, catalog_from_ddl(page.schema, dialect), dialect)
        fixed = judge_sql(page.fixed, catalog_from_ddl(page.fixed_schema or page.schema, dialect), dialect)
        assert code in [p.rule for p in bad.problems], (dialect, bad)
        assert fixed.problems == (), (dialect, fixed)


def test_scan_cache_reuses_unchanged_files(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from schema_parity.check import CheckOptions, run_check
    from schema_parity.config import CACHE_DIR
    from schema_parity.sources import SchemaOptions

    make_project(project, {"app/a.sql": BAD, "app/b.sql": GOOD, "app/c.py": "x = 1\n"})
    options = CheckOptions(cache_dir=project / CACHE_DIR)
    schema = SchemaOptions(schema_sql=(project / "schema.sql",))

    def run() -> tuple[int, list[str]]:
        result = run_check([project / "app"], root=project, schema=schema, dialects=("sqlite",), options=options)
        return result.files_parsed, [f"{f.rule}:{f.path}:{f.line}" for f in result.findings]

    assert run() == (2, ["SP101:app/a.sql:1"])  # c.py has no upsert: never parsed, never cached
    assert run() == (0, ["SP101:app/a.sql:1"])
    (project / "app/a.sql").write_text(f"\n{BAD}")
    assert run() == (1, ["SP101:app/a.sql:2"])
    (project / "app/copy.sql").write_text(f"\n{BAD}")  # same bytes, another name: shares the entry
    assert run() == (0, ["SP101:app/a.sql:2", "SP101:app/copy.sql:2"])
    assert (project / CACHE_DIR / ".gitignore").read_text().endswith("*\n")
    code, _out, _ = run_main(capsys, "check", "--no-cache")
    assert code == 1


def test_sqlalchemy_sites_are_re_parsed_when_another_module_changes(project: Path) -> None:
    """A SQLAlchemy site's table lives in another module: its cache entry depends on the whole tree."""
    from schema_parity.check import CheckOptions, run_check
    from schema_parity.config import CACHE_DIR
    from schema_parity.sources import SchemaOptions

    models = "import sqlalchemy as sa\nmeta = sa.MetaData()\nt = sa.Table('t', meta, sa.Column('host', sa.Text))\n"
    use = (
        "from sqlalchemy.dialects.sqlite import insert\nfrom app.models import t\n\n"
        "def f(conn):\n    conn.execute(insert(t).values(host='a').on_conflict_do_nothing(index_elements=['host']))\n"
    )
    make_project(project, {"app/__init__.py": "", "app/models.py": models, "app/use.py": use})
    options = CheckOptions(cache_dir=project / CACHE_DIR)
    schema = SchemaOptions(schema_sql=(project / "schema.sql",))

    def parsed() -> int:
        return run_check([project / "app"], root=project, schema=schema, options=options).files_parsed

    first = parsed()
    assert first >= 1 and parsed() == 0
    (project / "app/models.py").write_text(models.replace("'t'", "'t2'"))
    assert parsed() >= 1  # use.py is parsed again, not served from the cache


def test_jobs_give_the_same_result(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    make_project(project, {f"app/q{i}.sql": (BAD if i % 3 == 0 else GOOD) for i in range(12)})
    _, serial, _ = run_main(capsys, "check", "--format", "json", "--no-cache", parse=True)
    _, parallel, _ = run_main(capsys, "check", "--format", "json", "--no-cache", "--jobs", "2", parse=True)
    assert serial == parallel and serial["summary"]["errors"] == 4


def test_installed_entry_point_runs_with_config(tmp_path: Path) -> None:
    """What the pre-commit hook runs: `schema-parity check` with no arguments, from the project directory."""
    make_project(tmp_path, {"app/q.sql": BAD})
    result = subprocess.run(
        [sys.executable, "-m", "schema_parity", "check", "--format", "github"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "NO_COLOR": "1"},
    )
    assert result.returncode == 1, result.stderr
    assert result.stdout.startswith("::error file=app/q.sql,line=1,col=1,title=SP101 no-matching-key [sqlite]::")


def test_statements_inside_revisions_are_unresolved_without_an_alembic_source(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A database or DDL files describe one state of the schema; a revision's SQL runs against another."""
    revision = (
        'revision = "abc123"\ndown_revision = None\n\n\ndef upgrade():\n'
        f'    op.execute("{BAD.rstrip(";")}")\n'
    )
    make_project(project, {"app/versions/abc123_seed.py": revision})
    code, report, _ = run_main(capsys, "check", "--format", "json", parse=True)
    assert code == 0
    (site,) = report["sites"]
    assert site["origin"] == "migration" and site["revision"] == "abc123"
    assert site["verdicts"]["sqlite"]["verdict"] == "unresolved"
    assert [(f["rule"], f["severity"]) for f in report["findings"]] == [("SP901", "info")]


def test_migrated_catalogs_are_cached_until_a_migration_changes(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.alembic_projects import Revision, write_project

    counter = project / "runs.txt"
    counting = f"import pathlib\nwith pathlib.Path({str(counter)!r}).open('a') as f:\n    f.write('x')\n"
    revisions = [Revision("c1", None, counting + "op.create_table('t', sa.Column('id', sa.Integer, primary_key=True))")]
    write_project(project, revisions)
    (project / "app.py").write_text("Q = 'INSERT INTO t (id) VALUES (1) ON CONFLICT (id) DO NOTHING'\n")
    assert run_main(capsys, "check", "app.py")[0] == 0
    assert counter.read_text() == "xx"  # SQLite, and Alembic's offline mode for PostgreSQL
    assert run_main(capsys, "check", "app.py")[0] == 0
    assert counter.read_text() == "xx"
    assert run_main(capsys, "check", "app.py", "--no-cache")[0] == 0
    assert counter.read_text() == "xxxx"
    path = next((project / "migrations" / "versions").glob("c1*.py"))
    path.write_text(path.read_text() + "\n# edited\n")
    assert run_main(capsys, "check", "app.py")[0] == 0
    assert counter.read_text() == "xxxxxx"


def test_a_check_of_ddl_files_imports_neither_sqlalchemy_nor_alembic(tmp_path: Path) -> None:
    """Start-up is most of a small or warm run: a check that runs no migration must not import SQLAlchemy or Alembic
    (about half a second), on the first run and on the warm one that takes every file from the cache; nor ``uuid``,
    whose import of ``platform`` compiles a dozen regular expressions; nor what only a server, a configuration file,
    ``--diff-base`` or wrappers need (``subprocess``, ``tomllib``, changes.py, wrappers.py)."""
    (tmp_path / "schema.sql").write_text("CREATE TABLE t (id int PRIMARY KEY, k int UNIQUE);\n")
    (tmp_path / "app.sql").write_text("INSERT INTO t (id, k) VALUES (1, 1) ON CONFLICT (k) DO NOTHING;\n")
    program = (
        "import sys\nfrom schema_parity.cli import main\n"
        "print('exit', main(['check', '--no-config', '--schema-sql', 'schema.sql', 'app.sql']))\n"
        "print(sorted(m for m in ('sqlalchemy', 'alembic', 'uuid', 'platform', 'subprocess', 'tomllib', "
        "'schema_parity.changes', 'schema_parity.wrappers') if m in sys.modules))\n"
    )
    for _ in ("first", "warm"):
        run = subprocess.run([sys.executable, "-c", program], cwd=tmp_path, capture_output=True, text=True, check=True)
        assert run.stdout.splitlines()[-2:] == ["exit 0", "[]"], run.stdout + run.stderr
    assert (tmp_path / ".schema-parity").is_dir()  # the second run was a warm one


def test_a_check_for_postgresql_alone_does_not_load_sqlglots_sqlite_dialect(tmp_path: Path) -> None:
    """sqlglot's SQLite dialect is built on first use: a check judged by PostgreSQL alone never pays for it."""
    (tmp_path / "schema.sql").write_text("CREATE TABLE t (id int PRIMARY KEY, k int UNIQUE);\n")
    (tmp_path / "app.sql").write_text("INSERT INTO t (id, k) VALUES (1, 1) ON CONFLICT (k) DO NOTHING;\n")
    program = (
        "import sys\nfrom schema_parity.cli import main\n"
        "print('exit', main(['check', '--no-config', '--no-cache', '--schema-sql', 'schema.sql', '--dialect', "
        "sys.argv[1], 'app.sql']))\n"
        "print('sqlglot.dialects.sqlite' in sys.modules)\n"
    )
    for dialect, loaded in (("postgresql", "False"), ("sqlite", "True")):
        run = subprocess.run([sys.executable, "-c", program, dialect], cwd=tmp_path, capture_output=True, text=True,
                             check=True)  # fmt: skip
        assert run.stdout.splitlines()[-2:] == ["exit 0", loaded], run.stdout + run.stderr
