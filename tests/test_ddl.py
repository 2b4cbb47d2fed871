"""DDL replay checked against the real engines: the same script is replayed and executed, then both Catalogs compared.

The executed side is read by ``schema_parity.sources.reflect`` (the engines' own catalogs); the comparison covers what
verdicts read: tables, columns (name, nullability, has-default, type family) and keys (kind, name, elements,
collation, include, predicate, deferrable, nulls-not-distinct, method, operators) plus CHECK/FK names. PostgreSQL
expression and predicate texts differ in spelling (``pg_get_indexdef`` adds casts and parentheses), so both sides
are normalised through sqlglot before comparing; SQLite texts must match exactly.
"""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlglot import exp

from schema_parity.catalog import Catalog, Key, sorted_catalog
from schema_parity.sources.ddl import catalog_from_ddl, catalog_from_files, make_object_name
from schema_parity.sources.reflect import reflect
from schema_parity.sql.tokens import dialect_parser, dialect_tokens


# -- helpers ----------------------------------------------------------------------------------------------------------
def _pg_text(text: str | None) -> str | None:
    """pg_get_indexdef spelling vs sqlglot spelling: drop casts and parentheses (to a fixpoint), then regenerate."""
    if text is None:
        return None
    tokens = dialect_tokens(text, "postgresql")  # ``bit varying`` read as one type name, varbit, as the checker does
    tree = dialect_parser("postgresql").parse(tokens, text)[0]
    assert tree is not None
    text = tree.sql(dialect="postgres")
    while True:  # one pass unwraps one level: ``CAST((x) AS text)`` needs two
        tree = tree.transform(lambda n: n.this if isinstance(n, (exp.Cast, exp.Paren)) else n)
        again = tree.sql(dialect="postgres")
        if again == text:
            return text
        text = again


def _key_view(key: Key, dialect: str) -> tuple[Any, ...]:
    norm = _pg_text if dialect == "postgresql" else (lambda t: t)
    elements = tuple(
        (e.column, norm(e.expression), e.collation, e.opclass, e.descending if dialect == "sqlite" else None)
        for e in key.elements
    )
    return (
        key.kind,
        key.name,
        elements,
        key.include,
        norm(key.predicate),
        key.deferrable,
        key.initially_deferred,
        key.nulls_not_distinct,
        key.method,
        key.operators,
    )


def view(catalog: Catalog) -> dict[str, Any]:
    """The verdict-relevant content of a Catalog, in a form that prints readable diffs."""
    out: dict[str, Any] = {}
    for t in sorted_catalog(catalog).tables:
        out[t.qualified_name] = {
            "kind": t.kind,
            "without_rowid": t.without_rowid,
            "columns": [(c.name, c.nullable, c.has_default, c.normalized_type) for c in t.columns],
            "keys": sorted((_key_view(k, catalog.dialect) for k in t.keys), key=repr),
            "other_constraints": sorted(t.other_constraints),
            "has_rules": t.has_rules,
        }
    return out


def run_pg(pg_url: str, script: str) -> Catalog:
    """Execute the script through psycopg (autocommit: Alembic scripts carry their own BEGIN/COMMIT), then reflect."""
    import psycopg

    url = sa.engine.make_url(pg_url)
    with psycopg.connect(url.set(drivername="postgresql").render_as_string(hide_password=False), autocommit=True) as c:
        for statement in filter(str.strip, script.split(";\n")):  # one by one: CREATE INDEX CONCURRENTLY
            c.execute(statement)  # type: ignore[arg-type]
    engine = sa.create_engine(pg_url)
    try:
        with engine.connect() as conn:
            return reflect(conn)
    finally:
        engine.dispose()


def run_sqlite(tmp_path: Path, statements: list[str]) -> tuple[Catalog, list[str]]:
    """Execute statement by statement (a refused one is skipped, as the replay does), then reflect."""
    db = tmp_path / f"d{len(list(tmp_path.iterdir()))}.db"
    errors = []
    conn = sqlite3.connect(db)
    for statement in statements:
        try:
            conn.execute(statement)
        except sqlite3.Error as exc:
            errors.append(str(exc))
    conn.commit()
    conn.close()
    engine = sa.create_engine(f"sqlite:///{db}")
    try:
        with engine.connect() as conn:
            return reflect(conn), errors
    finally:
        engine.dispose()


def sqlite_differential(tmp_path: Path, script: str) -> Catalog:
    statements = [s for s in script.split(";\n") if s.strip()]
    replayed = catalog_from_ddl(script, "sqlite", path="s.sql")
    real, errors = run_sqlite(tmp_path, statements)
    assert view(replayed) == view(real)
    assert [n.split(": ", 1)[1] for n in replayed.notes] == errors
    return replayed


# -- PostgreSQL: names ------------------------------------------------------------------------------------------------
LONG = "a_rather_long_table_name_that_goes_on_and_on_for_ever_and_ever_x"  # 64 chars: PG truncates to 63
LONG_COL = "column_with_a_name_that_is_also_quite_long_indeed_yes_it_really_is"

PG_NAMES = f"""
CREATE EXTENSION IF NOT EXISTS btree_gist;
CREATE TABLE t (id serial PRIMARY KEY, a int UNIQUE, b int, c int, UNIQUE (a, b), CHECK (b > 0), CHECK (a > b));
ALTER TABLE t ADD UNIQUE (a);
ALTER TABLE t ADD UNIQUE (a);
CREATE UNIQUE INDEX ON t (b);
CREATE INDEX ON t (b);
CREATE INDEX ON t (lower(c::text), (a + b), b) INCLUDE (c);
CREATE INDEX ON t (a, a);
CREATE TABLE t_a (k int PRIMARY KEY);
CREATE TABLE dup (id int PRIMARY KEY, a int UNIQUE, b int, CONSTRAINT named_u UNIQUE (a), UNIQUE (id), UNIQUE (b, a));
CREATE TABLE {LONG} ({LONG_COL} int UNIQUE, other_column_with_long_name_too int,
    UNIQUE ({LONG_COL}, other_column_with_long_name_too));
ALTER TABLE {LONG} ADD UNIQUE ({LONG_COL});
CREATE TABLE "Quoted" ("Id" int PRIMARY KEY, "Email" text COLLATE "C" UNIQUE, Plain int,
    CONSTRAINT "UQ_Mixed" UNIQUE ("Id", Plain));
CREATE TABLE ü_täble (ö_column int UNIQUE, "ÄÖÜ_äöü_ÄÖÜ_äöü_ÄÖÜ_äöü_ÄÖÜ_äöü_long_long_long" int UNIQUE);
CREATE TABLE ex (id int, room int, during int4range, EXCLUDE USING gist (room WITH =, during WITH &&) WHERE (id > 0),
    CONSTRAINT d UNIQUE (id) DEFERRABLE INITIALLY DEFERRED, UNIQUE NULLS NOT DISTINCT (room) INCLUDE (id) DEFERRABLE);
CREATE TABLE fk (id int PRIMARY KEY, t_id int REFERENCES t (id), a int, b int, FOREIGN KEY (a, b) REFERENCES t (a, b));
CREATE TABLE pt (k int, v int, PRIMARY KEY (k)) PARTITION BY LIST (k);
CREATE TABLE ident (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, g int GENERATED ALWAYS AS (id * 2) STORED,
    d timestamp DEFAULT now() NOT NULL);
CREATE UNIQUE INDEX ident_nnd ON ONLY ident (d) NULLS NOT DISTINCT;
CREATE VIEW v AS SELECT id, a AS alias_a FROM t;
CREATE TABLE ruled (a int);
CREATE RULE r AS ON INSERT TO ruled DO INSTEAD NOTHING;
"""


@pytest.mark.postgres
def test_postgresql_default_names(pg_url: str) -> None:
    replayed = catalog_from_ddl(PG_NAMES, "postgresql", path="names.sql")
    real = run_pg(pg_url, PG_NAMES)
    assert view(replayed) == view(real)
    assert replayed.notes == ()
    long_table = replayed.tables[[t.name for t in replayed.tables].index(LONG[:63])]
    # the composite's name truncates to the single column's one, so it and the ALTER get collision suffixes
    assert {k.name for k in long_table.keys} == {
        make_object_name(LONG[:63], LONG_COL, label) for label in ("key", "key1", "key2")
    }
    assert all(len(k.name.encode()) <= 63 for t in replayed.tables for k in t.keys if k.name)


# -- PostgreSQL: migrations -------------------------------------------------------------------------------------------
PG_MIGRATIONS = """
CREATE TABLE t (id integer PRIMARY KEY, a integer UNIQUE, b integer, c integer, email text);
ALTER TABLE t RENAME COLUMN a TO a2;
ALTER TABLE t RENAME b TO b2;
CREATE UNIQUE INDEX t_b_uidx ON t (b2) WHERE c > 0;
CREATE UNIQUE INDEX t_lower ON t (lower(email)) WHERE b2 IS NOT NULL;
ALTER TABLE t RENAME email TO mail;
ALTER TABLE t RENAME TO t2;
ALTER INDEX t_a_key RENAME TO t2_a2_key;
ALTER TABLE t2 RENAME CONSTRAINT t2_a2_key TO uq_a2;
CREATE UNIQUE INDEX t2_c_uidx ON t2 (c);
ALTER TABLE t2 ADD CONSTRAINT uq_c UNIQUE USING INDEX t2_c_uidx DEFERRABLE;
ALTER TABLE t2 ADD CONSTRAINT t_a_uq UNIQUE (a2, c);
ALTER TABLE t2 DROP CONSTRAINT t_a_uq;
ALTER TABLE t2 DROP CONSTRAINT IF EXISTS nope;
ALTER TABLE t2 ADD COLUMN d int UNIQUE, ADD COLUMN e int NOT NULL DEFAULT 0, ALTER COLUMN c SET NOT NULL;
ALTER TABLE t2 ALTER COLUMN e DROP DEFAULT, ALTER COLUMN e DROP NOT NULL, ALTER COLUMN d TYPE bigint;
CREATE TABLE dc (id int PRIMARY KEY, a int, b int, c int, UNIQUE (a, b), CHECK (c > 0));
CREATE INDEX dc_expr ON dc ((a + 1));
CREATE UNIQUE INDEX dc_part ON dc (b) WHERE c > 0;
CREATE INDEX dc_inc ON dc (b) INCLUDE (c);
ALTER TABLE dc DROP COLUMN a;
ALTER TABLE dc DROP COLUMN c;
CREATE TABLE gone (a int UNIQUE);
CREATE INDEX CONCURRENTLY IF NOT EXISTS gone_idx ON gone (a);
DROP INDEX CONCURRENTLY IF EXISTS gone_idx;
DROP INDEX IF EXISTS gone_idx, also_missing;
DROP TABLE gone;
"""


@pytest.mark.postgres
def test_postgresql_migrations(pg_url: str) -> None:
    replayed = catalog_from_ddl(PG_MIGRATIONS.replace("CONCURRENTLY ", ""), "postgresql", path="mig.sql")
    real = run_pg(pg_url, PG_MIGRATIONS)
    assert view(replayed) == view(real)
    assert replayed.notes == ()
    t2 = replayed.table("t2")
    assert t2 is not None
    assert {k.name: k.kind for k in t2.keys} == {
        "t_pkey": "primary_key",
        "uq_a2": "unique",
        "uq_c": "unique",
        "t_b_uidx": "unique_index",
        "t_lower": "unique_index",
        "t2_d_key": "unique",
    }


PG_SHARED_EXPRESSIONS = """
CREATE TABLE a (id int, flag boolean DEFAULT (1 > 0), lvl int);
CREATE TABLE b (id int, flag boolean DEFAULT (1 > 0), lvl int);
CREATE UNIQUE INDEX a_live ON a (id) WHERE flag AND lvl > 0;
CREATE UNIQUE INDEX b_live ON b (id) WHERE flag AND lvl > 0;
CREATE UNIQUE INDEX a_expr ON a ((lvl + 1));
CREATE UNIQUE INDEX b_expr ON b ((lvl + 1));
ALTER TABLE a RENAME COLUMN flag TO active;
ALTER TABLE a RENAME COLUMN lvl TO level;
CREATE UNIQUE INDEX b_again ON b (lvl) WHERE flag AND lvl > 0;
"""


@pytest.mark.postgres
def test_a_rename_changes_only_its_own_tables_expressions(pg_url: str) -> None:
    """Equal expression texts are parsed once per replay; RENAME COLUMN rewrites one table's, not the others'."""
    replayed = catalog_from_ddl(PG_SHARED_EXPRESSIONS, "postgresql", path="shared.sql")
    assert view(replayed) == view(run_pg(pg_url, PG_SHARED_EXPRESSIONS))
    predicates = {k.name: k.predicate or k.elements[0].expression for t in replayed.tables for k in t.keys}
    assert predicates == {
        "a_live": "active AND level > 0",
        "a_expr": "level + 1",
        "b_live": "flag AND lvl > 0",
        "b_expr": "lvl + 1",
        "b_again": "flag AND lvl > 0",
    }


# -- PostgreSQL: Alembic's offline script -----------------------------------------------------------------------------
ALEMBIC_OFFLINE = """BEGIN;

CREATE TABLE alembic_version (
    version_num VARCHAR(32) NOT NULL, \n    CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)
);

-- Running upgrade  -> a1

CREATE TABLE account (
    id SERIAL NOT NULL, \n    email VARCHAR(200) NOT NULL, \n    name VARCHAR(50), \n
    deleted_at TIMESTAMP WITHOUT TIME ZONE, \n    PRIMARY KEY (id)
);

ALTER TABLE account ADD CONSTRAINT uq_account_email UNIQUE (email);

CREATE UNIQUE INDEX ix_account_name_live ON account (name) WHERE deleted_at IS NULL;

INSERT INTO alembic_version (version_num) VALUES ('a1') RETURNING alembic_version.version_num;

-- Running upgrade a1 -> a2

ALTER TABLE account RENAME email TO email_address;

UPDATE account SET name = 'x''y' WHERE id = 3;

UPDATE alembic_version SET version_num='a2' WHERE alembic_version.version_num = 'a1';

COMMIT;
"""


@pytest.mark.postgres
def test_alembic_offline_postgresql_script(pg_url: str) -> None:
    replayed = catalog_from_ddl(ALEMBIC_OFFLINE, "postgresql", source="alembic-offline")
    real = run_pg(pg_url, ALEMBIC_OFFLINE)
    assert view(replayed) == view(real)
    assert replayed.table("alembic_version") is None and replayed.notes == ()
    account = replayed.table("account")
    assert account is not None and account.column("email_address") is not None
    assert {k.name for k in account.keys} == {"account_pkey", "uq_account_email", "ix_account_name_live"}
    assert catalog_from_ddl(ALEMBIC_OFFLINE, "postgresql", exclude=()).table("alembic_version") is not None


PG_DUMP_DDL = """SET statement_timeout = 0;
CREATE TABLE public.t (a integer NOT NULL, b text);
"""
PG_DUMP_POST_DATA = """ALTER TABLE ONLY public.t
    ADD CONSTRAINT t_a_key UNIQUE (a);
"""
#: pg_dump's shape: psql commands (``\restrict`` since PostgreSQL 17.6/16.10/15.14), data read by COPY from the
#: script itself (its rows are data, whatever they spell), and the keys added after the data.
PG_DUMP = (
    "\\restrict abc123\n"
    + PG_DUMP_DDL
    + "COPY public.t (a, b) FROM stdin;\n1\tDROP TABLE public.t;\n2\tx'\n\\.\n\n"
    + PG_DUMP_POST_DATA
    + "\\unrestrict abc123\n"
)


@pytest.mark.parametrize("dialect", ["postgresql", "sqlite"])
def test_a_dump_with_data_replays_its_ddl_only(dialect: str) -> None:
    replayed = catalog_from_ddl(PG_DUMP, dialect)  # type: ignore[arg-type]
    without_data = catalog_from_ddl(PG_DUMP_DDL + PG_DUMP_POST_DATA, dialect)  # type: ignore[arg-type]
    assert view(replayed) == view(without_data)
    # SQLite refuses pg_dump's ADD CONSTRAINT in both: a note whose line is the statement's own
    assert [note.split(":", 2)[2] for note in replayed.notes] == [n.split(":", 2)[2] for n in without_data.notes]
    assert len(replayed.notes) == (dialect == "sqlite")


def test_a_dump_with_data_replays_as_postgresql_builds_it(pg_url: str) -> None:
    real = run_pg(pg_url, PG_DUMP_DDL.replace("public.", "") + PG_DUMP_POST_DATA.replace("public.", ""))
    replayed = catalog_from_ddl(PG_DUMP.replace("public.", ""), "postgresql")
    assert view(replayed) == view(real)
    table = replayed.table("t")
    assert table is not None and {k.name for k in table.keys} == {"t_a_key"}


QUALIFIED_COLLATIONS = """CREATE TABLE w (a text COLLATE pg_catalog."C" UNIQUE, b text, c text);
ALTER TABLE w ALTER COLUMN b TYPE text COLLATE pg_catalog."POSIX";
ALTER TABLE w ADD CONSTRAINT w_b_key UNIQUE (b);
CREATE UNIQUE INDEX w_c ON w (c COLLATE pg_catalog."C");
"""


def test_schema_qualified_collations_as_pg_dump_writes_them(pg_url: str) -> None:
    replayed = catalog_from_ddl(QUALIFIED_COLLATIONS, "postgresql")
    assert replayed.notes == ()
    assert view(replayed) == view(run_pg(pg_url, QUALIFIED_COLLATIONS))


OTHER_RELATIONS = """CREATE SEQUENCE t_a_key;
CREATE SEQUENCE t_b_key;
ALTER TABLE t_a_key OWNER TO CURRENT_USER;
ALTER TABLE ONLY t_b_key OWNER TO CURRENT_USER;
ALTER TABLE t_a_key RENAME TO gone;
CREATE TABLE s (id serial PRIMARY KEY, a int);
ALTER TABLE s_id_seq OWNER TO CURRENT_USER;
CREATE MATERIALIZED VIEW t_c_key AS SELECT id, a FROM s WITH NO DATA;
ALTER TABLE t_c_key OWNER TO CURRENT_USER;
CREATE TABLE t (a int UNIQUE, b int UNIQUE, c int UNIQUE);
"""


def test_alter_table_on_sequences_and_materialized_views(pg_url: str) -> None:
    """pg_dump's ``ALTER TABLE <sequence> OWNER TO``; a rename frees the name PostgreSQL's default naming avoids."""
    replayed = catalog_from_ddl(OTHER_RELATIONS, "postgresql")
    assert replayed.notes == ()
    real = view(run_pg(pg_url, OTHER_RELATIONS))
    del real["t_c_key"]  # reflection lists a materialized view; the replay keeps only its name
    assert view(replayed) == real
    table = replayed.table("t")
    assert table is not None and {k.name for k in table.keys} == {"t_a_key", "t_b_key1", "t_c_key1"}


# -- SQLite -----------------------------------------------------------------------------------------------------------
SQLITE_TABLES = """CREATE TABLE ipk (id INTEGER PRIMARY KEY, a TEXT);
CREATE TABLE ipk_table (id integer, a TEXT, CONSTRAINT pk_ipk_table PRIMARY KEY (id DESC));
CREATE TABLE ipk_desc (id INTEGER PRIMARY KEY DESC, a TEXT);
CREATE TABLE int_pk (id INT PRIMARY KEY, a TEXT);
CREATE TABLE u (id INTEGER PRIMARY KEY AUTOINCREMENT, a int NOT NULL DEFAULT 3, b text COLLATE NOCASE UNIQUE,
    c text, CONSTRAINT uq UNIQUE (a, b), UNIQUE (a, b), UNIQUE (c) ON CONFLICT REPLACE, UNIQUE (id, a));
CREATE TABLE w (id int PRIMARY KEY, x int) WITHOUT ROWID;
CREATE TABLE g (a int, b int AS (a + 1) STORED, c GENERATED ALWAYS AS (a * 2));
CREATE UNIQUE INDEX ix ON u (b COLLATE BINARY DESC, lower( c ) COLLATE nocase) WHERE  a>0 AND u.a IS NOT NULL;
CREATE UNIQUE INDEX "Ix Quoted" ON u ("c") WHERE "c"  <  'x';
CREATE INDEX IF NOT EXISTS ix ON u (a);
CREATE VIEW v AS SELECT id, a AS alias_a FROM u;
ALTER TABLE u RENAME COLUMN c TO c2;
ALTER TABLE u RENAME a TO "A b";
ALTER TABLE u RENAME TO u2;
ALTER TABLE u2 ADD COLUMN d int;
CREATE UNIQUE INDEX drop_me ON u2 (d);
DROP INDEX drop_me;
"""


def test_sqlite_tables_indexes_and_renames(tmp_path: Path) -> None:
    replayed = sqlite_differential(tmp_path, SQLITE_TABLES)
    u2 = replayed.table("u2")
    assert u2 is not None
    ix = next(k for k in u2.keys if k.name == "ix")
    # the predicate is SQLite's stored text: as written, rewritten by the renames like sqlite_master
    assert ix.predicate == 'a>0 AND "u2"."A b" IS NOT NULL'.replace("a>0", '"A b">0')
    assert ix.elements[1].expression == "lower( c2 )"


SQLITE_DROP_COLUMN = """CREATE TABLE t (id integer PRIMARY KEY, a integer, b integer, c integer UNIQUE, d int, e int);
CREATE UNIQUE INDEX t_a_uidx ON t (a);
CREATE INDEX t_part ON t (b) WHERE d > 0;
ALTER TABLE t DROP COLUMN a;
ALTER TABLE t DROP COLUMN d;
ALTER TABLE t DROP COLUMN c;
ALTER TABLE t DROP COLUMN id;
ALTER TABLE t DROP COLUMN zz;
ALTER TABLE t DROP COLUMN e;
CREATE TABLE only_one (x int);
ALTER TABLE only_one DROP COLUMN x;
CREATE TABLE tl (a int, b int, UNIQUE (a, b), CHECK (b > 0));
ALTER TABLE tl DROP COLUMN b;
ALTER TABLE tl ADD COLUMN z int UNIQUE;
"""


def test_sqlite_drop_column_refusals(tmp_path: Path) -> None:
    replayed = sqlite_differential(tmp_path, SQLITE_DROP_COLUMN)
    assert replayed.notes[0] == "s.sql:4: error in index t_a_uidx after drop column: no such column: a"
    t = replayed.table("t")
    assert t is not None and [c.name for c in t.columns] == ["id", "a", "b", "c", "d"]


# -- notes and files --------------------------------------------------------------------------------------------------
def test_unmodellable_statements_become_notes_with_their_line(tmp_path: Path) -> None:
    (tmp_path / "b_second.sql").write_text(
        "-- header\nCREATE TABLE s (a int);\n\nDO $$ BEGIN EXECUTE 'ALTER TABLE s ADD UNIQUE (a)'; END $$;\n"
        "CREATE TABLE c AS SELECT 1 AS x;\nSELECT 1;\nCOMMENT ON TABLE s IS 'x';\n"
        "ALTER TABLE s ADD CONSTRAINT (;\nCREATE UNIQUE INDEX s_a ON s (a);\n"
    )
    (tmp_path / "a_first.sql").write_text("CREATE TABLE f (\n  a int PRIMARY KEY\n);\nCREATE EXTENSION x;\n")
    (tmp_path / "ignored.txt").write_text("DROP TABLE f;")
    catalog = catalog_from_files([tmp_path], "postgresql")
    second = str(tmp_path / "b_second.sql")
    assert catalog.notes == (
        f"{second}:4: not modelled: DO $$ BEGIN EXECUTE 'ALTER TABLE s ADD UNIQUE (a)'; END $$",
        f"{second}:5: not modelled: CREATE TABLE c AS SELECT 1 AS x",
        f"{second}:8: not modelled: ALTER TABLE s ADD CONSTRAINT (",
    )
    assert [t.name for t in catalog.tables] == ["f", "s"]
    s = catalog.table("s")
    assert s is not None and [k.name for k in s.keys] == ["s_a"]


def test_files_continue_from_a_base_catalog(tmp_path: Path) -> None:
    first = tmp_path / "1.sql"
    first.write_text("CREATE TABLE t (id integer PRIMARY KEY, a int UNIQUE);\nCREATE INDEX t_lower ON t (lower(a));\n")
    second = tmp_path / "2.sql"
    second.write_text("ALTER TABLE t ADD UNIQUE (a);\nALTER TABLE t RENAME a TO b;\n")
    base = catalog_from_files([first], "postgresql")
    continued = catalog_from_files([second], "postgresql", base=base)
    whole = catalog_from_files([first, second], "postgresql")
    assert continued == replace(whole, source=continued.source)
    t = continued.table("t")
    assert t is not None and {k.name for k in t.keys} == {"t_pkey", "t_a_key", "t_a_key1", "t_lower"}
    assert next(k for k in t.keys if k.name == "t_lower").elements[0].expression == "LOWER(b)"


def test_statement_lines_and_parse_failures() -> None:
    catalog = catalog_from_ddl(
        "CREATE TABLE a (x int);\n\n\n  CREATE TABLE b PARTITION OF whatever FOR VALUES IN (1);\nCREATE TABLE 'oops;\n",
        "postgresql",
        path="p.sql",
    )
    assert [n.split(": ", 1)[0] for n in catalog.notes] == ["p.sql:4", "p.sql:5"]
    assert [t.name for t in catalog.tables] == ["a"]


def test_an_unterminated_string_ends_the_reading() -> None:
    catalog = catalog_from_ddl(
        "CREATE TABLE t (a int UNIQUE);\nALTER TABLE t ADD 'oops int;\nCREATE TABLE later (a int);\n",
        "sqlite",
        path="s.sql",
    )
    t = catalog.table("t")
    assert t is not None and [c.name for c in t.columns] == ["a"] and len(t.keys) == 1
    assert [x.name for x in catalog.tables] == ["t"]
    assert catalog.notes == (
        "s.sql:2: not modelled: an unterminated string at line 2: nothing from line 2 to the end of the file was read",
    )
