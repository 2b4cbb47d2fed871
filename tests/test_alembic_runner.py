"""The migration runner on small real Alembic projects: SQLite (with the batch shim) and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from schema_parity import compat
from schema_parity.catalog import sorted_catalog
from schema_parity.errors import ConfigError, MigrationError
from schema_parity.sources.alembic import (
    AlembicProject,
    catalog_at,
    offline_sql,
    sqlite_memory_connection,
    upgrade,
)
from schema_parity.sources.reflect import reflect
from tests.alembic_projects import COOKBOOK_ENV_PY, Revision, linear_chain, write_project

EXAMPLE_INI = Path(__file__).resolve().parents[1] / "examples" / "telemetry" / "alembic.ini"


def sqlite_sql(conn: sa.Connection, name: str) -> str | None:
    return conn.exec_driver_sql("SELECT sql FROM sqlite_master WHERE name = ?", (name,)).scalar()


def test_linear_chain_to_head_and_to_a_middle_revision(tmp_path: Path) -> None:
    project = AlembicProject.load(write_project(tmp_path, linear_chain(4)))
    with sqlite_memory_connection() as conn:
        assert upgrade(conn, project) == ["r0000", "r0001", "r0002", "r0003"]
        assert "uq_t2_0_a" in sqlite_sql(conn, "t2_0")
    with sqlite_memory_connection() as conn:
        assert upgrade(conn, project, "r0001") == ["r0000", "r0001"]
        assert sqlite_sql(conn, "t2_0") is None
        # upgrading further continues from where the database is
        assert upgrade(conn, project, "r0003") == ["r0002", "r0003"]


def test_project_env_py_is_not_run_by_default(tmp_path: Path) -> None:
    """The hostile env.py raises on import; the default mode runs the revisions without it."""
    project = AlembicProject.load(write_project(tmp_path, linear_chain(2)))
    with sqlite_memory_connection() as conn:
        assert upgrade(conn, project) == ["r0000", "r0001"]
    with sqlite_memory_connection() as conn, pytest.raises(MigrationError, match=r"env\.py was executed"):
        upgrade(conn, project, use_env_py=True)


def test_env_py_mode_hands_over_the_connection(tmp_path: Path) -> None:
    project = AlembicProject.load(write_project(tmp_path, linear_chain(2), env_py=COOKBOOK_ENV_PY))
    with sqlite_memory_connection() as conn:
        assert upgrade(conn, project, use_env_py=True) == ["r0000", "r0001"]
        assert "uq_t0_0_a" in sqlite_sql(conn, "t0_0")


def test_branches_and_merge(tmp_path: Path) -> None:
    revisions = [
        Revision("base1", None, "op.create_table('a', sa.Column('id', sa.Integer, primary_key=True))"),
        Revision("left", "base1", "op.create_table('l', sa.Column('id', sa.Integer, primary_key=True))"),
        Revision("right", "base1", "op.create_table('r', sa.Column('id', sa.Integer, primary_key=True))"),
    ]
    ini = write_project(tmp_path, revisions)
    project = AlembicProject.load(ini)
    with sqlite_memory_connection() as conn, pytest.raises(MigrationError) as excinfo:
        upgrade(conn, project)
    assert "2 heads (left, right)" in str(excinfo.value)
    assert "--revision heads" in str(excinfo.value)
    with sqlite_memory_connection() as conn:
        assert sorted(upgrade(conn, project, "heads")) == ["base1", "left", "right"]
    with sqlite_memory_connection() as conn:
        assert upgrade(conn, project, "left") == ["base1", "left"]
        assert sqlite_sql(conn, "r") is None

    (tmp_path / "migrations" / "versions" / "merge_rev.py").write_text(
        "revision = 'merge1'\ndown_revision = ('left', 'right')\nbranch_labels = None\ndepends_on = None\n"
        "def upgrade():\n    pass\n"
    )
    merged = AlembicProject.load(ini)
    with sqlite_memory_connection() as conn:
        assert upgrade(conn, merged)[-1] == "merge1"


def test_postgres_style_constraint_operations_run_on_sqlite(tmp_path: Path) -> None:
    """Plain op.* constraint and column changes raise on SQLite; the runner batches them transparently."""
    revisions = [
        Revision(
            "c1",
            None,
            """
            op.create_table('parent', sa.Column('id', sa.Integer, primary_key=True))
            op.create_table('child', sa.Column('id', sa.Integer, primary_key=True),
                            sa.Column('parent_id', sa.Integer), sa.Column('email', sa.String(50)),
                            sa.Column('name', sa.String(20)))
            """,
        ),
        Revision(
            "c2",
            "c1",
            """
            op.create_unique_constraint('uq_child_email', 'child', ['email'])
            op.create_foreign_key('fk_child_parent', 'child', 'parent', ['parent_id'], ['id'])
            op.create_check_constraint('ck_child_name', 'child', "name <> ''")
            op.alter_column('child', 'name', existing_type=sa.String(20), nullable=False)
            op.alter_column('child', 'email', new_column_name='email_address')
            op.add_column('child', sa.Column('code', sa.String(10), unique=True))
            """,
        ),
        Revision("c3", "c2", "op.drop_constraint('uq_child_email', 'child', type_='unique')"),
    ]
    project = AlembicProject.load(write_project(tmp_path, revisions))
    with sqlite_memory_connection() as conn:
        upgrade(conn, project, "c2")
        ddl = sqlite_sql(conn, "child")
        assert "CONSTRAINT uq_child_email UNIQUE (email_address)" in ddl
        assert "CONSTRAINT fk_child_parent FOREIGN KEY(parent_id) REFERENCES parent (id)" in ddl
        assert "name VARCHAR(20) NOT NULL" in ddl
        assert "UNIQUE (code)" in ddl
        upgrade(conn, project, "c3")
        assert "uq_child_email" not in sqlite_sql(conn, "child")


def test_failing_revision_names_revision_file_and_operation(tmp_path: Path) -> None:
    revisions = [
        Revision("ok1", None, "op.create_table('t', sa.Column('id', sa.Integer, primary_key=True))"),
        Revision("bad2", "ok1", "op.execute('ALTER TABLE t ADD CONSTRAINT x CHECK (id > 0) NOT VALID')"),
    ]
    project = AlembicProject.load(write_project(tmp_path, revisions))
    with sqlite_memory_connection() as conn, pytest.raises(MigrationError) as excinfo:
        upgrade(conn, project)
    error = excinfo.value
    assert error.revision == "bad2"
    assert error.path is not None and error.path.endswith("bad2_rev.py")
    message = str(error)
    assert "Revision bad2" in message and "bad2_rev.py" in message
    assert "op.execute('ALTER TABLE t ADD CONSTRAINT" in message
    assert "OperationalError" in message
    assert "Traceback" not in message


def test_raw_ddl_in_op_execute(tmp_path: Path) -> None:
    revisions = [
        Revision(
            "x1",
            None,
            """
            op.create_table('acct', sa.Column('id', sa.Integer, primary_key=True), sa.Column('email', sa.Text),
                            sa.Column('deleted_at', sa.DateTime))
            op.execute("CREATE UNIQUE INDEX ix_acct_live ON acct (lower(email)) WHERE deleted_at IS NULL")
            """,
        )
    ]
    project = AlembicProject.load(write_project(tmp_path, revisions))
    with sqlite_memory_connection() as conn:
        upgrade(conn, project)
        catalog = reflect(conn)
    (key,) = [k for k in catalog.table("acct").keys if k.name == "ix_acct_live"]
    assert key.kind == "unique_index"
    assert key.elements[0].expression == "lower(email)"
    assert key.predicate == "deleted_at IS NULL"


def test_configuration_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        AlembicProject.load(tmp_path / "nope.ini")
    bad = tmp_path / "bad.ini"
    bad.write_text("[alembic\nscript_location = x\n")
    with pytest.raises(ConfigError, match="malformed ini"):
        AlembicProject.load(bad)
    empty = tmp_path / "empty.ini"
    empty.write_text("[alembic]\nsqlalchemy.url = sqlite://\n")
    with pytest.raises(ConfigError, match="no script_location"):
        AlembicProject.load(empty)
    missing_dir = tmp_path / "missing.ini"
    missing_dir.write_text("[alembic]\nscript_location = %(here)s/nowhere\n")
    with pytest.raises(ConfigError, match="is not a directory"):
        AlembicProject.load(missing_dir)
    with pytest.raises(ConfigError, match=r"No alembic\.ini"):
        AlembicProject.load(search_from=tmp_path)


def test_unknown_revision(tmp_path: Path) -> None:
    project = AlembicProject.load(write_project(tmp_path, linear_chain(2)))
    with pytest.raises(MigrationError, match="no revision 'deadbeef'"):
        project.resolve("deadbeef")


def test_script_location_from_pyproject(tmp_path: Path) -> None:
    write_project(tmp_path, linear_chain(2))
    (tmp_path / "alembic.ini").unlink()
    (tmp_path / "pyproject.toml").write_text('[tool.alembic]\nscript_location = "%(here)s/migrations"\n')
    project = AlembicProject.load(search_from=tmp_path)
    assert project.config_path == (tmp_path / "pyproject.toml").resolve()
    with sqlite_memory_connection() as conn:
        if not compat.ALEMBIC_TOML:  # the oldest supported Alembic has no [tool.alembic]: one clear message
            with pytest.raises(ConfigError, match=r"Alembic reads \[tool.alembic\] from pyproject.toml from version"):
                upgrade(conn, project)
            return
        assert upgrade(conn, project) == ["r0000", "r0001"]


def test_fingerprint_follows_script_content(tmp_path: Path) -> None:
    ini = write_project(tmp_path, linear_chain(2))
    before = AlembicProject.load(ini).fingerprint()
    assert AlembicProject.load(ini).fingerprint() == before
    path = next((tmp_path / "migrations" / "versions").glob("r0001*.py"))
    path.write_text(path.read_text() + "\n# edited\n")
    assert AlembicProject.load(ini).fingerprint() != before


def test_telemetry_example_key_appears_at_head_only() -> None:
    project = AlembicProject.load(EXAMPLE_INI)
    head = catalog_at(project)
    first = catalog_at(project, "a1b2c3d4e5f6")
    assert head.revision == "805164cd4665" and first.revision == "a1b2c3d4e5f6"
    names = {k.name for k in head.table("http_error_summary").keys}
    assert "uq_http_error_summary_host_status" in names
    assert "uq_http_error_summary_host_status" not in {k.name for k in first.table("http_error_summary").keys}


def test_offline_postgresql_sql(tmp_path: Path) -> None:
    sql, notes = offline_sql(AlembicProject.load(EXAMPLE_INI))
    assert notes == []
    assert (
        "ALTER TABLE http_error_summary ADD CONSTRAINT uq_http_error_summary_host_status UNIQUE (host, status_code);"
        in sql
    )
    revisions = [
        Revision("o1", None, "op.create_table('t', sa.Column('id', sa.Integer, primary_key=True))"),
        Revision("o2", "o1", "op.get_bind().execute(sa.text('SELECT 1')).scalar()"),
    ]
    sql, notes = offline_sql(AlembicProject.load(write_project(tmp_path, revisions)))
    assert "CREATE TABLE t" in sql
    assert notes == [
        f"revision o2 ({tmp_path / 'migrations' / 'versions' / 'o2_rev.py'}) cannot run in offline mode for "
        "postgresql (AttributeError: 'NoneType' object has no attribute 'scalar'); its offline SQL stops there."
    ]


@pytest.mark.postgres
def test_same_migrations_on_sqlite_and_postgresql_give_the_same_keys(pg_engine: sa.Engine) -> None:
    project = AlembicProject.load(EXAMPLE_INI)
    with pg_engine.connect() as conn:
        upgrade(conn, project)
        conn.commit()
        pg = sorted_catalog(reflect(conn))
    lite = sorted_catalog(catalog_at(project))
    assert [t.name for t in pg.tables] == [t.name for t in lite.tables]
    for pg_table, lite_table in zip(pg.tables, lite.tables, strict=True):
        assert [c.name for c in pg_table.columns] == [c.name for c in lite_table.columns]
        assert [c.nullable for c in pg_table.columns] == [c.nullable for c in lite_table.columns]
        unique = [(k.kind, k.columns) for k in pg_table.keys if k.is_unique]
        assert unique == [(k.kind, k.columns) for k in lite_table.keys if k.is_unique]
        named_unique = {k.name for k in pg_table.keys if k.kind == "unique"}
        assert named_unique == {k.name for k in lite_table.keys if k.kind == "unique"}


def test_revision_that_fails_to_import_is_named(tmp_path: Path) -> None:
    revisions = [
        Revision("ok1", None, "pass"),
        Revision("imp2", "ok1", "pass", imports="import a_module_that_is_not_installed"),
    ]
    project = AlembicProject.load(write_project(tmp_path, revisions))
    with pytest.raises(MigrationError) as excinfo:
        project.heads()
    message = str(excinfo.value)
    assert "imp2_rev.py:4 cannot be imported" in message
    assert "No module named 'a_module_that_is_not_installed'" in message


def test_version_locations_with_interpolation_and_sections(tmp_path: Path) -> None:
    """Real projects write version_locations = %(script_location)s/versions and keep several sections."""
    write_project(tmp_path, linear_chain(2))
    (tmp_path / "alembic.ini").write_text(
        "[DEFAULT]\nscript_location = migrations\n\n"
        "[alembic]\nscript_location = migrations\nversion_locations = %(script_location)s/versions\n\n"
        "[other]\nscript_location = elsewhere\n"
    )
    project = AlembicProject.load(tmp_path / "alembic.ini")
    assert project.heads() == ("r0001",)
    with pytest.raises(ConfigError, match=r"no \[missing\] section"):
        AlembicProject.load(tmp_path / "alembic.ini", ini_section="missing")


def test_unnamed_drop_constraint_keeps_alembics_error_for_migrations_that_catch_it(tmp_path: Path) -> None:
    """Real migrations guard SQLite with `except NotImplementedError`: the shim must keep that error."""
    revisions = [
        Revision("g1", None, "op.create_table('t', sa.Column('id', sa.Integer, primary_key=True))"),
        Revision(
            "g2",
            "g1",
            """
            try:
                op.drop_constraint(None, 't', type_='foreignkey')
            except NotImplementedError:
                op.create_table('skipped_on_sqlite', sa.Column('id', sa.Integer, primary_key=True))
            """,
        ),
    ]
    project = AlembicProject.load(write_project(tmp_path, revisions))
    with sqlite_memory_connection() as conn:
        assert upgrade(conn, project) == ["g1", "g2"]
        assert sqlite_sql(conn, "skipped_on_sqlite") is not None


# -- PostgreSQL's names and DROP COLUMN on SQLite, each rule checked against the real server ---------------------
LONG = "customer_subscription_billing_adjustment_history"  # 48 bytes: with a column, the default name is cut
WIDE = "é" * 31  # 62 bytes: the cut to 37 bytes falls inside a character, and takes 36
NAMING_CASES = {
    "unnamed keys of create_table, in the order CREATE TABLE lists them": (
        """
        op.create_table('p', sa.Column('id', sa.Integer, primary_key=True))
        op.create_table('t', sa.Column('id', sa.Integer, primary_key=True),
                        sa.Column('a', sa.Integer, unique=True), sa.Column('b', sa.Integer),
                        sa.Column('a_b', sa.Integer, sa.ForeignKey('p.id'), unique=True),
                        sa.UniqueConstraint('a', 'b'), sa.ForeignKeyConstraint(['b'], ['p.id']))
        """,
        {"t_pkey", "t_a_key", "t_a_b_key", "t_a_b_key1", "t_a_b_fkey", "t_b_fkey"},
    ),
    "names cut to 63 bytes, the longer part first": (
        f"""
        op.create_table({LONG!r}, sa.Column('id', sa.Integer, primary_key=True),
                        sa.Column('external_reference_identifier', sa.Integer, unique=True),
                        sa.Column('b', sa.Integer, sa.ForeignKey({LONG + '.id'!r})),
                        sa.Column('c', sa.Integer), sa.Column('d', sa.Integer),
                        sa.UniqueConstraint('external_reference_identifier', 'b', 'c', 'd'))
        op.create_unique_constraint(None, {LONG!r}, ['external_reference_identifier', 'b'])
        """,
        {
            "customer_subscription_billing_adjustment_history_pkey",
            "customer_subscription_billing_external_reference_identifier_key",
            "customer_subscription_billing_external_reference_identifie_key1",
            "customer_subscription_billing_external_reference_identifie_key2",
            "customer_subscription_billing_adjustment_history_b_fkey",
        },
    ),
    "multi-byte names cut between characters": (
        f"""
        op.create_table({WIDE!r}, sa.Column('id', sa.Integer, primary_key=True),
                        sa.Column({"a" * 21!r}, sa.Integer, unique=True))
        """,
        {"é" * 18 + "_" + "a" * 21 + "_key", "é" * 29 + "_pkey"},
    ),
    "a numeric suffix on a name taken by a constraint, an index or a table": (
        """
        op.create_table('t', sa.Column('id', sa.Integer, primary_key=True), sa.Column('a', sa.Integer),
                        sa.Column('b', sa.Integer))
        op.rename_table('t', 't_old')
        op.create_table('t', sa.Column('id', sa.Integer, primary_key=True), sa.Column('a', sa.Integer),
                        sa.Column('b', sa.Integer))
        op.create_table('t_b_key', sa.Column('id', sa.Integer, primary_key=True))
        op.create_index('t_a_key', 't', ['b'])
        op.create_unique_constraint(None, 't', ['a'])
        op.create_unique_constraint(None, 't', ['b'])
        op.create_index('t_a_fkey', 't', ['a'])
        op.create_foreign_key(None, 't', 't_old', ['a'], ['id'])
        op.create_foreign_key('t_b_fkey', 't_old', 't', ['b'], ['id'])
        op.create_foreign_key(None, 't', 't_old', ['b'], ['id'])
        """,
        {"t_pkey", "t_pkey1", "t_a_key1", "t_b_key1", "t_a_fkey", "t_b_fkey", "t_b_fkey1"},
    ),
    "keys that are the same make one, under the first name given": (
        """
        op.create_table('t', sa.Column('id', sa.Integer, primary_key=True), sa.Column('a', sa.Integer, unique=True),
                        sa.UniqueConstraint('id', name='uq_id'), sa.UniqueConstraint('a'),
                        sa.UniqueConstraint('a', name='uq_a'), sa.UniqueConstraint('a', name='uq_a_again'))
        op.create_table('u', sa.Column('id', sa.Integer, primary_key=True, unique=True),
                        sa.Column('d', sa.Integer), sa.UniqueConstraint('d'))
        """,
        {"uq_id", "uq_a", "u_pkey", "u_d_key"},
    ),
    "create_primary_key, and add_column with UNIQUE, REFERENCES and an index": (
        """
        op.create_table('p', sa.Column('code', sa.String(10), nullable=False))
        op.create_primary_key(None, 'p', ['code'])
        op.add_column('p', sa.Column('parent', sa.String(10), sa.ForeignKey('p.code'), unique=True))
        op.drop_constraint('p_parent_key', 'p', type_='unique')
        op.add_column('p', sa.Column('other', sa.String(10), sa.ForeignKey('p.code'), index=True))
        """,
        {"p_pkey", "p_parent_fkey", "p_other_fkey", "ix_p_other"},
    ),
    "drop_column drops what uses the column, also through a predicate or an expression": (
        """
        op.create_table('p', sa.Column('id', sa.Integer, primary_key=True))
        op.create_table('t', sa.Column('id', sa.Integer, primary_key=True), sa.Column('a', sa.Integer),
                        sa.Column('b', sa.Integer, sa.ForeignKey('p.id')), sa.Column('c', sa.Integer),
                        sa.UniqueConstraint('a', 'b'), sa.UniqueConstraint('c'))
        op.create_index('ix_partial', 't', ['c'], unique=True, postgresql_where=sa.text('a IS NULL'),
                        sqlite_where=sa.text('a IS NULL'))
        op.execute('CREATE UNIQUE INDEX ix_expression ON t ((a + c))')
        op.execute('CREATE UNIQUE INDEX ix_kept ON t ((c + 1)) WHERE c > 0')
        op.create_index('ix_b', 't', ['b'])
        op.drop_column('t', 'a')
        op.drop_column('t', 'b')
        op.alter_column('t', 'c', new_column_name='d', existing_type=sa.Integer, nullable=False)
        op.drop_constraint('t_c_key', 't', type_='unique')
        """,
        {"t_pkey", "ix_kept"},
    ),
}


@pytest.mark.postgres
@pytest.mark.parametrize("case", NAMING_CASES)
def test_sqlite_side_follows_postgresql(case: str, pg_cases_engine: sa.Engine, tmp_path: Path) -> None:
    """The same revisions on PostgreSQL and SQLite: every revision runs, and every table has the same keys under
    the same names (and the same foreign key names)."""
    from tests.pg_histories import run_both

    body, expected = NAMING_CASES[case]
    with pg_cases_engine.connect() as connection:
        connection.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        result = run_both([Revision("n1", None, body)], connection, tmp_path)
    assert result.failure is None
    assert result.differences == []
    assert result.sqlite == result.postgresql
    names = {name for _, keys, fks in result.postgresql.values() for _, name in keys} | {
        fk for _, _, fks in result.postgresql.values() for fk in fks
    }
    assert expected <= names, names


def test_drop_column_drops_the_indexes_and_keys_that_use_it(tmp_path: Path) -> None:
    """SQLite refuses DROP COLUMN of an indexed, UNIQUE or referencing column; PostgreSQL drops those with it."""
    revisions = [
        Revision(
            "d1",
            None,
            """
            op.create_table('t', sa.Column('id', sa.Integer, primary_key=True), sa.Column('a', sa.Integer),
                            sa.Column('b', sa.Integer, sa.ForeignKey('t.id')), sa.Column('c', sa.Integer),
                            sa.Column('Mixed Case', sa.Integer), sa.UniqueConstraint('a', 'c'))
            op.execute('CREATE UNIQUE INDEX ix_where ON t (c) WHERE a IS NULL')
            op.execute('CREATE INDEX ix_expression ON t (abs(b))')
            op.execute('CREATE INDEX ix_string ON t (c) WHERE c <> \\'a\\'')
            op.execute('CREATE INDEX ix_quoted ON t ("Mixed Case")')
            """,
        ),
        Revision("d2", "d1", "op.drop_column('t', 'a')\nop.drop_column('t', 'b')\nop.drop_column('t', 'Mixed Case')"),
    ]
    project = AlembicProject.load(write_project(tmp_path, revisions))
    with sqlite_memory_connection() as conn:
        assert upgrade(conn, project) == ["d1", "d2"]
        table = reflect(conn).table("t")
        assert table is not None
        assert [c.name for c in table.columns] == ["id", "c"]
        assert {k.name for k in table.keys} == {"t_pkey", "ix_string"}
        assert sa.inspect(conn).get_foreign_keys("t") == []


# Alembic 1.8's batch mode on SQLAlchemy 1.4 warns while it copies the table (the oldest versions CI runs)
@pytest.mark.filterwarnings("ignore:A column with name 'id' is already present:sqlalchemy.exc.SADeprecationWarning")
def test_a_table_copy_keeps_expression_and_partial_indexes(tmp_path: Path) -> None:
    """Batch mode rebuilds indexes from reflection, which loses expressions and predicates: they are kept as written."""
    revisions = [
        Revision(
            "k1",
            None,
            """
            op.create_table('t', sa.Column('id', sa.Integer, primary_key=True), sa.Column('email', sa.Text),
                            sa.Column('deleted_at', sa.DateTime))
            op.execute("CREATE UNIQUE INDEX ix_live ON t (lower(email)) WHERE deleted_at IS NULL")
            op.alter_column('t', 'email', existing_type=sa.Text, nullable=False)
            op.alter_column('t', 'deleted_at', new_column_name='removed_at', existing_type=sa.DateTime,
                            nullable=True, server_default=sa.text('CURRENT_TIMESTAMP'))
            op.create_foreign_key(None, 't', 't', ['id'], ['id'])
            """,
        )
    ]
    project = AlembicProject.load(write_project(tmp_path, revisions))
    with sqlite_memory_connection() as conn:
        upgrade(conn, project)
        assert sqlite_sql(conn, "ix_live") == (
            "CREATE UNIQUE INDEX ix_live ON t (lower(email)) WHERE removed_at IS NULL"
        )
        assert "CONSTRAINT t_id_fkey FOREIGN KEY" in sqlite_sql(conn, "t")


@pytest.mark.postgres
def test_a_naming_convention_names_what_it_covers_on_both_engines(pg_cases_engine: sa.Engine, tmp_path: Path) -> None:
    """The project's convention covers UNIQUE only: those get its names, the other keys PostgreSQL's."""
    from tests.pg_histories import run_project

    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("")
    (tmp_path / "app" / "models.py").write_text(
        "import sqlalchemy as sa\n"
        "metadata = sa.MetaData(naming_convention={'uq': 'uq_%(table_name)s_%(column_0_name)s'})\n"
    )
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'app'\n")
    body = """
        op.create_table('p', sa.Column('id', sa.Integer, primary_key=True), sa.Column('a', sa.Integer, unique=True))
        op.create_table('c', sa.Column('id', sa.Integer, primary_key=True), sa.Column('p_id', sa.Integer))
        op.create_unique_constraint(None, 'c', ['p_id'])
        op.create_foreign_key(None, 'c', 'p', ['p_id'], ['id'])
        op.drop_constraint('uq_p_a', 'p', type_='unique')
        op.drop_constraint('c_pkey', 'c', type_='primary')
        """
    ini = write_project(tmp_path / "db", [Revision("v1", None, body)])
    project = AlembicProject.load(ini, metadata="app.models:metadata")
    with pg_cases_engine.connect() as connection:
        connection.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        result = run_project(project, connection)
    assert result.failure is None
    assert result.sqlite == result.postgresql
    names = {name for _, keys, fks in result.postgresql.values() for _, name in keys} | {
        fk for _, _, fks in result.postgresql.values() for fk in fks
    }
    assert names == {"p_pkey", "uq_c_p_id", "c_p_id_fkey"}


# -- unnamed CHECK constraints: PostgreSQL's names on SQLite --------------------------------------------------------
CHECKS_HISTORY = [
    Revision(
        "k1",
        None,
        """
        op.create_table('item', sa.Column('id', sa.Integer, primary_key=True),
                        sa.Column('price', sa.Integer, sa.CheckConstraint('price > 0')),
                        sa.Column('lo', sa.Integer), sa.Column('hi', sa.Integer), sa.Column('Weight', sa.Integer),
                        sa.Column('flag', sa.Boolean(create_constraint=True)),
                        sa.CheckConstraint('lo < hi'), sa.CheckConstraint('hi > 0 AND hi < 100'),
                        sa.CheckConstraint('price < 1000'), sa.CheckConstraint('"Weight" > 0'),
                        sa.CheckConstraint('id > 0', name='named_id'))
        op.create_check_constraint(None, 'item', 'lo >= 0')
        op.add_column('item', sa.Column('qty', sa.Integer, sa.CheckConstraint('qty >= 0')))
        """,
    ),
    Revision(
        "k2",
        "k1",
        """
        op.drop_constraint('item_price_check', 'item', type_='check')
        op.drop_constraint('item_check', 'item', type_='check')
        op.create_check_constraint(None, 'item', 'price > 1')
        """,
    ),
]
CHECK_NAMES = {
    "item_price_check",  # the one dropped in k2 is taken again by the last, once free
    "item_hi_check",
    "item_price_check1",
    "item_Weight_check",
    "named_id",
    "item_lo_check",
    "item_qty_check",
}


def sqlite_check_names(conn: sa.Connection) -> set[str]:
    import re

    sql = "".join(sql or "" for (sql,) in conn.exec_driver_sql("SELECT sql FROM sqlite_master WHERE type = 'table'"))
    return {name.strip('"') for name in re.findall(r'CONSTRAINT ("[^"]+"|\w+) CHECK', sql)}


def test_unnamed_checks_get_postgresqls_names_on_sqlite(tmp_path: Path) -> None:
    """A later revision drops an unnamed CHECK by the name PostgreSQL gave it; the other CHECKs survive the copy."""
    project = AlembicProject.load(write_project(tmp_path, CHECKS_HISTORY))
    with sqlite_memory_connection() as conn:
        assert upgrade(conn, project) == ["k1", "k2"]
        # and the Boolean's own CHECK, which PostgreSQL's native boolean has no need of, named so copies keep it
        assert sqlite_check_names(conn) == CHECK_NAMES | {"item_flag_check"}


@pytest.mark.postgres
def test_unnamed_check_names_are_postgresqls(pg_cases_engine: sa.Engine, tmp_path: Path) -> None:
    """The label: the same history on a real PostgreSQL names its CHECK constraints as the SQLite side does."""
    project = AlembicProject.load(write_project(tmp_path, CHECKS_HISTORY))
    with pg_cases_engine.connect() as connection:
        connection.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        upgrade(connection, project)
        names = connection.exec_driver_sql(
            "SELECT conname FROM pg_constraint WHERE contype = 'c' AND conrelid = 'public.item'::regclass"
        )
        postgresql = {name for (name,) in names}
        connection.rollback()
    assert postgresql == CHECK_NAMES


def test_a_plain_string_execute_runs_where_the_projects_sqlalchemy_runs_it(tmp_path: Path) -> None:
    """`op.get_bind().execute("...")`: SQLAlchemy 1.4's legacy connection (what `alembic upgrade` hands a 1.4
    project) runs a plain string, so the revision runs here too; 2.x refuses it everywhere, and so does the run."""
    body = """
        op.create_table('t', sa.Column('id', sa.Integer, primary_key=True))
        op.get_bind().execute("CREATE TABLE raw_sql (id INTEGER PRIMARY KEY)")
        """
    project = AlembicProject.load(write_project(tmp_path, [Revision("s1", None, body)]))
    if compat.SQLALCHEMY_2:
        with pytest.raises(MigrationError, match="ObjectNotExecutableError: Not an executable object"):
            catalog_at(project)
    else:
        assert sorted(t.name for t in catalog_at(project).tables) == ["raw_sql", "t"]


def test_autocommit_block_runs_in_a_revision(tmp_path: Path) -> None:
    """`with op.get_context().autocommit_block():` (a backfill committed batch by batch, CREATE INDEX
    CONCURRENTLY): Alembic commits the open transaction, runs the block in autocommit mode and begins a new one,
    also when the transaction is the run's own rather than one Alembic began."""
    body = """
        op.create_table('t', sa.Column('id', sa.Integer, primary_key=True), sa.Column('n', sa.Integer))
        op.execute("INSERT INTO t (id) VALUES (1), (2)")
        with op.get_context().autocommit_block():
            while op.get_bind().execute(sa.text("UPDATE t SET n = 0 WHERE id IN "
                                               "(SELECT id FROM t WHERE n IS NULL LIMIT 1)")).rowcount > 0:
                pass
        op.create_table('after', sa.Column('id', sa.Integer, primary_key=True))
        """
    ini = write_project(tmp_path, [Revision("a1", None, body)])
    assert sorted(t.name for t in catalog_at(AlembicProject.load(ini)).tables) == ["after", "t"]
    (tmp_path / "q.sql").write_text("INSERT INTO t (id) VALUES (3) ON CONFLICT (id) DO NOTHING;\n")
    from schema_parity.cli import main

    argv = ["check", "--no-config", "--no-cache", "--dialect", "sqlite", "--alembic-config", str(ini)]
    assert main([*argv, str(tmp_path / "q.sql")]) == 0


def test_a_first_catalog_does_not_build_the_facade(tmp_path: Path) -> None:
    """Start-up is a tenth of a process that builds one catalog (benchmarks/instructions.py catalog): importing a
    source imports the ``sources`` package, whose façade (``Schema``, ``SchemaOptions``: dataclasses, compiled at
    import) such a process never uses; it is built when first asked for, and is the same class then."""
    import subprocess
    import sys

    ini = write_project(tmp_path / "project", linear_chain(2))
    program = (
        "import sys\n"
        "from schema_parity.sources.alembic import AlembicProject, catalog_at\n"
        "catalog = catalog_at(AlembicProject.load(sys.argv[1]))\n"
        "package = sys.modules['schema_parity.sources']\n"
        "print(sorted(t.name for t in catalog.tables))\n"
        "print([n for n in ('Schema', 'SchemaOptions', 'Unavailable') if n in vars(package)])\n"
        "from schema_parity.sources import SchemaOptions\n"
        "from schema_parity.sources.schema import SchemaOptions as same\n"
        "print(SchemaOptions is same)\n"
    )
    run = subprocess.run([sys.executable, "-c", program, str(ini)], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[1])  # fmt: skip
    assert run.stdout.splitlines() == ["['t0_0', 't1_0']", "[]", "True"], run.stdout + run.stderr
