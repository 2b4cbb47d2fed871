"""The same migrations through every schema source give the same keys, and the same verdicts.

Sources compared: the migrations run on SQLite and reflected; Alembic's offline PostgreSQL DDL replayed by sqlglot;
the migrations run on a real PostgreSQL and reflected. A verdict must not depend on which one was used.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from schema_parity.catalog import Catalog, Key
from schema_parity.sources.alembic import AlembicProject, catalog_at, offline_sql, upgrade
from schema_parity.sources.ddl import catalog_from_ddl
from schema_parity.sources.reflect import reflect
from schema_parity.verdicts.dispatch import check
from tests.alembic_projects import Revision, write_project

EXAMPLE_INI = Path(__file__).resolve().parents[1] / "examples" / "telemetry" / "alembic.ini"

REVISIONS = [
    Revision(
        "s1",
        None,
        """
        op.create_table('account', sa.Column('id', sa.Integer, primary_key=True),
                        sa.Column('email', sa.String(100), nullable=False), sa.Column('name', sa.String(50)),
                        sa.Column('tenant', sa.Integer, nullable=False, server_default='1'),
                        sa.Column('deleted_at', sa.DateTime))
        op.create_index('ix_account_live_name', 'account', ['tenant', 'name'], unique=True,
                        postgresql_where=sa.text('deleted_at IS NULL'), sqlite_where=sa.text('deleted_at IS NULL'))
        op.create_index('ix_account_name', 'account', ['name'])
        """,
    ),
    Revision(
        "s2",
        "s1",
        """
        op.create_unique_constraint('uq_account_tenant_email', 'account', ['tenant', 'email'])
        op.alter_column('account', 'name', new_column_name='display_name')
        op.create_table('tag', sa.Column('account_id', sa.Integer, nullable=False),
                        sa.Column('label', sa.String(20), nullable=False),
                        sa.PrimaryKeyConstraint('account_id', 'label', name='pk_tag'))
        """,
    ),
    Revision("s3", "s2", "op.drop_index('ix_account_name', table_name='account')"),
]

STATEMENTS = [
    "INSERT INTO account (email, tenant) VALUES ('a', 1) ON CONFLICT (tenant, email) DO NOTHING",
    "INSERT INTO account (email, tenant) VALUES ('a', 1) ON CONFLICT (email, tenant) "
    "DO UPDATE SET email = excluded.email",
    "INSERT INTO account (email) VALUES ('a') ON CONFLICT (email) DO NOTHING",
    "INSERT INTO account (email, tenant, display_name) VALUES ('a', 1, 'n') "
    "ON CONFLICT (tenant, display_name) WHERE deleted_at IS NULL DO NOTHING",
    "INSERT INTO account (email, tenant, display_name) VALUES ('a', 1, 'n') "
    "ON CONFLICT (tenant, display_name) DO NOTHING",
    "INSERT INTO account (email, name) VALUES ('a', 'n') ON CONFLICT (name) DO NOTHING",
    "INSERT INTO tag (account_id, label) VALUES (1, 'x') ON CONFLICT (label, account_id) DO NOTHING",
    "INSERT INTO tag (account_id, label) VALUES (1, 'x') ON CONFLICT ON CONSTRAINT pk_tag DO NOTHING",
    "INSERT INTO tag (label) VALUES ('x') ON CONFLICT DO NOTHING",
]


def unique_keys(catalog: Catalog) -> dict[str, list[tuple[str, str | None, tuple[str | None, ...], bool]]]:
    def shape(key: Key) -> tuple[str, str | None, tuple[str | None, ...], bool]:
        # SQLite has no name for an INTEGER PRIMARY KEY; PostgreSQL calls it <table>_pkey.
        name = None if key.kind == "primary_key" and (key.name or "").endswith("_pkey") else key.name
        return (key.kind, name, tuple(sorted(c or "" for c in key.columns)), key.predicate is not None)

    return {t.name: sorted(shape(k) for k in t.keys if k.is_unique) for t in catalog.tables}


@pytest.fixture
def project(tmp_path: Path) -> AlembicProject:
    return AlembicProject.load(write_project(tmp_path, REVISIONS))


def offline_catalog(project: AlembicProject, revision: str = "head") -> Catalog:
    sql, notes = offline_sql(project, revision)
    assert notes == []
    return catalog_from_ddl(sql, "postgresql")


def test_sqlite_migrated_and_postgresql_offline_have_the_same_keys(project: AlembicProject) -> None:
    assert unique_keys(catalog_at(project)) == unique_keys(offline_catalog(project))
    assert unique_keys(catalog_at(project, "s1")) == unique_keys(offline_catalog(project, "s1"))


@pytest.mark.postgres
@pytest.mark.parametrize("ini", ["generated", "telemetry"])
def test_offline_ddl_equals_the_real_postgresql_migration(
    ini: str, project: AlembicProject, pg_engine: sa.Engine
) -> None:
    project = project if ini == "generated" else AlembicProject.load(EXAMPLE_INI)
    with pg_engine.connect() as conn:
        upgrade(conn, project)
        conn.commit()
        real = reflect(conn)
    offline = offline_catalog(project)
    assert unique_keys(real) == unique_keys(offline)
    for real_table in real.tables:
        offline_table = offline.table(real_table.name)
        assert offline_table is not None
        assert [(c.name, c.nullable, c.has_default) for c in real_table.columns] == [
            (c.name, c.nullable, c.has_default) for c in offline_table.columns
        ]


@pytest.mark.postgres
def test_verdicts_do_not_depend_on_the_source(project: AlembicProject, pg_engine: sa.Engine) -> None:
    with pg_engine.connect() as conn:
        upgrade(conn, project)
        conn.commit()
        real = reflect(conn)
    sources = {"sqlite-migrated": catalog_at(project), "pg-offline": offline_catalog(project), "pg-real": real}
    for dialect in ("postgresql", "sqlite"):
        for statement in STATEMENTS:
            verdicts = {name: check(statement, catalog, dialect) for name, catalog in sources.items()}
            statuses = {name: (v.status, [p.rule for p in v.problems]) for name, v in verdicts.items()}
            assert len(set(map(repr, statuses.values()))) == 1, (dialect, statement, statuses)
