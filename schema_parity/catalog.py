"""The Catalog: one immutable description of a schema that every source produces and every check reads.

A Catalog describes what an engine *holds* after DDL ran: names are stored exactly as the engine stores them
(PostgreSQL folds unquoted identifiers to lower case; SQLite keeps the spelling of the DDL), and each key keeps its
real name. Matching rules (case folding, column-set vs ordered-term semantics) belong to the verdict modules, not
here, so that one Catalog can be judged with either engine's rules.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from functools import cached_property, lru_cache
from typing import Any, Literal

SCHEMA_VERSION = 2
"""2: ``uncertain`` added (a version-1 Catalog from replayed DDL could not say which tables it was unsure of)."""

Dialect = Literal["postgresql", "sqlite"]
DIALECTS: tuple[Dialect, ...] = ("postgresql", "sqlite")

KeyKind = Literal["primary_key", "unique", "unique_index", "index", "exclusion"]
#: Kinds that PostgreSQL can name in ``ON CONFLICT ON CONSTRAINT`` (they are constraints with an index).
CONSTRAINT_KINDS: frozenset[str] = frozenset({"primary_key", "unique", "exclusion"})
#: Kinds that can be an arbiter of a column-list conflict target.
UNIQUE_KINDS: frozenset[str] = frozenset({"primary_key", "unique", "unique_index"})


@dataclass(frozen=True)
class Column:
    """A table column as the engine holds it."""

    name: str
    type: str
    """The type as the engine reports it, e.g. ``VARCHAR(200)``, ``character varying``."""
    normalized_type: str
    """A dialect-neutral family: integer, bigint, smallint, text, varchar, boolean, timestamp, ... (see types)."""
    nullable: bool = True
    default: str | None = None
    """Server default as SQL text, or None."""
    autoincrement: bool = False
    """True when the engine fills the value itself: SERIAL/IDENTITY on PostgreSQL, a rowid alias on SQLite."""
    identity: Literal["always", "by default"] | None = None
    generated: str | None = None
    """Expression of a generated (computed) column, or None."""
    collation: str | None = None

    @property
    def has_default(self) -> bool:
        """Whether an INSERT may omit this column without violating NOT NULL: a default that gives NULL (``DEFAULT
        NULL``, ``DEFAULT -NULL::int``) is no default; one the checker cannot evaluate (``default_unknown``) counts."""
        return null_default(self.default) is not True or self.fills_itself

    @property
    def default_unknown(self) -> bool:
        """Whether the default is an expression of NULL the checker does not evaluate (``abs(NULL)``, ``coalesce(NULL,
        1)``): a row that leaves the column out may get NULL."""
        return null_default(self.default) is None and not self.fills_itself

    @property
    def fills_itself(self) -> bool:
        """Whether the engine fills the column whatever its default: a serial, an identity, a generated column."""
        return self.autoincrement or self.identity is not None or self.generated is not None


def is_null_default(default: str | None) -> bool:
    """Whether a default (a column's, a domain's) is missing or the NULL constant, however written or stored:
    in parentheses, cast or collated (``(NULL)``, ``CAST(NULL AS INT)``, ``(NULL::text)::integer``). A row that
    leaves such a column out gets NULL on both engines. Text that cannot be read counts as a default."""
    return default is None or ("null" in default.lower() and _null_constant(default))


def null_default(default: str | None) -> bool | None:
    """Whether a row that leaves a column out gets NULL from this default: True for none, the NULL constant
    (``is_null_default``), and a strict operator of NULL and constants (``-NULL::int``, ``NULL + 1``, ``NULL || 'x'``,
    ``NULL = 1``, in PostgreSQL's stored form ``(NULL::integer + 1)`` too), which both engines evaluate to NULL
    without an error; None for another expression with NULL in it (``abs(NULL)``, ``coalesce(NULL, 1)``, ``NULL +
    (1 / 0)``), which the checker does not evaluate; False otherwise."""
    if is_null_default(default):
        return True
    assert default is not None
    return _null_expression(default) if "null" in default.lower() else False


@lru_cache(maxsize=1024)
def _null_constant(text: str) -> bool:
    # sqlglot is imported here: only a default that spells NULL needs a parser, and most catalogs have none.
    import sqlglot
    from sqlglot import exp
    from sqlglot.errors import ParseError, TokenError

    try:
        node = sqlglot.parse_one(text, read="postgres")
    except (ParseError, TokenError):
        return False
    while isinstance(node, exp.Paren | exp.Cast | exp.Collate):
        node = node.this
    return isinstance(node, exp.Null)


@lru_cache(maxsize=1024)
def _null_expression(text: str) -> bool | None:
    import sqlglot
    from sqlglot import exp
    from sqlglot.errors import ParseError, TokenError

    try:
        node = sqlglot.parse_one(text, read="postgres")
    except (ParseError, TokenError):
        return False
    found = _yields_null(node)
    return False if found is None and node.find(exp.Null) is None else found


def _yields_null(node: Any) -> bool | None:
    """True: ``node`` is NULL, without an error, on both engines; False: it is a constant (a number, a string, a
    boolean) that is not; None: the checker does not say. Only built-in casts are looked through (a domain's may
    refuse the value)."""
    from sqlglot import exp

    while isinstance(node, exp.Paren | exp.Collate) or (
            isinstance(node, exp.Cast) and node.to.this != exp.DataType.Type.USERDEFINED):
        node = node.this
    if isinstance(node, exp.Null):
        return True
    if isinstance(node, exp.Literal | exp.Boolean):
        return False
    if isinstance(node, exp.Neg):
        return _yields_null(node.this)
    # the operators that give NULL for a NULL operand on both engines: arithmetic, comparison, concatenation (of
    # constants: no array, whose PostgreSQL || is not strict)
    if isinstance(node, exp.Add | exp.Sub | exp.Mul | exp.Div | exp.Mod | exp.EQ | exp.NEQ | exp.GT | exp.GTE | exp.LT
                  | exp.LTE | exp.DPipe):
        sides = (_yields_null(node.this), _yields_null(node.expression))
        return True if True in sides and None not in sides else None
    return None


@dataclass(frozen=True)
class KeyElement:
    """One element of a key or index: a plain column or an expression, with optional collation/opclass."""

    column: str | None = None
    expression: str | None = None
    """SQL text of an expression element, in the Catalog's dialect (e.g. ``lower(email)``)."""
    collation: str | None = None
    opclass: str | None = None
    descending: bool = False

    def __post_init__(self) -> None:
        if (self.column is None) == (self.expression is None):
            raise ValueError("a KeyElement is exactly one of column or expression")

    def describe(self) -> str:
        text = self.column if self.column is not None else f"({self.expression})"
        if self.collation:
            text += f" COLLATE {self.collation}"
        if self.opclass:
            text += f" {self.opclass}"
        return text


@dataclass(frozen=True)
class Key:
    """A primary key, unique constraint, unique index, plain index or exclusion constraint."""

    name: str | None
    kind: KeyKind
    elements: tuple[KeyElement, ...]
    include: tuple[str, ...] = ()
    predicate: str | None = None
    """WHERE text of a partial index (or exclusion constraint), in the Catalog's dialect."""
    deferrable: bool = False
    initially_deferred: bool = False
    nulls_not_distinct: bool = False
    valid: bool = True
    """False for an index PostgreSQL marks ``indisvalid = false`` (a failed CREATE INDEX CONCURRENTLY)."""
    method: str | None = None
    """Index access method when not the default (e.g. ``gist``)."""
    operators: tuple[str, ...] = ()
    """Exclusion constraints: the operator of each element (``=``, ``&&``)."""
    without_overlaps: bool = False
    """A temporal key (PostgreSQL 18): ``PRIMARY KEY``/``UNIQUE (id, valid WITHOUT OVERLAPS)``, whose last element
    may not overlap. PostgreSQL enforces it as an exclusion constraint (a GiST index), and ON CONFLICT treats it as
    one: never inferred from a column list, named by ON CONSTRAINT for DO NOTHING only."""

    @property
    def is_constraint(self) -> bool:
        """PostgreSQL distinguishes constraints (nameable in ON CONSTRAINT) from bare unique indexes."""
        return self.kind in CONSTRAINT_KINDS

    @property
    def is_unique(self) -> bool:
        return self.kind in UNIQUE_KINDS

    @property
    def columns(self) -> tuple[str | None, ...]:
        """Plain column names of the elements (None for an expression element)."""
        return tuple(e.column for e in self.elements)

    def describe(self) -> str:
        label = {
            "primary_key": "PRIMARY KEY",
            "unique": "UNIQUE",
            "unique_index": "UNIQUE INDEX",
            "index": "INDEX",
            "exclusion": "EXCLUDE",
        }[self.kind]
        body = ", ".join(e.describe() for e in self.elements) + (" WITHOUT OVERLAPS" if self.without_overlaps else "")
        text = f"{label} {self.name + ' ' if self.name else ''}({body})"
        if self.include:
            text += f" INCLUDE ({', '.join(self.include)})"
        if self.nulls_not_distinct:
            text += " NULLS NOT DISTINCT"
        if self.predicate:
            text += f" WHERE {self.predicate}"
        if self.deferrable:
            text += " DEFERRABLE" + (" INITIALLY DEFERRED" if self.initially_deferred else "")
        if not self.valid:
            text += " INVALID"
        return text


@dataclass(frozen=True)
class ForeignKey:
    """A FOREIGN KEY constraint: the referencing columns, the referenced table and columns, and its actions."""

    name: str | None
    columns: tuple[str, ...]
    referred_table: str
    referred_columns: tuple[str, ...]
    referred_schema: str | None = None
    on_delete: str | None = None
    """``CASCADE``, ``SET NULL``, ``SET DEFAULT``, ``RESTRICT``; None for the default (NO ACTION)."""
    on_update: str | None = None
    deferrable: bool = False
    initially_deferred: bool = False

    def describe(self) -> str:
        target = f"{self.referred_schema + '.' if self.referred_schema else ''}{self.referred_table}"
        text = f"FOREIGN KEY {self.name + ' ' if self.name else ''}({', '.join(self.columns)}) REFERENCES {target} "
        text += f"({', '.join(self.referred_columns)})"
        if self.on_delete:
            text += f" ON DELETE {self.on_delete}"
        if self.on_update:
            text += f" ON UPDATE {self.on_update}"
        if self.deferrable:
            text += " DEFERRABLE" + (" INITIALLY DEFERRED" if self.initially_deferred else "")
        return text


@dataclass(frozen=True)
class Check:
    """A CHECK constraint: its expression as the engine stores it, in the Catalog's dialect."""

    name: str | None
    expression: str

    def describe(self) -> str:
        return f"CHECK {self.name + ' ' if self.name else ''}({self.expression})"


TableKind = Literal["table", "view", "virtual", "partitioned"]
TypeKind = Literal["enum", "domain", "composite", "range", "multirange", "base"]


@dataclass(frozen=True)
class UserType:
    """A type the schema defines (PostgreSQL ``CREATE TYPE`` / ``CREATE DOMAIN``): what a column of it gets when an
    INSERT leaves it out (a domain's default, its NOT NULL), and whether a boolean test of it is boolean."""

    name: str
    schema: str | None
    """None when a column's type names it unqualified (it is visible on the search path, as ``format_type`` prints
    it); else its schema."""
    kind: TypeKind
    base_type: str | None = None
    """A domain's underlying type, as a column of it would be reported (another domain's name for a chain)."""
    default: str | None = None
    """A domain's DEFAULT as SQL text (``NULL::integer`` is a NULL default: it overrides the base domain's); a base
    type's DEFAULT as ``pg_type.typdefault`` holds it."""
    not_null: bool = False
    """A domain declared NOT NULL (its own constraint; a chain's are its base domains' too)."""


@dataclass(frozen=True)
class Table:
    """A relation that an INSERT can name."""

    name: str
    schema: str | None = None
    columns: tuple[Column, ...] = ()
    keys: tuple[Key, ...] = ()
    kind: TableKind = "table"
    without_rowid: bool = False
    other_constraints: tuple[str, ...] = ()
    """Names of CHECK / FOREIGN KEY constraints: PostgreSQL knows them in ON CONSTRAINT, but they have no index."""
    has_rules: bool = False
    """PostgreSQL: the table has INSERT or UPDATE rules (ON CONFLICT is then refused)."""
    foreign_keys: tuple[ForeignKey, ...] = ()
    checks: tuple[Check, ...] = ()
    """Read from a database (reflection); the DDL replay leaves both empty (``constraints_read`` False)."""
    constraints_read: bool = False
    """Whether ``foreign_keys`` and ``checks`` were read (a reflected table) or are unknown (replayed DDL)."""

    @property
    def qualified_name(self) -> str:
        return f"{self.schema}.{self.name}" if self.schema else self.name

    @property
    def primary_key(self) -> Key | None:
        return next((k for k in self.keys if k.kind == "primary_key"), None)

    def column(self, name: str) -> Column | None:
        """Exact-name lookup; dialect-aware lookup lives in the verdict modules."""
        return next((c for c in self.columns if c.name == name), None)

    def unique_keys(self) -> tuple[Key, ...]:
        return tuple(k for k in self.keys if k.is_unique)


@dataclass(frozen=True)
class Uncertain:
    """A table the source could not read entirely: a statement naming it was not modelled (or would be refused), so
    its columns and keys may differ from the Catalog's, and no verdict on it is firm."""

    name: str
    schema: str | None
    reason: str
    """The source's note on the statement: ``schema.sql:12: not modelled: ALTER TABLE ...``."""


@dataclass(frozen=True)
class Catalog:
    """Every relation of one schema, as one engine (``dialect``) holds it."""

    dialect: Dialect
    tables: tuple[Table, ...] = ()
    source: str = ""
    """Where it came from, for messages: ``alembic:examples/telemetry/alembic.ini@head``, ``ddl:schema.sql``."""
    revision: str | None = None
    notes: tuple[str, ...] = field(default=())
    """What the source could not model (an opaque statement, a migration that cannot run offline)."""
    uncertain: tuple[Uncertain, ...] = ()
    """Tables named by a statement the source could not model: verdicts on them are unresolved (docs/check.md)."""
    types: tuple[UserType, ...] = ()
    """PostgreSQL: the types the schema defines (enums, domains, ...), when ``types_read``."""
    types_read: bool = False
    """Whether ``types`` lists the schema's types (reflection, a DDL replay that read every type statement); False
    (SQLite, models, an older Catalog JSON or cache entry): a column of a type the checker does not know may be a
    domain, whose default and NOT NULL are unknown."""

    def table(self, name: str, schema: str | None = None) -> Table | None:
        """Exact-name lookup (no case folding)."""
        return next((t for t in self.tables if t.name == name and (schema is None or t.schema == schema)), None)

    def user_type(self, schema: str | None, name: str) -> UserType | None:
        """The type ``schema.name`` (schema None: named unqualified), exactly; None when types were not read."""
        return self._types_by_name.get((schema, name)) if self.types_read else None

    @cached_property
    def memo(self) -> dict[Any, Any]:
        """Facts derived from this (immutable) Catalog, kept for the next verdict (``types.type_facts``, the tables
        by folded name, the functions SQLite's schema calls)."""
        return {}

    @cached_property
    def _types_by_name(self) -> dict[tuple[str | None, str], UserType]:
        """``types`` by (schema, name): a verdict looks up the type of every column an INSERT leaves out."""
        return {(t.schema, t.name): t for t in self.types}

    # -- JSON ------------------------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["schema_version"] = SCHEMA_VERSION
        return data

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, sort_keys=False)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Catalog:
        version = data.get("schema_version", SCHEMA_VERSION)
        if version != SCHEMA_VERSION:
            raise ValueError(f"unsupported catalog schema_version {version!r} (this library reads {SCHEMA_VERSION})")
        tables = tuple(_table_from_dict(t) for t in data.get("tables", ()))
        return cls(
            dialect=data["dialect"],
            tables=tables,
            source=data.get("source", ""),
            revision=data.get("revision"),
            notes=tuple(data.get("notes", ())),
            uncertain=tuple(Uncertain(**_only_known(Uncertain, u)) for u in data.get("uncertain", ())),
            types=tuple(UserType(**_only_known(UserType, t)) for t in data.get("types", ())),
            types_read=bool(data.get("types_read", False)),
        )

    @classmethod
    def from_json(cls, text: str) -> Catalog:
        return cls.from_dict(json.loads(text))


def _only_known(cls: type, data: Mapping[str, Any]) -> dict[str, Any]:
    names = {f.name for f in fields(cls)}
    return {k: v for k, v in data.items() if k in names}


def _tuple(values: Iterable[Any] | None) -> tuple[Any, ...]:
    return tuple(values or ())


def _table_from_dict(data: Mapping[str, Any]) -> Table:
    raw = _only_known(Table, data)
    raw["columns"] = tuple(Column(**_only_known(Column, c)) for c in data.get("columns", ()))
    raw["keys"] = tuple(_key_from_dict(k) for k in data.get("keys", ()))
    raw["other_constraints"] = _tuple(data.get("other_constraints"))
    raw["foreign_keys"] = tuple(
        ForeignKey(**{**_only_known(ForeignKey, f), "columns": _tuple(f.get("columns")),
                      "referred_columns": _tuple(f.get("referred_columns"))})
        for f in data.get("foreign_keys", ())
    )  # fmt: skip
    raw["checks"] = tuple(Check(**_only_known(Check, c)) for c in data.get("checks", ()))
    return Table(**raw)


def _key_from_dict(data: Mapping[str, Any]) -> Key:
    raw = _only_known(Key, data)
    raw["elements"] = tuple(KeyElement(**_only_known(KeyElement, e)) for e in data.get("elements", ()))
    raw["include"] = _tuple(data.get("include"))
    raw["operators"] = _tuple(data.get("operators"))
    return Key(**raw)


def sorted_catalog(catalog: Catalog) -> Catalog:
    """A canonical ordering (tables by schema/name, keys by kind/name) so two sources compare equal."""
    kind_order = {"primary_key": 0, "unique": 1, "unique_index": 2, "exclusion": 3, "index": 4}

    def key_order(k: Key) -> tuple[int, str, str]:
        return (kind_order[k.kind], k.name or "", repr(k.elements))

    def ordered(t: Table) -> Table:  # unchanged when already in order: a Catalog per revision shares its tables
        keys = tuple(sorted(t.keys, key=key_order))
        return t if keys == t.keys else replace(t, keys=keys)

    tables = tuple(ordered(t) for t in sorted(catalog.tables, key=lambda t: (t.schema or "", t.name)))
    types = tuple(sorted(catalog.types, key=lambda t: (t.schema or "", t.name)))
    return replace(catalog, tables=tables, types=types)
