"""SP3xx: the inserted row (what every proposed row does, whatever the conflict target)."""

from __future__ import annotations

from schema_parity.rules.rule import Example, Rule
from schema_parity.rules.schemas import T_KEY

SP301 = Rule(
    code="SP301",
    name="not-null-without-default",
    severity="error",
    summary="The INSERT omits a NOT NULL column that has no default: every row fails.",
    refs=("P42", "S22"),
    postgresql=(
        "23502 'null value in column ... violates not-null constraint' for every row; ON CONFLICT never arbitrates NOT "
        "NULL violations."
    ),
    sqlite="'NOT NULL constraint failed' for every row.",
    example=Example(
        schema=T_KEY,
        bad=(
            "INSERT INTO t (host) VALUES ('a')\n"
            "  ON CONFLICT (host, code) DO NOTHING;"
        ),
        fixed=(
            "INSERT INTO t (host, code) VALUES ('a', 1)\n"
            "  ON CONFLICT (host, code) DO NOTHING;"
        ),
    ),
    applies=("yes", "yes"),
    description=(
        "The INSERT's column list (or `DEFAULT VALUES`) leaves out a NOT NULL column that has no default, so every row "
        "fails. ON CONFLICT never handles NOT NULL violations (P42, S22); SQLite's `INSERT OR IGNORE` skips such rows "
        "instead."
    ),
    errors=(
        'PostgreSQL, execution: `23502 null value in column "b" of relation "t" violates not-null constraint`',
        "SQLite, execution: `NOT NULL constraint failed: t.b`",
    ),
    doc_examples=(
        Example(
            schema="CREATE TABLE t (id integer PRIMARY KEY, a integer, b integer NOT NULL);\n",
            bad="INSERT INTO t (id, a) VALUES (1, 1) ON CONFLICT (id) DO NOTHING;",
            fixed_schema="CREATE TABLE t (id integer PRIMARY KEY, a integer, b integer NOT NULL DEFAULT 0);\n",
            fixed="INSERT INTO t (id, a) VALUES (1, 1) ON CONFLICT (id) DO NOTHING;",
            fix="a server default (or insert a value for b)",
        ),
    ),
)

FAMILY: tuple[Rule, ...] = (SP301,)
