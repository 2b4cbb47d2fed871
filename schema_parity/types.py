"""Column type normalisation: one dialect-neutral family name per type, so drift reports compare like with like."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from schema_parity.catalog import is_null_default

if TYPE_CHECKING:
    from schema_parity.catalog import Catalog

_FAMILIES: tuple[tuple[str, str], ...] = (
    # (regex on the lower-cased type text, family)
    (r"^(big\s*serial|serial8|bigint|int8)\b", "bigint"),
    (r"^(small\s*serial|serial2|smallint|int2|tinyint)\b", "smallint"),
    (r"^(serial|serial4|integer|int|int4|mediumint)\b", "integer"),
    (r"^(character\s+varying|varchar|nvarchar|varying\s+character|nchar\s+varying)\b", "varchar"),
    (r"^(character|char|nchar|native\s+character|bpchar)\b", "char"),
    (r"^(text|clob|tinytext|mediumtext|longtext|citext)\b", "text"),
    (r"^(boolean|bool)\b", "boolean"),
    (r"^(timestamp\s+with\s+time\s+zone|timestamptz)\b", "timestamptz"),
    (r"^(timestamp|datetime)\b", "timestamp"),
    (r"^(time\s+with\s+time\s+zone|timetz)\b", "timetz"),
    (r"^time\b", "time"),
    (r"^date\b", "date"),
    (r"^interval\b", "interval"),
    (r"^(double\s+precision|double|float8|float)\b", "double"),
    (r"^(real|float4)\b", "real"),
    (r"^(numeric|decimal)\b", "numeric"),
    (r"^(bytea|blob|binary|varbinary)\b", "binary"),
    (r"^jsonb\b", "jsonb"),
    (r"^json\b", "json"),
    (r"^uuid\b", "uuid"),
)


@lru_cache(maxsize=4096)  # a schema repeats a few type texts over its columns
def normalize_type(type_text: str) -> str:
    """Map a type as written or reflected (``VARCHAR(200)``, ``character varying``, ``INTEGER``) to its family.

    Unknown types keep their lower-cased base name (``tsvector``, ``my_enum``); array types get a ``[]`` suffix.
    """
    text = " ".join(type_text.strip().lower().replace('"', "").split())
    if not text:
        return ""
    array = text.endswith("[]") or text.startswith("_")
    text = text.removesuffix("[]").removeprefix("_") if array else text
    for pattern, family in _FAMILIES:  # each compiled when first tried (re's cache): most texts try a few
        if re.match(pattern, text):
            return family + ("[]" if array else "")
    base = re.split(r"[\s(]", text, maxsplit=1)[0]
    return base + ("[]" if array else "")


#: The families ``normalize_type`` names, and PostgreSQL's other built-in base types: a type of one of these (or an
#: array) is no domain, so a column of it has no default but its own.
BUILT_IN = frozenset({family for _, family in _FAMILIES}) | frozenset({
    "bit", "box", "cidr", "circle", "inet", "line", "lseg", "macaddr", "macaddr8", "money", "name", "oid", "path",
    "point", "polygon", "regclass", "tsquery", "tsvector", "varbit", "xml", "int4range", "int8range", "numrange",
    "tsrange", "tstzrange", "daterange",
})


def may_be_domain(normalized: str) -> bool:
    """Whether a column type (as ``normalize_type`` writes it) may be a PostgreSQL domain, whose default and NOT NULL
    the catalog does not record: any type that is not built in and not an array."""
    return normalized not in BUILT_IN and not normalized.endswith("[]")


@dataclass(frozen=True)
class TypeFacts:
    """What a column's type means for a row that leaves the column out, and for a boolean test of it."""

    base: str
    """The family (``normalize_type``) of the type under every domain: ``boolean`` for a domain over boolean, the
    enum's or composite's own name for those."""
    domain_default: bool = False
    """A domain whose default (its own or copied from its base domain, not NULL) fills a column left out; a base type
    with a DEFAULT too (``get_typdefault`` reads any type's)."""
    not_null: bool = False
    """A domain of the chain is NOT NULL: a NULL (a column left out without a default) is 23502."""
    domain: bool = False
    """The type is a domain: a column's own ``DEFAULT NULL`` is then stored (coerced to the domain), so it, not the
    domain's default, fills a row that leaves the column out."""


#: ``schema.name`` or ``name`` as ``format_type`` prints a type (quoted where needed), then anything else.
_PART = r'(?:"(?:[^"]|"")+"|[^\s."(\[\]]+)'
_REFERENCE = re.compile(rf"^\s*(?:(?P<schema>{_PART})\s*\.\s*)?(?P<name>{_PART})\s*(?P<rest>.*)$", re.DOTALL)
#: A default that is the NULL constant (``NULL``, ``NULL::integer``, the replay's ``CAST(NULL AS INT)``): NULL.
def _unquote(part: str) -> str:
    return part[1:-1].replace('""', '"') if part.startswith('"') else part


@lru_cache(maxsize=4096)  # a verdict asks for the type of every column a row leaves out
def type_reference(type_text: str) -> tuple[str | None, str] | None:
    """(schema or None, name) of a column type as reported (``other."Mood"`` → ``("other", "Mood")``); None for
    anything else."""
    match = _REFERENCE.match(type_text)
    if match is None or match["rest"].strip():
        return None  # an array, a modifier, a name of several words (``character varying(10)``): no user type
    schema = match["schema"]
    return (_unquote(schema) if schema is not None else None), _unquote(match["name"])


def type_facts(catalog: Catalog, type_text: str) -> TypeFacts | None:
    """The facts of a column type on PostgreSQL, following a domain's chain of base domains; None when the Catalog
    cannot tell (types not read, or a type it does not list: it may be a domain)."""
    key = ("type_facts", type_text)
    if key not in catalog.memo:
        catalog.memo[key] = _type_facts(catalog, type_text)
    return catalog.memo[key]


def _type_facts(catalog: Catalog, type_text: str) -> TypeFacts | None:
    facts: TypeFacts | None = None
    text = type_text
    for _ in range(64):  # a chain of domains is finite; the bound only guards a hand-made Catalog's cycle
        reference = type_reference(text) if catalog.types_read else None
        found = catalog.user_type(*reference) if reference is not None else None
        if found is None:
            normalized = normalize_type(text)
            if may_be_domain(normalized):
                return None
            base = normalized
        elif found.kind != "domain":
            base = normalize_type(text)
            if facts is None and not is_null_default(found.default):  # a base type's DEFAULT fills a column too
                return TypeFacts(base, domain_default=True)
        else:
            default = facts.domain_default if facts is not None else not is_null_default(found.default)
            not_null = found.not_null or (facts is not None and facts.not_null)
            facts = TypeFacts("", default, not_null)
            if found.base_type is None:
                return None
            text = found.base_type
            continue
        if facts is None:
            return TypeFacts(base)
        return TypeFacts(base, facts.domain_default, facts.not_null, domain=True)
    return None
