"""Two Catalogs compared: what exists on one side only, and how the tables both have differ.

Used where two schemas that should be one can drift apart: the same migrations on SQLite and on PostgreSQL (engine
drift: a test suite on SQLite then tests other keys than production has), and ``schema-parity diff`` between
migrations, DDL files, models and databases. Differences that cannot change what a statement does are cosmetic
and kept apart (``cosmetic=True``): spelling of a type within its family, order of tables and columns, quoting,
names of keys (each engine names an unnamed constraint its own way; only ``ON CONSTRAINT`` reads a name, and that
is reported for the sites that use it), and the spelling of a default or a predicate that means the same.

Keys are matched by what they are (kind, elements, predicate, NULLS NOT DISTINCT), never by name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal, Union

from schema_parity.catalog import Catalog, Check, Column, ForeignKey, Key, Table

__all__ = ["KINDS", "Difference", "compare", "key_identity"]

Kind = Literal[
    "table", "column", "type", "nullability", "default", "pk", "unique", "index", "fk", "check", "name", "order"
]
#: Kinds a user can leave out (``--ignore``); ``name`` and ``order`` differences are always cosmetic.
KINDS: tuple[Kind, ...] = (
    "table", "column", "type", "nullability", "default", "pk", "unique", "index", "fk", "check"
)  # fmt: skip
#: What a difference is about on each side (for the fixes the diff writes and the keys the code relies on).
Part = Union[Table, Column, Key, ForeignKey, Check]  # noqa: UP007 - a runtime alias


@dataclass(frozen=True)
class Difference:
    """One difference between side A and side B for one table."""

    kind: Kind
    table: str
    a: str | None
    """What A has (None: nothing)."""
    b: str | None
    """What B has (None: nothing)."""
    cosmetic: bool = False
    column: str | None = None
    a_part: Part | None = field(default=None, compare=False, repr=False)
    """The table, column, key, foreign key or check A has (None: A has none)."""
    b_part: Part | None = field(default=None, compare=False, repr=False)

    def describe(self) -> str:
        where = f"{self.table}.{self.column}" if self.column else self.table
        one_sided = ("table", "column", "pk", "unique", "index", "fk", "check")
        if self.kind in one_sided and (self.a is None or self.b is None):
            return f"{where}: only in {'B' if self.a is None else 'A'}: {self.b if self.a is None else self.a}"
        return f"{where}: {self.kind}: A has {self.a or 'none'}, B has {self.b or 'none'}"


def compare(a: Catalog, b: Catalog, *, tables: Iterable[str] | None = None) -> list[Difference]:
    """Every difference between ``a`` and ``b`` (of the named ``tables`` only, when given), tables in name order."""
    left, right = _by_name(a), _by_name(b)
    names = sorted(set(left) | set(right)) if tables is None else sorted({t.lower() for t in tables})
    differences: list[Difference] = []
    for name in names:
        ta, tb = left.get(name), right.get(name)
        if ta is None and tb is None:
            continue
        if ta is None or tb is None:
            shown = (ta or tb).qualified_name  # type: ignore[union-attr]
            differences.append(
                Difference("table", shown, "table" if ta else None, "table" if tb else None, a_part=ta, b_part=tb)
            )
            continue
        differences += _columns(ta, tb)
        differences += _keys(ta, tb)
        if ta.constraints_read and tb.constraints_read:
            differences += _foreign_keys(ta, tb, deferral="sqlite" not in (a.dialect, b.dialect))
            differences += _checks(ta, tb)
    return differences


def _by_name(catalog: Catalog) -> dict[str, Table]:
    """Tables by lower-cased qualified name (both engines match unquoted names without regard to case)."""
    return {t.qualified_name.lower(): t for t in catalog.tables if t.kind in ("table", "partitioned")}


def _columns(ta: Table, tb: Table) -> list[Difference]:
    found: list[Difference] = []
    left = {c.name.lower(): c for c in ta.columns}
    right = {c.name.lower(): c for c in tb.columns}
    for name in sorted(set(left) | set(right), key=lambda n: _position(n, ta, tb)):
        ca, cb = left.get(name), right.get(name)
        if ca is None or cb is None:
            shown = f"column {(ca or cb).name} {(ca or cb).type}"  # type: ignore[union-attr]
            found.append(Difference("column", ta.qualified_name, shown if ca else None, shown if cb else None,
                                    column=(ca or cb).name, a_part=ca, b_part=cb))  # type: ignore[union-attr]  # fmt: skip
            continue
        found += _column(ta.qualified_name, ca, cb)
    shared = [c for c in left if c in right]
    if shared != [c for c in right if c in left]:
        found.append(Difference("order", ta.qualified_name, ", ".join(left[c].name for c in shared),
                                ", ".join(right[c].name for c in right if c in left), cosmetic=True))  # fmt: skip
    return found


def _position(name: str, ta: Table, tb: Table) -> tuple[int, str]:
    order = [c.name.lower() for c in ta.columns] + [c.name.lower() for c in tb.columns]
    return (order.index(name), name)


def _column(table: str, ca: Column, cb: Column) -> list[Difference]:
    found = []

    def found_one(kind: Kind, a: str | None, b: str | None, *, cosmetic: bool = False) -> None:
        found.append(Difference(kind, table, a, b, cosmetic=cosmetic, column=ca.name, a_part=ca, b_part=cb))

    if _type(ca) != _type(cb):
        found_one("type", ca.type, cb.type)
    elif ca.type.lower() != cb.type.lower():
        found_one("type", ca.type, cb.type, cosmetic=True)
    if ca.nullable != cb.nullable:
        found_one("nullability", _nullability(ca), _nullability(cb), cosmetic=_nullable(ca) == _nullable(cb))
    da, db = _default(ca), _default(cb)
    if da != db:
        found_one(
            "default",
            ca.default or ("autoincrement" if da else "no default"),
            cb.default or ("autoincrement" if db else "no default"),
        )
    elif (ca.default or "") != (cb.default or ""):
        found_one("default", ca.default, cb.default, cosmetic=True)
    return found


def _type(column: Column) -> str:
    """What a column's type means: its family (a declared type, whichever engine: the schemas are compared as the
    project declares them, so ``REAL`` and ``FLOAT`` differ on SQLite as ``real`` and ``double precision`` do on
    PostgreSQL), an unbounded ``varchar`` being the ``text`` it is on PostgreSQL."""
    if column.normalized_type == "varchar" and "(" not in column.type:
        return "text"
    return column.normalized_type


def _nullable(column: Column) -> bool:
    """Whether the column can hold NULL: a SQLite rowid alias never does, whatever PRAGMA table_info says."""
    return column.nullable and not column.autoincrement


def _nullability(column: Column) -> str:
    return "NULL" if column.nullable else "NOT NULL"


_CAST = re.compile(r"::[a-z_ ]+(\(\d+(,\s*\d+)?\))?(\[\])?|\s+", re.IGNORECASE)
_WRAPPED_NAME = re.compile(r"\((\w+)\)")
_NOW = {"now()", "current_timestamp", "current_timestamp()", "localtimestamp", "(datetime('now'))", "datetime('now')"}
_TRUE = {"true", "1", "'t'", "'true'", "'1'"}
_FALSE = {"false", "0", "'f'", "'false'", "'0'"}


def _default(column: Column) -> str | None:
    """A default as what it means: casts, parentheses and case removed; ``now()`` and ``CURRENT_TIMESTAMP`` one;
    booleans spelled ``true``/``false`` (SQLite stores them as 1/0); a serial or identity column's sequence as
    ``autoincrement``."""
    if column.autoincrement or column.identity:
        return "autoincrement"
    if column.default is None:
        return None
    text = _CAST.sub("", column.default).lower()
    while text.startswith("(") and text.endswith(")") and text.count("(") == 1:
        text = text[1:-1]
    if text in _NOW or text.replace(" ", "") in {n.replace(" ", "") for n in _NOW}:
        return "now()"
    if column.normalized_type == "boolean":
        if text in _TRUE:
            return "true"
        if text in _FALSE:
            return "false"
    return text


def key_identity(key: Key) -> tuple[str, tuple[str, ...], str, bool]:
    """What a key is, whatever it is called: its class (primary key, unique, plain index, exclusion), its elements
    as text, its predicate (normalised), and NULLS NOT DISTINCT."""
    kind = {"primary_key": "pk", "unique": "unique", "unique_index": "unique"}.get(key.kind, key.kind)
    elements = tuple(
        e.column.lower() if e.column is not None else _normalise(e.expression or "") for e in key.elements
    )
    return (kind, elements, _normalise(key.predicate or ""), key.nulls_not_distinct)


def _normalise(text: str) -> str:
    """SQL text compared as meaning: casts, whitespace, case and redundant outer parentheses removed."""
    text = _CAST.sub("", text).lower()
    text = _WRAPPED_NAME.sub(r"\1", text)  # PostgreSQL writes (status) = 'a' where SQLite keeps status = 'a'
    while text.startswith("(") and text.endswith(")") and _balanced(text[1:-1]):
        text = text[1:-1]
    return text


def _balanced(text: str) -> bool:
    depth = 0
    for char in text:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0


def _keys(ta: Table, tb: Table) -> list[Difference]:
    found: list[Difference] = []
    left = _keys_by_identity(ta.keys)
    right = _keys_by_identity(tb.keys)
    for identity in sorted(set(left) | set(right)):
        ka, kb = left.get(identity), right.get(identity)
        kind: Kind = "pk" if identity[0] == "pk" else "unique" if identity[0] == "unique" else "index"
        if ka is None or kb is None:
            found.append(Difference(kind, ta.qualified_name, ka.describe() if ka else None,
                                    kb.describe() if kb else None, a_part=ka, b_part=kb))  # fmt: skip
            continue
        if ka.deferrable != kb.deferrable or ka.initially_deferred != kb.initially_deferred:
            found.append(Difference(kind, ta.qualified_name, _deferral(ka), _deferral(kb), a_part=ka, b_part=kb))
        if ka.kind != kb.kind:  # a UNIQUE constraint on one side, a unique index on the other
            found.append(Difference(kind, ta.qualified_name, ka.describe(), kb.describe(), a_part=ka, b_part=kb))
        if ka.name != kb.name:
            found.append(Difference("name", ta.qualified_name, ka.name or "(unnamed)", kb.name or "(unnamed)",
                                    cosmetic=True, a_part=ka, b_part=kb))  # fmt: skip
    return found


def fk_identity(fk: ForeignKey) -> tuple[tuple[str, ...], str, tuple[str, ...]]:
    """What a foreign key is, whatever it is called: its columns and the table and columns it refers to."""
    target = f"{fk.referred_schema}.{fk.referred_table}" if fk.referred_schema else fk.referred_table
    return (
        tuple(c.lower() for c in fk.columns), target.lower(), tuple(c.lower() for c in fk.referred_columns)
    )  # fmt: skip


def _foreign_keys(ta: Table, tb: Table, *, deferral: bool = True) -> list[Difference]:
    """Foreign keys matched by what they are; their deferrability only when both sides read it (SQLite's
    PRAGMA foreign_key_list does not say)."""
    found: list[Difference] = []
    left = {fk_identity(f): f for f in ta.foreign_keys}
    right = {fk_identity(f): f for f in tb.foreign_keys}
    for identity in sorted(set(left) | set(right)):
        fa, fb = left.get(identity), right.get(identity)
        if fa is None or fb is None:
            found.append(Difference("fk", ta.qualified_name, fa.describe() if fa else None,
                                    fb.describe() if fb else None, a_part=fa, b_part=fb))  # fmt: skip
            continue
        behaviour = (fa.on_delete, fa.on_update, *((fa.deferrable, fa.initially_deferred) if deferral else ()))
        if behaviour != (fb.on_delete, fb.on_update, *((fb.deferrable, fb.initially_deferred) if deferral else ())):
            found.append(Difference("fk", ta.qualified_name, _unnamed(fa), _unnamed(fb), a_part=fa, b_part=fb))
        elif fa.name != fb.name:
            found.append(Difference("name", ta.qualified_name, fa.name or "(unnamed)", fb.name or "(unnamed)",
                                    cosmetic=True, a_part=fa, b_part=fb))  # fmt: skip
    return found


def _unnamed(fk: ForeignKey) -> str:
    return ForeignKey(**{**fk.__dict__, "name": None}).describe()


_ANY_ARRAY = re.compile(r"(\w+)=any\((\()?array\[([^\]]*)\](?(2)\))\)$")


def check_identity(check: Check) -> str:
    """What a check tests, as normalised text: PostgreSQL's ``x = ANY (ARRAY[...])`` is the ``x IN (...)`` it was
    written as."""
    return _ANY_ARRAY.sub(r"\1in(\3)", _normalise(check.expression))


def _checks(ta: Table, tb: Table) -> list[Difference]:
    found: list[Difference] = []
    left = {check_identity(c): c for c in ta.checks}
    right = {check_identity(c): c for c in tb.checks}
    for identity in sorted(set(left) | set(right)):
        ca, cb = left.get(identity), right.get(identity)
        if ca is None or cb is None:
            found.append(Difference("check", ta.qualified_name, ca.describe() if ca else None,
                                    cb.describe() if cb else None, a_part=ca, b_part=cb))  # fmt: skip
        elif ca.name != cb.name or ca.expression != cb.expression:
            found.append(Difference("check", ta.qualified_name, ca.describe(), cb.describe(), cosmetic=True,
                                    a_part=ca, b_part=cb))  # fmt: skip
    return found


def _keys_by_identity(keys: Sequence[Key]) -> dict[tuple[str, tuple[str, ...], str, bool], Key]:
    return {key_identity(k): k for k in keys if k.valid}


def _deferral(key: Key) -> str:
    if not key.deferrable:
        return f"{key.describe()} (checked at once)"
    return f"{key.describe()}"
