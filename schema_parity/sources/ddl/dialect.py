"""What differs between PostgreSQL and SQLite when a statement is replayed: one rules object per engine.

The statement readers are written once; every point where the engines part (how names fold and compare, which
clauses each grammar has, the engine's refusal messages, how keys get their names and when identical keys merge,
SQLite's rowid alias and its DROP COLUMN refusals) is a method or attribute of :class:`Rules`, answered by
:class:`PostgresRules` or :class:`SqliteRules`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Literal, TypeVar

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect as SqlglotDialect
from sqlglot.errors import ParseError, TokenError
from sqlglot.optimizer.normalize_identifiers import normalize_identifiers

from schema_parity.catalog import CONSTRAINT_KINDS, Dialect
from schema_parity.pg_catalog_functions import PG_CATALOG_FUNCTIONS, PSEUDO_TYPES, Signature, function_names
from schema_parity.sources.ddl.model import Col, Elem, Found, Frag, Key, Other, Ref, Refused, Same, Table, Tables
from schema_parity.sources.ddl.naming import (
    NAMEDATALEN,
    choose_name,
    index_name_addition,
    name_addition,
    truncate_identifier,
)
from schema_parity.sources.ddl.pg_catalog_types import PG_CATALOG_TYPES
from schema_parity.sources.ddl.statement import Unmodelled, items
from schema_parity.sql.groups import Cursor
from schema_parity.sql.tokens import SQLGLOT_NAME, Token, TokenType, dialect_parser, dialect_tokens

__all__ = [
    "PostgresRules",
    "Rules",
    "SqliteRules",
    "StoredSqliteRules",
    "pg_type_name",
    "public_functions",
    "rules_for",
    "strip_public_type",
]

_SERIAL = {
    "serial": "integer",
    "serial4": "integer",
    "bigserial": "bigint",
    "serial8": "bigint",
    "smallserial": "smallint",
    "serial2": "smallint",
}
_SQLITE_STD_TYPES = {"ANY", "BLOB", "INT", "INTEGER", "REAL", "TEXT"}
_IDENTIFIER = TokenType.IDENTIFIER  # fold() reads every name: the enum member is looked up once
_NAMES = (TokenType.VAR, TokenType.IDENTIFIER)
_E = TypeVar("_E", bound=exp.Expr)

#: Schemas whose functions and types PostgreSQL prints unqualified (pg_get_indexdef, format_type) with the default
#: search path: pg_dump's ``public.lower(…)``, ``public.citext`` are the engine's ``lower(…)``, ``citext``.
_VISIBLE_SCHEMAS = frozenset({"public", "pg_catalog"})
_PUBLIC_TYPE = re.compile(r'^(?:public|"public")\.', re.IGNORECASE)


def _shadowed(name: str) -> bool:
    """A ``public.`` type that pg_catalog's type of the same name hides: PostgreSQL prints it qualified."""
    return name in PG_CATALOG_TYPES


def strip_public_type(type_text: str) -> str:
    """``public.citext`` → ``citext``, but ``public.int4`` (a domain pg_catalog's int4 hides) stays."""
    rest = _PUBLIC_TYPE.sub("", type_text)
    if rest == type_text:
        return type_text
    name = rest[1:].split('"', 1)[0] if rest.startswith('"') else re.split(r"[\s(\[]", rest, maxsplit=1)[0].lower()
    return type_text if _shadowed(name) else rest


def _unqualified(node: exp.Expr) -> exp.Expr:
    """``public.f(…)`` → ``f(…)`` and ``::public.t`` → ``::t``, as the engine prints them; a ``public.`` function
    named as one of pg_catalog's is left to :func:`public_functions`, which needs the argument types."""
    if (
        isinstance(node, exp.Dot)
        and isinstance(node.expression, exp.Func)
        and isinstance(node.this, exp.Identifier)
        and node.this.name in _VISIBLE_SCHEMAS
        and not (node.this.name == "public" and function_names(node.expression) & PG_CATALOG_FUNCTIONS.keys())
    ):
        return node.expression
    if isinstance(node, exp.DataType) and isinstance(node.args.get("kind"), exp.Dot):
        kind = node.args["kind"]
        if (
            isinstance(kind.this, exp.Identifier)
            and kind.this.name in _VISIBLE_SCHEMAS
            and not (kind.this.name == "public" and _shadowed(kind.expression.name))
        ):
            node.set("kind", kind.expression)
    return node


_TYPE_ALIASES = {
    "int": "integer",
    "int4": "integer",
    "int2": "smallint",
    "int8": "bigint",
    "varchar": "character varying",
    "char": "character",
    "bpchar": "character",
    "bool": "boolean",
    "float8": "double precision",
    "float4": "real",
    "decimal": "numeric",
    "timestamp": "timestamp without time zone",
    "timestamptz": "timestamp with time zone",
    "time": "time without time zone",
    "timetz": "time with time zone",
    "varbit": "bit varying",
}
_TYPMOD = re.compile(r"\(\s*\d+\s*(?:,\s*\d+\s*)?\)")
_ARRAY_BOUNDS = re.compile(r"(?:\[\s*\d*\s*\])+$")


_VARBIT = re.compile(r"^(?:pg_catalog\.)?varbit\b")
_FLOAT_P = re.compile(r"^float\s*\(\s*(\d+)\s*\)")


def _catalog_spelling(written: str) -> str:
    """A column type with the names format_type writes where the family of the written one differs: ``varbit`` is
    ``bit varying``, ``float(p)`` ``real`` up to 24 bits of precision and ``double precision`` above."""
    written = _VARBIT.sub("bit varying", written)
    match = _FLOAT_P.match(written)
    if match is not None and 1 <= int(match.group(1)) <= 53:
        written = ("real" if int(match.group(1)) <= 24 else "double precision") + written[match.end() :]
    return written


def pg_type_name(written: str) -> str | None:
    """A type as ``format_type`` names it without its modifier (``varchar(20)[]`` → ``character varying[]``); None
    for a spelling not read here (``float(10)``, ``int ARRAY``)."""
    text = " ".join(written.lower().split())
    if text.startswith("pg_catalog."):
        text = text[len("pg_catalog.") :]
    array = _ARRAY_BOUNDS.search(text) is not None
    base = _TYPMOD.sub("", _ARRAY_BOUNDS.sub("", text)).strip()
    base = " ".join(base.split())
    if base == "float" or " array" in f" {base}" or not base:
        return None
    base = _TYPE_ALIASES.get(base, base)
    return base + "[]" if array else base


def _argument_type(node: exp.Expr, types: Mapping[str, str]) -> str | None:
    """The type of a call's argument when it is plain: a column of the table, a number, a boolean or a cast."""
    while isinstance(node, exp.Paren):
        node = node.this
    if isinstance(node, exp.Column) and not node.table:
        written = types.get(node.name)
        return pg_type_name(written) if written is not None else None
    if isinstance(node, exp.Boolean):
        return "boolean"
    if isinstance(node, exp.Literal) and not node.is_string:
        number = node.this
        if not number.isdigit():
            return "numeric" if re.fullmatch(r"\d*\.\d*", number) else None
        return "integer" if int(number) < 2**31 else "bigint" if int(number) < 2**63 else "numeric"
    if isinstance(node, exp.Cast):
        return pg_type_name(node.to.sql("postgres"))
    return None


def _takes_count(signature: Signature, count: int) -> bool:
    args, defaults, variadic = signature
    least = len(args) - defaults - (1 if variadic else 0)
    return least <= count and (variadic or count <= len(args))


def _refuses_array(parameter: str) -> bool:
    """No value of an array type can be passed to this parameter, even by an implicit cast (PostgreSQL has no
    implicit cast from an array type; these polymorphic types take no array)."""
    if parameter.endswith("[]"):
        return False
    if parameter in PSEUDO_TYPES:
        return parameter in ("anynonarray", "anycompatiblenonarray", "anyenum") or "range" in parameter
    return True


def _decide(
    signatures: tuple[Signature, ...], arguments: list[str | None], public: frozenset[tuple[str, ...]] | None
) -> Literal["strip", "keep", "unsure"]:
    """What the bare call resolves to: pg_catalog's (``keep``: printed qualified), surely not (``strip``), or
    PostgreSQL's resolution would have to be replayed (``unsure``). ``public``: the argument types of the default
    schema's functions of the name, None when not known."""
    fitting = [s for s in signatures if _takes_count(s, len(arguments))]
    if not fitting:
        return "strip"
    if None in arguments:
        return "unsure"
    known = tuple(a for a in arguments if a is not None)
    if any(args == known and not variadic for args, _, variadic in fitting):
        # an exact match: pg_catalog's, first in the path, is chosen; the index's call is printed as written when
        # public's takes the same types (or, not known, is taken to), else with the casts the call needed
        return "keep" if public is None or known in public else "unsure"
    if public is not None and known in public and all(not d and not v for _, d, v in fitting):
        return "strip"  # public's is the only exact match: chosen before any cast is considered

    def refused(signature: Signature) -> bool:
        args, _, variadic = signature
        return not variadic and any(a.endswith("[]") and _refuses_array(p) for a, p in zip(known, args, strict=False))

    return "strip" if all(refused(s) for s in fitting) else "unsure"


def public_functions(
    ast: exp.Expr, types: Mapping[str, str], functions: Mapping[str, frozenset[tuple[str, ...]] | None]
) -> tuple[exp.Expr, list[str]]:
    """``public.f(…)`` calls named as a pg_catalog function: bare when the bare call resolves to public's, kept
    qualified when pg_catalog's would be chosen; the reasons of the calls that cannot be told apart.

    ``types``: the table's columns and their types as written; ``functions``: the argument types of the default
    schema's functions by name (None: not all known)."""
    unsure: list[str] = []
    calls = [n for n in ast.walk() if isinstance(n, exp.Dot) and isinstance(n.expression, exp.Func)]
    for node in reversed(calls):  # innermost first: an argument that is a call is resolved before its caller
        if not (isinstance(node.this, exp.Identifier) and node.this.name == "public"):
            continue
        func = node.expression
        names = function_names(func) & PG_CATALOG_FUNCTIONS.keys()
        if not names:
            continue
        arguments = func.expressions if isinstance(func, exp.Anonymous) else None
        decisions = {
            _decide(PG_CATALOG_FUNCTIONS[n], [_argument_type(a, types) for a in arguments], functions.get(n))
            if arguments is not None
            else "unsure"
            for n in names
        }
        decision = decisions.pop() if len(decisions) == 1 else "unsure"
        if decision == "strip" and any(isinstance(a, exp.Cast) for a in arguments or ()):
            # the checker takes a cast between text types for a no-op, which it is not when it picks public's
            decision = "unsure"
        if decision == "keep":
            continue
        if decision == "unsure":
            name = min(names)
            unsure.append(f"public.{name}(...) may be shadowed by pg_catalog.{name}")
        if node is ast:
            ast = func
        else:
            node.replace(func)
    return ast, unsure


Clause = Literal[
    "ALTER TABLE on an index",
    "ALTER TABLE SET SCHEMA",
    "ALTER TABLE options",
    "RENAME CONSTRAINT",
    "DROP COLUMN IF EXISTS",
    "operator class",
    "EXCLUDE",
    "WITHOUT OVERLAPS",
    "partitions",
    "search_path",
]
"""Clauses only one engine's grammar has (PostgreSQL's); on the other the statement is refused or not modelled."""


class Rules:
    """The engine-specific answers the statement readers ask for."""

    name: Dialect
    default_schema: str
    temp_schema: str
    """Where a TEMP relation lives (``pg_temp``, ``temp``): searched first for unqualified names, never part of the
    Catalog (it ends with the session)."""
    default_collation: str
    expressions_parsed: bool
    """Expressions are kept as sqlglot ASTs and compared as the engine prints them (PostgreSQL); SQLite compares
    the source text."""
    table_constraint_words: frozenset[str]
    """The words a table constraint starts with (anything else in CREATE TABLE's list is a column). SQLite reads
    ``EXCLUDE`` as a column name, but a PostgreSQL exclusion constraint replayed on SQLite must stay unmodelled
    (the column type reader is lenient), so both engines list it."""
    indexes_in_any_schema: bool
    """An index name is looked up without its schema (SQLite)."""
    clauses: frozenset[Clause]
    """The engine-specific clauses its grammar has."""

    def __init__(self) -> None:
        self.sqlglot = SqlglotDialect.get_or_raise(SQLGLOT_NAME[self.name])

    # -- names --------------------------------------------------------------------------------------------------
    def same(self, a: str, b: str) -> bool:
        raise NotImplementedError

    def key(self, name: str) -> str:
        """The index key of a name: ``same(a, b)`` implies ``key(a) == key(b)``."""
        raise NotImplementedError

    def fold(self, token: Token) -> str:
        """A name token as the engine stores the name."""
        raise NotImplementedError

    def norm_schema(self, schema: str | None) -> str | None:
        """``None`` for the default schema (``public`` / ``main``), else the schema."""
        return None if schema is None or self.same(schema, self.default_schema) else schema

    def effective_collation(self, collation: str | None) -> str | None:
        """A key element's collation, None when it is the engine default (what ON CONFLICT matching compares)."""
        return None if collation is None or collation.lower() == self.default_collation.lower() else collation

    # -- grammar ------------------------------------------------------------------------------------------------
    def has(self, clause: Clause) -> bool:
        return clause in self.clauses

    def refuse_syntax(self, near: str) -> None:
        """A PostgreSQL clause SQLite's parser rejects: SQLite refuses the statement with its syntax error."""

    def same_index_spec(self, a: Key, b: Key) -> bool:
        """Two keys the engine would build as the same index (CREATE TABLE merges them; a partition's attaches)."""

        def shape(k: Key) -> tuple[object, ...]:
            elems = tuple(
                (
                    e.column,
                    e.expression.text(self.name) if e.expression else None,
                    e.collation,
                    e.opclass,
                    e.descending,
                    e.operator,
                )
                for e in k.elements
            )
            pred = k.predicate.text(self.name) if k.predicate else None
            return (
                elems,
                tuple(k.include),
                pred,
                k.method,
                k.nulls_not_distinct,
                k.deferrable,
                k.initially_deferred,
                k.kind == "exclusion",
                k.without_overlaps,
            )

        return shape(a) == shape(b)

    def expression(self, text: str) -> exp.Expr | None:
        """The sqlglot AST of an expression whose text is compared as the engine prints it; None if not kept."""
        return None

    def normalize(self, expression: _E) -> _E:
        """Names in a parsed expression as the engine folds them."""
        return expression

    def capitalized(self, tokens: list[Token]) -> list[int]:
        """The positions of the words of an expression kept as written that the engine prints in capitals."""
        return []

    def resolve_functions(
        self, ast: exp.Expr, table: Table | None, functions: Mapping[str, frozenset[tuple[str, ...]] | None]
    ) -> tuple[exp.Expr, list[str]]:
        """Function names in an expression of ``table`` as the engine prints them (they may depend on the argument
        types and on ``functions``, the default schema's); the reasons of those it cannot tell."""
        return ast, []

    def table_options(self, cur: Cursor, table: Table) -> None:
        """What follows the ``( … )`` of CREATE TABLE."""
        raise NotImplementedError

    def column_type(self, tables: Tables, table: Table, col: Col, type_text: str) -> None:
        """Set the column's type as the engine records it (and what the type implies)."""
        raise NotImplementedError

    def index_element_body(self, c: Cursor) -> list[Token]:
        """The tokens of an index element's column or expression, before ``COLLATE``/opclass/``ASC``/``DESC``."""
        raise NotImplementedError

    # -- keys and constraints -----------------------------------------------------------------------------------
    def column_key_descending(self, desc: bool) -> bool:
        """Whether a column's ``PRIMARY KEY DESC`` is kept on the key element."""
        return False

    def define_table(self, tables: Tables, table: Table, found: Found) -> None:
        """CREATE TABLE: the keys and constraints read from its definition are added."""
        raise NotImplementedError

    def define_column(self, tables: Tables, table: Table, col: Col, found: Found) -> None:
        """ALTER TABLE … ADD COLUMN: the column's keys and constraints are added (or the engine refuses)."""
        raise NotImplementedError

    def define_constraints(self, tables: Tables, table: Table, found: Found) -> None:
        """ALTER TABLE … ADD CONSTRAINT (PostgreSQL only: SQLite refuses the statement before it is read)."""
        raise NotImplementedError

    def add_index(self, tables: Tables, table: Table, key: Key) -> None:
        """CREATE INDEX."""
        raise NotImplementedError

    def add_sequence(self, tables: Tables, table: Table, column: str) -> None:
        """A serial or identity column owns a sequence (PostgreSQL), whose name later default names avoid."""

    def relation_taken(self, tables: Tables, schema: str | None, name: str) -> bool:
        """A new table cannot take ``name`` although no table has it (PostgreSQL: indexes, sequences, ...)."""
        return False

    def index_name_taken(self, tables: Tables, schema: str | None, name: str) -> bool:
        raise NotImplementedError

    def index_backs_constraint(self, key: Key) -> bool:
        """DROP INDEX is refused for this key."""
        return key.kind in CONSTRAINT_KINDS

    def rename_table(self, table: Table, new: str) -> None:
        table.name = new

    def check_drop_column(self, table: Table, col: Col) -> None:
        """Refuse DROP COLUMN as the engine does."""

    # -- messages -----------------------------------------------------------------------------------------------
    def no_table(self, name: str) -> str:
        raise NotImplementedError

    def temporary_elsewhere(self) -> str:
        """A TEMP relation named in a schema other than the temporary one."""
        raise NotImplementedError

    def already_exists(self, what: str, name: str) -> str:
        raise NotImplementedError

    def rename_clash(self, name: str) -> str:
        raise NotImplementedError

    def no_column(self, name: str, table: Table, written: str) -> str:
        """A column ALTER TABLE names does not exist (``written``: the name token as written)."""
        raise NotImplementedError

    def no_column_to_rename(self, name: str) -> str:
        raise NotImplementedError

    def duplicate_column(self, name: str, table: Table) -> str:
        raise NotImplementedError

    def no_index(self, name: str) -> str:
        raise NotImplementedError

    def index_of_constraint(self, name: str, table: Table) -> str:
        raise NotImplementedError

    def no_such(self, what: str, name: str) -> str:
        """DROP TABLE / DROP VIEW of a relation that does not exist."""
        raise NotImplementedError


class PostgresRules(Rules):
    name: Dialect = "postgresql"
    default_schema = "public"
    temp_schema = "pg_temp"
    default_collation = "default"
    expressions_parsed = True
    table_constraint_words = frozenset({"CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN", "EXCLUDE"})
    indexes_in_any_schema = False
    clauses: frozenset[Clause] = frozenset(
        {
            "ALTER TABLE on an index",
            "ALTER TABLE SET SCHEMA",
            "ALTER TABLE options",
            "RENAME CONSTRAINT",
            "DROP COLUMN IF EXISTS",
            "operator class",
            "EXCLUDE",
            "WITHOUT OVERLAPS",
            "partitions",
            "search_path",
        }
    )

    def same(self, a: str, b: str) -> bool:
        return a == b

    def key(self, name: str) -> str:
        return name

    def fold(self, token: Token) -> str:
        name = token.text if token.token_type == _IDENTIFIER else token.text.lower()
        # truncate_identifier, with its common case first: an ASCII name shorter than the limit is kept as it is
        return name if len(name) < NAMEDATALEN and name.isascii() else truncate_identifier(name)

    def expression(self, text: str) -> exp.Expr | None:
        try:  # re-tokenized: the structural tokens have multi-word keywords split apart
            tokens = dialect_tokens(text, self.name)
            if _misread_tests(tokens):
                return None
            ast = dialect_parser(self.name).parse(tokens, text)[0]
        except (ParseError, TokenError, RecursionError):  # RecursionError: nested deeper than sqlglot can read
            return None
        if ast is None:
            return None
        # The tree was just parsed and is nobody else's: changed in place, not copied first (a third of the time of
        # an expression's reading went to that copy).
        for case in ast.find_all(exp.Case):  # transformCaseExpr: a CASE without ELSE is stored with ELSE NULL
            if case.args.get("default") is None:
                case.set("default", exp.Null())
        return normalize_identifiers(ast, dialect=self.sqlglot).transform(_unqualified, copy=False)

    def normalize(self, expression: _E) -> _E:
        return normalize_identifiers(expression, dialect=self.sqlglot)

    def capitalized(self, tokens: list[Token]) -> list[int]:
        return _misread_tests(tokens)

    def resolve_functions(
        self, ast: exp.Expr, table: Table | None, functions: Mapping[str, frozenset[tuple[str, ...]] | None]
    ) -> tuple[exp.Expr, list[str]]:
        return public_functions(ast, {c.name: c.type for c in table.columns} if table is not None else {}, functions)

    def table_options(self, cur: Cursor, table: Table) -> None:
        while not cur.done:
            if cur.accept("PARTITION", "BY"):
                table.kind = "partitioned"
                spec = cur.until(lambda c: c.at("USING") or c.at("WITH") or c.at("TABLESPACE"))[1:]  # after LIST …
                after = [None, *spec[:-1]], [*spec[1:], None]
                for token, prior, nxt in zip(spec, *after, strict=True):  # the names read as columns (the columns
                    # are read after the options): not a function's, a qualifier, a collation
                    if token.token_type in _NAMES and (prior is None or prior.text.upper() != "COLLATE") and (
                        nxt is None or nxt.token_type not in (TokenType.L_PAREN, TokenType.DOT)
                    ):
                        table.partition_key.add(self.fold(token))
            elif cur.accept("WITH") or cur.accept("WITHOUT", "OIDS"):
                if cur.type() == TokenType.L_PAREN:
                    cur.group()
            elif cur.accept("TABLESPACE") or cur.accept("USING"):
                cur.name()
            elif cur.accept("ON", "COMMIT"):
                if table.schema != self.temp_schema:
                    raise Refused("ON COMMIT can only be used on temporary tables")
                if not (cur.accept("PRESERVE", "ROWS") or cur.accept("DELETE", "ROWS")):
                    cur.expect("DROP")  # the table ends with the transaction: it was never in the Catalog
            else:
                raise Unmodelled  # INHERITS, …

    def column_type(self, tables: Tables, table: Table, col: Col, type_text: str) -> None:
        type_text = strip_public_type(" ".join(type_text.split()))
        base = _SERIAL.get(type_text.lower())
        col.type = base or _catalog_spelling(type_text.lower())
        if base is not None:
            col.autoincrement, col.nullable = True, False
            self.add_sequence(tables, table, col.name)

    def index_element_body(self, c: Cursor) -> list[Token]:
        """``column | func(…) | (expr)``."""
        if c.type() == TokenType.L_PAREN:
            return c.group()
        start = c.i
        c.qualified()
        if c.type() == TokenType.L_PAREN:
            c.group()
        return list(c.tokens[start : c.i])

    # -- keys: default names and de-duplication ---------------------------------------------------------------
    def define_table(self, tables: Tables, table: Table, found: Found) -> None:
        _refuse_missing_key_columns(table, found.keys, self.same)
        self._name_checks(tables, table, found.checks)
        table.others.extend(found.checks)
        self._add_create_table_keys(tables, table, found.keys)
        for fk, cols in found.fks:
            self._add_fk(tables, table, fk, cols)

    def define_column(self, tables: Tables, table: Table, col: Col, found: Found) -> None:
        self._name_checks(tables, table, found.checks)
        table.others.extend(found.checks)
        self._add_create_table_keys(tables, table, found.keys)  # ALTER TABLE merges identical specs too
        for fk, cols in found.fks:
            self._add_fk(tables, table, fk, cols)

    def define_constraints(self, tables: Tables, table: Table, found: Found) -> None:
        _refuse_missing_key_columns(table, found.keys, self.same)
        self._name_checks(tables, table, found.checks)
        table.others.extend(found.checks)
        for key in found.keys:
            self._add_key(tables, table, key)
        for fk, cols in found.fks:
            self._add_fk(tables, table, fk, cols)

    def add_index(self, tables: Tables, table: Table, key: Key) -> None:
        _refuse_missing_key_columns(table, [key], self.same, index=True)
        self._add_key(tables, table, key)

    def _name_checks(self, tables: Tables, table: Table, checks: list[Other]) -> None:
        used: list[str] = [o.name for o in checks if o.name]
        for check in checks:
            if check.name is None:
                colname = next(iter(check.columns)) if len(check.columns) == 1 else None
                check.name = choose_name(
                    table.name,
                    colname,
                    "check",
                    lambda n: n in used or tables.constraint_taken(table.schema, n),
                )
                used.append(check.name)

    def _add_fk(self, tables: Tables, table: Table, other: Other, cols: list[str]) -> None:
        if other.name is None:
            other.name = choose_name(
                table.name, name_addition(cols), "fkey", lambda n: tables.constraint_taken(table.schema, n)
            )
        table.others.append(other)

    def _add_create_table_keys(self, tables: Tables, table: Table, specs: list[Key]) -> None:
        """transformIndexConstraints: PRIMARY KEY first, identical index specs merged, then names chosen in order."""
        pk = next((k for k in specs if k.kind == "primary_key"), None)
        final: list[Key] = [pk] if pk is not None else []
        for spec in specs:
            if spec is pk:
                continue
            prior = next((p for p in final if self.same_index_spec(p, spec)), None)
            if prior is None:
                final.append(spec)
            elif prior.name is None:
                prior.name = spec.name
        for key in final:
            self._add_key(tables, table, key)

    def _add_key(self, tables: Tables, table: Table, key: Key) -> None:
        """DefineIndex: choose the default name; a PRIMARY KEY makes its columns NOT NULL."""
        if key.name is None:
            if key.kind == "primary_key":
                key.name = choose_name(table.name, None, "pkey", lambda n: self._taken(tables, table, n, True))
            else:
                label = {"exclusion": "excl", "unique": "key"}.get(key.kind, "idx")
                constraint = key.kind in CONSTRAINT_KINDS
                addition = index_name_addition(key.elements, key.include)
                key.name = choose_name(table.name, addition, label, lambda n: self._taken(tables, table, n, constraint))
        if key.kind == "primary_key":
            for col in table.key_columns(key, self.same):
                col.nullable = False
        table.keys.append(key)

    @staticmethod
    def _taken(tables: Tables, table: Table, name: str, constraint: bool) -> bool:
        return tables.relation_taken(table.schema, name) or (constraint and tables.constraint_taken(table.schema, name))

    def add_sequence(self, tables: Tables, table: Table, column: str) -> None:
        name = choose_name(table.name, column, "seq", lambda n: tables.relation_taken(table.schema, n))
        tables.sequences[(table.schema, name)] = (table.name, column)

    def relation_taken(self, tables: Tables, schema: str | None, name: str) -> bool:
        return tables.relation_taken(schema, name)

    def index_name_taken(self, tables: Tables, schema: str | None, name: str) -> bool:
        return tables.relation_taken(schema, name)

    # -- messages ---------------------------------------------------------------------------------------------
    def no_table(self, name: str) -> str:
        return f'relation "{name}" does not exist'

    def temporary_elsewhere(self) -> str:
        return "cannot create temporary relation in non-temporary schema"

    def already_exists(self, what: str, name: str) -> str:
        return f'relation "{name}" already exists'

    def rename_clash(self, name: str) -> str:
        return f'relation "{name}" already exists'

    def no_column(self, name: str, table: Table, written: str) -> str:
        return f'column "{name}" of relation "{table.name}" does not exist'

    def no_column_to_rename(self, name: str) -> str:
        return f'column "{name}" does not exist'

    def duplicate_column(self, name: str, table: Table) -> str:
        return f'column "{name}" of relation "{table.name}" already exists'

    def no_index(self, name: str) -> str:
        return f'index "{name}" does not exist'

    def index_of_constraint(self, name: str, table: Table) -> str:
        return f"cannot drop index {name} because constraint {name} on table {table.name} requires it"

    def no_such(self, what: str, name: str) -> str:
        return f'{what.lower()} "{name}" does not exist'


class SqliteRules(Rules):
    name: Dialect = "sqlite"
    default_schema = "main"
    temp_schema = "temp"
    default_collation = "BINARY"
    expressions_parsed = False
    table_constraint_words = frozenset({"CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN", "EXCLUDE"})
    indexes_in_any_schema = True
    clauses: frozenset[Clause] = frozenset()

    def same(self, a: str, b: str) -> bool:
        return a.lower() == b.lower()

    def key(self, name: str) -> str:
        return name.lower()

    def fold(self, token: Token) -> str:
        return token.text

    def refuse_syntax(self, near: str) -> None:
        raise Refused(f'near "{near}": syntax error')

    def table_options(self, cur: Cursor, table: Table) -> None:
        for part in items(cur.rest()):
            words = [t.text.upper() for t in part]
            if words == ["WITHOUT", "ROWID"]:
                table.without_rowid = True
            elif words != ["STRICT"]:
                raise Unmodelled

    def column_type(self, tables: Tables, table: Table, col: Col, type_text: str) -> None:
        bare = type_text
        if len(bare) >= 3 and bare[0] in "\"'`[" and not any(q in bare[1:-1] for q in "\"'`["):
            bare = bare[1:-1]  # sqlite3AddColumn dequotes the type (sqlite3DequoteToken) before naming it
        if bare.upper() in _SQLITE_STD_TYPES:
            col.type = bare.upper()  # sqlite3StdType spelling, as PRAGMA table_info reports it

    def index_element_body(self, c: Cursor) -> list[Token]:
        """Everything up to ``COLLATE``/``ASC``/``DESC``/``NULLS`` (SQLite's ``a COLLATE nocase DESC`` element)."""
        return c.until(lambda cc: cc.at("COLLATE") or cc.at("ASC") or cc.at("DESC") or cc.at("NULLS"))

    def column_key_descending(self, desc: bool) -> bool:
        return desc

    # -- keys: rowid alias and merged autoindexes -------------------------------------------------------------
    def define_table(self, tables: Tables, table: Table, found: Found) -> None:
        if table.without_rowid:  # sqlite3EndTable, before it resolves CHECK and AS (…)
            if found.autoincrement:
                raise Refused("AUTOINCREMENT not allowed on WITHOUT ROWID tables")
            if not any(k.kind == "primary_key" for k in found.keys):
                raise Refused(f"PRIMARY KEY missing on table {table.name}")
        if any(col.generated is not None and _dot_operator(col.generated) for col in table.columns):
            raise Refused(_DOT_IN_GENERATED)
        table.others.extend(found.checks)
        table.others.extend(fk for fk, _ in found.fks)
        for spec in found.keys:
            self._add_key(table, spec)
        pk = next((k for k in table.keys if k.kind == "primary_key"), None)
        if pk is not None and table.without_rowid:
            for col in table.key_columns(pk, self.same):
                col.nullable = False

    def define_column(self, tables: Tables, table: Table, col: Col, found: Found) -> None:
        """sqlite3AlterFinishAddColumn's refusals. Those it makes only when the table has rows
        (``sqlite3ErrorIfNotEmpty``: NOT NULL without a default, a non-constant default, STORED, REFERENCES with a
        default) are not made: the replay builds the empty database a migration runs on, and a script's rows are
        not modelled (an INSERT ... SELECT may add none)."""
        refusal = (
            "Cannot add a PRIMARY KEY column"
            if any(k.kind == "primary_key" for k in found.keys)
            else "Cannot add a UNIQUE column"
            if found.keys
            else None
        )
        if refusal is None and col.generated is not None and _dot_operator(col.generated):
            refusal = f"error in table {table.name} after add column: {_DOT_IN_GENERATED}"
        if refusal is not None:
            table.columns.remove(col)
            raise Refused(refusal)
        table.others.extend(found.checks)
        table.others.extend(fk for fk, _ in found.fks)

    def add_index(self, tables: Tables, table: Table, key: Key) -> None:
        if any(e.expression is not None and _dot_operator(e.expression) for e in key.elements):
            raise Refused('the "." operator prohibited in index expressions')  # its WHERE may have one
        table.keys.append(key)

    def _add_key(self, table: Table, key: Key) -> None:
        """A rowid alias has no index; an autoindex identical to an earlier one is not created (sqlite3CreateIndex)."""
        desc_column = key.column_level and key.elements[0].descending
        if key.kind == "primary_key":
            cols = table.key_columns(key, self.same)
            if (
                not table.without_rowid
                and len(key.elements) == 1
                and len(cols) == 1
                and cols[0].type.upper() == "INTEGER"
                and not desc_column
            ):
                cols[0].autoincrement = True
                key.elements[0].descending = False
                table.keys.append(key)
                return
        if key.from_table_definition:
            for prior in table.keys:
                ipk = prior.kind == "primary_key" and any(c.autoincrement for c in table.key_columns(prior, self.same))
                if prior.from_table_definition and not ipk and self._same_columns(prior.elements, key.elements):
                    if key.kind == "primary_key":  # one index, now the PRIMARY KEY's: named as that constraint
                        prior.kind, prior.name = "primary_key", key.name
                    return
        table.keys.append(key)

    def _same_columns(self, a: list[Elem], b: list[Elem]) -> bool:
        return len(a) == len(b) and all(
            x.column is not None
            and y.column is not None
            and self.same(x.column, y.column)
            and (x.collation or "BINARY").lower() == (y.collation or "BINARY").lower()
            for x, y in zip(a, b, strict=True)
        )

    def index_name_taken(self, tables: Tables, schema: str | None, name: str) -> bool:
        return tables.find_index(None, name, any_schema=True) is not None

    def index_backs_constraint(self, key: Key) -> bool:
        return key.kind in CONSTRAINT_KINDS or key.from_table_definition

    def rename_table(self, table: Table, new: str) -> None:
        old, table.name = table.name, new
        table.rename_qualifiers(old, new, self.same)

    def check_drop_column(self, table: Table, col: Col) -> None:
        """sqlite3AlterDropColumn's refusals, in its order, with its messages."""
        same = self.same
        in_pk = any(
            k.kind == "primary_key" and any(same(x.name, col.name) for x in table.key_columns(k, same))
            for k in table.keys
        )
        if in_pk or col.unique_flag:
            raise Refused(f'cannot drop {"PRIMARY KEY" if in_pk else "UNIQUE"} column: "{col.name}"')
        if len(table.columns) <= 1:
            raise Refused(f'cannot drop column "{col.name}": no other columns exist')

        def uses(names: set[str]) -> bool:
            return any(same(x, col.name) for x in names)

        for other in table.others:
            if other.kind == "fk" and other.owner_column is None and uses(other.columns):
                raise Refused(
                    f'error in table {table.name} after drop column: unknown column "{col.name}" in foreign key '
                    "definition"
                )
        table_refs = [
            o.columns
            for o in table.others
            if o.kind == "check" and not (o.owner_column is not None and same(o.owner_column, col.name))
        ]
        table_refs += [k.columns() for k in table.keys if k.from_table_definition]
        table_refs += [x.generated.columns() for x in table.columns if x.generated is not None and x is not col]
        if any(uses(refs) for refs in table_refs):
            raise Refused(f"error in table {table.name} after drop column: no such column: {col.name}")
        for key in table.keys:
            if not key.from_table_definition and uses(key.columns()):
                raise Refused(f"error in index {key.name} after drop column: no such column: {col.name}")

    # -- messages ---------------------------------------------------------------------------------------------
    def no_table(self, name: str) -> str:
        return f"no such table: {name}"

    def temporary_elsewhere(self) -> str:
        return "temporary table name must be unqualified"

    def already_exists(self, what: str, name: str) -> str:
        return f"{what} {name} already exists"

    def rename_clash(self, name: str) -> str:
        return f"there is already another table or index with this name: {name}"

    def no_column(self, name: str, table: Table, written: str) -> str:
        return f'no such column: "{written}"'

    def no_column_to_rename(self, name: str) -> str:
        return f'no such column: "{name}"'

    def duplicate_column(self, name: str, table: Table) -> str:
        return f"duplicate column name: {name}"

    def no_index(self, name: str) -> str:
        return f"no such index: {name}"

    def index_of_constraint(self, name: str, table: Table) -> str:
        return "index associated with UNIQUE or PRIMARY KEY constraint cannot be dropped"

    def no_such(self, what: str, name: str) -> str:
        return f"no such {what.lower()}: {name}"


#: PostgreSQL's system columns: a key on one is refused with messages of its own.
_PG_SYSTEM_COLUMNS = frozenset({"ctid", "xmin", "xmax", "cmin", "cmax", "tableoid"})


def _refuse_missing_key_columns(table: Table, keys: list[Key], same: Same, *, index: bool = False) -> None:
    """PostgreSQL: a key's or an index's plain column or INCLUDE column the table lacks, the keys in written order
    (transformIndexConstraint; ComputeIndexAttrs for CREATE INDEX). An expression's names are not checked."""
    for key in keys:
        for name in [*(e.column for e in key.elements if e.column is not None), *key.include]:
            if table.column(name, same) is not None:
                continue
            if name in _PG_SYSTEM_COLUMNS:
                if index:
                    raise Refused("index creation on system columns is not supported")
                raise Unmodelled  # a constraint's own refusal of a system column (ALTER's "cannot alter system column")
            if index:
                raise Refused(f'column "{name}" does not exist')
            if key.kind == "primary_key" and not key.from_table_definition:
                raise Refused(f'column "{name}" of relation "{table.name}" does not exist')  # its SET NOT NULL first
            raise Refused(f'column "{name}" named in key does not exist')


_DOT_IN_GENERATED = 'the "." operator prohibited in generated columns'


def _dot_operator(frag: Frag) -> bool:
    """Whether a SQLite expression qualifies a name (``t.a``): resolveExprStep refuses the ``.`` operator in index
    expressions and generated columns (a float's ``.5`` is a number, no qualifier)."""
    return any(isinstance(s, Ref) and s.table for s in frag.segments)


class StoredSqliteRules(SqliteRules):
    """SQLite's rules for the statements SQLite itself stored (``sqlite_schema.sql``): they parsed, so an item that
    starts with ``EXCLUDE`` is a column (SQLite has no exclusion constraints)."""

    table_constraint_words = frozenset({"CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN"})


def rules_for(dialect: Dialect) -> Rules:
    if dialect == "postgresql":
        return PostgresRules()
    if dialect == "sqlite":
        return SqliteRules()
    raise ValueError(f"unsupported dialect {dialect!r} (expected 'postgresql' or 'sqlite')")


def _misread_tests(tokens: list[Token]) -> list[int]:
    """The positions of the words of ``IS [NOT] UNKNOWN``, ``IS [NOT] [form] NORMALIZED``, ``IS [NOT] DOCUMENT`` that
    sqlglot misreads (the first as ``IS NULL``, the others as names), so its text would not be the engine's: the
    expression is kept as written, with these words in capitals as PostgreSQL prints them."""
    found = []
    for i in range(1, len(tokens)):
        word, before = tokens[i].text.upper(), tokens[i - 1].text.upper()
        if word in ("UNKNOWN", "NORMALIZED", "DOCUMENT") and before in ("IS", "NOT"):
            found.append(i)
        elif word == "NORMALIZED" and before in ("NFC", "NFD", "NFKC", "NFKD"):
            found += [i - 1, i]
    return found
