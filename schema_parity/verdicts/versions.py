"""Where PostgreSQL 14 to 18 differ for what a verdict depends on, and what follows for production's version.

The verdict rules themselves (``postgresql.py``: the grammar of ON CONFLICT, parse analysis, ``infer_arbiter_indexes``
and the executor's arbiter checks) are the same on every supported major version: each difference found between 14
and 18 is in the *keys a schema can have*. A key that needs a newer server than production runs does not exist
there: the statement creating it fails (a syntax error, or 0A000), so the migration fails, and the schema a site
would meet in production is not the one the Catalog describes. A site on such a table is unresolved for PostgreSQL,
with the key and the version named, never judged against a key production cannot have.

Each difference was checked on real servers of every major version 14 to 18 (``tests/test_postgres_versions.py`` runs
them again on each server the suite is given; .ci/run gives it 14, 15, 16, 17 and 18). Differences that do not change
what a Catalog holds are left out: ``MERGE`` (15), ``EXPLAIN (GENERIC_PLAN)`` (16, which ``--verify`` does not use),
``NOT ENFORCED`` (18: CHECK and FOREIGN KEY only; a PRIMARY KEY or UNIQUE marked ``[NOT] ENFORCED`` is 0A000 on 18
and a syntax error before, so no key is ever unenforced), virtual generated columns (18: no index, unique or not,
may reference one (0A000), so they never reach a key), ``NOT NULL ... NOT VALID`` (18: new rows are checked all the
same), and the ``pg_c_utf8`` collation (17, a collation name the key records like any other).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from schema_parity.catalog import Key, Table
from schema_parity.limits import NEWEST_POSTGRES as NEWEST
from schema_parity.limits import OLDEST_POSTGRES as OLDEST

__all__ = ["FEATURES", "NEWEST", "OLDEST", "Feature", "missing_features"]


@dataclass(frozen=True)
class Feature:
    """A kind of key that exists from ``since`` on; before, the DDL that would create it fails with ``before``."""

    name: str
    since: int
    before: str
    """What a server older than ``since`` answers to the DDL."""
    keys: Callable[[Table], list[Key]]
    """The keys of a table that need the feature."""


FEATURES: tuple[Feature, ...] = (
    Feature(
        "NULLS NOT DISTINCT",
        15,
        '42601 syntax error at or near "NULLS"',
        lambda table: [k for k in table.keys if k.nulls_not_distinct],
    ),
    Feature(
        "an exclusion constraint on a partitioned table",
        17,
        "0A000 exclusion constraints are not supported on partitioned tables",
        lambda table: [k for k in table.keys if k.kind == "exclusion"] if table.kind == "partitioned" else [],
    ),
    Feature(
        "WITHOUT OVERLAPS (a temporal key)",
        18,
        '42601 syntax error at or near "WITHOUT"',
        lambda table: [k for k in table.keys if k.without_overlaps],
    ),
)


def missing_features(table: Table, version: int | None) -> list[str]:
    """What ``table`` has that PostgreSQL ``version`` cannot create, one sentence each (none when ``version`` is
    None: production's version is not known)."""
    if version is None:
        return []
    return [
        f"{key.describe()} needs {feature.name}, which PostgreSQL {version} does not have (from {feature.since}; "
        f"before, the DDL fails: {feature.before})"
        for feature in FEATURES
        if version < feature.since
        for key in feature.keys(table)
    ]
