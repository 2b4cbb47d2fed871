"""Generated PostgreSQL-style histories (``tests/pg_histories.py``) build on SQLite the keys PostgreSQL builds.

Each history runs on a real PostgreSQL server, which is the label, and on SQLite: every revision must run on
SQLite, and every table must come out with the same columns, the same keys (kind, elements, predicate) under the
same names, and the same foreign key names, since a later revision drops a constraint by the name PostgreSQL gave
it. The set is fixed (seeds 0 to 39); ``python -m tests.pg_histories`` prints the totals.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.pg_histories import COUNT, history, outcome


def test_a_seed_gives_the_same_history_every_time() -> None:
    assert history(7) == history(7)
    assert history(7) != history(8)


@pytest.mark.postgres
@pytest.mark.parametrize("seed", range(COUNT))
def test_sqlite_builds_postgresqls_keys_and_names(seed: int, pg_cases_engine: sa.Engine, tmp_path: Path) -> None:
    with pg_cases_engine.connect() as connection:
        connection.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        result = outcome(seed, connection, tmp_path)
    assert result.failure is None
    assert result.differences == []
    assert result.sqlite == result.postgresql
