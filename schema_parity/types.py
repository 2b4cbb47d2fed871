"""Column type normalisation: one dialect-neutral family name per type, so drift reports compare like with like."""

from __future__ import annotations

import re
from functools import lru_cache

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
