"""Upsert sites in Python source and the project scan: every string form, exact positions, holes and file handling."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from schema_parity.sites import Site
from schema_parity.sites.python import sites_from_python
from schema_parity.sites.scan import ScanProblem, scan

UPSERT = "INSERT INTO t (a) VALUES (1) ON CONFLICT (a) DO NOTHING"


def _sites(source: str) -> list[Site]:
    sites, problems = sites_from_python(textwrap.dedent(source), "app/db.py")
    assert problems == []
    return sites


def _found(source: str) -> list[tuple[int, int, str | None]]:
    return [(site.line, site.column, site.sql) for site in _sites(source)]


# -- literal forms and positions ----------------------------------------------------------------------------------
def test_seed_upsert_is_one_site_at_the_insert_line() -> None:
    source = '''\
        def record(conn, metrics, now):
            conn.execute(
                """
                INSERT INTO http_error_summary
                (host, status_code, error_type, count, last_seen)
                VALUES (?, ?, ?, 1, ?)
                ON CONFLICT(host, status_code) DO UPDATE SET
                    count = count + 1,
                    last_seen = ?
                """,
                (metrics.host, metrics.http_status_code, metrics.http_error_type, now, now)
            )
        '''
    [site] = _sites(source)
    assert (site.path, site.line, site.column, site.origin) == ("app/db.py", 4, 9, "python-string")
    assert site.sql == (
        "INSERT INTO http_error_summary\n"
        "        (host, status_code, error_type, count, last_seen)\n"
        "        VALUES (?, ?, ?, 1, ?)\n"
        "        ON CONFLICT(host, status_code) DO UPDATE SET\n"
        "            count = count + 1,\n"
        "            last_seen = ?"
    )
    assert site.unresolved is None and site.revision is None and site.dialect is None


def test_plain_literal_and_case_and_newline_between_on_and_conflict() -> None:
    source = 'x = 1; SQL = "insert into t (a) values (1) on\\n  Conflict (a) do nothing"\n'
    assert _found(source) == [(1, 15, "insert into t (a) values (1) on\n  Conflict (a) do nothing")]


def test_implicit_concatenation_is_one_site_located_in_its_piece() -> None:
    source = """\
        sql = (
            "\\n"  # the statement starts in the next piece
            "INSERT INTO t (a) VALUES (1) "
            'ON CONFLICT (a) DO NOTHING'
        )
        """
    assert _found(source) == [(3, 6, UPSERT)]


def test_escapes_and_prefixes_are_mapped_to_source_columns() -> None:
    source = """\
        a = "\\t\\x20\\N{SPACE}INSERT INTO t (a) VALUES (1) ON CONFLICT (a) DO NOTHING"
        b = r"  INSERT INTO t (a) VALUES ('\\d') ON CONFLICT (a) DO NOTHING"
        c = u"\\u2003" \\
            "INSERT INTO t (a) VALUES (1) ON CONFLICT (a) DO NOTHING"
        d = "\\
        INSERT INTO t (a) VALUES (1) ON CONFLICT (a) DO NOTHING"
        e = "\\u0020\\u00A0INSERT INTO t (a) VALUES (1) ON CONFLICT (a) DO NOTHING"
        """
    assert [(line, column) for line, column, _ in _found(source)] == [(1, 21), (2, 9), (4, 6), (6, 1), (7, 18)]


def test_crlf_source() -> None:
    source = 'x = """\r\n  INSERT INTO t (a) VALUES (1) ON CONFLICT (a) DO NOTHING\r\n"""\r\n'
    assert _found(source) == [(2, 3, UPSERT)]


@pytest.mark.parametrize(
    "call",
    [
        "conn.execute(text({q}))",
        "conn.execute(sa.text({q}))",
        "conn.execute(sqlalchemy.text({q}), params)",
        "cur.executemany({q}, rows)",
        "conn.exec_driver_sql({q})",
        "print({q})",
    ],
)
def test_call_arguments(call: str) -> None:
    source = call.format(q=repr(UPSERT)) + "\n"
    assert _found(source) == [(1, source.index("INSERT") + 1, UPSERT)]


def test_executescript_splits_statements() -> None:
    source = '''\
        conn.executescript("""
            CREATE TABLE t (a PRIMARY KEY);
            -- INSERT INTO t VALUES (0) ON CONFLICT DO NOTHING;
            INSERT INTO t VALUES (1);
            INSERT INTO t VALUES (2) ON CONFLICT DO NOTHING;
            INSERT INTO t VALUES (3) ON CONFLICT (a) DO NOTHING;
        """)
        '''
    assert _found(source) == [
        (5, 5, "INSERT INTO t VALUES (2) ON CONFLICT DO NOTHING"),
        (6, 5, "INSERT INTO t VALUES (3) ON CONFLICT (a) DO NOTHING"),
    ]


def test_module_constant_class_attribute_and_bare_expression() -> None:
    source = f"""\
        UPSERT = {UPSERT!r}
        class Repo:
            SQL: str = {UPSERT!r}
        {UPSERT!r}
        """
    assert [(line, column) for line, column, _ in _found(source)] == [(1, 11), (3, 17), (4, 2)]


def test_plus_concatenation_of_literals_is_one_site() -> None:
    source = """\
        sql = ("INSERT INTO t (a) VALUES (1) "
               + "ON CONFLICT (a) "
               + "DO NOTHING")
        """
    assert _found(source) == [(1, 9, UPSERT)]


def test_constant_used_on_a_line_without_the_word_and_decorator_arguments() -> None:
    source = f"""\
        SUFFIX = " ON CONFLICT (a) DO NOTHING"
        @register({UPSERT!r})
        def f():
            return "INSERT INTO t (a) VALUES (1)" + SUFFIX
        """
    assert _found(source) == [(2, 12, UPSERT), (4, 13, UPSERT)]


def test_docstrings_are_skipped() -> None:
    source = f'''\
        """Module: {UPSERT}"""
        class C:
            """Class: {UPSERT}"""
            def m(self):
                """Method: {UPSERT}"""
        async def f():
            """Function: {UPSERT}"""
        '''
    assert _found(source) == []


def test_not_upserts() -> None:
    source = """\
        a = "INSERT INTO t (a) VALUES (1)"
        b = "insert failed on conflict, retrying"
        c = "SELECT 1 -- INSERT INTO t VALUES (1) ON CONFLICT DO NOTHING"
        d = b"INSERT INTO t VALUES (1) ON CONFLICT DO NOTHING"
        e = "INSERT INTO t VALUES ('ON CONFLICT DO NOTHING')"
        """
    assert _found(source) == []


# -- dynamic SQL ----------------------------------------------------------------------------------------------------
def _dynamic(expression: str) -> tuple[str | None, str | None]:
    [site] = _sites(f"TABLE = 'users'\nsql = {expression}\n")
    assert site.line == 2
    return site.sql, site.unresolved


@pytest.mark.parametrize(
    ("expression", "sql"),
    [
        (
            'f"INSERT INTO t (a) VALUES ({v}) ON CONFLICT (a) DO NOTHING"',
            "INSERT INTO t (a) VALUES (?) ON CONFLICT (a) DO NOTHING",
        ),
        (
            'f"INSERT INTO {TABLE} (a) VALUES (1) ON CONFLICT (a) DO NOTHING"',
            "INSERT INTO users (a) VALUES (1) ON CONFLICT (a) DO NOTHING",
        ),
        (
            'f"INSERT INTO t (a) VALUES (1) ON CONFLICT (a) DO UPDATE SET b = {v!r}"',
            "INSERT INTO t (a) VALUES (1) ON CONFLICT (a) DO UPDATE SET b = ?",
        ),
        (
            "f\"INSERT INTO t (a) VALUES ('{v}') ON CONFLICT (a) DO NOTHING\"",
            "INSERT INTO t (a) VALUES ('?') ON CONFLICT (a) DO NOTHING",
        ),
        (
            'f"INSERT INTO t (a) VALUES {rows} ON CONFLICT (a) DO NOTHING"',
            "INSERT INTO t (a) VALUES (?) ON CONFLICT (a) DO NOTHING",
        ),
        (
            'f"INSERT INTO t (a) VALUES (1) ON CONFLICT (a) DO NOTHING RETURNING {cols}"',
            "INSERT INTO t (a) VALUES (1) ON CONFLICT (a) DO NOTHING RETURNING ?",
        ),
        (
            '"INSERT INTO t (a) VALUES (%s) ON CONFLICT (a) DO NOTHING" % v',
            "INSERT INTO t (a) VALUES (?) ON CONFLICT (a) DO NOTHING",
        ),
        (
            '"INSERT INTO %s (a) VALUES (%d) ON CONFLICT (a) DO NOTHING -- 100%%" % ("t", 1)',
            "INSERT INTO t (a) VALUES (1) ON CONFLICT (a) DO NOTHING",
        ),
        (
            '"INSERT INTO %(t)s (a) VALUES (%(v)s) ON CONFLICT (a) DO NOTHING" % {"t": TABLE, "v": x}',
            "INSERT INTO users (a) VALUES (?) ON CONFLICT (a) DO NOTHING",
        ),
        (
            '"INSERT INTO {} (a) VALUES ({v}) ON CONFLICT ({k}) DO NOTHING".format(TABLE, v=x, k="a")',
            "INSERT INTO users (a) VALUES (?) ON CONFLICT (a) DO NOTHING",
        ),
        (
            '"INSERT INTO t (a) VALUES (" + v + ") ON CONFLICT (a) DO NOTHING"',
            "INSERT INTO t (a) VALUES (?) ON CONFLICT (a) DO NOTHING",
        ),
        (
            '"INSERT INTO " + TABLE + " (a) VALUES (1) ON CONFLICT (a) DO NOTHING"',
            "INSERT INTO users (a) VALUES (1) ON CONFLICT (a) DO NOTHING",
        ),
    ],
)
def test_holes_in_value_positions_become_placeholders(expression: str, sql: str) -> None:
    assert _dynamic(expression) == (sql, None)


@pytest.mark.parametrize(
    ("expression", "reason"),
    [
        (
            'f"INSERT INTO {table} (a) VALUES (1) ON CONFLICT (a) DO NOTHING"',
            "the table name is computed at run time (table)",
        ),
        (
            'f"INSERT INTO app.{table} (a) VALUES (1) ON CONFLICT (a) DO NOTHING"',
            "the table name is computed at run time (table)",
        ),
        (
            'f"INSERT INTO t_{suffix} (a) VALUES ({v}) ON CONFLICT (a) DO NOTHING"',
            "the table name is computed at run time (suffix)",
        ),
        (
            'f"INSERT INTO t (a) VALUES (1) ON CONFLICT ({key}) DO NOTHING"',
            "the ON CONFLICT target is computed at run time (key)",
        ),
        (
            'f"INSERT INTO t (a) VALUES (1) ON CONFLICT ON CONSTRAINT {self.name} DO NOTHING"',
            "the ON CONFLICT target is computed at run time (self.name)",
        ),
        (
            'f"INSERT INTO t (a) VALUES (1) ON CONFLICT (a) WHERE {pred} DO NOTHING"',
            "the ON CONFLICT target is computed at run time (pred)",
        ),
        (
            '"INSERT INTO t (a) VALUES (1) ON CONFLICT (%s) DO NOTHING" % ", ".join(keys)',
            'the ON CONFLICT target is computed at run time (", ".join(keys))',
        ),
        (
            '"INSERT INTO {0.table} (a) VALUES (1) ON CONFLICT (a) DO NOTHING".format(m)',
            "the table name is computed at run time (m.table)",
        ),
        (
            '"INSERT INTO " + name + " (a) VALUES (1) ON CONFLICT (a) DO NOTHING"',
            "the table name is computed at run time (name)",
        ),
        (
            'f"INSERT INTO t ({cols}) VALUES ({vals}) ON CONFLICT (a) DO NOTHING"',
            "cols is spliced in as the insert column list",
        ),
        (
            'f"INSERT INTO t (a) VALUES (1) ON CONFLICT (a) DO UPDATE SET {updates}"',
            "updates is spliced in as a DO UPDATE SET assignment",
        ),
        (
            'f"INSERT INTO t (a) VALUES (1) ON CONFLICT (a) DO UPDATE SET b = 1, {c} = 2"',
            "c is spliced in as a DO UPDATE SET assignment",
        ),
        (
            'f"INSERT INTO t (a) VALUES (1) ON CONFLICT (a) DO UPDATE SET b = excluded.{c}"',
            "c is spliced in as part of a qualified name",
        ),
        (
            "f'INSERT INTO t (\"{c}\") VALUES (1) ON CONFLICT (a) DO NOTHING'",
            "c is spliced in as part of an identifier",
        ),
        (
            'f"INSERT INTO t (a) SELECT a FROM {src} ON CONFLICT (a) DO NOTHING"',
            "src is spliced in as a name after FROM",
        ),
    ],
)
def test_holes_in_names_make_the_site_unresolved(expression: str, reason: str) -> None:
    assert _dynamic(expression) == (None, reason)


def test_table_reason_wins_over_other_holes() -> None:
    assert _dynamic('f"INSERT INTO {t} ({c}) VALUES (1) ON CONFLICT ({k}) DO NOTHING"') == (
        None,
        "the table name is computed at run time (t)",
    )


def test_fstring_position_is_exact_after_a_hole() -> None:
    source = 'q = f"{prefix}; INSERT INTO t (a) VALUES ({v}) ON CONFLICT (a) DO NOTHING"\n'
    assert _found(source) == [(1, 17, "INSERT INTO t (a) VALUES (?) ON CONFLICT (a) DO NOTHING")]


def test_fstring_mixed_with_plain_pieces() -> None:
    source = """\
        q = ("INSERT INTO t (a) "
             f"VALUES ({v!r:>{width}}) "
             "ON CONFLICT (a) DO NOTHING")
        """
    assert _found(source) == [(1, 7, "INSERT INTO t (a) VALUES (?) ON CONFLICT (a) DO NOTHING")]


# -- problems and migrations --------------------------------------------------------------------------------------
def test_syntax_error_is_a_problem_not_an_exception() -> None:
    sites, problems = sites_from_python("x = 1\ndef broken(:\n    'INSERT ... ON CONFLICT'\n", "app/bad.py")
    assert sites == []
    [problem] = problems
    assert (problem.path, problem.line) == ("app/bad.py", 2)
    assert problem.message.startswith("not valid Python")


def test_users_invalid_escapes_raise_no_warning() -> None:
    assert _found("q = \"INSERT INTO t VALUES ('\\d') ON CONFLICT DO NOTHING\"\n") == [
        (1, 6, "INSERT INTO t VALUES ('\\d') ON CONFLICT DO NOTHING")
    ]


@pytest.mark.parametrize(
    "header",
    [
        'revision = "a1b2c3d4e5f6"\ndown_revision = None\n',
        'revision: str = "a1b2c3d4e5f6"\ndown_revision: str | None = "0000"\n',
    ],
)
def test_alembic_revision_sites_are_migration_sites(header: str) -> None:
    source = header + f"def upgrade():\n    op.execute({UPSERT!r})\n"
    [site] = _sites(source)
    assert (site.origin, site.revision, site.sql) == ("migration", "a1b2c3d4e5f6", UPSERT)


def test_revision_without_down_revision_is_not_a_migration() -> None:
    [site] = _sites(f'revision = "abc"\nq = {UPSERT!r}\n')
    assert (site.origin, site.revision) == ("python-string", None)


# -- scanning a project ---------------------------------------------------------------------------------------------
def _write(root: Path, files: dict[str, str | bytes]) -> None:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")


def test_scan_walks_sorted_skips_tool_dirs_and_excludes(tmp_path: Path) -> None:
    py = f"q = {UPSERT!r}\n"
    sql = UPSERT + ";\n"
    _write(
        tmp_path,
        {
            "app/z.py": py,
            "app/a.py": "x = 1\n" + py,
            "app/sub/b.sql": sql,
            "app/notes.txt": sql,
            ".venv/lib/x.py": py,
            "venv/x.py": py,
            "env2/pyvenv.cfg": "home = /usr\n",
            "env2/x.py": py,
            "node_modules/pkg/x.sql": sql,
            "app/__pycache__/x.py": py,
            "build/x.py": py,
            "dist/x.py": py,
            ".tox/py/x.py": py,
            ".git/x.py": py,
            "lib/site-packages/x.py": py,
            "app/legacy/old.py": py,
            "app/generated_x.sql": sql,
            "app/tests/t.py": py,
        },
    )
    result = scan([tmp_path], root=tmp_path, exclude=["legacy", "*generated_*", "app/tests/*"])
    assert [(site.path, site.line, site.column) for site in result.sites] == [
        ("app/a.py", 2, 6),
        ("app/sub/b.sql", 1, 1),
        ("app/z.py", 1, 6),
    ]
    assert result.problems == []
    assert result.files_scanned == 3


def test_scan_relative_and_explicit_paths(tmp_path: Path) -> None:
    _write(tmp_path, {"build/keep.sql": UPSERT, "src/a.py": f"q = {UPSERT!r}\n"})
    result = scan(["build/keep.sql", "src", tmp_path / "src" / "a.py"], root=tmp_path)
    assert [site.path for site in result.sites] == ["build/keep.sql", "src/a.py"]
    assert result.files_scanned == 2


def test_scan_skips_files_without_conflict_unparsed(tmp_path: Path) -> None:
    _write(tmp_path, {"broken.py": "def (:\n", "broken2.py": "def (:\n# ON CONFLICT\n"})
    result = scan([tmp_path], root=tmp_path)
    assert result.sites == []
    assert result.problems == [ScanProblem("broken2.py", 1, "not valid Python, skipped: invalid syntax")]
    assert result.files_scanned == 2


def test_scan_reports_undecodable_and_unreadable_files(tmp_path: Path) -> None:
    latin1 = "-- café\nINSERT INTO t VALUES (1) ON CONFLICT DO NOTHING;\n".encode("latin-1")
    declared = f"# -*- coding: latin-1 -*-\nq = 'café'; r = {UPSERT!r}\n".encode("latin-1")
    _write(
        tmp_path,
        {
            "a_latin1.sql": latin1,
            "b_binary.py": b"\x00\x01conflict\xff\x00",
            "c_declared.py": declared,
            "d_bom.sql": b"\xef\xbb\xbf" + UPSERT.encode(),
        },
    )
    (tmp_path / "e_dangling.sql").symlink_to(tmp_path / "missing.sql")
    result = scan([tmp_path], root=tmp_path)
    assert [(site.path, site.line, site.column) for site in result.sites] == [
        ("c_declared.py", 2, 18),
        ("d_bom.sql", 1, 1),
    ]
    assert [(problem.path, problem.message.split(",")[0]) for problem in result.problems] == [
        ("a_latin1.sql", "not a UTF-8 text file"),
        ("b_binary.py", "not a UTF-8 text file"),
        ("e_dangling.sql", "cannot read the file: No such file or directory"),
    ]


def test_scan_marks_alembic_revisions(tmp_path: Path) -> None:
    revision = f'revision = "a1b2c3d4e5f6"\ndown_revision = None\n\ndef upgrade():\n    op.execute({UPSERT!r})\n'
    _write(tmp_path, {"migrations/versions/a1b2_add.py": revision, "app/db.py": f"q = {UPSERT!r}\n"})
    result = scan([tmp_path], root=tmp_path)
    assert [(site.path, site.origin, site.revision) for site in result.sites] == [
        ("app/db.py", "python-string", None),
        ("migrations/versions/a1b2_add.py", "migration", "a1b2c3d4e5f6"),
    ]


def test_string_and_sqlalchemy_sites_of_a_revision_script_carry_its_revision() -> None:
    """A migration's ``op.execute(text(...))`` is a "migration" site, its SQLAlchemy upsert a "sqlalchemy" one; both
    are judged at that revision."""
    source = """\
        import sqlalchemy as sa
        from alembic import op
        from sqlalchemy.dialects.sqlite import insert

        revision = "abc123"
        down_revision = None

        def upgrade():
            t = sa.table("t", sa.column("a"))
            op.execute(sa.text("INSERT INTO t (a) VALUES (1) ON CONFLICT (a) DO NOTHING"))
            op.get_bind().execute(insert(t).values(a=1).on_conflict_do_nothing(index_elements=["a"]))
        """
    sites = _sites(source)
    assert [(s.line, s.origin, s.revision, s.dialect, s.sql) for s in sites] == [
        (10, "migration", "abc123", None, "INSERT INTO t (a) VALUES (1) ON CONFLICT (a) DO NOTHING"),
        (11, "sqlalchemy", "abc123", "sqlite", "INSERT INTO t (a) VALUES (?) ON CONFLICT (a) DO NOTHING"),
    ]


def test_a_module_without_on_conflict_calls_is_not_walked_for_sqlalchemy() -> None:
    """``on_conflict_do`` absent: only the string scanner runs (the SQLAlchemy walk is skipped)."""
    assert _found('x = "ON CONFLICT is explained here"\nclass C:\n    on_conflict = 1\n') == []
