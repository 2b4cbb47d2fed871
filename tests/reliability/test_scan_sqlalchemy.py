"""A model whose primary key is a named ``PrimaryKeyConstraint`` in ``__table_args__``: its upserts are resolved
and judged (this once stopped a real project's whole scan), with the target SQLAlchemy itself compiles."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest
from sqlalchemy.dialects import postgresql

from schema_parity.check import run_check
from schema_parity.sites.scan import scan
from schema_parity.sources import SchemaOptions

MODEL = """\
from sqlalchemy import Column, Integer, PrimaryKeyConstraint, String
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import declarative_base

Base = declarative_base()


class Membership(Base):
    __tablename__ = "membership"
    __table_args__ = (PrimaryKeyConstraint("a", "b", name="pk_x"),)
    a = Column(Integer)
    b = Column(Integer)
    note = Column(String)


def by_columns():
    return insert(Membership).values(a=1, b=2, note="n").on_conflict_do_update(
        index_elements=["a", "b"], set_={"note": "n"}
    )


def by_primary_key_constraint():
    return insert(Membership).values(a=1, b=2).on_conflict_do_nothing(constraint=Membership.__table__.primary_key)


def by_primary_key_columns():
    return insert(Membership).values(a=1, b=2).on_conflict_do_nothing(
        index_elements=Membership.__table__.primary_key.columns
    )


def by_a_column_without_key():
    return insert(Membership).values(a=1, b=2).on_conflict_do_nothing(index_elements=["note"])
"""
SCHEMA = """\
CREATE TABLE membership (a INTEGER NOT NULL, b INTEGER NOT NULL, note TEXT, CONSTRAINT pk_x PRIMARY KEY (a, b));
"""
FUNCTIONS = ["by_columns", "by_primary_key_constraint", "by_primary_key_columns", "by_a_column_without_key"]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "models.py").write_text(MODEL)
    (tmp_path / "schema.sql").write_text(SCHEMA)
    return tmp_path


def _target(sql: str) -> str:
    return sql[sql.index(" ON CONFLICT ") + 1 :].split(" DO ", maxsplit=1)[0]


def test_named_primary_key_sites_resolve_to_what_sqlalchemy_compiles(project: Path) -> None:
    result = scan([project / "app"], root=project)
    assert result.problems == []
    assert all(site.sql is not None and site.unresolved is None for site in result.sites), result.sites
    assert [_target(site.sql or "") for site in result.sites] == [
        "ON CONFLICT (a, b)",
        "ON CONFLICT ON CONSTRAINT pk_x",
        "ON CONFLICT (a, b)",
        "ON CONFLICT (note)",
    ]
    module = runpy.run_path(str(project / "app" / "models.py"))
    for function, site in zip(FUNCTIONS, result.sites, strict=True):
        compiled = str(module[function]().compile(dialect=postgresql.dialect()))
        assert _target(compiled) == _target(site.sql or ""), function
    assert {site.dialect for site in result.sites} == {"postgresql"}  # postgresql.insert: judged for it only


def test_named_primary_key_sites_are_judged(project: Path) -> None:
    result = run_check([project / "app"], root=project, schema=SchemaOptions(schema_sql=(project / "schema.sql",)))
    verdicts = {report.site.line: [v.status for v in report.verdicts] for report in result.sites}
    assert list(verdicts.values()) == [["ok"], ["ok"], ["ok"], ["error"]]
    [error] = result.errors
    assert error.rule == "SP101" and error.line == max(verdicts)
    assert error.message.startswith("ON CONFLICT (note) on membership: there is no unique or exclusion constraint")


HEAD = """\
import sqlalchemy as sa
from sqlalchemy import Index, UniqueConstraint
from sqlalchemy.dialects.postgresql import insert
md = sa.MetaData(naming_convention=CONVENTION)
t = sa.Table("t", md, sa.Column("a", sa.Integer, primary_key=True), sa.Column("b", sa.Integer))
"""


@pytest.mark.parametrize(
    ("convention", "call", "reason"),
    [
        (
            "{}",
            "on_conflict_do_nothing(index_elements=['a'], index_where=(1 < 'a'))",
            "1 < 'a' cannot be built as written: TypeError: '<' not supported between instances of 'int' and 'str'",
        ),
        (
            "{}",
            "on_conflict_do_nothing(index_elements=['a'], index_where=(1).is_(None))",
            "(1).is_(None) cannot be built as written: AttributeError: 'int' object has no attribute 'is_'",
        ),
        (
            "{}",
            "on_conflict_do_nothing(index_elements=['a'], index_where=t.c.a.in_([1]) & 2)",
            "t.c.a.in_([1]) & 2 cannot be built as written: ArgumentError: SQL expression for WHERE/HAVING role "
            "expected, got 2.",
        ),
        (
            "{}",
            "on_conflict_do_nothing(constraint=Index('ix', 'zzz'))",
            "constraint=Index('ix', 'zzz') cannot be built as written: ConstraintColumnNotFoundError: Can't create "
            "Index on table 't': no column named 'zzz' is present.",
        ),
        (
            "{}",
            "on_conflict_do_nothing(index_elements=[1])",
            "the ON CONFLICT target cannot be built as written: ArgumentError: String column name or column "
            "expression for DDL constraint expected, got 1.",
        ),
        (
            "{'pk': '%(bogus)s'}",
            "on_conflict_do_nothing(constraint=t.primary_key)",
            "the table t cannot be built as written: KeyError: 'bogus'",
        ),
    ],
)
def test_what_sqlalchemy_refuses_is_unresolved_with_its_error(
    tmp_path: Path, convention: str, call: str, reason: str
) -> None:
    """Found by the property tests: each of these stopped the whole scan."""
    (tmp_path / "q.py").write_text(HEAD.replace("CONVENTION", convention) + f"q = insert(t).{call}\n")
    result = scan([tmp_path], root=tmp_path)
    assert [(site.sql, site.unresolved) for site in result.sites] == [(None, reason)]
    assert result.problems == []
