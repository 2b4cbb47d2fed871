"""The SQLAlchemy-call scanner on models in the ``declarative_base()`` form, which SQLAlchemy 1.4 and 2.x both
import: the oldest-versions CI stage (``.ci/oldest.txt``, SQLAlchemy 1.4) runs these, where the ``DeclarativeBase``
models of ``test_sites_sqlalchemy`` cannot be imported. Each call form is compared with what the installed
SQLAlchemy compiles."""

from __future__ import annotations

import ast
import importlib
import itertools
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from schema_parity.compat import SQLALCHEMY_2
from tests.test_sites_sqlalchemy import CASES, _compiled, _ExecuteReturned, _sites, _target, _write

_PACKAGES = itertools.count()

MODELS = """\
import sqlalchemy as sa
from sqlalchemy.orm import declarative_base

CONVENTION = {"uq": "uq_%(table_name)s_%(column_0_N_name)s", "pk": "pk_%(table_name)s"}

Base = declarative_base(metadata=sa.MetaData(naming_convention=CONVENTION))


class User(Base):
    __tablename__ = "users"
    id = sa.Column(sa.Integer, primary_key=True)
    email_addr = sa.Column("email", sa.String, nullable=False)
    active = sa.Column(sa.Boolean, nullable=False)
    score = sa.Column(sa.Integer, default=0, nullable=False)


class Admin(User):
    pass


events = sa.Table(
    "events",
    Base.metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("k", sa.String),
    sa.Column("flag", sa.Boolean),
    sa.Column("n", sa.Integer),
)
by_k = sa.Index("ix_events_k", events.c.k, unique=True, postgresql_where=events.c.flag)
plain_md = sa.MetaData()
tags = sa.Table(
    "tags", plain_md, sa.Column("id", sa.Integer, primary_key=True), sa.Column("Name", sa.String, key="name")
)


class Tag(Base):
    __table__ = tags
"""


@pytest.fixture
def declarative_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, str]]:
    """A fresh importable package with the declarative_base() models (a unique name: imports never collide)."""
    package = f"sp_declarative_{next(_PACKAGES)}"
    (tmp_path / package).mkdir()
    (tmp_path / package / "__init__.py").write_text("")
    (tmp_path / package / "models.py").write_text(MODELS)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path, package
    for name in [n for n in sys.modules if n == package or n.startswith(package + ".")]:
        del sys.modules[name]


@pytest.mark.parametrize(("name", "imports", "body", "dialect", "expected"), CASES, ids=[c[0] for c in CASES])
def test_call_form_matches_what_sqlalchemy_compiles(
    declarative_project: tuple[Path, str], name: str, imports: str, body: str, dialect: str, expected: str
) -> None:
    root, package = declarative_project
    source = (
        f"{imports}\nfrom .models import Admin, Tag, User, by_k, events, tags\n\n\n"
        f"def build():\n{textwrap.indent(textwrap.dedent(body), '    ')}\n"
    )
    _write(root, f"{package}/upserts.py", source)
    # A returned statement may be executed with parameters that add columns: the scanned copy executes it without
    # parameters, as the statement SQLAlchemy compiles below is (see test_sites_sqlalchemy.py).
    _write(root, f"{package}/executed.py", ast.unparse(_ExecuteReturned().visit(ast.parse(source))))
    site = _sites(root, exclude=["*/upserts.py"])[-1]  # the branch case has two calls: the one reaching ``return``
    assert (site.path, site.origin, site.dialect, site.unresolved, site.columns_unknown) == (
        f"{package}/executed.py",
        "sqlalchemy",
        dialect,
        None,
        None,
    )
    assert site.sql == expected
    statement = importlib.import_module(f"{package}.upserts").build()
    if not SQLALCHEMY_2 and "email_addr=" in body:
        # SQLAlchemy 1.4's insert(Model).values() takes column names, not attribute names: such code fails there
        # before it reaches a database, so there is nothing to compare with
        with pytest.raises(sa.exc.CompileError, match="Unconsumed column names: email_addr"):
            _compiled(statement, dialect)
        return
    assert _target(site.sql) == _target(_compiled(statement, dialect))
