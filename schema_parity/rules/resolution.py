"""SP2xx: table and column names (resolving what the INSERT, its target and DO UPDATE name)."""

from __future__ import annotations

from schema_parity.rules.rule import Example, Message, Rule
from schema_parity.rules.schemas import T_ID, T_KEY

SP201 = Rule(
    code="SP201",
    name="unknown-table",
    severity="error",
    summary="The INSERT names a table the schema does not have.",
    refs=("P7", "P33", "P34"),
    postgresql="42P01 'relation ... does not exist'.",
    sqlite="'no such table'.",
    example=Example(
        schema=T_KEY,
        bad=(
            "INSERT INTO hosts (host, code) VALUES ('a', 1)\n"
            "  ON CONFLICT (host, code) DO NOTHING;"
        ),
        fixed=(
            "INSERT INTO t (host, code) VALUES ('a', 1)\n"
            "  ON CONFLICT (host, code) DO NOTHING;"
        ),
    ),
    applies=("yes", "yes"),
    description=(
        "The INSERT names a table the schema does not have. PostgreSQL folds unquoted names to lower case, so `Users` "
        'does not find `"Users"`; SQLite compares names case-insensitively.'
    ),
    errors=(
        'PostgreSQL, parse analysis: `42P01 relation "users" does not exist`',
        "SQLite, when prepared: `no such table: users`",
    ),
    doc_examples=(
        Example(
            schema='CREATE TABLE "Users" (id integer PRIMARY KEY);\n',
            bad="INSERT INTO Users (id) VALUES (1) ON CONFLICT (id) DO NOTHING;",
            fixed='INSERT INTO "Users" (id) VALUES (1) ON CONFLICT (id) DO NOTHING;',
            dialects=("postgresql",),
            fails="on PostgreSQL",
        ),
    ),
    messages=(
        Message(
            "no-relation",
            'relation "{relation}" does not exist (42P01).',
            "Check the table name, or add the migration that creates it.",
        ),
        Message(
            "no-relation-spelled",
            'relation "{relation}" does not exist (42P01).',
            "PostgreSQL folds unquoted names to lower case; the table is spelled {spelled!r} — quote it exactly.",
        ),
        Message("sqlite-no-table", "no such table: {table}", "Check the table name, or add the migration that "
            "creates it."),
    ),
)

SP202 = Rule(
    code="SP202",
    name="unknown-column",
    severity="error",
    summary="A column of the column list, target, target WHERE, SET or excluded.* does not exist.",
    refs=("P7", "P33", "P36"),
    postgresql="42703 'column ... does not exist' (column list, target, SET, excluded.*).",
    sqlite="'table ... has no column named ...' or 'no such column'.",
    example=Example(
        schema=T_KEY,
        bad=(
            "INSERT INTO t (host, code) VALUES ('a', 1)\n"
            "  ON CONFLICT (host, code) DO UPDATE SET hits = t.n + 1;"
        ),
        fixed=(
            "INSERT INTO t (host, code) VALUES ('a', 1)\n"
            "  ON CONFLICT (host, code) DO UPDATE SET n = t.n + 1;"
        ),
    ),
    applies=("yes", "yes"),
    description=(
        "A column of the column list, the target, the target WHERE, DO UPDATE SET (either side) or `excluded.*` does "
        "not exist (with PostgreSQL's case folding on PostgreSQL)."
    ),
    errors=(
        (
            'PostgreSQL, parse analysis: `42703 column "zz" does not exist`, `42703 column excluded.zz does not '
            'exist`, `42703 column "zz" of relation "t" does not exist`'
        ),
        "SQLite, when prepared: `no such column: zz`, `no such column: excluded.zz`, `table t has no column named zz`",
    ),
    doc_examples=(
        Example(
            schema=T_ID,
            bad="INSERT INTO t (id, a) VALUES (1, 1) ON CONFLICT (id) DO UPDATE SET a = excluded.zz;",
            fixed="INSERT INTO t (id, a) VALUES (1, 1) ON CONFLICT (id) DO UPDATE SET a = excluded.a;",
        ),
    ),
    messages=(
        Message("no-column-of-relation", 'column "{column}" of relation "{table}" does not exist (42703).', "{hint}"),
        Message("no-excluded-column", "column excluded.{column} does not exist (42703).", "{hint}"),
        Message("no-column", 'column "{column}" does not exist (42703).', "{hint}"),
        Message(
            "hint-spelled",
            "PostgreSQL folds unquoted names to lower case; the column is spelled {spelled!r} — quote it.",
        ),
        Message("hint-columns", "{table} has columns: {columns}."),
        Message(
            "hint-values",
            "A VALUES row sees no table, not even the INSERT's: write a value, or read it with INSERT ... SELECT ... "
            "FROM.",
        ),
        Message("sqlite-no-column-named", "table {table} has no column named {column}", "{table} has columns: "
            "{columns}."),
        Message("sqlite-no-such-column", "no such column: {column}", "{table} has columns: {columns}."),
    ),
)

SP203 = Rule(
    code="SP203",
    name="invalid-table-reference",
    severity="error",
    summary="A column is qualified with a name that is not the INSERT's table (or its alias) or excluded.",
    refs=("P35",),
    postgresql=(
        "42P01 'missing FROM-clause entry for table ...': only the table (or its alias) and excluded are in scope."
    ),
    sqlite="'no such column: other.n'.",
    example=Example(
        schema=T_KEY,
        bad=(
            "INSERT INTO t (host, code) VALUES ('a', 1)\n"
            "  ON CONFLICT (host, code) DO UPDATE SET n = other.n + 1;"
        ),
        fixed=(
            "INSERT INTO t (host, code) VALUES ('a', 1)\n"
            "  ON CONFLICT (host, code) DO UPDATE SET n = t.n + 1;"
        ),
    ),
    applies=("yes", "yes"),
    description=(
        "A column is qualified with a name that is neither the INSERT's table (or, with `INSERT INTO t AS x`, its "
        "alias) nor `excluded`. With an alias the bare table name is no longer visible (P35). On PostgreSQL an alias "
        "named `excluded` makes `excluded.col` ambiguous."
    ),
    errors=(
        (
            'PostgreSQL, parse analysis: `42P01 invalid reference to FROM-clause entry for table "t"`, `42P01 missing '
            'FROM-clause entry for table "q"`, `42P09 table reference "excluded" is ambiguous`'
        ),
        "SQLite, when prepared: `no such column: t.a`",
    ),
    doc_examples=(
        Example(
            schema=T_ID,
            bad="INSERT INTO t AS x (id, a) VALUES (1, 1) ON CONFLICT (id) DO UPDATE SET a = t.a + 1;",
            fixed="INSERT INTO t AS x (id, a) VALUES (1, 1) ON CONFLICT (id) DO UPDATE SET a = x.a + 1;",
        ),
    ),
    messages=(
        Message(
            "excluded-alias",
            'table reference "excluded" is ambiguous (42P09): the INSERT\'s alias is excluded, the name '
            'PostgreSQL gives '
            "the proposed row.",
            "Give {table} another alias.",
        ),
        Message(
            "aliased-table",
            'invalid reference to FROM-clause entry for table "{qualifier}" (42P01): the INSERT names {table} AS '
            "{alias}, so only {alias}.col and excluded.col are visible (P35).",
            "Qualify columns with {alias} or excluded.",
        ),
        Message(
            "missing-from",
            'missing FROM-clause entry for table "{qualifier}" (42P01).',
            "Qualify columns with {alias} or excluded.",
        ),
        Message(
            "sqlite-target-qualifier",
            "no such column: {column}",
            "Write the column bare, or qualify it with {alias}, the INSERT's name for the table.",
        ),
        Message("sqlite-update-qualifier", "no such column: {column}", "Qualify columns with {alias} or "
            "excluded (P35)."),
    ),
)

SP204 = Rule(
    code="SP204",
    name="not-upsertable-relation",
    severity="error",
    summary="SQLite cannot upsert into a view or a virtual table.",
    refs=("S18",),
    postgresql="Views are judged through their base table (not reported).",
    sqlite=(
        "'cannot modify v because it is a view' ('cannot UPSERT a view' when an INSTEAD OF trigger makes it writable); "
        "virtual tables: 'UPSERT not implemented for virtual table'."
    ),
    example=Example(
        schema=T_KEY + "CREATE VIEW v AS SELECT * FROM t;\n",
        bad=(
            "INSERT INTO v (host, code) VALUES ('a', 1)\n"
            "  ON CONFLICT DO NOTHING;"
        ),
        fixed=(
            "INSERT INTO t (host, code) VALUES ('a', 1)\n"
            "  ON CONFLICT DO NOTHING;"
        ),
        dialects=("sqlite",),
    ),
    applies=("—", "yes"),
    description=(
        "SQLite only: a view (with or without an INSTEAD OF trigger) or a virtual table cannot be upserted into (S18)."
    ),
    errors=(
        (
            "SQLite, when prepared: `cannot modify v because it is a view`, `cannot UPSERT a view`, `UPSERT not "
            'implemented for virtual table "f"`'
        ),
    ),
    doc_examples=(
        Example(
            schema=T_ID + "CREATE VIEW v AS SELECT id, a FROM t;\n",
            bad="INSERT INTO v (id, a) VALUES (1, 1) ON CONFLICT (id) DO NOTHING;",
            fixed="INSERT INTO t (id, a) VALUES (1, 1) ON CONFLICT (id) DO NOTHING;",
            dialects=("sqlite",),
        ),
    ),
    messages=(
        Message(
            "virtual-table",
            'UPSERT not implemented for virtual table "{table}" (S18).',
            "Use INSERT OR REPLACE / INSERT OR IGNORE, or upsert into a real table.",
        ),
        Message(
            "view",
            "cannot modify {table} because it is a view (or, with an INSTEAD OF trigger, cannot UPSERT a view) (S18).",
            "Upsert into the view's base table instead.",
        ),
    ),
)

SP205 = Rule(
    code="SP205",
    name="ambiguous-column-reference",
    severity="error",
    summary="An unqualified column in DO UPDATE SET/WHERE: PostgreSQL cannot tell the table's column from excluded's.",
    postgresql="42702 'column reference ... is ambiguous': in DO UPDATE both the table and excluded have the column.",
    sqlite="Resolves an unqualified name to the table's column.",
    example=Example(
        schema=T_KEY,
        bad=(
            "INSERT INTO t (host, code) VALUES ('a', 1)\n"
            "  ON CONFLICT (host, code) DO UPDATE SET n = n + 1;"
        ),
        fixed=(
            "INSERT INTO t (host, code) VALUES ('a', 1)\n"
            "  ON CONFLICT (host, code) DO UPDATE SET n = t.n + 1;"
        ),
        dialects=("postgresql",),
    ),
    applies=("yes", "—"),
    description=(
        "PostgreSQL only. In `DO UPDATE SET` and its `WHERE`, both the target table (or its alias) and `excluded` are "
        "in scope, and `excluded` has the same column names — so an unqualified column is ambiguous. This covers the "
        "right-hand side of `SET c = ...` and `SET (a, b) = (...)`, the DO UPDATE WHERE, and outer references from "
        "subqueries there (a subquery's own FROM columns are fine). It does not cover the SET target columns, the "
        "conflict target or its WHERE, or RETURNING. A name that is no column of the table is 42703 (SP202) instead. "
        "SQLite accepts the statement and reads the name as the existing row's column — so code tested only on SQLite "
        "(`count = count + 1`) breaks on PostgreSQL."
    ),
    errors=(
        'PostgreSQL, parse analysis: `42702 column reference "b" is ambiguous`',
    ),
    doc_examples=(
        Example(
            schema=T_ID + "CREATE UNIQUE INDEX t_a_key ON t (a);\n",
            bad="INSERT INTO t (id, a, b) VALUES (1, 1, 1) ON CONFLICT (a) DO UPDATE SET b = b + 1;",
            fixed="INSERT INTO t (id, a, b) VALUES (1, 1, 1) ON CONFLICT (a) DO UPDATE SET b = t.b + 1;",
            dialects=("postgresql",),
            fails="on PostgreSQL",
            fix="t.b is the existing row's value (what SQLite used), excluded.b the value being inserted",
        ),
    ),
    messages=(
        Message(
            "ambiguous",
            'column reference "{column}" is ambiguous (42702): in ON CONFLICT DO UPDATE both {table} (the '
            'existing row) '
            "and excluded (the row proposed for insertion) have a column {column}.",
            "Qualify it: {table}.{ref} for the existing row's value, excluded.{ref} for the value being inserted.",
        ),
    ),
)

SP206 = Rule(
    code="SP206",
    name="boolean-test-not-boolean",
    severity="error",
    summary="IS [NOT] TRUE/FALSE/UNKNOWN of a value that is not boolean: PostgreSQL refuses the statement.",
    postgresql=(
        "42804 'argument of IS TRUE must be type boolean, not type integer': the conflict target's WHERE, DO UPDATE "
        "SET and WHERE are typed when the statement is analysed."
    ),
    sqlite="Accepts IS TRUE/FALSE on any value (TRUE is 1, FALSE is 0).",
    example=Example(
        schema=T_ID,
        bad="INSERT INTO t (id, a) VALUES (1, 1)\n  ON CONFLICT (id) DO UPDATE SET b = 1 WHERE t.a IS TRUE;",
        fixed="INSERT INTO t (id, a) VALUES (1, 1)\n  ON CONFLICT (id) DO UPDATE SET b = 1 WHERE t.a <> 0;",
        dialects=("postgresql",),
    ),
    applies=("yes", "—"),
    description=(
        "PostgreSQL only. `x IS [NOT] TRUE`, `IS [NOT] FALSE` and `IS [NOT] UNKNOWN` are boolean tests: `x` must be "
        "boolean (a boolean column, a comparison, `NULL`, a string literal that reads as a boolean such as `'t'`), "
        "else parse analysis raises 42804 before anything runs, wherever the test is (the conflict target's WHERE, "
        "DO UPDATE SET or WHERE). The checker reports it when the value's type is known from the schema (a column of "
        "a built-in type, a number, arithmetic on them, a cast); a column of a domain over boolean is boolean, an "
        "enum's is not; a value whose type it cannot tell (a function, a subquery, a column of a type the catalog does "
        "not list, which may be a domain) leaves the verdict unresolved (SP901). SQLite accepts the "
        "test on any value."
    ),
    errors=(
        "PostgreSQL, parse analysis: `42804 argument of IS NOT UNKNOWN must be type boolean, not type integer` (`IS "
        "TRUE`, `IS FALSE`, ..., `not type text`)",
    ),
    doc_examples=(
        Example(
            schema=T_ID + "CREATE UNIQUE INDEX t_a_key ON t (a) WHERE b IS NOT NULL;\n",
            bad="INSERT INTO t (id, a) VALUES (1, 1) ON CONFLICT (a) WHERE b IS NOT UNKNOWN DO NOTHING;",
            fixed="INSERT INTO t (id, a) VALUES (1, 1) ON CONFLICT (a) WHERE b IS NOT NULL DO NOTHING;",
            dialects=("postgresql",),
            fails="on PostgreSQL",
            fix="IS NOT NULL tests a value of any type; IS NOT UNKNOWN only a boolean",
        ),
    ),
    messages=(
        Message(
            "not-boolean",
            "argument of IS {kind} must be type boolean, not type {type} (42804): {test}.",
            "Test the value itself (IS NULL, a comparison), or cast it to boolean.",
        ),
    ),
)

SP207 = Rule(
    code="SP207",
    name="aggregate-not-allowed",
    severity="error",
    summary="An aggregate or window function in the conflict target, its WHERE, or DO UPDATE: SQLite refuses it.",
    postgresql=(
        "Refuses it too (42803 'aggregate functions are not allowed in index predicates', '... in UPDATE'), which the "
        "checker does not report on PostgreSQL yet."
    ),
    sqlite=(
        "'misuse of aggregate function ...' ('misuse of window function ...'): names and functions are "
        "resolved when the statement is prepared, and neither an aggregate nor a window function has rows to run on "
        "there."
    ),
    example=Example(
        schema=T_ID,
        bad="INSERT INTO t (id, a) VALUES (1, 1)\n  ON CONFLICT (id) DO UPDATE SET a = max(excluded.a);",
        fixed="INSERT INTO t (id, a) VALUES (1, 1)\n  ON CONFLICT (id) DO UPDATE SET a = max(t.a, excluded.a);",
        dialects=("sqlite",),
    ),
    applies=("not yet", "yes"),
    description=(
        "SQLite only, for now. An aggregate (`count`, `sum`, `total`, `avg`, `group_concat`, `max` and `min` of one "
        "argument, `json_group_array`, `json_group_object`) or a built-in window function (`row_number()`, `rank()`, "
        "`lag(x)`, ...) called outside a subquery in the conflict target, the target's WHERE, or a DO UPDATE's SET or "
        "WHERE makes SQLite refuse the statement when it is prepared, even where it ignores the target's WHERE (a "
        "full index). In a subquery of DO UPDATE it is refused in the subquery's WHERE (its SELECT list and HAVING "
        "take one), which SQLite resolves after the subquery's SELECT list; an error in a subquery ends the "
        "statement's resolution. `max(a, b)` and `min(a, b)`, of two or more values, are scalar functions and "
        "allowed. Within "
        "one expression SQLite reports the error it is left with: a later unknown column replaces it (SP202), a "
        "later aggregate in the same argument list does too. A function SQLite does not have built in (or a "
        "built-in one with another number of arguments) is an application's own if its connection registers it: "
        "the verdict is then unresolved (SP901), unless an index of the schema calls it (the migrations' connection "
        "had it). A name SQLite has built in is taken to be SQLite's own: an application that registers a scalar "
        "function named `count` is not modelled."
    ),
    errors=(
        "SQLite, when prepared: `misuse of aggregate function count()`, `misuse of aggregate function max()`, "
        "`misuse of window function row_number()`",
    ),
    doc_examples=(
        Example(
            schema=T_ID + "CREATE UNIQUE INDEX t_a_key ON t (a);\n",
            bad="INSERT INTO t (id, a) VALUES (1, 1) ON CONFLICT (a) WHERE count(*) > 0 DO NOTHING;",
            fixed="INSERT INTO t (id, a) VALUES (1, 1) ON CONFLICT (a) DO NOTHING;",
            dialects=("sqlite",),
            fails="on SQLite",
            fix="a full index needs no WHERE in the target",
        ),
    ),
    messages=(
        Message(
            "sqlite-misuse",
            "misuse of {kind} function {function}(): SQLite allows no {kind} function in {place}.",
            "Compute it in a subquery ((SELECT max(a) FROM t)), or use a scalar function (max(x, y) of two values).",
        ),
    ),
)

FAMILY: tuple[Rule, ...] = (SP201, SP202, SP203, SP204, SP205, SP206, SP207)
