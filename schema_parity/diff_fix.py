"""``schema-parity diff --fix-for a|b``: what makes one side match the other.

For an ``alembic:`` side, the body of a new revision's ``upgrade()`` in ``op.*`` calls (each table's changes in a
``batch_alter_table`` block, which SQLite needs and PostgreSQL runs as plain ALTERs); for a ``sql:`` side, the
CREATE statements that replace the differing tables' in its files. Other sources are not edited here: a database
is only ever read, and models or a function are code the user changes by hand (ConfigError, exit 2).

Only real differences are fixed (the ones the diff reports; ``--ignore`` leaves kinds out); cosmetic ones are not.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from schema_parity.catalog import Catalog, Check, Column, Dialect, ForeignKey, Key, Table
from schema_parity.compare import Difference, Part
from schema_parity.diff import DiffResult
from schema_parity.errors import ConfigError
from schema_parity.sources.spec import SourceSpec

__all__ = ["check_fixable", "fix_for"]


def check_fixable(target_spec: SourceSpec, side: str) -> None:
    """A ConfigError (exit 2) for a side ``--fix-for`` cannot write a fix for, before anything is built."""
    if target_spec.kind not in ("alembic", "sql"):
        why = {
            "url": "it is a live database, which schema-parity only ever reads; change it with a migration",
            "models": "its models are code: change them by hand (the differences above say what)",
            "python": "it is a function: change its code by hand (the differences above say what)",
        }[target_spec.kind]
        raise ConfigError(
            f"--fix-for {side}: {target_spec.text} cannot be edited by schema-parity: {why}. --fix-for writes op.* "
            "code for an alembic: side and DDL for a sql: side."
        )


def fix_for(result: DiffResult, side: str) -> str:
    """The fix that makes ``side`` (``a`` or ``b``) match the other side, as text."""
    target_spec, reference_spec = (result.b_spec, result.a_spec) if side == "b" else (result.a_spec, result.b_spec)
    target, reference = (result.b, result.a) if side == "b" else (result.a, result.b)
    check_fixable(target_spec, side)
    changes = [_Change.of(d, side) for d in result.real]
    head = f"make {target_spec.text} match {reference_spec.text}"
    if not changes:
        return f"# nothing to change: {target_spec.text} already matches {reference_spec.text}\n"
    if target_spec.kind == "alembic":
        return _alembic(changes, head, target.dialect)
    return _ddl(changes, head, reference, target.dialect)


@dataclass(frozen=True)
class _Change:
    """One difference, oriented: ``want`` is what the reference has, ``have`` what the target has."""

    kind: str
    table: str
    want: Part | None
    have: Part | None

    @classmethod
    def of(cls, difference: Difference, side: str) -> _Change:
        want, have = (difference.a_part, difference.b_part) if side == "b" else (difference.b_part, difference.a_part)
        return cls(difference.kind, difference.table, want, have)


# -- op.* ------------------------------------------------------------------------------------------------------------
def _alembic(changes: list[_Change], head: str, dialect: Dialect) -> str:
    outside: list[str] = []
    batches: dict[str, list[str]] = {}
    for change in changes:
        if change.kind == "table":
            if isinstance(change.want, Table):
                outside += _create_table_ops(change.want)
            else:
                outside.append(f"op.drop_table({change.table!r})")
            continue
        batch = batches.setdefault(change.table, [])
        if isinstance(change.have, Column) or isinstance(change.want, Column):
            batch += _column_ops(change)
        else:
            if change.have is not None:
                batch += _drop_op(change.have, change.table)
            if change.want is not None:
                batch += _create_op(change.want, change.table)
    lines = [f"# {head}: the body of upgrade() in a new revision", "import sqlalchemy as sa", "from alembic import op"]
    lines += ["", "", "def upgrade():"]
    body = [f"    {line}" for line in outside]
    for table, ops in batches.items():
        if ops:
            body.append(f"    with op.batch_alter_table({table!r}) as batch_op:")
            body += [f"        {line}" for line in dict.fromkeys(ops)]
    return "\n".join([*lines, *(body or ["    pass"])]) + "\n"


def _create_table_ops(table: Table) -> list[str]:
    parts = [repr(table.name)]
    parts += [_sa_column(c, primary_key=_rowid_pk(table, c)) for c in table.columns]
    pk = table.primary_key
    if pk is not None and not any(_rowid_pk(table, c) for c in table.columns):
        parts.append(f"sa.PrimaryKeyConstraint({_names(pk.columns)}{_name_kw(pk.name)})")
    for key in table.keys:
        if key.kind == "unique" and _plain(key):
            parts.append(f"sa.UniqueConstraint({_names(key.columns)}{_name_kw(key.name)}{_deferral_kw(key)})")
    for fk in table.foreign_keys:
        parts.append(
            f"sa.ForeignKeyConstraint([{_names(fk.columns)}], "
            f"[{_names(f'{fk.referred_table}.{c}' for c in fk.referred_columns)}]{_name_kw(fk.name)}{_fk_kw(fk)})"
        )
    for check in table.checks:
        parts.append(f"sa.CheckConstraint({check.expression!r}{_name_kw(check.name)})")
    ops = ["op.create_table(" + ", ".join(parts) + ")"]
    for key in table.keys:
        if key.kind in ("unique_index", "index") or (key.kind == "unique" and not _plain(key)):
            ops.append(_index_op(key, table.name, batch=False))
    return ops


def _rowid_pk(table: Table, column: Column) -> bool:
    pk = table.primary_key
    return pk is not None and pk.columns == (column.name,)


def _column_ops(change: _Change) -> list[str]:
    want, have = change.want, change.have
    if have is None:
        assert isinstance(want, Column)
        return [f"batch_op.add_column({_sa_column(want)})"]
    assert isinstance(have, Column)
    if want is None:
        return [f"batch_op.drop_column({have.name!r})"]
    assert isinstance(want, Column)
    options = [f"existing_type={_sa_type(have)}"]
    if change.kind == "type":
        options.append(f"type_={_sa_type(want)}")
    elif change.kind == "nullability":
        options.append(f"nullable={want.nullable}")
    elif change.kind == "default":
        options.append(f"server_default={_server_default(want)}")
    return [f"batch_op.alter_column({have.name!r}, {', '.join(options)})"]


def _drop_op(part: Part, table: str) -> list[str]:
    if part.name is None:
        return [f"# {part.describe()} has no name to drop it by: batch_alter_table(recreate='always') "
                "rebuilds the table from the reflected one, without it, once the line below is removed"]  # fmt: skip
    if isinstance(part, Key) and part.kind in ("index", "unique_index"):
        return [f"batch_op.drop_index({part.name!r})"]
    kind = {Key: "unique", ForeignKey: "foreignkey", Check: "check"}[type(part)]
    if isinstance(part, Key) and part.kind == "primary_key":
        kind = "primary"
    return [f"batch_op.drop_constraint({part.name!r}, type_={kind!r})"]


def _create_op(part: Part, table: str) -> list[str]:
    if isinstance(part, Key):
        name = part.name or _default_name(part, table)
        if part.kind == "primary_key":
            return [f"batch_op.create_primary_key({name!r}, [{_names(part.columns)}])"]
        if part.kind == "unique" and _plain(part):
            return [f"batch_op.create_unique_constraint({name!r}, [{_names(part.columns)}]{_deferral_kw(part)})"]
        return [_index_op(part, table, batch=True)]
    if isinstance(part, ForeignKey):
        name = part.name or f"fk_{table}_{'_'.join(part.columns)}_{part.referred_table}"
        return [
            f"batch_op.create_foreign_key({name!r}, {part.referred_table!r}, [{_names(part.columns)}], "
            f"[{_names(part.referred_columns)}]{_fk_kw(part)})"
        ]
    if isinstance(part, Check):
        name = part.name or f"ck_{table}_{len(part.expression)}"
        return [f"batch_op.create_check_constraint({name!r}, sa.text({part.expression!r}))"]
    return []


def _index_op(key: Key, table: str, *, batch: bool) -> str:
    name = key.name or _default_name(key, table)
    elements = ", ".join(
        repr(e.column) if e.column is not None else f"sa.text({e.expression!r})" for e in key.elements
    )
    options = ", unique=True" if key.is_unique else ""
    if key.predicate:
        options += f", sqlite_where=sa.text({key.predicate!r}), postgresql_where=sa.text({key.predicate!r})"
    if key.nulls_not_distinct:
        options += ", postgresql_nulls_not_distinct=True"
    if batch:
        return f"batch_op.create_index({name!r}, [{elements}]{options})"
    return f"op.create_index({name!r}, {table!r}, [{elements}]{options})"


def _default_name(key: Key, table: str) -> str:
    prefix = {"primary_key": "pk", "unique": "uq", "unique_index": "uq", "index": "ix"}.get(key.kind, "ix")
    words = [c or "expr" for c in key.columns]
    return f"{prefix}_{table}_{'_'.join(words)}"


def _plain(key: Key) -> bool:
    """A key a UNIQUE constraint can express: plain columns, no predicate."""
    return all(e.column is not None and not e.collation and not e.descending for e in key.elements) and not (
        key.predicate
    )


def _names(names: Iterable[str | None]) -> str:
    return ", ".join(repr(n) for n in names)


def _name_kw(name: str | None) -> str:
    return f", name={name!r}" if name else ""


def _deferral_kw(key: Key) -> str:
    if not key.deferrable:
        return ""
    return ", deferrable=True" + (", initially='DEFERRED'" if key.initially_deferred else "")


def _fk_kw(fk: ForeignKey) -> str:
    text = ""
    if fk.on_delete:
        text += f", ondelete={fk.on_delete!r}"
    if fk.on_update:
        text += f", onupdate={fk.on_update!r}"
    if fk.deferrable:
        text += ", deferrable=True" + (", initially='DEFERRED'" if fk.initially_deferred else "")
    return text


_SA_TYPES = {
    "integer": "sa.Integer()",
    "bigint": "sa.BigInteger()",
    "smallint": "sa.SmallInteger()",
    "text": "sa.Text()",
    "boolean": "sa.Boolean()",
    "timestamp": "sa.DateTime()",
    "timestamptz": "sa.DateTime(timezone=True)",
    "date": "sa.Date()",
    "time": "sa.Time()",
    "interval": "sa.Interval()",
    "double": "sa.Float()",
    "real": "sa.REAL()",
    "binary": "sa.LargeBinary()",
    "json": "sa.JSON()",
    "jsonb": "sa.JSON()",
}
_SIZE = re.compile(r"\((\d+)(?:\s*,\s*(\d+))?\)")


def _sa_type(column: Column) -> str:
    """The SQLAlchemy type for a column's type family (its size kept); an engine's own type by name."""
    size = _SIZE.search(column.type)
    family = column.normalized_type
    if family in ("varchar", "char"):
        name = "sa.String" if family == "varchar" else "sa.CHAR"
        return f"{name}({size.group(1)})" if size else f"{name}()"
    if family == "numeric":
        return f"sa.Numeric({size.group(1)}, {size.group(2) or 0})" if size else "sa.Numeric()"
    if family in _SA_TYPES:
        return _SA_TYPES[family]
    return f"sa.types.NullType()  # {column.type}: write this type by hand"


def _server_default(column: Column) -> str:
    return f"sa.text({column.default!r})" if column.default is not None else "None"


def _sa_column(column: Column, *, primary_key: bool = False) -> str:
    text = f"sa.Column({column.name!r}, {_sa_type(column)}"
    if primary_key:
        text += ", primary_key=True"
    elif not column.nullable:
        text += ", nullable=False"
    if column.default is not None and not column.autoincrement:
        text += f", server_default={_server_default(column)}"
    return text + ")"


# -- DDL ---------------------------------------------------------------------------------------------------------------
def _ddl(changes: list[_Change], head: str, reference: Catalog, dialect: Dialect) -> str:
    lines = [f"-- {head}: replace the statements that create these tables with the ones below"]
    done: list[str] = []
    for change in changes:
        if change.table in done:
            continue
        done.append(change.table)
        table = next((t for t in reference.tables if t.qualified_name.lower() == change.table.lower()), None)
        if table is None:
            lines += ["", f"-- {change.table}: remove it (the other side has no such table)",
                      f"DROP TABLE {change.table};"]  # fmt: skip
            continue
        lines += ["", *_create_table_sql(table, reference.dialect, dialect)]
    return "\n".join(lines) + "\n"


def _create_table_sql(table: Table, source: Dialect, dialect: Dialect) -> list[str]:
    pk = table.primary_key
    inline_pk = (
        dialect == "sqlite" and pk is not None and len(pk.columns) == 1
        and any(c.name == pk.columns[0] and c.autoincrement for c in table.columns)
    )  # fmt: skip
    items = [_column_sql(c, source, dialect, inline_pk=inline_pk and c.name == pk.columns[0]) for c in table.columns]  # type: ignore[union-attr]
    if pk is not None and not inline_pk:
        items.append(f"{_constraint(pk.name)}PRIMARY KEY ({', '.join(_q(c) for c in pk.columns)})")
    for key in table.keys:
        if key.kind == "unique":
            nulls = " NULLS NOT DISTINCT" if key.nulls_not_distinct else ""
            columns = ", ".join(_q(c) for c in key.columns)
            items.append(f"{_constraint(key.name)}UNIQUE{nulls} ({columns}){_deferral(key)}")
    for fk in table.foreign_keys:
        text = f"{_constraint(fk.name)}FOREIGN KEY ({', '.join(map(_q, fk.columns))})"
        text += f" REFERENCES {_q(fk.referred_table)}"
        text += f" ({', '.join(map(_q, fk.referred_columns))})"
        text += f" ON DELETE {fk.on_delete}" if fk.on_delete else ""
        text += f" ON UPDATE {fk.on_update}" if fk.on_update else ""
        text += (" DEFERRABLE" + (" INITIALLY DEFERRED" if fk.initially_deferred else "")) if fk.deferrable else ""
        items.append(text)
    items += [f"{_constraint(c.name)}CHECK ({c.expression})" for c in table.checks]
    lines = [f"CREATE TABLE {_q(table.name)} (", *[f"    {item}," for item in items]]
    lines[-1] = lines[-1].rstrip(",")
    lines.append(");")
    for key in table.keys:
        if key.kind in ("unique_index", "index"):
            elements = ", ".join(
                (_q(e.column) if e.column is not None else f"({e.expression})") + (" DESC" if e.descending else "")
                for e in key.elements
            )
            unique = "UNIQUE " if key.kind == "unique_index" else ""
            nulls = " NULLS NOT DISTINCT" if key.nulls_not_distinct else ""
            where = f" WHERE {key.predicate}" if key.predicate else ""
            name = key.name or _default_name(key, table.name)
            lines.append(f"CREATE {unique}INDEX {_q(name)} ON {_q(table.name)} ({elements}){nulls}{where};")
    return lines


_PG_TYPES = {"timestamp": "timestamp", "double": "double precision", "binary": "bytea", "boolean": "boolean"}


def _column_sql(column: Column, source: Dialect, dialect: Dialect, *, inline_pk: bool) -> str:
    type_ = column.type
    if source != dialect and dialect == "postgresql":
        type_ = _PG_TYPES.get(column.normalized_type, type_)
    if inline_pk:
        return f"{_q(column.name)} INTEGER PRIMARY KEY"
    text = f"{_q(column.name)} {type_}"
    if column.autoincrement and dialect == "postgresql":
        return text + " GENERATED BY DEFAULT AS IDENTITY"
    if not column.nullable:
        text += " NOT NULL"
    if column.default is not None and not column.autoincrement:
        default = column.default
        if source != dialect and column.normalized_type == "boolean":
            default = {"0": "false", "1": "true", "false": "0", "true": "1"}.get(default.lower(), default)
        text += f" DEFAULT {default if _BARE_DEFAULT.fullmatch(default) else f'({default})'}"
    return text


_BARE_DEFAULT = re.compile(r"[\w.'-]+|\(.*\)", re.DOTALL)


def _constraint(name: str | None) -> str:
    return f"CONSTRAINT {_q(name)} " if name else ""


def _deferral(key: Key) -> str:
    return (" DEFERRABLE" + (" INITIALLY DEFERRED" if key.initially_deferred else "")) if key.deferrable else ""


_PLAIN_NAME = re.compile(r"[a-z_][a-z0-9_]*")


def _q(name: str | None) -> str:
    text = name or ""
    return text if _PLAIN_NAME.fullmatch(text) else '"' + text.replace('"', '""') + '"'
