"""PostgreSQL's ``CREATE TYPE``, ``CREATE DOMAIN``, ``ALTER TYPE``/``ALTER DOMAIN`` and ``DROP TYPE``/``DROP DOMAIN``:
the types the schema defines, so that a verdict knows an enum column from a domain's and what a domain fills in.

No type statement changes a table here, so a form not read here leaves the tables alone and only makes the types
unknown (``Replay.types_read`` False: every column of a type the checker does not know may be a domain again); so
does any statement the replay does not model that may create or drop a type (a ``DO`` block, ``DROP OWNED``:
``Replay.run``).
"""

from __future__ import annotations

from dataclasses import replace

from schema_parity.catalog import TypeKind, UserType
from schema_parity.sources.ddl.dialect import strip_public_type
from schema_parity.sources.ddl.model import Refused
from schema_parity.sources.ddl.pg_catalog_types import PG_CATALOG_TYPES
from schema_parity.sources.ddl.registry import Head, Registry
from schema_parity.sources.ddl.replay import Replay
from schema_parity.sources.ddl.statement import Stmt, Unmodelled
from schema_parity.sql.groups import Cursor, SyntaxMismatch
from schema_parity.sql.tokens import Token, TokenType
from schema_parity.types import type_reference

__all__ = ["frozen_types", "register"]

_DOMAIN_CONSTRAINT_WORDS = frozenset({"COLLATE", "DEFAULT", "CONSTRAINT", "NOT", "NULL", "CHECK"})
#: ALTER TYPE / ALTER DOMAIN actions that leave a type's kind, default and NOT NULL as they are.
_NO_EFFECT = (("ADD", "VALUE"), ("RENAME", "VALUE"), ("OWNER", "TO"), ("ADD", "ATTRIBUTE"), ("DROP", "ATTRIBUTE"),
              ("ALTER", "ATTRIBUTE"), ("RENAME", "ATTRIBUTE"), ("RENAME", "CONSTRAINT"), ("VALIDATE", "CONSTRAINT"))
#: First words of the statements the replay may leave unmodelled without missing a type (they create none).
def register(registry: Registry) -> None:
    registry.add("CREATE", ("TYPE",), create_type)
    registry.add("CREATE", ("DOMAIN",), create_domain)
    registry.add("ALTER", ("TYPE",), alter_type)
    registry.add("ALTER", ("DOMAIN",), alter_type)
    registry.add("DROP", ("TYPE",), drop_type)
    registry.add("DROP", ("DOMAIN",), drop_type)


def frozen_types(replay: Replay) -> tuple[UserType, ...]:
    """The types as a Catalog lists them: named as a column of each is (``public.int4``, a type pg_catalog's int4
    hides, stays qualified). A type whose name has capitals is left out, with every type its lower-case spelling
    names: the replay writes a column's type in lower case, so ``"Mood"`` and ``mood`` would be one name there."""
    types = [replace(t, schema="public") if t.schema is None and t.name in PG_CATALOG_TYPES else t
             for t in replay.types.values()]
    mixed = {(t.schema, t.name.lower()) for t in types if t.name != t.name.lower()}
    return tuple(t for t in types if (t.schema, t.name.lower()) not in mixed)


def create_type(replay: Replay, cur: Cursor, stmt: Stmt, head: Head) -> None:
    if not replay.rules.has("search_path"):
        return  # SQLite has no types
    cur.expect("TYPE")
    try:
        schema, name = cur.qualified()
        if cur.done:
            return  # a shell type (a base type's placeholder): no column can be of it
        kind: TypeKind
        if cur.accept("AS"):
            if cur.accept("ENUM"):
                kind = "enum"
            elif cur.accept("RANGE"):
                kind = "range"
            elif cur.type() == TokenType.L_PAREN:
                kind = "composite"
            else:
                raise SyntaxMismatch("CREATE TYPE AS what")
        elif cur.type() == TokenType.L_PAREN:
            kind = "base"
            if any(Cursor([t], stmt.sql).word() == "DEFAULT" for t in cur.group()):
                raise SyntaxMismatch("a base type's DEFAULT is not read")  # it fills a column of the type
        else:
            raise SyntaxMismatch("CREATE TYPE form")
    except SyntaxMismatch:
        replay.types_read = False
        return
    _define(replay, schema, UserType(name, None, kind))


def create_domain(replay: Replay, cur: Cursor, stmt: Stmt, head: Head) -> None:
    if not replay.rules.has("search_path"):
        return
    cur.expect("DOMAIN")
    try:
        schema, name = cur.qualified()
        cur.accept("AS")
        written = cur.until(lambda c: c.word() in _DOMAIN_CONSTRAINT_WORDS)
        if not written:
            raise SyntaxMismatch("CREATE DOMAIN without a type")
        base = _type_text(stmt, written)
        default: str | None = None
        own_default, not_null, null = False, False, False
        while not cur.done:
            if cur.accept("COLLATE"):
                cur.qualified()
            elif cur.accept("CONSTRAINT"):
                cur.name()
            elif cur.accept("DEFAULT"):
                default, own_default = _expression(replay, cur, stmt), True
            elif cur.accept("NOT", "NULL"):
                not_null = True
            elif cur.accept("NULL"):
                null = True
            elif cur.accept("CHECK"):
                cur.group()
            else:
                raise SyntaxMismatch("CREATE DOMAIN clause")
    except SyntaxMismatch:
        replay.types_read = False
        return
    if not_null and null:
        return  # 42601 conflicting NULL/NOT NULL constraints
    if not own_default:  # DefineDomain copies its base domain's default
        found = _find(replay, *_reference(base))
        default = found.default if found is not None and found.kind == "domain" else None
    _define(replay, schema, UserType(name, None, "domain", base_type=base, default=default, not_null=not_null))


def alter_type(replay: Replay, cur: Cursor, stmt: Stmt, head: Head) -> None:
    """ALTER TYPE / ALTER DOMAIN: a domain's default and NOT NULL, a rename or a new schema."""
    if not replay.rules.has("search_path"):
        return
    domain = cur.accept("DOMAIN")
    if not domain:
        cur.expect("TYPE")
    try:
        schema, name = cur.qualified()
        key = _key(replay, schema, name)
        found = replay.types.get(key) if key is not None else None
        if key is None or found is None:
            return  # the engine refuses: no such type (or one the replay does not list, a table's row type)
        if any(cur.at(*words) for words in _NO_EFFECT):
            return
        if cur.accept("RENAME", "TO"):
            _move(replay, key, found, key[0], cur.name())
        elif cur.accept("SET", "SCHEMA"):
            _move(replay, key, found, replay.rules.norm_schema(cur.name()), found.name)
        elif domain and cur.accept("SET", "DEFAULT"):
            replay.types[key] = replace(found, default=_expression(replay, cur, stmt))
        elif domain and cur.accept("DROP", "DEFAULT"):
            replay.types[key] = replace(found, default=None)
        elif domain and cur.accept("SET", "NOT", "NULL"):
            replay.types[key] = replace(found, not_null=True)
        elif domain and cur.accept("DROP", "NOT", "NULL"):
            replay.types[key] = replace(found, not_null=False)
        elif domain and cur.accept("ADD"):
            if cur.accept("CONSTRAINT"):
                cur.name()
            if cur.accept("NOT", "NULL"):
                replay.types[key] = replace(found, not_null=True)
            elif not cur.accept("CHECK"):
                raise SyntaxMismatch("ALTER DOMAIN ADD what")
        elif domain and cur.accept("DROP", "CONSTRAINT"):
            if found.not_null:  # PostgreSQL 17 names a domain's NOT NULL: this may be it
                replay.types_read = False
        else:
            raise SyntaxMismatch("ALTER TYPE action")
    except SyntaxMismatch:
        replay.types_read = False


def drop_type(replay: Replay, cur: Cursor, stmt: Stmt, head: Head) -> None:
    """DROP TYPE / DROP DOMAIN; with CASCADE it also drops the columns and domains of the type, which the replay does
    not model: the statement stays a note, and the types unknown."""
    if not replay.rules.has("search_path"):
        return
    cur.i += 1  # TYPE or DOMAIN
    if any(t.text.upper() == "CASCADE" for t in cur.tokens):
        replay.types_read = False
        raise Unmodelled
    try:
        if_exists = cur.accept("IF", "EXISTS")
        names = [cur.qualified()]
        while cur.type() == TokenType.COMMA:
            cur.i += 1
            names.append(cur.qualified())
        cur.accept("RESTRICT")
        if not cur.done:
            raise SyntaxMismatch("DROP TYPE tail")
    except SyntaxMismatch:
        replay.types_read = False
        return
    keys = [_key(replay, schema, name) for schema, name in names]
    if not if_exists and any(key is None or key not in replay.types for key in keys):
        return  # 42704: the statement drops nothing
    for key in keys:
        if key is not None:
            replay.types.pop(key, None)


# -- helpers ----------------------------------------------------------------------------------------------------------
def _type_text(stmt: Stmt, tokens: list[Token]) -> str:
    """A type as the replay writes a column's (``public.`` dropped where PostgreSQL prints it bare, lower case)."""
    return strip_public_type(" ".join(stmt.sql[tokens[0].start : tokens[-1].end + 1].split())).lower()


def _expression(replay: Replay, cur: Cursor, stmt: Stmt) -> str:
    tokens = cur.until(lambda c: c.word() in _DOMAIN_CONSTRAINT_WORDS - {"NULL", "COLLATE"})
    if not tokens:
        raise SyntaxMismatch("DEFAULT without an expression")
    return replay.expr_text(tokens, stmt.sql, None)


def _reference(type_text: str) -> tuple[str | None, str]:
    return type_reference(type_text) or (None, "")


def _key(replay: Replay, schema: str | None, name: str) -> tuple[str | None, str] | None:
    """The key of the type ``schema.name`` as the engine resolves it: the search path's first schema that has one."""
    if schema is not None or replay.search_path is None:
        return replay.rules.norm_schema(schema), name
    for candidate in [replay.rules.norm_schema(s) for s in replay.search_path if s not in ("$user", "pg_catalog", "")]:
        if (candidate, name) in replay.types:
            return candidate, name
    return None


def _find(replay: Replay, schema: str | None, name: str) -> UserType | None:
    key = _key(replay, schema, name)
    return replay.types.get(key) if key is not None else None


def _define(replay: Replay, schema: str | None, new: UserType) -> None:
    try:
        where = replay.creation_schema(schema)
    except Refused:
        return
    if (where, new.name) not in replay.types:  # else 42710 type already exists
        replay.types[where, new.name] = replace(new, schema=where)


def _move(replay: Replay, key: tuple[str | None, str], found: UserType, schema: str | None, name: str) -> None:
    """RENAME TO / SET SCHEMA. The replay does not rename a column's type (nor a domain's base): where one names the
    type, a later type of the old name would be taken for it, so the types become unknown."""
    if (schema, name) in replay.types:
        return  # 42710
    spellings = {key, ("public", key[1])} if key[0] is None else {key}
    named = [c.type for t in replay.tables for c in t.columns] + [t.base_type or "" for t in replay.types.values()]
    if any(type_reference(text) in spellings for text in named):
        replay.types_read = False
    del replay.types[key]
    replay.types[schema, name] = replace(found, schema=schema, name=name)
