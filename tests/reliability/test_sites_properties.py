"""Property tests: no text, however broken, makes the site extractors raise.

Inputs are arbitrary text, SQL-like token soup (quotes, dollar quotes, comments, trigger bodies, COPY data), and
mutations (cuts, insertions, duplications) of real upsert SQL and Python snippets, including SQLAlchemy and wrapper
calls. Examples are derandomized so CI is reproducible (as in test_differential.py); ``SCHEMA_PARITY_EXPLORE=N``
draws N fresh random examples per test instead.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schema_parity.sites import Site
from schema_parity.sites.python import sites_from_python
from schema_parity.sites.scan import scan, scan_file
from schema_parity.sites.sql import sql_file_sites
from schema_parity.wrappers import Wrapper

EXPLORE = int(os.environ.get("SCHEMA_PARITY_EXPLORE", "0"))
SETTINGS = settings(
    max_examples=EXPLORE or 300,
    derandomize=not EXPLORE,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
WRAPPERS = (Wrapper("app.db.upsert", "model", "conflict_cols", "constraint", "where"),)

SQL_SEEDS = [
    "INSERT INTO t (a, b) VALUES (1, 'x') ON CONFLICT (a) DO UPDATE SET b = excluded.b WHERE t.b <> 'y';",
    "insert or replace into t values (?, :b, $1, %s) on conflict do nothing;\n-- done\n",
    'INSERT INTO "s"."t" AS x VALUES (E\'a\\\'b\', $$c$$) ON CONFLICT ON CONSTRAINT "uq" DO NOTHING RETURNING *;',
    "CREATE TRIGGER tr AFTER INSERT ON t BEGIN INSERT INTO u VALUES (1) ON CONFLICT (a) DO NOTHING; END;\n",
    "CREATE FUNCTION f() RETURNS void LANGUAGE sql BEGIN ATOMIC INSERT INTO t VALUES (1) ON CONFLICT DO NOTHING;"
    " END;",
    "COPY t FROM stdin;\n1\tx\n\\.\n\\set x 1\nINSERT INTO t SELECT * FROM u WHERE true ON CONFLICT (a) DO NOTHING;",
    "/* a /* nested */ comment */ INSERT INTO [t] (`a`) VALUES (1) ON CONFLICT (lower(a)) WHERE a > 0 DO NOTHING",
    "DO $tag$ BEGIN INSERT INTO t VALUES (1) ON CONFLICT DO NOTHING; END $tag$;",
]
PY_SEEDS = [
    'conn.execute("INSERT INTO t (a) VALUES (?) ON CONFLICT (a) DO NOTHING", (1,))\n',
    'TABLE = "t"\nQ = f"INSERT INTO {TABLE} (a) VALUES ({x}) ON CONFLICT (a) DO UPDATE SET b = {y!r:>3}"\n',
    'q = "INSERT INTO %s (a) VALUES (%s) ON CONFLICT (%(k)s) DO NOTHING" % (t, v)\n',
    'q = "INSERT INTO {} (a) VALUES ({v}) ON CONFLICT ({0.k[1]}) DO NOTHING".format(t, v=v)\n',
    "q = ('INSERT INTO t (a) '\n     'VALUES (1) ' + tail + \"ON CONFLICT (a) \\\n DO NOTHING\")\n",
    'revision = "abc"\ndown_revision = None\ndef upgrade():\n    op.execute(r"""INSERT INTO t VALUES (1)\n'
    '    ON CONFLICT DO NOTHING""")\n',
    "import sqlalchemy as sa\nfrom sqlalchemy.dialects.postgresql import insert\nmd = sa.MetaData()\n"
    "t = sa.Table('t', md, sa.Column('a', sa.Integer, primary_key=True), sa.Column('b', sa.Boolean))\n"
    "def f(v):\n    stmt = insert(t).values(a=v)\n    return stmt.on_conflict_do_update(index_elements=[t.c.a],"
    " index_where=t.c.b.is_(None) & (t.c.a > 1), set_={'b': True})\n",
    "from sqlalchemy import PrimaryKeyConstraint, Column, Integer\nfrom sqlalchemy.dialects import sqlite\n"
    "from sqlalchemy.orm import DeclarativeBase\nclass Base(DeclarativeBase):\n    pass\nclass M(Base):\n"
    "    __tablename__ = 'm'\n    __table_args__ = (PrimaryKeyConstraint('a', name='pk_m'), {'schema': 's'})\n"
    "    a = Column(Integer)\nq = sqlite.insert(M).on_conflict_do_nothing(M.__table__.primary_key.columns)\n",
    "from app.db import upsert\nupsert(model=M, conflict_cols=['a'], where=M.a > 0)\nupsert(M, *cols)\n",
    "from sqlalchemy.dialects.postgresql import insert\nfrom sqlalchemy import UniqueConstraint, Index, text, func\n"
    "uq = UniqueConstraint('a', name='uq')\nq = insert(T).on_conflict_do_nothing(constraint=uq)\n"
    "r = insert(T).on_conflict_do_nothing(index_elements=[func.lower(T.c.a), text('(b)')])\n",
]
#: Pieces that open, close or hide statements and upserts.
SQL_PIECES = [
    "'", "''", '"', "`", "[", "]", "$$", "$a$", "$1", "E'", "\\", "\\.", "/*", "*/", "--", "\n", ";", " ", "(", ")",
    ",", ".", "?", ":x", "%s", "%(k)s", "{", "}", "{x}", "INSERT", "INTO", "OR", "ON", "CONFLICT", "DO", "NOTHING",
    "UPDATE", "SET", "WHERE", "BEGIN", "END", "CASE", "ATOMIC", "CREATE", "TRIGGER", "FUNCTION", "COPY", "FROM",
    "stdin", "t", "a", "excluded", "VALUES", "CONSTRAINT", "__schema_parity_hole_0__", "é", "\r", "\t", "\x00",
]
PY_PIECES = [
    "'", '"', '"""', "f'", "f\"", "r'", "b'", "rf'", "{", "}", "{{", "}}", "!r", ":>3", "%", "%s", "%(k)s", ".format(",
    "(", ")", "[", "]", ",", "+", "\\", "\\n", "\\N{BULLET}", "\\x41", "\\777", "\n", "    ", "#", "=", "q", "t",
    "insert(", "on_conflict_do_update(", "on_conflict_do_nothing(", "index_elements=", "constraint=",
    "index_where=", "set_=", ".values(", "**kw", "*a", "T.c.a", "upsert(", "def f(x):\n    ", "class M(Base):\n    ",
    "__tablename__ = 'm'\n", "INSERT INTO t VALUES (1) ON CONFLICT DO NOTHING",
    "revision = 'a'\ndown_revision = None\n",
    "import sqlalchemy as sa\n", "from sqlalchemy.dialects.postgresql import insert\n", "lambda: ", "await ", "é",
]


@st.composite
def mutated(draw: st.DrawFn, seeds: list[str], pieces: list[str]) -> str:
    """A seed after a few edits: a slice cut out, a piece or random text inserted, a slice repeated."""
    text = draw(st.sampled_from(seeds))
    for _ in range(draw(st.integers(0, 4))):
        start = draw(st.integers(0, len(text)))
        end = draw(st.integers(start, min(len(text), start + 40)))
        edit = draw(st.sampled_from(["cut", "piece", "text", "repeat"]))
        if edit == "cut":
            text = text[:start] + text[end:]
        elif edit == "piece":
            text = text[:start] + draw(st.sampled_from(pieces)) + text[start:]
        elif edit == "text":
            text = text[:start] + draw(st.text(max_size=8)) + text[end:]
        else:
            text = text[:end] + text[start:end] + text[end:]
    return text


def soup(pieces: list[str]) -> st.SearchStrategy[str]:
    return st.lists(st.sampled_from(pieces), max_size=40).map("".join)


# -- valid Python that stresses the SQLAlchemy reader: random expressions wherever the call takes one ----------------
NAMES = st.sampled_from(["a", "b", "zz", "id", "note"])
LEAF = st.one_of(
    st.sampled_from(["1", "0", "-1", "'a'", "'zz'", "''", "None", "True", "b'a'", "1.5", "'\u00b2'", "x", "kw"]),
    st.tuples(st.sampled_from(["t.c.", "M.", "M.__table__.c.", "t.columns.", "u.c.", "self."]), NAMES).map("".join),
    NAMES.map(lambda name: f"t.c[{name!r}]"),
)
OPERATORS = ["==", "!=", "<", ">=", "&", "|", "+", "%", "is", "in", "and"]
METHODS = ["is_", "is_not", "isnot", "in_", "notin_", "like", "ilike", "is_distinct_from", "upper", "label"]
CALLS = ["func.lower", "sa.func.coalesce", "text", "sa.text", "literal_column", "sa.column", "sa.and_", "sa.or_",
         "sa.not_", "sa.true", "sa.null", "Index", "UniqueConstraint", "len"]


def _calls(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    arguments = st.lists(inner, max_size=3).map(", ".join)
    return st.one_of(
        st.tuples(inner, st.sampled_from(OPERATORS), inner).map(lambda x: f"({x[0]} {x[1]} {x[2]})"),
        inner.map(lambda e: f"~{e}"),
        inner.map(lambda e: f"(not {e})"),
        st.tuples(inner, st.sampled_from(METHODS), arguments).map(lambda x: f"({x[0]}).{x[1]}({x[2]})"),
        st.tuples(st.sampled_from(CALLS), arguments).map(lambda x: f"{x[0]}({x[1]})"),
        arguments.map(lambda a: f"[{a}]"),
        arguments.map(lambda a: f"({a},)" if a else "()"),
    )


EXPRESSION = st.recursive(LEAF, _calls, max_leaves=6)
CONSTRAINT = st.one_of(
    EXPRESSION,
    st.sampled_from(["t.primary_key", "M.__table__.primary_key", "'uq'", "NAME", "uq"]),
    st.tuples(st.sampled_from(["Index", "sa.Index", "UniqueConstraint", "sa.PrimaryKeyConstraint",
                               "ExcludeConstraint"]),
              st.lists(EXPRESSION, max_size=3), st.sampled_from(["", "name='c'", "name=None", "name=1",
                                                                 "unique=True, postgresql_where=t.c.b"]))
    .map(lambda x: f"{x[0]}({', '.join([*x[1], x[2]]).strip(', ')})"),
)
CONVENTION = st.dictionaries(
    st.sampled_from(["'uq'", "'pk'", "'ix'", "UniqueConstraint", "1"]),
    st.sampled_from(["'uq_%(table_name)s_%(column_0_N_name)s'", "'%(bogus)s'", "'pk_%(table_name)s'", "'%'", "2"]),
    max_size=2,
).map(lambda d: "{" + ", ".join(f"{k}: {v}" for k, v in d.items()) + "}")
COLUMN = st.tuples(
    st.sampled_from(["sa.Column", "Column", "mapped_column", "sa.column"]),
    st.lists(st.sampled_from(["'a'", "'b'", "'zz'", "sa.Integer", "sa.Boolean", "1", "None", "sa.ForeignKey('u.a')"]),
             max_size=2),
    st.lists(st.sampled_from(["primary_key=True", "key='k'", "key=1", "name=2", "name='n'", "default=0",
                              "type_=sa.Boolean", "**kw"]), max_size=2),
).map(lambda x: f"{x[0]}({', '.join([*x[1], *x[2]])})")
KEYWORDS = st.fixed_dictionaries(
    {},
    optional={
        "index_elements": st.one_of(st.lists(EXPRESSION, max_size=3).map(lambda xs: f"[{', '.join(xs)}]"), EXPRESSION),
        "constraint": CONSTRAINT,
        "index_where": EXPRESSION,
        "set_": st.dictionaries(st.sampled_from(["'a'", "'zz'", "t.c.b", "1", "None"]), EXPRESSION, max_size=2).map(
            lambda d: "{" + ", ".join(f"{k}: {v}" for k, v in d.items()) + "}"
        ),
    },
)


@st.composite
def sqlalchemy_module(draw: st.DrawFn) -> str:
    """A module with a Table and a mapped class built from random parts, and upserts on them."""
    columns = ", ".join(draw(st.lists(COLUMN, min_size=1, max_size=3)))
    table_args = ", ".join(draw(st.lists(CONSTRAINT, max_size=2)))
    insert = draw(st.sampled_from(["insert", "sqlite_insert", "sa.insert", "postgresql.insert"]))
    values = draw(st.sampled_from(["", ".values(a=1)", ".values({'a': 1, t.c.b: 2})", ".values([{'zz': 1}])",
                                   ".values(**kw)", ".from_select(['a'], s)", ".values(1)"]))
    keywords = draw(KEYWORDS)
    positional = draw(st.lists(EXPRESSION, max_size=1))
    arguments = ", ".join([*positional, *(f"{key}={value}" for key, value in keywords.items())])
    action = draw(st.sampled_from(["on_conflict_do_update", "on_conflict_do_nothing"]))
    target = draw(st.sampled_from(["t", "M", "M.__table__", "T", "t.c.a", "S", "Child", "x"]))
    wrapper_arguments = ", ".join(
        [*draw(st.lists(EXPRESSION, max_size=2)), *draw(st.lists(st.sampled_from(
            ["model=M", "model=t", "conflict_cols=['a']", "conflict_cols=x", "where=t.c.b", "constraint='uq'",
             "constraint=uq", "**kw"]), max_size=2, unique=True))]
    )
    bases = draw(st.sampled_from(["Base", "Base, Mixin", "Mixin, Base", "object", "SQLModel, table=True", "Nope"]))
    body = "\n".join(f"    {line}" for line in draw(st.lists(st.sampled_from(
        ["a: Mapped[int] = mapped_column(primary_key=True)", "b: Mapped[bool]", "c: int = Field(default=1)",
         "d: int", "__table__ = t", "__table_args__ = {'schema': 's'}", "e: ClassVar[int] = 1", "f = 1",
         "g: Mapped['X'] = mapped_column('gg', key='g')"]), min_size=1, max_size=3)))
    return (
        "import sqlalchemy as sa\n"
        "from sqlalchemy import Column, Index, UniqueConstraint, PrimaryKeyConstraint, text, func, literal_column\n"
        "from sqlalchemy.dialects import postgresql\n"
        "from sqlalchemy.dialects.postgresql import insert, ExcludeConstraint\n"
        "from sqlalchemy.dialects.sqlite import insert as sqlite_insert\n"
        "from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column\n"
        "from sqlmodel import SQLModel, Field\nfrom typing import ClassVar\nfrom app.db import upsert\n"
        "from .models import *\nfrom ..elsewhere import T\n"
        f"NAME = 'uq'\nmd = sa.MetaData(naming_convention={draw(CONVENTION)})\n"
        f"t = sa.Table('t', md, {columns}, {table_args})\n"
        "class Base(DeclarativeBase):\n    metadata = md\n"
        f"class Mixin:\n{body}\n"
        f"class M(Base):\n    __tablename__ = {draw(st.sampled_from(['m', 't', 1, None]))!r}\n"
        f"    __table_args__ = ({table_args}{',' if table_args else ''})\n    a = {draw(COLUMN)}\n"
        f"class S({bases}):\n{body}\nclass Child(M):\n    pass\n"
        f"uq = {draw(CONSTRAINT)}\n"
        f"def save(x, kw):\n    stmt = {insert}({target}){values}\n"
        f"    if x:\n        stmt = stmt.returning(t.c.a)\n    return stmt.{action}({arguments})\n"
        f"upsert({wrapper_arguments})\n"
    )


FIELD = st.text(st.sampled_from("0123\u00b2\u0663ab_.[]!:rs{}%()*#-+ "), max_size=6)
TEMPLATE = st.one_of(
    st.tuples(FIELD, st.lists(LEAF, max_size=2)).map(
        lambda x: f'q = "INSERT INTO t (a) VALUES ({{{x[0]}}}) ON CONFLICT (a) DO NOTHING".format({", ".join(x[1])})\n'
    ),
    st.tuples(FIELD, st.lists(LEAF, max_size=2)).map(
        lambda x: f'q = "INSERT INTO t (a) VALUES (%{x[0]}) ON CONFLICT (a) DO NOTHING" % ({", ".join(x[1])})\n'
    ),
    st.tuples(FIELD, LEAF).map(lambda x: f'q = f"INSERT INTO {{{x[1]}}} VALUES ({x[0]}) ON CONFLICT DO NOTHING"\n'),
)

SQL_TEXT = st.one_of(st.text(), soup(SQL_PIECES), mutated(SQL_SEEDS, SQL_PIECES))
PY_TEXT = st.one_of(
    st.text(),
    soup(PY_PIECES),
    mutated(PY_SEEDS, PY_PIECES),
    mutated(SQL_SEEDS, SQL_PIECES),
    sqlalchemy_module(),
    TEMPLATE,
)


def _well_placed(sites: list[Site], text: str) -> None:
    line_count = text.count("\n") + 1
    for site in sites:
        assert 1 <= site.line <= line_count and site.column >= 1, site
        assert (site.sql is None) != (site.unresolved is None), site


@SETTINGS
@given(SQL_TEXT)
def test_sql_extraction_never_raises(text: str) -> None:
    sites, problems = sql_file_sites(text, "x.sql")
    _well_placed(sites, text)
    lines = text.split("\n")
    for site in sites:  # a .sql site is the statement's own text, at its own position
        offset = sum(len(line) + 1 for line in lines[: site.line - 1]) + site.column - 1
        assert text[offset:].startswith(site.sql or ""), site
    assert all(problem.line >= 1 and problem.path == "x.sql" for problem in problems)


@SETTINGS
@given(PY_TEXT)
def test_python_extraction_never_raises(text: str) -> None:
    sites, problems = sites_from_python(text, "app/x.py", wrappers=WRAPPERS)
    _well_placed(sites, text.replace("\r\n", "\n").replace("\r", "\n"))
    assert all(problem.path == "app/x.py" for problem in problems)
    assert not (sites and problems)


@SETTINGS
@given(
    st.one_of(
        st.binary(max_size=200),
        PY_TEXT.map(lambda text: text.encode("utf-8", "surrogatepass")),
        st.tuples(st.sampled_from(["latin-1", "utf-16", "bogus"]), PY_TEXT).map(
            lambda pair: f"# -*- coding: {pair[0]} -*-\n{pair[1]}".encode("utf-8", "surrogatepass")
        ),
    ),
    st.sampled_from([".py", ".sql"]),
)
def test_scan_file_never_raises(data: bytes, suffix: str) -> None:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / f"x{suffix}"
        path.write_bytes(data)
        sites, problems = scan_file(path, f"x{suffix}", wrappers=WRAPPERS)
    assert all(site.path == f"x{suffix}" for site in sites)
    assert all(not problem.message.startswith("internal error") for problem in problems), problems


@SETTINGS
@given(sqlalchemy_module(), sqlalchemy_module(), st.sampled_from([(), WRAPPERS]))
def test_scanning_a_generated_package_never_meets_an_internal_error(models: str, use: str, wrappers: tuple) -> None:
    """Tables and models found through imports of another module of the tree (``from .models import *``)."""
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory)
        (root / "app").mkdir()
        (root / "app" / "__init__.py").write_text("")
        (root / "app" / "models.py").write_text(models)
        (root / "app" / "use.py").write_text(use)
        result = scan([root], root=root, wrappers=wrappers)
    assert all(not problem.message.startswith("internal error") for problem in result.problems), result.problems
    assert result.problems == [] and len(result.sites) >= 1
