"""A Catalog as text for people: one block per table, columns then keys."""

from __future__ import annotations

from schema_parity.catalog import Catalog, Column, Table


def _column_line(column: Column) -> str:
    parts = [column.name, column.type]
    if not column.nullable:
        parts.append("NOT NULL")
    if column.default is not None:
        parts.append(f"DEFAULT {column.default}")
    if column.identity:
        parts.append(f"GENERATED {column.identity.upper()} AS IDENTITY")
    elif column.autoincrement:
        parts.append("AUTOINCREMENT")
    if column.generated:
        parts.append(f"GENERATED ALWAYS AS ({column.generated})")
    if column.collation:
        parts.append(f"COLLATE {column.collation}")
    return " ".join(parts)


def _table_block(table: Table) -> list[str]:
    kind = "" if table.kind == "table" else f" ({table.kind})"
    extra = " WITHOUT ROWID" if table.without_rowid else ""
    lines = [f"{table.qualified_name}{kind}{extra}"]
    width = max((len(c.name) for c in table.columns), default=0)
    for column in table.columns:
        line = _column_line(column)
        lines.append(f"    {column.name.ljust(width)}{line[len(column.name):]}")
    for key in table.keys:
        lines.append(f"    {key.describe()}")
    for name in table.other_constraints:
        lines.append(f"    CONSTRAINT {name} (check or foreign key)")
    return lines


def render_catalog(catalog: Catalog) -> str:
    header = f"-- {catalog.dialect} schema from {catalog.source or 'unknown source'}"
    if catalog.revision:
        header += f" at revision {catalog.revision}"
    lines = [header]
    for note in catalog.notes:
        lines.append(f"-- note: {note}")
    for table in catalog.tables:
        lines.append("")
        lines.extend(_table_block(table))
    if not catalog.tables:
        lines.extend(["", "(no tables)"])
    return "\n".join(lines) + "\n"
