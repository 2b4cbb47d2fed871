"""Rows that kill mutants of PostgreSQL's verdict engine (``schema_parity/verdicts/postgresql.py``), decided live.

Each row here kills a change to the checker that survived every other test when ``mutmut run`` made it
(docs/development.md, "Mutation testing") and that would change a verdict. A row is a schema and one statement; the
expected answer is never written here: PostgreSQL gives it (``EXPLAIN`` names the arbiters, then the statement runs;
all rolled back), and the checker must agree on the Catalog reflected from the engine and on the Catalog the DDL
replay builds (tests/engines.py: ``disagreement``).

A statement with a ``$1`` placeholder is what a driver prepares: it runs on a custom plan with each of ``VALUES``
and on the generic plan (P19). If the generic plan succeeds, the checker must accept it without SP111; if only some
value's custom plan does, the checker must accept it with SP111 (a warning); if none does, its first error must be
the generic plan's.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

import pytest
import sqlalchemy as sa

from schema_parity.catalog import Catalog
from schema_parity.sources.ddl import catalog_from_ddl
from schema_parity.verdicts import Verdict, check
from tests.engines import EngineResult, disagreement, expected_rule, pg_scratch
from tests.refused_syntax import REFUSED_BY_BOTH

pytestmark = pytest.mark.postgres

TABLE = "CREATE TABLE t (id integer, a integer, n numeric, b text, c integer, d text, active boolean, x xml)"
VALUES = range(-10, 11)
"""Values a custom plan is tried with: every integer near the constants the rows below use."""


def partial(predicate: str) -> tuple[str, ...]:
    """The table with one unique index, on ``id`` where ``predicate``."""
    return (TABLE, f"CREATE UNIQUE INDEX ux ON t (id) WHERE {predicate}")


def unique(elements: str) -> tuple[str, ...]:
    """The table with one unique index on ``elements``."""
    return (TABLE, f"CREATE UNIQUE INDEX ux ON t ({elements})")


def upsert(target: str, where: str | None = None, *, value: str = "1") -> str:
    return (f"INSERT INTO t AS t (id) VALUES ({value}) ON CONFLICT ({target}){f' WHERE {where}' if where else ''} "
            "DO NOTHING")


READS = (*unique("id"), "CREATE TABLE s (x integer)", "CREATE TABLE u (c integer)")
"""The table keyed by ``id``, and tables a DO UPDATE subquery reads: ``s`` has none of ``t``'s columns, ``u`` has
``c``."""


OTHER = ("CREATE SCHEMA {other}", "CREATE TABLE {other}.s (c integer)", "CREATE TABLE {other}.u (x integer)")
"""A second schema (its name made unique per run, see :func:`named`): its ``s`` has ``c``, its ``u`` has not."""


def named(text: str, suffix: str) -> str:
    """``text`` with the second schema's name in place of ``{other}`` (``{Other}``: quoted, in mixed
    case; ``{OTHER}``: unquoted, in capitals, which PostgreSQL folds to ``{other}``)."""
    return (text.replace("{other}", f"other_{suffix}").replace("{Other}", f'"Other_{suffix}"')
            .replace("{OTHER}", f"OTHER_{suffix}"))


def update(value: str, *, alias: str = "t") -> str:
    """An upsert whose DO UPDATE sets ``a`` to ``value`` (a subquery), on the table keyed by ``id``."""
    return f"INSERT INTO t AS {alias} (id) VALUES (1) ON CONFLICT (id) DO UPDATE SET a = {value}"


ROWS: dict[str, tuple[tuple[str, ...], str]] = {
    # _btree_implies: booleans are ordered by bool_ops (false < true), as numbers are; PostgreSQL does not use that
    # a boolean has two values (x < true does not imply x <= false to it).
    "boolean ordering: active > false implies active >= false": (
        partial("active >= false"), upsert("id", "active > false")),
    "boolean ordering: active >= true implies active > false": (
        partial("active > false"), upsert("id", "active >= true")),
    "boolean ordering: active = false implies active < true": (
        partial("active < true"), upsert("id", "active = false")),
    "boolean ordering: active < true does not imply active <= false": (
        partial("active <= false"), upsert("id", "active < true")),
    "boolean ordering: active > false does not imply active = true": (
        partial("active = true"), upsert("id", "active > false")),
    # _probes: a parameter compared with =, <> or an ordering can imply the index predicate for some value: the
    # constant itself, or one step below or above it.
    "param below: a = $1 implies a < 5": (partial("a < 5"), upsert("id", "a = $1")),
    "param below, numeric: n = $1 implies n < 5.5": (partial("n < 5.5"), upsert("id", "n = $1")),
    "param at: a <> $1 implies a <> 5": (partial("a <> 5"), upsert("id", "a <> $1")),
    "param above: a = $1 implies a > 5": (partial("a > 5"), upsert("id", "a = $1")),
    # _number_literal: a negative number is a constant however it is written (the index as written here reaches the
    # checker as ``a > -5`` through the DDL replay and as ``(a > '-5'::integer)`` reflected).
    "negative: a > -3 implies a > -5": (partial("a > -5"), upsert("id", "a > -3")),
    "negative: a > -5 does not imply a > -4": (partial("a > -4"), upsert("id", "a > -5")),
    "negative: a >= - 4 implies a > -5": (partial("a > -5"), upsert("id", "a >= - 4")),
    "negative: a < -(6) implies a <= -5": (partial("a <= -5"), upsert("id", "a < -(6)")),
    "negative: a = -5 implies a <> -4": (partial("a <> -4"), upsert("id", "a = -5")),
    "negative: a = -5::bigint implies a < -4": (partial("a < -4"), upsert("id", "a = -5::bigint")),
    "negative: a BETWEEN -9 AND -6 implies a BETWEEN -10 AND -5": (
        partial("a BETWEEN -10 AND -5"), upsert("id", "a BETWEEN -9 AND -6")),
    "negative: a IN (-6, -5) implies a < -4": (partial("a < -4"), upsert("id", "a IN (-6, -5)")),
    "negative numeric: n > -5.4 implies n > -5.5": (partial("n > -5.5"), upsert("id", "n > -5.4")),
    "negative numeric: n >= -5.5 does not imply n > -5.5": (partial("n > -5.5"), upsert("id", "n >= -5.5")),
    "negative, integer against numeric: a > -4.5 does not imply a > -5": (partial("a > -5"), upsert("id", "a > -4.5")),
    "negative parameter: a = $1 implies a > -5": (partial("a > -5"), upsert("id", "a = $1")),
    # _marked, _predicate: IS [NOT] UNKNOWN is a BooleanTest to PostgreSQL, which predtest does not equate with
    # IS [NOT] NULL (sqlglot reads both as IS NULL); NOT (x IS UNKNOWN) is x IS NOT UNKNOWN (negate_clause).
    "IS UNKNOWN does not imply IS NULL": (partial("active IS NULL"), upsert("id", "active IS UNKNOWN")),
    "IS NULL does not imply IS UNKNOWN": (partial("active IS UNKNOWN"), upsert("id", "active IS NULL")),
    "IS UNKNOWN implies IS UNKNOWN": (partial("active IS UNKNOWN"), upsert("id", "active is unknown")),
    "IS NOT UNKNOWN does not imply IS NOT NULL": (partial("active IS NOT NULL"), upsert("id", "active IS NOT UNKNOWN")),
    "IS NOT NULL does not imply IS NOT UNKNOWN": (partial("active IS NOT UNKNOWN"), upsert("id", "active IS NOT NULL")),
    "NOT (IS UNKNOWN) is IS NOT UNKNOWN": (partial("active IS NOT UNKNOWN"), upsert("id", "NOT (active IS UNKNOWN)")),
    "NOT (IS NOT UNKNOWN) is IS UNKNOWN": (partial("active IS UNKNOWN"), upsert("id", "NOT (active IS NOT UNKNOWN)")),
    "IS NOT UNKNOWN in an AND": (partial("active IS NOT UNKNOWN"), upsert("id", "active IS NOT UNKNOWN AND c > 0")),
    "IS UNKNOWN in the index's OR": (partial("active IS UNKNOWN OR c > 0"), upsert("id", "active IS UNKNOWN")),
    "IS UNKNOWN under a full index": (unique("id"), upsert("id", "active IS UNKNOWN")),
    # _keyword_test, _normalize: x IS [NOT] [form] NORMALIZED calls is_normalized(x, form) (a strict function, the
    # form NFC by default); x IS [NOT] DOCUMENT is an XmlExpr; neither names a column.
    "IS NORMALIZED implies IS NORMALIZED": (partial("b IS NORMALIZED"), upsert("id", "b IS NORMALIZED")),
    "IS NORMALIZED is IS NFC NORMALIZED": (partial("b IS NFC NORMALIZED"), upsert("id", "b IS NORMALIZED")),
    "IS NORMALIZED is not IS NFD NORMALIZED": (partial("b IS NFD NORMALIZED"), upsert("id", "b IS NORMALIZED")),
    "IS NORMALIZED is is_normalized()": (partial("b IS NORMALIZED"), upsert("id", "is_normalized(b)")),
    "is_normalized() is IS NORMALIZED": (partial("is_normalized(b)"), upsert("id", "b IS NORMALIZED")),
    "IS NFD NORMALIZED is is_normalized(b, 'NFD')": (
        partial("b IS NFD NORMALIZED"), upsert("id", "is_normalized(b, 'NFD')")),
    "IS NOT NORMALIZED is NOT (IS NORMALIZED)": (partial("b IS NOT NORMALIZED"), upsert("id", "NOT (b IS NORMALIZED)")),
    "IS NORMALIZED does not imply IS NOT NORMALIZED": (partial("b IS NOT NORMALIZED"), upsert("id", "b IS NORMALIZED")),
    "IS NORMALIZED of another column": (partial("d IS NORMALIZED"), upsert("id", "b IS NORMALIZED")),
    "IS NORMALIZED implies IS NOT NULL": (partial("b IS NOT NULL"), upsert("id", "b IS NORMALIZED")),
    "IS NOT NORMALIZED does not imply IS NOT NULL": (partial("b IS NOT NULL"), upsert("id", "b IS NOT NORMALIZED")),
    "IS NORMALIZED under a full index": (unique("id"), upsert("id", "b IS NORMALIZED")),
    "IS DOCUMENT implies IS DOCUMENT": (partial("x IS DOCUMENT"), upsert("id", "x IS DOCUMENT")),
    "IS NOT DOCUMENT is NOT (IS DOCUMENT)": (partial("x IS NOT DOCUMENT"), upsert("id", "NOT (x IS DOCUMENT)")),
    "IS DOCUMENT does not imply IS NOT NULL": (partial("x IS NOT NULL"), upsert("id", "x IS DOCUMENT")),
    "IS NOT NULL does not imply IS DOCUMENT": (partial("x IS DOCUMENT"), upsert("id", "x IS NOT NULL")),
    "IS DOCUMENT under a full index": (unique("id"), upsert("id", "x IS DOCUMENT")),
    "DO UPDATE: IS NORMALIZED": (READS, update("(t.b IS NORMALIZED)::int")),
    "DO UPDATE: IS NOT DOCUMENT": (READS, update("(excluded.x IS NOT DOCUMENT)::int")),
    # _normalize: the operands of IS NORMALIZED, is_normalized(), pg_catalog functions, text casts and a minus are
    # normalised with the column types; a minus on a constant is folded, on anything else kept; quoted names keep
    # their case; a plain IS NULL inside an operand is not IS UNKNOWN.
    "IS NULL inside a comparison": (partial("a IS NULL"), upsert("id", "(a IS NULL) = true")),
    # _predicate: simplify_boolean_equality keeps the clause compared with true (negated for false): a comparison or
    # a NULL test inside it is still one.
    "a NULL test compared with false": (partial("a IS NOT NULL"), upsert("id", "(a IS NULL) = false")),
    "a comparison compared with false": (partial("a <= 5"), upsert("id", "(a > 5) = false")),
    "IS NORMALIZED of a cast": (partial("b IS NORMALIZED"), upsert("id", "b::text IS NORMALIZED")),
    "is_normalized() of a cast": (partial("b IS NORMALIZED"), upsert("id", "is_normalized(b::text)")),
    "pg_catalog function of a cast": (partial("lower(b) = 'x'"), upsert("id", "pg_catalog.lower(b::text) = 'x'")),
    "text cast of a function of a cast": (unique("lower(b)"), upsert("(lower(b::text)::text)")),
    "minus on an expression": (partial("-(a + 1) < 5"), upsert("id", "-(a + 1) < 5")),
    "minus on another expression": (partial("-(a + 1) < 5"), upsert("id", "-(c + 1) < 5")),
    "double minus in an expression key": (unique("(a + 5)"), upsert("(a + - -5)")),
    "minus with a leading zero in an expression key": (unique("(a + -5)"), upsert("(a + -05)")),
    "double minus with a leading zero in an expression key": (unique("(a + 5)"), upsert("(a + - -05)")),
    "an exact numeric cast to integer in an expression key": (unique("(a + 5)"), upsert("(a + 5.0::integer)")),
    "quoted mixed-case column in a predicate": (
        (TABLE, 'ALTER TABLE t ADD COLUMN "A" integer', 'CREATE UNIQUE INDEX ux ON t (id) WHERE "A" > 5'),
        upsert("id", "a > 5")),
    # _predicate: the operand of each test and each side of IN, BETWEEN and ANY is typed (a no-op cast, arithmetic);
    # IN and ANY lists are expanded up to predtest's 100 items, a one-item ARRAY included.
    "IS UNKNOWN of a no-op cast": (partial("active IS UNKNOWN"), upsert("id", "active::boolean IS UNKNOWN")),
    "IS UNKNOWN of another operand": (partial("active IS UNKNOWN"), upsert("id", "(a > 0) IS UNKNOWN")),
    "IS NULL of a no-op cast": (partial("a IS NULL"), upsert("id", "a::int IS NULL")),
    "IS TRUE of a no-op cast": (partial("active IS TRUE"), upsert("id", "active::boolean IS TRUE")),
    "IS TRUE of another operand": (partial("active IS TRUE"), upsert("id", "(a > 0) IS TRUE")),
    "IN of a no-op cast": (partial("a IN (1, 2)"), upsert("id", "a::int IN (1, 2)")),
    "IN with an arithmetic item": (partial("a IN (1, 2)"), upsert("id", "a IN (1, c + 0)")),
    "BETWEEN of a no-op cast": (partial("a BETWEEN 1 AND 10"), upsert("id", "a::int BETWEEN 1 AND 10")),
    "BETWEEN with an arithmetic low": (partial("a BETWEEN 1 AND 10"), upsert("id", "a BETWEEN c + 0 AND 10")),
    "BETWEEN with an arithmetic high": (partial("a BETWEEN 1 AND 10"), upsert("id", "a BETWEEN 1 AND c + 0")),
    "ANY of a no-op cast": (partial("a = ANY (ARRAY[1, 2])"), upsert("id", "a::int = ANY (ARRAY[1, 2])")),
    "IN list of 100 items": (partial("a < 101"), upsert("id", f"a IN ({', '.join(map(str, range(1, 101)))})")),
    "ANY array of 100 items": (
        partial("a < 101"), upsert("id", f"a = ANY (ARRAY[{', '.join(map(str, range(1, 101)))}])")),
    "ANY array of one item": (partial("a > 5"), upsert("id", "a = ANY (ARRAY[6])")),
    "ANY with an arithmetic item": (partial("a = ANY (ARRAY[1, 2])"), upsert("id", "a = ANY (ARRAY[1, c + 0])")),
    "comparison with an arithmetic side": (partial("a > 5"), upsert("id", "a > c + 0")),
    "boolean clause of a no-op cast": (partial("active"), upsert("id", "active::boolean")),
    # _keyword_test: only the name right after IS is the keyword; a column named normalized elsewhere is a name.
    "a column named normalized tested for NULL": (unique("id"), upsert("id", "normalized IS NULL")),
    "a column named document compared": (unique("id"), upsert("id", "a = document")),
    # _strict_for: a parameter operand is never the column a NOT NULL predicate tests.
    "param: a > $1 does not imply c IS NOT NULL": (partial("c IS NOT NULL"), upsert("id", "a > $1")),
    # _Analysis._keys_match: every target expression must be one of the index's, after a part with COLLATE too.
    "an expression the index lacks after a COLLATE part": (
        unique('b COLLATE "C", lower(b)'), upsert('b COLLATE "C", lower(b), lower(d)')),
    # _Analysis._element: an expression element is compared as PostgreSQL writes it (sqlglot's default dialect
    # writes b ~ 'x' as REGEXP_LIKE(b, 'x')).
    "regular expression match in an expression key": (unique("(b ~ 'x')"), upsert("(b ~ 'x')")),
    # _is_textual: a cast to text of a text column is no cast (a quoted name keeps its case, an unquoted one folds);
    # a cast of a number to text is one.
    "text cast of a quoted text column": (
        (TABLE, 'ALTER TABLE t ADD COLUMN "Q" text', 'CREATE UNIQUE INDEX ux ON t (lower("Q"))'),
        upsert('(lower("Q"::text))')),
    "text cast of an unquoted text column in capitals": (unique("lower(b)"), upsert("(lower(B::text))")),
    "varchar cast of a quoted text column": (
        (TABLE, 'ALTER TABLE t ADD COLUMN "Q" text', 'CREATE UNIQUE INDEX ux ON t (lower("Q"))'),
        upsert('(lower("Q"::varchar))')),
    "varchar cast of an unquoted text column in capitals": (unique("lower(b)"), upsert("(lower(B::varchar))")),
    # _normalize: text || a number is textanycat (number || text anytextcat), which the planner inlines as a cast of
    # the number to text, and a number constant cast to text is folded to the text int4out or numeric_out writes.
    "text cast of a number": (unique("(b || 5::text)"), upsert("(b || 5)")),
    "number concatenated, against its text": (unique("(b || 5::text)"), upsert("(b || '5')")),
    "number with a leading zero concatenated": (unique("(b || 5::text)"), upsert("(b || 05)")),
    "bigint constant concatenated": (unique("(b || 5::text)"), upsert("(b || 5::bigint)")),
    "negative number concatenated": (unique("(b || (-5)::text)"), upsert("(b || -5)")),
    "number concatenated to another number's text": (unique("(b || 5::text)"), upsert("(b || 6)")),
    "number before text": (unique("(5 || b)"), upsert("('5' || b)")),
    "integer column concatenated": (unique("(b || a::text)"), upsert("(b || a)")),
    "integer column concatenated, against its cast": (unique("(b || a)"), upsert("(b || a::text)")),
    "numeric constant keeps its scale": (unique("(b || '5.50')"), upsert("(b || 5.50)")),
    "numeric constant of another scale": (unique("(b || '5.50')"), upsert("(b || 5.5)")),
    "numeric constant with an exponent": (unique("(b || '1000')"), upsert("(b || 1e3)")),
    "numeric cast of an integer concatenated": (unique("(b || '5')"), upsert("(b || 5::numeric)")),
    # _coerce_operands, _literal_type: COALESCE casts every argument to the widest type (bigint is wider than
    # smallint, numeric than all; an integer literal past int4 is a bigint, past int8 a numeric Const); an unknown
    # literal takes a numeric operand's type even when it is no integer.
    "COALESCE of every number type": (
        ("CREATE TABLE t (id integer, s smallint, a integer, g bigint, n numeric)",
         "CREATE UNIQUE INDEX ux ON t ((coalesce(s, a, g, n)))"),
        upsert("(coalesce(s::numeric, a::numeric, g::numeric, n))")),
    "COALESCE of smallint and integer": (
        ("CREATE TABLE t (id integer, s smallint, a integer)", "CREATE UNIQUE INDEX ux ON t ((coalesce(s, a)))"),
        upsert("(coalesce(s::integer, a))")),
    "COALESCE of smallint and bigint": (
        ("CREATE TABLE t (id integer, s smallint, g bigint)", "CREATE UNIQUE INDEX ux ON t ((coalesce(g, s)))"),
        upsert("(coalesce(g, s::bigint))")),
    # _constant, _cast_type: a numeric constant cast to numeric is the constant; a cast with a type modifier rounds
    # to its scale, which the checker does not model (no match either way here).
    "a numeric constant cast to numeric in an expression key": (unique("(n + 5.5)"), upsert("(n + 5.5::numeric)")),
    "a numeric constant cast to numeric(5,2)": (unique("(n + 5.555)"), upsert("(n + 5.555::numeric(5,2))")),
    # _exact_in, _normalize: a numeric constant cast to an integer type is rounded half away from zero.
    "a numeric constant cast to integer rounds": (partial("a = 6"), upsert("id", "a = 5.5::integer")),
    "a numeric constant cast to integer is not truncated": (partial("a = 5"), upsert("id", "a = 5.5::integer")),
    "a negative numeric constant cast to bigint rounds away from zero": (
        partial("a = -6"), upsert("id", "a = (-5.5)::bigint")),
    "a numeric constant cast to smallint, below half": (partial("a = 5"), upsert("id", "a = 5.49::smallint")),
    "a rounded constant in an expression key": (unique("(a + 6)"), upsert("(a + 5.5::integer)")),
    "COALESCE of integer and a bigint constant": (
        unique("(coalesce(a, 3000000000))"), upsert("(coalesce(a::bigint, 3000000000))")),
    "COALESCE of integer and the smallest bigint constant": (
        unique("(coalesce(a, 2147483648))"), upsert("(coalesce(a::bigint, 2147483648))")),
    "COALESCE of integer and a numeric-sized constant": (
        unique("(coalesce(a, 9223372036854775808))"), upsert("(coalesce(a::numeric, 9223372036854775808))")),
    "string literal compared with a numeric column": (partial("n > 5.5"), upsert("id", "n > '5.5'")),
    # _Analysis._inferred: a parameter that may make a partial index an arbiter is no warning (SP111) when another
    # index is one whatever its value.
    "param: a partial index beside a full one": (
        (*unique("id"), "CREATE UNIQUE INDEX uy ON t (id) WHERE a > 5"), upsert("id", "a = $1")),
    # _all: an AND predicate is implied when every part is; "maybe" when one part only is for some value.
    "param in one part of AND": (partial("a < 5 AND c < 5"), upsert("id", "a = $1 AND c = 1")),
    "AND proven, with a parameter elsewhere": (partial("a < 5 AND c < 5"), upsert("id", "a < 4 AND c < 4", value="$1")),
    # _collation_opclass_match: COLLATE and an operator class in the target are checked against the index part
    # they name (an expression part included), and against every part that names it.
    'expression COLLATE "default"': (unique("lower(b)"), upsert('lower(b) COLLATE "default"')),
    'COLLATE names another part\'s collation': (unique('b, d COLLATE "C"'), upsert('b COLLATE "C", d')),
    "opclass of the second part on the same column": (unique("b text_pattern_ops, b"), upsert("b text_ops")),
    'collation of the second part on the same column': (unique('b COLLATE "C", b'), upsert('b COLLATE "default"')),
    # _negate: NOT (x IS NOT TRUE) is x IS TRUE, NOT (x IS NOT FALSE) is x IS FALSE.
    "NOT (active IS NOT TRUE)": (partial("active IS TRUE"), upsert("id", "NOT (active IS NOT TRUE)")),
    "NOT (active IS NOT FALSE)": (partial("active IS FALSE"), upsert("id", "NOT (active IS NOT FALSE)")),
    # _opclass_match: an operator class written in the index matches the same one in the target.
    "the index's own opclass": (unique("b text_pattern_ops"), upsert("b text_pattern_ops")),
    # _operand: a string literal is a text constant even when it spells a number ('05' is not '5').
    "text constant spelling a number": (partial("b = '5'"), upsert("id", "b = '05'")),
    # _sources, _outer_reference: a bare name in a DO UPDATE subquery is its FROM items' column (joined tables, CTEs,
    # derived tables and column aliases included), a whole-row reference to one of them, to the target or to
    # excluded; else it reaches the DO UPDATE level, where both rows have it (42702) or neither (42703).
    "subquery: column of a joined table": (READS, update("(SELECT max(c) FROM s JOIN u ON true)")),
    "subquery: column alias of a FROM item": (READS, update("(SELECT max(c) FROM s AS q(c))")),
    "subquery: whole row of an aliased FROM item": (READS, update("(SELECT count(q) FROM s AS q)")),
    "subquery: a CTE without the column": (READS, update("(WITH w AS (SELECT 1 AS x) SELECT max(c) FROM w)")),
    "subquery: a derived table without the column": (READS, update("(SELECT max(c) FROM (SELECT 1 AS x) AS d)")),
    "subquery: whole row of the target alias": (READS, update("(SELECT max(x) FROM s WHERE z IS NOT NULL)", alias="z")),
    "subquery: a function's column": (READS, update("(SELECT max(c) FROM generate_series(1, 3) AS c)")),
    # subquery_scopes, visible_ctes (verdicts/__init__.py), _cte_named, _cte_columns, _output_names, _name_of: which
    # FROM items a name sees.
    "subquery: union, first branch": (READS, update("(SELECT c FROM s UNION SELECT 1 LIMIT 1)")),
    "subquery: union, second branch": (READS, update("(SELECT 1 UNION SELECT c FROM s LIMIT 1)")),
    "subquery: ORDER BY an output name": (READS, update("(SELECT x AS q FROM s ORDER BY q LIMIT 1)")),
    "subquery: GROUP BY an output name": (READS, update("(SELECT x AS q FROM s GROUP BY q LIMIT 1)")),
    "subquery: derived table, outer FROM unseen": (READS, update("(SELECT max(y) FROM (SELECT x AS y) AS d, s)")),
    "subquery: CTE, outer FROM unseen": (READS, update("(WITH w AS (SELECT x AS y) SELECT max(y) FROM s, w)")),
    "subquery: joined derived table, outer FROM unseen": (
        READS, update("(SELECT max(y) FROM s JOIN (SELECT x AS y) AS d ON true)")),
    "subquery: ON sees the joined tables": (READS, update("(SELECT max(x) FROM s JOIN u ON c = x)")),
    "subquery: a CTE of the enclosing SELECT": (
        READS, update("(WITH w AS (SELECT 1 AS x) SELECT (SELECT max(c) FROM w))")),
    "subquery: a derived union": (READS, update("(SELECT max(c) FROM (SELECT 1 AS x UNION SELECT 2) AS d)")),
    "subquery: a derived table's bare column": (READS, update("(SELECT max(c) FROM (SELECT x FROM s) AS d)")),
    "subquery: a quoted alias": (READS, update('(SELECT count("Q") FROM s AS "Q")')),
    "subquery: a CTE's column list": (READS, update("(WITH w(c) AS (SELECT x FROM s) SELECT max(c) FROM w)")),
    "subquery: whole row of excluded": (READS, update("(SELECT max(x) FROM s WHERE excluded IS NOT NULL)")),
    # _table_columns, _cte_named: a schema-qualified FROM item is that schema's table (never a CTE of its name); an
    # unqualified one is the default schema's, whichever schema was created first.
    "subquery: a schema-qualified table's column": ((*READS, *OTHER), update("(SELECT max(c) FROM {other}.s)")),
    "subquery: the qualified table lacks the column the default one has": (
        (*READS, *OTHER), update("(SELECT max(c) FROM {other}.u)")),
    "subquery: an unqualified name is the default schema's table": (
        (*OTHER, *READS), update("(SELECT max(c) FROM s)")),
    "subquery: a qualified name is not the CTE of that name": (
        (*READS, *OTHER), update("(WITH s AS (SELECT 1 AS x) SELECT max(c) FROM {other}.s)")),
    "subquery: a CTE shadows the default schema's table": (
        (*READS, *OTHER), update("(WITH u AS (SELECT 1 AS x) SELECT max(c) FROM u)")),
    "subquery: an unquoted schema name folds to lower case": (
        (*READS, *OTHER), update("(SELECT max(c) FROM {OTHER}.u)")),
    "subquery: a quoted mixed-case schema": (
        (*READS, 'CREATE SCHEMA {Other}', "CREATE TABLE {Other}.s (c integer)"),
        update("(SELECT max(c) FROM {Other}.s)")),
    "subquery: a quoted schema name is not its folded spelling": (
        (*READS, 'CREATE SCHEMA {Other}', "CREATE TABLE {Other}.s (c integer)", "CREATE SCHEMA {other}",
         "CREATE TABLE {other}.s (x integer)"),
        update("(SELECT max(c) FROM {other}.s)")),
    # upsert._name, _last_name: a quoted name keeps its case in the SET list and in a schema-qualified collation.
    "DO UPDATE: SET a quoted column": (
        (TABLE, 'ALTER TABLE t ADD COLUMN "A" integer', "CREATE UNIQUE INDEX ux ON t (id)"),
        'INSERT INTO t AS t (id) VALUES (1) ON CONFLICT (id) DO UPDATE SET "A" = 1'),
    "collation qualified by its schema": (unique('b COLLATE "C"'), upsert('b COLLATE pg_catalog."C"')),
    # _Analysis._clause: parse analysis looks the constraint of ON CONSTRAINT up (42704) before it reads the SET list.
    "ON CONSTRAINT that does not exist, with an unknown SET column": (
        unique("id"), "INSERT INTO t AS t (id) VALUES (1) ON CONFLICT ON CONSTRAINT nope DO UPDATE SET zz = 1"),
    "ON CONSTRAINT that does not exist, with an unknown column in DO UPDATE WHERE": (
        unique("id"), "INSERT INTO t AS t (id) VALUES (1) ON CONFLICT ON CONSTRAINT nope DO UPDATE SET a = 1 WHERE zz"),
    # _Analysis._names: resolve_unique_index_expr refuses ASC/DESC (42P10) before DO UPDATE's names are read (a
    # Hypothesis example of tests/test_differential.py).
    "ASC in the target, before an ambiguous name in DO UPDATE WHERE": (
        unique("id"), "INSERT INTO t AS t (id) VALUES (1) ON CONFLICT (id DESC) DO UPDATE SET c = 1 WHERE c > 0"),
    "NULLS FIRST in the target, before an unknown name in its expression": (
        unique("id"), "INSERT INTO t AS t (id) VALUES (1) ON CONFLICT ((zz + 1) NULLS FIRST) DO NOTHING"),
    # _Analysis.run: ExecConstraints (NOT NULL, 23502) comes before ExecCheckIndexConstraints (deferrable, 55000).
    "a missing NOT NULL column before a deferrable arbiter": (
        ("CREATE TABLE t (id integer, a integer NOT NULL, CONSTRAINT ux UNIQUE (id) DEFERRABLE)",),
        "INSERT INTO t AS t (id) VALUES (1) ON CONFLICT (id) DO NOTHING"),
    "a missing NOT NULL column before a deferrable arbiter, without a target": (
        ("CREATE TABLE t (id integer, a integer NOT NULL, CONSTRAINT ux UNIQUE (id) DEFERRABLE)",),
        "INSERT INTO t AS t (id) VALUES (1) ON CONFLICT DO NOTHING"),
}


UNRESOLVED: dict[str, tuple[tuple[str, ...], str, str]] = {
    # _opclass_match: the default operator class of an expression is not in the Catalog.
    # _normalize: IS [NOT] UNKNOWN inside an operand is read as IS [NOT] NULL, so the checker does not compare it.
    "IS UNKNOWN inside a comparison": (
        partial("active IS NOT UNKNOWN"), upsert("id", "(active IS UNKNOWN) = false"), "inside an expression"),
    "IS UNKNOWN in an index expression": (
        unique("(active IS UNKNOWN)"), upsert("(active IS UNKNOWN)"), "inside an expression"),
    "opclass on an expression part": (unique("lower(b)"), upsert("lower(b) text_ops"),
                                      "default operator class of this expression"),
    # upsert.parse_upsert: the INSERT's target. A database-qualified name is 0A000 unless it names the current
    # database, which a Catalog does not know.
    "database-qualified target": (unique("id"), "INSERT INTO sp_other.public.t (id) VALUES (1) ON CONFLICT (id) "
                                  "DO NOTHING", "names a database"),
    # the syntax errors (42601) of both engines that sqlglot reads (tests/refused_syntax.py)
    **{name: (unique("id"), statement, reason) for name, (statement, reason) in REFUSED_BY_BOTH.items()},
    # upsert._clause: SET a[1] assigns an element of the column a; the checker does not model it.
    "DO UPDATE: SET an array element": (
        ("CREATE TABLE r (id integer UNIQUE, a integer[])",),
        "INSERT INTO r (id) VALUES (1) ON CONFLICT (id) DO UPDATE SET a[1] = 1", "not a column name"),
}
"""Rows whose answer needs a fact the Catalog does not hold: the checker must say so (SP901) with this reason."""


@dataclass(frozen=True)
class Answer:
    """PostgreSQL's answer to one row, and the Catalogs the checker judges it against."""

    engine: EngineResult | None
    """The plain statement's result (None for a statement with parameters)."""
    generic: EngineResult | None
    """The generic plan's result, for a statement with parameters."""
    custom: tuple[bool, ...]
    """Whether the custom plan succeeds, for each of ``VALUES``."""
    catalogs: dict[str, Catalog]


def answer(pg_cases_engine: sa.Engine, ddl: tuple[str, ...], statement: str) -> Answer:
    parameters = len(set(re.findall(r"\$\d+", statement)))
    with pg_scratch(pg_cases_engine, ddl) as scratch:
        assert scratch.ddl_error is None, scratch.ddl_error
        catalogs = {"reflected": scratch.catalog, "ddl": catalog_from_ddl(";\n".join(ddl), "postgresql")}
        if not parameters:
            return Answer(scratch.run(statement), None, (), catalogs)
        custom = tuple(scratch.run_prepared(statement, parameters, generic=False, value=v).ok for v in VALUES)
        return Answer(None, scratch.run_prepared(statement, parameters, generic=True), custom, catalogs)


def said(verdict: Verdict) -> str:
    return f"{verdict.status} {[p.rule for p in verdict.problems]} arbiters={list(verdict.arbiters)}"


def disagreements(statement: str, answer: Answer) -> list[str]:
    """Where the checker's verdict on each Catalog is not the engine's answer."""
    failures = []
    for source, catalog in answer.catalogs.items():
        verdict = check(statement, catalog, "postgresql")
        if answer.engine is not None:
            problem = disagreement("postgresql", answer.engine, verdict)
        elif answer.generic is None:
            raise AssertionError("an answer has the plain statement's result or the generic plan's")
        elif answer.generic.ok or any(answer.custom):
            warned = "SP111" in [p.rule for p in verdict.problems]
            problem = None if verdict.status == "ok" and warned != answer.generic.ok else (
                f"engine: generic plan ok={answer.generic.ok}, some custom plan ok; checker: {said(verdict)}")
        else:
            rule = expected_rule("postgresql", answer.generic)
            errors = [p.rule for p in verdict.problems if p.severity == "error"]
            problem = None if verdict.status == "error" and errors[:1] == [rule] else (
                f"engine: every plan fails ({rule} first); checker: {said(verdict)}")
        if problem is not None:
            failures.append(f"checker[{source}]: {problem}")
    return failures


def unresolved(statement: str, answer: Answer, reason: str) -> list[str]:
    """Where the checker does not say it cannot decide, for ``reason``."""
    return [
        f"checker[{source}]: {said(verdict)} (engine: ok={answer.engine.ok if answer.engine else None})"
        for source, verdict in ((s, check(statement, c, "postgresql")) for s, c in answer.catalogs.items())
        if verdict.status != "unresolved" or reason not in verdict.problems[0].message
    ]


@pytest.mark.parametrize("row", list(ROWS))
def test_checker_agrees_with_postgresql(pg_cases_engine: sa.Engine, row: str) -> None:
    suffix = uuid.uuid4().hex[:10]
    ddl = tuple(named(part, suffix) for part in ROWS[row][0])
    statement = named(ROWS[row][1], suffix)
    failures = disagreements(statement, answer(pg_cases_engine, ddl, statement))
    assert not failures, "\n".join([*ddl, statement, *failures])


@pytest.mark.parametrize("row", list(UNRESOLVED))
def test_checker_says_unresolved_where_the_catalog_lacks_the_fact(pg_cases_engine: sa.Engine, row: str) -> None:
    ddl, statement, reason = UNRESOLVED[row]
    failures = unresolved(statement, answer(pg_cases_engine, ddl, statement), reason)
    assert not failures, "\n".join([*ddl, statement, *failures])
