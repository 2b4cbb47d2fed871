"""What is inside a file must not stop the scan: an unclosed quote in SQL, an expression too deep for Python's
parser, or a bug of ours while reading one file is a warning (SP903) for that file; the other files are scanned."""

from __future__ import annotations

from pathlib import Path

import pytest

from schema_parity import cli
from schema_parity.sites import python as python_sites
from schema_parity.sites.scan import scan, scan_file
from schema_parity.sites.scan import scan as scan_project
from schema_parity.sites.sql import sql_file_sites

UPSERT = "INSERT INTO t (a) VALUES (1) ON CONFLICT (a) DO NOTHING;\n"
SCHEMA = "CREATE TABLE t (a INTEGER PRIMARY KEY, b TEXT);\n"


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def _scans(root: Path) -> list[tuple[list[tuple[str, int]], list[tuple[str, int, str]]]]:
    """(sites, problems) from ``scan`` and from ``scan_project`` (cache on, one process)."""
    results = [scan([root], root=root), scan_project([root], root=root, cache_dir=root.parent / "cache")]
    return [([(s.path, s.line) for s in r.sites], [(p.path, p.line, p.message) for p in r.problems]) for r in results]


# -- 2. an unclosed quote, dollar quote or comment in a .sql file -----------------------------------------------------
@pytest.mark.parametrize(
    ("broken", "what"),
    [
        ("INSERT INTO t (a, b) VALUES (2, 'it''s) ON CONFLICT (a) DO NOTHING;", "quoted string"),
        ("INSERT INTO t (a, b) VALUES (2, E'back\\\\slash\\') ON CONFLICT (a) DO NOTHING;", "quoted string"),
        ('INSERT INTO "t (a) VALUES (2) ON CONFLICT (a) DO NOTHING;', "quoted identifier"),
        ("CREATE FUNCTION f() RETURNS int AS $body$ SELECT 1; $$ LANGUAGE sql;", "dollar-quoted string $body$"),
        ("INSERT INTO t (a) VALUES (2) /* no end /* nested */ ON CONFLICT (a) DO NOTHING;", "block comment /*"),
    ],
)
def test_an_unclosed_quote_names_the_line_from_which_nothing_was_checked(broken: str, what: str) -> None:
    script = f"{UPSERT}-- the next statement never ends\n\n{broken}\n{UPSERT}{UPSERT}"
    sites, problems = sql_file_sites(script, "db/x.sql")
    assert [site.line for site in sites] == [1]  # the statement before it is still checked
    assert [(p.path, p.line, p.message) for p in problems] == [
        (
            "db/x.sql",
            4,
            f"unterminated {what}: nothing from line 4 to the end of the file was checked; close it (PostgreSQL "
            "and SQLite reject the script as it is)",
        )
    ]


def test_the_line_lost_is_the_start_of_the_statement_holding_the_quote() -> None:
    script = f"{UPSERT}INSERT INTO t (a, b)\nVALUES (2, 'x)\nON CONFLICT (a) DO NOTHING;\n{UPSERT}"
    _, [problem] = sql_file_sites(script, "x.sql")
    assert problem.line == 2
    assert problem.message.startswith("unterminated quoted string (opened at line 3): nothing from line 2 to the end")
    comment_between = f"{UPSERT}\n/* never closed\n{UPSERT}"
    sites, [problem] = sql_file_sites(comment_between, "x.sql")
    assert [site.line for site in sites] == [1]
    assert problem.line == 3 and problem.message.startswith("unterminated block comment /*: nothing from line 3")


def test_closed_quotes_at_the_end_of_a_script_are_not_problems() -> None:
    for script in ("SELECT 'it''s'", "SELECT E'a\\\\'", 'SELECT "x"""', "SELECT $$ a $$", "SELECT 1 /* /* */ */"):
        assert sql_file_sites(f"{UPSERT}{script}", "x.sql") == (sql_file_sites(UPSERT, "x.sql")[0], [])


def test_an_unclosed_quote_is_a_warning_that_severity_can_make_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    _write(tmp_path, {"schema.sql": SCHEMA, "app/q.sql": f"{UPSERT}INSERT INTO t (a, b) VALUES (1, 'x);\n{UPSERT}"})
    args = ["check", "app", "--schema-sql", "schema.sql", "--no-config", "--no-cache", "--format", "json"]
    assert cli.main(args) == 0
    out = capsys.readouterr().out
    assert '"rule": "SP903"' in out and '"severity": "warning"' in out and '"line": 2' in out
    assert cli.main([*args, "--severity", "SP903=error"]) == 1
    assert '"severity": "error"' in capsys.readouterr().out


# -- 4. expressions too deep for Python's parser ---------------------------------------------------------------------
DEEP = {
    "sum": "x = " + " + ".join(["1"] * 3000) + "\n",
    "calls": "x = f" + "(1)" * 3000 + "\n",
    "attributes": "x = a" + ".b" * 5000 + "\n",
    "negations": "x = " + "-" * 5000 + "1\n",
}


@pytest.mark.parametrize("shape", DEEP)
def test_an_expression_too_deep_to_parse_is_a_problem_for_its_file_only(tmp_path: Path, shape: str) -> None:
    _write(
        tmp_path / "tree", {"a.sql": UPSERT, "deep.py": f"Q = {UPSERT!r}\n{DEEP[shape]}", "z.py": f"Q = {UPSERT!r}\n"}
    )
    for sites, problems in _scans(tmp_path / "tree"):
        assert sites == [("a.sql", 1), ("z.py", 1)]
        assert problems == [
            (
                "deep.py",
                0,
                "an expression is nested too deeply to analyse (RecursionError): this file's upserts are not checked; "
                "split the expression, or exclude the file",
            )
        ]


def test_a_model_module_too_deep_to_parse_is_named_by_the_site_that_needs_it(tmp_path: Path) -> None:
    root = _write(
        tmp_path,
        {
            "app/models.py": "import sqlalchemy as sa\nmd = sa.MetaData()\nt = sa.Table('t', md, sa.Column('a'))\n"
            + DEEP["sum"],
            "app/use.py": "from sqlalchemy.dialects.postgresql import insert\nfrom app.models import t\n"
            "q = insert(t).on_conflict_do_nothing(index_elements=['a'])\n",
        },
    )
    result = scan([root], root=root)
    assert result.problems == []  # models.py has no upsert: it is not parsed for its own sake
    [site] = result.sites
    assert site.unresolved == (
        "the table t is defined in app/models.py, which could not be read (an expression is nested too deeply to "
        "analyse (RecursionError))"
    )


# -- 6. the safety net -----------------------------------------------------------------------------------------------
def _broken_sites(self: object) -> list[object]:
    raise KeyError("surprise")


def test_a_bug_while_reading_one_file_is_a_problem_for_that_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Simulate a bug in the Python string extractor: the .py files are reported, the .sql file is still scanned."""
    root = _write(tmp_path / "tree", {"a.py": f"Q = {UPSERT!r}\n", "b.sql": UPSERT, "c.py": f"Q = {UPSERT!r}\n"})
    monkeypatch.setattr(python_sites._Module, "sites", _broken_sites)
    message = (
        "internal error of schema-parity while scanning this file, its upserts are not checked (please report it "
        "with the file if you can): KeyError: 'surprise'"
    )
    for sites, problems in _scans(root):
        assert sites == [("b.sql", 1)]
        assert problems == [("a.py", 0, message), ("c.py", 0, message)]
    assert scan_file(root / "a.py", "a.py") == ([], [python_sites.ScanProblem("a.py", 0, message)])


def test_a_bug_while_reading_suppression_comments_is_a_problem_for_that_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from schema_parity.sites import scan as scan_cache

    def broken(text: str, path: str, *, python: bool) -> list[object]:
        raise ValueError("bad comment")

    monkeypatch.setattr(scan_cache, "directives_in", broken)
    root = _write(tmp_path / "tree", {"a.sql": f"{UPSERT}-- schema-parity: ignore[SP101]\n", "b.sql": UPSERT})
    result = scan_project([root], root=root)
    assert [(s.path, s.line) for s in result.sites] == [("b.sql", 1)]
    assert [(p.path, p.message.split(" (please")[0]) for p in result.problems] == [
        ("a.sql", "internal error of schema-parity while scanning this file, its upserts are not checked")
    ]
    assert result.problems[0].message.endswith("ValueError: bad comment")


def test_a_deep_python_file_does_not_stop_run_check(tmp_path: Path) -> None:
    from schema_parity.check import run_check
    from schema_parity.sources import SchemaOptions

    root = _write(
        tmp_path, {"schema.sql": SCHEMA, "app/deep.py": f"Q = {UPSERT!r}\n{DEEP['sum']}", "app/q.sql": UPSERT}
    )
    result = run_check([root / "app"], root=root, schema=SchemaOptions(schema_sql=(root / "schema.sql",)))
    assert [(f.rule, f.severity, f.path) for f in result.findings] == [("SP903", "warning", "app/deep.py")]
    assert [report.site.path for report in result.sites] == ["app/q.sql"]
    assert result.findings[0].message.startswith("an expression is nested too deeply to analyse (RecursionError)")


# -- found by the property tests -------------------------------------------------------------------------------------
def test_a_format_field_of_other_digits_is_read_as_str_format_reads_it() -> None:
    """``"{²}"`` is a keyword field for ``str.format`` (KeyError at run time), ``"{٣}"`` a position (Arabic-Indic 3)."""
    template = 'q = "INSERT INTO t (a) VALUES ({FIELD}) ON CONFLICT (a) DO NOTHING".format(0, 1, 2, "3", **kw)\n'
    for field, filled in (("\u00b2", "?"), ("\u0663", "3"), ("1", "1")):
        sites, problems = python_sites.sites_from_python(template.replace("FIELD", field), "q.py")
        assert problems == []
        assert [site.sql for site in sites] == [f"INSERT INTO t (a) VALUES ({filled}) ON CONFLICT (a) DO NOTHING"]


def test_suppressions_before_an_unclosed_quote_still_apply_and_later_ones_are_not_reported_unused(
    tmp_path: Path,
) -> None:
    from schema_parity.check import CheckOptions, run_check
    from schema_parity.sources import SchemaOptions

    bad = "INSERT INTO t (a, b) VALUES (1, 'x') ON CONFLICT (b) DO NOTHING;\n"
    ignore = "-- schema-parity: ignore[SP101]\n"
    script = f"{ignore}{bad}INSERT INTO t (a) VALUES ('x);\n{ignore}{bad}"
    root = _write(tmp_path, {"schema.sql": SCHEMA, "app/q.sql": script})
    result = run_check(
        [root / "app"],
        root=root,
        schema=SchemaOptions(schema_sql=(root / "schema.sql",)),
        options=CheckOptions(report_unused_suppressions=True),
    )
    assert [(f.rule, f.line) for f in result.findings] == [("SP903", 3)]
    assert [(f.rule, f.line) for f in result.suppressed] == [("SP101", 2), ("SP101", 2)]
