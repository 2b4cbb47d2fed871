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
