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
from schema_parity.errors import ConnectionFailed, MigrationError, describe
from schema_parity.sources.alembic import AlembicProject, upgrade
from schema_parity.sources.reflect import create_engine_or_explain, reflect

PREFIX = "schema_parity_check_"


class SecretURL(str):
    """A database URL whose ``repr`` shows its password as ``***``; the string itself is the real URL.

    pytest prints fixture values, ``--showlocals`` and assertion operands with ``repr``, so a URL handed to tests
    as a plain string put its password in every failure report. As a ``str`` it works wherever a URL string does
    (SQLAlchemy, psycopg, f-strings, comparisons); what a string method returns is a plain ``str`` again.
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return repr(self.masked)

    @property
    def masked(self) -> str:
        """The URL with its password replaced by ``***`` (the whole text, when it does not parse as a URL)."""
        try:
            return sa.make_url(str(self)).render_as_string(hide_password=True)
        except sa.exc.ArgumentError:
            return "***"



class ScratchDatabases:
    """Databases this object created on a PostgreSQL server: it drops those, and refuses to drop any other.

    The fixtures' template databases and the check's migration database both live here, so "never write to a
    database we did not create" is enforced in one place.
    """

    def __init__(self, server_url: str, prefix: str) -> None:
        self.server_url = sa.make_url(server_url)
        self.prefix = prefix
        self.admin = create_engine_or_explain(self.server_url, isolation_level="AUTOCOMMIT")
        self._created: set[str] = set()

    @property
    def shown(self) -> str:
        return self.server_url.render_as_string(hide_password=True)

    def url(self, database: str) -> SecretURL:
        return SecretURL(self.server_url.set(database=database).render_as_string(hide_password=False))

    def create(self, *, label: str = "", template: str = "template0") -> str:
        """A new empty database (or a copy of ``template``) named ``<prefix><label><random>``; return its name."""
        name = f"{self.prefix}{label}{uuid.uuid4().hex[:12]}"
        with self.admin.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
        self._created.add(name)
        return name

    def drop(self, name: str) -> None:
        """Drop a database this object created (refuses any other name)."""
        if name not in self._created:
            raise ValueError(f"schema-parity did not create database {name!r}; it drops only its own")
        with self.admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self._created.discard(name)

    def close(self) -> None:
        """Drop every database still alive, then release the admin connection."""
        for name in sorted(self._created):
            self.drop(name)
        self.admin.dispose()


def catalogs_on_server(
    server_url: str, project: AlembicProject, revisions: Iterable[str], *, use_env_py: bool = False
) -> dict[str, Catalog]:
    """The Catalog at each of ``revisions`` (ids, ``head`` or ``heads``), migrated on the server at ``server_url``.

    ``server_url`` names any database the user can connect to with the right to CREATE DATABASE; the only
    database written is the one created here (``schema_parity_check_<random>``), dropped before returning.
    """
    scratch = ScratchDatabases(server_url, PREFIX)
    try:
        name = scratch.create()
    except sa.exc.SQLAlchemyError as exc:
        scratch.close()
        raise ConnectionFailed(
            f"cannot create a scratch database on {scratch.shown}: {describe(exc)}. "
            "--postgres-url needs a server where this user may CREATE DATABASE."
        ) from exc
    order = {script.revision: i for i, script in enumerate(project.revisions())}
    wanted = sorted(set(revisions), key=lambda r: order.get(project.resolve(r), len(order)))
    result: dict[str, Catalog] = {}
    try:
        for revision in wanted:
            engine = sa.create_engine(scratch.url(name))
            try:
                try:
                    _upgrade(engine, project, revision, use_env_py)
                except MigrationError as exc:
                    if "not a valid upgrade target" not in str(exc):
                        raise
                    # Another branch: start again from an empty database for this revision.
                    engine.dispose()
                    scratch.drop(name)
                    name = scratch.create()
                    engine = sa.create_engine(scratch.url(name))
                    _upgrade(engine, project, revision, use_env_py)
                with engine.connect() as conn:
                    result[revision] = reflect(
                        conn, source=f"postgresql-server:{scratch.shown}@{revision}", revision=revision
                    )
            finally:
                engine.dispose()
    finally:
        scratch.close()
    return result


def _upgrade(engine: sa.Engine, project: AlembicProject, revision: str, use_env_py: bool) -> None:
    with engine.connect() as conn:
        upgrade(conn, project, revision, use_env_py=use_env_py)
        conn.commit()
