"""Upsert sites in .sql scripts: statement splitting, what hides an ON CONFLICT, and exact positions."""

from __future__ import annotations

import textwrap
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from schema_parity.sites import Site
from schema_parity.sites.sql import _Splitter, _upserts, sql_file_sites
from schema_parity.upsert import parse_upsert
from tests.strategies import SCRIPT_FRAGMENTS


def _sites(text: str) -> list[tuple[int, int, str | None]]:
    return [(site.line, site.column, site.sql) for site in sql_file_sites(textwrap.dedent(text), "db/x.sql")[0]]


def test_several_statements_keep_only_upserts_with_positions() -> None:
    text = """\
        CREATE TABLE t (a int PRIMARY KEY, b text);
        INSERT INTO t VALUES (1, 'x');
        -- leading comment is not part of the statement
          INSERT INTO t (a, b) VALUES (2, 'y')
          ON CONFLICT (a) DO UPDATE SET b = excluded.b; -- trailing comment
        INSERT INTO t VALUES (3, 'z') ON CONFLICT DO NOTHING
        """
    assert _sites(text) == [
        (4, 3, "INSERT INTO t (a, b) VALUES (2, 'y')\n  ON CONFLICT (a) DO UPDATE SET b = excluded.b"),
        (6, 1, "INSERT INTO t VALUES (3, 'z') ON CONFLICT DO NOTHING"),
    ]


def test_site_fields() -> None:
    [site], _ = sql_file_sites("insert into t values (1) on conflict do nothing;", "db/x.sql")
    assert site == Site("db/x.sql", 1, 1, "sql-file", "insert into t values (1) on conflict do nothing")


def test_on_conflict_inside_comments_is_not_a_site() -> None:
    text = """\
        -- INSERT INTO t VALUES (1) ON CONFLICT DO NOTHING;
        /* INSERT INTO t VALUES (1) ON CONFLICT DO NOTHING; */
        /* nested /* INSERT INTO t VALUES (1); */ ON CONFLICT DO NOTHING; */
        INSERT INTO t VALUES (1); -- ON CONFLICT DO NOTHING
        """
    assert _sites(text) == []


def test_comment_between_on_and_conflict_still_counts() -> None:
    assert _sites("INSERT INTO t VALUES (1) ON /* why */\n  conflict DO NOTHING") == [
        (1, 1, "INSERT INTO t VALUES (1) ON /* why */\n  conflict DO NOTHING")
    ]


def test_strings_hide_semicolons_and_keywords() -> None:
    text = """\
        INSERT INTO log VALUES ('it''s; ON CONFLICT DO NOTHING');
        INSERT INTO log VALUES (E'a\\'; ON CONFLICT DO NOTHING');
        INSERT INTO "weird;name" ("on conflict") VALUES ('--') ON CONFLICT ("on conflict") DO NOTHING;
        """
    assert _sites(text) == [
        (3, 1, """INSERT INTO "weird;name" ("on conflict") VALUES ('--') ON CONFLICT ("on conflict") DO NOTHING"""),
    ]


def test_sqlite_identifier_quotes() -> None:
    text = "INSERT INTO [my;table] (`a;b`) VALUES (1) ON CONFLICT (`a;b`) DO NOTHING;\nSELECT 1;"
    assert _sites(text) == [(1, 1, "INSERT INTO [my;table] (`a;b`) VALUES (1) ON CONFLICT (`a;b`) DO NOTHING")]


def test_dollar_quoted_bodies_hide_upserts() -> None:
    text = """\
        CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $$
        BEGIN
          INSERT INTO t VALUES (1) ON CONFLICT DO NOTHING;
        END $$;
        DO $body$ BEGIN INSERT INTO t VALUES (2) ON CONFLICT DO NOTHING; END $body$;
        SELECT $1, $$it's$$;
        INSERT INTO t VALUES ($1) ON CONFLICT (a) DO NOTHING;
        """
    assert _sites(text) == [(7, 1, "INSERT INTO t VALUES ($1) ON CONFLICT (a) DO NOTHING")]


def test_insert_without_on_conflict_and_on_conflict_without_insert() -> None:
    text = """\
        CREATE TABLE t (a int UNIQUE ON CONFLICT REPLACE);
        INSERT OR REPLACE INTO t VALUES (1);
        SELECT 'insert' AS on_conflict;
        """
    assert _sites(text) == []


def test_insert_or_action_into_with_on_conflict() -> None:
    assert _sites("INSERT OR IGNORE INTO t VALUES (1) ON CONFLICT DO NOTHING") != []


def test_data_modifying_cte() -> None:
    text = """\
        WITH moved AS (
          INSERT INTO t (a) VALUES (1) ON CONFLICT (a) DO NOTHING RETURNING a
        )
        SELECT * FROM moved;
        """
    [(line, column, sql)] = _sites(text)
    assert (line, column) == (1, 1)
    assert sql is not None and sql.startswith("WITH moved AS (") and sql.endswith("SELECT * FROM moved")


def test_sqlite_trigger_body_statements_are_sites_of_their_own() -> None:
    text = """\
        BEGIN;
        CREATE TRIGGER tr AFTER INSERT ON src BEGIN
          SELECT CASE WHEN new.a > 0 THEN 1 END;
          INSERT INTO agg (a) VALUES (new.a) ON CONFLICT (a) DO UPDATE SET n = n + 1;
        END;
        INSERT INTO src VALUES (1);
        COMMIT;
        """
    assert _sites(text) == [(4, 3, "INSERT INTO agg (a) VALUES (new.a) ON CONFLICT (a) DO UPDATE SET n = n + 1")]
    statements = list(_Splitter(textwrap.dedent(text)))
    assert [s.tokens[0].text.upper() for s in statements] == ["BEGIN", "CREATE", "INSERT", "COMMIT"]


def test_begin_atomic_body_statements_start_at_their_first_word() -> None:
    """``ATOMIC`` belongs to ``BEGIN``: the body's first statement was once read as ``ATOMIC INSERT ...``, a site
    that no engine parses."""
    text = """\
        CREATE FUNCTION f() RETURNS void LANGUAGE sql
        BEGIN ATOMIC
          INSERT INTO w VALUES (1) ON CONFLICT DO NOTHING;
          INSERT INTO w VALUES (2) ON CONFLICT DO NOTHING;
        END;
        """
    sites = _sites(text)
    assert sites == [
        (3, 3, "INSERT INTO w VALUES (1) ON CONFLICT DO NOTHING"),
        (4, 3, "INSERT INTO w VALUES (2) ON CONFLICT DO NOTHING"),
    ]
    for _, _, sql in sites:
        assert sql is not None and parse_upsert(sql, "postgresql").table.text == "w"


def test_psql_meta_commands_and_copy_data_are_skipped() -> None:
    text = """\
        \\set ON_ERROR_STOP on
        COPY t (a, b) FROM stdin;
        1\tit's ON CONFLICT; INSERT INTO
        \\.
        INSERT INTO t VALUES (1) ON CONFLICT DO NOTHING;
        """
    assert _sites(text) == [(5, 1, "INSERT INTO t VALUES (1) ON CONFLICT DO NOTHING")]


def test_unterminated_constructs_do_not_raise() -> None:
    assert _sites("INSERT INTO t VALUES ('open ON CONFLICT DO NOTHING") == []
    assert _sites("INSERT INTO t VALUES (1) /* ON CONFLICT DO NOTHING") == []
    assert _sites("SELECT $x$ INSERT INTO t VALUES (1) ON CONFLICT DO NOTHING") == []


def test_columns_count_characters() -> None:
    assert _sites("SELECT 'é'; INSERT INTO t VALUES (1) ON CONFLICT DO NOTHING") == [
        (1, 13, "INSERT INTO t VALUES (1) ON CONFLICT DO NOTHING")
    ]


@settings(deadline=None)  # the first example may build the scan tokenizer, made on first use (see test_sql_reader)
@given(st.lists(st.sampled_from(SCRIPT_FRAGMENTS), max_size=14), st.booleans())
def test_skimming_keeps_exactly_the_upserts_tokenizing_keeps(pieces: list[str], psql: bool) -> None:
    """The upsert scan steps over statements without tokenizing them (schema_parity.sql.skim); what it keeps, and
    where it says an unclosed construct swallowed the rest, are those of tokenizing every statement."""
    text = "".join(pieces)
    skimmed, tokenized = _Splitter(text, psql=psql, upserts_only=True), _Splitter(text, psql=psql)
    assert _upserts(skimmed) == _upserts(tokenized)
    assert skimmed.unclosed == tokenized.unclosed


def test_words_that_upper_case_to_conflict_are_not_skimmed_over() -> None:
    """The tokenizer compares str.upper() of a word: a ligature fl or a dotless i still spells CONFLICT to it."""
    assert _sites("select 1; insert into t values (1) on conﬂict do nothing; select 2") == [
        (1, 11, "insert into t values (1) on conﬂict do nothing")
    ]
    assert len(_sites("INSERT INTO t VALUES (1) ON CONFL\u0131CT DO NOTHING;")) == 1


MEMORY_PROBE = """
import resource, sys
from schema_parity.sites.sql import sql_file_sites
line = "INSERT INTO events (id, name, payload) VALUES (1, 'a ; b', 'it''s');\\n"
upsert = "INSERT INTO events (id) VALUES (1) ON CONFLICT (id) DO NOTHING;\\n"
repeat = int(sys.argv[1]) // (len(line) * 1000 + len(upsert))
text = (line * 1000 + upsert) * repeat
sql_file_sites(line + upsert, "small.sql")
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
sites, _ = sql_file_sites(text, "dump.sql")
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(len(sites), repeat, (after - before) * 1024, len(text))
"""


def test_a_large_script_is_scanned_in_memory_near_its_own_size() -> None:
    """Only the upserts of a script are kept: scanning a 3 MB dump grows the process by less than its size (the
    statement list it replaced took about 40 bytes per byte of dump, 2.4 GB for a 50 MB file)."""
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-c", MEMORY_PROBE, str(3 * 1024 * 1024)], capture_output=True, text=True, check=True
    ).stdout.split()
    sites, repeat, growth, size = map(int, out)
    assert sites == repeat > 40
    assert growth < size, (growth, size)


LOADS_SQLGLOT = """
import sys
from pathlib import Path
from schema_parity.sites.scan import scan
root = Path(sys.argv[1])
scan([root], root=root, cache_dir=None, jobs=1)
print(any(name.split(".")[0] == "sqlglot" for name in sys.modules))
"""


def test_the_sql_reader_is_loaded_by_the_first_sql_a_scan_reads(tmp_path: Path) -> None:
    """Importing sqlglot costs a warm scan a tenth of its time: a scan that reads no SQL text does not load it."""
    import subprocess
    import sys

    def loads_sqlglot() -> str:
        return subprocess.run(
            [sys.executable, "-c", LOADS_SQLGLOT, str(tmp_path)], capture_output=True, text=True, check=True
        ).stdout.strip()

    (tmp_path / "plain.py").write_text("def conflict(a):\n    return a  # no SQL here\n", encoding="utf-8")
    assert loads_sqlglot() == "False"
    (tmp_path / "q.sql").write_text("INSERT INTO t VALUES (1) ON CONFLICT DO NOTHING;\n", encoding="utf-8")
    assert loads_sqlglot() == "True"
