"""CREATE VIEW, CREATE RULE, and the relations that are neither tables nor keys (materialized views, sequences).

A view is a relation ON CONFLICT cannot target, but its name is taken and its columns are derived where its
SELECT allows; a rule ON INSERT/UPDATE changes what an upsert on the table does, so the table records it.
"""

from __future__ import annotations

from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from schema_parity.sources.ddl.model import Col, Other, Refused, Table
from schema_parity.sources.ddl.registry import Head, Registry
from schema_parity.sources.ddl.replay import Replay
from schema_parity.sources.ddl.statement import Stmt, Unmodelled
from schema_parity.sql.groups import Cursor
from schema_parity.sql.tokens import TokenType

__all__ = ["register"]


def register(registry: Registry) -> None:
    registry.add("CREATE", ("VIEW",), create_view, temporary=True)
    registry.add("CREATE", ("RECURSIVE",), create_view, temporary=True)
    registry.add("CREATE", ("MATERIALIZED", "VIEW"), create_relation)
    registry.add("CREATE", ("SEQUENCE",), create_relation, temporary=True)
    registry.add("CREATE", ("RULE",), create_rule)
    registry.add("CREATE", ("CONSTRAINT", "TRIGGER"), create_constraint_trigger)


def create_view(replay: Replay, cur: Cursor, stmt: Stmt, head: Head) -> None:
    rules = replay.rules
    cur.accept("RECURSIVE")
    cur.expect("VIEW")
    if_not_exists = cur.accept("IF", "NOT", "EXISTS")
    schema, name = cur.qualified()
    listed = cur.group() if cur.type() == TokenType.L_PAREN else None
    cur.until(lambda c: c.at("AS"))
    cur.expect("AS")
    body = cur.rest()
    try:
        select = rules.sqlglot.parse(stmt.sql[body[0].start : body[-1].end + 1])[0] if body else None
    except (ParseError, TokenError, RecursionError):
        select = None
    schema = replay.creation_schema(schema, temporary=head.temporary or _reads_temporary(replay, select))
    existing = replay.tables.find(schema, name)
    if existing is not None:
        if if_not_exists:
            return
        if not (head.replace and existing.kind == "view"):
            raise Refused(rules.already_exists("view", name))
        replay.tables.remove(existing)
    view = Table(name, schema, kind="view")
    replay.tables.add(view)
    if listed is not None:
        view.columns = [Col(rules.fold(t), "") for t in listed if t.token_type != TokenType.COMMA]
        return
    if isinstance(select, exp.Query):
        select = rules.normalize(select)
        names = select.named_selects
        if names and all(n and n != "*" for n in names):
            view.columns = [Col(n, _view_column_type(replay, select, i)) for i, n in enumerate(names)]
            return
    replay.notes_pending.append(f"columns of view {name} not derived")


def _reads_temporary(replay: Replay, select: exp.Expr | None) -> bool:
    """PostgreSQL makes a view that reads a temporary relation temporary itself (``isQueryUsingTempRelation``)."""
    if not replay.temporary or replay.dialect != "postgresql" or select is None:
        return False
    ctes = {cte.alias_or_name for cte in select.find_all(exp.CTE)}
    return any(
        replay.lookup_schema(t.db or None, t.name) == replay.rules.temp_schema
        for t in select.find_all(exp.Table)
        if t.db or t.name not in ctes
    )


def _view_column_type(replay: Replay, select: exp.Query, position: int) -> str:
    """The type of a view column that is a plain column of the one table in FROM (else unknown: ``""``)."""
    source = select.args.get("from_")
    if not isinstance(select, exp.Select) or select.args.get("joins") or source is None:
        return ""
    base = source.this
    node = select.expressions[position].unalias()
    if not isinstance(base, exp.Table) or not isinstance(node, exp.Column):
        return ""
    table = replay.find(base.db or None, base.name)
    column = table.column(node.name, replay.rules.same) if table else None
    return column.type if column is not None else ""


def create_relation(replay: Replay, cur: Cursor, stmt: Stmt, head: Head) -> None:
    """CREATE MATERIALIZED VIEW / SEQUENCE: only the name is taken (PostgreSQL's default names avoid it)."""
    materialized = cur.accept("MATERIALIZED", "VIEW")
    if not materialized:
        cur.expect("SEQUENCE")
    cur.accept("IF", "NOT", "EXISTS")
    schema, name = cur.qualified()
    relation = (replay.creation_schema(schema, temporary=head.temporary), name)
    if materialized and relation not in replay.tables.relations:
        replay.view_indexes[relation] = set()
    replay.tables.relations.add(relation)


def create_rule(replay: Replay, cur: Cursor, stmt: Stmt, head: Head) -> None:
    cur.expect("RULE")
    name = cur.name()
    cur.expect("AS")
    cur.expect("ON")
    event = cur.name().upper()
    cur.expect("TO")
    table = replay.table(*cur.qualified())
    if event in ("INSERT", "UPDATE"):
        table.rules.add(name)


def create_constraint_trigger(replay: Replay, cur: Cursor, stmt: Stmt, head: Head) -> None:
    """PostgreSQL stores a constraint of the trigger's name on its table: ``ON CONFLICT ON CONSTRAINT`` finds it
    (an error of its own: no index), where a name no constraint has is another error."""
    if replay.dialect != "postgresql":
        raise Unmodelled
    cur.expect("CONSTRAINT")
    cur.expect("TRIGGER")
    name = cur.name()
    cur.until(lambda c: c.at("ON"))
    cur.expect("ON")
    replay.table(*cur.qualified()).others.append(Other(name, "trigger", set()))
