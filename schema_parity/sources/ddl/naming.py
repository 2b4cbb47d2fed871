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
    """FigureIndexColname: the column, a function's name, a cast's type name, else ``expr``."""
    if elem.column is not None:
        return elem.column
    node = elem.expression.ast if elem.expression is not None else None
    while isinstance(node, (exp.Paren, exp.Collate)):
        node = node.this
    if isinstance(node, exp.Column):
        return node.name
    if isinstance(node, exp.Cast):
        inner = node.this
        while isinstance(inner, exp.Paren):
            inner = inner.this
        if isinstance(inner, exp.Column):
            return inner.name
        return node.to.sql(dialect=SQLGLOT["postgres"]).lower().split("(")[0]
    if isinstance(node, exp.Func) and elem.expression is not None:
        raw = elem.expression.text("sqlite")  # the source text: the function name as written
        match = _FUNC_NAME.match(raw)
        if match:
            name = match.group(1)
            return name[1:-1].replace('""', '"') if name.startswith('"') else name.lower()
        return "expr"
    if isinstance(node, exp.Case):
        return "case"
    return "expr"
