"""Upsert sites as real codebases write them (issue 15): each pattern a small project of our own, judged or reported
unresolved with its reason, never a false alarm."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

from schema_parity.check import run_check
from schema_parity.config import resolve
from schema_parity.errors import ConfigError
from schema_parity.sites import Site
from schema_parity.sites.scan import scan
from schema_parity.sources import SchemaOptions
from schema_parity.wrappers import Wrapper
from tests.alembic_projects import Revision, write_project

MODELS = """\
import sqlalchemy as sa
metadata = sa.MetaData()
items = sa.Table(
    "items", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("k", sa.String, nullable=False),
    sa.Column("label", sa.String, nullable=False),
    sa.Column("created", sa.String, nullable=False),
)
"""
MIGRATION = """\
op.create_table("items", sa.Column("id", sa.Integer, primary_key=True), sa.Column("k", sa.String, nullable=False),
                sa.Column("label", sa.String, nullable=False), sa.Column("created", sa.String, nullable=False))
op.create_unique_constraint("uq_items_k", "items", ["k"])
"""


def _write(root: Path, files: dict[str, str]) -> None:
    for relative, source in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source))


def _sites(root: Path, **kwargs: object) -> dict[int, Site]:
    result = scan(["."], root=root, **kwargs)  # type: ignore[arg-type]
    assert result.problems == []
    return {s.line: s for s in result.sites if s.origin in ("sqlalchemy", "wrapper")}


# -- 4: parameters given at execution add inserted columns -------------------------------------------------------------
RUN_TIME_COLUMNS = """\
from sqlalchemy import func
from sqlalchemy.dialects.postgresql import insert
from app.models import items


def many(session, rows):
    session.execute(
        insert(items).values(id=func.gen_id(), created=func.now()).on_conflict_do_nothing(index_elements=["k"]),
        rows,
    )


def through_a_variable(session, rows):
    stmt = insert(items).values(created=func.now())
    stmt = stmt.on_conflict_do_update(index_elements=["k"], set_={"created": stmt.excluded.created})
    session.execute(stmt, params=rows)


async def awaited(session, rows):
    stmt = insert(items).values(created=func.now()).on_conflict_do_nothing(index_elements=["k"]).returning(items.c.id)
    return (await session.scalars(stmt, rows)).all()


def returned():
    return insert(items).values(created=func.now()).on_conflict_do_nothing(index_elements=["k"])


def handed_on(run):
    run(insert(items).values(created=func.now()).on_conflict_do_nothing(index_elements=["k"]))


def more_values_later(session, row):
    stmt = insert(items).values(created=func.now()).on_conflict_do_nothing(index_elements=["k"])
    session.execute(stmt.values(**row))


def loop_carried(session, batches):
    stmt = None
    for batch in batches:
        if stmt is not None:
            session.execute(stmt, batch)
        stmt = insert(items).values(created=func.now()).on_conflict_do_nothing(index_elements=["k"])


def no_parameters(session):
    stmt = insert(items).values(created=func.now()).on_conflict_do_nothing(index_elements=["k"])
    session.execute(stmt)
    stmt = select_something()
    session.execute(stmt, {"x": 1})
"""


def test_parameters_given_at_execution_leave_the_columns_unknown(tmp_path: Path) -> None:
    """``session.execute(insert(T).values(...).on_conflict_do_nothing(...), [dicts])``: SQLAlchemy adds the dicts'
    keys to the column list, so the literal keys are not all the columns; every other way the statement can reach
    parameters (returned, handed on, more ``.values()``) is treated the same. Executed without them, they are."""
    _write(tmp_path, {"app/__init__.py": "", "app/models.py": MODELS, "app/repo.py": RUN_TIME_COLUMNS})
    sites = _sites(tmp_path)
    reasons = {line: site.columns_unknown for line, site in sites.items()}
    assert reasons == {
        8: "session.execute(..., rows) passes parameters at run time, whose keys SQLAlchemy adds to the inserted "
        "columns",
        15: "session.execute(..., params=rows) passes parameters at run time, whose keys SQLAlchemy adds to the "
        "inserted columns",
        20: "session.scalars(..., rows) passes parameters at run time, whose keys SQLAlchemy adds to the inserted "
        "columns",
        25: "the statement is returned: where it runs, parameters may add inserted columns",
        29: "the statement is passed to run(insert(items).values(created=func.now()).on_conflict_do_nothing("
        'index_elements=["k"])), which may execute it with parameters that add inserted columns',
        33: "more values are given later, at stmt.values(**row)",
        42: "session.execute(..., batch) passes parameters at run time, whose keys SQLAlchemy adds to the inserted "
        "columns",
        46: None,
    }
    assert all(s.sql is not None and s.unresolved is None for s in sites.values())
    assert sites[8].sql == "INSERT INTO items VALUES (?) ON CONFLICT (k) DO NOTHING"
    assert sites[46].sql == "INSERT INTO items (created) VALUES (?) ON CONFLICT (k) DO NOTHING"


def test_no_false_alarm_on_rows_given_at_execution(tmp_path: Path) -> None:
    """The production pattern of issue 15 is judged (its target is fine) and SP301 does not fire; the same statement
    executed without parameters still gets SP301, so the rule is not simply off."""
    ini = write_project(tmp_path, [Revision("r1", None, MIGRATION)])
    _write(tmp_path, {"app/__init__.py": "", "app/models.py": MODELS, "app/repo.py": RUN_TIME_COLUMNS})
    result = run_check(
        [tmp_path / "app"], root=tmp_path, schema=SchemaOptions(alembic_config=ini), dialects=("postgresql",)
    )
    assert {(f.rule, f.line) for f in result.findings} == {("SP301", 46)}
    statuses = {r.site.line: [v.status for v in r.verdicts] for r in result.sites}
    assert statuses[8] == ["ok"]


# -- 3: names the scanner follows, files for a newer Python -----------------------------------------------------------
def test_dialect_insert_through_local_imports_aliases_and_re_exports(tmp_path: Path) -> None:
    """A dialect ``insert`` imported inside a function, bound to another name at module level
    (``insert = postgresql.insert``) or re-exported by a project module is SQLAlchemy's, so its upserts are read."""
    _write(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/models.py": MODELS,
            "app/dialect.py": "from sqlalchemy.dialects import postgresql\ninsert = postgresql.insert\n",
            "app/db/__init__.py": "from sqlalchemy.dialects.sqlite import insert\n__all__ = ['insert']\n",
            "app/repo.py": """\
            from sqlalchemy.dialects import postgresql
            from app.models import items
            from app.dialect import insert as aliased
            from app.db import insert as re_exported
            pg_insert = postgresql.insert


            def local(session):
                from sqlalchemy.dialects.postgresql import insert
                session.execute(insert(items).values(k="a").on_conflict_do_nothing(index_elements=["k"]))


            def alias(session):
                session.execute(aliased(items).values(k="a").on_conflict_do_nothing(index_elements=["k"]))


            def re_export(session):
                session.execute(re_exported(items).values(k="a").on_conflict_do_nothing(index_elements=["k"]))


            def same_module_alias(session):
                session.execute(pg_insert(items).values(k="a").on_conflict_do_nothing(index_elements=["k"]))
            """,
        },
    )
    sites = _sites(tmp_path)
    assert {line: (s.dialect, s.sql) for line, s in sites.items()} == {
        line: (dialect, "INSERT INTO items (k) VALUES (?) ON CONFLICT (k) DO NOTHING")
        for line, dialect in ((10, "postgresql"), (14, "postgresql"), (18, "sqlite"), (22, "postgresql"))
    }


NEWER_SYNTAX = """\
type Rows = list[dict[str, object]]


class Repository[T]:
    def save[K: (int, str)](self, conn, key: K) -> T:
        conn.execute("INSERT INTO items (k, label) VALUES (?, ?) ON CONFLICT (label) DO NOTHING", (key, "x"))
"""


def test_a_file_for_python_3_12_is_still_read(tmp_path: Path) -> None:
    """``type`` aliases and type parameters (Python 3.12) do not stop the scan on an older Python: the file is read
    with them blanked out, at the same lines and columns."""
    _write(tmp_path, {"app/new.py": NEWER_SYNTAX})
    result = scan(["."], root=tmp_path)
    assert result.problems == []
    [site] = result.sites
    assert (site.line, site.column, site.sql) == (
        6,
        23,
        "INSERT INTO items (k, label) VALUES (?, ?) ON CONFLICT (label) DO NOTHING",
    )


@pytest.mark.skipif(sys.version_info >= (3, 14), reason="template strings parse on Python 3.14")
def test_a_file_for_a_newer_python_says_which_version_it_needs(tmp_path: Path) -> None:
    statement = 'conn.execute(t"INSERT INTO items (k) VALUES ({k}) ON CONFLICT (k) DO NOTHING")'
    _write(tmp_path, {"jobs/backfill.py": f"def run(conn, k):\n    {statement}\n"})
    [problem] = scan(["."], root=tmp_path).problems
    running = f"{sys.version_info.major}.{sys.version_info.minor}"
    assert (problem.path, problem.line, problem.message) == (
        "jobs/backfill.py",
        2,
        f"written for Python 3.14 (not valid Python {running}: invalid syntax), skipped: run schema-parity on "
        "Python 3.14 or later to check this file",
    )


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="such f-strings parse on Python 3.12")
def test_an_f_string_of_python_3_12_says_which_version_it_needs(tmp_path: Path) -> None:
    """Python 3.12 lets an f-string's braces hold its own quotes (PEP 701); an older Python cannot read the file, and
    the problem says which Python can, rather than only "not valid Python"."""
    upsert = 'conn.execute("INSERT INTO items (k) VALUES (?) ON CONFLICT (k) DO NOTHING", (1,))'
    statement = "print(f'backends: {', '.join(names)}')"
    _write(tmp_path, {"app/export.py": f"def run(conn, names):\n    {upsert}\n    {statement}\n"})
    [problem] = scan(["."], root=tmp_path).problems
    running = f"{sys.version_info.major}.{sys.version_info.minor}"
    assert problem.path == "app/export.py"
    assert problem.message.startswith(f"written for Python 3.12 (not valid Python {running}: f-string: ")
    assert problem.message.endswith("skipped: run schema-parity on Python 3.12 or later to check this file")


def test_a_regular_expression_that_mentions_on_conflict_is_not_a_statement(tmp_path: Path) -> None:
    """A test that picks statements out of a log with ``re.compile(r"INSERT INTO ... (?: ON CONFLICT|$)")`` holds a
    pattern, not SQL: it is neither a site nor a statement that cannot be parsed (SP902)."""
    pattern = 're.compile(r"INSERT INTO items \\((?P<columns>[^)]*)\\) VALUES (?P<values>.*?)" r"(?: ON CONFLICT|$)")'
    found = 're.search(pattern="INSERT .* ON CONFLICT", string=text)'
    upsert = 'conn.execute("INSERT INTO items (k) VALUES (?) ON CONFLICT (k) DO NOTHING", (1,))'
    _write(tmp_path, {"tests/test_log.py": f"import re\n\nLOG = {pattern}\n\n\ndef run(conn, text):\n"
                                           f"    {found}\n    {upsert}\n"})
    result = scan(["."], root=tmp_path)
    assert result.problems == []
    assert [(site.line, site.sql) for site in result.sites] == [
        (8, "INSERT INTO items (k) VALUES (?) ON CONFLICT (k) DO NOTHING")]


# -- 5: scripts and one-off jobs are production code -------------------------------------------------------------------
def test_scripts_and_jobs_are_scanned_by_default(tmp_path: Path) -> None:
    """Nothing but tool directories (virtualenvs, build output, caches) is left out by default: ``scripts/``,
    ``jobs/``, ``bin/`` and ``tools/`` are read; a project leaves them out with ``exclude``."""
    statement = "INSERT INTO items (k) VALUES (1) ON CONFLICT (k) DO NOTHING"
    files = {f"{folder}/task.py": f'SQL = "{statement}"\n' for folder in ("scripts", "jobs", "bin", "tools")}
    files["scripts/one_off.sql"] = statement + ";\n"
    _write(tmp_path, files)
    assert [s.path for s in scan(["."], root=tmp_path).sites] == [
        "bin/task.py",
        "jobs/task.py",
        "scripts/one_off.sql",
        "scripts/task.py",
        "tools/task.py",
    ]
    assert [s.path for s in scan(["."], root=tmp_path, exclude=["scripts"]).sites] == [
        "bin/task.py",
        "jobs/task.py",
        "tools/task.py",
    ]


# -- 1 and 2: wrappers called as methods, one entry per engine, one entry per function ---------------------------------
WRAPPER_METHODS = """\
from app.models import items


class Repository:
    def save_rows(self, rows, model, conflict):
        ...

    def refresh(self, rows):
        return self.save_rows(rows, items, ["label"])


def through_the_class(rows):
    Repository().save_rows(rows, items, ["k"])


def injected(session, rows):
    session.merge_all(items, rows, ["label"])
"""


def test_wrappers_called_as_methods(tmp_path: Path) -> None:
    """``self.save_rows(...)`` and ``Repository().save_rows(...)`` match the method by its class; an object whose
    class is unknown (``session.merge_all``) matches by the configured method name."""
    _write(tmp_path, {"app/__init__.py": "", "app/models.py": MODELS, "app/repo.py": WRAPPER_METHODS})
    wrappers = [
        Wrapper.from_dict({"function": "app.repo.Repository.save_rows", "table": "model", "index_elements": 2}),
        Wrapper.from_dict({"function": "app.db.merge_all", "table": 0, "index_elements": 2, "method": True}),
    ]
    sites = _sites(tmp_path, wrappers=wrappers)
    assert {line: (s.origin, _target(s.sql)) for line, s in sites.items()} == {
        9: ("wrapper", "(label)"),
        13: ("wrapper", "(k)"),
        17: ("wrapper", "(label)"),
    }
    without_method = [wrappers[0], Wrapper.from_dict({"function": "app.db.merge_all", "table": 0})]
    assert sorted(_sites(tmp_path, wrappers=without_method)) == [9, 13]


def test_a_wrapper_whose_target_differs_by_engine(tmp_path: Path) -> None:
    """A constraint name on PostgreSQL, the columns on SQLite: one entry per engine, each judged on its own."""
    _write(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/models.py": MODELS,
            "app/repo.py": """\
            from app.models import items
            from app.db import upsert


            def save(rows):
                upsert(items, rows, constraint="uq_items_k", columns=["k"])
            """,
        },
    )
    wrappers = [
        Wrapper.from_dict(
            {"function": "app.db.upsert", "table": 0, "constraint": "constraint", "dialect": "postgresql"}
        ),
        Wrapper.from_dict({"function": "app.db.upsert", "table": 0, "index_elements": "columns", "dialect": "sqlite"}),
    ]
    result = scan(["."], root=tmp_path, wrappers=wrappers)
    assert {(s.dialect, _target(s.sql or "")) for s in result.sites} == {
        ("postgresql", "ON CONSTRAINT uq_items_k"),
        ("sqlite", "(k)"),
    }


def test_a_second_entry_for_the_same_function_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        textwrap.dedent(
            """\
            [[tool.schema-parity.wrappers]]
            function = "app.db.upsert"
            table = 0

            [[tool.schema-parity.wrappers]]
            function = "app.db.upsert"
            table = "model"
            dialect = "sqlite"
            """
        )
    )
    with pytest.raises(ConfigError, match=r"entries 1 and 2 both describe app\.db\.upsert for the same engine"):
        resolve(tmp_path)


def _target(sql: str) -> str:
    return sql.split(" ON CONFLICT ", 1)[1].split(" DO ", 1)[0]


GENERIC_HELPER = """\
from typing import Generic, TypeVar
from sqlalchemy.dialects.postgresql import insert
from app.models import items

M = TypeVar("M")


class Repository(Generic[M]):
    model: type[M]

    def upsert(self, session, *rows, conflict=None):
        stmt = insert(self.model).values(list(rows))
        session.execute(stmt.on_conflict_do_nothing(index_elements=conflict or self.model.primary_key.columns))


class ItemRepository(Repository[items]):
    model = items

    def by_key(self, session, *rows):
        self.upsert(session, *rows, conflict=["k"])

    def by_default(self, session, rows):
        self.upsert(session, *rows)


def outside(session, rows, options):
    ItemRepository().upsert(session, *rows, conflict=["label"])
    ItemRepository().upsert(session, *rows, **options)
"""


def test_generic_helper_with_the_model_on_the_object_and_star_rows(tmp_path: Path) -> None:
    """``insert(self.model)`` in a generic base: the wrapper's table is the subclass's ``model``, its target the
    literal keyword even after ``*rows``, or the primary key by default; ``**options`` may carry the target."""
    _write(tmp_path, {"app/__init__.py": "", "app/models.py": MODELS, "app/repo.py": GENERIC_HELPER})
    wrapper = Wrapper.from_dict(
        {
            "function": "app.repo.Repository.upsert",
            "table": "self.model",
            "index_elements": "conflict",
            "default_target": "primary-key",
            "action": "nothing",
            "dialect": "postgresql",
        }
    )
    result = scan(["."], root=tmp_path, wrappers=[wrapper])
    assert result.problems == []
    wrapped = {s.line: s.sql or s.unresolved for s in result.sites if s.origin == "wrapper"}
    assert wrapped == {
        20: "INSERT INTO items VALUES (?) ON CONFLICT (k) DO NOTHING",
        23: "INSERT INTO items VALUES (?) ON CONFLICT (id) DO NOTHING",
        27: "INSERT INTO items VALUES (?) ON CONFLICT (label) DO NOTHING",
        28: "the call of app.repo.Repository.upsert passes *args/**kwargs: its index_elements argument is known at "
        "run time",
    }
    declared = Wrapper.from_dict({**wrapper.__dict__, "default_target": ["label"]})
    assert [s.sql for s in scan(["."], root=tmp_path, wrappers=[declared]).sites if s.line == 23] == [
        "INSERT INTO items VALUES (?) ON CONFLICT (label) DO NOTHING"
    ]
    with pytest.raises(ValueError, match="default_target"):
        Wrapper.from_dict({"function": "f", "table": 0, "default_target": "first-column"})
