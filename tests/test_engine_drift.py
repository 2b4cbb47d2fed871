"""Engine drift (SP5xx): the migrations build other keys on SQLite than on PostgreSQL for a table an upsert writes.

Each history runs for real on SQLite and on PostgreSQL (the server the tests use); the warnings must name exactly
the keys that differ, and a history that builds the same keys on both engines must get none.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from schema_parity.check import CheckResult, run_check
from schema_parity.sources import SchemaOptions
from tests.alembic_projects import Revision, write_project

pytestmark = pytest.mark.postgres

ITEM = "op.create_table('item', sa.Column('id', sa.Integer, primary_key=True), sa.Column('sku', sa.Text), " \
    "sa.Column('deleted', sa.Boolean, nullable=False, server_default=sa.false()))"
UPSERT = "INSERT INTO item (id, sku) VALUES (1, 'a') ON CONFLICT (sku) {where}DO NOTHING;\n"


def check(
    tmp_path: Path, pg_admin_url: str, key: str, *, where: str = "", dialects: tuple[str, ...] = ()
) -> CheckResult:
    ini = write_project(tmp_path / "db", [Revision("r1", None, ITEM), Revision("r2", "r1", key)])
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "upsert.sql").write_text(UPSERT.format(where=where))
    return run_check(
        [tmp_path / "app"],
        root=tmp_path,
        schema=SchemaOptions(alembic_config=ini, postgres_url=pg_admin_url, postgres="required"),
        dialects=dialects or ("sqlite", "postgresql"),  # type: ignore[arg-type]
    )


def drift(result: CheckResult) -> list[tuple[str, str]]:
    return [(f.rule, f.message) for f in result.findings if f.rule.startswith("SP5")]


def test_a_partial_index_with_postgresql_where_only_is_a_full_index_on_sqlite(
    tmp_path: Path, pg_admin_url: str
) -> None:
    result = check(
        tmp_path,
        pg_admin_url,
        "op.create_index('ix_live_sku', 'item', ['sku'], unique=True, postgresql_where=sa.text('NOT deleted'))",
        where="WHERE NOT deleted ",
    )
    assert [v.status for s in result.sites for v in s.verdicts] == ["ok", "ok"]  # each engine accepts it
    [(rule, message)] = drift(result)
    assert rule == "SP501"
    assert "only on PostgreSQL: UNIQUE INDEX ix_live_sku (sku) WHERE NOT deleted" in message
    assert "only on SQLite: UNIQUE INDEX ix_live_sku (sku))" in message
    [finding] = [f for f in result.findings if f.rule == "SP501"]
    assert (finding.severity, finding.dialect, finding.path, finding.line) == ("warning", None, "app/upsert.sql", 1)
    assert result.exit_code == 0  # a warning


def test_the_same_predicate_on_both_engines_is_no_drift(tmp_path: Path, pg_admin_url: str) -> None:
    result = check(
        tmp_path,
        pg_admin_url,
        "op.create_index('ix_live_sku', 'item', ['sku'], unique=True, postgresql_where=sa.text('NOT deleted'), "
        "sqlite_where=sa.text('NOT deleted'))",
        where="WHERE NOT deleted ",
    )
    assert drift(result) == []
    assert not result.findings


def test_a_constraint_created_under_a_dialect_guard_exists_on_one_engine(tmp_path: Path, pg_admin_url: str) -> None:
    result = check(
        tmp_path,
        pg_admin_url,
        "if op.get_context().dialect.name == 'postgresql':\n"
        "    op.create_unique_constraint('uq_item_sku', 'item', ['sku'])",
    )
    assert {(f.rule, f.dialect) for f in result.findings} == {("SP101", "sqlite"), ("SP501", None)}
    [(_, message)] = drift(result)
    assert "only on PostgreSQL: UNIQUE uq_item_sku (sku))" in message
    assert "only on SQLite" not in message


@pytest.mark.parametrize(
    "key",
    [
        "op.create_unique_constraint('uq_item_sku', 'item', ['sku'], deferrable=True, initially='DEFERRED')",
        "op.drop_table('item')\n"
        "op.create_table('item', sa.Column('id', sa.Integer, primary_key=True), sa.Column('sku', sa.Text),\n"
        "                sa.UniqueConstraint('sku', name='uq_item_sku', deferrable=True, initially='DEFERRED'))",
    ],
    ids=["create_unique_constraint", "create_table"],
)
def test_a_deferrable_key_on_postgresql_is_checked_at_once_on_sqlite(
    tmp_path: Path, pg_admin_url: str, key: str
) -> None:
    """SQLite cannot declare a deferrable UNIQUE (a syntax error): the migrations create it immediate there."""
    result = check(tmp_path, pg_admin_url, key)
    assert {(f.rule, f.dialect) for f in result.findings} == {("SP110", "postgresql"), ("SP502", None)}
    [(_, message)] = drift(result)
    assert message.startswith("UNIQUE uq_item_sku (sku) of item is DEFERRABLE INITIALLY DEFERRED on PostgreSQL")


def test_one_engine_checked_is_no_drift(tmp_path: Path, pg_admin_url: str) -> None:
    result = check(
        tmp_path,
        pg_admin_url,
        "op.create_index('ix_live_sku', 'item', ['sku'], unique=True, postgresql_where=sa.text('NOT deleted'))",
        where="WHERE NOT deleted ",
        dialects=("postgresql",),
    )
    assert drift(result) == []
