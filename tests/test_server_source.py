"""--postgres-url: the migrations run on a real PostgreSQL, in a scratch database, at every revision a site needs."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from schema_parity.check import SchemaOptions, run_check
from schema_parity.errors import ConnectionFailed
from schema_parity.sources.alembic import AlembicProject
from schema_parity.sources.server import PREFIX, catalogs_on_server
from tests.alembic_projects import Revision, write_project

pytestmark = pytest.mark.postgres

REVISIONS = [
    Revision(
        "j1",
        None,
        """
        from sqlalchemy.dialects import postgresql
        op.create_table('doc', sa.Column('id', sa.Integer, primary_key=True), sa.Column('slug', sa.Text),
                        sa.Column('body', postgresql.JSONB), sa.UniqueConstraint('slug', name='uq_doc_slug'))
        # A data migration: it reads the database, so Alembic's offline mode cannot run it.
        op.get_bind().execute(sa.text('SELECT count(*) FROM doc')).scalar()
        """,
    ),
    Revision("j2", "j1", "op.execute(\"INSERT INTO doc (id, slug) VALUES (1, 'x') ON CONFLICT (slug) DO NOTHING\")"),
    Revision("j3", "j2", "op.drop_constraint('uq_doc_slug', 'doc', type_='unique')"),
]

APP = '''
SQL = "INSERT INTO doc (id, slug) VALUES (1, 'x') ON CONFLICT (slug) DO NOTHING"
'''


def scratch_databases(engine: sa.Engine) -> list[str]:
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT datname FROM pg_database WHERE datname LIKE :p"), {"p": f"{PREFIX}%"})
        return [r[0] for r in rows]


def test_sites_are_judged_per_revision_on_the_server(
    tmp_path: Path, pg_admin_url: str, pg_admin_engine: sa.Engine
) -> None:
    ini = write_project(tmp_path, REVISIONS)
    (tmp_path / "app.py").write_text(APP)
    before = scratch_databases(pg_admin_engine)
    result = run_check(
        [tmp_path],
        root=tmp_path,
        schema=SchemaOptions(alembic_config=ini, postgres_url=pg_admin_url),
        dialects=("postgresql",),
    )
    verdicts = {(s.site.path, s.site.revision): s.verdicts[0] for s in result.sites}
    # Inside j2 the unique constraint exists; at head (after j3) it is gone.
    assert verdicts[("migrations/versions/j2_rev.py", "j2")].status == "ok"
    assert verdicts[("migrations/versions/j2_rev.py", "j2")].arbiters == ("uq_doc_slug",)
    assert verdicts[("app.py", None)].status == "error"
    assert [f.rule for f in result.findings if f.path == "app.py"] == ["SP101"]
    assert scratch_databases(pg_admin_engine) == before


def test_server_that_refuses_is_a_clear_error(tmp_path: Path) -> None:
    project = AlembicProject.load(write_project(tmp_path, REVISIONS))
    with pytest.raises(ConnectionFailed, match=r"cannot create a scratch database on .*:\*\*\*@"):
        catalogs_on_server("postgresql+psycopg://nobody:secret@127.0.0.1:1/postgres", project, ["head"])
