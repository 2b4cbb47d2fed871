"""The real migrations on a real PostgreSQL server, in a database created for the purpose and dropped afterwards.

For projects whose migrations run neither offline (they read data) nor on SQLite (PostgreSQL-only types), this is
the exact PostgreSQL schema, at head and at every revision a statement inside a migration needs. The revisions
are applied in history order in one database, reflecting it at each requested revision, so a history is run once.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

import sqlalchemy as sa

from schema_parity.catalog import Catalog
from schema_parity.errors import ConnectionFailed, MigrationError
from schema_parity.sources.alembic import AlembicProject, upgrade
from schema_parity.sources.reflect import reflect

PREFIX = "schema_parity_check_"


def catalogs_on_server(
    server_url: str, project: AlembicProject, revisions: Iterable[str], *, use_env_py: bool = False
) -> dict[str, Catalog]:
    """The Catalog at each of ``revisions`` (ids, ``head`` or ``heads``), migrated on the server at ``server_url``.

    ``server_url`` names any database the user can connect to with the right to CREATE DATABASE; the only
    database written is the one created here (``schema_parity_check_<random>``), dropped before returning.
    """
    url = sa.make_url(server_url)
    shown = url.render_as_string(hide_password=True)
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    name = f"{PREFIX}{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.SQLAlchemyError as exc:
        admin.dispose()
        raise ConnectionFailed(
            f"cannot create a scratch database on {shown}: {str(exc).strip().splitlines()[0]}. "
            "--postgres-url needs a server where this user may CREATE DATABASE."
        ) from exc
    order = {script.revision: i for i, script in enumerate(project.revisions())}
    wanted = sorted(set(revisions), key=lambda r: order.get(project.resolve(r), len(order)))
    engine = sa.create_engine(url.set(database=name))
    result: dict[str, Catalog] = {}
    try:
        for revision in wanted:
            try:
                with engine.connect() as conn:
                    upgrade(conn, project, revision, use_env_py=use_env_py)
                    conn.commit()
            except MigrationError as exc:
                if "not a valid upgrade target" not in str(exc):
                    raise
                # Another branch: start again from an empty database for this revision.
                engine.dispose()
                _recreate(admin, name)
                with engine.connect() as conn:
                    upgrade(conn, project, revision, use_env_py=use_env_py)
                    conn.commit()
            with engine.connect() as conn:
                catalog = reflect(conn, source=f"postgresql-server:{shown}@{revision}", revision=revision)
            result[revision] = catalog
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    return result


def _recreate(admin: sa.Engine, name: str) -> None:
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
