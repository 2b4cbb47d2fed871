"""Rows that kill mutants of SQLite's verdict engine (``schema_parity/verdicts/sqlite.py``), decided live.

Each row here kills a change to the checker that survived every other test when ``mutmut run`` made it
(docs/development.md, "Mutation testing") and that would change a verdict. A row is a schema and one statement; the
expected answer is never written here: SQLite gives it (an in-memory database: ``EXPLAIN`` prepares the statement,
its program names the arbiters, then it runs in a savepoint that is rolled back), and the checker must agree on the
Catalog reflected from the engine and on the Catalog the DDL replay builds (tests/engines.py: ``disagreement``).
"""

from __future__ import annotations

import re

import pytest

from schema_parity.sources.ddl import catalog_from_ddl
from schema_parity.verdicts.dispatch import check
from tests.engines import disagreement, key_label, sqlite_scratch
from tests.refused_syntax import REFUSED_BY_BOTH

TABLE = "CREATE TABLE t (id INTEGER, a INTEGER, b TEXT, c INTEGER)"


def unique(elements: str, where: str | None = None) -> tuple[str, ...]:
    """The table with one unique index on ``elements`` (partial when ``where`` is given)."""
    return (TABLE, f"CREATE UNIQUE INDEX ux ON t ({elements}){f' WHERE {where}' if where else ''}")


def upsert(target: str, where: str | None = None) -> str:
    return f"INSERT INTO t AS t (id) VALUES (1) ON CONFLICT ({target}){f' WHERE {where}' if where else ''} DO NOTHING"


READS = (*unique("id"), "CREATE TABLE s (x INTEGER)")
"""The table keyed by ``id``, and a table a DO UPDATE subquery reads (``s`` has none of ``t``'s columns)."""


NULL_DEFAULTS = (
    "CREATE TABLE n (id INTEGER PRIMARY KEY, a INTEGER NOT NULL DEFAULT NULL, b INTEGER NOT NULL DEFAULT (NULL), "
    "c INTEGER NOT NULL DEFAULT (CAST(((NULL)) AS INTEGER)), h TEXT NOT NULL DEFAULT 'null', "
    "m INTEGER NOT NULL ON CONFLICT REPLACE DEFAULT NULL, p INTEGER NOT NULL DEFAULT (+NULL))",
)
"""NOT NULL columns whose DEFAULT is the NULL constant, written four ways (a unary plus is no operation), one whose
NOT NULL replaces by that default, and a default that is the text 'null'."""


NULL_EXPRESSIONS = (
    "CREATE TABLE m (id INTEGER PRIMARY KEY, a INTEGER NOT NULL DEFAULT -NULL, b INTEGER NOT NULL DEFAULT (NULL + 1), "
    "c TEXT NOT NULL DEFAULT (NULL || 'x'), e INTEGER NOT NULL DEFAULT (NULL = 1), f INTEGER NOT NULL DEFAULT "
    "(coalesce(NULL, 1)), h INTEGER NOT NULL DEFAULT (abs(NULL)), i INTEGER NOT NULL DEFAULT (NULL / 0), "
    "q INTEGER NOT NULL ON CONFLICT REPLACE DEFAULT (NULL + 1), p INTEGER DEFAULT (NULL + 1))",
)
"""NOT NULL columns whose DEFAULT is an expression of NULL: a strict operator's (NULL on both engines), or a
function's, which the checker does not evaluate."""


def leaving_out_of_m(column: str) -> str:
    """An upsert into ``m`` of every column but ``column``."""
    values = {"id": "1", "a": "1", "b": "1", "c": "'x'", "e": "1", "f": "1", "h": "1", "i": "1", "q": "1", "p": "1"}
    del values[column]
    return f"INSERT INTO m ({', '.join(values)}) VALUES ({', '.join(values.values())}) ON CONFLICT (id) DO NOTHING"


def leaving_out(column: str) -> str:
    """An upsert into ``n`` of every column but ``column``."""
    values = {"id": "1", "a": "1", "b": "1", "c": "1", "h": "'x'", "m": "1", "p": "1"}
    del values[column]
    return f"INSERT INTO n ({', '.join(values)}) VALUES ({', '.join(values.values())}) ON CONFLICT (id) DO NOTHING"


def clauses(nothing: int, update: int = 0) -> str:
    """An upsert with ``update`` clauses of DO UPDATE, then ``nothing`` of DO NOTHING, then a target-less one."""
    return ("INSERT INTO t AS t (id) VALUES (1)" + " ON CONFLICT (id) DO UPDATE SET c = 1" * update
            + " ON CONFLICT (id) DO NOTHING" * nothing + " ON CONFLICT DO NOTHING")


def update(value: str) -> str:
    """An upsert whose DO UPDATE sets ``c`` to ``value``, on the table keyed by ``id``."""
    return f"INSERT INTO t AS t (id) VALUES (1) ON CONFLICT (id) DO UPDATE SET c = {value}"


ROWS: dict[str, tuple[tuple[str, ...], str]] = {
    # _Parser.in_list: an IN list in the index WHERE and the target's.
    "IN list": (unique("id", "a IN (1, 2)"), upsert("id", "a IN (1, 2)")),
    # _Parser.infix: SQLite's precedence (parse.y: OR, AND, NOT, = IS IN LIKE BETWEEN, < >, ESCAPE, & | << >>, + -,
    # * / %, || -> ->>, COLLATE): an index expression matches a target only where the trees are the same, so each
    # row writes one grouping in the index and the other with parentheses in the target.
    "AND binds tighter than OR": (unique("(a = 1 OR c = 1 AND id = 1)"), upsert("((a = 1 OR c = 1) AND id = 1)")),
    "NOT binds tighter than AND": (unique("(NOT a = 1 AND c = 1)"), upsert("(NOT (a = 1 AND c = 1))")),
    "< binds tighter than =": (unique("(a = c < 1)"), upsert("((a = c) < 1)")),
    "< binds tighter than =, written": (unique("(a = c < 1)"), upsert("(a = (c < 1))")),
    "< binds tighter than LIKE": (unique("(b LIKE b < 1)"), upsert("((b LIKE b) < 1)")),
    "< binds tighter than LIKE, written": (unique("(b LIKE b < 1)"), upsert("(b LIKE (b < 1))")),
    "< binds tighter than IS": (unique("(a IS c < 1)"), upsert("((a IS c) < 1)")),
    "< binds tighter than IS, written": (unique("(a IS c < 1)"), upsert("(a IS (c < 1))")),
    "IS left differs": (unique("(a IS 1)"), upsert("(c IS 1)")),
    "& and + apart": (unique("(a & c + 1)"), upsert("((a & c) + 1)")),
    "& in the same tree": (unique("(a & c)"), upsert("(a & c)")),
    "* binds tighter than +": (unique("(a + c * 2)"), upsert("((a + c) * 2)")),
    "* in the same tree": (unique("(a * c)"), upsert("(a * c)")),
    "|| binds tighter than *": (unique("(a * c || 'x')"), upsert("((a * c) || 'x')")),
    "|| in the same tree": (unique("(b || 'x')"), upsert("(b || 'x')")),
    "an empty IN list": (unique("(a IN ())"), upsert("(a IN ())")),
    "- is left-associative": (unique("(a - c - 1)"), upsert("(a - (c - 1))")),
    "= and IS are left-associative": (unique("(a = c IS NULL)"), upsert("(a = (c IS NULL))")),
    "unary minus binds tighter than COLLATE": (
        unique("(-b COLLATE NOCASE = 'x')"), upsert("(-(b COLLATE NOCASE) = 'x')")),
    "COLLATE binds tighter than ||": (
        unique("(b || c COLLATE NOCASE = 'x')"), upsert("((b || c) COLLATE NOCASE = 'x')")),
    # _Analysis._resolve: every operand of IN, BETWEEN and LIKE is resolved (an unresolved one would make two
    # expressions on different columns compare equal, or let an unknown name pass), and the operator is kept.
    "IN operand differs": (unique("(a IN (1, 2))"), upsert("(c IN (1, 2))")),
    "IN operand unknown": (unique("id"), upsert("id", "zz IN (1, 2)")),
    "IN item differs": (unique("(a IN (1, c))"), upsert("(a IN (1, id))")),
    "BETWEEN operand differs": (unique("(a BETWEEN 1 AND 2)"), upsert("(c BETWEEN 1 AND 2)")),
    "BETWEEN low differs": (unique("(a BETWEEN c AND 2)"), upsert("(a BETWEEN id AND 2)")),
    "BETWEEN high differs": (unique("(a BETWEEN 1 AND c)"), upsert("(a BETWEEN 1 AND id)")),
    "BETWEEN matches": (unique("(a BETWEEN c AND id)"), upsert("(A BETWEEN C AND ID)")),
    "LIKE left differs": (unique("(b LIKE 'x%')"), upsert("(c LIKE 'x%')")),
    "LIKE right differs": (unique("(b LIKE b)"), upsert("(b LIKE c)")),
    "LIKE escape differs": (unique("(b LIKE 'x' ESCAPE '!')"), upsert("(b LIKE 'x' ESCAPE '#')")),
    "LIKE vs GLOB": (unique("(b LIKE 'x')"), upsert("(b GLOB 'x')")),
    "LIKE matches": (unique("(b LIKE 'x%' ESCAPE '!')"), upsert("(B like 'x%' escape '!')")),
    "row value differs": (unique("((a, c) = (1, 2))"), upsert("((a, id) = (1, 2))")),
    "CAST operand differs": (unique("CAST(a AS TEXT)"), upsert("CAST(c AS TEXT)")),
    "CAST matches": (unique("CAST(a AS TEXT)"), upsert("cast(A as TEXT)")),
    # _Analysis._resolve: a name qualified by another table is SP203 (no such column: x.a), not SP202.
    "target qualified by another table": (unique("a"), upsert("x.a")),
    "target WHERE qualified by another table": (unique("a"), upsert("a", "x.a > 0")),
    # _Analysis._clause: the rowid as an arbiter of a table without a PRIMARY KEY, named by the target or checked
    # because the INSERT supplies it; _Analysis._is_rowid_key: a UNIQUE index on the INTEGER PRIMARY KEY is an index.
    "rowid supplied, no target, no PRIMARY KEY": (
        unique("a"), "INSERT INTO t AS t (rowid, a) VALUES (1, 1) ON CONFLICT DO NOTHING"),
    "rowid target, no PRIMARY KEY": (
        unique("a"), "INSERT INTO t AS t (rowid, a) VALUES (1, 1) ON CONFLICT (rowid) DO NOTHING"),
    "UNIQUE index on the INTEGER PRIMARY KEY": (
        ("CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER)", "CREATE UNIQUE INDEX ux ON t (id)"),
        "INSERT INTO t AS t (id, a) VALUES (1, 1) ON CONFLICT DO NOTHING",
    ),
    # _Analysis._index_matches: an index expression that carries its own COLLATE is compared as it is, not wrapped
    # in the column's collation (sqlite3UpsertAnalyzeTarget wraps only an expression without one).
    "expression with COLLATE, same": (unique("lower(b) COLLATE NOCASE"), upsert("lower(b) COLLATE NOCASE")),
    "expression with COLLATE, none in target": (unique("lower(b) COLLATE NOCASE"), upsert("lower(b)")),
    "expression with COLLATE, other in target": (unique("lower(b) COLLATE NOCASE"), upsert("lower(b) COLLATE RTRIM")),
    # _grammar, upsert._default_in_values: DEFAULT inside an expression of a VALUES item is SQLite's syntax error
    # (sqlglot reads no DEFAULT first in an expression).
    "DEFAULT first in an expression of a VALUES item": (
        READS, "INSERT INTO t AS t (zz) VALUES (1), (DEFAULT + 1) ON CONFLICT (id) DO NOTHING"),
    # _Analysis._values_calls: the VALUES rows are resolved before the conflict target, after the column list; an
    # aggregate or window function there is a misuse (a VALUES of several rows: 'misuse of aggregate: sum()').
    "VALUES: count(*)": (READS, "INSERT INTO t AS t (id) VALUES (count(*)) ON CONFLICT (id) DO NOTHING"),
    "VALUES: max() of one argument": (READS, "INSERT INTO t AS t (id) VALUES (max(1)) ON CONFLICT (id) DO NOTHING"),
    "VALUES: max() of two arguments": (READS, "INSERT INTO t AS t (id) VALUES (max(1, 2)) ON CONFLICT (id) DO NOTHING"),
    "VALUES: row_number()": (READS, "INSERT INTO t AS t (id) VALUES (row_number()) ON CONFLICT (id) DO NOTHING"),
    "VALUES: an aggregate in a built-in's argument": (
        READS, "INSERT INTO t AS t (id) VALUES (abs(count(*))) ON CONFLICT (id) DO NOTHING"),
    "VALUES: an aggregate after TRUE": (
        READS, "INSERT INTO t AS t (id) VALUES (true + count(*)) ON CONFLICT DO NOTHING"),
    "VALUES: an aggregate, then an unknown column": (
        READS, "INSERT INTO t AS t (id) VALUES (count(*) + zz) ON CONFLICT (id) DO NOTHING"),
    "VALUES: an aggregate in the second row": (
        READS, "INSERT INTO t AS t (id) VALUES (1), (sum(2)) ON CONFLICT (id) DO NOTHING"),
    "VALUES: an aggregate in the first of two rows": (
        READS, "INSERT INTO t AS t (id) VALUES (sum(2)), (1) ON CONFLICT (id) DO NOTHING"),
    "VALUES: an aggregate before an unknown target column": (
        READS, "INSERT INTO t AS t (id) VALUES (count(*)) ON CONFLICT (zz) DO NOTHING"),
    "VALUES: an aggregate of a second row before an unknown target column": (
        READS, "INSERT INTO t AS t (id) VALUES (1), (sum(2)) ON CONFLICT (zz) DO NOTHING"),
    "VALUES: an unknown name": (READS, "INSERT INTO t AS t (id) VALUES (a) ON CONFLICT (id) DO NOTHING"),
    "VALUES: the rowid": (READS, "INSERT INTO t AS t (id) VALUES (rowid) ON CONFLICT (id) DO NOTHING"),
    "VALUES: TRUE": (READS, "INSERT INTO t AS t (id) VALUES (true) ON CONFLICT (id) DO NOTHING"),
    "VALUES: CURRENT_TIMESTAMP": (
        READS, "INSERT INTO t AS t (id, b) VALUES (1, CURRENT_TIMESTAMP) ON CONFLICT (id) DO NOTHING"),
    "VALUES: current_date || current_time": (
        READS, "INSERT INTO t AS t (id, b) VALUES (1, current_date || current_time) ON CONFLICT (id) DO NOTHING"),
    "VALUES: oid": (READS, "INSERT INTO t AS t (id, b) VALUES (1, oid) ON CONFLICT (id) DO NOTHING"),
    "VALUES: a double-quoted string": (READS, 'INSERT INTO t AS t (id) VALUES ("zz") ON CONFLICT (id) DO NOTHING'),
    "VALUES: IS TRUE": (READS, "INSERT INTO t AS t (id) VALUES (1 IS true) ON CONFLICT (id) DO NOTHING"),
    "VALUES: IS NULL of an unknown name": (
        READS, "INSERT INTO t AS t (id) VALUES (zz IS NULL) ON CONFLICT (id) DO NOTHING"),
    "VALUES: an unknown name, then an aggregate": (
        READS, "INSERT INTO t AS t (id) VALUES (zz + count(*)) ON CONFLICT (id) DO NOTHING"),
    "VALUES: an unknown name in an argument, then an aggregate": (
        READS, "INSERT INTO t AS t (id) VALUES (abs(zz) + count(*)) ON CONFLICT (id) DO NOTHING"),
    "VALUES: an unknown name before an unknown target column": (
        READS, "INSERT INTO t AS t (id) VALUES (1), (zz) ON CONFLICT (zz) DO NOTHING"),
    # several rows are SELECTs resolved last row first; an aggregate there is refused when coded, after all rows
    "VALUES: the last row's unknown name before the first's": (
        READS, "INSERT INTO t AS t (id) VALUES (yy), (zz) ON CONFLICT (id) DO NOTHING"),
    "VALUES: an unknown name of the last row before an aggregate of the first": (
        READS, "INSERT INTO t AS t (id) VALUES (count(*)), (zz) ON CONFLICT (id) DO NOTHING"),
    "VALUES: an unknown name of the first row before an aggregate of the last": (
        READS, "INSERT INTO t AS t (id) VALUES (zz), (count(*)) ON CONFLICT (id) DO NOTHING"),
    "VALUES: an unknown name after an aggregate in one of several rows": (
        READS, "INSERT INTO t AS t (id) VALUES (sum(2) + zz), (1) ON CONFLICT (id) DO NOTHING"),
    "VALUES: an unknown name of the last row before a window function of the first": (
        READS, "INSERT INTO t AS t (id) VALUES (row_number()), (zz) ON CONFLICT (id) DO NOTHING"),
    "VALUES: a window function of the last row before an unknown name of the first": (
        READS, "INSERT INTO t AS t (id) VALUES (zz), (row_number()) ON CONFLICT (id) DO NOTHING"),
    "VALUES: aggregates in two rows": (
        READS, "INSERT INTO t AS t (id) VALUES (count(*)), (sum(1)) ON CONFLICT (id) DO NOTHING"),
    "VALUES: an unknown column of the column list before an aggregate": (
        READS, "INSERT INTO t AS t (zz) VALUES (count(*)) ON CONFLICT (id) DO NOTHING"),
    "VALUES: a row count before an aggregate": (
        READS, "INSERT INTO t AS t (id, a) VALUES (1, 2), (sum(2)) ON CONFLICT (id) DO NOTHING"),
    "VALUES: an aggregate in a subquery": (
        READS, "INSERT INTO t AS t (id) VALUES ((SELECT count(*) FROM s)) ON CONFLICT (id) DO NOTHING"),
    "VALUES: an aggregate in a subquery, plus one": (
        READS, "INSERT INTO t AS t (id) VALUES ((SELECT max(x) FROM s) + 1) ON CONFLICT (id) DO NOTHING"),
    "VALUES: built-in scalars": (
        READS, "INSERT INTO t AS t (id, b) VALUES (abs(-1) + length('x'), coalesce(NULL, 'y')) ON CONFLICT DO NOTHING"),
    "VALUES: a built-in in CASE": (
        READS, "INSERT INTO t AS t (id) VALUES (CASE WHEN 1 THEN abs(1) END) ON CONFLICT (id) DO NOTHING"),
    "VALUES: built-ins, then an aggregate in DO UPDATE": (
        READS, "INSERT INTO t AS t (id) VALUES (abs(-1)) ON CONFLICT (id) DO UPDATE SET c = count(*)"),
    # _Analysis._written_call: a call sqlglot reads into a class of its own is judged by the name it was written with.
    "DO UPDATE: group_concat() is an aggregate": (READS, update("group_concat(t.b)")),
    "DO UPDATE: group_concat() among built-in scalars": (
        READS, update("last_insert_rowid() + random() + min(t.a, 1) + max(1, 2, 3) + group_concat(t.b, ',')")),
    "DO UPDATE: max() of two arguments": (READS, update("max(t.a, 1)")),
    "DO UPDATE: hex() of one argument": (READS, update("hex(t.a)")),
    "DO UPDATE: built-in scalars sqlglot reads into classes": (
        READS, update("round(t.a) + trim(t.b) + instr(t.b, 'x') + nullif(t.a, 1) + typeof(t.a) + unicode(t.b) "
                      "+ char(65) + printf('%d', 1) + replace(t.b, 'a', 'b') + ifnull(t.a, 1) + iif(t.a, 1, 2)")),
    "DO UPDATE: date and JSON built-ins": (
        READS, update("strftime('%s', 'now') + julianday('now') + date('now') + json_extract(t.b, '$.a') "
                      "+ json_array(1) + substr(t.b, 1, 2) + length(t.b) + upper(t.b) + rtrim(t.b, 'x')")),
    "DO UPDATE: CASE": (READS, update("CASE WHEN t.a > 0 THEN 1 END")),
    "DO UPDATE subquery: an aggregate of one argument and group_concat()": (
        READS, update("(SELECT count(*) + max(x) + length(group_concat(x, ',')) FROM s)")),
    "DO UPDATE subquery: max() of two arguments": (READS, update("(SELECT max(x, 1) FROM s)")),
    # _Analysis._update_names: a bare name in a DO UPDATE subquery (a VALUES row included) is resolved in the FROM
    # items of each enclosing SELECT, then in the DO UPDATE's table; a double-quoted name no column has is a string.
    "subquery: VALUES row with an unknown name": (READS, update("(SELECT column1 FROM (VALUES (zz)))")),
    "subquery: VALUES with an unknown name": (READS, update("(VALUES (zz))")),
    "subquery: second VALUES row with an unknown name": (
        READS, update("(SELECT max(column1) FROM (VALUES (1), (zz)))")),
    "subquery: VALUES beside a table": (READS, update("(SELECT max(x) FROM s, (VALUES (zz)))")),
    "subquery: VALUES in a compound SELECT": (READS, update("(SELECT 1 UNION VALUES (zz))")),
    "subquery: VALUES in a CTE": (READS, update("(WITH w AS (VALUES (zz)) SELECT * FROM w)")),
    "subquery: VALUES in IN": (READS, update("a IN (VALUES (zz))")),
    "subquery: without FROM": (READS, update("(SELECT zz)")),
    "subquery: the DO UPDATE's column": (READS, update("(SELECT a)")),
    "subquery: the FROM table's column": (READS, update("(SELECT max(x) FROM s)")),
    "subquery: WHERE with an unknown name": (READS, update("(SELECT max(x) FROM s WHERE x = zz)")),
    "subquery: WHERE with the DO UPDATE's column": (READS, update("(SELECT max(x) FROM s WHERE x = a)")),
    "subquery: a result alias in WHERE": (READS, update("(SELECT x AS q FROM s WHERE q = 1)")),
    "subquery: a derived table does not see the FROM beside it": (
        READS, update("(SELECT max(y) FROM s, (SELECT x AS y))")),
    "subquery: a derived table's column": (READS, update("(SELECT max(y) FROM (SELECT x AS Y FROM s))")),
    "subquery: a derived table without the column": (READS, update("(SELECT max(y) FROM (SELECT x FROM s))")),
    "subquery: a CTE's column list": (READS, update("(WITH w(y) AS (SELECT x FROM s) SELECT max(y) FROM w)")),
    "subquery: a CTE without the column": (READS, update("(WITH w AS (SELECT 1 AS x) SELECT max(y) FROM w)")),
    "subquery: a CTE hides the table of its name": (READS, update("(WITH s AS (SELECT 1 AS q) SELECT max(x) FROM s)")),
    "subquery: a schema-qualified table is not the CTE": (
        READS, update("(WITH s AS (SELECT 1 AS q) SELECT max(x) FROM main.s)")),
    "subquery: an alias is not a column": (READS, update("(SELECT count(q) FROM s AS q)")),
    "subquery: a joined derived table's column": (
        READS, update("(SELECT max(y) FROM s JOIN (SELECT 1 AS y) AS d ON y = x)")),
    "subquery: ORDER BY a result alias": (READS, update("(SELECT x AS q FROM s ORDER BY q LIMIT 1)")),
    "subquery: names are case-insensitive": (READS, update("(SELECT max(X) FROM S)")),
    "subquery: the rowid of the FROM table": (READS, update("(SELECT max(rowid) FROM s)")),
    "subquery: second branch of a compound SELECT": (READS, update("(SELECT x FROM s UNION SELECT zz)")),
    "subquery: nested IN": (READS, update("(SELECT 1 FROM s WHERE x IN (SELECT zz))")),
    "subquery: a double-quoted unknown name is a string": (READS, update('(SELECT "zz")')),
    "subquery: a bracket-quoted unknown name is a name": (READS, update("(SELECT [zz])")),
    "a double-quoted unknown name is a string": (READS, update('"zz"')),
    "a backquoted unknown name is a name": (READS, update("`zz`")),
    "an unknown name after a double-quoted string": (READS, update('"zz" || yy')),
    "a bracket-quoted unknown name in the second clause": (
        (*READS, "CREATE UNIQUE INDEX ua ON t (a)"),
        "INSERT INTO t AS t (id) VALUES (1) ON CONFLICT (a) DO NOTHING ON CONFLICT (id) DO UPDATE SET c = [zz]"),
    "a double-quoted unknown name in the second clause": (
        (*READS, "CREATE UNIQUE INDEX ua ON t (a)"),
        'INSERT INTO t AS t (id) VALUES (1) ON CONFLICT (a) DO NOTHING ON CONFLICT (id) DO UPDATE SET c = "zz"'),
    # _Analysis._update_names: the SET columns, qualified names (the table, its alias, excluded, another table) and
    # the rowid, outside subqueries.
    "DO UPDATE: SET an unknown column": (
        READS, "INSERT INTO t AS t (id) VALUES (1) ON CONFLICT (id) DO UPDATE SET zz = 1"),
    "DO UPDATE: a bare column": (READS, update("a + 1")),
    "DO UPDATE: the table's and excluded's columns": (READS, update("T.a + EXCLUDED.a")),
    "DO UPDATE: another table's qualifier": (READS, update("x.a")),
    "DO UPDATE: excluded's unknown column": (READS, update("excluded.zz")),
    "DO UPDATE: the rowid": (READS, update("rowid + excluded.oid")),
    "DO UPDATE: WHERE with an unknown name": (READS, update("1 WHERE zz")),
    "DO UPDATE: a star before an unknown name": (READS, update("coalesce((SELECT s.* FROM s LIMIT 1), (SELECT zz))")),
    # _Analysis._item_columns, _output_names: a FROM item the Catalog does not hold (SQLite's own schema table), a
    # derived table's bare columns, a derived compound SELECT.
    "subquery: a schema table the Catalog does not hold": (READS, update("(SELECT max(name) FROM sqlite_master)")),
    "subquery: a derived compound SELECT without the name": (
        READS, update("(SELECT max(zz) FROM (SELECT 1 AS x UNION SELECT 2))")),
    "subquery: a derived table's bare column": (READS, update("(SELECT max(x) FROM (SELECT x FROM s))")),
    "subquery: a derived table's qualified star": (READS, update("(SELECT max(x) FROM (SELECT s.* FROM s))")),
    # _Analysis._generated_updates: only the DO UPDATE clauses a constraint check runs have their names resolved: the
    # trailing clause without target for the constraints no other clause claimed; the rowid's check only when the
    # INSERT supplies the rowid.
    "DO UPDATE without target handles the unclaimed index": (
        (*READS, "CREATE UNIQUE INDEX ua ON t (a)"),
        "INSERT INTO t AS t (id, a) VALUES (1, 1) ON CONFLICT (a) DO NOTHING ON CONFLICT DO UPDATE SET c = zz"),
    "DO UPDATE of an index another clause claimed first is never run": (
        (*READS, "CREATE UNIQUE INDEX ua ON t (a)"),
        "INSERT INTO t AS t (id, a) VALUES (1, 1) ON CONFLICT (a) DO NOTHING ON CONFLICT (a) DO UPDATE SET c = zz"),
    "DO UPDATE of the rowid the INSERT supplies": (
        ("CREATE TABLE r (id INTEGER PRIMARY KEY, c INTEGER)",),
        "INSERT INTO r (id) VALUES (1) ON CONFLICT (id) DO UPDATE SET c = zz"),
    "DO UPDATE of the rowid the INSERT leaves out": (
        ("CREATE TABLE r (id INTEGER PRIMARY KEY, c INTEGER)",),
        "INSERT INTO r (c) VALUES (1) ON CONFLICT (id) DO UPDATE SET c = zz"),
    # _Analysis._rowid_supplied: the rowid is supplied by the INTEGER PRIMARY KEY of an INSERT without a column list,
    # never by a table without one.
    "rowid supplied without a column list": (
        ("CREATE TABLE r (id INTEGER PRIMARY KEY, c INTEGER)",),
        "INSERT INTO r VALUES (1, 1) ON CONFLICT (id) DO UPDATE SET c = zz"),
    "no rowid supplied without an INTEGER PRIMARY KEY": (
        ("CREATE TABLE r (a INTEGER UNIQUE, c INTEGER)",),
        "INSERT INTO r VALUES (1, 1) ON CONFLICT (a) DO NOTHING ON CONFLICT DO UPDATE SET c = zz"),
    # SQLite has no IS UNKNOWN: UNKNOWN is a name there (sqlglot reads it as NULL).
    "IS UNKNOWN in the target WHERE": (unique("id"), upsert("id", "a IS UNKNOWN")),
    "IS NOT UNKNOWN in DO UPDATE SET": (READS, update("(b IS NOT UNKNOWN)")),
    "IS UNKNOWN in DO UPDATE WHERE": (READS, update("1 WHERE b IS UNKNOWN")),
    "IS UNKNOWN with a column named unknown": (
        (f"{TABLE[:-1]}, unknown INTEGER)", "CREATE UNIQUE INDEX ux ON t (id) WHERE a IS unknown"),
        upsert("id", "a IS UNKNOWN")),
    "IS UNKNOWN is not IS NULL": (
        (f"{TABLE[:-1]}, unknown INTEGER)", "CREATE UNIQUE INDEX ux ON t (id) WHERE a IS NULL"),
        upsert("id", "a IS UNKNOWN")),
    # upsert.parse_upsert: REPLACE INTO is read as INSERT written over the same characters, so the target WHERE's
    # text (compared with the index's) is taken from the same place in the statement.
    "REPLACE INTO with a target WHERE": (
        unique("id", "a > 0"), "REPLACE INTO t (id) VALUES (1) ON CONFLICT (id) WHERE a > 0 DO NOTHING"),
    "REPLACE INTO with an expression target": (
        unique("(a + c)"), "REPLACE  INTO t (id) VALUES (1) ON CONFLICT (a + c) DO NOTHING"),
    # _number (with _Parser.prefix, _Parser.in_list, _Parser.name_or_call): an integer token that fits 32 bits is
    # compared by value (sqlite3GetInt32, hex up to 0x7fffffff), any other number by its text.
    "integer at the 32-bit limit compares by value": (unique("(a + 2147483647)"), upsert("(a + 02147483647)")),
    "integer past 32 bits compares by text": (unique("(a + 2147483648)"), upsert("(a + 02147483648)")),
    "two integers past 32 bits differ": (unique("(a + 3000000000)"), upsert("(a + 4000000000)")),
    "hex at the 32-bit limit equals the decimal": (unique("(a + 0x7fffffff)"), upsert("(a + 2147483647)")),
    "hex past 32 bits is not the decimal": (unique("(a + 0x80000000)"), upsert("(a + 2147483648)")),
    "hex with a leading zero compares by value": (unique("(a + 0x10)"), upsert("(a + 0x010)")),
    "two hex integers differ": (unique("(a + 0x10)"), upsert("(a + 0x11)")),
    "two non-integers differ": (unique("(a + 1.5)"), upsert("(a + 2.5)")),
    # _Parser.prefix, _Parser.name_or_call: NOT over LIKE/IN/BETWEEN is the node x NOT LIKE/IN/BETWEEN y makes; each
    # unary operator its own; a CAST's type as written (case and the space before ``)`` are not part of it); blobs by
    # their text; a name may start with ``_``; a three-part name; a double-quoted string; a qualified unknown column.
    "NOT over LIKE is NOT LIKE": (unique("(NOT (b LIKE 'x'))"), upsert("(b NOT LIKE 'x')")),
    "NOT over IN is NOT IN": (unique("(NOT (a IN (1, 2)))"), upsert("(a NOT IN (1, 2))")),
    "NOT over BETWEEN is NOT BETWEEN": (unique("(NOT (a BETWEEN 1 AND 2))"), upsert("(a NOT BETWEEN 1 AND 2)")),
    "unary minus is not unary plus": (unique("(-a)"), upsert("(+a)")),
    "~ is not unary minus": (unique("(~a)"), upsert("(-a)")),
    "CAST type in another case": (unique("CAST(a AS TEXT)"), upsert("CAST(a AS TEXt)")),
    "CAST type with a space before )": (unique("CAST(a AS TEXT)"), upsert("CAST(a AS TEXT )")),
    "CAST types differ": (unique("CAST(a AS TEXT)"), upsert("CAST(a AS INTEGER)")),
    "two blobs differ": (unique("(b || x'01')"), upsert("(b || x'02')")),
    "a blob in another case": (unique("(b || x'0a')"), upsert("(b || X'0A')")),
    "a column whose name starts with _": (
        ("CREATE TABLE t (id INTEGER, _x INTEGER)", "CREATE UNIQUE INDEX ux ON t (_x + 1)"), upsert("(_x + 1)")),
    "schema.table.column in the target": (unique("a"), upsert("main.t.a")),
    "a double-quoted string in the target WHERE": (unique("id", "b = 'zz'"), upsert("id", 'b = "zz"')),
    "a qualified unknown column in the target WHERE": (unique("id"), upsert("id", "t.zz > 0")),
    "two functions differ": (unique("lower(b)"), upsert("upper(b)")),
    "a function's arguments differ": (unique("coalesce(a, c)"), upsert("coalesce(a, id)")),
    "a function's number of arguments differs": (unique("coalesce(a, c)"), upsert("coalesce(a, c, 1)")),
    "DISTINCT in the target's scalar call only": (unique("abs(a)"), upsert("abs(DISTINCT a)")),
    "DISTINCT in the index's scalar call only": (unique("abs(DISTINCT a)"), upsert("abs(a)")),
    "DISTINCT in both scalar calls": (unique("abs(DISTINCT a)"), upsert("abs(distinct a)")),
    "a quoted column named null is not NULL": (
        ('CREATE TABLE t (id INTEGER, "null" INTEGER)', 'CREATE UNIQUE INDEX ux ON t ("null" + 1)'),
        upsert("(NULL + 1)"),
    ),
    # _grammar, _default_keyword: SQLite has DEFAULT only in DEFAULT VALUES (PostgreSQL's VALUES (DEFAULT) and SET
    # a = DEFAULT are syntax errors here); backticks quote a name; only and left are names (the PostgreSQL rows of
    # the same statements are syntax errors there).
    "DEFAULT in VALUES": (unique("id"), "INSERT INTO t (id, a) VALUES (1, DEFAULT) ON CONFLICT DO NOTHING"),
    "DEFAULT in parentheses": (unique("id"), "INSERT INTO t (id, a) VALUES (1, (DEFAULT)) ON CONFLICT DO NOTHING"),
    "DEFAULT in the second row, no column list": (
        unique("id"), "INSERT INTO t VALUES (1, 1, 'x', 1), (2, DEFAULT, 'x', 1) ON CONFLICT DO NOTHING"),
    "DEFAULT in SET": (unique("id"), "INSERT INTO t (id) VALUES (1) ON CONFLICT (id) DO UPDATE SET a = DEFAULT"),
    "a column named default, quoted": (
        (f'{TABLE[:-1]}, "default" INTEGER)', "CREATE UNIQUE INDEX ux ON t (id)"),
        'INSERT INTO t (id, "default") VALUES (1, 1) ON CONFLICT (id) DO UPDATE SET "default" = 2'),
    "backticks around the table and a column": (
        unique("id"), "INSERT INTO `t` (`id`) VALUES (1) ON CONFLICT (`id`) DO UPDATE SET `a` = 1"),
    "a table named only": (("CREATE TABLE only (id INTEGER PRIMARY KEY)",),
                           "INSERT INTO only (id) VALUES (1) ON CONFLICT DO NOTHING"),
    "an alias and a column named left": (
        (f"{TABLE[:-1]}, \"left\" INTEGER)", "CREATE UNIQUE INDEX ux ON t (id)"),
        "INSERT INTO t AS left (id, left) VALUES (1, 1) ON CONFLICT (id) DO UPDATE SET left = 2"),
    # IS TRUE of a value that is not boolean: PostgreSQL's 42804, accepted by SQLite.
    "IS TRUE of an integer in DO UPDATE WHERE": (READS, update("1 WHERE t.a IS TRUE")),
    # _Analysis._step, _call (SP207): SQLite resolves the functions of the conflict target, its WHERE (even one it then
    # ignores, of a full index) and a generated DO UPDATE's SET and WHERE when it prepares the statement, and refuses a
    # built-in aggregate or window function there. Within one expression the error it is left with is the last one
    # its walk records: a function's error does not stop the walk of its arguments, any other node does.
    "count(*) in the target WHERE": (unique("id"), upsert("id", "count(*) > 0")),
    "max of one value in a partial index's target WHERE": (unique("id", "a > 0"), upsert("id", "max(a) > 0")),
    "max of two values in the target WHERE": (unique("id"), upsert("id", "max(a, c) > 0")),
    "min of two values in a partial index's WHERE and the target's": (
        unique("id", "min(a, c) > 0"), upsert("id", "min(a, c) > 0")),
    "total in the target WHERE": (unique("id"), upsert("id", "total(a) > 0")),
    "group_concat with a separator in the target WHERE": (unique("id"), upsert("id", "group_concat(b, ',') > ''")),
    "count(DISTINCT a) in the target WHERE": (unique("id"), upsert("id", "count(DISTINCT a) > 0")),
    "a window function in the target WHERE": (unique("id"), upsert("id", "row_number() > 0")),
    "a window function of one argument in the target WHERE": (unique("id"), upsert("id", "ntile(a) > 0")),
    "an aggregate as the target": (unique("a"), upsert("count(a)")),
    "an unknown column before an aggregate in the target": (unique("a"), upsert("zz, count(*)")),
    "an aggregate before an unknown column in the target": (unique("a"), upsert("count(*), zz")),
    "an aggregate in the WHERE of a target that matches nothing": (unique("id"), upsert("a", "count(*) > 0")),
    "an aggregate, then an unknown column": (unique("id"), upsert("id", "count(*) + zz")),
    "an aggregate, then another table's column": (unique("id"), upsert("id", "count(*) + x.a")),
    "an aggregate, then a known column": (unique("id"), upsert("id", "count(*) + a")),
    "an unknown column in an argument, then an aggregate": (unique("id"), upsert("id", "abs(zz) + count(*)")),
    "an unknown column as an argument, then an aggregate": (unique("id"), upsert("id", "coalesce(zz, count(*))")),
    "an aggregate, then a constant in an argument list": (unique("id"), upsert("id", "coalesce(count(*), 1, zz)")),
    "an aggregate as LIKE's pattern": (unique("id"), upsert("id", "b LIKE count(*)")),
    "an unknown column as LIKE's pattern, an aggregate as its string": (unique("id"), upsert("id", "count(*) LIKE zz")),
    "an aggregate under a CAST, then an unknown column": (unique("id"), upsert("id", "CAST(count(*) AS INT) + zz")),
    "an aggregate in a row value, then an unknown column": (unique("id"), upsert("id", "(count(*), a) = (1, zz)")),
    "an aggregate in an IN list's operand, then an unknown column": (unique("id"), upsert("id", "count(*) IN (1, zz)")),
    "an aggregate in BETWEEN, then an unknown column": (unique("id"), upsert("id", "count(*) BETWEEN a AND zz")),
    "an aggregate, then IS NOT NULL, then an unknown column": (
        unique("id"), upsert("id", "count(*) + (a IS NOT NULL) + zz")),
    "an aggregate, then NOTNULL, then an unknown column": (unique("id"), upsert("id", "count(*) + (a NOTNULL) + zz")),
    "an aggregate, then IS TRUE, then an unknown column": (unique("id"), upsert("id", "count(*) + (a IS TRUE) + zz")),
    "an aggregate, then IS a column, then an unknown column": (unique("id"), upsert("id", "count(*) + (a IS b) + zz")),
    "an aggregate, then TRUE, then an unknown column": (unique("id"), upsert("id", "count(*) + true + zz")),
    "IS resolves a bare name on its right first": (unique("id"), upsert("id", "x.a IS zz")),
    "IS resolves a qualified name on its right last": (unique("id"), upsert("id", "x.a IS t.zz")),
    "an aggregate in the second clause, after a target that matches nothing": (
        unique("id"), "INSERT INTO t AS t (id) VALUES (1) ON CONFLICT (a) DO NOTHING "
                      "ON CONFLICT (id) WHERE count(*) > 0 DO NOTHING"),
    "an aggregate in the first clause, before a target that matches nothing": (
        unique("id"), "INSERT INTO t AS t (id) VALUES (1) ON CONFLICT (id) WHERE count(*) > 0 DO NOTHING "
                      "ON CONFLICT (a) DO NOTHING"),
    "an aggregate in the target WHERE beside a NOT NULL column left out": (
        ("CREATE TABLE t (id INTEGER, a INTEGER NOT NULL)", "CREATE UNIQUE INDEX ux ON t (id)"),
        upsert("id", "count(*) > 0")),
    "an aggregate in the target WHERE after too many values": (
        unique("id"), "INSERT INTO t (id) VALUES (1, 2) ON CONFLICT (id) WHERE count(*) > 0 DO NOTHING"),
    "an aggregate in DO UPDATE SET": (READS, update("count(a)")),
    "total in DO UPDATE SET": (READS, update("total(a)")),
    "a window function in DO UPDATE SET": (READS, update("row_number()")),
    "an aggregate with OVER in DO UPDATE SET": (READS, update("sum(a) OVER ()")),
    "an aggregate in DO UPDATE WHERE": (READS, update("1 WHERE count(*) > 0")),
    "max of two values in DO UPDATE SET": (READS, update("max(t.a, excluded.a)")),
    "an aggregate in a DO UPDATE subquery's SELECT list": (READS, update("(SELECT count(*) FROM s)")),
    "an aggregate in DO UPDATE SET, then an unknown column": (READS, update("count(*) + zz")),
    "an unknown column in an argument in DO UPDATE SET, then an aggregate": (READS, update("abs(zz) + count(*)")),
    "an aggregate in DO UPDATE SET, then IS NULL, then an unknown column": (
        READS, update("count(*) + (a IS NULL) + zz")),
    "an aggregate in DO UPDATE SET, then IS NOT NULL, then an unknown column": (
        READS, update("count(*) + (a IS NOT NULL) + zz")),
    "an aggregate in DO UPDATE SET, then TRUE, then an unknown column": (READS, update("count(*) + true + zz")),
    "DO UPDATE: IS resolves a bare name on its right first": (READS, update("x.a IS zz")),
    "DO UPDATE: IS NOT resolves a bare name on its right first": (READS, update("x.a IS NOT zz")),
    "DO UPDATE: an aggregate, then IS TRUE of an unknown column": (READS, update("count(*) + (zz IS TRUE)")),
    "an aggregate in DO UPDATE SET before its unknown column": (
        READS, "INSERT INTO t AS t (id) VALUES (1) ON CONFLICT (id) DO UPDATE SET zz = count(a)"),
    "an unknown SET column before an aggregate in the next SET value": (
        READS, "INSERT INTO t AS t (id) VALUES (1) ON CONFLICT (id) DO UPDATE SET zz = 1, c = count(a)"),
    "an unknown column in DO UPDATE SET before an aggregate in its WHERE": (READS, update("zz WHERE count(*) > 0")),
    "an aggregate in a DO UPDATE no check runs": (
        ("CREATE TABLE r (id INTEGER PRIMARY KEY, c INTEGER)",),
        "INSERT INTO r (c) VALUES (1) ON CONFLICT (id) DO UPDATE SET c = count(c)"),
    "an aggregate in the target WHERE before one in DO UPDATE SET": (
        READS, "INSERT INTO t AS t (id) VALUES (1) ON CONFLICT (id) WHERE max(a) > 0 DO UPDATE SET c = zz"),
    # Column.has_default: a DEFAULT that is the NULL constant (in parentheses, cast) fills nothing.
    "DEFAULT NULL, left out": (NULL_DEFAULTS, leaving_out("a")),
    "DEFAULT (NULL), left out": (NULL_DEFAULTS, leaving_out("b")),
    "DEFAULT (CAST(((NULL)) AS INTEGER)), left out": (NULL_DEFAULTS, leaving_out("c")),
    "DEFAULT 'null', left out": (NULL_DEFAULTS, leaving_out("h")),
    "NOT NULL ON CONFLICT REPLACE with DEFAULT NULL, left out": (NULL_DEFAULTS, leaving_out("m")),
    "DEFAULT (+NULL), left out": (NULL_DEFAULTS, leaving_out("p")),
    # The ninth run (verdicts): _Parser.infix 118, a call of glob() after a comma is not NOT GLOB over a row.
    "glob() after a comma is no NOT GLOB": (
        (TABLE, "CREATE UNIQUE INDEX ux ON t ((coalesce(c, glob(b, 'x'), 1)))"),
        upsert("(coalesce(c NOT GLOB (b, 'x'), 1))")),
    "glob() in an IN list is no NOT GLOB": (
        unique("id", "a IN (c, glob(b, 'x'))"), upsert("id", "a IN (c NOT GLOB (b, 'x'))")),
    # _parser_stack: each ON CONFLICT clause but the last holds 8 entries of SQLite's parser stack (11 with DO
    # UPDATE) until the statement ends: 88 of them overflow it (parser stack overflow)
    "twelve ON CONFLICT clauses": (READS, clauses(11)),
    "nine ON CONFLICT clauses of DO UPDATE": (READS, clauses(0, 8)),
    "three clauses of DO UPDATE and eight of DO NOTHING": (READS, clauses(8, 3)),
    "eleven ON CONFLICT clauses": (READS, clauses(10)),
    "eight ON CONFLICT clauses of DO UPDATE": (READS, clauses(0, 7)),
    "two ON CONFLICT clauses and a DO UPDATE of three levels": (
        READS, "INSERT INTO t AS t (id) VALUES (1) ON CONFLICT (id) DO NOTHING "
        "ON CONFLICT (id) DO UPDATE SET c = 1 + 2 * (3 + 4 * (5 + c))"),
    # Column.has_default, catalog.null_default: a strict operator's expression of NULL and constants is NULL
    **{f"DEFAULT {default}, left out": (NULL_EXPRESSIONS, leaving_out_of_m(column)) for column, default in {
        "a": "-NULL", "b": "(NULL + 1)", "c": "(NULL || 'x')", "e": "(NULL = 1)", "i": "(NULL / 0)",
        "q": "(NULL + 1) of NOT NULL ON CONFLICT REPLACE", "p": "(NULL + 1) of a nullable column"}.items()},
    # _Analysis._update_step, _subquery_where: a DO UPDATE subquery's WHERE allows no aggregate or window function
    # (its SELECT list and HAVING do), resolved after its SELECT list; its error ends the resolution.
    **{f"DO UPDATE subquery: {name}": (READS, statement) for name, statement in {
        "count(*) in its WHERE": update("(SELECT x FROM s WHERE count(*) > 0)"),
        "max() of one value in its WHERE": update("(SELECT x FROM s WHERE x = 1 OR max(x) = 1)"),
        "max() of two values in its WHERE": update("(SELECT x FROM s WHERE max(x, 1) > 0)"),
        "an aggregate of the DO UPDATE's row in its WHERE": update("(SELECT x FROM s WHERE count(t.a) > 0)"),
        "a window function in its WHERE": update("(SELECT x FROM s WHERE row_number() OVER () > 0)"),
        "an aggregate in its SELECT list": update("(SELECT count(*) FROM s)"),
        "an aggregate in its HAVING": update("(SELECT x FROM s GROUP BY x HAVING count(*) > 0)"),
        "an aggregate in a subquery of its WHERE's SELECT list": update(
            "(SELECT x FROM s WHERE x IN (SELECT count(*) FROM s))"),
        "an aggregate in a subquery's WHERE in its WHERE": update(
            "(SELECT x FROM s WHERE (SELECT 1 FROM s WHERE count(*)))"),
        "an aggregate, then an unknown name in another conjunct": update(
            "(SELECT x FROM s WHERE count(*) > 0 AND zz > 0)"),
        "an unknown name, then an aggregate in another conjunct": update(
            "(SELECT x FROM s WHERE zz > 0 AND count(*) > 0)"),
        "an aggregate, then an unknown name in one sum": update("(SELECT x FROM s WHERE count(*) + zz > 0)"),
        "an unknown name in a call, then an aggregate": update("(SELECT x FROM s WHERE abs(zz) + count(*) > 0)"),
        "an unknown name in its SELECT list before the aggregate": update("(SELECT zz FROM s WHERE count(*) > 0)"),
        "an aggregate before an unknown name after the subquery": update("(SELECT x FROM s WHERE count(*) > 0) + zz"),
        "an unknown name before the subquery": update("zz + (SELECT x FROM s WHERE count(*) > 0)"),
        "an aggregate before an aggregate of DO UPDATE": update("(SELECT x FROM s WHERE sum(x) > 0) + count(*)"),
        "an aggregate before a later SET's unknown name": update("(SELECT x FROM s WHERE count(*) > 0), a = zz"),
        "an aggregate in DO UPDATE WHERE's subquery": update("1 WHERE (SELECT x FROM s WHERE count(*) > 0) > 0"),
    }.items()},
}

UNRESOLVED: dict[str, tuple[tuple[str, ...], str, str]] = {
    # _Parser.in_list: a subquery in the target is not compared (SQLite ignores the WHERE of a full index, but the
    # checker reads the target before it looks at the indexes).
    "IN (SELECT ...)": (unique("id"), upsert("id", "a IN (SELECT 1)"), "a subquery"),
    "IN (WITH ...)": (unique("id"), upsert("id", "a IN (WITH w AS (SELECT 1) SELECT * FROM w)"), "a subquery"),
    "IN (VALUES ...)": (unique("id"), upsert("id", "a IN (VALUES (1))"), "a subquery"),
    # _Parser.prefix: a subquery in parentheses (SQLite accepts each in the target WHERE of a full index).
    "(SELECT ...) in the target WHERE": (unique("id"), upsert("id", "(select 1) = 1"), "a subquery"),
    "(WITH ...) in the target WHERE": (
        unique("id"), upsert("id", "(WITH w AS (SELECT 1) SELECT * FROM w) = 1"), "a subquery"),
    "(VALUES ...) in the target WHERE": (unique("id"), upsert("id", "(VALUES (1)) = 1"), "a subquery"),
    # _Parser.prefix, _Parser.name_or_call: the expression forms the checker does not compare (SQLite accepts the first
    # three in the target WHERE of a full index; a window function is its error).
    "CASE in the target WHERE": (unique("id"), upsert("id", "CASE WHEN a THEN 1 END = 1"), "CASE expressions"),
    "EXISTS in the target WHERE": (unique("id"), upsert("id", "EXISTS (SELECT 1)"), "EXISTS expressions"),
    "RAISE in the target WHERE": (unique("id"), upsert("id", "RAISE(IGNORE)"), "RAISE expressions"),
    "a window function in the target WHERE": (
        unique("id"), upsert("id", "max(a) OVER () > 0"), "window or filtered functions"),
    "a filtered function in the target WHERE": (
        unique("id"), upsert("id", "max(a) FILTER (WHERE a > 0) > 0"), "window or filtered functions"),
    # upsert.parse_upsert: a syntax error to SQLite that sqlglot reads (the PostgreSQL rows of the same names).
    "database-qualified target": (unique("id"), "INSERT INTO x.main.t (id) VALUES (1) ON CONFLICT (id) DO NOTHING",
                                  "names a database"),
    # the syntax errors of both engines that sqlglot reads (tests/refused_syntax.py)
    **{name: (unique("id"), statement, reason) for name, (statement, reason) in REFUSED_BY_BOTH.items()},
    # upsert._clause: a subscript is PostgreSQL's (SQLite: a syntax error); the checker does not model it.
    "DO UPDATE: SET an array element": (READS, "INSERT INTO t (id) VALUES (1) ON CONFLICT (id) DO UPDATE SET c[1] = 1",
                                        "not a column name"),
    # _parser_stack, _clause_entries: an expression of a clause read on the entries the clauses before it hold
    "eight ON CONFLICT clauses and a DO UPDATE of three levels": (
        READS, "INSERT INTO t AS t (id) VALUES (1)" + " ON CONFLICT (id) DO NOTHING" * 8
        + " ON CONFLICT (id) DO UPDATE SET c = 1 + 2 * (3 + 4 * (5 + 6))", "parser stack"),
    # missing_not_null: a NOT NULL column whose default is an expression of NULL the checker does not evaluate
    "DEFAULT (coalesce(NULL, 1)), left out": (NULL_EXPRESSIONS, leaving_out_of_m("f"), "expression of NULL"),
    "DEFAULT (abs(NULL)), left out": (NULL_EXPRESSIONS, leaving_out_of_m("h"), "expression of NULL"),
}
"""Rows whose answer the checker cannot reach: it must say so (SP901) with this reason."""

APPLICATION: dict[str, tuple[tuple[str, ...], str, tuple[tuple[str, int, bool], ...], bool]] = {
    # _Analysis._call: a function SQLite has no built-in of (or not with that many arguments) works when the
    # application's connection registers it (name, number of arguments, aggregate). Last: whether the checker decides
    # the statement (the engine's answer with the functions registered is then its verdict) or says unresolved.
    "an unknown function in the target WHERE": (unique("id"), upsert("id", "f(a) > 0"), (("f", 1, False),), False),
    "REGEXP in the target WHERE": (unique("id"), upsert("id", "b REGEXP 'x'"), (("regexp", 2, False),), False),
    "a built-in function with another number of arguments": (
        unique("id"), upsert("id", "hex(a, b) > ''"), (("hex", 2, False),), False),
    "an unknown function in DO UPDATE SET": (READS, update("f(a)"), (("f", 1, False),), False),
    "an unknown function in DO UPDATE WHERE": (READS, update("1 WHERE f(a) > 0"), (("f", 1, False),), False),
    "an application's aggregate in the target WHERE": (
        unique("id"), upsert("id", "g(a) > 0"), (("g", 1, True),), False),
    "an unknown function, then an unknown column": (
        unique("id"), upsert("id", "f(a) > 0 AND zz > 0"), (("f", 1, False),), True),
    "an unknown function, then an aggregate": (
        unique("id"), upsert("id", "f(a) > 0 AND count(*) > 0"), (("f", 1, False),), True),
    "an unknown function as a target that matches nothing": (unique("id"), upsert("f(a)"), (("f", 1, False),), True),
    "a function an index of the schema calls": (
        (TABLE, "CREATE UNIQUE INDEX ux ON t (id)", "CREATE INDEX fx ON t (f(a))"), upsert("id", "f(a) > 0"),
        (("f", 1, False),), True),
    "a function a unique index calls, as the target": (
        (TABLE, "CREATE UNIQUE INDEX ux ON t (f(a))"), upsert("f(a)"), (("f", 1, False),), True),
    # _Parser.name_or_call: f(*) is f() (sqlglot refuses * in a built-in function of no arguments, such as pi).
    "an application's function of * is its function of no arguments": (
        (TABLE, "CREATE UNIQUE INDEX ux ON t ((id + f()))"), upsert("(id + f(*))"), (("f", 0, False),), True),
    "an application's function of no arguments is its function of *": (
        (TABLE, "CREATE UNIQUE INDEX ux ON t ((id + f(*)))"), upsert("(id + f())"), (("f", 0, False),), True),
    # _Analysis._values_calls, _subquery_calls, _written_call: in VALUES, in a DO UPDATE subquery, and where sqlglot
    # reads the call into a class of its own (greatest, least, nvl, if: no SQLite built-in; hex, substr, length with
    # another number of arguments).
    "VALUES: an unknown function": (
        READS, "INSERT INTO t AS t (id) VALUES (f(1)) ON CONFLICT (id) DO NOTHING", (("f", 1, False),), False),
    "VALUES: greatest()": (
        READS, "INSERT INTO t AS t (id) VALUES (greatest(1, 2)) ON CONFLICT (id) DO NOTHING",
        (("greatest", 2, False),), False),
    "VALUES: hex() of two arguments": (
        READS, "INSERT INTO t AS t (id) VALUES (hex(1, 2)) ON CONFLICT (id) DO NOTHING", (("hex", 2, False),), False),
    "VALUES: an unknown function in a subquery": (
        READS, "INSERT INTO t AS t (id) VALUES ((SELECT f(x) FROM s)) ON CONFLICT (id) DO NOTHING",
        (("f", 1, False),), False),
    "VALUES: greatest() in CASE": (
        READS, "INSERT INTO t AS t (id) VALUES (CASE WHEN 1 THEN greatest(1, 2) END) ON CONFLICT (id) DO NOTHING",
        (("greatest", 2, False),), False),
    "VALUES: an unknown function, then an aggregate in DO UPDATE": (
        READS, "INSERT INTO t AS t (id) VALUES (f(1)) ON CONFLICT (id) DO UPDATE SET c = count(*)",
        (("f", 1, False),), True),
    "VALUES: an unknown function in the second row": (
        READS, "INSERT INTO t AS t (id) VALUES (1), (f(2)) ON CONFLICT (id) DO NOTHING", (("f", 1, False),), False),
    "DO UPDATE: greatest()": (READS, update("greatest(t.a, 1)"), (("greatest", 2, False),), False),
    "DO UPDATE: least()": (READS, update("least(t.a, 1)"), (("least", 2, False),), False),
    "DO UPDATE: nvl()": (READS, update("nvl(t.a, 1)"), (("nvl", 2, False),), False),
    "DO UPDATE: if()": (READS, update("if(t.a, 1, 2)"), (("if", 3, False),), False),
    "DO UPDATE: hex() of two arguments": (READS, update("hex(t.a, 1)"), (("hex", 2, False),), False),
    "DO UPDATE: substr() of four arguments": (READS, update("substr(t.b, 1, 2, 3)"), (("substr", 4, False),), False),
    "DO UPDATE: length() of two arguments": (READS, update("length(t.b, 1)"), (("length", 2, False),), False),
    "DO UPDATE: max() of two arguments beside greatest()": (
        READS, update("max(t.a, 1) + greatest(t.a, 2)"), (("greatest", 2, False),), False),
    "DO UPDATE WHERE: an unknown function sqlglot reads as an array function": (
        READS, update("1 WHERE array_length(t.a) > 0"), (("array_length", 1, False),), False),
    "DO UPDATE subquery: an unknown function": (
        READS, update("(SELECT f(x) FROM s)"), (("f", 1, False),), False),
    "DO UPDATE subquery: hex() of two arguments in its WHERE": (
        READS, update("(SELECT abs(x) FROM s WHERE hex(x, 1) = 1)"), (("hex", 2, False),), False),
    "an application's function of * in the target WHERE": (
        (TABLE, "CREATE UNIQUE INDEX ux ON t (id) WHERE a > f()"), upsert("id", "a > f(*)"), (("f", 0, False),), True),
}
"""Rows with functions an application registers: SQLite is asked without them (the row must be refused then, unless
the schema itself needs them) and with them."""


def _first(*values: object) -> object:
    return values[0] if values else 1


class _Aggregate:
    def __init__(self) -> None:
        self.value = 0

    def step(self, *values: object) -> None:
        self.value += 1

    def finalize(self) -> int:
        return self.value


@pytest.mark.parametrize("row", list(ROWS))
def test_checker_agrees_with_sqlite(row: str) -> None:
    ddl, statement = ROWS[row]
    with sqlite_scratch(ddl) as scratch:
        assert scratch.ddl_error is None, scratch.ddl_error
        engine = scratch.run(statement)
        catalogs = {"reflected": scratch.catalog, "ddl": catalog_from_ddl(";\n".join(ddl), "sqlite")}
    failures = []
    for source, catalog in catalogs.items():
        # A PRIMARY KEY/UNIQUE constraint after the first match is one the engine cannot show (tests/engines.py).
        unverifiable = [key_label(k) for t in catalog.tables for k in t.keys if k.kind in ("primary_key", "unique")]
        problem = disagreement("sqlite", engine, check(statement, catalog, "sqlite"), unverifiable=unverifiable)
        if problem is not None:
            failures.append(f"checker[{source}]: {problem}")
    assert not failures, "\n".join([*ddl, statement, *failures])


@pytest.mark.parametrize("row", list(UNRESOLVED))
def test_checker_says_unresolved_where_it_cannot_compare(row: str) -> None:
    ddl, statement, reason = UNRESOLVED[row]
    with sqlite_scratch(ddl) as scratch:
        assert scratch.ddl_error is None, scratch.ddl_error
        engine = scratch.run(statement)
        catalogs = {"reflected": scratch.catalog, "ddl": catalog_from_ddl(";\n".join(ddl), "sqlite")}
    for source, catalog in catalogs.items():
        verdict = check(statement, catalog, "sqlite")
        assert verdict.status == "unresolved" and reason in verdict.problems[0].message, (
            f"checker[{source}]: {verdict.status} {[p.rule for p in verdict.problems]} (engine: ok={engine.ok})")


@pytest.mark.parametrize("row", list(APPLICATION))
def test_an_application_function_is_unresolved_unless_the_schema_calls_it(row: str) -> None:
    ddl, statement, functions, decided = APPLICATION[row]
    with sqlite_scratch(ddl) as bare:
        if bare.ddl_error is None:  # the schema does not need the functions: SQLite alone refuses the statement
            refused = bare.run(statement)
            assert not refused.ok and re.match(r"(no such function|wrong number of arguments)", refused.message or "")
    with sqlite_scratch(()) as scratch:
        for name, count, aggregate in functions:
            if aggregate:
                scratch.conn.create_aggregate(name, count, _Aggregate)  # type: ignore[arg-type]
            else:
                scratch.conn.create_function(name, count, _first, deterministic=True)
        for sql in ddl:
            scratch.conn.execute(sql)
        engine = scratch.run(statement)
        catalogs = {"reflected": scratch.catalog, "ddl": catalog_from_ddl(";\n".join(ddl), "sqlite")}
    for source, catalog in catalogs.items():
        verdict = check(statement, catalog, "sqlite")
        doubted = any(p.reason == "sqlite-application-function" for p in verdict.problems)
        said = f"checker[{source}]: {verdict.status} {[p.rule for p in verdict.problems]} (engine: {engine})"
        assert doubted == (bare.ddl_error is None), said
        if decided:
            problem = disagreement("sqlite", engine, verdict, unverifiable=[
                key_label(k) for t in catalog.tables for k in t.keys if k.kind in ("primary_key", "unique")])
            assert problem is None, f"{said}: {problem}"
        else:
            assert verdict.status == "unresolved", said
