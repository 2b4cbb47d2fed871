"""Engine-checked tables: SQLite's conflict-target analysis against the checker, row by row, decided live.

SQLite matches a target structurally (``sqlite3ExprCompare`` on its own parse trees), so the tables pit spellings
against each other: each row is one ``INSERT ... ON CONFLICT ... DO NOTHING`` against a table with exactly one unique
index, and asks whether that index is the arbiter.

- partial unique indexes: each index WHERE of a family (comparisons with ``=``/``==``/``<>``/``!=`` and orderings
  around the boundary, numbers written differently, text constants, NULL tests in their four spellings, booleans,
  AND/OR/NOT, IN/BETWEEN, casts, COLLATE) against every target WHERE of the family;
- unique indexes mixing columns and expressions, against targets that are permutations, subsets, supersets and
  other spellings of the same expression (spacing, case, parentheses, casts, COLLATE, ASC/DESC).

The expected answer is never written here: every table is created in one in-memory database, each row is prepared
(``EXPLAIN``: the target analysis), its program read for the arbiter, and run in a savepoint that is rolled back.
The checker judges the same row against the Catalog reflected from that database; its first error must be the
engine's, and where the engine accepts some target on the same index a refused row has one defect (its target) and
the checker exactly one error (tests/engines.py: ``beyond_the_one_defect``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from schema_parity.catalog import Catalog
from schema_parity.verdicts.dispatch import check
from tests.engines import EngineResult, beyond_the_one_defect, disagreement, key_targets, sqlite_scratch

COLUMNS = "id INTEGER, a INTEGER, n NUMERIC, b TEXT, active BOOLEAN, c INTEGER"

_OPS = ("<", "<=", ">", ">=", "=", "<>")
FAMILIES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "integer": (
        (*(f"a {op} 5" for op in _OPS), "a == 5", "a != 5"),
        (*(f"a {op} {k}" for op in (*_OPS, "==", "!=") for k in (4, 5, 6)),
         "a>5", "A > 5", "(a > 5)", "((a > 5))", "5 < a", "t.a > 5", "a > +5", "a > 05", "a > 5.0", "a > 0x5",
         "a > -5", "a > (5)", "NOT a <= 5", "NOT (a <= 5)", "a > 5 COLLATE BINARY", "a IS 5", "a IS NOT 5"),
    ),
    "numeric": (
        ("n > 5", "n > 5.5", "n >= 5.0", "n = 5e0"),
        ("n > 5", "n > 5.0", "n > 5.5", "n > 5.50", "n > 05.5", "n >= 5.0", "n >= 5", "n = 5e0", "n = 5E0", "n = 5",
         "n = 5.0"),
    ),
    "text": (
        ("b = 'x'", "b > 'm'", "b <> 'x'", "b = 'x' COLLATE NOCASE", "b COLLATE NOCASE = 'x'", "lower(b) = 'x'"),
        ("b = 'x'", "b='x'", "B = 'x'", "b = 'X'", "b == 'x'", "b > 'm'", "b > 'n'", "b >= 'm'", "b <> 'x'",
         "b != 'x'", "'x' = b", "b = \"x\"", "b = 'x' COLLATE NOCASE", "b = 'x' COLLATE nocase",
         "b = 'x' COLLATE BINARY", "b COLLATE NOCASE = 'x'", "lower(b) = 'x'", "LOWER(b) = 'x'", "lower( b ) = 'x'"),
    ),
    "null": (
        ("a IS NULL", "a IS NOT NULL", "a NOTNULL", "a NOT NULL", "a ISNULL", "NOT (a IS NULL)"),
        ("a IS NULL", "a ISNULL", "a IS NOT NULL", "a NOTNULL", "a NOT NULL", "a IS NOT null", "a is not null",
         "NOT (a IS NULL)", "NOT a IS NULL", "NOT (a ISNULL)", "(a IS NOT NULL)", "a IS NOT DISTINCT FROM NULL",
         "a IS DISTINCT FROM NULL", "a IS NULL = 0", "a > 5"),
    ),
    "boolean": (
        ("active", "NOT active", "active IS TRUE", "active IS NOT TRUE", "active IS FALSE", "active = 1",
         "active = true", "active = TRUE"),
        ("active", "(active)", "t.active", "NOT active", "NOT (active)", "NOT (NOT active)", "active = 1",
         "active == 1", "active = 0", "active = true", "active = TRUE", "active = True", "active IS TRUE",
         "active IS true", "active IS NOT TRUE", "active IS FALSE", "active IS NOT FALSE", "active IS 1",
         "active <> 0", "active != false"),
    ),
    "logic": (
        ("a > 5 AND c > 0", "a > 5 OR c > 0", "NOT (a > 5)", "NOT (a > 5 OR c > 0)"),
        ("a > 5 AND c > 0", "a > 5 and c > 0", "(a > 5) AND (c > 0)", "(a > 5 AND c > 0)", "c > 0 AND a > 5",
         "a > 5 AND (c > 0)", "a > 5 AND c > 0 AND c > 0", "a > 5", "a > 5 OR c > 0", "a > 5 or c > 0",
         "c > 0 OR a > 5", "(a > 5) OR (c > 0)", "NOT (a > 5)", "NOT a > 5", "a <= 5", "NOT (a > 5 OR c > 0)",
         "NOT (a > 5) AND NOT (c > 0)", "a > 5 OR c > 0 AND c > 0"),
    ),
    "sets": (
        ("a IN (1, 2)", "a NOT IN (1, 2)", "a BETWEEN 1 AND 10", "a NOT BETWEEN 1 AND 10", "a = 1 OR a = 2"),
        ("a IN (1, 2)", "a IN (1,2)", "a in (1, 2)", "a IN (2, 1)", "a IN (1, 2, 2)", "a IN (1)", "a IN ((1), 2)",
         "a NOT IN (1, 2)", "NOT (a IN (1, 2))", "a BETWEEN 1 AND 10", "a between 1 and 10", "a BETWEEN 1 AND 010",
         "a >= 1 AND a <= 10", "a NOT BETWEEN 1 AND 10", "NOT (a BETWEEN 1 AND 10)", "a = 1 OR a = 2",
         "a == 1 OR a == 2", "a = 2 OR a = 1"),
    ),
    "casts": (
        ("CAST(a AS TEXT) = '5'", "CAST(b AS INTEGER) > 5", "CAST(a AS DOUBLE PRECISION) > 5", "a + 1 > 5"),
        ("CAST(a AS TEXT) = '5'", "CAST(a AS text) = '5'", "cast(a as TEXT) = '5'", "CAST((a) AS TEXT) = '5'",
         "CAST(a AS VARCHAR) = '5'", "CAST(b AS INTEGER) > 5", "CAST(b AS integer) > 5", "CAST(b AS INT) > 5",
         "CAST(a AS DOUBLE PRECISION) > 5", "CAST(a AS DOUBLE  PRECISION) > 5", "CAST(a AS double precision) > 5",
         "a + 1 > 5", "a+1 > 5", "1 + a > 5", "(a + 1) > 5", "a + 1 > +5"),
    ),
}

# -- unique indexes mixing columns and expressions ------------------------------------------------------------------
SPELLINGS: dict[str, tuple[str, ...]] = {
    "a": ("A", "(a)", "t.a", '"a"', "a COLLATE BINARY", "a COLLATE NOCASE", "+a", "a ASC", "a DESC", "a + 0"),
    "b": ("B", "b COLLATE NOCASE", "b COLLATE BINARY", "(b)"),
    "c": (),
    "lower(b)": ("LOWER(b)", "lower( b )", "(lower(b))", "lower(B)", "lower(t.b)", "lower((b))", "upper(b)",
                 "lower(CAST(b AS TEXT))", "lower(b) COLLATE BINARY", "lower(b) COLLATE NOCASE", "lower(b) DESC"),
    "upper(b)": ("UPPER(b)", "lower(b)"),
    "a + 1": ("a+1", "(a + 1)", "1 + a", "a + 01", "(a) + 1", "a + 1.0", "A + 1", "a - -1", "a + +1", "a + 2",
              "a + (1)", "a + 0x1"),
    "coalesce(a, 0)": ("COALESCE(a,0)", "coalesce(a, 00)", "ifnull(a, 0)", "coalesce(a, 0.0)", "coalesce((a), 0)",
                       "coalesce(a, 1)", "coalesce(c, 0)"),
    "CAST(a AS TEXT)": ("CAST(a AS text)", "cast(a as TEXT)", "CAST((a) AS TEXT)", "CAST(a AS VARCHAR)",
                        "CAST(a  AS  TEXT)", "a"),
    "b COLLATE NOCASE": ("b COLLATE nocase", "b", "(b COLLATE NOCASE)", "b COLLATE BINARY", "B COLLATE NOCASE",
                         "(b) COLLATE NOCASE"),
}
EXPRESSION_INDEXES: tuple[tuple[str, ...], ...] = (
    ("a",), ("a", "c"), ("a", "lower(b)"), ("lower(b)", "a"), ("a + 1",), ("coalesce(a, 0)", "b"), ("lower(b)",),
    ("CAST(a AS TEXT)",), ("b COLLATE NOCASE",), ("upper(b)", "a + 1"), ("a", "a + 1"),
)


EXPRESSION_TARGETS = key_targets(EXPRESSION_INDEXES, SPELLINGS, extra="c")


@dataclass(frozen=True)
class Row:
    statement: str
    index: str
    target: str


def _upsert(table: str, target: str, where: str | None = None) -> str:
    return f"INSERT INTO {table} AS t (id) VALUES (1) ON CONFLICT ({target}){f' WHERE {where}' if where else ''} " \
        "DO NOTHING"


def _rows() -> tuple[list[str], dict[str, list[Row]]]:
    """The DDL of every table (one unique index each), and the rows of each index, keyed by a readable id."""
    ddl: list[str] = []
    tables: dict[str, str] = {}

    def table(index: str) -> str:
        """The table whose only unique index is ``index`` (``ON {table} ...``), created once."""
        if index not in tables:
            tables[index] = name = f"t{len(tables)}"
            ddl.extend([f"CREATE TABLE {name} ({COLUMNS})", f"CREATE UNIQUE INDEX ux_{name} ON {name} {index}"])
        return tables[index]

    rows: dict[str, list[Row]] = {}
    for family, (indexes, targets) in FAMILIES.items():
        for predicate in indexes:
            name = table(f"(id) WHERE {predicate}")
            rows[f"{family}: WHERE {predicate}"] = [
                Row(_upsert(name, "id", where), predicate, where or "(no WHERE)") for where in (None, *targets)
            ]
    full = table("(id)")
    every_where = dict.fromkeys(t for _, targets in FAMILIES.values() for t in targets)
    rows["full index (id): any WHERE"] = [Row(_upsert(full, "id", w), "(id)", w) for w in every_where]
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
def answers() -> Iterator[Answers]:
    """Every row's answer from SQLite, and the Catalog reflected from the same database."""
    with sqlite_scratch(DDL) as scratch:
        assert scratch.ddl_error is None, scratch.ddl_error
        statements = dict.fromkeys(row.statement for rows in ROWS.values() for row in rows)
        yield Answers(scratch.catalog, {statement: scratch.run(statement) for statement in statements})


@pytest.mark.parametrize("index", list(ROWS))
def test_target_analysis_agrees_with_sqlite(answers: Answers, index: str) -> None:
    failures = []
    # The rows of an index differ in the target alone: where the engine accepts one, a refused row has one defect.
    one_defect = any(answers.engine[row.statement].ok for row in ROWS[index])
    for row in ROWS[index]:
        engine = answers.engine[row.statement]
        verdict = check(row.statement, answers.catalog, "sqlite")
        problem = disagreement("sqlite", engine, verdict)
        if problem is None and one_defect and not engine.ok:
            problem = beyond_the_one_defect(verdict)
        if problem is not None:
            failures.append(f"  index {row.index} target ({row.target}): {problem}")
    assert not failures, f"{len(failures)} of {len(ROWS[index])} rows disagree:\n" + "\n".join(failures)
