"""PostgreSQL's default names for constraints, indexes and sequences, as its C code chooses them.

``ChooseRelationName`` / ``ChooseConstraintName`` / ``makeObjectName`` with 63-byte truncation and collision
suffixes, ``ChooseIndexColumnNames`` and ``FigureIndexColname``: a verdict that names a constraint (``ON CONFLICT ON
CONSTRAINT``) depends on these names being exactly the engine's.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from sqlglot import exp

from schema_parity.sources.ddl.model import Elem
from schema_parity.sql.tokens import SQLGLOT

__all__ = ["NAMEDATALEN", "choose_name", "figure_colname", "index_name_addition", "make_object_name"]

NAMEDATALEN = 64
_FUNC_NAME = re.compile(r'[\s(]*(?:(?:"[^"]*"|[^\s(".]+)\s*\.\s*)*("(?:[^"]|"")*"|[^\s(".]+)\s*\(')


def clip(name: str, nbytes: int) -> str:
    """pg_mbcliplen: the longest prefix of ``name`` that fits in ``nbytes`` UTF-8 bytes, on a character boundary."""
    if len(name) <= nbytes and name.isascii():  # one byte per character: nothing to cut (most names)
        return name
    return name.encode()[:nbytes].decode(errors="ignore")


def truncate_identifier(name: str) -> str:
    """PostgreSQL truncates every identifier to NAMEDATALEN-1 bytes."""
    return clip(name, NAMEDATALEN - 1)


def make_object_name(name1: str, name2: str | None, label: str | None) -> str:
    """PostgreSQL's makeObjectName: ``name1_name2_label`` within 63 bytes, shortening the longer name first."""
    name1_len = len(name1.encode())
    name2_len = len(name2.encode()) if name2 is not None else 0
    overhead = (1 if name2 is not None else 0) + (len(label.encode()) + 1 if label else 0)
    available = NAMEDATALEN - 1 - overhead
    while name1_len + name2_len > available:
        if name1_len > name2_len:
            name1_len -= 1
        else:
            name2_len -= 1
    name = clip(name1, name1_len)
    if name2 is not None:
        name += "_" + clip(name2, name2_len)
    if label:
        name += "_" + label
    return name


def choose_name(name1: str, name2: str | None, label: str, taken: Callable[[str], bool]) -> str:
    """ChooseRelationName / ChooseConstraintName: try ``label``, then ``label1``, ``label2``, ... until free."""
    candidate, passes = make_object_name(name1, name2, label), 0
    while taken(candidate):
        passes += 1
        candidate = make_object_name(name1, name2, f"{label}{passes}")
    return candidate


def _index_column_names(names: Sequence[str]) -> list[str]:
    """ChooseIndexColumnNames: repeated names get a numeric suffix (``a``, ``a1``)."""
    result: list[str] = []
    for original in names:
        current, i = original, 0
        while current in result:
            i += 1
            current = clip(original, NAMEDATALEN - 1 - len(str(i))) + str(i)
        result.append(current)
    return result


def name_addition(names: Sequence[str]) -> str:
    """ChooseIndexNameAddition / ChooseForeignKeyConstraintNameAddition: names joined by ``_``, cut near 64 bytes."""
    buf = ""
    for name in names:
        if buf:
            buf += "_"
        buf += clip(name, NAMEDATALEN - 1)
        if len(buf.encode()) >= NAMEDATALEN:
            break
    return buf


def index_name_addition(elements: Sequence[Elem], include: Sequence[str]) -> str:
    """The part of an index's default name that its columns and expressions give (``a_lower``)."""
    return name_addition(_index_column_names([figure_colname(e) for e in elements] + list(include)))


def figure_colname(elem: Elem) -> str:
    """FigureIndexColname: the column, a function's name, a cast's type name, ``case``, ``array``, else ``expr``."""
    if elem.column is not None:
        return elem.column
    if elem.expression is None:
        return "expr"
    node = elem.expression.ast
    while isinstance(node, (exp.Paren, exp.Collate)):
        node = node.this
    if isinstance(node, exp.Func) and not isinstance(node, (exp.Cast, exp.Case, exp.Array)):
        # the source text: the function name as written (sqlglot renames some, and quoted ones keep their case)
        match = _FUNC_NAME.match(elem.expression.text("sqlite"))
        if match:
            name = match.group(1)
            return name[1:-1].replace('""', '"') if name.startswith('"') else name.lower()
    return _figure(node)[0] or "expr"


def _figure(node: exp.Expr | None) -> tuple[str | None, int]:
    """FigureColnameInternal: a name and its strength (2 a column's or a function's, 1 a cast's type or ``case``): a
    cast or CASE names itself only when what it wraps has no strong name."""
    while isinstance(node, (exp.Paren, exp.Collate, exp.Bracket)):  # a subscript: its array's name
        node = node.this
    if isinstance(node, exp.Column):
        return node.name, 2
    if isinstance(node, exp.Cast):
        name, strength = _figure(node.this)
        return (name, strength) if strength > 1 else (_type_name(node.to), 1)
    if isinstance(node, exp.Case):
        name, strength = _figure(node.args.get("default"))
        return (name, strength) if strength > 1 else ("case", 1)
    if isinstance(node, exp.Array):
        return "array", 2
    if isinstance(node, exp.Anonymous):
        return node.name.lower(), 2
    if isinstance(node, exp.Func):
        return node.sql_name().lower(), 2
    return None, 0


#: The types gram.y names with SystemTypeName, as sqlglot writes them: a cast names an index column by the
#: pg_catalog name (``int8``, not ``bigint``).
_SYSTEM_TYPE_NAMES = {
    "INT": "int4",
    "SMALLINT": "int2",
    "BIGINT": "int8",
    "REAL": "float4",
    "DOUBLE PRECISION": "float8",
    "DECIMAL": "numeric",
    "BOOLEAN": "bool",
    "CHAR": "bpchar",
}


def _type_name(to: exp.DataType) -> str:
    """The last part of a cast's type name, as PostgreSQL's grammar stores it (``FLOAT(p)``: float4 up to 24)."""
    text = to.sql(dialect=SQLGLOT["postgres"]).split("[")[0]
    base, _, precision = text.partition("(")
    if base == "FLOAT" and precision:
        return "float4" if int(precision.rstrip(")").strip() or 53) <= 24 else "float8"
    if base in _SYSTEM_TYPE_NAMES:
        return _SYSTEM_TYPE_NAMES[base]
    last = base.rsplit(".", 1)[-1]
    return last[1:-1].replace('""', '"') if last.startswith('"') else last.lower()
