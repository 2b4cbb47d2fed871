"""SP3xx: the inserted row (what every proposed row does, whatever the conflict target)."""

from __future__ import annotations

from schema_parity.rules.rule import Example, Message, Rule
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
        "fails; on PostgreSQL, so does a row that gives such a column `DEFAULT` in VALUES (SQLite has no `DEFAULT` "
        "there: SP104). A default that is the NULL constant (`DEFAULT NULL`, `DEFAULT (NULL)`, `CAST(NULL AS "
        "integer)`, `NULL::text::integer`) is no default. On PostgreSQL a column of a domain gets the domain's "
        "default (followed through a chain of domains) unless the column has a `DEFAULT NULL` of its own, which is "
        "stored and wins; a domain declared NOT NULL refuses the NULL a nullable column of it gets (23502 `domain d "
        "does not allow null values`), so that is SP301 too; an enum or any other listed type has no default of its "
        "own. A column whose type the Catalog does not list (its source did not read types, or an extension's type) "
        "may be a domain with a default: unresolved (SP901) instead. ON CONFLICT never handles NOT NULL violations "
        "(P42, S22); SQLite's `INSERT OR IGNORE` skips such rows instead."
    ),
    errors=(
        'PostgreSQL, execution: `23502 null value in column "b" of relation "t" violates not-null constraint`',
        "PostgreSQL, execution: `23502 domain d does not allow null values`",
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
    messages=(
        Message(
            "column-list",
            "the column list ({written}) of the INSERT into {table} leaves out {columns}, which {count:is|are} "
            "NOT NULL "
            "without a default: every row fails with a NOT NULL violation, and ON CONFLICT never handles those.",
            "Insert a value for {columns}, or give {count:it|them} a server default in a migration, e.g. "
            'op.alter_column("{name}", "{column}", server_default=sa.text("...")).',
        ),
        Message(
            "default-item",
            "row {row} of the INSERT into {table} gives DEFAULT for {column}, which is NOT NULL without a default: "
            "PostgreSQL inserts NULL there, the row fails with a NOT NULL violation, and ON CONFLICT never handles "
            "those.",
            "Insert a value for {column}, or give it a server default in a migration, e.g. "
            'op.alter_column("{name}", "{column}", server_default=sa.text("...")).',
        ),
        Message(
            "default-values",
            "DEFAULT VALUES of the INSERT into {table} leaves out {columns}, which {count:is|are} NOT NULL without a "
            "default: every row fails with a NOT NULL violation, and ON CONFLICT never handles those.",
            "Insert a value for {columns}, or give {count:it|them} a server default in a migration, e.g. "
            'op.alter_column("{name}", "{column}", server_default=sa.text("...")).',
        ),
    ),
)

SP302 = Rule(
    code="SP302",
    name="key-proposed-twice",
    severity="error",
    summary="One statement proposes the same conflict key twice to DO UPDATE: PostgreSQL rejects it (21000).",
    refs=("P42",),
    postgresql=(
        "21000 'ON CONFLICT DO UPDATE command cannot affect row a second time': the second row would update the row "
        "the first one inserted or updated in the same command."
    ),
    sqlite="Accepts it: rows are applied one after another, and the second row updates the first.",
    example=Example(
        schema=T_KEY,
        bad=(
            "INSERT INTO t (host, code, n) VALUES ('a', 1, 1), ('a', 1, 2)\n"
            "  ON CONFLICT (host, code) DO UPDATE SET n = excluded.n;"
        ),
        fixed=(
            "INSERT INTO t (host, code, n) VALUES ('a', 1, 2)\n"
            "  ON CONFLICT (host, code) DO UPDATE SET n = excluded.n;"
        ),
        dialects=("postgresql",),
        fails="on PostgreSQL",
        fix="each key once per statement",
    ),
    applies=("yes", "—"),
    description=(
        "A multi-row `VALUES` (or an `executemany` batch that SQLAlchemy sends as one multi-row `VALUES`, its "
        "*insertmanyvalues*) proposes the same conflict-target key in two rows, with `DO UPDATE`. PostgreSQL applies "
        "the statement as one command and will not update a row that command already inserted or updated (P42); "
        "SQLite applies the rows one after another, so a test suite on SQLite passes. The static check sees literal "
        "rows; the run-time capture ([capture.md](capture.md)) sees the parameters, and names the key and the two "
        "rows. A target with a predicate, an expression or a constraint name, and a `DO UPDATE ... WHERE` (the first "
        "row may leave an existing row alone, and then the second updates it once), are not judged."
    ),
    errors=("PostgreSQL, execution: `21000 ON CONFLICT DO UPDATE command cannot affect row a second time`",),
    doc_examples=(
        Example(
            schema="CREATE TABLE t (id integer PRIMARY KEY, a integer, b integer);\n",
            bad="INSERT INTO t (id, a) VALUES (1, 1), (1, 2) ON CONFLICT (id) DO UPDATE SET a = excluded.a;",
            fixed="INSERT INTO t (id, a) VALUES (1, 2) ON CONFLICT (id) DO UPDATE SET a = excluded.a;",
            dialects=("postgresql",),
            fails="on PostgreSQL",
            fix="deduplicate the rows by key first (the last one wins, as on SQLite)",
        ),
    ),
    messages=(
        Message(
            "same-key",
            "rows {first} and {second} propose the same conflict key {key} to ON CONFLICT DO UPDATE: PostgreSQL raises "
            "21000 'ON CONFLICT DO UPDATE command cannot affect row a second time' (SQLite applies the rows one after "
            "another and passes, P42).",
            "Send each key once per statement: merge the rows by key first (keep the last, as SQLite does).",
        ),
        Message(
            "same-key-in-batch",
            "rows {first} and {second} of the executemany batch SQLAlchemy sends as one statement propose the same "
            "conflict key {key} to ON CONFLICT DO UPDATE: PostgreSQL raises 21000 'ON CONFLICT DO UPDATE command "
            "cannot affect row a second time' (SQLite applies the rows one after another and passes, P42).",
            "Send each key once per statement: merge the rows by key first (keep the last, as SQLite does).",
        ),
    ),
)

SP303 = Rule(
    code="SP303",
    name="values-count",
    severity="error",
    summary="A row gives more or fewer values than the INSERT has columns, or the VALUES rows differ in length.",
    refs=(),
    postgresql=(
        "42601 'INSERT has more expressions than target columns', 'INSERT has more target columns than expressions' or "
        "'VALUES lists must all be the same length', at parse analysis (after the table and the column list, before "
        "the conflict target). Fewer values than the table's columns without a column list is fine (defaults)."
    ),
    sqlite=(
        "'... values for ... columns', 'table ... has ... columns but ... values were supplied' (generated columns not "
        "counted) or 'all VALUES must have the same number of terms', while preparing (after the table and the column "
        "list, before the conflict target)."
    ),
    example=Example(
        schema="CREATE TABLE t (a integer PRIMARY KEY, b integer);\n",
        bad="INSERT INTO t (a, b) VALUES (1)\n  ON CONFLICT (a) DO NOTHING;",
        fixed="INSERT INTO t (a, b) VALUES (1, 2)\n  ON CONFLICT (a) DO NOTHING;",
    ),
    applies=("yes", "yes"),
    description=(
        "A `VALUES` row has more values than the INSERT's column list (or, without a list, than the table's "
        "columns), fewer values than its column list, or the rows of a multi-row `VALUES` differ in length. Both "
        "engines refuse the statement before they look at the conflict target; an unknown table or a column the "
        "table lacks in the column list is reported first. Without a column list SQLite also refuses fewer values "
        "than the table's (non-generated) columns, where PostgreSQL fills the rest with defaults. The values are "
        "counted from the statement's text; an `INSERT ... SELECT` is judged only when its select list is constants "
        "(no FROM, no set operation), and a `VALUES` the checker cannot read row by row is not judged."
    ),
    errors=(
        "PostgreSQL, parse analysis: `42601 INSERT has more target columns than expressions`, `42601 INSERT has more "
        "expressions than target columns`, `42601 VALUES lists must all be the same length`",
        "SQLite, prepare: `1 values for 2 columns`, `table t has 2 columns but 3 values were supplied`, `all VALUES "
        "must have the same number of terms`",
    ),
    doc_examples=(
        Example(
            schema="CREATE TABLE t (id integer PRIMARY KEY, a integer);\n",
            bad="INSERT INTO t (id, a) VALUES (1, 1), (2) ON CONFLICT (id) DO NOTHING;",
            fixed="INSERT INTO t (id, a) VALUES (1, 1), (2, NULL) ON CONFLICT (id) DO NOTHING;",
            fix="one value per column in every row",
        ),
    ),
    messages=(
        Message(
            "more-targets",
            "the INSERT into {table} lists {columns} {columns:column|columns} but its row {row} has {values} "
            "{values:value|values}: PostgreSQL raises 42601 'INSERT has more target columns than expressions'.",
            "Give every row one value per column the INSERT writes (its column list, else the table's columns).",
        ),
        Message(
            "more-expressions",
            "the INSERT into {table} has {columns} target {columns:column|columns} but its row {row} has "
            "{values} {values:value|values}: PostgreSQL raises 42601 'INSERT has more expressions than target "
            "columns'.",
            "Give every row one value per column the INSERT writes (its column list, else the table's columns).",
        ),
        Message(
            "rows-differ",
            "row {row} of the VALUES of the INSERT into {table} has {values} {values:value|values} where row 1 has "
            "{first}: PostgreSQL raises 42601 'VALUES lists must all be the same length'.",
            "Give every row one value per column the INSERT writes (its column list, else the table's columns).",
        ),
        Message(
            "sqlite-count",
            "the INSERT into {table} lists {columns} {columns:column|columns} but its rows have {values} "
            "{values:value|values}: SQLite raises '{values} values for {columns} columns'.",
            "Give every row one value per column the INSERT writes (its column list, else the table's columns).",
        ),
        Message(
            "sqlite-table-count",
            "the INSERT into {table} has no column list and its rows have {values} {values:value|values} for "
            "the table's {columns} {columns:column|columns}: SQLite raises 'table {table} has {columns} columns but "
            "{values} values were supplied'.",
            "Give every row one value per column the INSERT writes (its column list, else the table's columns).",
        ),
        Message(
            "sqlite-rows-differ",
            "the rows of the VALUES of the INSERT into {table} differ in length (row {row} has {values} "
            "{values:value|values}, row 1 has {first}): SQLite raises 'all VALUES must have the same number of "
            "terms'.",
            "Give every row one value per column the INSERT writes (its column list, else the table's columns).",
        ),
    ),
)

FAMILY: tuple[Rule, ...] = (SP301, SP302, SP303)
