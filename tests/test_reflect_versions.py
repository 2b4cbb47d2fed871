"""PostgreSQL reflection on every supported server version (14 to 18).

``pg_index.indnullsnotdistinct`` exists from PostgreSQL 15 on; on 14 the index query reads a constant instead (no
index there can be NULLS NOT DISTINCT). The query a 14 server gets is run here on the server at hand, so its text is
checked by an engine, and it must reflect every other property exactly as the current query does.
"""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from schema_parity.sources import reflect as reflect_module
from schema_parity.sources.reflect import reflect

pytestmark = pytest.mark.postgres

SCHEMA = """
CREATE TABLE account (id integer PRIMARY KEY, email text, org integer, deleted boolean,
                      CONSTRAINT uq_org_email UNIQUE (org, email) DEFERRABLE);
CREATE UNIQUE INDEX ix_live_email ON account (lower(email)) WHERE NOT deleted;
CREATE UNIQUE INDEX ix_org ON account (org) NULLS NOT DISTINCT;
"""


def test_the_query_for_postgresql_14_reflects_everything_but_nulls_not_distinct(
    pg_engine: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pg_engine.connect() as connection:
        if connection.dialect.server_version_info < (15,):
            pytest.skip("this server is the real PostgreSQL 14: test_reflection_on_this_server reflects it")
    with pg_engine.begin() as connection:
        connection.exec_driver_sql(SCHEMA)
    with pg_engine.connect() as connection:
        current = reflect(connection).to_json()
        versions: list[tuple[Any, ...] | None] = []

        def as_14(version: tuple[Any, ...] | None) -> str:
            versions.append(version)
            return original((14, 12))

        original = reflect_module._pg_index_columns
        monkeypatch.setattr(reflect_module, "_pg_index_columns", as_14)
        older = reflect(connection).to_json()
    assert versions and versions[0] is not None and versions[0] >= (15,)  # the real server's version was asked for
    assert current != older
    assert current.replace('"nulls_not_distinct": true', '"nulls_not_distinct": false') == older


def test_the_index_query_depends_on_the_server_version() -> None:
    assert "i.indnullsnotdistinct AS indnullsnotdistinct" in reflect_module._pg_index_columns((15, 4))
    assert "i.indnullsnotdistinct AS indnullsnotdistinct" in reflect_module._pg_index_columns((18, 1))
    assert "false AS indnullsnotdistinct" in reflect_module._pg_index_columns((14, 12))


def test_reflection_on_this_server(pg_engine: sa.Engine) -> None:
    """Whatever the server's version (CI runs this on 14 to 18), reflection works and reads every key property the
    version has: NULLS NOT DISTINCT from 15, WITHOUT OVERLAPS from 18."""
    with pg_engine.connect() as connection:
        version = connection.dialect.server_version_info
    schema = SCHEMA if version >= (15,) else SCHEMA.replace(" NULLS NOT DISTINCT", "")
    if version >= (18,):
        schema += (
            "CREATE EXTENSION IF NOT EXISTS btree_gist;\n"
            "CREATE TABLE booking (id int, during tstzrange, CONSTRAINT booking_pk PRIMARY KEY (id, during "
            "WITHOUT OVERLAPS));\n"
        )
    with pg_engine.begin() as connection:
        connection.exec_driver_sql(schema)
    with pg_engine.connect() as connection:
        catalog = reflect(connection)
    account = catalog.table("account")
    assert account is not None
    keys = {k.name: k for k in account.keys}
    assert keys["uq_org_email"].deferrable and keys["ix_live_email"].predicate == "NOT deleted"
    assert keys["ix_org"].nulls_not_distinct is (version >= (15,))
    booking = catalog.table("booking")
    assert (booking is not None and booking.keys[0].without_overlaps) is (version >= (18,))
