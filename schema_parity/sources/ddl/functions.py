"""``CREATE FUNCTION`` in the default schema: the argument types of each name, which decide whether PostgreSQL calls
``public.f(…)`` or pg_catalog's ``f`` for the bare ``f(…)`` of a conflict target (``dialect.public_functions``).
The function itself changes no table: anything not read here only leaves the name's signatures unknown."""

from __future__ import annotations

import itertools

from schema_parity.sources.ddl.dialect import pg_type_name, strip_public_type
from schema_parity.sources.ddl.model import Refused
from schema_parity.sources.ddl.registry import Head, Registry
from schema_parity.sources.ddl.replay import Replay
from schema_parity.sources.ddl.statement import Stmt, items
from schema_parity.sql.groups import Cursor, SyntaxMismatch
from schema_parity.sql.tokens import Token

__all__ = ["register"]

_MODES = ("IN", "OUT", "INOUT", "VARIADIC")
_MULTI_WORD_TYPES = ("character", "char", "national", "double", "timestamp", "time", "bit", "interval")
"""First words of the type names of more than one word (``character varying``): no argument name before them."""


def register(registry: Registry) -> None:
    registry.add("CREATE", ("FUNCTION",), create_function)


def create_function(replay: Replay, cur: Cursor, stmt: Stmt, head: Head) -> None:
    if not replay.rules.has("search_path"):
        return  # SQLite: no functions
    cur.expect("FUNCTION")
    try:
        schema, name = cur.qualified()
        arguments = cur.group()
    except SyntaxMismatch:
        return
    try:
        if replay.creation_schema(schema) is not None:
            return  # only the default schema's functions are printed bare
    except Refused:
        return
    signature = _signature(stmt.sql, items(arguments))
    known = replay.public_functions.get(name, frozenset())
    replay.public_functions[name] = None if signature is None or known is None else known | {signature}


def _signature(sql: str, arguments: list[list[Token]]) -> tuple[str, ...] | None:
    """The input argument types, as ``format_type`` names them; None when one is not read (a default, VARIADIC)."""
    types: list[str] = []
    for argument in arguments:
        words = [sql[t.start : t.end + 1] for t in argument]
        upper = [w.upper() for w in words]
        if "DEFAULT" in upper or "=" in words or "VARIADIC" in upper:
            return None
        if upper[0] == "OUT":
            continue
        skip = 1 if upper[0] in _MODES else 0
        head = list(itertools.takewhile(lambda w: w not in ("(", "[", "."), words[skip:]))
        if len(head) > 1 and head[0].lower() not in _MULTI_WORD_TYPES:
            skip += 1  # the argument's name
        if skip >= len(argument) or upper[skip] in _MODES:
            return None  # ``name IN type``
        written = strip_public_type(" ".join(sql[argument[skip].start : argument[-1].end + 1].split()))
        type_name = pg_type_name(written)
        if type_name is None:
            return None
        types.append(type_name)
    return tuple(types)
