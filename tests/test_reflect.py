"""Reflection of live SQLite and PostgreSQL databases into a Catalog, checked against real engines."""

from __future__ import annotations

import shutil
import uuid
import weakref
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from schema_parity import compat
from schema_parity.catalog import Catalog, Key, KeyElement, Table
from schema_parity.errors import ConfigError, ConnectionFailed
from schema_parity.sources.reflect import _open, reflect, reflect_url


def open_readonly(url: str) -> sa.Engine:
    """The engine :func:`reflect_url` reads through, kept open so a test can try to write with it: PostgreSQL
    read-only sessions, SQLite a private snapshot (deleted with the engine)."""
    engine, snapshot = _open(url)
    if snapshot is not None:
        weakref.finalize(engine, shutil.rmtree, snapshot, ignore_errors=True)
    return engine


def build(engine: sa.Engine, ddl: str, **kwargs: object) -> Catalog:
    """Run ``;``-separated DDL, then reflect through the same engine."""
    with engine.begin() as conn:
        for statement in filter(str.strip, ddl.split(";")):
            conn.exec_driver_sql(statement)
    with engine.connect() as conn:
        return reflect(conn, **kwargs)  # type: ignore[arg-type]


def table(catalog: Catalog, name: str, schema: str | None = None) -> Table:
    found = catalog.table(name, schema)
    assert found is not None, f"{name} not in {[t.qualified_name for t in catalog.tables]}"
    return found


def key(t: Table, name: str | None, kind: str | None = None) -> Key:
    (found,) = [k for k in t.keys if k.name == name and (kind is None or k.kind == kind)]
    return found


def col(name: str, **kwargs: object) -> KeyElement:
    return KeyElement(column=name, **kwargs)  # type: ignore[arg-type]


# -- SQLite ------------------------------------------------------------------------------------------------------
def test_sqlite_primary_keys(sqlite_engine: sa.Engine) -> None:
    catalog = build(
        sqlite_engine,
        """
        CREATE TABLE ipk (id INTEGER PRIMARY KEY, a TEXT);
        CREATE TABLE ipk_table (id INTEGER, a TEXT, CONSTRAINT pk_ipk_table PRIMARY KEY (id));
        CREATE TABLE int_pk (id INT PRIMARY KEY, a TEXT);
        CREATE TABLE ipk_desc (id INTEGER PRIMARY KEY DESC);
        CREATE TABLE composite (a TEXT, b INTEGER NOT NULL, PRIMARY KEY (b, a));
        CREATE TABLE no_pk (a TEXT)
        """,
    )
    ipk = table(catalog, "ipk")
    assert ipk.column("id").autoincrement and ipk.column("id").has_default
    assert ipk.primary_key == Key(name=None, kind="primary_key", elements=(col("id"),))
    assert key(table(catalog, "ipk_table"), "pk_ipk_table").elements == (col("id"),)
    assert table(catalog, "ipk_table").column("id").autoincrement

    int_pk = table(catalog, "int_pk")
    assert not int_pk.column("id").autoincrement
    assert int_pk.primary_key == Key(name=None, kind="primary_key", elements=(col("id"),))
    desc = table(catalog, "ipk_desc")
    assert not desc.column("id").autoincrement
    assert desc.primary_key.elements == (col("id", descending=True),)

    composite = table(catalog, "composite")
    assert composite.primary_key.columns == ("b", "a")
    assert not any(c.autoincrement for c in composite.columns)
    assert table(catalog, "no_pk").keys == ()


def test_sqlite_unique_constraints_take_their_declared_names(sqlite_engine: sa.Engine) -> None:
    catalog = build(
        sqlite_engine,
        """
        CREATE TABLE t (
            id INTEGER PRIMARY KEY UNIQUE,
            email TEXT CONSTRAINT uq_email UNIQUE,
            code TEXT UNIQUE COLLATE NOCASE,
            a INT, b INT, "C" INT,
            CONSTRAINT "UQ_Mixed" UNIQUE (a, b),
            UNIQUE (b, a),
            UNIQUE (a, b),
            UNIQUE ("C"),
            CONSTRAINT [uq c nocase] UNIQUE (c COLLATE NOCASE)
        )
        """,
    )
    t = table(catalog, "t")
    unique = {(k.name, k.elements) for k in t.keys if k.kind == "unique"}
    assert unique == {
        (None, (col("id"),)),  # a UNIQUE on the rowid alias gets an index of its own
        ("uq_email", (col("email"),)),
        (None, (col("code", collation="NOCASE"),)),
        ("UQ_Mixed", (col("a"), col("b"))),  # the later UNIQUE (a, b) was folded into it
        (None, (col("b"), col("a"))),
        (None, (col("C"),)),
        ("uq c nocase", (col("C", collation="NOCASE"),)),
    }
    assert t.primary_key == Key(name=None, kind="primary_key", elements=(col("id"),))


def test_sqlite_primary_key_and_duplicate_unique_share_one_index(sqlite_engine: sa.Engine) -> None:
    catalog = build(
        sqlite_engine,
        """
        CREATE TABLE pk_first (a TEXT, CONSTRAINT pk_a PRIMARY KEY (a), CONSTRAINT uq_a UNIQUE (a));
        CREATE TABLE unique_first (a TEXT, CONSTRAINT uq_a2 UNIQUE (a), CONSTRAINT pk_a2 PRIMARY KEY (a))
        """,
    )
    assert table(catalog, "pk_first").keys == (Key(name="pk_a", kind="primary_key", elements=(col("a"),)),)
    assert table(catalog, "unique_first").keys == (Key(name="pk_a2", kind="primary_key", elements=(col("a"),)),)


def test_sqlite_indexes(sqlite_engine: sa.Engine) -> None:
    catalog = build(
        sqlite_engine,
        """
        CREATE TABLE acct (id INTEGER PRIMARY KEY, email TEXT, name TEXT, deleted_at TEXT, kind TEXT);
        CREATE UNIQUE INDEX ix_email ON acct (email);
        CREATE UNIQUE INDEX ix_live ON acct (email)  WHERE  deleted_at IS NULL and "kind" = 'a' -- note;
        CREATE UNIQUE INDEX ix_lower ON acct (lower(email), Upper( name ) COLLATE NOCASE DESC);
        CREATE UNIQUE INDEX ix_nocase ON acct (name COLLATE NOCASE);
        CREATE INDEX ix_kind ON acct (kind DESC, name)
        """,
    )
    acct = table(catalog, "acct")
    assert key(acct, "ix_email") == Key(name="ix_email", kind="unique_index", elements=(col("email"),))
    assert key(acct, "ix_live").predicate == "deleted_at IS NULL and \"kind\" = 'a'"
    assert key(acct, "ix_lower").elements == (
        KeyElement(expression="lower(email)"),
        KeyElement(expression="Upper( name )", collation="NOCASE", descending=True),
    )
    assert key(acct, "ix_nocase").elements == (col("name", collation="NOCASE"),)
    assert key(acct, "ix_kind") == Key(
        name="ix_kind", kind="index", elements=(col("kind", descending=True), col("name"))
    )


def test_sqlite_columns_relation_kinds_and_without_rowid(sqlite_engine: sa.Engine) -> None:
    catalog = build(
        sqlite_engine,
        """
        CREATE TABLE "Item" (
            id INTEGER PRIMARY KEY,
            title VARCHAR(200) NOT NULL DEFAULT 'untitled',
            created DATETIME DEFAULT CURRENT_TIMESTAMP,
            n INT DEFAULT (1 + 2),
            code TEXT COLLATE NOCASE,
            untyped,
            doubled INT GENERATED ALWAYS AS (n * 2) VIRTUAL,
            tripled INT AS (n * 3) STORED
        );
        CREATE TABLE kv (k TEXT PRIMARY KEY, v BLOB) WITHOUT ROWID;
        CREATE VIEW item_titles AS SELECT id, title FROM "Item";
        CREATE VIRTUAL TABLE docs USING fts5(body)
        """,
    )
    item = table(catalog, "Item")
    assert [(c.name, c.type, c.normalized_type, c.nullable, c.default) for c in item.columns] == [
        ("id", "INTEGER", "integer", True, None),
        ("title", "VARCHAR(200)", "varchar", False, "'untitled'"),
        ("created", "DATETIME", "timestamp", True, "CURRENT_TIMESTAMP"),
        ("n", "INT", "integer", True, "1 + 2"),
        ("code", "TEXT", "text", True, None),
        ("untyped", "", "", True, None),
        ("doubled", "INT", "integer", True, None),
        ("tripled", "INT", "integer", True, None),
    ]
    assert item.column("code").collation == "NOCASE"
    assert (item.column("doubled").generated, item.column("tripled").generated) == ("n * 2", "n * 3")
    assert not item.without_rowid

    kv = table(catalog, "kv")
    assert kv.without_rowid and kv.kind == "table"
    assert kv.primary_key == Key(name=None, kind="primary_key", elements=(col("k"),))
    assert not kv.column("k").nullable and not kv.column("k").autoincrement

    view = table(catalog, "item_titles")
    assert (view.kind, [c.name for c in view.columns], view.keys) == ("view", ["id", "title"], ())
    docs = table(catalog, "docs")
    assert (docs.kind, [c.name for c in docs.columns]) == ("virtual", ["body"])
    assert all(t.schema is None for t in catalog.tables)


def test_sqlite_unreadable_view_becomes_a_note(sqlite_engine: sa.Engine) -> None:
    catalog = build(
        sqlite_engine, "CREATE TABLE gone (a INT); CREATE VIEW orphan AS SELECT a FROM gone; DROP TABLE gone"
    )
    assert table(catalog, "orphan").columns == ()
    assert catalog.notes == ("could not read the columns of orphan: no such table: main.gone",)


def test_sqlite_stored_statements_are_read_by_the_ddl_readers(sqlite_engine: sa.Engine) -> None:
    """``exclude`` is a column name on SQLite; what the reader does not model (``like``) is a note, never a guess."""
    catalog = build(
        sqlite_engine,
        "CREATE TABLE kw ([key] INT COLLATE nocase CONSTRAINT kw_x UNIQUE, g INT AS ([key] + 1), exclude INT UNIQUE);"
        "CREATE TABLE odd (like INT, b INT CONSTRAINT odd_b UNIQUE)",
    )
    kw = table(catalog, "kw")
    assert key(kw, "kw_x", "unique").elements == (col("key", collation="nocase"),)
    assert [(c.collation, c.generated) for c in kw.columns] == [("nocase", None), (None, "[key] + 1"), (None, None)]
    assert [k.elements for k in kw.keys if k.name is None] == [(col("exclude"),)]
    odd = table(catalog, "odd")
    assert [k.name for k in odd.keys] == [None]
    assert catalog.notes == (
        "could not read the CREATE TABLE statement of odd: its constraint names, collations and generated columns "
        "are left out",
    )


def test_exclude_and_json_round_trip(sqlite_engine: sa.Engine) -> None:
    ddl = """
        CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY);
        CREATE TABLE keep (id INTEGER PRIMARY KEY, email TEXT COLLATE NOCASE UNIQUE, deleted INT);
        CREATE UNIQUE INDEX keep_live ON keep (lower(email)) WHERE deleted IS NULL;
        CREATE TABLE skip (id INT)
    """
    catalog = build(sqlite_engine, ddl, source="test", revision="abc", exclude=("alembic_version", "skip"))
    assert [t.name for t in catalog.tables] == ["keep"]
    assert (catalog.dialect, catalog.source, catalog.revision) == ("sqlite", "test", "abc")
    assert Catalog.from_json(catalog.to_json()) == catalog
    with sqlite_engine.connect() as conn:
        assert {t.name for t in reflect(conn).tables} == {"keep", "skip"}


# -- read-only opening -------------------------------------------------------------------------------------------
def test_sqlite_readonly(tmp_path: Path) -> None:
    path = tmp_path / "app db.sqlite"
    writer = sa.create_engine(f"sqlite:///{path}")
    with writer.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (id INTEGER PRIMARY KEY)")
    writer.dispose()

    engine = open_readonly(f"sqlite:///{path}")
    try:
        with engine.connect() as conn, pytest.raises(sa.exc.OperationalError, match="readonly"):
            conn.exec_driver_sql("INSERT INTO t (id) VALUES (1)")
    finally:
        engine.dispose()
    catalog = reflect_url(f"sqlite:///{path}")
    assert [t.name for t in catalog.tables] == ["t"]
    assert catalog.source == f"database:sqlite:///{path}"


def test_sqlite_file_that_is_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("hello, this is not SQLite\n" * 100)
    with pytest.raises(ConnectionFailed, match="file is not a database"):
        open_readonly(f"sqlite:///{path}")


def test_sqlite_missing_file_is_not_created(tmp_path: Path) -> None:
    path = tmp_path / "missing.db"
    with pytest.raises(ConnectionFailed, match="does not exist"):
        open_readonly(f"sqlite:///{path}")
    assert not path.exists()


def test_unusable_urls() -> None:
    with pytest.raises(ConfigError, match="in-memory"):
        open_readonly("sqlite://")
    with pytest.raises(ConfigError, match="PostgreSQL and SQLite"):
        open_readonly("mysql+pymysql://user:pw@localhost/db")
    with pytest.raises(ConfigError, match="Not a database URL"):
        open_readonly("not a url")


def test_postgresql_connection_failure_masks_the_password() -> None:
    with pytest.raises(ConnectionFailed) as excinfo:
        open_readonly(f"postgresql+{compat.POSTGRES_DRIVER}://someone:s3cret@127.0.0.1:1/nowhere")
    message = str(excinfo.value)
    assert "someone:***@127.0.0.1:1/nowhere" in message and "s3cret" not in message
    assert "Check that the server is running" in message


# -- PostgreSQL --------------------------------------------------------------------------------------------------
PG_DDL = """
CREATE TABLE users (
    id serial PRIMARY KEY,
    email varchar(200) NOT NULL,
    name text COLLATE "C",
    org int,
    status text DEFAULT 'new',
    CONSTRAINT uq_users_email UNIQUE (email),
    CONSTRAINT "UQ_Mixed" UNIQUE (org, name),
    CONSTRAINT users_org_check CHECK (org > 0)
);
CREATE TABLE composite (a int, b int, c int UNIQUE, PRIMARY KEY (b, a));
CREATE TABLE "Users" ("Id" bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, "Email" text);
CREATE TABLE orders (
    id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    user_id int REFERENCES users (id),
    code text,
    total numeric(10, 2),
    doubled numeric GENERATED ALWAYS AS (total * 2) STORED,
    room int,
    CONSTRAINT uq_orders_code UNIQUE (code) DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT uq_orders_user UNIQUE NULLS NOT DISTINCT (user_id),
    CONSTRAINT ex_room EXCLUDE USING btree (room WITH =) WHERE (room > 0)
);
CREATE UNIQUE INDEX users_lower_email ON users (lower(email));
CREATE UNIQUE INDEX users_live ON users (org) WHERE status <> 'deleted';
CREATE UNIQUE INDEX users_name_c ON users (email COLLATE "C");
CREATE UNIQUE INDEX users_pattern ON users (email text_pattern_ops);
CREATE UNIQUE INDEX users_include ON users (org) INCLUDE (email, status);
CREATE UNIQUE INDEX users_nnd ON users (status) NULLS NOT DISTINCT;
CREATE INDEX users_status ON users (status DESC);
CREATE UNIQUE INDEX users_invalid ON users (name, org);
UPDATE pg_index SET indisvalid = false WHERE indexrelid = 'users_invalid'::regclass;
CREATE TABLE ruled (id int PRIMARY KEY);
CREATE RULE ruled_insert AS ON INSERT TO ruled DO INSTEAD NOTHING;
CREATE VIEW active_users AS SELECT id, email FROM users WHERE status = 'active';
CREATE SCHEMA audit;
CREATE TABLE audit.users (id int PRIMARY KEY, seen timestamptz NOT NULL DEFAULT now());
CREATE TABLE measurements (day date NOT NULL, sensor int NOT NULL, PRIMARY KEY (day, sensor)) PARTITION BY RANGE (day);
CREATE TABLE measurements_2024 PARTITION OF measurements FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE UNIQUE INDEX measurements_2024_sensor ON measurements_2024 (sensor, day DESC)
"""


@pytest.fixture(scope="module")
def pg_database(pg_admin_engine: sa.Engine) -> Iterator[str]:
    """One database holding every PostgreSQL case, built once: creating databases is the slow part."""
    name = f"sp_test_reflect_{uuid.uuid4().hex[:8]}"
    with pg_admin_engine.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE template0')
    url = pg_admin_engine.url.set(database=name).render_as_string(hide_password=False)
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql(PG_DDL)
    engine.dispose()
    try:
        yield url
    finally:
        with pg_admin_engine.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def pg_catalog(pg_database: str) -> Catalog:
    return reflect_url(pg_database, source="pg")


@pytest.mark.postgres
def test_pg_relations_and_schemas(pg_catalog: Catalog) -> None:
    assert {(t.schema, t.name, t.kind) for t in pg_catalog.tables} == {
        (None, "users", "table"),
        (None, "composite", "table"),
        (None, "Users", "table"),
        (None, "orders", "table"),
        (None, "ruled", "table"),
        (None, "active_users", "view"),
        ("audit", "users", "table"),
        (None, "measurements", "partitioned"),
        (None, "measurements_2024", "table"),
    }
    assert [c.name for c in table(pg_catalog, "active_users").columns] == ["id", "email"]
    assert table(pg_catalog, "active_users").keys == ()
    assert table(pg_catalog, "ruled").has_rules and not table(pg_catalog, "users").has_rules
    audit = table(pg_catalog, "users", "audit")
    assert audit.primary_key.name == "users_pkey" and audit.column("seen").default == "now()"


@pytest.mark.postgres
def test_pg_columns(pg_catalog: Catalog) -> None:
    users = table(pg_catalog, "users")
    assert [(c.name, c.type, c.normalized_type, c.nullable) for c in users.columns] == [
        ("id", "integer", "integer", False),
        ("email", "character varying(200)", "varchar", False),
        ("name", "text", "text", True),
        ("org", "integer", "integer", True),
        ("status", "text", "text", True),
    ]
    assert users.column("id").autoincrement and users.column("id").default == "nextval('users_id_seq'::regclass)"
    assert users.column("status").default == "'new'::text" and not users.column("status").autoincrement
    assert users.column("name").collation == "C" and users.column("email").collation is None

    orders = table(pg_catalog, "orders")
    assert (orders.column("id").identity, orders.column("id").autoincrement) == ("by default", True)
    assert orders.column("id").default is None
    assert orders.column("doubled").generated == "(total * (2)::numeric)"
    assert orders.column("doubled").default is None and orders.column("doubled").has_default
    mixed = table(pg_catalog, "Users")
    assert mixed.column("Id").identity == "always" and mixed.primary_key.name == "Users_pkey"


@pytest.mark.postgres
def test_pg_constraints(pg_catalog: Catalog) -> None:
    users = table(pg_catalog, "users")
    assert users.primary_key == Key(name="users_pkey", kind="primary_key", elements=(col("id"),))
    assert key(users, "uq_users_email") == Key(name="uq_users_email", kind="unique", elements=(col("email"),))
    assert key(users, "UQ_Mixed").elements == (col("org"), col("name", collation="C"))
    assert users.other_constraints == ("users_org_check",)
    # a constraint's index is not listed a second time
    assert [k.name for k in users.keys].count("uq_users_email") == 1

    composite = table(pg_catalog, "composite")
    assert composite.primary_key.columns == ("b", "a")
    assert key(composite, "composite_c_key").kind == "unique"

    orders = table(pg_catalog, "orders")
    deferred = key(orders, "uq_orders_code")
    assert (deferred.kind, deferred.deferrable, deferred.initially_deferred) == ("unique", True, True)
    assert key(orders, "uq_orders_user").nulls_not_distinct
    assert key(orders, "orders_pkey").deferrable is False
    exclusion = key(orders, "ex_room")
    assert exclusion == Key(
        name="ex_room", kind="exclusion", elements=(col("room"),), predicate="room > 0", operators=("=",)
    )
    assert orders.other_constraints == ("orders_user_id_fkey",)


@pytest.mark.postgres
def test_pg_indexes(pg_catalog: Catalog) -> None:
    users = table(pg_catalog, "users")
    assert key(users, "users_lower_email") == Key(
        name="users_lower_email", kind="unique_index", elements=(KeyElement(expression="lower(email::text)"),)
    )
    assert key(users, "users_live").predicate == "status <> 'deleted'::text"
    assert key(users, "users_name_c").elements == (col("email", collation="C"),)
    assert key(users, "users_pattern").elements == (col("email", opclass="text_pattern_ops"),)
    assert key(users, "users_include") == Key(
        name="users_include", kind="unique_index", elements=(col("org"),), include=("email", "status")
    )
    assert key(users, "users_nnd").nulls_not_distinct
    assert key(users, "users_status") == Key(
        name="users_status", kind="index", elements=(col("status", descending=True),)
    )
    invalid = key(users, "users_invalid")
    assert not invalid.valid and invalid.elements == (col("name", collation="C"), col("org"))
    assert all(k.valid for k in users.keys if k.name != "users_invalid")


@pytest.mark.postgres
def test_pg_partitioned_table_keeps_its_own_keys(pg_catalog: Catalog) -> None:
    parent = table(pg_catalog, "measurements")
    assert [(k.name, k.kind, k.columns) for k in parent.keys] == [
        ("measurements_pkey", "primary_key", ("day", "sensor"))
    ]
    partition = table(pg_catalog, "measurements_2024")
    assert {k.name for k in partition.keys} == {"measurements_2024_pkey", "measurements_2024_sensor"}


@pytest.mark.postgres
def test_pg_catalog_round_trip_and_readonly(pg_catalog: Catalog, pg_database: str) -> None:
    assert pg_catalog.dialect == "postgresql" and pg_catalog.source == "pg"
    assert Catalog.from_json(pg_catalog.to_json()) == pg_catalog
    engine = open_readonly(pg_database)
    try:
        with engine.connect() as conn:
            assert reflect(conn, source="pg") == pg_catalog
            with pytest.raises(sa.exc.DBAPIError, match="read-only transaction"):
                conn.exec_driver_sql("CREATE TABLE intruder (id int)")
    finally:
        engine.dispose()
