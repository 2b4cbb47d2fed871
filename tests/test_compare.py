"""Comparing Catalogs: real differences are found whatever the spelling, and spelling is never a difference."""

from __future__ import annotations

from schema_parity.compare import compare
from schema_parity.sources.ddl import catalog_from_ddl

BASE = """
CREATE TABLE t (id integer PRIMARY KEY, host varchar(20) NOT NULL, code integer, seen timestamp DEFAULT now(),
                live boolean NOT NULL DEFAULT true);
CREATE UNIQUE INDEX t_host_code ON t (host, code) WHERE live;
"""


def diff(a: str, b: str, a_dialect: str = "postgresql", b_dialect: str = "postgresql") -> list[tuple[str, bool]]:
    found = compare(catalog_from_ddl(a, a_dialect), catalog_from_ddl(b, b_dialect))  # type: ignore[arg-type]
    return [(d.describe(), d.cosmetic) for d in found]


def test_the_same_schema_spelled_differently_has_no_real_difference() -> None:
    respelled = """
    create table T (ID int4 primary key, HOST character varying(20) not null, code int,
                    seen timestamp default CURRENT_TIMESTAMP, live bool not null default TRUE);
    create unique index other_name on t (host, code) where (live);
    """
    assert [d for d, cosmetic in diff(BASE, respelled) if not cosmetic] == []


def test_every_kind_of_difference_is_found() -> None:
    changed = """
    CREATE TABLE t (id integer PRIMARY KEY, host text, code integer NOT NULL, seen timestamp,
                    live boolean NOT NULL DEFAULT true, extra integer);
    CREATE UNIQUE INDEX t_host_code ON t (host, code);
    CREATE TABLE u (id integer PRIMARY KEY);
    """
    assert [d for d, cosmetic in diff(BASE, changed) if not cosmetic] == [
        "t.host: type: A has varchar(20), B has text",
        "t.host: nullability: A has NOT NULL, B has NULL",
        "t.code: nullability: A has NULL, B has NOT NULL",
        "t.seen: default: A has CURRENT_TIMESTAMP, B has no default",
        "t.extra: only in B: column extra integer",
        "t: only in B: UNIQUE INDEX t_host_code (host, code)",
        "t: only in A: UNIQUE INDEX t_host_code (host, code) WHERE live",
        "u: only in B: table",
    ]


def test_a_deferrable_key_and_a_constraint_against_an_index() -> None:
    a = "CREATE TABLE t (a integer, CONSTRAINT t_a_key UNIQUE (a) DEFERRABLE);"
    b = "CREATE TABLE t (a integer); CREATE UNIQUE INDEX t_a_key ON t (a);"
    assert [d for d, cosmetic in diff(a, b) if not cosmetic] == [
        "t: unique: A has UNIQUE t_a_key (a) DEFERRABLE, B has UNIQUE INDEX t_a_key (a) (checked at once)",
        "t: unique: A has UNIQUE t_a_key (a) DEFERRABLE, B has UNIQUE INDEX t_a_key (a)",
    ]
