"""Engine-checked tables: PostgreSQL's arbiter inference against the checker, row by row, decided live.

Two cross products, each row one ``INSERT ... ON CONFLICT ... DO NOTHING`` against a table with exactly one unique
index, so every row asks one question: is this index the arbiter of this target?

- partial unique indexes: each index predicate of a family (integer comparisons at and around the boundary,
  numerics, text constants, NULL and boolean tests, AND/OR/NOT, IN/BETWEEN/ANY/ALL, casts and coercions) against
  every target WHERE of the same family (``predicate_implied_by``);
- unique indexes mixing columns and expressions, against targets that are permutations, subsets, supersets and
  other spellings of the same expression (spacing, case, parentheses, casts).

The expected answer is never written here: the schema is built once in a scratch schema inside one transaction,
each row is planned (EXPLAIN names the arbiter) and run in a savepoint, and everything is rolled back. The checker
judges the same row against the Catalog reflected from that schema; its first error must be the engine's, and where
the engine accepts some target on the same index (the rows differ in the target alone) a refused row has one defect
and the checker exactly one error.

Text ordering depends on the collation, which a Catalog does not record for the database default; the text rows
run on a column of the database's collation and on the same column under ICU's root collation, with constants
(``'a'`` and ``'B'``) that the two order differently. Where the engine's answers differ, the checker must say
so (SP901) instead of guessing; where they agree, it must give the engine's answer.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import sqlalchemy as sa

from schema_parity.catalog import Catalog
from schema_parity.verdicts import Verdict
from schema_parity.verdicts.dispatch import check
from tests.engines import EngineResult, beyond_the_one_defect, disagreement, key_targets, pg_scratch

pytestmark = pytest.mark.postgres

COLUMNS = 'id integer, a integer, n numeric, b text, u text COLLATE "und-x-icu", active boolean, c integer'
TEXT_COLUMNS = {"b": "u", "u": "b"}
"""The same text column under two collations: ``b`` the database's, ``u`` ICU's root collation."""

# -- partial unique indexes: (index predicates, target predicates) per family; {s} is a text column ---------------
_INT_OPS = ("<", "<=", ">", ">=", "=", "<>")
FAMILIES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "integer": (
        tuple(f"a {op} 5" for op in _INT_OPS),
        (*(f"a {op} {k}" for op in (*_INT_OPS, "!=") for k in (4, 5, 6)),
         "a>5", "A > 5", "(a > 5)", "5 < a", "t.a > 5", "a > +5", "a > 05", "a > -5", "NOT a <= 5", "NOT (a <> 5)",
         "NOT (a = 5)", "a > 5 AND a < 10", "a < 5 OR a > 5"),
    ),
    "numeric": (
        ("n > 5", "n >= 5.0", "n < 5.5", "n = 5", "n <> 5.00"),
        tuple(f"n {op} {k}" for op in _INT_OPS for k in ("4.9", "5", "5.0", "5.5", "6")),
    ),
    "text": (
        ("{s} = 'a'", "{s} <> 'a'", "{s} > 'a'", "{s} >= 'B'", "{s} < 'B'", "{s} <= 'a'"),
        tuple(f"{{s}} {op} {k}" for op in _INT_OPS for k in ("'a'", "'B'")),
    ),
    "null": (
        ("a IS NULL", "a IS NOT NULL", "NOT (a IS NULL)", "active IS NOT NULL", "{s} IS NOT NULL"),
        ("a IS NULL", "a IS NOT NULL", "a ISNULL", "a NOTNULL", "NOT (a IS NOT NULL)", "NOT (a IS NULL)", "a = 5",
         "a > 5", "a <> 5", "a IN (1, 2)", "a BETWEEN 1 AND 2", "a > 5 OR a < 0", "a > 5 OR a IS NULL",
         "a::text = '5'", "CAST(a AS text) = '5'", "a::int > 5", "a::bigint > 5", "a + 1 > 5", "coalesce(a, 0) > 5",
         "active", "NOT active", "active IS TRUE", "active IS NOT NULL", "{s} = 'a'", "lower({s}) = 'a'",
         "{s} IS NOT NULL"),
    ),
    "boolean": (
        ("active", "NOT active", "active IS TRUE", "active IS NOT TRUE", "active IS FALSE", "active IS NOT FALSE",
         "active = false"),
        ("active", "NOT active", "active = true", "active = TRUE", "active = false", "active <> true",
         "active <> false", "NOT (active)", "NOT (NOT active)", "active IS TRUE", "active IS true", "active IS FALSE",
         "active IS NOT TRUE", "active IS NOT FALSE", "active AND c > 0", "NOT active AND c > 0",
         "active OR c > 0", "active IS NULL", "(active)", "t.active"),
    ),
    "logic": (
        ("a > 5 AND c > 0", "a > 5 OR c > 0", "NOT (a > 5)", "NOT (a > 5 OR c > 0)", "NOT (a > 5 AND c > 0)"),
        ("a > 5", "c > 0", "a > 5 AND c > 0", "c > 0 AND a > 5", "(a > 5) AND (c > 0)", "a > 6 AND c > 1",
         "a > 5 AND c > 0 AND a > 6", "a > 5 OR c > 0", "c > 0 OR a > 5", "a > 6 OR c > 1", "a > 5 OR c > -1",
         "a > 5 OR (c > 0)", "a > 5 OR a > 6", "a = 6 OR a = 7", "a <= 5", "NOT (a > 5)", "a <= 5 AND c <= 0",
         "NOT (a > 5 OR c > 0)", "NOT (a > 5) AND NOT (c > 0)", "a <= 5 OR c <= 0", "NOT (a > 5 AND c > 0)",
         "a < 5 AND c > 0", "a < 5 OR c < 0"),
    ),
    "sets": (
        ("a IN (1, 2)", "a NOT IN (1, 2)", "a BETWEEN 1 AND 10", "a NOT BETWEEN 1 AND 10", "a = 1 OR a = 2",
         "a = ANY (ARRAY[1, 2])", "a <> ALL (ARRAY[1, 2])"),
        ("a = 1", "a = 2", "a = 3", "a IN (1)", "a IN (1, 2)", "a IN (1,2)", "a IN (2, 1)", "a IN (1, 2, 3)",
         "a NOT IN (1, 2)", "a NOT IN (1, 2, 3)", "a BETWEEN 1 AND 10", "a BETWEEN 2 AND 9", "a BETWEEN 1 AND 11",
         "a >= 1 AND a <= 10", "a > 10", "a > 5", "a < 1", "a = 1 OR a = 2", "a = ANY (ARRAY[1, 2])",
         "a <> ALL (ARRAY[1, 2])", "a <> 1 AND a <> 2"),
    ),
    "negative": (
        (*(f"a {op} -5" for op in _INT_OPS), "a BETWEEN -10 AND -5", "a IN (-5, -6)", "n > -5.5", "n <= -5",
         "a > - 5"),
        (*(f"a {op} {k}" for op in _INT_OPS for k in (-6, -5, -4)),
         "a > - 5", "a > -(5)", "a > (-5)", "a > - -5", "a > -05", "-5 < a", "a > '-5'", "a > -5::bigint",
         "a > CAST(-5 AS bigint)", "a > (-5)::int", "a > -(5::smallint)", "a > -5.0", "a > -4.5", "a > 5",
         "a BETWEEN -10 AND -5", "a BETWEEN -9 AND -6", "a BETWEEN -11 AND -5", "a IN (-5)", "a IN (-6, -5)",
         "a IN (-7, -6)", "a NOT IN (-5, -6)", "n > -5.5", "n > -5.4", "n >= -5.5", "n > -5.6", "n > -5",
         "n = -5.50", "n < -5", "n <= -5.0", "n < -4.9", "n = -5", "n <= -(5)"),
    ),
    "casts": (
        ("a::text = '5'", "CAST(b AS integer) > 5", "a > '5'", "a > 5.0", "a > 5::bigint", "lower(b) = 'x'", "a > 5"),
        ("a::text = '5'", "CAST(a AS text) = '5'", "a::varchar = '5'", "b::integer > 5", "b::int > 6",
         "CAST(b AS integer) > 4", "a > '5'", "a > '6'", "a > 5", "a > 6", "a > 5.0", "a > 5.5", "a > 6.0",
         "a::int > 5", "a::integer > 6", "a::bigint > 5", "a > 5::bigint", "a > 6::smallint", "lower(b) = 'x'",
         "LOWER(b) = 'x'", "lower(b) = 'x'::text", "lower(b::text) = 'x'"),
    ),
}


def _on_text_columns(index: str, target: str | None) -> list[tuple[str, str | None]]:
    """The (index, target) pair on each text column when either names one ({s}), else the pair itself."""
    if "{s}" not in index + (target or ""):
        return [(index, target)]
    return [(index.format(s=s), target.format(s=s) if target else None) for s in TEXT_COLUMNS]


# -- unique indexes mixing columns and expressions: canonical elements and other spellings of each -------------------
SPELLINGS: dict[str, tuple[str, ...]] = {
    # An element is a column, a function call, or any other expression in parentheses (42601 without them).
    "a": ("A", "(a)", '"a"', "(a::int)", "CAST(a AS integer)", "(a::bigint)", "a::int", "(a + 0)"),
    "b": ("B", "(b::text)", 'b COLLATE "C"', 'b COLLATE "default"', "b text_ops", "b varchar_ops"),
    "c": (),
    "lower(b)": ("LOWER(b)", "lower( b )", "(lower(b))", "lower(B)", "lower(b::text)", "lower(CAST(b AS text))",
                 "(lower(b)::text)", "lower(b)::text", "upper(b)", "lower((b))", "pg_catalog.lower(b)",
                 'lower(b COLLATE "C")', "lower(b) COLLATE \"C\""),
    "upper(b)": ("UPPER(b)", "lower(b)", "(upper(b))"),
    "(a + 1)": ("((a + 1))", "(a+1)", "(1 + a)", "((a) + 1)", "(a + 1::int)", "(a + '1')", "(a + 1.0)", "(A + 1)",
                "(a + 1::bigint)", "((a + 1)::int)", "(a + 2)", "(a + (1))", "a + 1"),
    "coalesce(a, 0)": ("COALESCE(a,0)", "coalesce(a, '0')", "coalesce(a, 0::int)", "coalesce(a, 0.0)",
                       "coalesce(a, 1)", "coalesce(c, 0)", "(coalesce(a, 0))", "coalesce(a, (0))"),
    "(a::text)": ("(CAST(a AS text))", "CAST(a AS text)", "(a::varchar)", "((a)::text)", "(a::TEXT)",
                  "(a::character varying)", "a", "((a::text)::text)", "a::text"),
}
EXPRESSION_INDEXES: tuple[tuple[str, ...], ...] = (
    ("a",), ("a", "c"), ("a", "lower(b)"), ("lower(b)", "a"), ("(a + 1)",), ("coalesce(a, 0)", "b"), ("lower(b)",),
    ("(a::text)",), ("upper(b)", "(a + 1)"), ("a", "(a + 1)"),
)


EXPRESSION_TARGETS = key_targets(EXPRESSION_INDEXES, SPELLINGS, extra="c")


# -- the rows and the engine's answers ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Row:
    statement: str
    index: str
    target: str
    twin: str | None = None
    """The same row on the other text column (another collation), when the row names a text column."""


def _upsert(table: str, target: str, where: str | None = None) -> str:
    return f"INSERT INTO {table} AS t (id) VALUES (1) ON CONFLICT ({target}){f' WHERE {where}' if where else ''} " \
        "DO NOTHING"


def _rows() -> tuple[list[str], dict[str, list[Row]]]:
    """The DDL of every table (one unique index each), and the rows of each index, keyed by a readable id."""
    ddl: list[str] = []
    rows: dict[str, list[Row]] = {}
    tables: dict[str, str] = {}

    def table(index: str) -> str:
        """The table whose only unique index is ``index`` (``ON {table} ...``), created once."""
        if index not in tables:
            tables[index] = name = f"t{len(tables)}"
            ddl.extend([f"CREATE TABLE {name} ({COLUMNS})", f"CREATE UNIQUE INDEX ux_{name} ON {name} {index}"])
        return tables[index]

    for family, (indexes, targets) in FAMILIES.items():
        for written_index in indexes:
            for written_target in (None, *targets):
                pairs = _on_text_columns(written_index, written_target)
                statements = [_upsert(table(f"(id) WHERE {index}"), "id", where) for index, where in pairs]
                for (index, where), statement in zip(pairs, statements, strict=True):
                    twin = next((s for s in statements if s != statement), None)
                    row = Row(statement, index, where or "(no WHERE)", twin)
                    rows.setdefault(f"{family}: WHERE {index}", []).append(row)
    full = table("(id)")
    every_where = dict.fromkeys(w for _, targets in FAMILIES.values() for t in targets for _, w in
                                _on_text_columns("", t))
    rows["full index (id): any WHERE"] = [Row(_upsert(full, "id", w), "(id)", str(w)) for w in every_where]
    for elements in EXPRESSION_INDEXES:
        index = f"({', '.join(elements)})"
        rows[f"expressions: {index}"] = [
            Row(_upsert(table(index), ", ".join(target)), index, ", ".join(target)) for target in EXPRESSION_TARGETS
        ]
    return ddl, rows


DDL, ROWS = _rows()


@dataclass(frozen=True)
class Answers:
    catalog: Catalog
    engine: dict[str, EngineResult]


@pytest.fixture(scope="module")
def answers(pg_cases_engine: sa.Engine) -> Iterator[Answers]:
    """Every row's answer from PostgreSQL, and the Catalog reflected from the same schema (one transaction)."""
    with pg_scratch(pg_cases_engine, DDL) as scratch:
        assert scratch.ddl_error is None, scratch.ddl_error
        statements = dict.fromkeys(row.statement for rows in ROWS.values() for row in rows)
        yield Answers(scratch.catalog, {statement: scratch.run(statement) for statement in statements})


def _check(answers: Answers, row: Row, *, one_defect: bool) -> str | None:
    """The row's disagreement with the engine; ``one_defect``: the engine accepts another target on this index, so
    a refused row has one defect, its target (tests/engines.py: ``beyond_the_one_defect``)."""
    engine = answers.engine[row.statement]
    verdict: Verdict = check(row.statement, answers.catalog, "postgresql")
    if row.twin is not None and answers.engine[row.twin].ok != engine.ok:
        # The two collations order the constants differently: the checker, knowing neither, must not guess.
        if verdict.status == "unresolved" and "collation" in verdict.problems[0].message:
            return None
        return f"the collations disagree (this one: ok={engine.ok}) but the checker said {_said(verdict)}"
    problem = disagreement("postgresql", engine, verdict)
    if problem is None and one_defect and not engine.ok:
        return beyond_the_one_defect(verdict)
    return problem


def _said(verdict: Verdict) -> str:
    return f"{verdict.status} {[p.rule for p in verdict.problems]} arbiters={list(verdict.arbiters)}"


@pytest.mark.parametrize("index", list(ROWS))
def test_arbiter_inference_agrees_with_postgresql(answers: Answers, index: str) -> None:
    failures = []
    one_defect = any(answers.engine[row.statement].ok for row in ROWS[index])
    for row in ROWS[index]:
        problem = _check(answers, row, one_defect=one_defect)
        if problem is not None:
            failures.append(f"  index ({row.index}) target ({row.target}): {problem}")
    assert not failures, f"{len(failures)} of {len(ROWS[index])} rows disagree:\n" + "\n".join(failures)
