"""--postgres-url: the migrations run on a real PostgreSQL, in a scratch database, at every revision a site needs."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import pytest

from schema_parity import compat
from schema_parity.check import run_check
from schema_parity.errors import ConnectionFailed
from schema_parity.sources import SchemaOptions
from schema_parity.sources.alembic import AlembicProject
from schema_parity.sources.server import PREFIX, ScratchDatabases, catalogs_on_server
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


def test_sites_are_judged_per_revision_on_the_server(
    tmp_path: Path, pg_admin_url: str, pg_alive: Callable[[Iterable[str]], set[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    ini = write_project(tmp_path, REVISIONS)
    (tmp_path / "app.py").write_text(APP)
    created: list[str] = []  # this check's scratch databases: other clients of the server make their own
    create = ScratchDatabases.create

    def recording_create(self: ScratchDatabases, **kwargs: str) -> str:
        created.append(create(self, **kwargs))
        return created[-1]

    monkeypatch.setattr(ScratchDatabases, "create", recording_create)
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
    assert created and all(name.startswith(PREFIX) for name in created)
    assert pg_alive(created) == set(), "the check left its scratch database behind"


def test_server_that_refuses_is_a_clear_error(tmp_path: Path) -> None:
    project = AlembicProject.load(write_project(tmp_path, REVISIONS))
    with pytest.raises(ConnectionFailed, match=r"cannot create a scratch database on .*:\*\*\*@"):
        down = f"postgresql+{compat.POSTGRES_DRIVER}://nobody:secret@127.0.0.1:1/postgres"
        catalogs_on_server(down, project, ["head"])
