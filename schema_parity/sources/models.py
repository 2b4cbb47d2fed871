"""SQLAlchemy models as a schema source: the project's MetaData (imported by ``metadata.py``) built into a Catalog.

Three uses of the MetaData: a history's naming convention (Alembic applies ``target_metadata.naming_convention`` to
every constraint an ``op.*`` call builds, and the built-in environment runs without the project's ``env.py``, so the
MetaData is read from env.py's ``target_metadata = ...`` or the ``metadata`` setting: ``metadata.py`` alone);
``--models``, the schema the models declare (``metadata.create_all()``), for projects whose history starts from
``create_all()``; and the bootstrap of such a history (create from the models, stamp, run the later revisions).
"""

from __future__ import annotations

import sqlalchemy as sa

from schema_parity import compat
from schema_parity.catalog import Catalog, Dialect

__all__ = ["catalog_from_models"]

def catalog_from_models(
    metadata: sa.MetaData, dialect: Dialect, *, server_url: str | None = None, source: str = "models"
) -> Catalog:
    """The Catalog ``metadata.create_all()`` builds: on a fresh in-memory SQLite database; for PostgreSQL on a scratch
    database of the server at ``server_url``, else from the DDL SQLAlchemy compiles for PostgreSQL, replayed."""
    from schema_parity.sources.reflect import reflect

    if dialect == "sqlite":
        from schema_parity.sources.alembic.sandbox import sqlite_memory_connection

        with sqlite_memory_connection() as connection:
            metadata.create_all(connection)
            return reflect(connection, source=source)
    if server_url is not None:
        from schema_parity.sources.server import PREFIX, ScratchDatabases

        scratch = ScratchDatabases(server_url, PREFIX)
        try:
            engine = compat.create_engine(scratch.url(scratch.create()))
            try:
                with engine.begin() as connection:
                    metadata.create_all(connection)
                with engine.connect() as connection:
                    return reflect(connection, source=source)
            finally:
                engine.dispose()
        finally:
            scratch.close()
    from sqlalchemy.dialects import postgresql
    from sqlalchemy.schema import CreateIndex, CreateTable

    from schema_parity.sources.ddl import catalog_from_ddl

    pg = postgresql.dialect()  # type: ignore[no-untyped-call]  # SQLAlchemy's dialect classes are untyped
    statements = []
    for table in metadata.sorted_tables:
        statements.append(str(CreateTable(table).compile(dialect=pg)).strip())
        statements += [str(CreateIndex(index).compile(dialect=pg)).strip() for index in table.indexes]
    return catalog_from_ddl(";\n".join(statements) + ";\n", "postgresql", source=source)
