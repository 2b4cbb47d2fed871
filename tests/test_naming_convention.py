"""The project's naming convention, which Alembic applies to ``op.*`` constraints, comes from env.py's
``target_metadata`` (or the ``metadata`` setting) although the built-in environment does not run env.py."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from schema_parity.catalog import Catalog
from schema_parity.errors import ConfigError, MigrationError
from schema_parity.sources.alembic import AlembicProject, catalog_at
from schema_parity.sources.server import catalogs_on_server
from tests.alembic_projects import COOKBOOK_ENV_PY, Revision, write_project

pytestmark = pytest.mark.postgres

MODELS = """
import sqlalchemy as sa
from sqlalchemy.orm import declarative_base

ENGINE = sa.create_engine("sqlite:///{dev}")  # an application engine made at import time: must never be used
with ENGINE.connect() as connection:
    connection.exec_driver_sql("CREATE TABLE IF NOT EXISTS touched (id integer)")

Base = declarative_base(metadata=sa.MetaData(naming_convention={{
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
}}))
"""
#: op.* calls without names: Alembic names them by the convention, and the last revision drops one by that name.
HISTORY = [
    Revision("a1", None, "op.create_table('org', sa.Column('id', sa.Integer, primary_key=True))"),
    Revision(
        "a2",
        "a1",
        """
        op.create_table('member', sa.Column('id', sa.Integer, primary_key=True), sa.Column('email', sa.Text),
                        sa.Column('org_id', sa.Integer))
        op.create_unique_constraint(None, 'member', ['email'])
        op.create_foreign_key(None, 'member', 'org', ['org_id'], ['id'])
        """,
    ),
    Revision("a3", "a2", "op.drop_constraint('uq_member_email', 'member', type_='unique')"),
]


def project(tmp_path: Path, env_py: str) -> Path:
    (tmp_path / "app").mkdir(parents=True)
    (tmp_path / "app" / "__init__.py").write_text("")
    (tmp_path / "app" / "models.py").write_text(MODELS.format(dev=tmp_path / "dev.db"))
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'app'\n")
    return write_project(tmp_path / "db", HISTORY, env_py=env_py)


ENV_WITH_METADATA = "from app.models import Base\ntarget_metadata = Base.metadata\n" + COOKBOOK_ENV_PY


def member_keys(catalog: Catalog) -> set[str | None]:
    member = catalog.table("member")
    assert member is not None
    return {k.name for k in member.keys} | set(member.other_constraints)


def test_the_convention_of_env_pys_target_metadata_names_op_constraints(tmp_path: Path, pg_admin_url: str) -> None:
    ini = project(tmp_path, ENV_WITH_METADATA)
    built = catalogs_on_server(pg_admin_url, AlembicProject.load(ini), ["a2", "a3"])
    assert {"uq_member_email", "fk_member_org_id_org"} <= member_keys(built["a2"])
    assert member_keys(built["a3"]) == member_keys(built["a2"]) - {"uq_member_email"}
    assert not (tmp_path / "dev.db").exists(), "the application's own database was touched while importing it"


def test_the_metadata_setting_names_it_when_env_py_does_not(tmp_path: Path, pg_admin_url: str) -> None:
    ini = project(tmp_path, COOKBOOK_ENV_PY)
    with pytest.raises(MigrationError, match=r"Revision a3 .*uq_member_email"):
        catalogs_on_server(pg_admin_url, AlembicProject.load(ini), ["a3"])
    loaded = AlembicProject.load(ini, metadata="app.models:Base")
    assert "uq_member_email" not in member_keys(catalogs_on_server(pg_admin_url, loaded, ["a3"])["a3"])


def test_a_configured_metadata_that_cannot_be_imported_is_named(tmp_path: Path) -> None:
    ini = project(tmp_path, COOKBOOK_ENV_PY)
    with pytest.raises(ConfigError, match=r"metadata = 'app.nothing:Base' cannot be imported"):
        catalog_at(AlembicProject.load(ini, metadata="app.nothing:Base"))


def test_two_projects_with_a_package_of_the_same_name_each_get_their_own_convention(tmp_path: Path) -> None:
    """A test session (or a long-lived worker) that read one project's ``app.models`` reads the next project's own."""
    first = project(tmp_path / "first", ENV_WITH_METADATA)
    assert AlembicProject.load(first).naming_convention == {
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    }
    second = project(tmp_path / "second", ENV_WITH_METADATA)
    models = tmp_path / "second" / "app" / "models.py"
    models.write_text(models.read_text().replace('"uq": "uq_%(table_name)s_', '"uq": "other_%(table_name)s_'))
    assert AlembicProject.load(second).naming_convention == {
        "uq": "other_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    }
    assert "app" not in sys.modules
