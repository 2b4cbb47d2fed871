"""The names PostgreSQL gives a constraint created without one, so the SQLite side of a history can give it the same.

A PostgreSQL-first history drops such a constraint later by the name PostgreSQL chose (``t_email_key``,
``t_pkey``, ``t_owner_id_fkey``); SQLite keeps no name at all, so the drop would fail there. The rules are
PostgreSQL's own (``src/backend/commands/indexcmds.c`` and ``catalog/pg_constraint.c``, PostgreSQL 15):

* a PRIMARY KEY or UNIQUE constraint is named by ``ChooseRelationName(table, columns, "pkey"|"key")``: the first of
  ``<table>_<columns>_key``, ``..._key1``, ``..._key2`` that is neither a relation (table, view, index, sequence) nor
  a constraint of the schema; a primary key's name leaves the columns out (``<table>_pkey``);
* a FOREIGN KEY by ``ChooseConstraintName(table, columns, "fkey")``: the first of ``<table>_<columns>_fkey``,
  ``..._fkey1``, ... that no constraint of the schema has (relations do not count);
* a CHECK constraint by ``ChooseConstraintName(table, column, "check")`` (``AddRelationNewConstraints``), where
  ``column`` is the one column the expression uses, or none when it uses several or none (``<table>_check``);
* ``<columns>`` is the column names joined by ``_``, stopping once 64 bytes are reached
  (``ChooseIndexNameAddition``), and the whole name fits in 63 bytes by cutting the longer of table and columns
  first, never inside a UTF-8 character (``makeObjectName``).
"""

from __future__ import annotations

from collections.abc import Container, Sequence

__all__ = [
    "NAMEDATALEN",
    "choose_check_name",
    "choose_constraint_name",
    "choose_relation_name",
    "column_addition",
    "object_name",
]

#: PostgreSQL's NAMEDATALEN: a name holds at most NAMEDATALEN - 1 bytes.
NAMEDATALEN = 64


def column_addition(columns: Sequence[str]) -> str:
    """``ChooseIndexNameAddition``: column names joined by ``_``, no more once the text reaches NAMEDATALEN bytes."""
    text = b""
    for column in columns:
        if text:
            text += b"_"
        text += column.encode()[: NAMEDATALEN - 1]
        if len(text) >= NAMEDATALEN:
            break
    return text.decode(errors="ignore")


def _clip(name: bytes, length: int) -> bytes:
    """``pg_mbcliplen``: at most ``length`` bytes of UTF-8 ``name``, never part of a character."""
    clipped = name[:length]
    while clipped and not _complete(clipped):
        clipped = clipped[:-1]
    return clipped


def _complete(text: bytes) -> bool:
    try:
        text.decode()
    except UnicodeDecodeError:
        return False
    return True


def object_name(name1: str, name2: str | None, label: str) -> str:
    """``makeObjectName``: ``name1_name2_label`` in NAMEDATALEN - 1 bytes, the longer of the names cut first."""
    first, second = name1.encode(), (name2 or "").encode()
    overhead = len(label) + 1 + (1 if name2 is not None else 0)
    available = NAMEDATALEN - 1 - overhead
    first_len, second_len = len(first), len(second)
    while first_len + second_len > available:
        if first_len > second_len:
            first_len -= 1
        else:
            second_len -= 1
    parts = [_clip(first, first_len)]
    if name2 is not None:
        parts.append(_clip(second, second_len))
    parts.append(label.encode())
    return b"_".join(parts).decode()


def _choose(name1: str, name2: str | None, label: str, taken: Container[str]) -> str:
    """The first of ``object_name(label)``, ``object_name(label1)``, ... not in ``taken``."""
    candidate, attempt = object_name(name1, name2, label), 0
    while candidate in taken:
        attempt += 1
        candidate = object_name(name1, name2, f"{label}{attempt}")
    return candidate


def choose_relation_name(table: str, columns: Sequence[str] | None, label: str, taken: Container[str]) -> str:
    """A PRIMARY KEY (``columns`` None, label ``pkey``) or UNIQUE (label ``key``) constraint's name; ``taken``: the
    schema's relation and constraint names."""
    return _choose(table, column_addition(columns) if columns is not None else None, label, taken)


def choose_constraint_name(table: str, columns: Sequence[str], label: str, taken: Container[str]) -> str:
    """A FOREIGN KEY's name (label ``fkey``); ``taken``: the schema's constraint names."""
    return _choose(table, column_addition(columns), label, taken)


def choose_check_name(table: str, column: str | None, taken: Container[str]) -> str:
    """A CHECK constraint's name (label ``check``): ``column`` is the only column its expression uses, or None;
    ``taken``: the schema's constraint names."""
    return _choose(table, column, "check", taken)
