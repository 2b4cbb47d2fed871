"""Hypothesis strategies: small schemas with keys of every kind, and upsert statements aimed at them.

A drawn :class:`Case` renders to DDL and one statement for each engine that can express it. The vocabulary is
deliberately small (one table, eight columns, pools of predicates and expressions) so that generated targets hit and
miss the keys often, including the traps: column sets vs term counts, partial predicates that one engine proves and
the other compares structurally (comparisons at and around a boundary, ``<>``/``!=``, NOT, AND/OR on either side,
IN/BETWEEN, IS [NOT] TRUE/NULL, numeric and text constants, casts), keys mixing columns and expressions targeted with
the expression written another way, the rowid alias, deferrable and exclusion constraints, a quoted mixed-case
column, COLLATE and ordering in targets, INSERT ... SELECT with and without FROM/WHERE (SQLite's ON-as-join-constraint
ambiguity), a CTE, an alias, ``public.t``, RETURNING, and DO UPDATE SET/WHERE references that PostgreSQL finds
ambiguous (42702) and SQLite does not.

Text constants are all ``'x'``: ordering two different strings depends on the collation, which the checker rightly
leaves unresolved (tests/test_engine_tables_postgresql.py covers that).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

from hypothesis import strategies as st

PLAIN_COLUMNS = ("a", "b", "c", "e", "active", '"Host"', "n")
TYPES = {"id": "integer", "a": "integer", "b": "integer", "c": "integer", "e": "text", "active": "boolean",
         '"Host"': "text", "n": "numeric"}
VALUES = {"id": "1", "a": "2", "b": "3", "c": "4", "e": "'x'", "active": "true", '"Host"': "'h'", "n": "5.5"}
COLLATIONS = {"postgresql": {"C": '"C"', "default": '"default"'}, "sqlite": {"C": "NOCASE", "default": "BINARY"}}
"""``COLLATE C`` / ``COLLATE default`` in the vocabulary: a non-default and the default collation of each engine."""
ORDERINGS = (" DESC", " ASC", " NULLS FIRST", " DESC NULLS LAST")
SOURCES = ("values", "values", "values", "select", "select_from", "select_from_where")
RETURNING = (None, None, None, "*", "id", "a + 1", "c")

INDEX_PREDICATES = (
    "active", "NOT active", "active IS TRUE", "active IS NOT TRUE", "active IS FALSE",
    "b > 0", "b = 1", "b IS NOT NULL", "e IS NULL", "b = 1 OR b = 2", "b IN (1, 2)", "b NOT IN (1, 2)",
    "b > 5", "b >= 5", "b < 5", "b <= 5", "b <> 5", "b BETWEEN 1 AND 10", "NOT (b > 5)", "b > 5 AND c > 0",
    "b > 5 OR c > 0", "n > 5.5", "n >= 5", "e = 'x'", "e >= 'x'", "e <> 'x'", "CAST(b AS TEXT) = '3'",
)
DIALECT_INDEX_PREDICATES = {
    "postgresql": ("b::bigint > 5", "(b + 1) > 5", "b = ANY (ARRAY[1, 2])", "n > 5", "b::text = '3'"),
    "sqlite": ("b == 1", "b != 5", "b ISNULL", "b NOTNULL", "CAST(b AS INTEGER) > 5", "active = TRUE", "b IS 5"),
}
TARGET_PREDICATES = (
    *INDEX_PREDICATES,
    "b > -1", "1 = b", "NOT (b IS NULL)", "active = true", "active AND b > 0", "(b > 0)", "c > 0",
    "b > 4", "b > 6", "b >= 4", "b >= 6", "b < 4", "b < 6", "b <= 4", "b <= 6", "b = 5", "b = 6", "b <> 4",
    "b <> 6", "b != 5", "5 < b", "NOT (b <= 5)", "NOT (b = 5)", "b > 6 OR b > 7", "b > 6 OR c > 1",
    "b > 6 AND c > 1", "c > 0 AND b > 5", "b = 1 OR c > 0", "b IN (1)", "b IN (2, 1)", "b BETWEEN 2 AND 9",
    "b NOT IN (1, 2, 3)", "n > 6", "n > 5.50", "n >= 5.0", "n > 5", "e > 'x'", "e = 'x' AND active",
    "CAST(b AS text) = '3'", "NOT (NOT active)", "active IS true", "active IS NOT FALSE",
)
DIALECT_TARGET_PREDICATES = {
    "postgresql": (*DIALECT_INDEX_PREDICATES["postgresql"], "b > '5'", "b > 5::bigint", "b::int > 5",
                   "b::text = '3'", "b <> ALL (ARRAY[1, 2])", "b IS NOT NULL AND b > 5"),
    "sqlite": (*DIALECT_INDEX_PREDICATES["sqlite"], "b = 01", "b > 0x5", "b IS NOT NULL AND b > 5",
               "CAST(b AS integer) > 5", "active = true", "NOT b IN (1, 2)"),
}
EXPRESSIONS = ("lower(e)", "(a + b)", "(a + 1)", "coalesce(a, 0)", "CAST(b AS TEXT)")
SPELLINGS = {
    "lower(e)": ("LOWER(e)", "lower( e )", "(lower(e))", "upper(e)", "lower((e))"),
    "(a + b)": ("(a+b)", "(b + a)", "((a + b))", "(a + b + 0)"),
    "(a + 1)": ("(1 + a)", "(a + 01)", "(a + 1.0)", "(a + 2)", "(a+1)"),
    "coalesce(a, 0)": ("COALESCE(a,0)", "coalesce(a, 1)", "coalesce((a), 0)", "coalesce(a, 0.0)"),
    "CAST(b AS TEXT)": ("CAST(b AS text)", "cast(b as TEXT)", "CAST((b) AS TEXT)", "(CAST(b AS TEXT))"),
    "a": ("(a)", "A"),
    "b": ("(b)",),
}
"""Other ways to write a key element in a target: equal to it on one engine, both or neither."""
DIALECT_SPELLINGS = {
    "postgresql": {"(a + 1)": ("(a + '1')", "(a + 1::int)", "a + 1"), "coalesce(a, 0)": ("coalesce(a, '0')",),
                   "CAST(b AS TEXT)": ("(b::text)", "b::text"), "a": ("(a::int)", "CAST(a AS integer)")},
    "sqlite": {"(a + 1)": ("(a + 0x1)", "a + 1"), "lower(e)": ("lower(e) COLLATE BINARY",),
               "CAST(b AS TEXT)": ("CAST(b AS  TEXT)",), "a": ("a + 0", "t.a")},
}
COLLATED = ("e COLLATE C", "e COLLATE default")
# DO UPDATE SET / WHERE: {own} is the alias or the table name, {table} the table as the INSERT names it.
SETS = (
    "c = excluded.c",
    "c = excluded.c",
    "c = c + 1",
    "c = {own}.c + 1",
    "c = t.c + 1",
    "(b, c) = (b, excluded.c)",
    "(b, c) = ({own}.b, excluded.c)",
    '"Host" = "Host"',
    '"Host" = excluded."Host"',
    "c = excluded.c + {own}.c",
    "c = zz",
    "c = (SELECT max(s.b) FROM {table} AS s WHERE s.a = excluded.a)",
    "c = (SELECT max(b) FROM {table} AS s)",
    "c = (SELECT s.v FROM (SELECT 1 AS v) AS s WHERE s.v = a)",
)
UPDATE_WHERES = (None, None, None, "c > 0", "{own}.c > 0", "excluded.c > 0", "t.c > 0", "{own}.c < excluded.c")


@dataclass(frozen=True)
class KeySpec:
    kind: str  # "pk", "unique", "unique_index", "index", "exclusion"
    elements: tuple[str, ...]
    name: str | None = None
    predicate: str | None = None
    deferrable: bool = False
    initially_deferred: bool = False
    nulls_not_distinct: bool = False
    include: tuple[str, ...] = ()
    inline: bool = False  # column-level constraint


@dataclass(frozen=True)
class Clause:
    target: tuple[str, ...] | None
    predicate: str | None = None
    constraint: str | None = None
    update: bool = False
    set_: str = "c = excluded.c"
    update_where: str | None = None


@dataclass(frozen=True)
class Case:
    rowid_alias: bool
    pk: KeySpec | None
    not_null: frozenset[str]
    defaults: frozenset[str]
    keys: tuple[KeySpec, ...]
    inserted: tuple[str, ...] | None
    clauses: tuple[Clause, ...]
    pg_only: bool = field(default=False)
    alias: str | None = None
    qualified: bool = False
    """PostgreSQL only: the table is created in and named as ``public.t``."""
    source: str = "values"
    cte: bool = False
    returning: str | None = None

    # -- rendering ----------------------------------------------------------------------------------------------
    def table_name(self, dialect: str) -> str:
        return "public.t" if self.qualified and dialect == "postgresql" else "t"

    def ddl(self, dialect: str) -> list[str]:
        columns = []
        for name, type_ in TYPES.items():
            if name == "id":
                if self.rowid_alias and dialect == "sqlite":
                    columns.append("id INTEGER PRIMARY KEY")
                    continue
                line = "id integer"
                if self.rowid_alias:  # PostgreSQL has no rowid: the nearest equivalent is an identity PK
                    line = "id integer GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"
                columns.append(line)
                continue
            line = f"{name} {type_}"
            if name in self.not_null:
                line += " NOT NULL"
            if name in self.defaults:
                line += f" DEFAULT {VALUES[name]}"
            inline = [k for k in self.keys if k.inline and k.elements == (name,)]
            for key in inline:
                line += (f" CONSTRAINT {key.name}" if key.name else "") + " UNIQUE"
            columns.append(line)
        if self.pk is not None:
            constraint = f"CONSTRAINT {self.pk.name} " if self.pk.name else ""
            columns.append(f"{constraint}PRIMARY KEY ({', '.join(self.pk.elements)})")
        statements = []
        for key in self.keys:
            if key.inline:
                continue
            if key.kind == "unique":
                text = (f"CONSTRAINT {key.name} " if key.name else "") + "UNIQUE "
                if key.nulls_not_distinct:
                    text += "NULLS NOT DISTINCT "
                text += f"({', '.join(key.elements)})"
                if key.include:
                    text += f" INCLUDE ({', '.join(key.include)})"
                if key.deferrable:
                    text += " DEFERRABLE" + (" INITIALLY DEFERRED" if key.initially_deferred else "")
                columns.append(text)
            elif key.kind == "exclusion":
                body = ", ".join(f"{e} WITH =" for e in key.elements)
                text = (f"CONSTRAINT {key.name} " if key.name else "") + f"EXCLUDE USING btree ({body})"
                if key.deferrable:
                    text += " DEFERRABLE"
                columns.append(text)
            else:
                unique = "UNIQUE " if key.kind == "unique_index" else ""
                elements = ", ".join(_render(e, dialect) for e in key.elements)
                text = f"CREATE {unique}INDEX {key.name} ON {self.table_name(dialect)} ({elements})"
                if key.include:
                    text += f" INCLUDE ({', '.join(key.include)})"
                if key.nulls_not_distinct:
                    text += " NULLS NOT DISTINCT"
                if key.predicate:
                    text += f" WHERE {key.predicate}"
                statements.append(text)
        return [f"CREATE TABLE {self.table_name(dialect)} ({', '.join(columns)})", *statements]

    def statement(self, dialect: str) -> str:
        table = self.table_name(dialect)
        into = f"{table} AS {self.alias}" if self.alias else table
        if self.inserted is None:
            head = f"INSERT INTO {into} DEFAULT VALUES"
        else:
            values = ", ".join(VALUES[c] if dialect == "postgresql" or c != "active" else "1" for c in self.inserted)
            row = f"VALUES ({values})" if self.source == "values" else f"SELECT {values}"
            if self.source in ("select_from", "select_from_where"):
                row += " FROM src" if self.cte else " FROM (SELECT 1 AS v) AS src"
            if self.source == "select_from_where":
                row += " WHERE true"
            head = f"INSERT INTO {into} ({', '.join(self.inserted)}) {row}"
        if self.cte:
            head = f"WITH src AS (SELECT 1 AS v) {head}"
        own = self.alias or "t"
        parts = [head]
        for clause in self.clauses:
            text = "ON CONFLICT"
            if clause.constraint is not None:
                text += f" ON CONSTRAINT {clause.constraint}"
            elif clause.target is not None:
                text += f" ({', '.join(_render(e, dialect) for e in clause.target)})"
                if clause.predicate:
                    text += f" WHERE {clause.predicate}"
            if clause.update:
                text += " DO UPDATE SET " + clause.set_.format(own=own, table=table)
                if clause.update_where:
                    text += " WHERE " + clause.update_where.format(own=own)
            else:
                text += " DO NOTHING"
            parts.append(text)
        if self.returning:
            parts.append(f"RETURNING {self.returning}")
        return " ".join(parts)

    def expressible_on(self, dialect: str) -> bool:
        if dialect == "sqlite":
            return not self.pg_only
        return True


_COMPARISON = re.compile(r"^(\w+) (<|<=|>|>=|=|<>|!=|==) (-?\d+(?:\.\d+)?)$")


def neighbours(predicate: str, dialect: str) -> tuple[str, ...]:
    """Target WHEREs next to an index predicate, where implication and structural matching change their answer:
    the same comparison with every operator and the constant one below, equal and one above; negated; or'ed and
    and'ed with another condition on either side."""
    near = [f"NOT ({predicate})", f"({predicate}) OR c > 0", f"c > 0 OR ({predicate})", f"({predicate}) AND c > 0",
            f"c > 0 AND ({predicate})", f"({predicate})"]
    match = _COMPARISON.match(predicate)
    if match is not None:
        column, _, constant = match.groups()
        ops = ("<", "<=", ">", ">=", "=", "<>", "!=", *(("==",) if dialect == "sqlite" else ()))
        step = Decimal(1)
        value = Decimal(constant)
        near += [f"{column} {op} {value + delta}" for op in ops for delta in (-step, 0, step)]
    return tuple(near)


def _render(element: str, dialect: str) -> str:
    """The engine's spelling of ``COLLATE C`` / ``COLLATE default`` in a key or target element."""
    return re.sub(r"COLLATE (C|default)\b", lambda m: "COLLATE " + COLLATIONS[dialect][m.group(1)], element)


def _key_name(prefix: str, draw: st.DrawFn) -> str:
    return f"{prefix}_{draw(st.integers(min_value=1, max_value=99))}"


def _maybe_include(draw: st.DrawFn, *, pg: bool, elements: tuple[str, ...]) -> tuple[str, ...]:
    return ("c",) if pg and "c" not in elements and draw(st.integers(0, 6)) == 6 else ()


@st.composite
def key_specs(draw: st.DrawFn, *, pg: bool) -> KeySpec:
    kinds = ["unique", "unique_index", "index", "unique", "unique_index"]
    if pg:
        kinds.append("exclusion")
    kind = draw(st.sampled_from(kinds))
    size = draw(st.integers(min_value=1, max_value=2))
    pool = PLAIN_COLUMNS if kind != "unique_index" else (*PLAIN_COLUMNS, *EXPRESSIONS, *EXPRESSIONS, COLLATED[0])
    elements = tuple(draw(st.lists(st.sampled_from(pool), min_size=size, max_size=size, unique=True)))
    if kind == "unique":
        inline = size == 1 and draw(st.booleans())
        named = draw(st.booleans())
        deferrable = pg and draw(st.integers(0, 5)) == 5
        return KeySpec(
            "unique",
            elements,
            name=_key_name("uq", draw) if named else None,
            inline=inline,
            deferrable=deferrable and not inline,
            initially_deferred=deferrable and draw(st.booleans()),
            nulls_not_distinct=pg and not inline and draw(st.integers(0, 6)) == 6,
            include=_maybe_include(draw, pg=pg and not inline, elements=elements),
        )
    if kind == "exclusion":
        return KeySpec("exclusion", elements, name=_key_name("ex", draw), deferrable=draw(st.integers(0, 3)) == 3)
    dialect = "postgresql" if pg else "sqlite"
    predicates = (*INDEX_PREDICATES, *DIALECT_INDEX_PREDICATES[dialect])
    predicate = draw(st.one_of(st.none(), st.sampled_from(predicates))) if kind == "unique_index" else None
    return KeySpec(
        kind,
        elements,
        name=_key_name("ix" if kind == "index" else "ux", draw),
        predicate=predicate,
        include=_maybe_include(draw, pg=pg and kind == "unique_index", elements=elements),
    )


@st.composite
def cases(draw: st.DrawFn, *, dialect: str) -> Case:
    """A schema and one upsert; ``dialect`` limits the draw to what that engine can express."""
    pg = dialect == "postgresql"
    rowid_alias = draw(st.booleans())
    pk: KeySpec | None = None
    if not rowid_alias:
        choice = draw(st.sampled_from(["id", "ab", "none"]))
        if choice == "id":
            pk = KeySpec("pk", ("id",), name=_key_name("pk", draw) if draw(st.booleans()) else None)
        elif choice == "ab":
            pk = KeySpec("pk", ("a", "b"))
    keys = tuple(draw(st.lists(key_specs(pg=pg), max_size=4)))
    names = [k.name for k in keys if k.name]
    if len(set(names)) != len(names):
        keys = tuple(k for i, k in enumerate(keys) if not k.name or k.name not in names[:i])
    not_null = frozenset(draw(st.lists(st.sampled_from(("b", "c", "e")), unique=True, max_size=2)))
    defaults = frozenset(c for c in sorted(not_null) if draw(st.booleans()))  # sorted: no hash-seed order
    all_columns = ("id", *PLAIN_COLUMNS)
    if draw(st.integers(0, 12)) == 12:
        inserted: tuple[str, ...] | None = None
    else:
        omitted = set(draw(st.lists(st.sampled_from(all_columns), unique=True, max_size=2)))
        inserted = tuple(c for c in all_columns if c not in omitted) or ("a",)

    constraint_names = [k.name for k in keys if k.name] + ([pk.name] if pk is not None and pk.name else [])
    target_pool = (*all_columns, *EXPRESSIONS, *COLLATED, "zz", "host")
    target_predicates = (*TARGET_PREDICATES, *DIALECT_TARGET_PREDICATES[dialect])

    def spelled(element: str, draw2: st.DrawFn) -> str:
        """``element``, or another way to write it (a third of the time)."""
        other = (*SPELLINGS.get(element, ()), *DIALECT_SPELLINGS[dialect].get(element, ()))
        return draw2(st.sampled_from(other)) if other and draw2(st.integers(0, 2)) == 2 else element
    all_keys = [*keys, *([pk] if pk is not None else []), *([KeySpec("pk", ("id",))] if rowid_alias else [])]

    @st.composite
    def clause(draw2: st.DrawFn, last: bool) -> Clause:
        modes = ["key", "key", "key", "columns", "columns", "none", "constraint" if pg else "key"]
        mode = draw2(st.sampled_from(modes))
        update = draw2(st.booleans())
        set_ = draw2(st.sampled_from(SETS))
        update_where = draw2(st.sampled_from(UPDATE_WHERES))
        if mode == "key" and all_keys:
            key = draw2(st.sampled_from(all_keys))
            target = tuple(spelled(e, draw2) for e in draw2(st.permutations(key.elements)))
            if draw2(st.integers(0, 5)) == 5:
                target = (*target, target[0])
            if draw2(st.integers(0, 7)) == 7:
                target = (target[0] + draw2(st.sampled_from(ORDERINGS)), *target[1:])
            choice = draw2(st.integers(0, 2))
            if choice == 0 or key.predicate is None:
                predicate = draw2(st.sampled_from((key.predicate, None, *target_predicates)))
            else:
                predicate = key.predicate if choice == 1 else draw2(st.sampled_from(neighbours(key.predicate, dialect)))
            return Clause(target, predicate=predicate, update=update, set_=set_, update_where=update_where)
        if mode == "none" and (last or draw2(st.integers(0, 5)) == 5):
            return Clause(None, update=update and not pg, set_=set_, update_where=update_where)
        if mode == "constraint" and pg:
            pool = [*constraint_names, "t_pkey", "t_a_key", "nope"]
            return Clause(None, constraint=draw2(st.sampled_from(pool)), update=update, set_=set_,
                          update_where=update_where)
        size = draw2(st.integers(min_value=1, max_value=3))
        target = tuple(draw2(st.lists(st.sampled_from(target_pool), min_size=size, max_size=size)))
        predicate = draw2(st.one_of(st.none(), st.none(), st.sampled_from(target_predicates)))
        return Clause(target, predicate=predicate, update=update, set_=set_, update_where=update_where)

    count = 2 if not pg and draw(st.integers(0, 3)) == 3 else 1
    clauses = tuple(draw(clause(last=i == count - 1)) for i in range(count))
    return Case(
        rowid_alias, pk, not_null, defaults, keys, inserted, clauses, pg_only=pg,
        alias=draw(st.sampled_from((None, None, "x"))),
        qualified=pg and draw(st.integers(0, 4)) == 4,
        source=draw(st.sampled_from(SOURCES)),
        cte=draw(st.integers(0, 4)) == 4,
        returning=draw(st.sampled_from(RETURNING)),
    )


SCRIPT_FRAGMENTS = (
    "INSERT INTO t (a, b) VALUES (1, 'x') ON CONFLICT (a) DO UPDATE SET b = excluded.b",
    "insert into t values (1) on conflict do nothing",
    "INSERT OR IGNORE INTO t VALUES (1) ON CONFLICT DO NOTHING",
    "INSERT INTO t VALUES (1)",
    "SELECT 1",
    "CREATE TABLE t (a int PRIMARY KEY, b text UNIQUE ON CONFLICT REPLACE)",
    "'it''s; ON CONFLICT'",
    "E'a\\'; b'",
    "e'x'",
    "somee'y;'",
    "'unclosed",
    '"weird;name"',
    '"open',
    "`a;b`",
    "[my;table]",
    "[a'b;",
    "$$ body; ON CONFLICT $$",
    "$tag$ x; $tag$",
    "$tag$ never closed",
    "$1",
    "$1$a$;",
    "x$$y$$",
    "a$b$ c;",
    "-- comment; ON CONFLICT\n",
    "/* block; */",
    "/* nested /* ; */ still; */",
    "/* unclosed",
    "-",
    "/",
    "\\set x 1\n",
    "\\.\n",
    "COPY t (a, b) FROM stdin;\n1\tit's ON CONFLICT; x\n\\.\n",
    "copy t from stdin;\nno end",
    "CREATE TRIGGER tr AFTER INSERT ON s BEGIN INSERT INTO u VALUES (new.a) ON CONFLICT DO NOTHING; END",
    "CREATE FUNCTION f() RETURNS void BEGIN ATOMIC INSERT INTO w VALUES (1) ON CONFLICT DO NOTHING; END",
    "BEGIN",
    "CASE WHEN 1 THEN 2 END",
    "END",
    "WITH m AS (INSERT INTO t VALUES (1) ON CONFLICT (a) DO NOTHING RETURNING a) SELECT * FROM m",
    "1e'z'",
    "é",
    "insert into t values (1) on conﬂict do nothing",
    "INSERT INTO t VALUES (2) ON CONFL\u0131CT DO NOTHING",
    "bEgIn",
    "(",
    ")",
    "=$$a$$",
    ",",
    ";",
    ";",
    ";\n",
    " ",
    "\n",
    "\t",
)
"""Pieces of SQL text chosen for what they do to a statement splitter: quotes of every kind, ``E''`` strings, dollar
quotes next to words and parameters, nested and unclosed comments, psql commands, COPY data, trigger bodies, and
words that only ``str.upper()`` makes keywords."""
