"""Upsert sites as real codebases write them (issue 15): each pattern a small project of our own, judged or reported
unresolved with its reason, never a false alarm."""

from __future__ import annotations

import textwrap
from pathlib import Path

from schema_parity.check import run_check
from schema_parity.sites import Site
from schema_parity.sites.scan import scan
from schema_parity.sources import SchemaOptions
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
        38: None,
    }
    assert all(s.sql is not None and s.unresolved is None for s in sites.values())
    assert sites[8].sql == "INSERT INTO items VALUES (?) ON CONFLICT (k) DO NOTHING"
    assert sites[38].sql == "INSERT INTO items (created) VALUES (?) ON CONFLICT (k) DO NOTHING"


def test_no_false_alarm_on_rows_given_at_execution(tmp_path: Path) -> None:
    """The production pattern of issue 15 is judged (its target is fine) and SP301 does not fire; the same statement
    executed without parameters still gets SP301, so the rule is not simply off."""
    ini = write_project(tmp_path, [Revision("r1", None, MIGRATION)])
    _write(tmp_path, {"app/__init__.py": "", "app/models.py": MODELS, "app/repo.py": RUN_TIME_COLUMNS})
    result = run_check(
        [tmp_path / "app"], root=tmp_path, schema=SchemaOptions(alembic_config=ini), dialects=("postgresql",)
    )
    assert {(f.rule, f.line) for f in result.findings} == {("SP301", 38)}
    statuses = {r.site.line: [v.status for v in r.verdicts] for r in result.sites}
    assert statuses[8] == ["ok"]
