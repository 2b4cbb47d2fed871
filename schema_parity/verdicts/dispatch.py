"""Judge one upsert with the rules of the engine asked for: the entry point of the verdict engines.

``judge`` dispatches a parsed statement to ``postgresql.py`` or ``sqlite.py``; ``check`` parses SQL text first.
The shared vocabulary (``Verdict``, ``Problem`` and the helpers both engines call) is the package's ``__init__``,
which imports neither engine: the modules form no import cycle.
"""

from __future__ import annotations

from collections.abc import Callable

from schema_parity.catalog import Catalog, Dialect, Table, Uncertain
from schema_parity.upsert import Name, Upsert, UpsertParseError, parse_upsert
from schema_parity.verdicts import Problem, Verdict, parse_error

__all__ = ["check", "judge", "resolve_table", "uncertain_table"]


def judge(upsert: Upsert, catalog: Catalog, dialect: Dialect, *, postgres_version: int | None = None) -> Verdict:
    """Judge one parsed statement with ``dialect``'s rules against ``catalog``; ``postgres_version`` is production's
    PostgreSQL major version, when known (see ``versions``)."""
    if dialect == "postgresql":
        from schema_parity.verdicts import postgresql

        verdict = postgresql.judge(upsert, catalog, version=postgres_version)
    elif dialect == "sqlite":
        from schema_parity.verdicts import sqlite

        verdict = sqlite.judge(upsert, catalog)
    else:
        raise ValueError(f"unknown dialect {dialect!r}: expected 'postgresql' or 'sqlite'")
    doubt = uncertain_table(upsert, catalog, dialect) if verdict.status != "unresolved" else None
    if doubt is None:
        return verdict
    unmodelled = Problem.of("SP901", "unmodelled-statement", table=upsert.table_display, reason=doubt.reason)
    return Verdict.unresolved(dialect, unmodelled)


def uncertain_table(upsert: Upsert, catalog: Catalog, dialect: Dialect) -> Uncertain | None:
    """The Catalog's doubt about the table ``upsert`` names, if any: a statement on it was not modelled, so an ok can
    be wrong as well as an error (the statement may have added or removed a key). Matched generously, by name (the
    schema too when both name one), as PostgreSQL folds or SQLite compares names: a doubt too many only costs a firm
    verdict."""
    if not catalog.uncertain:
        return None
    fold: Callable[[Name], str] = Name.folded if dialect == "postgresql" else lambda n: n.text.lower()
    same: Callable[[str], str] = (lambda s: s) if dialect == "postgresql" else str.lower
    table, schema = fold(upsert.table), fold(upsert.schema) if upsert.schema is not None else None
    return next(
        (
            u
            for u in catalog.uncertain
            if same(u.name) == table and (schema is None or u.schema is None or same(u.schema) == schema)
        ),
        None,
    )


def check(sql: str, catalog: Catalog, dialect: Dialect, *, postgres_version: int | None = None) -> Verdict:
    """Parse ``sql`` for ``dialect`` and judge it; text we cannot parse is ``unresolved`` (SP902), never a guess."""
    try:
        upsert = parse_upsert(sql, dialect)
    except UpsertParseError as exc:
        return Verdict.unresolved(dialect, Problem.of("SP902", "unparsable-sql", error=parse_error(exc)))
    return judge(upsert, catalog, dialect, postgres_version=postgres_version)


def resolve_table(upsert: Upsert, catalog: Catalog, dialect: Dialect) -> Table | None:
    """The table ``upsert`` writes to, found as ``dialect`` finds it; None when it finds none (or cannot decide)."""
    if dialect == "postgresql":
        from schema_parity.verdicts import postgresql

        return postgresql._resolve_table(upsert, catalog)[0]
    from schema_parity.verdicts import sqlite

    return sqlite._resolve_table(upsert, catalog)
