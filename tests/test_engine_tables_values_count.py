"""Engine-checked tables: how many values a VALUES row has against the INSERT's columns (SP303), decided live.

A cross product of column lists (two, one, none, one the table lacks), VALUES lists (rows too short, too long, of
different lengths, with expressions, commas inside strings and calls, subqueries, DEFAULT) or select lists of
constants, and what follows them (a target with a key, one without, a DO UPDATE naming a column the table lacks), on
a known and an unknown table. Each engine raises the first error its analysis meets; the checker must report that
error's rule first, and when the engine's error is a count error (or the checker reports one) that rule alone: the
count stops both engines before the conflict target. A row the engine accepts once one of its four parts is
replaced (another row of the table) has one defect: the checker must report exactly one error (tests/engines.py:
``beyond_the_one_defect``); on a row with two (:func:`two_defects`), a second error must be the one the engine
raises once the first is repaired. The expected answer is never written here: the engine runs every statement
(PostgreSQL in a rolled-back scratch schema, prepared when the row has ``$1``; SQLite in memory) and the checker
judges the same statement against the Catalog reflected from that schema and the one the DDL replay builds.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable

import pytest
import sqlalchemy as sa

from schema_parity.catalog import Catalog
from schema_parity.sources.ddl import catalog_from_ddl
from schema_parity.verdicts import Verdict
from schema_parity.verdicts.dispatch import check
from tests.engines import (
    EngineResult,
    beyond_the_one_defect,
    disagreement,
    expected_rule,
    pg_scratch,
    sqlite_scratch,
)

TABLES = {
    "postgresql": (
        "CREATE TABLE t (a integer PRIMARY KEY, b integer, c text)",
        "CREATE TABLE g (a integer PRIMARY KEY, b integer, c integer GENERATED ALWAYS AS (b + 1) STORED)",
    ),
    "sqlite": (
        "CREATE TABLE t (a integer PRIMARY KEY, b integer, c text)",
        "CREATE TABLE g (a integer PRIMARY KEY, b integer, c integer GENERATED ALWAYS AS (b + 1) STORED)",
    ),
}

COLUMNS = ("(a, b)", "(a)", "", "(a, zz)")
VALUES = (
    "(1)", "(1, 2)", "(1, 2, 'x')", "(1, 2, 'x', 4)", "(1, 2), (3)", "(1), (2, 3)", "(1, 2), (3, 4)",
    "(1, 2), (3, 4, 5)", "(1, 2, 'x'), (3, 4, 'y')", "(abs(-1), length('x,y'))", "((1), coalesce(2, 3), 'a,b')",
    "(1, (SELECT 2))", "(1, (SELECT max(a) FROM t), 'x')", "(1, 2), (3, 4), (5)",
)
PG_VALUES = ("(1, DEFAULT)", "(1, 2, DEFAULT)", "($1)", "($1, $2)", "($1, $2, $3)", "($1, 2), ($2)")
SELECTS = ("SELECT 1", "SELECT 1, 2", "SELECT 1, -2, 'x'", "SELECT 1, 2, NULL, 4", "SELECT +1, NULL")
"""Select lists of constants: the only INSERT ... SELECT whose length the checker counts."""
PG_SELECTS = ("SELECT $1", "SELECT $1, $2", "SELECT $1, $2, $3")
TAILS = (
    "ON CONFLICT (a) DO NOTHING",
    "ON CONFLICT (b) DO NOTHING",
    "ON CONFLICT (a) DO UPDATE SET zz = 1",
    "ON CONFLICT (a) DO UPDATE SET b = excluded.zz",
)


def rows(dialect: str) -> dict[str, tuple[str, ...]]:
    """Every statement, with the parts it is built from: (table, column list, VALUES or SELECT, tail) for the
    cross products, () for the rows outside them."""
    values = VALUES + (PG_VALUES if dialect == "postgresql" else ())
    selects = SELECTS + (PG_SELECTS if dialect == "postgresql" else ())
    out: dict[str, tuple[str, ...]] = {
        f"INSERT INTO {table} {columns} {source} {tail}".replace("  ", " "): (table, columns, source, tail)
        for table, columns, source, tail in itertools.chain(
            itertools.product(("t", "nope"), COLUMNS, [f"VALUES {row}" for row in values], TAILS),
            itertools.product(("t", "nope"), COLUMNS, selects, TAILS),
        )
    }
    # Without a column list a generated column takes no value on SQLite (PostgreSQL refuses a value for it, 428C9,
    # which no rule names: those rows are left out).
    extra = [f"INSERT INTO g VALUES {row} ON CONFLICT (a) DO NOTHING" for row in ("(1)", "(1, 2)", "(1, 2, 3, 4)")]
    # A long VALUES list of literals is parsed with each row cut to its first item (schema_parity/upsert.py): the
    # count comes from the whole statement.
    many = ", ".join(f"({i}, {i})" for i in range(200))
    extra += [f"INSERT INTO t (a, b) VALUES {many}{last} ON CONFLICT (a) DO NOTHING"
              for last in ("", ", (7)", ", (7, 7, 'x')")]
    extra += [f"INSERT INTO t{columns} DEFAULT VALUES ON CONFLICT (a) DO NOTHING" for columns in ("", " AS x")]
    return out | dict.fromkeys(extra, ())


def statements(dialect: str) -> list[str]:
    return list(rows(dialect))


def one_defect(parts: dict[str, tuple[str, ...]], engine: dict[str, EngineResult]) -> set[str]:
    """The rows the engine refuses and accepts with one part replaced: a sibling differing in that part alone."""
    accepted: set[tuple[int, tuple[str, ...]]] = set()
    for statement, built in parts.items():
        if built and engine[statement].ok:
            accepted.update((i, built[:i] + built[i + 1:]) for i in range(len(built)))
    return {
        statement for statement, built in parts.items()
        if built and not engine[statement].ok and any((i, built[:i] + built[i + 1:]) in accepted
                                                      for i in range(len(built)))
    }


def two_defects(
    dialect: str, parts: dict[str, tuple[str, ...]], engine: dict[str, EngineResult], single: set[str]
) -> dict[str, set[tuple[str, str]]]:
    """The refused rows without one defect that have two, with the rules of the two (sorted), as the engine shows
    them: a square of rows R, R_i (part i replaced), R_j (part j replaced), R_ij (both) where R_ij is accepted and
    R_i, R_j are refused. R_i then has one defect, in part j (R_ij is accepted), and R_j one in part i: the engine
    raises R_i's error once R's defect in part i is repaired, and R_j's once the one in part j is."""
    statement_of = {built: statement for statement, built in parts.items() if built}
    alternatives = [sorted({built[i] for built in statement_of}) for i in range(4)]

    def replaced(built: tuple[str, ...], i: int, part: str) -> str | None:
        return statement_of.get((*built[:i], part, *built[i + 1:]))

    found: dict[str, set[tuple[str, str]]] = {}
    for statement, built in parts.items():
        if not built or engine[statement].ok or statement in single:
            continue
        for i, j in itertools.permutations(range(4), 2):
            for x in alternatives[i]:
                r_i = replaced(built, i, x)
                if r_i is None or engine[r_i].ok:
                    continue
                for y in alternatives[j]:
                    r_ij, r_j = replaced(parts[r_i], j, y), replaced(built, j, y)
                    if r_ij is not None and r_j is not None and engine[r_ij].ok and not engine[r_j].ok:
                        pair = sorted((expected_rule(dialect, engine[r_i]), expected_rule(dialect, engine[r_j])))
                        found.setdefault(statement, set()).add((pair[0], pair[1]))
    return found


def failures(dialect: str, run: Callable[[str], EngineResult], catalogs: dict[str, Catalog]) -> list[str]:
    parts = rows(dialect)
    engine = {statement: run(statement) for statement in parts}
    single = one_defect(parts, engine)
    double = two_defects(dialect, parts, engine, single)
    assert single and double, "no row of the table has one defect, or none two"
    out = []
    for statement in parts:
        for source, catalog in catalogs.items():
            verdict = check(statement, catalog, dialect)
            problem = disagreement(dialect, engine[statement], verdict) or _alone(dialect, engine[statement], verdict)
            if problem is None and statement in single:
                problem = beyond_the_one_defect(verdict)
            if problem is None and statement in double:
                problem = _beyond_the_two(verdict, double[statement])
            if problem is not None:
                out.append(f"{statement}\n  checker[{source}]: {problem}")
    return out


def _beyond_the_two(verdict: Verdict, pairs: set[tuple[str, str]]) -> str | None:
    """On a row with two defects, a second error must be the other defect's (the first is the engine's): the engine
    raises it once the first defect is repaired. The checker may stop at the first, as the engine does."""
    errors = [p.rule for p in verdict.problems if p.severity == "error"]
    if len(errors) == 1 or (len(errors) == 2 and (min(errors), max(errors)) in pairs):
        return None
    return f"two defects {sorted(pairs)}, checker errors {errors}"


def _alone(dialect: str, engine: EngineResult, verdict: Verdict) -> str | None:
    """Where a count error is involved, the engine's rule must be the checker's only one (it stops the analysis)."""
    rules = {p.rule for p in verdict.problems if p.severity == "error"}
    if engine.ok or (expected_rule(dialect, engine) != "SP303" and "SP303" not in rules):
        return None
    if rules != {expected_rule(dialect, engine)}:
        return f"engine: {engine.message!r}; checker: {sorted(rules)}"
    return None


@pytest.mark.postgres
def test_values_count_agrees_with_postgresql(pg_cases_engine: sa.Engine) -> None:
    ddl = TABLES["postgresql"]
    with pg_scratch(pg_cases_engine, ddl) as scratch:
        assert scratch.ddl_error is None, scratch.ddl_error

        def run(statement: str) -> EngineResult:
            parameters = len(set(re.findall(r"\$\d+", statement)))
            if parameters:
                return scratch.run_prepared(statement, parameters, generic=True)
            return scratch.run(statement)

        catalogs = {"reflected": scratch.catalog, "ddl": catalog_from_ddl(";\n".join(ddl), "postgresql")}
        found = failures("postgresql", run, catalogs)
    assert not found, "\n".join(found)


def test_values_count_agrees_with_sqlite() -> None:
    ddl = TABLES["sqlite"]
    with sqlite_scratch(ddl) as scratch:
        assert scratch.ddl_error is None, scratch.ddl_error
        catalogs = {"reflected": scratch.catalog, "ddl": catalog_from_ddl(";\n".join(ddl), "sqlite")}
        found = failures("sqlite", scratch.run, catalogs)
    assert not found, "\n".join(found)


def test_the_rows_include_every_count_error() -> None:
    """The table is not vacuous: each engine's three count errors are among its rows (decided by the engine)."""
    with sqlite_scratch(TABLES["sqlite"]) as scratch:
        messages = {scratch.run(s).message or "" for s in statements("sqlite")}
    for pattern in (r"^\d+ values for \d+ columns$", r"^table t has 3 columns but", r"^table g has 2 columns but",
                    r"^all VALUES must have the same number of terms$"):
        assert any(re.search(pattern, m) for m in messages), pattern
