"""Upserts both engines refuse as syntax errors although sqlglot reads them: the checker must leave them unresolved
with the reason given, on either engine. One table for tests/test_mutants_postgresql.py and
tests/test_mutants_sqlite.py, each running it on its engine against a table ``t`` keyed by ``id`` (with ``a``).

``name: (statement, reason)``; the comment above a group names the code whose mutants the rows kill.
"""

from __future__ import annotations

REFUSED_BY_BOTH: dict[str, tuple[str, str]] = {
    # upsert.parse_upsert: ONLY and four dotted names are syntax errors; the ON CONFLICT clauses of a data-modifying
    # CTE's INSERT and of the outer INSERT are not read as one statement's.
    "ONLY before the target": (
        "INSERT INTO ONLY t (id) VALUES (1) ON CONFLICT (id) DO NOTHING", "ONLY before the INSERT target"),
    "four dotted names": ("INSERT INTO a.b.c.d (id) VALUES (1) ON CONFLICT DO NOTHING", "not a table name"),
    "upserts in a CTE and outside": (
        "WITH x AS (INSERT INTO t (id) VALUES (2) ON CONFLICT (id) DO NOTHING RETURNING id) "
        "INSERT INTO t (id) SELECT id FROM x ON CONFLICT (id) DO NOTHING", "more than one INSERT"),
    # upsert._clause_spans, parse_upsert: a conflict clause sqlglot reads and the engines refuse.
    "ON CONFLICT at the end": ("INSERT INTO t (id) VALUES (1) ON CONFLICT", "not ON CONFLICT [target]"),
    "ON DUPLICATE KEY UPDATE": (
        "INSERT INTO t (id) VALUES (1) ON DUPLICATE KEY UPDATE a = 1", "not ON CONFLICT [target]"),
    # upsert._clause: a clause the engines refuse, which sqlglot reads.
    "target without an action": ("INSERT INTO t (id) VALUES (1) ON CONFLICT (id)", "expected DO NOTHING"),
    "target WHERE without an action": (
        "INSERT INTO t (id) VALUES (1) ON CONFLICT (id) WHERE a > 0", "expected DO after the conflict target"),
    "a comma ending the target": (
        "INSERT INTO t (id) VALUES (1) ON CONFLICT (id,) DO NOTHING", "cannot read the conflict target"),
    "ON CONSTRAINT without a name": (
        "INSERT INTO t (id) VALUES (1) ON CONFLICT ON CONSTRAINT", "expected a constraint name"),
    "ON CONSTRAINT without an action": (
        "INSERT INTO t (id) VALUES (1) ON CONFLICT ON CONSTRAINT ux", "expected DO NOTHING"),
}
