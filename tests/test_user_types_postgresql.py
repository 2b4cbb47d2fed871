"""PostgreSQL's user-defined types in the Catalog: an enum column is no domain, a domain's default and NOT NULL decide
what a row that leaves its column out gets, and a domain over boolean is boolean to ``IS TRUE`` (issue 11).

Each row's answer is PostgreSQL's (tests/test_mutants_postgresql.py: ``answer``): the statement runs on the schema,
and the checker must agree on the Catalog reflected from it and on the one the DDL replay builds. A Catalog whose
source did not read types (``types_read`` False: SQLite, models, an older Catalog JSON or cache entry) keeps saying
that a column of a type it does not know may be a domain (SP901).
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from pathlib import Path

import pytest
import sqlalchemy as sa

from schema_parity.catalog import Catalog, UserType
from schema_parity.sources import catalog_cache
from schema_parity.sources.alembic import AlembicProject, offline_sql, upgrade
from schema_parity.sources.ddl import catalog_from_ddl
from schema_parity.sources.reflect import reflect
from schema_parity.types import is_null_default
from schema_parity.verdicts.dispatch import check
from tests.alembic_projects import Revision, write_project
from tests.test_mutants_postgresql import answer, disagreements, named, said, unresolved

pytestmark = pytest.mark.postgres

ENUM = ("CREATE TYPE mood AS ENUM ('a', 'b')", "CREATE TABLE r (id integer PRIMARY KEY, e mood NOT NULL, n mood)")
DOMAINS = (
    "CREATE DOMAIN dd AS integer DEFAULT 0", "CREATE DOMAIN dn AS integer", "CREATE DOMAIN nn AS integer NOT NULL",
    "CREATE DOMAIN nn2 AS nn", "CREATE DOMAIN dd2 AS dd", "CREATE DOMAIN dnull AS dd DEFAULT NULL",
    "CREATE TABLE r (id integer PRIMARY KEY, c dd NOT NULL, e dn NOT NULL, x nn, y nn2, z dd2 NOT NULL, "
    "w dnull NOT NULL)",
)
"""``c`` and ``z`` (a domain over ``dd``, whose default it copies) are filled; ``e`` and ``w`` (``DEFAULT NULL``
overrides ``dd``'s) are not; ``x`` and ``y`` (over a NOT NULL domain) are nullable columns of NOT NULL domains."""
ALL = "id, c, e, x, y, z, w"
TESTS = ("CREATE TYPE mood AS ENUM ('a', 'b')", "CREATE DOMAIN flag AS boolean", "CREATE DOMAIN num AS integer",
         "CREATE DOMAIN flag2 AS flag",
         "CREATE TABLE r (id integer PRIMARY KEY, f flag, g flag2, e mood, i num)")


def domains_insert(columns: str, values: str | None = None) -> str:
    values = values or ", ".join("1" for _ in columns.split(","))
    return f"INSERT INTO r ({columns}) VALUES ({values}) ON CONFLICT DO NOTHING"


def is_true(operand: str) -> str:
    return f"INSERT INTO r AS r (id) VALUES (1) ON CONFLICT (id) DO UPDATE SET id = 2 WHERE {operand} IS TRUE"


ROWS: dict[str, tuple[tuple[str, ...], str]] = {
    "an enum NOT NULL column left out": (ENUM, "INSERT INTO r (id) VALUES (1) ON CONFLICT DO NOTHING"),
    "an enum NOT NULL column given DEFAULT": (ENUM, "INSERT INTO r (id, e) VALUES (1, DEFAULT) ON CONFLICT DO NOTHING"),
    "an enum nullable column left out": (ENUM, "INSERT INTO r (id, e) VALUES (1, 'a') ON CONFLICT DO NOTHING"),
    "every domain column given": (DOMAINS, domains_insert(ALL)),
    "a domain with a default, NOT NULL column left out": (DOMAINS, domains_insert("id, e, x, y, z, w")),
    "a domain with a default, NOT NULL column given DEFAULT": (
        DOMAINS, domains_insert(ALL, "1, DEFAULT, 1, 1, 1, 1, 1")),
    "a domain over a domain with a default, left out": (DOMAINS, domains_insert("id, c, e, x, y, w")),
    "a domain without a default, NOT NULL column left out": (DOMAINS, domains_insert("id, c, x, y, z, w")),
    "a domain without a default, NOT NULL column given DEFAULT": (
        DOMAINS, domains_insert(ALL, "1, 1, DEFAULT, 1, 1, 1, 1")),
    "a domain DEFAULT NULL over one with a default, left out": (DOMAINS, domains_insert("id, c, e, x, y, z")),
    "a domain DEFAULT NULL::integer (pg_dump's spelling) over one with a default, left out": (
        ("CREATE DOMAIN dd AS integer DEFAULT 0", "CREATE DOMAIN dnull AS dd DEFAULT NULL::integer",
         "CREATE TABLE r (id integer PRIMARY KEY, w dnull NOT NULL)"), domains_insert("id")),
    "a NOT NULL domain, nullable column left out": (DOMAINS, domains_insert("id, c, e, y, z, w")),
    "a NOT NULL domain, nullable column given DEFAULT": (DOMAINS, domains_insert(ALL, "1, 1, 1, DEFAULT, 1, 1, 1")),
    "a domain over a NOT NULL domain, left out": (DOMAINS, domains_insert("id, c, e, x, z, w")),
    "ALTER DOMAIN SET DEFAULT": (
        ("CREATE DOMAIN dn AS integer", "CREATE TABLE r (id integer PRIMARY KEY, e dn NOT NULL)",
         "ALTER DOMAIN dn SET DEFAULT 3"), domains_insert("id")),
    "ALTER DOMAIN DROP DEFAULT": (
        ("CREATE DOMAIN dd AS integer DEFAULT 0", "CREATE TABLE r (id integer PRIMARY KEY, e dd NOT NULL)",
         "ALTER DOMAIN dd DROP DEFAULT"), domains_insert("id")),
    "ALTER DOMAIN SET NOT NULL": (
        ("CREATE DOMAIN dn AS integer", "CREATE TABLE r (id integer PRIMARY KEY, e dn)",
         "ALTER DOMAIN dn SET NOT NULL"), domains_insert("id")),
    "ALTER DOMAIN DROP NOT NULL": (
        ("CREATE DOMAIN nn AS integer NOT NULL", "CREATE TABLE r (id integer PRIMARY KEY, e nn)",
         "ALTER DOMAIN nn DROP NOT NULL"), domains_insert("id")),
    "a dropped domain's name taken by an enum": (
        ("CREATE DOMAIN dd AS integer DEFAULT 0", "DROP DOMAIN dd", "CREATE TYPE dd AS ENUM ('a')",
         "CREATE TABLE r (id integer PRIMARY KEY, e dd NOT NULL)"), domains_insert("id")),
    "an enum of another schema, qualified": (
        ("CREATE SCHEMA {other}", "CREATE TYPE {other}.mood AS ENUM ('a')",
         "CREATE TABLE r (id integer PRIMARY KEY, e {other}.mood NOT NULL)"), domains_insert("id")),
    "a domain of another schema with a default, qualified": (
        ("CREATE SCHEMA {other}", "CREATE TYPE mood AS ENUM ('a')", "CREATE DOMAIN {other}.mood AS integer DEFAULT 1",
         "CREATE TABLE r (id integer PRIMARY KEY, e {other}.mood NOT NULL)"), domains_insert("id")),
    "a domain named as a pg_catalog type, with a default": (
        ("CREATE DOMAIN public.int4 AS integer DEFAULT 1",
         "CREATE TABLE r (id integer PRIMARY KEY, e public.int4 NOT NULL, i int4 NOT NULL)"), domains_insert("id, i")),
    "pg_catalog's type beside a domain of its name": (
        ("CREATE DOMAIN public.int4 AS integer DEFAULT 1",
         "CREATE TABLE r (id integer PRIMARY KEY, e public.int4 NOT NULL, i int4 NOT NULL)"), domains_insert("id, e")),
    "a domain named character, a character varying column left out": (
        ('CREATE DOMAIN "character" AS integer DEFAULT 1',
         'CREATE TABLE r (id integer PRIMARY KEY, c character varying(10) NOT NULL, d "character" NOT NULL)'),
        domains_insert("id, d")),
    "a domain named character, its column left out": (
        ('CREATE DOMAIN "character" AS integer DEFAULT 1',
         'CREATE TABLE r (id integer PRIMARY KEY, c character varying(10) NOT NULL, d "character" NOT NULL)'),
        domains_insert("id, c")),
    "IS TRUE of a domain over boolean": (TESTS, is_true("r.f")),
    "IS TRUE of a domain over a domain over boolean": (TESTS, is_true("r.g")),
    "IS TRUE of an enum": (TESTS, is_true("r.e")),
    "IS TRUE of a domain over integer": (TESTS, is_true("r.i")),
}


UNRESOLVED_BY_REPLAY: dict[str, tuple[tuple[str, ...], str, str]] = {
    # The replay writes a column's type in lower case: "Dd" and dd are one name to it.
    "a quoted domain in capitals beside an enum of its lower-case name": (
        ('CREATE DOMAIN "Dd" AS integer DEFAULT 0', "CREATE TYPE dd AS ENUM ('a')",
         'CREATE TABLE r (id integer PRIMARY KEY, c "Dd" NOT NULL)'), domains_insert("id"),
        "not one the checker knows"),
    # A renamed type keeps its old name in the replay's columns: a new type of that name is not theirs.
    "a domain renamed, its old name taken by an enum": (
        ("CREATE DOMAIN dd AS integer DEFAULT 0", "CREATE TABLE r (id integer PRIMARY KEY, e dd NOT NULL)",
         "ALTER DOMAIN dd RENAME TO dd_old", "CREATE TYPE dd AS ENUM ('a')"), domains_insert("id"),
        "not one the checker knows"),
    # A DO block may create any type.
    "an enum beside a DO block": (
        ("CREATE TYPE mood AS ENUM ('a')", "DO $$ BEGIN CREATE DOMAIN dd AS integer DEFAULT 0; END $$",
         "CREATE TABLE r (id integer PRIMARY KEY, e mood NOT NULL)"), domains_insert("id"),
        "not one the checker knows"),
}
"""Rows the replay cannot decide (its Catalog must say SP901 with this reason); reflection must give the engine's
answer."""


def _named(row: tuple[tuple[str, ...], str]) -> tuple[tuple[str, ...], str]:
    suffix = uuid.uuid4().hex[:10]
    return tuple(named(part, suffix) for part in row[0]), named(row[1], suffix)


@pytest.mark.parametrize("row", list(ROWS))
def test_checker_agrees_with_postgresql(pg_cases_engine: sa.Engine, row: str) -> None:
    ddl, statement = _named(ROWS[row])
    failures = disagreements(statement, answer(pg_cases_engine, ddl, statement))
    assert not failures, "\n".join([*ddl, statement, *failures])


@pytest.mark.parametrize("row", list(UNRESOLVED_BY_REPLAY))
def test_replay_says_unresolved_where_it_cannot_tell(pg_cases_engine: sa.Engine, row: str) -> None:
    ddl, statement, reason = UNRESOLVED_BY_REPLAY[row]
    found = answer(pg_cases_engine, ddl, statement)
    reflected = replace(found, catalogs={"reflected": found.catalogs["reflected"]})
    replayed = replace(found, catalogs={"ddl": found.catalogs["ddl"]})
    failures = disagreements(statement, reflected) + unresolved(statement, replayed, reason)
    assert not failures, "\n".join([*ddl, statement, *failures])


@pytest.mark.parametrize("row", ["an enum NOT NULL column left out", "a domain without a default, NOT NULL column "
                                 "left out", "a NOT NULL domain, nullable column left out", "IS TRUE of an enum"])
def test_without_types_read_a_user_type_may_be_a_domain(pg_cases_engine: sa.Engine, row: str) -> None:
    """A Catalog that did not read types (an older JSON, a cache entry, models) keeps today's answer: unresolved,
    never an error the engine might not raise."""
    ddl, statement = ROWS[row]
    found = answer(pg_cases_engine, ddl, statement)
    for source, catalog in found.catalogs.items():
        blind = Catalog.from_dict({k: v for k, v in catalog.to_dict().items() if k not in ("types", "types_read")})
        assert not blind.types_read and blind.types == ()
        verdict = check(statement, blind, "postgresql")
        assert verdict.status in ("unresolved", "ok"), (source, said(verdict))
        assert "SP301" not in [p.rule for p in verdict.problems] and "SP206" not in [p.rule for p in verdict.problems]


def test_replayed_types_are_the_reflected_ones(pg_cases_engine: sa.Engine) -> None:
    """The replay's types (kind, schema, base, NOT NULL, whether a default fills) are those PostgreSQL holds."""
    ddl = (*DOMAINS[:-1], *TESTS[:-1], "CREATE TYPE span AS RANGE (subtype = integer)",
           "CREATE TYPE pair AS (a integer, b text)", "CREATE DOMAIN gone AS integer", "DROP DOMAIN gone",
           "CREATE DOMAIN moved AS text", "ALTER DOMAIN moved RENAME TO kept", "ALTER DOMAIN dn SET DEFAULT 2",
           "ALTER TYPE mood ADD VALUE 'c'", "ALTER DOMAIN nn2 ADD CONSTRAINT positive CHECK (VALUE > 0)",
           "CREATE DOMAIN dnull2 AS dd DEFAULT NULL::integer")
    with pg_cases_engine.connect() as conn:
        try:
            schema = f"case_{uuid.uuid4().hex[:10]}"
            conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
            conn.exec_driver_sql(f"SET LOCAL search_path TO {schema}")
            for statement in ddl:
                conn.exec_driver_sql(statement)
            reflected = reflect(conn)
        finally:
            conn.rollback()
    replayed = catalog_from_ddl(";\n".join(ddl), "postgresql")
    assert reflected.types_read and replayed.types_read

    def facts(catalog: Catalog) -> set[tuple[str | None, str, str, bool, bool]]:
        return {(t.schema, t.name, t.kind, t.not_null, is_null_default(t.default)) for t in catalog.types}

    assert facts(replayed) == facts(reflected)
    assert len(reflected.types) == 14


def test_catalog_json_and_cache_keep_the_types() -> None:
    catalog = catalog_from_ddl("CREATE TYPE mood AS ENUM ('a'); CREATE DOMAIN d AS integer DEFAULT 1 NOT NULL",
                               "postgresql")
    assert catalog.types_read
    assert Catalog.from_json(catalog.to_json()) == catalog
    assert catalog.types == (UserType("mood", None, "enum"),
                             UserType("d", None, "domain", base_type="integer", default="1", not_null=True))
    assert "UserType:" in catalog_cache._FORMAT and "types_read" in catalog_cache._FORMAT
    assert not catalog_from_ddl("CREATE TABLE t (a integer)", "sqlite").types_read


ENUM_REVISION = Revision(
    "e1",
    None,
    """
    op.create_table('account', sa.Column('id', sa.Integer, primary_key=True),
                    sa.Column('status', sa.Enum('active', 'closed', name='account_status'), nullable=False),
                    sa.Column('kind', sa.Enum('a', 'b', name='account_kind'), nullable=False, server_default='a'))
    """,
)


def test_an_alembic_enum_left_out_is_sp301_by_every_postgresql_source(tmp_path: Path, pg_engine: sa.Engine) -> None:
    """``sa.Enum(..., name=...)``, the common case: a NOT NULL enum column left out fails with 23502."""
    project = AlembicProject.load(write_project(tmp_path, [ENUM_REVISION]))
    with pg_engine.connect() as conn:
        upgrade(conn, project)
        conn.commit()
        real = reflect(conn)
        with pytest.raises(sa.exc.IntegrityError, match="not-null constraint"):
            conn.exec_driver_sql("INSERT INTO account (id) VALUES (1) ON CONFLICT DO NOTHING")
        conn.rollback()
        conn.exec_driver_sql("INSERT INTO account (id, status) VALUES (1, 'active') ON CONFLICT DO NOTHING")
        conn.rollback()
    sql, notes = offline_sql(project, "head")
    assert notes == []
    for catalog in (real, catalog_from_ddl(sql, "postgresql")):
        left_out = check("INSERT INTO account (id) VALUES (1) ON CONFLICT DO NOTHING", catalog, "postgresql")
        given = check("INSERT INTO account (id, status) VALUES (1, 'active') ON CONFLICT DO NOTHING", catalog,
                      "postgresql")
        assert (left_out.status, [p.rule for p in left_out.problems]) == ("error", ["SP301"]), catalog.source
        assert given.status == "ok", (catalog.source, said(given))
