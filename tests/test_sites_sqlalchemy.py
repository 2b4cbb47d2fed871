"""SQLAlchemy upserts and project wrappers: every call form, checked against what SQLAlchemy itself compiles.

Each example project is written to a temporary directory, scanned, and then imported for real: the function holding
each ``.on_conflict_*`` call returns its statement, SQLAlchemy compiles it for the dialect, and the ON CONFLICT clause
must mean the same as the one in the emitted site (bind parameters spelled ``?``).
"""

from __future__ import annotations

import ast
import importlib
import itertools
import re
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from schema_parity.check import run_check
from schema_parity.sites import Site
from schema_parity.sites.scan import scan
from schema_parity.sources import SchemaOptions
from schema_parity.wrappers import Wrapper
from tests.alembic_projects import Revision, write_project

_PACKAGES = itertools.count()

MODELS = """\
import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

CONVENTION = {"uq": "uq_%(table_name)s_%(column_0_N_name)s", "pk": "pk_%(table_name)s"}


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=CONVENTION)


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    email_addr: Mapped[str] = mapped_column("email")
    active: Mapped[bool]
    score: Mapped[int] = mapped_column(default=0)


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
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, str]]:
    """A fresh importable package directory (its name is unique, so imports never collide)."""
    package = f"sp_example_{next(_PACKAGES)}"
    (tmp_path / package).mkdir()
    (tmp_path / package / "__init__.py").write_text("")
    (tmp_path / package / "models.py").write_text(MODELS)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path, package
    for name in [n for n in sys.modules if n == package or n.startswith(package + ".")]:
        del sys.modules[name]


def _write(root: Path, relative: str, source: str) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(source))


def _sites(root: Path, **kwargs: object) -> list[Site]:
    result = scan(["."], root=root, **kwargs)  # type: ignore[arg-type]
    assert result.problems == []
    return [s for s in result.sites if s.origin in ("sqlalchemy", "wrapper")]


def _target(sql: str) -> str:
    """``ON CONFLICT <target> DO <action>`` with bind parameters spelled ``?``, the SET list and RETURNING dropped."""
    clause = sql[sql.index(" ON CONFLICT") :].split(" RETURNING ", maxsplit=1)[0]
    clause = re.sub(r"%\(\w+\)s(::\w+(\(\d+\))?)?|\?", "?", clause)
    clause = re.sub(r"(DO UPDATE).*", r"\1", clause)
    return " ".join(clause.split())


def _compiled(statement: sa.sql.Executable, dialect: str) -> str:
    """What SQLAlchemy sends: PostgreSQL's default driver, SQLite with its literal_execute parameters inlined."""
    if dialect == "postgresql":
        return str(statement.compile(dialect=postgresql.dialect()))
    compiled = statement.compile(dialect=sqlite.dialect())

    def literal(match: re.Match[str]) -> str:
        value = compiled.binds[match.group(1)].effective_value
        return str(sa.literal(value).compile(dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True}))

    return re.sub(r"__\[POSTCOMPILE_(\w+)\]", literal, str(compiled))


# -- every call form, compared with SQLAlchemy ----------------------------------------------------------------------
# (name, imports, body returning the statement, dialect, the emitted SQL)
CASES = [
    (
        "pg_alias_chained_strings_values_returning",
        "from sqlalchemy.dialects.postgresql import insert as pg_insert",
        'return pg_insert(User).values(email_addr="a", active=True).on_conflict_do_update('
        'index_elements=["email"], set_={"active": False}).returning(User.id)',
        "postgresql",
        "INSERT INTO users (email, active, score) VALUES (?, ?, ?) ON CONFLICT (email) DO UPDATE SET active = "
        "excluded.active",
    ),
    (
        "module_import_intermediate_variables_orm_attribute",
        "from sqlalchemy.dialects import postgresql",
        """\
        stmt = postgresql.insert(User).values({User.email_addr: "a", "active": True})
        stmt = stmt.on_conflict_do_update(index_elements=[User.email_addr], index_where=User.active == True,
                                          set_={User.score: stmt.excluded.score})
        return stmt""",
        "postgresql",
        "INSERT INTO users (email, active, score) VALUES (?, ?, ?) ON CONFLICT (email) WHERE active = true "
        "DO UPDATE SET score = excluded.score",
    ),
    (
        "sqlite_positional_index_elements_func_and_bool_where",
        "from sqlalchemy import func\nfrom sqlalchemy.dialects.sqlite import insert",
        "return insert(User).values(email_addr='a', active=True).on_conflict_do_nothing("
        "[func.lower(User.email_addr)], User.active == True)",
        "sqlite",
        "INSERT INTO users (email, active, score) VALUES (?, ?, ?) ON CONFLICT (lower(email)) WHERE active = 1 "
        "DO NOTHING",
    ),
    (
        "fully_qualified_sqlite_text_element",
        "import sqlalchemy",
        'return sqlalchemy.dialects.sqlite.insert(events).values(k="x").on_conflict_do_nothing('
        'index_elements=[sqlalchemy.text("lower(k)")])',
        "sqlite",
        "INSERT INTO events (k) VALUES (?) ON CONFLICT (lower(k)) DO NOTHING",
    ),
    (
        "pg_positional_constraint_name",
        "from sqlalchemy.dialects import postgresql as pg",
        'return pg.insert(events).values(k="x").on_conflict_do_nothing("uq_events_k")',
        "postgresql",
        "INSERT INTO events (k) VALUES (?) ON CONFLICT ON CONSTRAINT uq_events_k DO NOTHING",
    ),
    (
        "constraint_primary_key_with_naming_convention",
        "from sqlalchemy.dialects.postgresql import insert",
        'return insert(events).values(id=1, k="x").on_conflict_do_update(constraint=events.primary_key, '
        'set_={"k": "y"})',
        "postgresql",
        "INSERT INTO events (id, k) VALUES (?, ?) ON CONFLICT ON CONSTRAINT pk_events DO UPDATE SET k = excluded.k",
    ),
    (
        "constraint_primary_key_without_convention_is_columns",
        "from sqlalchemy.dialects.postgresql import insert",
        "return insert(Tag.__table__).values(name='x').on_conflict_do_nothing(constraint=Tag.__table__.primary_key)",
        "postgresql",
        'INSERT INTO tags ("Name") VALUES (?) ON CONFLICT (id) DO NOTHING',
    ),
    (
        "constraint_index_object_renders_columns_and_where",
        "from sqlalchemy.dialects.postgresql import insert",
        'return insert(events).values(k="x").on_conflict_do_nothing(constraint=by_k)',
        "postgresql",
        "INSERT INTO events (k) VALUES (?) ON CONFLICT (k) WHERE flag DO NOTHING",
    ),
    (
        "constraint_unique_object_named_by_convention",
        "import sqlalchemy as sa\nfrom sqlalchemy.dialects.postgresql import insert",
        "uq = sa.UniqueConstraint(User.email_addr)\n"
        "return insert(User).values(email_addr='a', active=True).on_conflict_do_nothing(constraint=uq)",
        "postgresql",
        "INSERT INTO users (email, active, score) VALUES (?, ?, ?) ON CONFLICT ON CONSTRAINT uq_users_email DO NOTHING",
    ),
    (
        "constraint_unique_object_unnamed_without_convention",
        "import sqlalchemy as sa\nfrom sqlalchemy.dialects.postgresql import insert",
        'return insert(tags).values(name="x").on_conflict_do_nothing(constraint=sa.UniqueConstraint(tags.c.name))',
        "postgresql",
        'INSERT INTO tags ("Name") VALUES (?) ON CONFLICT ("Name") DO NOTHING',
    ),
    (
        "pg_index_where_literal_is_a_bind_parameter",
        "from sqlalchemy.dialects.postgresql import insert",
        'return insert(events).values(k="x").on_conflict_do_nothing(index_elements=[events.c.k], '
        "index_where=(events.c.n > 5) & events.c.k.is_not(None))",
        "postgresql",
        "INSERT INTO events (k) VALUES (?) ON CONFLICT (k) WHERE n > ? AND k IS NOT NULL DO NOTHING",
    ),
    (
        "sqlite_index_where_literal_is_inlined",
        "import sqlalchemy as sa\nfrom sqlalchemy.dialects.sqlite import insert",
        'return insert(events).values(k="x").on_conflict_do_nothing(index_elements=["k"], '
        'index_where=sa.and_(events.c.n > 5, events.c.k == "a", events.c.flag.is_(True)))',
        "sqlite",
        "INSERT INTO events (k) VALUES (?) ON CONFLICT (k) WHERE n > 5 AND k = 'a' AND flag IS 1 DO NOTHING",
    ),
    (
        "values_after_on_conflict",
        "from sqlalchemy.dialects.postgresql import insert",
        'return insert(events).on_conflict_do_nothing(index_elements=events.primary_key).values(k="x")',
        "postgresql",
        "INSERT INTO events (k) VALUES (?) ON CONFLICT (id) DO NOTHING",
    ),
    (
        "no_values_means_unknown_columns_and_primary_key_columns",
        "from sqlalchemy.dialects.postgresql import insert",
        "return insert(events).on_conflict_do_nothing(index_elements=events.primary_key.columns)",
        "postgresql",
        "INSERT INTO events VALUES (?) ON CONFLICT (id) DO NOTHING",
    ),
    (
        "module_constant_list_and_c_subscript",
        "from sqlalchemy.dialects.postgresql import insert\nKEYS = ['k', 'n']",
        'return insert(events).values([{"k": "x", "n": 1}]).on_conflict_do_update(index_elements=KEYS, '
        'set_={events.c["n"]: 2})',
        "postgresql",
        "INSERT INTO events (k, n) VALUES (?, ?) ON CONFLICT (k, n) DO UPDATE SET n = excluded.n",
    ),
    (
        "single_table_inheritance_and_quoted_names",
        "from sqlalchemy.dialects.postgresql import insert",
        'return insert(Admin).values(active=False).on_conflict_do_nothing(index_elements=["Mixed Case"])',
        "postgresql",
        'INSERT INTO users (active, score) VALUES (?, ?) ON CONFLICT ("Mixed Case") DO NOTHING',
    ),
    (
        "target_less_do_nothing_from_select",
        "import sqlalchemy as sa\nfrom sqlalchemy.dialects.postgresql import insert",
        'return insert(events).from_select(["k"], sa.select(sa.literal("x"))).on_conflict_do_nothing()',
        "postgresql",
        "INSERT INTO events (k) SELECT ? ON CONFLICT DO NOTHING",
    ),
    (
        "branches_of_an_if_do_not_reach_each_other",
        "from sqlalchemy.dialects.postgresql import insert",
        """\
        stmt = insert(events).values(k="x")
        if events is None:
            stmt = stmt.on_conflict_do_nothing(constraint="other")
        else:
            stmt = stmt.on_conflict_do_nothing(index_elements=["k"])
        return stmt""",
        "postgresql",
        "INSERT INTO events (k) VALUES (?) ON CONFLICT (k) DO NOTHING",
    ),
    (
        "import_in_a_function_the_try_body_before_its_except_import_error",
        "",
        """\
        try:
            from sqlalchemy.dialects.postgresql import insert
        except ImportError:  # not taken: the path without an exception is the one read
            from sqlalchemy.dialects.sqlite import insert
        return insert(events).values(k="x").on_conflict_do_nothing(index_elements=["k"])""",
        "postgresql",
        "INSERT INTO events (k) VALUES (?) ON CONFLICT (k) DO NOTHING",
    ),
    (
        "module_import_in_a_try_else_the_except_clause_a_fallback",
        "try:\n    import sqlalchemy.dialects.sqlite\nexcept ImportError:\n    insert = None\n"
        "else:\n    from sqlalchemy.dialects.sqlite import insert",
        'return insert(events).values(k="x").on_conflict_do_nothing(index_elements=["k"])',
        "sqlite",
        "INSERT INTO events (k) VALUES (?) ON CONFLICT (k) DO NOTHING",
    ),
    (
        "tuple_assignment_item_by_item",
        "from sqlalchemy.dialects.postgresql import insert",
        """\
        stmt, columns = insert(events).values(k="x"), ["k"]
        return stmt.on_conflict_do_nothing(index_elements=columns)""",
        "postgresql",
        "INSERT INTO events (k) VALUES (?) ON CONFLICT (k) DO NOTHING",
    ),
]


class _ExecuteReturned(ast.NodeTransformer):
    """``return stmt`` → ``session.execute(stmt)``: executed here, without parameters."""

    def visit_Return(self, node: ast.Return) -> ast.stmt:
        assert node.value is not None
        call = ast.Call(ast.Attribute(ast.Name("session"), "execute"), [node.value], [])
        return ast.copy_location(ast.Expr(call), node)


@pytest.mark.parametrize(("name", "imports", "body", "dialect", "expected"), CASES, ids=[c[0] for c in CASES])
def test_call_form_matches_what_sqlalchemy_compiles(
    project: tuple[Path, str], name: str, imports: str, body: str, dialect: str, expected: str
) -> None:
    root, package = project
    source = (
        f"{imports}\nfrom .models import Admin, Tag, User, by_k, events, tags\n\n\n"
        f"def build():\n{textwrap.indent(textwrap.dedent(body), '    ')}\n"
    )
    _write(root, f"{package}/upserts.py", source)
    # A returned statement may be executed with parameters that add columns (see test_sites_real_code.py): the
    # scanned copy executes it without parameters, as the statement SQLAlchemy compiles below is.
    _write(root, f"{package}/executed.py", ast.unparse(_ExecuteReturned().visit(ast.parse(source))))
    sites = _sites(root, exclude=["*/upserts.py"])
    site = sites[-1]  # the branch case has two calls: the one that reaches ``return`` is the last
    assert (site.path, site.origin, site.dialect, site.unresolved, site.columns_unknown) == (
        f"{package}/executed.py",
        "sqlalchemy",
        dialect,
        None,
        None,
    )
    assert site.sql == expected
    statement = importlib.import_module(f"{package}.upserts").build()
    assert _target(site.sql) == _target(_compiled(statement, dialect))


def test_site_is_located_at_the_on_conflict_method_name(project: tuple[Path, str]) -> None:
    root, package = project
    _write(
        root,
        f"{package}/a.py",
        """\
        from sqlalchemy.dialects.postgresql import insert
        from .models import events
        stmt = (
            insert(events)
            .values(k="x")
            .on_conflict_do_nothing(index_elements=["k"])
        )
        """,
    )
    [site] = _sites(root)
    assert (site.line, site.column) == (6, 6)


def test_sqlmodel_star_import_and_python_defaults(project: tuple[Path, str]) -> None:
    """keephq/keep: a SQLModel ``table=True`` class (table name = class name lowered) reached by ``import *``."""
    root, package = project
    _write(
        root,
        f"{package}/tables.py",
        """\
        from uuid import UUID, uuid4
        from sqlmodel import Field, SQLModel

        class AlertField(SQLModel, table=True):
            id: UUID = Field(default_factory=uuid4, primary_key=True)
            tenant_id: str
            field_name: str = Field(index=True)
        """,
    )
    _write(
        root,
        f"{package}/db.py",
        """\
        from sqlalchemy.dialects.postgresql import insert as pg_insert
        from .tables import *

        def upsert(session, tenant, fields):
            stmt = pg_insert(AlertField).values(tenant_id=tenant, field_name="f")
            stmt = stmt.on_conflict_do_update(index_elements=["tenant_id", "field_name"],
                                              set_={"field_name": stmt.excluded.field_name})
            session.execute(stmt)
        """,
    )
    [site] = _sites(root)
    assert site.sql == (
        "INSERT INTO alertfield (tenant_id, field_name, id) VALUES (?, ?, ?) ON CONFLICT (tenant_id, field_name) "
        "DO UPDATE SET field_name = excluded.field_name"
    )


def test_lightweight_table_in_a_migration_carries_the_revision(project: tuple[Path, str]) -> None:
    """onyx: ``sa.table(...)`` inside ``upgrade()`` and ``op.execute(insert(...).on_conflict_do_nothing(...))``."""
    root, _ = project
    _write(
        root,
        "migrations/versions/r2_seed.py",
        """\
        import sqlalchemy as sa
        from alembic import op
        from sqlalchemy.dialects.postgresql import insert

        revision = "r2"
        down_revision = "r1"

        def upgrade():
            grants = sa.table("permission_grant", sa.column("group_id"), sa.column("permission"))
            op.execute(insert(grants).values(group_id=1, permission="x")
                       .on_conflict_do_nothing(index_elements=["group_id", "permission"]))
            op.execute(sa.text("INSERT INTO t (a) VALUES (1) ON CONFLICT (a) DO NOTHING"))
        """,
    )
    sites = scan(["."], root=root).sites
    assert [(s.origin, s.revision, s.dialect) for s in sites] == [
        ("sqlalchemy", "r2", "postgresql"),
        ("migration", "r2", None),
    ]
    assert sites[0].sql == (
        "INSERT INTO permission_grant (group_id, permission) VALUES (?, ?) ON CONFLICT (group_id, permission) "
        "DO NOTHING"
    )


def test_set_computed_at_run_time_gets_a_stand_in_assignment(project: tuple[Path, str]) -> None:
    """onyx: ``set_=payload`` / ``{c.name: c for c in stmt.excluded}``: the target is judged, SET is a stand-in."""
    root, package = project
    _write(
        root,
        f"{package}/a.py",
        """\
        from sqlalchemy.dialects.postgresql import insert
        from .models import events

        def f(payload):
            stmt = insert(events).values(payload)
            return stmt.on_conflict_do_update(index_elements=["k"], set_={c.name: c for c in stmt.excluded})
        """,
    )
    [site] = _sites(root)
    assert site.sql == "INSERT INTO events VALUES (?) ON CONFLICT (k) DO UPDATE SET k = excluded.k"


# -- unresolved, with a reason naming the expression ------------------------------------------------------------------
UNRESOLVED = [
    (
        "table_parameter",
        "def f(model):\n    return insert(model).on_conflict_do_nothing()",
        "the table model is a parameter of f()",
    ),
    (
        "index_elements_computed",
        "def f(cols):\n    return insert(events).on_conflict_do_nothing(index_elements=cols)",
        "index_elements=cols is computed at run time",
    ),
    (
        "element_from_conditional",
        "def f(x):\n    col = 'k' if x else 'n'\n"
        "    return insert(events).on_conflict_do_nothing(index_elements=[col])",
        "col is computed at run time: 'k' if x else 'n' is not an SQL expression that can be read statically",
    ),
    (
        "constraint_variable",
        "def f(name):\n    return insert(events).on_conflict_do_nothing(constraint=name)",
        "constraint=name is a parameter of f(), computed at run time",
    ),
    (
        "insert_factory_on_an_injected_object",
        "def f(db):\n    return db.queries.insert(db.Flow).on_conflict_do_nothing(index_elements=['name'])",
        "the INSERT comes from db.queries.insert(db.Flow), not sqlalchemy.dialects.postgresql/sqlite.insert",
    ),
    (
        "keyword_arguments_spread",
        "def f(kw):\n    return insert(events).on_conflict_do_nothing(**kw)",
        "on_conflict_do_nothing(**...) passes its arguments at run time",
    ),
    (
        "statement_parameter",
        "def f(stmt):\n    return stmt.on_conflict_do_nothing()",
        "the INSERT statement stmt is a parameter of f()",
    ),
    (
        "unknown_column_attribute",
        "def f():\n    return insert(User).on_conflict_do_nothing(index_elements=[User.nope])",
        "User.nope is not a column of User",
    ),
    (
        "constraint_and_index_elements",
        "def f():\n    return insert(events).on_conflict_do_nothing(constraint='c', index_elements=['k'])",
        "constraint= and index_elements= are both given (ValueError at run time)",
    ),
    (
        "for_target_shadows_an_imported_table",
        "def f(tables):\n    for events in tables:\n        insert(events).on_conflict_do_nothing()",
        "the table events is the target of a for loop in f()",
    ),
    (
        "with_target_shadows_a_module_statement",
        "stmt = insert(events).values(k='x')\n\n\ndef f(make):\n    with make() as stmt:\n"
        "        return stmt.on_conflict_do_nothing(index_elements=['k'])",
        "the INSERT statement stmt is bound by a with statement in f()",
    ),
    (
        "augmented_assignment_in_a_function",
        "def f():\n    cols = ['k']\n    cols += ['n']\n"
        "    return insert(events).on_conflict_do_nothing(index_elements=cols)",
        "index_elements=cols is computed at run time",
    ),
    (
        "augmented_assignment_at_module_level",
        "COLUMNS = ['k']\nCOLUMNS += ['n']\n\n\ndef f():\n"
        "    return insert(events).on_conflict_do_nothing(index_elements=COLUMNS)",
        "index_elements=COLUMNS is computed at run time",
    ),
    (
        "table_outside_the_tree",
        "from otherlib import Thing\n\ndef f():\n    return insert(Thing).on_conflict_do_nothing()",
        "the table Thing is imported from otherlib.Thing, outside the scanned tree",
    ),
]


@pytest.mark.parametrize(("name", "body", "reason"), UNRESOLVED, ids=[u[0] for u in UNRESOLVED])
def test_what_cannot_be_known_statically_is_unresolved(
    project: tuple[Path, str], name: str, body: str, reason: str
) -> None:
    root, package = project
    _write(
        root,
        f"{package}/a.py",
        f"from sqlalchemy.dialects.postgresql import insert\nfrom .models import User, events\n\n{body}\n",
    )
    [site] = _sites(root)
    assert (site.sql, site.unresolved, site.origin) == (None, reason, "sqlalchemy")


def test_constraint_does_not_exist_on_sqlite(project: tuple[Path, str]) -> None:
    root, package = project
    _write(
        root,
        f"{package}/a.py",
        """\
        from sqlalchemy.dialects.sqlite import insert
        from .models import events
        s = insert(events).on_conflict_do_nothing(constraint="c")
        """,
    )
    [site] = _sites(root)
    assert (site.dialect, site.unresolved) == (
        "sqlite",
        "constraint= does not exist on sqlite.insert (TypeError at run time)",
    )


def test_positional_first_argument_differs_by_dialect(project: tuple[Path, str]) -> None:
    """langchain PR #32748: the same positional list is ``constraint`` on PostgreSQL, ``index_elements`` on SQLite."""
    root, package = project
    _write(
        root,
        f"{package}/a.py",
        """\
        from sqlalchemy.dialects import postgresql, sqlite
        from .models import events
        a = sqlite.insert(events).on_conflict_do_nothing(["k"])
        b = postgresql.insert(events).on_conflict_do_nothing(["k"])
        """,
    )
    first, second = _sites(root)
    assert first.sql == "INSERT INTO events VALUES (?) ON CONFLICT (k) DO NOTHING"
    assert (second.sql, second.unresolved) == (
        None,
        'constraint=["k"] is not a name or a constraint object found statically',
    )


# -- wrappers ---------------------------------------------------------------------------------------------------------
WRAPPER_DEF = """\
from sqlalchemy.dialects.postgresql import insert


def upsert(session, model, conflict_cols, values, where=None):
    session.execute(insert(model).values(values).on_conflict_do_nothing(index_elements=conflict_cols,
                                                                         index_where=where))
"""


def test_wrapper_calls_by_keyword_position_alias_and_module_attribute(project: tuple[Path, str]) -> None:
    root, package = project
    _write(root, f"{package}/db.py", WRAPPER_DEF)
    _write(
        root,
        f"{package}/use.py",
        f"""\
        from {package}.db import upsert as up
        from {package} import db
        from .models import User, events

        def f(session, rows):
            up(session, User, ["email"], rows)
            db.upsert(session, model=events, conflict_cols=[events.c.k], values=rows, where=events.c.flag)
            db.upsert(session, rows, rows, rows)
        """,
    )
    wrapper = Wrapper.from_dict(
        {
            "function": f"{package}.db.upsert",
            "table": "model",
            "index_elements": "conflict_cols",
            "index_where": "where",
            "dialect": "postgresql",
            "action": "nothing",
        }
    )
    sites = [s for s in _sites(root, wrappers=[wrapper]) if s.origin == "wrapper"]
    assert [(s.line, s.column, s.sql, s.unresolved) for s in sites] == [
        (6, 5, "INSERT INTO users VALUES (?) ON CONFLICT (email) DO NOTHING", None),
        (7, 5, "INSERT INTO events VALUES (?) ON CONFLICT (k) WHERE flag DO NOTHING", None),
        (8, 5, None, "the table rows is a parameter of f()"),
    ]
    assert {s.dialect for s in sites} == {"postgresql"}


def test_wrapper_positional_index_and_both_dialects(project: tuple[Path, str]) -> None:
    """A wrapper outside the tree: positions only; dialect None → one site per engine when they differ."""
    root, package = project
    _write(
        root,
        f"{package}/use.py",
        """\
        from mylib import save
        from .models import events

        save(events, ["k"], events.c.flag == True)
        save(events, ["k"])
        """,
    )
    wrapper = Wrapper(function="mylib.save", table=0, index_elements=1, index_where=2)
    sites = _sites(root, wrappers=[wrapper])
    assert [(s.line, s.dialect, s.sql) for s in sites] == [
        (
            4,
            "postgresql",
            "INSERT INTO events VALUES (?) ON CONFLICT (k) WHERE flag = true DO UPDATE SET k = excluded.k",
        ),
        (4, "sqlite", "INSERT INTO events VALUES (?) ON CONFLICT (k) WHERE flag = 1 DO UPDATE SET k = excluded.k"),
        (5, None, "INSERT INTO events VALUES (?) ON CONFLICT (k) DO UPDATE SET k = excluded.k"),
    ]


def test_wrapper_configuration_is_validated() -> None:
    with pytest.raises(ValueError, match="unknown wrapper setting"):
        Wrapper.from_dict({"function": "a.b", "table": 0, "columns": 1})
    with pytest.raises(ValueError, match="needs"):
        Wrapper.from_dict({"table": 0})
    with pytest.raises(ValueError, match="dialect"):
        Wrapper.from_dict({"function": "a.b", "table": 0, "dialect": "mysql"})


def test_files_without_conflict_are_read_only_for_wrapper_names(project: tuple[Path, str]) -> None:
    root, package = project
    _write(root, f"{package}/use.py", "from mylib import save\nfrom .models import events\nsave(events, ['k'])\n")
    assert _sites(root) == []
    assert len(_sites(root, wrappers=[Wrapper("mylib.save", 0, 1, dialect="sqlite")])) == 1


# -- end to end -------------------------------------------------------------------------------------------------------
def test_run_check_judges_sqlalchemy_upserts_against_the_migrated_schema(tmp_path: Path) -> None:
    ini = write_project(
        tmp_path,
        [
            Revision(
                "r1",
                None,
                """\
        op.create_table("accounts", sa.Column("id", sa.Integer, primary_key=True),
                        sa.Column("email", sa.String, nullable=False), sa.Column("team", sa.String))
        op.create_unique_constraint("uq_accounts_email", "accounts", ["email"])
        """,
            )
        ],
    )
    _write(
        tmp_path,
        "app/models.py",
        """\
        import sqlalchemy as sa
        metadata = sa.MetaData()
        accounts = sa.Table("accounts", metadata, sa.Column("id", sa.Integer, primary_key=True),
                            sa.Column("email", sa.String), sa.Column("team", sa.String))
        """,
    )
    _write(
        tmp_path,
        "app/repo.py",
        """\
        from sqlalchemy.dialects.postgresql import insert
        from app.models import accounts

        def save(conn, email, team):
            ok = insert(accounts).values(email=email, team=team).on_conflict_do_update(
                index_elements=[accounts.c.email], set_={"team": team})
            broken = insert(accounts).values(email=email, team=team).on_conflict_do_nothing(
                index_elements=[accounts.c.team])
            conn.execute(ok)
            conn.execute(broken)
        """,
    )
    result = run_check(
        [tmp_path / "app"], root=tmp_path, schema=SchemaOptions(alembic_config=ini), dialects=("postgresql",)
    )
    by_line = {report.site.line: report for report in result.sites}
    assert {line: [v.status for v in report.verdicts] for line, report in by_line.items()} == {5: ["ok"], 7: ["error"]}
    [error] = result.errors
    assert (error.path, error.line) == ("app/repo.py", 7)
