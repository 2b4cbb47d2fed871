"""Property tests: the parsers and the verdicts never crash, whatever text they are given.

``parse_upsert`` may only raise ``UpsertParseError`` (which the check reports as SP902); the DDL replay and
``verdicts.check`` may raise nothing (an unmodelled statement is a note, an unreadable one SP902). Inputs are
arbitrary text, SQL-ish word salad, and mutations of real statements: the rule pages' examples and the differential
test's generated schemas and upserts, with tokens deleted, repeated, swapped, inserted, cut off, or wrapped in up to
sixty parentheses (deeper than sqlglot's recursion allows).

Examples are derandomized so CI is reproducible (``SCHEMA_PARITY_PROPERTY_EXAMPLES``, default 150, per test and
dialect); ``SCHEMA_PARITY_EXPLORE=N`` draws N fresh random examples instead (run it locally to hunt for new crashes).
"""

from __future__ import annotations

import contextlib
import functools
import os
import re

import pytest
import sqlglot.parser
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schema_parity.catalog import DIALECTS, Catalog, Dialect
from schema_parity.rules import RULES
from schema_parity.sources.ddl import catalog_from_ddl
from schema_parity.upsert import Upsert, UpsertParseError, parse_upsert
from schema_parity.verdicts import Verdict
from schema_parity.verdicts.dispatch import check
from tests.strategies import cases

EXPLORE = int(os.environ.get("SCHEMA_PARITY_EXPLORE", "0"))
SETTINGS = settings(
    max_examples=EXPLORE or int(os.environ.get("SCHEMA_PARITY_PROPERTY_EXAMPLES", "150")),
    derandomize=not EXPLORE,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

SQL_PAGES = [rule.example for rule in RULES.values() if rule.example.language == "sql"]
UPSERTS = sorted({text for page in SQL_PAGES for text in (page.bad, page.fixed)})
SCHEMAS = sorted({text for page in SQL_PAGES for text in (page.schema, page.fixed_schema) if text})
MIGRATION = """\
CREATE TABLE IF NOT EXISTS public.account (id bigserial PRIMARY KEY, email text NOT NULL COLLATE "C",
  tenant int REFERENCES tenant (id) ON DELETE CASCADE, during tsrange, flags int[] DEFAULT '{}',
  CONSTRAINT uq_account UNIQUE NULLS NOT DISTINCT (tenant, email) DEFERRABLE INITIALLY DEFERRED,
  EXCLUDE USING gist (tenant WITH =, during WITH &&), CHECK (tenant > 0));
CREATE UNIQUE INDEX IF NOT EXISTS ux_account_lower ON ONLY account (lower(email) DESC NULLS LAST) INCLUDE (id)
  WHERE tenant IS NOT NULL AND (flags @> ARRAY[1]);
ALTER TABLE account ADD CONSTRAINT uq_email UNIQUE USING INDEX ux_account_lower, RENAME COLUMN email TO mail;
ALTER TABLE account RENAME CONSTRAINT uq_email TO uq_mail;
ALTER TABLE account ALTER COLUMN mail TYPE varchar(200) USING mail::varchar, ALTER COLUMN tenant SET NOT NULL;
ALTER TABLE IF EXISTS account DROP CONSTRAINT IF EXISTS uq_mail CASCADE;
CREATE VIEW v AS SELECT id, mail AS m FROM account WHERE tenant = 1;
CREATE OR REPLACE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER tr BEFORE INSERT ON account FOR EACH ROW EXECUTE FUNCTION f();
CREATE TABLE log (id INTEGER PRIMARY KEY AUTOINCREMENT, k TEXT COLLATE NOCASE UNIQUE ON CONFLICT REPLACE)
  WITHOUT ROWID, STRICT;
CREATE TRIGGER tl AFTER INSERT ON log BEGIN UPDATE log SET k = lower(k) WHERE id = new.id; END;
ALTER TABLE log RENAME TO log2;
ALTER TABLE log2 ADD COLUMN n INTEGER NOT NULL DEFAULT (1 + 2) CHECK (n > 0);
ALTER TABLE log2 DROP COLUMN n;
CREATE INDEX ix ON log2 (k COLLATE nocase DESC, (id + 1)) WHERE k IS NOT NULL;
DROP INDEX IF EXISTS ix;
DROP TABLE IF EXISTS log2, account CASCADE;
"""
ALTERATIONS = """\
CREATE TABLE t (a int, b int, c text);
ALTER TABLE t ALTER COLUMN a TYPE bigint USING a::bigint;
ALTER TABLE t ALTER COLUMN a SET DATA TYPE bigint, ALTER COLUMN b SET DEFAULT 1, ALTER COLUMN b DROP NOT NULL;
ALTER TABLE t ADD COLUMN IF NOT EXISTS d int DEFAULT 0 NOT NULL;
ALTER TABLE t ADD CONSTRAINT uq UNIQUE (a, b) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE t RENAME COLUMN c TO e;
ALTER TABLE t DROP COLUMN IF EXISTS d;
ALTER TABLE t DROP CONSTRAINT IF EXISTS uq;
CREATE UNIQUE INDEX ux ON t (a) WHERE b > 0;
ALTER INDEX ux RENAME TO ux2;
DROP INDEX ux2;
"""
DDL_TEXTS = [*SCHEMAS, MIGRATION, ALTERATIONS]


#: sqlglot compiled by mypyc (the fast extra) recurses on the C stack and reads deeper expressions than pure Python.
SQLGLOT_COMPILED = sqlglot.parser.__file__.endswith((".so", ".pyd"))


def nested(depth: int) -> str:
    return "(" * depth + "1" + ")" * depth


# Keys whose expression and predicate are nested deeper than sqlglot (60) and the SQLite verdict's parser (1200) read.
DEEP_SCHEMA = "".join(
    f"CREATE TABLE d{n} (a int, b int);\n"
    f"CREATE UNIQUE INDEX ux_d{n}_a ON d{n} ((a + {nested(n)}));\n"
    f"CREATE UNIQUE INDEX ux_d{n}_b ON d{n} (b) WHERE b > {nested(n)};\n"
    for n in (60, 1200)
)

WORDS = """
INSERT INTO REPLACE OR IGNORE VALUES DEFAULT SELECT FROM WHERE WITH AS ON CONFLICT DO NOTHING UPDATE SET CONSTRAINT
RETURNING excluded t excluded.a t.a NULLS FIRST LAST ASC DESC COLLATE NOCASE "C" IS NOT NULL CREATE TABLE UNIQUE INDEX
PRIMARY KEY ALTER DROP ADD COLUMN RENAME TO BEGIN END CASE EXCLUDE USING DEFERRABLE INITIALLY DEFERRED CHECK REFERENCES
GENERATED ALWAYS IDENTITY VIEW TRIGGER E'x' 'it''s' é 1e9 ( ) , ; . * = + - < > [ ] ' " \\ $$ $1 %s
%(name)s ? ?1 :name :: -- /* */
"""
VOCABULARY = (*WORDS.split(), "\n", "\t", "\x00")
DEPTHS = (1, 2, 3, 45, 60)
PIECE = re.compile(r"\s+|\w+|'(?:[^']|'')*'|\"[^\"]*\"|.", re.DOTALL)


@st.composite
def mutations(draw: st.DrawFn, texts: st.SearchStrategy[str]) -> str:
    """A real text with one to four token-level edits."""
    pieces = PIECE.findall(draw(texts))
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(pieces)))
        end = draw(st.integers(at, len(pieces)))
        operation = draw(st.sampled_from(("delete", "repeat", "swap", "insert", "cut", "cut", "wrap", "wrap")))
        if operation == "delete":
            del pieces[at:end]
        elif operation == "repeat":
            pieces[at:at] = pieces[at:end]
        elif operation == "swap" and end + 1 < len(pieces):
            pieces[at], pieces[end + 1] = pieces[end + 1], pieces[at]
        elif operation == "insert":
            pieces.insert(at, draw(st.sampled_from(VOCABULARY)))
        elif operation == "cut":
            pieces = closed(pieces[:at])
        elif operation == "wrap":
            depth = draw(st.sampled_from(DEPTHS))
            pieces[at:end] = ["(" * depth, *pieces[at:end], ")" * depth]
    return "".join(pieces)


def closed(pieces: list[str]) -> list[str]:
    """``pieces`` with the parentheses they leave open closed: a statement cut short inside its structure."""
    depth = sum((piece == "(") - (piece == ")") for piece in pieces)
    return [*pieces, ")" * max(depth, 0)]


def truncations(text: str) -> list[str]:
    """Every prefix of ``text`` that ends after one of its pieces, closed (see ``closed``)."""
    pieces = PIECE.findall(text)
    return ["".join(closed(pieces[:end])) for end in range(1, len(pieces))]


def word_salad() -> st.SearchStrategy[str]:
    return st.lists(st.sampled_from(VOCABULARY), max_size=40).map(" ".join)


DEEP_UPSERTS = [
    f"INSERT INTO d{n} (a, b) VALUES (1, 2) ON CONFLICT {target} DO NOTHING"
    for n in (60, 1200)
    for target in ("((a + 1))", "(b) WHERE b > 1", "(a)")
]


def statements(dialect: Dialect) -> st.SearchStrategy[str]:
    real = st.one_of(
        st.sampled_from([*UPSERTS, *DEEP_UPSERTS]),
        cases(dialect=dialect).map(lambda case: case.statement(dialect)),
    )
    return st.one_of(st.text(max_size=200), word_salad(), mutations(real), mutations(real))


def split_ddl(text: str) -> list[tuple[str, str]]:
    """Each statement of ``text`` with the statements before it."""
    statements = [s for s in text.split(";\n") if s.strip()]
    return [(";\n".join(statements[:n]), statement) for n, statement in enumerate(statements)]


@st.composite
def mutated_ddl(draw: st.DrawFn, dialect: Dialect) -> str:
    """One statement of a real script mutated, replayed after the statements before it (which build its tables)."""
    generated = cases(dialect=dialect).map(lambda case: ";\n".join(case.ddl(dialect)))
    script = draw(st.one_of(st.sampled_from(DDL_TEXTS), generated))
    before, statement = draw(st.sampled_from(split_ddl(script)))
    return f"{before};\n{draw(mutations(st.just(statement)))}"


def ddl_texts(dialect: Dialect) -> st.SearchStrategy[str]:
    return st.one_of(st.text(max_size=200), word_salad(), mutated_ddl(dialect), mutated_ddl(dialect))


@functools.cache
def catalogs(dialect: Dialect) -> tuple[Catalog, ...]:
    """An empty schema, every rule page's schema, the migration above, and keys nested too deep to read."""
    return tuple(catalog_from_ddl(text, dialect) for text in ("", *DDL_TEXTS, DEEP_SCHEMA))


@pytest.mark.parametrize("dialect", DIALECTS)
@SETTINGS
@given(data=st.data())
def test_parse_upsert_raises_nothing_but_upsert_parse_error(dialect: Dialect, data: st.DataObject) -> None:
    sql = data.draw(statements(dialect), label="sql")
    try:
        upsert = parse_upsert(sql, dialect)
    except UpsertParseError as exc:
        assert exc.reason
    else:
        assert isinstance(upsert, Upsert)


@pytest.mark.parametrize("dialect", DIALECTS)
@SETTINGS
@given(data=st.data())
def test_ddl_replay_raises_nothing_and_notes_what_it_does_not_model(dialect: Dialect, data: st.DataObject) -> None:
    text = data.draw(ddl_texts(dialect), label="ddl")
    catalog = catalog_from_ddl(f"FROBNICATE TABLE t;\n{text}", dialect)
    assert catalog.notes[0] == "<sql>:1: not modelled: FROBNICATE TABLE t", catalog.notes


@pytest.mark.parametrize("dialect", DIALECTS)
@SETTINGS
@given(data=st.data())
def test_check_raises_nothing(dialect: Dialect, data: st.DataObject) -> None:
    sql = data.draw(statements(dialect), label="sql")
    catalog = data.draw(st.sampled_from(catalogs(dialect)), label="catalog")
    verdict = check(sql, catalog, dialect)
    assert isinstance(verdict, Verdict) and verdict.status in ("ok", "error", "unresolved")


@pytest.mark.parametrize("dialect", DIALECTS)
def test_every_truncation_of_a_real_statement(dialect: Dialect) -> None:
    """Cut short after any token (open parentheses closed): parsed, or SP902; never an exception."""
    catalog = catalogs(dialect)[1]
    for statement in UPSERTS:
        for sql in truncations(statement):
            with contextlib.suppress(UpsertParseError):
                parse_upsert(sql, dialect)
            assert check(sql, catalog, dialect).status in ("ok", "error", "unresolved"), sql


@pytest.mark.parametrize("dialect", DIALECTS)
def test_every_truncation_of_real_ddl(dialect: Dialect) -> None:
    """Each statement cut short after any token, replayed after the statements before it: a Catalog, never a crash."""
    for text in DDL_TEXTS:
        for before, statement in split_ddl(text):
            for cut in truncations(statement):
                assert isinstance(catalog_from_ddl(f"{before};\n{cut}", dialect), Catalog), cut


# Inputs the properties above found crashing (IndexError, a TokenError from the fallback dialect), kept as examples.
CRASHED_PARSE = [
    *(
        (sql, dialect)
        for dialect in DIALECTS
        for sql in (
            ";",
            "INSERT(?)()ON CONFLICT()",
            "INSERT INTO t VALUES (1) ON CONFLICT ON CONSTRAINT",
            "INSERT/B''''",  # each dialect's fallback to the other raised TokenError
        )
    ),
    ("[INSERT", "postgresql"),  # the fallback to sqlglot's SQLite dialect raised TokenError
    ("INSERT[", "postgresql"),
]
CRASHED_DDL = [
    *(
        (ddl, dialect)
        for dialect in DIALECTS
        for ddl in ("CREATE TABLE t (a int DEFAULT)", "CREATE TABLE t (a int CHECK ())")
    ),
    ("CREATE TABLE t (a int, EXCLUDE USING btree (a WITH ))", "postgresql"),
]


@pytest.mark.parametrize(("sql", "dialect"), CRASHED_PARSE)
def test_statements_that_crashed_are_unresolved(sql: str, dialect: Dialect) -> None:
    with pytest.raises(UpsertParseError):
        parse_upsert(sql, dialect)
    verdict = check(sql, catalogs(dialect)[1], dialect)
    assert [p.rule for p in verdict.problems] == ["SP902"]


@pytest.mark.parametrize(("ddl", "dialect"), CRASHED_DDL)
def test_ddl_that_crashed_becomes_a_note(ddl: str, dialect: Dialect) -> None:
    catalog = catalog_from_ddl(ddl, dialect)
    assert catalog.tables == () and catalog.notes == (f"<sql>:1: not modelled: {ddl}",)


@pytest.mark.parametrize(
    ("dialect", "expected"),
    [
        # Pure-Python sqlglot cannot read either depth: PostgreSQL's verdict says so whenever it needs the
        # expression. The compiled sqlglot (sqlglotc) reads 60 levels, and the verdict is then SQLite's (and
        # PostgreSQL's): the redundant parentheses go.
        ("postgresql", {60: [None, None, "SP101"] if SQLGLOT_COMPILED else ["SP901", "SP901", "SP101"],
                        1200: ["SP901", "SP901", "SP101"]}),
        # SQLite drops redundant parentheses (parse.y: expr ::= LP expr RP), and so does its verdict, up to the
        # depth its own parser reads; deeper, it cannot compare the target with the key and says so.
        ("sqlite", {60: [None, None, "SP101"], 1200: ["SP901", "SP901", "SP901"]}),
    ],
)
def test_keys_nested_too_deep_to_read_are_unresolved(dialect: Dialect, expected: dict[int, list[str | None]]) -> None:
    catalog = catalog_from_ddl(DEEP_SCHEMA, dialect)
    assert [t.name for t in catalog.tables] == ["d60", "d1200"]
    found = {}
    for statement in DEEP_UPSERTS:
        verdict = check(statement, catalog, dialect)
        depth = int(statement.split()[2][1:])
        found.setdefault(depth, []).append(verdict.problems[0].rule if verdict.problems else None)
    assert found == expected


@pytest.mark.parametrize(
    ("ddl", "dialect"),
    [
        # Only PostgreSQL's replay parses expressions with sqlglot (SQLite keeps the text, as sqlite_schema does).
        ("CREATE TABLE t (a int DEFAULT {deep}, b int CHECK (b > {deep}), c int GENERATED ALWAYS AS ({deep}) STORED)",
         "postgresql"),
        ("CREATE TABLE t (a int); ALTER TABLE t ALTER COLUMN a SET DEFAULT {deep}", "postgresql"),
        ("CREATE TABLE t (a int); CREATE UNIQUE INDEX ix ON t ((a + {deep})) WHERE a > {deep}", "postgresql"),
        ("CREATE VIEW v AS SELECT {deep} AS x", "postgresql"),
        ("CREATE VIEW v AS SELECT {deep} AS x", "sqlite"),
    ],
)
def test_ddl_nested_deeper_than_sqlglot_reads(ddl: str, dialect: Dialect) -> None:
    catalog = catalog_from_ddl(ddl.format(deep=nested(60)), dialect)
    assert len(catalog.tables) == 1


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize(
    ("statement", "status", "rules"),
    [
        ("INSERT INTO t (host, code) VALUES ({deep}, 1) ON CONFLICT (host, code) DO NOTHING", "ok", []),
        ("INSERT INTO t (host, code) VALUES (1, 2), ('a', {deep}) ON CONFLICT (host) DO NOTHING", "error", ["SP101"]),
        ("INSERT INTO t (host, code) VALUES ('a', 1) ON CONFLICT (host, code) DO UPDATE SET n = {deeper}", "unresolved",
         ["SP902"]),
        ("INSERT INTO t (host, code) VALUES ({deep}, 1 +) ON CONFLICT (host, code) DO NOTHING", "unresolved",
         ["SP902"]),
    ],
    ids=["VALUES", "second row", "SET", "VALUES with a syntax error"],
)
def test_fifty_nested_parentheses(dialect: Dialect, statement: str, status: str, rules: list[str]) -> None:
    """Deep VALUES items change no fact a verdict reads: judged. Deep elsewhere, or invalid: SP902, never a crash."""
    schema = RULES["SP101"].example.fixed_schema or RULES["SP101"].example.schema
    assert schema is not None
    # {deeper}: deeper than the compiled sqlglot reads too (it reads 50 levels where pure Python cannot)
    sql = statement.format(deep=nested(50), deeper=nested(1000))
    verdict = check(sql, catalog_from_ddl(schema, dialect), dialect)
    assert (verdict.status, [p.rule for p in verdict.problems]) == (status, rules), verdict
