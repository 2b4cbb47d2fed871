"""Focused cases for the upsert parser and each engine rule, on hand-built Catalogs (rule ids from semantics.md)."""

from __future__ import annotations

import gc
import sqlite3
import weakref

import pytest
from sqlglot import exp

from schema_parity.catalog import Catalog, Column, Dialect, Key, KeyElement, Table, Uncertain
from schema_parity.rules import RULES
from schema_parity.upsert import UpsertParseError, assignment, parse_upsert
from schema_parity.verdicts import TableIndex, Verdict, table_index
from schema_parity.verdicts.dispatch import check


def col(name: str, type_: str = "integer", **kw: object) -> Column:
    return Column(name=name, type=type_, normalized_type=type_, **kw)  # type: ignore[arg-type]


def key(name: str | None, kind: str, *columns: str, **kw: object) -> Key:
    elements = tuple(
        KeyElement(expression=c[1:-1]) if c.startswith("(") else KeyElement(column=c) for c in columns
    )
    return Key(name=name, kind=kind, elements=elements, **kw)  # type: ignore[arg-type]


def table(name: str, columns: tuple[Column, ...], *keys: Key, **kw: object) -> Table:
    return Table(name=name, columns=columns, keys=keys, **kw)  # type: ignore[arg-type]


def both(*tables: Table) -> dict[Dialect, Catalog]:
    return {d: Catalog(dialect=d, tables=tables) for d in ("postgresql", "sqlite")}


T_COLUMNS = (col("id", nullable=False, autoincrement=True), col("a"), col("b"), col("c"), col("email", "text"),
             col("active", "boolean"))


def t_table(*keys: Key, **kw: object) -> Table:
    return table("t", T_COLUMNS, key("t_pkey", "primary_key", "id"), *keys, **kw)


def verdict(sql: str, dialect: Dialect, *tables: Table) -> Verdict:
    return check(sql, Catalog(dialect=dialect, tables=tables), dialect)


def rules(v: Verdict) -> list[str]:
    return [p.rule for p in v.problems]


# -- the seed's bugs ------------------------------------------------------------------------------------------------
HTTP_ERROR_SUMMARY = table(
    "http_error_summary",
    (
        col("id", nullable=False, autoincrement=True),
        col("host", "varchar", nullable=False),
        col("status_code", nullable=False),
        col("error_type", "varchar"),
        col("count", nullable=False, default="0"),
        col("first_seen", "timestamp", nullable=False),
        col("last_seen", "timestamp", nullable=False),
    ),
    key("http_error_summary_pkey", "primary_key", "id"),
)
SEED = (
    "INSERT INTO http_error_summary (host, status_code, error_type, count, last_seen) "
    "VALUES (:host, :status_code, :error_type, 1, :now) "
    "ON CONFLICT (host, status_code) DO UPDATE SET count = http_error_summary.count + 1, last_seen = excluded.last_seen"
)


@pytest.mark.parametrize("dialect", ["postgresql", "sqlite"])
def test_seed_missing_unique_key_is_an_error_with_the_fix(dialect: Dialect) -> None:
    v = verdict(SEED, dialect, HTTP_ERROR_SUMMARY)
    assert v.status == "error"
    missing = next(p for p in v.problems if p.rule == "SP101")
    assert "http_error_summary" in missing.message
    assert "ON CONFLICT (host, status_code)" in missing.message
    keys = {"postgresql": "PRIMARY KEY http_error_summary_pkey (id)", "sqlite": "INTEGER PRIMARY KEY id (the rowid)"}
    assert missing.message.endswith(f"Keys of http_error_summary: {keys[dialect]}."), missing.message
    if dialect == "postgresql":
        assert "42P10" in missing.message
        assert missing.hint == (
            'Add the key in a migration: op.create_unique_constraint("uq_http_error_summary_host_status_code", '
            '"http_error_summary", ["host", "status_code"]).'
        )
    else:
        assert missing.message.startswith("ON CONFLICT clause does not match any PRIMARY KEY or UNIQUE constraint")
        assert 'op.create_index("uq_http_error_summary_host_status_code", "http_error_summary", ["host", ' in (
            missing.hint
        )


@pytest.mark.parametrize("dialect", ["postgresql", "sqlite"])
def test_seed_omits_not_null_first_seen(dialect: Dialect) -> None:
    fixed = table(
        HTTP_ERROR_SUMMARY.name,
        HTTP_ERROR_SUMMARY.columns,
        *HTTP_ERROR_SUMMARY.keys,
        key("uq_http_error_summary_host_status_code", "unique", "host", "status_code"),
    )
    v = verdict(SEED, dialect, fixed)
    assert rules(v) == ["SP301"]
    assert v.arbiters == ("uq_http_error_summary_host_status_code",)
    message = v.problems[0].message
    assert "first_seen" in message and "NOT NULL without a default" in message
    assert "count" not in message.split("leaves out")[1]  # count has a default, id is autoincrement
    assert 'op.alter_column("http_error_summary", "first_seen", server_default=' in v.problems[0].hint


# -- parser ---------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("placeholder", ["?", "%s", "%(a)s", ":a", "$1", "?1"])
@pytest.mark.parametrize("dialect", ["postgresql", "sqlite"])
def test_placeholders_parse_in_both_dialects(placeholder: str, dialect: Dialect) -> None:
    sql = f"INSERT INTO t (a) VALUES ({placeholder}) ON CONFLICT (a) WHERE b > {placeholder} DO NOTHING"
    upsert = parse_upsert(sql, dialect)
    assert upsert.placeholders == 2
    assert upsert.clauses[0].target_where_sql is not None
    assert upsert.clauses[0].target_where_sql == f"b > {placeholder}"


def test_placeholder_lookalikes_are_kept() -> None:
    upsert = parse_upsert("INSERT INTO t (a) VALUES ('%s :x ?') ON CONFLICT ((a::text)) DO NOTHING", "postgresql")
    assert upsert.placeholders == 0


def test_facts_of_a_full_statement() -> None:
    upsert = parse_upsert(
        'INSERT INTO s.T AS x (a, "B") VALUES (1, 2) '
        'ON CONFLICT (a DESC NULLS LAST, lower(email) COLLATE "C" text_pattern_ops) WHERE b NOTNULL DO NOTHING '
        'ON CONFLICT ON CONSTRAINT "K" DO UPDATE SET b = excluded.b WHERE x.b > 1 RETURNING a',
        "sqlite",
    )
    assert (upsert.schema.text, upsert.table.text, upsert.alias.text) == ("s", "T", "x")  # type: ignore[union-attr]
    assert [n.folded() for n in upsert.columns or ()] == ["a", "B"]
    first, second = upsert.clauses
    a, lowered = first.target or ()
    assert (a.order, a.nulls, a.column.text) == ("DESC", "LAST", "a")  # type: ignore[union-attr]
    assert (lowered.collation.text, lowered.collation.quoted, lowered.opclass.text) == (  # type: ignore[union-attr]
        "C", True, "text_pattern_ops")
    assert first.target_where_sql == "b NOTNULL"
    assert second.constraint is not None and second.constraint.quoted and second.ordinal == 2
    assert second.action == "update" and [n.text for n in second.set_columns] == ["b"]
    assert [r.sql("sqlite") for r in upsert.returning] == ["a"]


def test_nulls_and_order_come_from_tokens_not_sqlglot_defaults() -> None:
    upsert = parse_upsert("INSERT INTO t (a) VALUES (1) ON CONFLICT (a) DO NOTHING", "sqlite")
    (element,) = upsert.clauses[0].target or ()
    assert (element.order, element.nulls) == (None, None)


def test_shapes_of_the_source() -> None:
    assert parse_upsert("INSERT INTO t DEFAULT VALUES ON CONFLICT (a) DO NOTHING", "postgresql").source == (
        "default_values")
    assert parse_upsert("REPLACE INTO t (a) VALUES (1)", "sqlite").alternative == "REPLACE INTO"
    assert parse_upsert("INSERT OR IGNORE INTO t (a) VALUES (1)", "sqlite").alternative == "OR IGNORE"
    unterminated = {
        "SELECT x FROM s": True,
        "SELECT x FROM s AS q": True,
        "SELECT x FROM s, r": True,
        "SELECT x FROM s WHERE true": False,
        "SELECT x FROM s ORDER BY x": False,
        "SELECT x FROM s JOIN r USING (x)": False,
        "SELECT 1": False,
    }
    for select, expected in unterminated.items():
        upsert = parse_upsert(f"INSERT INTO t (a) {select} ON CONFLICT (a) DO NOTHING", "sqlite")
        assert upsert.select_from_unterminated is expected, select


def test_upsert_in_data_modifying_cte() -> None:
    upsert = parse_upsert(
        "WITH ins AS (INSERT INTO t (a) VALUES (1) ON CONFLICT (a) DO NOTHING RETURNING a) SELECT * FROM ins",
        "postgresql",
    )
    assert upsert.in_cte and upsert.table.text == "t" and len(upsert.clauses) == 1


def test_empty_target_is_kept_as_empty() -> None:
    assert parse_upsert("INSERT INTO t (a) VALUES (1) ON CONFLICT () DO NOTHING", "sqlite").clauses[0].target == ()


COMPARED = "INSERT INTO t (a, active) VALUES (1, 0) ON CONFLICT (a) DO UPDATE SET active = t.active = 1, b = 2"


@pytest.mark.parametrize("dialect", ["postgresql", "sqlite"])
def test_an_assigned_value_that_is_a_comparison(dialect: Dialect) -> None:
    """``SET active = t.active = 1`` (SQLAlchemy's ``or_(column, false())`` on SQLite) assigns to ``active``; found
    on PrefectHQ/prefect, whose sqlglot read it as the comparison ``(active = t.active) = 1`` (a false SP202)."""
    clause = parse_upsert(COMPARED, dialect).clauses[0]
    assert [n.text for n in clause.set_columns] == ["active", "b"]
    assert [v.sql() for v in clause.set_values] == ["t.active = 1", "2"]


def test_an_assigned_comparison_read_as_one_chain_is_taken_apart_at_its_left_end() -> None:
    # the tree sqlglot 30.12 builds for ``o = t.o = 1``
    chain = exp.EQ(this=exp.EQ(this=exp.column("o"), expression=exp.column("o", table="t")),
                   expression=exp.Literal.number(1))
    column, value = assignment(chain)
    assert column.sql() == "o" and value is not None and value.sql() == "t.o = 1"
    assert chain.sql() == "o = t.o = 1"  # the statement's own tree is left as it was
    longer = exp.EQ(this=chain.copy(), expression=exp.column("c"))
    column, value = assignment(longer)
    assert column.sql() == "o" and value is not None and value.sql() == "t.o = 1 = c"


def test_sqlite_runs_an_assigned_comparison_and_the_verdict_agrees() -> None:
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER UNIQUE, b INTEGER, c INTEGER, email TEXT,"
                 " active BOOLEAN)")
    conn.execute(COMPARED)
    conn.execute(COMPARED)
    assert conn.execute("SELECT a, active, b FROM t").fetchall() == [(1, 0, 2)]
    conn.close()
    assert verdict(COMPARED, "sqlite", t_table(key("t_a_key", "unique", "a"))).status == "ok"


def test_parse_error_locates_the_problem() -> None:
    with pytest.raises(UpsertParseError) as info:
        parse_upsert("INSERT INTO t (a)\nVALUES (1) ON CONFLICT (a) DO SOMETHING", "postgresql")
    assert info.value.line == 2
    with pytest.raises(UpsertParseError, match="not an INSERT"):
        parse_upsert("UPDATE t SET a = 1", "sqlite")
    v = check("SELECT 1", Catalog(dialect="sqlite"), "sqlite")
    assert v.status == "unresolved" and rules(v) == ["SP902"]


# -- PostgreSQL -----------------------------------------------------------------------------------------------------
def pg(sql: str, *tables: Table) -> Verdict:
    return verdict(sql, "postgresql", *tables)


def test_pg_column_set_semantics_and_all_arbiters() -> None:
    t = t_table(key("t_ab_key", "unique", "a", "b"), key("t_ba_uidx", "unique_index", "b", "a"))
    v = pg("INSERT INTO t (id, a, b) VALUES (1, 1, 1) ON CONFLICT (b, a, b) DO NOTHING", t)
    assert v.status == "ok" and v.arbiters == ("t_ab_key", "t_ba_uidx")  # P1, P3, P18
    assert pg("INSERT INTO t (id, a) VALUES (1, 1) ON CONFLICT (a) DO NOTHING", t).status == "error"  # P2


def test_pg_invalid_and_non_unique_indexes_are_skipped() -> None:
    t = t_table(key("t_a_idx", "index", "a"), key("t_a_bad", "unique_index", "a", valid=False))
    assert rules(pg("INSERT INTO t (id, a) VALUES (1, 1) ON CONFLICT (a) DO NOTHING", t)) == ["SP101"]  # P5, P40


def test_pg_include_columns_are_not_keys() -> None:
    t = t_table(Key(name="t_a_key", kind="unique", elements=(KeyElement(column="a"),), include=("b",)))
    assert pg("INSERT INTO t (id, a) VALUES (1, 1) ON CONFLICT (a) DO NOTHING", t).status == "ok"
    assert pg("INSERT INTO t (id, a) VALUES (1, 1) ON CONFLICT (a, b) DO NOTHING", t).status == "error"  # P4


def test_pg_identifier_folding() -> None:
    u = table("u", (col("id"), col("Email", "text")), key("u_Email_key", "unique", "Email"))
    assert pg('INSERT INTO u (id, "Email") VALUES (1, 1) ON CONFLICT ("Email") DO NOTHING', u).status == "ok"
    v = pg('INSERT INTO u (id, "Email") VALUES (1, 1) ON CONFLICT (Email) DO NOTHING', u)
    assert rules(v) == ["SP202"] and 'column "email" does not exist' in v.problems[0].message
    assert "spelled 'Email'" in v.problems[0].hint  # P33
    users = table("Users", (col("id"),))
    v = pg("INSERT INTO Users (id) VALUES (1)", users)
    assert rules(v) == ["SP201"] and "quote it" in v.problems[0].hint


@pytest.mark.parametrize(
    ("target", "ok"),
    [
        ("(lower(email))", True),
        ("(LOWER(email))", True),
        ("((lower(email)))", True),
        ("(lower(email::text))", True),
        ("(upper(email))", False),
        ("(email)", False),
    ],
)
def test_pg_expression_targets(target: str, ok: bool) -> None:
    for email_type, indexed in (("text", "lower(email)"), ("varchar", "lower((email)::text)")):
        u = table("u", (col("id"), col("email", email_type)), key("u_lower", "unique_index", f"({indexed})"))
        v = pg(f"INSERT INTO u (id, email) VALUES (1, 'x') ON CONFLICT {target} DO NOTHING", u)
        assert (v.status == "ok") is ok, (target, email_type, v)  # P12


def test_pg_collation_and_opclass_only_restrict() -> None:
    plain = table("u", (col("id"), col("email", "text")), key("u_email_key", "unique", "email"))
    c_index = table("u", (col("id"), col("email", "text")),
                    Key(name="u_email_c", kind="unique_index", elements=(KeyElement(column="email", collation="C"),)))
    sql = "INSERT INTO u (id, email) VALUES (1, 'x') ON CONFLICT ({}) DO NOTHING"
    assert pg(sql.format('email COLLATE "C"'), plain).status == "error"
    assert pg(sql.format('email COLLATE "default"'), plain).status == "ok"
    assert pg(sql.format('email COLLATE "C"'), c_index).status == "ok"
    assert pg(sql.format("email"), c_index).status == "ok"
    assert pg(sql.format("email text_ops"), plain).status == "ok"
    assert pg(sql.format("email text_pattern_ops"), plain).status == "error"  # P13


PARTIAL_CASES = [
    ("active", "active", True),
    ("active", "active AND b > 0", True),
    ("active", "active = true", True),
    ("active", "active IS TRUE", False),
    ("(b > 0)", "b > 5", True),
    ("(b > 0)", "b > -1", False),
    ("(b > 0)", "b >= 1", True),
    ("(b = 1)", "1 = b", True),
    ("((b = 1) OR (b = 2))", "b = 1", True),
    ("(b = ANY (ARRAY[1, 2]))", "b = 1", True),
    ("(b = ANY (ARRAY[1, 2]))", "b = 3", False),
    ("(b IS NOT NULL)", "NOT (b IS NULL)", True),
    ("(b IS NOT NULL)", "b NOTNULL", True),
    ("(b IS NOT NULL)", "b > 3", True),
    ("(deleted_at IS NULL)", "deleted_at IS NULL", True),
    ("((email)::text = 'x'::text)", "email = 'x'", True),
    ("((email)::text = 'x'::text)", "email = 'y'", False),
    ("(b > 0)", None, False),
]


@pytest.mark.parametrize(("predicate", "where", "ok"), PARTIAL_CASES)
def test_pg_partial_index_implication(predicate: str, where: str | None, ok: bool) -> None:
    columns = (*T_COLUMNS[:4], col("email", "varchar"), col("active", "boolean"), col("deleted_at", "timestamp"))
    t = table("t", columns, key("t_pkey", "primary_key", "id"),
              Key(name="t_a_part", kind="unique_index", elements=(KeyElement(column="a"),), predicate=predicate))
    clause = f" WHERE {where}" if where else ""
    v = pg(f"INSERT INTO t (id, a) VALUES (1, 1) ON CONFLICT (a){clause} DO NOTHING", t)
    assert (v.status == "ok") is ok, v  # P14, P15, P16


def test_pg_where_is_ignored_by_full_index() -> None:
    t = t_table(key("t_a_key", "unique", "a"))
    assert pg("INSERT INTO t (id, a) VALUES (1, 1) ON CONFLICT (a) WHERE b > 0 DO NOTHING", t).status == "ok"  # P17


def test_pg_bind_parameter_in_index_predicate_is_a_warning() -> None:
    t = t_table(Key(name="t_a_b5", kind="unique_index", elements=(KeyElement(column="a"),), predicate="(b > 5)"))
    v = pg("INSERT INTO t (id, a, b) VALUES (%s, %s, 9) ON CONFLICT (a) WHERE b > %s DO NOTHING", t)
    assert v.status == "ok" and rules(v) == ["SP111"] and v.problems[0].severity == "warning"  # P19
    assert "generic plan" in v.problems[0].message and "WHERE (b > 5)" in v.problems[0].hint
    v = pg("INSERT INTO t (id, a, b) VALUES (%s, %s, 9) ON CONFLICT (a) WHERE b < %s DO NOTHING", t)
    assert rules(v) == ["SP101"]  # no value of the parameter can imply b > 5


def test_pg_syntax_rules() -> None:
    t = t_table(key("t_a_key", "unique", "a"), key("t_b_key", "unique", "b"))
    cases = {
        "INSERT INTO t (id, a) VALUES (1, 1) ON CONFLICT (a) DO NOTHING ON CONFLICT (b) DO NOTHING": "SP104",  # P32
        "INSERT INTO t (id, a) VALUES (1, 1) ON CONFLICT () DO NOTHING": "SP104",  # P9
        "INSERT INTO t (id, a) VALUES (1, 1) ON CONFLICT (t.a) DO NOTHING": "SP104",  # P11
        "INSERT INTO t (id, a) VALUES (1, 1) ON CONFLICT ON CONSTRAINT t_a_key WHERE a > 0 DO NOTHING": "SP104",
        "INSERT OR REPLACE INTO t (id, a) VALUES (1, 1)": "SP104",
        "REPLACE INTO t (id, a) VALUES (1, 1)": "SP104",
        "INSERT INTO t (id, a) VALUES (1, 1) ON CONFLICT (a DESC) DO NOTHING": "SP103",  # P8
        "INSERT INTO t (id, a) VALUES (1, 1) ON CONFLICT (a NULLS FIRST) DO NOTHING": "SP103",
        "INSERT INTO t (id, a) VALUES (1, 1) ON CONFLICT DO UPDATE SET a = 1": "SP102",  # P30
        "INSERT INTO t (id, a) VALUES (1, 1) ON CONFLICT ((t.*)) DO NOTHING": "SP106",  # P10
    }
    for sql, code in cases.items():
        assert rules(pg(sql, t)) == [code], sql
    assert pg("INSERT INTO t (id, a) VALUES (1, 1) ON CONFLICT ((t.a)) DO NOTHING", t).status == "ok"


def test_pg_on_constraint() -> None:
    t = t_table(key("UQ_Mixed", "unique", "a"), key("t_b_uidx", "unique_index", "b"),
                other_constraints=("t_c_check",))
    sql = "INSERT INTO t (id, a) VALUES (1, 1) ON CONFLICT ON CONSTRAINT {} DO NOTHING"
    assert pg(sql.format('"UQ_Mixed"'), t).arbiters == ("UQ_Mixed",)
    v = pg(sql.format("UQ_Mixed"), t)
    assert rules(v) == ["SP107"] and 'constraint "uq_mixed"' in v.problems[0].message
    assert 'ON CONSTRAINT "UQ_Mixed"' in v.problems[0].hint  # P24
    v = pg(sql.format("t_b_uidx"), t)
    assert rules(v) == ["SP107"] and "unique index, not a constraint" in v.problems[0].hint  # P21
    assert "ON CONFLICT (b)" in v.problems[0].hint
    assert rules(pg(sql.format("t_c_check"), t)) == ["SP108"]  # P22
    assert rules(pg(sql.format("nope"), t)) == ["SP107"]


def test_pg_exclusion_constraints() -> None:
    r = table("r", (col("id"), col("room")), key("r_pkey", "primary_key", "id"),
              Key(name="r_room_excl", kind="exclusion", elements=(KeyElement(column="room"),), operators=("=",)))
    base = "INSERT INTO r (id, room) VALUES (1, 1) ON CONFLICT "
    assert pg(base + "DO NOTHING", r).arbiters == ("r_pkey", "r_room_excl")
    assert pg(base + "ON CONSTRAINT r_room_excl DO NOTHING", r).status == "ok"
    assert rules(pg(base + "ON CONSTRAINT r_room_excl DO UPDATE SET room = 2", r)) == ["SP109"]
    assert rules(pg(base + "(room) DO NOTHING", r)) == ["SP101"]  # P26


def test_pg_deferrable_arbiters() -> None:
    t = t_table(key("t_a_key", "unique", "a", deferrable=True, initially_deferred=True))
    assert rules(pg("INSERT INTO t (id, a) VALUES (1, 1) ON CONFLICT (a) DO NOTHING", t)) == ["SP110"]  # P27
    assert rules(pg("INSERT INTO t (id, a) VALUES (1, 1) ON CONFLICT DO NOTHING", t)) == ["SP110"]  # P28
    assert pg("INSERT INTO t (id, a) VALUES (1, 1) ON CONFLICT (id) DO UPDATE SET a = 1", t).status == "ok"
    # 55000 when the first row is proposed: the second row's key (SP302) is never reached.
    twice = "INSERT INTO t (id, a) VALUES (1, 1), (2, 1) ON CONFLICT (a) DO UPDATE SET b = 'x'"
    assert rules(pg(twice, t)) == ["SP110"]


def test_pg_names_in_set_and_alias() -> None:
    t = t_table(key("t_a_key", "unique", "a"))
    base = "INSERT INTO t AS x (id, a) VALUES (1, 1) ON CONFLICT (a) DO UPDATE SET "
    assert pg(base + "b = x.b + excluded.b WHERE x.b < 10", t).status == "ok"
    # ON CONSTRAINT is looked up first (42704), then the SET list: a constraint that exists adds nothing.
    assert rules(pg("INSERT INTO t (id) VALUES (1) ON CONFLICT ON CONSTRAINT t_a_key DO UPDATE SET nosuch = 1", t)) == [
        "SP202"]
    v = pg(base + "b = t.b + 1", t)
    assert rules(v) == ["SP203"] and "invalid reference to FROM-clause entry" in v.problems[0].message  # P35
    assert rules(pg(base + "zz = 1", t)) == ["SP202"]
    v = pg(base + "b = excluded.zz", t)
    assert rules(v) == ["SP202"] and "excluded.zz" in v.problems[0].message  # P36
    assert rules(pg(base + "b = (SELECT max(q) FROM other)", t)) == []
    assert rules(pg("INSERT INTO t (id, zz) VALUES (1, 1)", t)) == ["SP202"]


H_COLUMNS = (col("id", nullable=False, autoincrement=True), col("host", "text"), col("count"), col("Mixed"))


def h_table() -> Table:
    return table("h", H_COLUMNS, key("h_pkey", "primary_key", "id"), key("h_host_key", "unique", "host"))


O_TABLE = table("o", (col("q"), col("count")))


@pytest.mark.parametrize(
    ("tail", "ambiguous"),
    [
        ("count = count + 1", "count"),
        ("count = h.count + 1", None),
        ("count = excluded.count + 1", None),
        ("(count, id) = (count + 1, 2)", "count"),
        ("count = coalesce(count, 0)", "count"),
        ("count = 1 WHERE count > 0", "count"),
        ("count = 1 WHERE h.count > excluded.count", None),
        ('count = "Mixed"', "Mixed"),
        ("count = COUNT", "count"),
        ("count = DEFAULT", None),
        ("count = 1 WHERE h IS NOT NULL AND excluded IS NOT NULL", None),  # whole-row references
        ("count = xmin::text::int", None),  # system columns belong to the target only
        ("count = 1 RETURNING count", None),
        ("(count, id) = (SELECT count, 1 FROM o)", None),  # the subquery's own FROM column
        ("(count, id) = (SELECT q, id FROM o)", "id"),  # an outer reference
        ("count = (SELECT max(q) FROM o WHERE o.q = id)", "id"),
        ("count = (SELECT count)", "count"),
        ("count = (SELECT s.q FROM (SELECT count AS q) s)", "count"),
        ("count = (WITH w AS (SELECT 1 AS count) SELECT count FROM w)", None),
        ("count = (SELECT max(q) FROM unknown_table WHERE q = id)", None),  # unknown FROM item: not decided
    ],
)
def test_pg_unqualified_column_in_do_update_is_ambiguous(tail: str, ambiguous: str | None) -> None:
    """Verified on PostgreSQL 15: 42702 at parse analysis; SQLite reads the bare name as the existing row."""
    sql = f"INSERT INTO h (host, count) VALUES ('a', 1) ON CONFLICT (host) DO UPDATE SET {tail}"
    v = pg(sql, h_table(), O_TABLE)
    if ambiguous is None:
        assert v.status == "ok", v
    else:
        assert rules(v) == ["SP205"], v
        assert f'column reference "{ambiguous}" is ambiguous (42702)' in v.problems[0].message
        ref = f'"{ambiguous}"' if ambiguous != ambiguous.lower() else ambiguous
        assert f"h.{ref}" in v.problems[0].hint and f"excluded.{ref}" in v.problems[0].hint
        assert sl(sql, h_table(), O_TABLE).status == "ok"  # SQLite resolves it to the existing row


def test_pg_ambiguity_scope_alias_target_and_unknown_names() -> None:
    base = "INSERT INTO h AS x (host, count) VALUES ('a', 1) ON CONFLICT (host) "
    v = pg(base + "DO UPDATE SET count = count + 1", h_table())
    assert rules(v) == ["SP205"] and "x.count" in v.problems[0].hint
    assert pg(base + "DO UPDATE SET count = x.count + 1", h_table()).status == "ok"
    assert rules(pg(base + "DO UPDATE SET count = zz + 1", h_table())) == ["SP202"]  # 42703, not 42702
    assert rules(pg(base + "DO UPDATE SET count = (SELECT max(zz) FROM o)", h_table(), O_TABLE)) == ["SP202"]
    assert pg(base + "WHERE count > 0 DO UPDATE SET id = 1", h_table()).status == "ok"  # the target WHERE
    assert pg(base + "DO NOTHING RETURNING count", h_table()).status == "ok"
    v = pg("INSERT INTO h AS excluded (host) VALUES ('a') ON CONFLICT (host) DO UPDATE SET count = excluded.count",
           h_table())
    assert rules(v) == ["SP203"] and "42P09" in v.problems[0].message


def test_seed_count_plus_one_is_ambiguous_on_postgresql_only() -> None:
    fixed = table(HTTP_ERROR_SUMMARY.name, HTTP_ERROR_SUMMARY.columns, *HTTP_ERROR_SUMMARY.keys,
                  key("uq_http_error_summary_host_status_code", "unique", "host", "status_code"))
    sql = (
        "INSERT INTO http_error_summary (host, status_code, error_type, count, first_seen, last_seen) "
        "VALUES (:host, :status_code, :error_type, 1, :now, :now) "
        "ON CONFLICT (host, status_code) DO UPDATE SET count = count + 1, last_seen = excluded.last_seen"
    )
    v = pg(sql, fixed)
    assert rules(v) == ["SP205"]
    assert v.problems[0].hint == ("Qualify it: http_error_summary.count for the existing row's value, excluded.count "
                                  "for the value being inserted.")
    assert sl(sql, fixed).status == "ok"


@pytest.mark.parametrize("indexed", ["(a + b)", "a + b", "((a + b))"])
def test_pg_reflected_outer_parens_normalise_like_ddl_text(indexed: str) -> None:
    """pg_get_indexdef keeps the outer parens, DDL replay does not; transform() must normalise below a replacement."""
    t = t_table(key("ux", "unique_index", "c", f"({indexed})"))
    v = pg("INSERT INTO t (id, a, b, c) VALUES (1, 1, 1, 1) ON CONFLICT (c, (a + b)) DO NOTHING", t)
    assert v.status == "ok" and v.arbiters == ("ux",), v


@pytest.mark.parametrize("target", ["(MY_FN(a))", "(my_fn((a)))", "(My_Fn(A))"])
def test_pg_unknown_function_arguments_are_normalised(target: str) -> None:
    """A renamed (lower-cased) function node must still have its arguments normalised by transform()."""
    t = t_table(key("ux", "unique_index", "(my_fn(a))"))
    v = pg(f"INSERT INTO t (id, a) VALUES (1, 1) ON CONFLICT {target} DO NOTHING", t)
    assert v.status == "ok" and v.arbiters == ("ux",), v


def test_pg_rules_views_and_schemas() -> None:
    assert rules(pg("INSERT INTO t (id) VALUES (1) ON CONFLICT (id) DO NOTHING", t_table(has_rules=True))) == ["SP112"]
    view = table("v", (col("id"), col("a")), kind="view")
    assert pg("INSERT INTO v (id, a) VALUES (1, 1) ON CONFLICT (id) DO NOTHING", view).status == "unresolved"
    assert pg("INSERT INTO v (id, a) VALUES (1, 1) ON CONFLICT DO UPDATE SET a = 1", view).status == "error"
    other = Table(name="t", schema="s2", columns=T_COLUMNS, keys=(key("t_a_key", "unique", "a"),))
    assert pg("INSERT INTO s2.t (id, a) VALUES (1, 1) ON CONFLICT (a) DO NOTHING", other).status == "ok"
    assert pg("INSERT INTO t (id, a) VALUES (1, 1) ON CONFLICT (a) DO NOTHING", other).status == "unresolved"


def test_pg_public_is_the_unnamed_default_schema_unless_named() -> None:
    """DDL replay records public as schema None; a catalog that names public explicitly keeps the two apart."""
    sql = "INSERT INTO public.t (id, a) VALUES (1, 1) ON CONFLICT (a) DO NOTHING"
    assert pg(sql, t_table(key("t_a_key", "unique", "a"))).arbiters == ("t_a_key",)
    elsewhere = Table(name="u", schema="public", columns=T_COLUMNS)
    assert pg(sql, t_table(key("t_a_key", "unique", "a")), elsewhere).status == "unresolved"


@pytest.mark.parametrize("dialect", ["postgresql", "sqlite"])
def test_a_verdict_names_its_dialect(dialect: Dialect) -> None:
    """Each status carries the dialect that judged it: the check and --verify key findings and answers by it."""
    judged = [verdict(sql, dialect, t_table()) for sql in (
        "INSERT INTO t (id) VALUES (1) ON CONFLICT (id) DO NOTHING",  # ok
        "INSERT INTO t (id) VALUES (1) ON CONFLICT (a) DO NOTHING",  # error
        "INSERT INTO t (id) VALUES (1) ON CONFLICT (",  # unparsable: unresolved
        "INSERT INTO nowhere (id) VALUES (1) ON CONFLICT (id) DO NOTHING",  # no such table: error
        "INSERT INTO t AS t (id) VALUES (1) ON CONFLICT (t.id) DO NOTHING",  # PostgreSQL's grammar: error
    )]
    qualified = "error" if dialect == "postgresql" else "ok"
    assert [(v.status, v.dialect) for v in judged] == [
        ("ok", dialect), ("error", dialect), ("unresolved", dialect), ("error", dialect), (qualified, dialect)
    ]



@pytest.mark.parametrize("dialect", ["postgresql", "sqlite"])
def test_a_verdict_on_an_uncertain_table_is_unresolved_with_the_note(dialect: Dialect) -> None:
    """A table a schema statement left uncertain gets no firm verdict, ok or error: SP901 with the source's note,
    the table and the dialect; another table of the Catalog keeps its firm verdict."""
    note = "schema.sql:3: not modelled: ALTER TABLE t ..."
    other = table("u", (col("id", nullable=False),), key("u_pkey", "primary_key", "id"))
    catalog = Catalog(dialect=dialect, tables=(t_table(), other), uncertain=(Uncertain("t", None, note),))
    for sql in ("INSERT INTO t (id) VALUES (1) ON CONFLICT (id) DO NOTHING",  # ok without the doubt
                "INSERT INTO t (id) VALUES (1) ON CONFLICT (a) DO NOTHING"):  # SP101 without the doubt
        judged = check(sql, catalog, dialect)
        assert (judged.status, judged.dialect, rules(judged)) == ("unresolved", dialect, ["SP901"])
        assert judged.problems[0].message == (
            f"t: the schema source did not model a statement on it, so its columns and keys may not be what the "
            f"checker knows ({note})")
    firm = check("INSERT INTO u (id) VALUES (1) ON CONFLICT (id) DO NOTHING", catalog, dialect)
    assert (firm.status, firm.dialect) == ("ok", dialect)
    if dialect == "postgresql":  # a quoted name keeps its case: "T" is another table than t, and firm
        upper = table("T", (col("id", nullable=False),), key("T_pkey", "primary_key", "id"))
        both_cases = Catalog(dialect=dialect, tables=(t_table(), upper), uncertain=(Uncertain("t", None, note),))
        assert check('INSERT INTO "T" (id) VALUES (1) ON CONFLICT (id) DO NOTHING', both_cases, dialect).status == "ok"


def test_a_catalogs_table_index_is_built_once_per_dialect_and_dies_with_it() -> None:
    """The tables by folded name are built once per Catalog and dialect (each dialect folds its own way) and
    forgotten when the Catalog is."""
    first, second = Catalog("postgresql", (t_table(),)), Catalog("postgresql", (t_table(),))
    index = table_index(first, "postgresql", str)
    assert table_index(second, "postgresql", str) is not index
    assert table_index(first, "postgresql", str) is index
    folded = table_index(first, "sqlite", str.upper)
    assert folded is not index and list(folded.by_name) == ["T"] and list(index.by_name) == ["t"]
    assert table_index(first, "postgresql", str) is index
    assert first.memo[(TableIndex, "postgresql")] is index and first.memo[(TableIndex, "sqlite")] is folded
    dies = weakref.ref(index)
    del first, index, folded
    gc.collect()
    assert dies() is None
    assert table_index(second, "postgresql", str) is table_index(second, "postgresql", str)

def test_pg_default_values_and_identity() -> None:
    d = table("d", (col("id", nullable=False, identity="by default"), col("a")), key("d_pkey", "primary_key", "id"))
    assert pg("INSERT INTO d DEFAULT VALUES ON CONFLICT (id) DO NOTHING", d).status == "ok"
    strict = table("d", (col("id", nullable=False), col("a", nullable=False)), key("d_pkey", "primary_key", "id"))
    assert rules(pg("INSERT INTO d DEFAULT VALUES ON CONFLICT (id) DO NOTHING", strict)) == ["SP301"]


# -- SQLite ---------------------------------------------------------------------------------------------------------
def sl(sql: str, *tables: Table) -> Verdict:
    return verdict(sql, "sqlite", *tables)


def test_sqlite_rowid_shortcut() -> None:
    t = t_table()
    assert sl("INSERT INTO t (id, a) VALUES (1, 1) ON CONFLICT (id) DO NOTHING", t).status == "ok"
    assert sl("INSERT INTO t (id, a) VALUES (1, 1) ON CONFLICT (ROWID) DO NOTHING", t).status == "ok"  # S6
    w = table("w", (col("k", "text", nullable=False), col("v")), key(None, "primary_key", "k"), without_rowid=True)
    assert sl("INSERT INTO w (k, v) VALUES ('a', 1) ON CONFLICT (k) DO NOTHING", w).status == "ok"
    v = sl("INSERT INTO w (k, v) VALUES ('a', 1) ON CONFLICT (rowid) DO NOTHING", w)
    assert rules(v) == ["SP202"] and v.problems[0].message == "no such column: rowid"


def test_sqlite_key_count_and_ipk_quirk() -> None:
    t = t_table(key("t_a_key", "unique", "a"), key("t_id_a", "unique_index", "id", "a"))
    assert rules(sl("INSERT INTO t (id, a) VALUES (1, 1) ON CONFLICT (a, a) DO NOTHING", t)) == ["SP101"]  # S7
    v = sl("INSERT INTO t (id, a) VALUES (1, 1) ON CONFLICT (id, a) DO NOTHING", t)
    assert rules(v) == ["SP101"]  # S8: the IPK inside a composite index never matches
    int_pk = table("t", (col("id", "integer"), col("a")), key(None, "primary_key", "id"),
                   key("t_id_a", "unique_index", "id", "a"))
    assert sl("INSERT INTO t (id, a) VALUES (1, 1) ON CONFLICT (id, a) DO NOTHING", int_pk).status == "ok"


def test_sqlite_expressions_and_collation() -> None:
    u = table("u", (col("id", autoincrement=True), col("email", "text")),
              key("u_lower", "unique_index", "(lower(email))"), key("u_email", "unique", "email"))
    sql = "INSERT INTO u (id, email) VALUES (1, 'x') ON CONFLICT ({}) DO NOTHING"
    assert sl(sql.format("LOWER(email)"), u).status == "ok"
    assert sl(sql.format("(lower((email)))"), u).status == "ok"
    assert sl(sql.format("lower(CAST(email AS text))"), u).status == "error"  # S9
    assert sl(sql.format("email COLLATE binary"), u).status == "ok"
    assert sl(sql.format("email COLLATE NOCASE"), u).status == "error"  # S10
    nocase = table("u", (col("id", autoincrement=True), col("email", "text", collation="NOCASE")),
                   key(None, "unique", "email"))
    assert sl(sql.format("email"), nocase).status == "ok"
    assert sl(sql.format("email COLLATE nocase"), nocase).status == "ok"
    assert sl(sql.format("lower(email::text)"), u).status == "error"


@pytest.mark.parametrize(
    ("predicate", "where", "ok"),
    [
        ("active", "active", True),
        ("active", "ACTIVE", True),
        ("active", "t.active", True),
        ("active", "(active)", True),
        ("active", "active = 1", False),
        ("active", "active AND b > 0", False),
        ("b = 1", "1 = b", False),
        ("b = 1", "b == 1", True),
        ("b IS NOT NULL", "b NOTNULL", True),
        ("b IS NOT NULL", "b NOT NULL", True),
        ("b IS NOT NULL", "NOT (b IS NULL)", False),
        ("b IN (1, 2)", "b = 1", False),
        ("b > 0", "b > 5", False),
        ("b > 0", None, False),
    ],
)
def test_sqlite_partial_index_is_structural(predicate: str, where: str | None, ok: bool) -> None:
    t = t_table(Key(name="t_a_part", kind="unique_index", elements=(KeyElement(column="a"),), predicate=predicate))
    clause = f" WHERE {where}" if where else ""
    v = sl(f"INSERT INTO t (id, a) VALUES (1, 1) ON CONFLICT (a){clause} DO NOTHING", t)
    assert (v.status == "ok") is ok, v  # S11


def test_sqlite_where_on_full_index_and_rowid_ignore_where() -> None:
    t = t_table(key("t_a_key", "unique", "a"))
    assert sl("INSERT INTO t (id, a) VALUES (1, 1) ON CONFLICT (a) WHERE b > 0 DO NOTHING", t).status == "ok"  # S12
    assert sl("INSERT INTO t (id, a) VALUES (1, 1) ON CONFLICT (id) WHERE active DO NOTHING", t).status == "ok"


def test_sqlite_multiple_clauses_with_ordinals() -> None:
    t = t_table(key("t_a_key", "unique", "a"), key("t_b_key", "unique", "b"))
    base = "INSERT INTO t (id, a, b) VALUES (1, 1, 1) "
    assert sl(base + "ON CONFLICT (a) DO NOTHING ON CONFLICT (b) DO UPDATE SET c = 1", t).status == "ok"
    assert sl(base + "ON CONFLICT (a) DO UPDATE SET c = 1 ON CONFLICT DO NOTHING", t).status == "ok"  # S2
    v = sl(base + "ON CONFLICT (a) DO NOTHING ON CONFLICT (b) DO NOTHING ON CONFLICT (c) DO NOTHING", t)
    assert rules(v) == ["SP101"]
    assert v.problems[0].message.startswith("3rd ON CONFLICT clause does not match any PRIMARY KEY")  # S4
    assert rules(sl(base + "ON CONFLICT DO NOTHING ON CONFLICT (a) DO NOTHING", t)) == ["SP104"]  # S3
    single = sl(base + "ON CONFLICT (c) DO NOTHING", t)
    assert single.problems[0].message.startswith("ON CONFLICT clause does not match")


def test_sqlite_numbers_the_clause_it_names_as_sqlite_does() -> None:
    """SQLite names the clause that matches no key by its ordinal (its printf's ``%r``: 1st to 11th; twelve clauses
    are a parser stack overflow): the message starts with SQLite's own words, asked of SQLite for each count."""
    t = table("t", (col("id", nullable=False), col("a")), key(None, "primary_key", "id"))
    connection = sqlite3.connect(":memory:")
    connection.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER)")
    # twelve clauses overflow SQLite's parser stack; a targetless last clause makes a single failing one the 1st
    for failing, tail in [(n, "") for n in range(1, 12)] + [(n, " ON CONFLICT DO NOTHING") for n in range(1, 11)]:
        sql = ("INSERT INTO t (id, a) VALUES (1, 1) " + "ON CONFLICT (id) DO NOTHING " * (failing - 1)
               + "ON CONFLICT (a) DO NOTHING" + tail)
        with pytest.raises(sqlite3.OperationalError) as refused:
            connection.execute(sql)
        said = str(refused.value)
        assert said.endswith("ON CONFLICT clause does not match any PRIMARY KEY or UNIQUE constraint"), said
        v = sl(sql, t)
        assert rules(v) == ["SP101"] and v.problems[0].message.startswith(said), (failing, said)



def test_a_target_that_matches_no_key_has_one_cause_on_both_engines() -> None:
    """SP101's root cause (the table, the target and its WHERE, folded and with spaces collapsed) is the same for
    both engines' words, so the check reports the finding once."""
    sql = "INSERT INTO T (id) VALUES (1) ON CONFLICT (A,\n  B) WHERE  C >\t0 DO NOTHING"
    causes = {d: [(p.rule, p.cause) for p in verdict(sql, d, t_table()).problems] for d in ("postgresql", "sqlite")}
    assert causes == {d: [("SP101", ("t", "a, b", "c > 0"))] for d in ("postgresql", "sqlite")}

def test_sqlite_syntax_rules() -> None:
    t = t_table(key("t_a_key", "unique", "a"))
    assert rules(sl("INSERT INTO t (id) VALUES (1) ON CONFLICT ON CONSTRAINT t_a_key DO NOTHING", t)) == ["SP104"]
    assert rules(sl("INSERT INTO t DEFAULT VALUES ON CONFLICT (a) DO NOTHING", t)) == ["SP104"]  # S14
    v = sl("INSERT INTO t (id, a) SELECT x, y FROM src ON CONFLICT (a) DO NOTHING", t)
    assert rules(v) == ["SP105"] and "WHERE true" in v.problems[0].hint  # S13
    assert sl("INSERT INTO t (id, a) SELECT x, y FROM src WHERE true ON CONFLICT (a) DO NOTHING", t).status == "ok"
    assert rules(sl("INSERT INTO t (id, a) VALUES (1, 1) ON CONFLICT (a NULLS LAST) DO NOTHING", t)) == ["SP103"]
    later = "INSERT INTO t (id, a) VALUES (1, 1) ON CONFLICT (id) DO NOTHING ON CONFLICT (a NULLS FIRST) DO NOTHING"
    assert sl(later, t).status == "ok"  # only the first clause's NULLS is rejected (found by the differential tests)
    assert sl("INSERT INTO t (id, a) VALUES (1, 1) ON CONFLICT (a DESC) DO NOTHING", t).status == "ok"  # S15
    assert sl("INSERT INTO t AS x (id, a) VALUES (1, 1) ON CONFLICT (x.a) DO NOTHING", t).status == "ok"  # S16
    assert sl("INSERT INTO T (ID, A) VALUES (1, 1) ON CONFLICT (\"A\") DO NOTHING", t).status == "ok"


@pytest.mark.parametrize(
    ("sql", "resolved"),
    [
        ("INSERT INTO t (a, c) VALUES (1, 1) ON CONFLICT (id) DO UPDATE SET c = zz", False),
        ("INSERT INTO t AS x (a, c) VALUES (1, 1) ON CONFLICT (id) DO UPDATE SET c = 1 WHERE t.c > 0", False),
        ("INSERT INTO t (a, c) VALUES (1, 1) ON CONFLICT (rowid) DO UPDATE SET zz = 1", False),
        ("INSERT INTO t (a, c) VALUES (1, 1) ON CONFLICT (a) DO NOTHING ON CONFLICT DO UPDATE SET c = zz", False),
        ("INSERT INTO t (id, a, c) VALUES (1, 1, 1) ON CONFLICT (id) DO UPDATE SET c = zz", True),
        ("INSERT INTO t (rowid, a) VALUES (1, 1) ON CONFLICT (id) DO UPDATE SET c = zz", True),
        ("INSERT INTO t VALUES (1, 1, 1) ON CONFLICT (id) DO UPDATE SET c = zz", True),
        ("INSERT INTO t (id, a, c) VALUES (1, 1, 1) ON CONFLICT (a) DO NOTHING ON CONFLICT DO UPDATE SET c = zz", True),
        ("INSERT INTO t (a, c) VALUES (1, 1) ON CONFLICT (a) DO UPDATE SET c = zz", True),
        ("INSERT INTO t (a, c) VALUES (1, 1) ON CONFLICT DO UPDATE SET c = zz", True),
    ],
)
def test_sqlite_resolves_do_update_only_where_a_check_runs_it(sql: str, resolved: bool) -> None:
    """Verified on SQLite 3.40: no rowid check is generated when the INSERT leaves the rowid out, so a DO UPDATE
    that only the rowid would run is never name-resolved (found by the differential tests)."""
    t = table("t", (col("id", autoincrement=True), col("a"), col("c")), key(None, "primary_key", "id"),
              key(None, "unique", "a"))
    assert sl(sql, t).status == ("error" if resolved else "ok")


def test_sqlite_views_and_virtual_tables() -> None:
    view = table("v", (col("id"), col("a")), kind="view")
    assert rules(sl("INSERT INTO v (id, a) VALUES (1, 1) ON CONFLICT DO NOTHING", view)) == ["SP204"]
    assert sl("INSERT INTO v (id, a) VALUES (1, 1)", view).status == "unresolved"
    fts = table("f", (col("body", "text"),), kind="virtual")
    assert rules(sl("INSERT INTO f (rowid, body) VALUES (1, 'x') ON CONFLICT DO NOTHING", fts)) == ["SP204"]


def test_sqlite_names_and_not_null() -> None:
    t = table("t", (col("id", autoincrement=True), col("a"), col("n", nullable=False)),
              key(None, "primary_key", "id"), key(None, "unique", "a"))
    base = "INSERT INTO t AS x (a, n) VALUES (1, 1) ON CONFLICT (a) DO UPDATE SET "
    assert rules(sl(base + "n = t.n + 1", t)) == ["SP203"]
    assert rules(sl(base + "n = excluded.zz", t)) == ["SP202"]
    assert rules(sl("INSERT INTO t (a) VALUES (1) ON CONFLICT (zz) DO NOTHING", t)) == ["SP202", "SP301"]
    assert rules(sl("INSERT OR IGNORE INTO t (a) VALUES (1)", t)) == []  # OR IGNORE skips the row (S20)
    assert rules(sl("INSERT OR REPLACE INTO t (a) VALUES (1)", t)) == ["SP301"]


# -- registry and speed ---------------------------------------------------------------------------------------------
def test_rule_codes_are_grouped_and_unique() -> None:
    for code, rule in RULES.items():
        assert code == rule.code and code[2] in "123569", code  # the families of docs/rules.md
    assert len({r.name for r in RULES.values()}) == len(RULES)
