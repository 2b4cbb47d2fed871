"""Between the mutable model and the Catalog: ``freeze`` at the end of a replay, ``thaw`` to continue from one."""

from __future__ import annotations

from collections.abc import Sequence

from schema_parity.catalog import Catalog, Column, Key, KeyElement, Table, Uncertain
from schema_parity.sources.ddl import model, user_types
from schema_parity.sources.ddl.replay import Replay
from schema_parity.types import normalize_type

__all__ = ["freeze", "thaw"]


def thaw(replay: Replay, catalog: Catalog) -> None:
    """Continue from an existing Catalog (``base``): its tables become the starting model."""
    if catalog.dialect != replay.dialect:
        raise ValueError(f"base catalog is {catalog.dialect}, not {replay.dialect}")
    replay.notes.extend(catalog.notes)
    replay.types = {(replay.rules.norm_schema(t.schema), t.name): t for t in catalog.types}
    replay.types_read = catalog.types_read
    replay.notes_pending = []
    for t in catalog.tables:
        table = model.Table(t.name, t.schema, kind=t.kind, without_rowid=t.without_rowid)
        table.rules = {"(rule)"} if t.has_rules else set()
        table.columns = [
            model.Col(c.name, c.type, c.nullable, c.default, c.autoincrement, c.identity, None, c.collation)
            for c in t.columns
        ]
        replay.tables.add(table)
        for c, frozen in zip(table.columns, t.columns, strict=True):
            if frozen.generated is not None:
                c.generated = replay.frag_text(frozen.generated, table)
        table.others = [model.Other(n, "other", set()) for n in t.other_constraints]
        for k in t.keys:
            operators = [*k.operators, *[None] * (len(k.elements) - len(k.operators))]
            elems = [
                model.Elem(
                    e.column,
                    replay.frag_text(e.expression, table) if e.expression else None,
                    e.collation,
                    e.opclass,
                    e.descending,
                    op,
                )
                for e, op in zip(k.elements, operators, strict=True)
            ]
            table.keys.append(
                model.Key(
                    k.name,
                    k.kind,
                    elems,
                    list(k.include),
                    replay.frag_text(k.predicate, table) if k.predicate else None,
                    k.deferrable,
                    k.initially_deferred,
                    k.nulls_not_distinct,
                    k.method,
                    without_overlaps=k.without_overlaps,
                    valid=k.valid,
                    from_table_definition=k.kind in ("primary_key", "unique"),
                )
            )
    for u in catalog.uncertain:
        found = next((t for t in replay.tables if t.name == u.name and t.schema == u.schema), None)
        if found is not None:
            replay.doubts[found] = [*(replay.doubts.get(found) or []), u.reason]
        else:
            replay.doubted_names.append((u.schema, u.name, u.reason))
    replay.tables.end_statement()


def freeze(replay: Replay, *, source: str, revision: str | None, exclude: Sequence[str]) -> Catalog:
    """The Catalog of the model as it stands, without the tables named in ``exclude`` and the temporary ones (they
    end with the session that made them)."""
    rules, dialect = replay.rules, replay.dialect
    temp = rules.temp_schema
    tables = []
    for t in replay.tables:
        if t.schema == temp or any(rules.same(t.name, x) for x in exclude):
            continue
        # Columns and key elements are built with positional arguments, in the order of their fields: a whole
        # schema's worth of them is built here, and keyword arguments cost a third of the construction.
        columns = tuple(
            Column(
                c.name,
                c.type,
                normalize_type(c.type),
                c.nullable,
                c.default,
                c.autoincrement,
                c.identity,  # type: ignore[arg-type]
                c.generated.text(dialect) if c.generated else None,
                c.collation,
            )
            for c in t.columns
        )
        keys = tuple(
            Key(
                name=k.name,
                kind=k.kind,
                elements=tuple(
                    KeyElement(
                        e.column,
                        e.expression.text(dialect) if e.expression is not None else None,
                        rules.effective_collation(e.collation),
                        e.opclass,
                        e.descending,
                    )
                    for e in k.elements
                ),
                include=tuple(k.include),
                predicate=k.predicate.text(dialect) if k.predicate is not None else None,
                deferrable=k.deferrable,
                initially_deferred=k.initially_deferred,
                nulls_not_distinct=k.nulls_not_distinct,
                method=k.method,
                operators=_operators(k),
                without_overlaps=k.without_overlaps,
                valid=k.valid,
            )
            for k in t.keys
        )
        tables.append(
            Table(
                name=t.name,
                schema=t.schema,
                columns=columns,
                keys=keys,
                kind=t.kind,  # type: ignore[arg-type]
                without_rowid=t.without_rowid,
                other_constraints=tuple(o.name for o in t.others if o.name),
                has_rules=bool(t.rules),
            )
        )
    uncertain = [Uncertain(t.name, t.schema, note) for t in replay.tables for note in replay.doubts.get(t) or ()]
    uncertain += [Uncertain(name, schema, note) for schema, name, note in replay.doubted_names]
    kept = tuple(u for u in uncertain if u.schema != temp and not any(rules.same(u.name, x) for x in exclude))
    return Catalog(
        dialect=dialect,
        tables=tuple(tables),
        source=source,
        revision=revision,
        notes=tuple(replay.notes),
        uncertain=kept,
        types=user_types.frozen_types(replay) if replay.types_read else (),
        types_read=replay.types_read,
    )


def _operators(key: model.Key) -> tuple[str, ...]:
    """An exclusion constraint's operators; a WITHOUT OVERLAPS key's are ``=`` then ``&&``, as PostgreSQL records."""
    if key.without_overlaps:
        return ("=",) * (len(key.elements) - 1) + ("&&",)
    return tuple(e.operator or "" for e in key.elements) if key.kind == "exclusion" else ()
