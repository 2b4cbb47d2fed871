"""Engine drift: the same schema source gives SQLite and PostgreSQL different keys for a table an upsert writes.

A team whose tests run on SQLite trusts them to exercise the keys production has. When the migrations build a key on
one engine only (``postgresql_where`` without ``sqlite_where``, a constraint created under a dialect guard) or build
it differently (a key PostgreSQL defers and SQLite checks at once), every upsert into that table is tested against
other keys than production enforces: each verdict can be right for its engine while the test suite proves nothing
about production. The rules (SP5xx) are warnings placed at each upsert into such a table.

Only keys that can decide a conflict are compared (primary keys, unique constraints and unique indexes), matched by
what they are, never by name (see compare.key_identity). Exclusion constraints are left out: SQLite has none, so no
migration can build one there, and a warning the user cannot act on would only teach them to ignore the family.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from schema_parity.catalog import Key, Table
from schema_parity.compare import key_identity
from schema_parity.rules import rule_for

__all__ = ["DEFERRAL_DRIFT", "KEY_DRIFT", "Drift", "table_drift"]

KEY_DRIFT = "SP501"
DEFERRAL_DRIFT = "SP502"

_ARBITER_KINDS = ("primary_key", "unique", "unique_index")


@dataclass(frozen=True)
class Drift:
    """One difference between the engines' keys of one table, as a rule code, message and hint."""

    rule: str
    message: str
    hint: str


def table_drift(sqlite: Table, postgresql: Table) -> list[Drift]:
    """How the keys that can arbitrate a conflict differ between the table as SQLite has it and as PostgreSQL does."""
    left, right = _arbiter_keys(sqlite.keys), _arbiter_keys(postgresql.keys)
    name = postgresql.qualified_name
    found: list[Drift] = []
    only_pg = [right[i] for i in right if i not in left]
    only_sqlite = [left[i] for i in left if i not in right]
    if only_pg or only_sqlite:
        rule = rule_for(KEY_DRIFT)
        sides = []
        if only_pg:
            sides.append(rule.text("only-postgresql", keys="; ".join(k.describe() for k in only_pg)))
        if only_sqlite:
            sides.append(rule.text("only-sqlite", keys="; ".join(k.describe() for k in only_sqlite)))
        said = rule.say("keys-differ", table=name, sides=", ".join(sides))
        found.append(Drift(KEY_DRIFT, said.message, said.hint))
    for identity in left.keys() & right.keys():
        pg_key = right[identity]
        if pg_key.deferrable and not left[identity].deferrable:
            said = rule_for(DEFERRAL_DRIFT).say(
                "initially-deferred" if pg_key.initially_deferred else "initially-immediate",
                key=left[identity].describe(),
                table=name,
            )
            found.append(Drift(DEFERRAL_DRIFT, said.message, said.hint))
    return found


def _arbiter_keys(keys: Sequence[Key]) -> dict[tuple[str, tuple[str, ...], str, bool], Key]:
    return {key_identity(k): k for k in keys if k.valid and k.kind in _ARBITER_KINDS}
