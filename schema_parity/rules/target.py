"""SP1xx: the conflict target (which key arbitrates, and the ON CONFLICT syntax around it)."""

from __future__ import annotations

from schema_parity.rules.rule import Example, Message, Rule
from schema_parity.rules.schemas import T_CONSTRAINT, T_ID, T_KEY, T

SP101 = Rule(
    code="SP101",
    name="no-matching-key",
    severity="error",
    summary="The ON CONFLICT target matches no PRIMARY KEY, UNIQUE constraint or unique index of the table.",
    refs=("P1", "P2", "P3", "P4", "P5", "P12", "P13", "P14", "P15", "P16", "S6", "S7", "S8", "S9", "S10", "S11"),
    postgresql=(
        "Plans the statement and finds no arbiter: 42P10 'there is no unique or exclusion constraint matching the ON "
        "CONFLICT specification', on every execution."
    ),
    sqlite=(
        "Rejects the statement when preparing it: 'ON CONFLICT clause does not match any PRIMARY KEY or UNIQUE "
        "constraint'."
    ),
    example=Example(
        schema=T,
        bad=(
            "INSERT INTO t (host, code) VALUES ('a', 1)\n"
            "  ON CONFLICT (host, code) DO UPDATE SET n = t.n + 1;"
        ),
        fixed_schema=T_KEY,
        fixed=(
            "-- migration: op.create_index('uq_t_host_code', 't', ['host', 'code'], unique=True)\n"
            "INSERT INTO t (host, code) VALUES ('a', 1)\n"
            "  ON CONFLICT (host, code) DO UPDATE SET n = t.n + 1;"
        ),
    ),
    applies=("yes", "yes"),
    description=(
        "The ON CONFLICT target matches no PRIMARY KEY, UNIQUE constraint or unique index of the table. PostgreSQL "
        "needs the target's column set to equal an index's key columns exactly (order and repeats irrelevant, INCLUDE "
        "columns not keys), expressions equal after parse analysis, and the target WHERE to imply a partial index's "
        "predicate. SQLite needs one term per index column and a byte-for-byte equivalent WHERE (S11), and never "
        "matches a composite index that contains the INTEGER PRIMARY KEY (S8). The hint is the migration that adds "
        "the key; when a partial unique index has the target's columns, it is that index's predicate written in the "
        "target instead (`index_where=` in SQLAlchemy), since a full key would also forbid duplicates among the rows "
        "the predicate leaves out (a soft-delete design keeps those). On SQLite built from the project's migrations, "
        "which schema-parity runs with constraint operations routed through batch mode, the hint is PostgreSQL's."
    ),
    errors=(
        (
            "PostgreSQL, when the statement is planned: `42P10 there is no unique or exclusion constraint matching the "
            "ON CONFLICT specification`"
        ),
        "SQLite, when prepared: `ON CONFLICT clause does not match any PRIMARY KEY or UNIQUE constraint`",
    ),
    doc_examples=(
        Example(
            schema=T_ID,
            bad="INSERT INTO t (id, a) VALUES (1, 1) ON CONFLICT (a) DO NOTHING;",
            fixed_schema=T_ID + "CREATE UNIQUE INDEX t_a_key ON t (a);\n",
            fixed="INSERT INTO t (id, a) VALUES (1, 1) ON CONFLICT (a) DO NOTHING;",
            fix="a migration adds the key the statement relies on",
        ),
    ),
    messages=(
        Message(
            "no-match",
            "ON CONFLICT ({target}) on {table}: there is no unique or exclusion constraint matching the ON CONFLICT "
            "specification (42P10, raised when the statement is planned). {keys}",
            "{hint}",
        ),
        Message(
            "no-match-where",
            "ON CONFLICT ({target}) WHERE {where} on {table}: there is no unique or exclusion constraint matching the "
            "ON CONFLICT specification (42P10, raised when the statement is planned). {keys}",
            "{hint}",
        ),
        Message("keys", "Keys of {table}: {keys}."),
        Message("no-keys", "{table} has no PRIMARY KEY, UNIQUE constraint or unique index."),
        Message("hint-add-constraint", 'Add the key in a migration: op.create_unique_constraint("{name}", '
            '"{table}", {columns}).'),
        Message("hint-add-index", 'Add the index in a migration: op.create_index("{name}", "{table}", '
            '[{terms}], unique=True).'),
        Message(
            "hint-add-partial-index",
            'Add the index in a migration: op.create_index("{name}", "{table}", [{terms}], unique=True, '
            'postgresql_where=sa.text("{where}"), sqlite_where=sa.text("{where}")).',
        ),
        Message(
            "sqlite-no-match",
            "{clause}ON CONFLICT clause does not match any PRIMARY KEY or UNIQUE constraint: ON CONFLICT ({target}) on "
            "{table}. {keys}",
            "{hint}",
        ),
        Message(
            "sqlite-no-match-where",
            "{clause}ON CONFLICT clause does not match any PRIMARY KEY or UNIQUE constraint: ON CONFLICT ({target}) "
            "WHERE {where} on {table}. {keys}",
            "{hint}",
        ),
        Message("sqlite-keys", "Keys of {table}: {keys}."),
        Message("sqlite-no-keys", "{table} has no PRIMARY KEY or UNIQUE constraint."),
        Message("sqlite-rowid-key", "INTEGER PRIMARY KEY {column} (the rowid)"),
        Message(
            "sqlite-hint-add-index",
            'Add the index in a migration: op.create_index("{name}", "{table}", [{terms}], unique=True{where}) '
            "(create_unique_constraint needs batch mode on SQLite).",
        ),
        Message(
            "hint-partial-predicate",
            "{name} is a partial unique index on these columns: repeat its predicate in the target, ON CONFLICT "
            '({target}) WHERE {predicate} (SQLAlchemy: index_where=sa.text("{predicate}")), rather than add a full '
            "unique key, which would also forbid duplicates among the rows the predicate leaves out.",
        ),
        Message("sqlite-hint-where", ', sqlite_where=sa.text("{where}")'),
        Message(
            "sqlite-hint-repeated-column",
            " SQLite also needs exactly one term per index column: drop the repeated column (S7).",
        ),
        Message(
            "sqlite-hint-partial-index",
            " A partial index matches only if the target repeats its WHERE exactly, token for token (S11).",
        ),
    ),
)

SP102 = Rule(
    code="SP102",
    name="do-update-without-target",
    severity="error",
    summary="PostgreSQL needs a conflict target (columns or ON CONSTRAINT) for DO UPDATE.",
    refs=("P30",),
    postgresql="Syntax error 42601: 'ON CONFLICT DO UPDATE requires inference specification or constraint name'.",
    sqlite="Accepts a target-less DO UPDATE in the last ON CONFLICT clause (it matches any uniqueness conflict).",
    example=Example(
        schema=T_KEY,
        bad=(
            "INSERT INTO t (host, code) VALUES ('a', 1)\n"
            "  ON CONFLICT DO UPDATE SET n = t.n + 1;"
        ),
        fixed=(
            "INSERT INTO t (host, code) VALUES ('a', 1)\n"
            "  ON CONFLICT (host, code) DO UPDATE SET n = t.n + 1;"
        ),
        dialects=("postgresql",),
    ),
    applies=("yes", "—"),
    description=(
        "PostgreSQL only. `DO UPDATE` needs a conflict target (columns or ON CONSTRAINT); SQLite accepts a target-less "
        "`DO UPDATE` as the last clause."
    ),
    errors=(
        (
            "PostgreSQL, parse analysis: `42601 ON CONFLICT DO UPDATE requires inference specification or constraint "
            "name`"
        ),
    ),
    doc_examples=(
        Example(
            schema=T_ID,
            bad="INSERT INTO t (id, a) VALUES (1, 1) ON CONFLICT DO UPDATE SET a = excluded.a;",
            fixed="INSERT INTO t (id, a) VALUES (1, 1) ON CONFLICT (id) DO UPDATE SET a = excluded.a;",
            dialects=("postgresql",),
        ),
    ),
    messages=(
        Message(
            "no-target",
            "ON CONFLICT DO UPDATE requires inference specification or constraint name (42601, P30).",
            "Name the conflict target, e.g. ON CONFLICT ({target}) DO UPDATE ...",
        ),
        Message(
            "no-target-no-key",
            "ON CONFLICT DO UPDATE requires inference specification or constraint name (42601, P30).",
            "Name the conflict target, e.g. ON CONFLICT (column_name) DO UPDATE ...",
        ),
    ),
)

SP103 = Rule(
    code="SP103",
    name="ordering-in-target",
    severity="error",
    summary="ASC/DESC (PostgreSQL) or NULLS FIRST/LAST (both engines) written in the conflict target.",
    refs=("P8", "S15"),
    postgresql="Rejects ASC/DESC and NULLS FIRST/LAST in the conflict target (42P10).",
    sqlite="Accepts ASC/DESC; rejects NULLS FIRST/LAST ('unsupported use of NULLS').",
    example=Example(
        schema=T_KEY,
        bad=(
            "INSERT INTO t (host, code) VALUES ('a', 1)\n"
            "  ON CONFLICT (host DESC, code) DO NOTHING;"
        ),
        fixed=(
            "INSERT INTO t (host, code) VALUES ('a', 1)\n"
            "  ON CONFLICT (host, code) DO NOTHING;"
        ),
        dialects=("postgresql",),
    ),
    applies=("yes", "NULLS only"),
    description=(
        "ASC/DESC or NULLS FIRST/LAST written in the target. PostgreSQL rejects both; SQLite accepts ASC/DESC and "
        "rejects NULLS — in the first ON CONFLICT clause only (a later clause's NULLS is ignored)."
    ),
    errors=(
        (
            "PostgreSQL, parse analysis: `42P10 ASC/DESC is not allowed in ON CONFLICT clause`, `42P10 NULLS "
            "FIRST/LAST is not allowed in ON CONFLICT clause`"
        ),
        "SQLite, when prepared: `unsupported use of NULLS FIRST` (or `LAST`)",
    ),
    doc_examples=(
        Example(
            schema=T_ID,
            bad="INSERT INTO t (id, a) VALUES (1, 1) ON CONFLICT (id DESC) DO NOTHING;",
            fixed="INSERT INTO t (id, a) VALUES (1, 1) ON CONFLICT (id) DO NOTHING;",
            dialects=("postgresql",),
            fails="on PostgreSQL",
        ),
        Example(
            schema=T_ID,
            bad="INSERT INTO t (id, a) VALUES (1, 1) ON CONFLICT (id NULLS FIRST) DO NOTHING;",
            fixed="INSERT INTO t (id, a) VALUES (1, 1) ON CONFLICT (id) DO NOTHING;",
            fails="on both",
        ),
    ),
    messages=(
        Message("order", "ASC/DESC is not allowed in ON CONFLICT clause (42P10, P8).", "Drop {order} from the target."),
        Message(
            "nulls", "NULLS FIRST/LAST is not allowed in ON CONFLICT clause (42P10, P8).", "Drop NULLS {nulls} "
            "from the target."
        ),
        Message("sqlite-nulls", "unsupported use of NULLS {nulls} (S15).", "Drop NULLS {nulls} from the target."),
    ),
)

SP104 = Rule(
    code="SP104",
    name="unsupported-syntax",
    severity="error",
    summary="The statement uses upsert syntax this engine's grammar does not have.",
    refs=("P9", "P11", "P23", "P32", "S2", "S3", "S14", "S15", "S17", "S20"),
    postgresql="Has ON CONFLICT ON CONSTRAINT, a single clause, and no empty target.",
    sqlite=(
        "Has no ON CONFLICT ON CONSTRAINT, but allows several ON CONFLICT clauses (all but the last with a target): "
        "each engine's syntax errors are reported for that engine."
    ),
    example=Example(
        schema=T_CONSTRAINT,
        bad=(
            "INSERT INTO t (host, code) VALUES ('a', 1)\n"
            "  ON CONFLICT ON CONSTRAINT uq_t_host_code DO NOTHING;"
        ),
        fixed=(
            "INSERT INTO t (host, code) VALUES ('a', 1)\n"
            "  ON CONFLICT (host, code) DO NOTHING;"
        ),
        dialects=("sqlite",),
    ),
    applies=("yes", "yes"),
    description=(
        "Upsert syntax the engine's grammar does not have. PostgreSQL: `INSERT OR REPLACE/IGNORE`, `REPLACE INTO`, "
        "more than one ON CONFLICT clause, `ON CONFLICT ()`, a qualified target column `(t.a)`, an expression that is "
        "not a function call without its own parentheses (`ON CONFLICT (a::int)`: write `ON CONFLICT ((a::int))`), `ON "
        "CONSTRAINT c WHERE ...`. SQLite: `ON CONSTRAINT`, ON CONFLICT after `DEFAULT VALUES`, `ON CONFLICT ()`, a "
        "target-less clause that is not the last. PostgreSQL also refuses a reserved word as a name (`INSERT INTO "
        "only`, `SET user = ...`), backticks (`` INSERT INTO `t` ``, SQLite's and MySQL's quotes) and a list in "
        "`ANY`, `ALL` or `SOME` (`a = ANY (1, 2)`); SQLite refuses `DEFAULT` in VALUES, and more ON CONFLICT "
        "clauses than its parser's stack holds (twelve of DO NOTHING, nine of DO UPDATE: each clause but the last "
        "keeps 8 of its 100 entries, 11 with DO UPDATE; where a clause's expression may need more than is left, "
        "the verdict is unresolved, SP901)."
    ),
    errors=(
        'PostgreSQL: `42601 syntax error at or near "OR"` (`"REPLACE"`, `"ON"`, `")"`, `"WHERE"`, `"::"`)',
        'SQLite: `near "ON": syntax error` (`near ")"`), `parser stack overflow`',
    ),
    doc_examples=(
        Example(
            schema=T_ID,
            bad="INSERT OR REPLACE INTO t (id, a) VALUES (1, 1) ON CONFLICT (id) DO NOTHING;",
            fixed="INSERT INTO t (id, a) VALUES (1, 1) ON CONFLICT (id) DO UPDATE SET a = excluded.a;",
            dialects=("postgresql",),
            fails="on PostgreSQL",
        ),
        Example(
            schema=T_ID + "CREATE UNIQUE INDEX t_a_key ON t (a);\n",
            bad="INSERT INTO t (id, a) VALUES (1, 1) ON CONFLICT ON CONSTRAINT t_a_key DO NOTHING;",
            fixed="INSERT INTO t (id, a) VALUES (1, 1) ON CONFLICT (a) DO NOTHING;",
            dialects=("sqlite",),
            fails="on SQLite",
        ),
    ),
    messages=(
        Message(
            "replace-into",
            'REPLACE INTO is SQLite syntax: PostgreSQL raises 42601 syntax error at or near "REPLACE".',
            "Use INSERT ... ON CONFLICT (...) DO UPDATE / DO NOTHING on PostgreSQL.",
        ),
        Message(
            "insert-or",
            'INSERT {alternative} is SQLite syntax: PostgreSQL raises 42601 syntax error at or near "OR".',
            "Use INSERT ... ON CONFLICT (...) DO UPDATE / DO NOTHING on PostgreSQL.",
        ),
        Message(
            "several-clauses",
            '{count} ON CONFLICT clauses: PostgreSQL allows only one (42601 syntax error at or near "ON", P32).',
            "Keep one ON CONFLICT clause on PostgreSQL; several clauses are SQLite 3.35+ syntax.",
        ),
        Message(
            "empty-target",
            'ON CONFLICT () has an empty target: 42601 syntax error at or near ")" (P9).',
            "Name the key columns, e.g. ON CONFLICT (id), or write ON CONFLICT DO NOTHING.",
        ),
        Message(
            "constraint-where",
            'ON CONFLICT ON CONSTRAINT ... WHERE is not in the grammar: 42601 syntax error at or near "WHERE" (P23).',
            "Drop the WHERE, or use a column target with WHERE instead.",
        ),
        Message(
            "qualified-column",
            'ON CONFLICT ({element}): a qualified column is a syntax error on PostgreSQL (42601 at or near ")", P11).',
            "Write the bare column ({column}).",
        ),
        Message(
            "bare-expression",
            'ON CONFLICT ({element}): syntax error at or near "{stop}" (42601): an element of the conflict target is a '
            "column, a function call or an expression in parentheses.",
            "Put the expression in parentheses: ON CONFLICT (({element})).",
        ),
        Message(
            "quantified-list",
            '{quantifier} (...) takes one array or a subquery: a list is a syntax error on PostgreSQL (42601 at or '
            'near ",").',
            "Write one array: x = ANY (ARRAY[a, b]), or x IN (a, b).",
        ),
        Message(
            "default-misplaced",
            "DEFAULT is allowed only as a whole SET value or a VALUES item: PostgreSQL raises 42601 'DEFAULT is not "
            "allowed in this context'.",
            "Write DEFAULT alone (SET a = DEFAULT), or the column's default expression itself.",
        ),
        Message(
            "subquery-in-target",
            "A subquery in the conflict target: PostgreSQL raises 0A000 'cannot use subquery in index {kind}' (the "
            "target is read as an index's expression and predicate).",
            "Write the target as the index is written: its expressions and predicate have no subquery.",
        ),
        Message(
            "subquery-columns",
            "A subquery gives {columns} column(s) where {width} value(s) are compared with it: PostgreSQL raises "
            "42601 '{error}'.",
            "Select one column for a value (x = ANY (SELECT c ...), x IN (SELECT c ...)), one per item of a row "
            "((a, b) IN (SELECT c, d ...)).",
        ),
        Message(
            "reserved-word",
            '{word} is a reserved word in PostgreSQL: unquoted, it cannot be {place} (42601 syntax error at or near '
            '"{word}").',
            'Quote it ("{word}", in the case it was created with), or qualify a table with its schema.',
        ),
        Message(
            "backtick",
            'Backticks quote names on SQLite and MySQL, not on PostgreSQL: 42601 syntax error at or near "`".',
            "Quote names with double quotes (\"name\"), which both engines read.",
        ),
        Message(
            "sqlite-default",
            'near "DEFAULT": syntax error — SQLite has no DEFAULT in VALUES (or anywhere in an expression).',
            "Leave the column out of the column list to get its default, or write the value.",
        ),
        Message(
            "sqlite-default-values",
            'near "ON": syntax error — INSERT ... DEFAULT VALUES cannot have an ON CONFLICT clause in SQLite (S14).',
            "Write the row explicitly (INSERT INTO t (col) VALUES (...) ON CONFLICT ...), or drop ON CONFLICT.",
        ),
        Message(
            "sqlite-on-constraint",
            'near "ON": syntax error — SQLite has no ON CONFLICT ON CONSTRAINT (S17).',
            "Name the constraint's columns instead: ON CONFLICT (col, ...).",
        ),
        Message(
            "sqlite-empty-target",
            'near ")": syntax error — ON CONFLICT () has an empty target (S15).',
            "Name the key columns, or write ON CONFLICT DO NOTHING.",
        ),
        Message(
            "sqlite-targetless-not-last",
            'near "ON": syntax error — the {clause} ON CONFLICT clause has no target; only the last clause may omit it '
            "(S3).",
            "Move the target-less clause to the end, or give it a target.",
        ),
        Message("sqlite-syntax", "{error}: syntax error", "Use SQLite syntax (e.g. CAST(x AS t)."),
        Message(
            "sqlite-parser-stack",
            "parser stack overflow — {count} ON CONFLICT clauses are more than SQLite's parser holds (each keeps 8 of "
            "its 100 entries, 11 with DO UPDATE, until the statement ends).",
            "Write fewer ON CONFLICT clauses (at most eleven of DO NOTHING, eight of DO UPDATE), or split the "
            "statement.",
        ),
    ),
)

SP105 = Rule(
    code="SP105",
    name="insert-select-from-ambiguity",
    severity="error",
    summary="SQLite reads ON CONFLICT after INSERT ... SELECT ... FROM t as a join constraint.",
    refs=("S13",),
    postgresql="Parses INSERT ... SELECT ... FROM src ON CONFLICT as intended.",
    sqlite=(
        "Reads the ON after 'FROM src' as a join constraint: a syntax error. Documented fix: add a WHERE clause (WHERE "
        "true) so the parser knows the SELECT has ended."
    ),
    example=Example(
        schema=T_KEY + "CREATE TABLE src (host TEXT NOT NULL, code INTEGER NOT NULL);\n",
        bad=(
            "INSERT INTO t (host, code) SELECT host, code FROM src\n"
            "  ON CONFLICT (host, code) DO NOTHING;"
        ),
        fixed=(
            "INSERT INTO t (host, code) SELECT host, code FROM src WHERE true\n"
            "  ON CONFLICT (host, code) DO NOTHING;"
        ),
        dialects=("sqlite",),
    ),
    applies=("—", "yes"),
    description=(
        "SQLite only. In `INSERT ... SELECT ... FROM <item> ON CONFLICT`, SQLite's parser reads `ON` as the join "
        "constraint of the last FROM item (S13), so the statement is a syntax error. End the SELECT with a clause (a "
        "WHERE, even `WHERE true`; with SQLAlchemy `.where(sa.true())`)."
    ),
    errors=(
        'SQLite, when prepared: `near "DO": syntax error`',
    ),
    doc_examples=(
        Example(
            schema=T_ID + "CREATE TABLE src (id integer, a integer);\n",
            bad="INSERT INTO t (id, a) SELECT id, a FROM src ON CONFLICT (id) DO NOTHING;",
            fixed="INSERT INTO t (id, a) SELECT id, a FROM src WHERE true ON CONFLICT (id) DO NOTHING;",
            dialects=("sqlite",),
        ),
    ),
    messages=(
        Message(
            "select-from-on",
            'near "DO": syntax error — in INSERT ... SELECT ... FROM <table> ON CONFLICT, SQLite reads "ON" as '
            'the join '
            "constraint of the last FROM item (parsing ambiguity, S13).",
            "End the SELECT with a WHERE clause, e.g. WHERE true, before ON CONFLICT (with SQLAlchemy: "
            ".where(sa.true())).",
        ),
    ),
)

SP106 = Rule(
    code="SP106",
    name="whole-row-target",
    severity="error",
    summary="PostgreSQL does not support a whole-row reference as conflict target.",
    refs=("P10",),
    postgresql="0A000 'whole row unique index inference specifications are not supported'.",
    sqlite="Not applicable (no whole-row references).",
    example=Example(
        schema=T_KEY,
        bad=(
            "INSERT INTO t (host, code) VALUES ('a', 1)\n"
            "  ON CONFLICT ((t.*)) DO NOTHING;"
        ),
        fixed=(
            "INSERT INTO t (host, code) VALUES ('a', 1)\n"
            "  ON CONFLICT (host, code) DO NOTHING;"
        ),
        dialects=("postgresql",),
    ),
    applies=("yes", "—"),
    description="PostgreSQL only: a whole-row reference cannot be a conflict target.",
    errors=(
        "PostgreSQL, planning: `0A000 whole row unique index inference specifications are not supported`",
    ),
    doc_examples=(
        Example(
            schema=T_ID,
            bad="INSERT INTO t (id, a) VALUES (1, 1) ON CONFLICT ((t.*)) DO NOTHING;",
            fixed="INSERT INTO t (id, a) VALUES (1, 1) ON CONFLICT (id) DO NOTHING;",
            dialects=("postgresql",),
        ),
    ),
    messages=(
        Message(
            "whole-row",
            "whole row unique index inference specifications are not supported (0A000, P10).",
            "Name the key columns instead of t.*.",
        ),
    ),
)

SP107 = Rule(
    code="SP107",
    name="unknown-constraint",
    severity="error",
    summary="ON CONSTRAINT names no PRIMARY KEY, UNIQUE or EXCLUDE constraint of the table.",
    refs=("P21", "P24", "P25"),
    postgresql=(
        "42704 'constraint ... for table ... does not exist'. A unique *index* is not a constraint: ON CONSTRAINT "
        "cannot name it."
    ),
    sqlite="Has no ON CONSTRAINT at all (SP104).",
    example=Example(
        schema=T_KEY,
        bad=(
            "INSERT INTO t (host, code) VALUES ('a', 1)\n"
            "  ON CONFLICT ON CONSTRAINT uq_t_host_code DO NOTHING;"
        ),
        fixed=(
            "INSERT INTO t (host, code) VALUES ('a', 1)\n"
            "  ON CONFLICT (host, code) DO NOTHING;"
        ),
        dialects=("postgresql",),
    ),
    applies=("yes", "—"),
    description=(
        "PostgreSQL only: `ON CONSTRAINT` names no PRIMARY KEY, UNIQUE or EXCLUDE constraint of the table — a misspelt "
        "or unquoted mixed-case name, another table's constraint, or a unique *index* (which is not a constraint, P21)."
    ),
    errors=(
        'PostgreSQL, parse analysis: `42704 constraint "t_a_uidx" for table "t" does not exist`',
    ),
    doc_examples=(
        Example(
            schema=T_ID + "CREATE UNIQUE INDEX t_a_uidx ON t (a);\n",
            bad="INSERT INTO t (id, a) VALUES (1, 1) ON CONFLICT ON CONSTRAINT t_a_uidx DO NOTHING;",
            fixed="INSERT INTO t (id, a) VALUES (1, 1) ON CONFLICT (a) DO NOTHING;",
            dialects=("postgresql",),
            fix="target the index's columns (or ALTER TABLE t ADD CONSTRAINT t_a_uidx UNIQUE USING INDEX t_a_uidx)",
        ),
    ),
    messages=(
        Message(
            "unique-index",
            'constraint "{constraint}" for table "{table}" does not exist (42704).',
            '{key} is a unique index, not a constraint (P21): target its columns instead, e.g. ON CONFLICT ({target}), '
            'or promote it with op.execute("ALTER TABLE {table} ADD CONSTRAINT {name} UNIQUE USING INDEX {name}").',
        ),
        Message(
            "spelled",
            'constraint "{constraint}" for table "{table}" does not exist (42704).',
            'The constraint is spelled "{spelled}": quote it, ON CONSTRAINT "{spelled}" (P24).',
        ),
        Message(
            "no-such-constraint", 'constraint "{constraint}" for table "{table}" does not exist (42704).', "{hint}"
        ),
        Message("hint-usable", "Constraints of {table} usable in ON CONSTRAINT: {names}."),
        Message("hint-none-usable", "{table} has no constraint usable in ON CONSTRAINT."),
    ),
)

SP108 = Rule(
    code="SP108",
    name="constraint-without-index",
    severity="error",
    summary="ON CONSTRAINT names a CHECK or FOREIGN KEY constraint, which has no index to arbitrate.",
    refs=("P22",),
    postgresql=(
        "42809 'constraint in ON CONFLICT clause has no associated index': CHECK and FOREIGN KEY constraints cannot "
        "arbitrate."
    ),
    sqlite="Has no ON CONSTRAINT at all (SP104).",
    example=Example(
        schema=T_CONSTRAINT,
        bad=(
            "INSERT INTO t (host, code) VALUES ('a', 1)\n"
            "  ON CONFLICT ON CONSTRAINT ck_t_code DO NOTHING;"
        ),
        fixed=(
            "INSERT INTO t (host, code) VALUES ('a', 1)\n"
            "  ON CONFLICT ON CONSTRAINT uq_t_host_code DO NOTHING;"
        ),
        dialects=("postgresql",),
    ),
    applies=("yes", "—"),
    description=(
        "PostgreSQL only: `ON CONSTRAINT` names a CHECK or FOREIGN KEY constraint, which has no index to arbitrate "
        "with."
    ),
    errors=(
        "PostgreSQL, planning: `42809 constraint in ON CONFLICT clause has no associated index`",
    ),
    doc_examples=(
        Example(
            schema=(
                "CREATE TABLE t (id integer PRIMARY KEY, a integer, b integer, CONSTRAINT t_a_check CHECK (a > 0));\n"
            ),
            bad="INSERT INTO t (id, a) VALUES (1, 1) ON CONFLICT ON CONSTRAINT t_a_check DO NOTHING;",
            fixed="INSERT INTO t (id, a) VALUES (1, 1) ON CONFLICT ON CONSTRAINT t_pkey DO NOTHING;",
            dialects=("postgresql",),
        ),
    ),
    messages=(
        Message(
            "no-index",
            'constraint "{constraint}" in ON CONFLICT clause has no associated index (42809): it is a CHECK, FOREIGN '
            "KEY or constraint trigger's constraint (P22).",
            "{hint}",
        ),
    ),
)

SP109 = Rule(
    code="SP109",
    name="exclusion-do-update",
    severity="error",
    summary="DO UPDATE cannot use an exclusion constraint as arbiter.",
    refs=("P26",),
    postgresql="42809 'ON CONFLICT DO UPDATE not supported with exclusion constraints'; DO NOTHING works.",
    sqlite="Has no exclusion constraints.",
    example=Example(
        schema=(
            "CREATE EXTENSION IF NOT EXISTS btree_gist;\n"
            "CREATE TABLE booking (id INTEGER PRIMARY KEY, room INTEGER NOT NULL, during INT4RANGE NOT NULL,\n"
            "  CONSTRAINT no_overlap EXCLUDE USING gist (room WITH =, during WITH &&));\n"
        ),
        bad=(
            "INSERT INTO booking (id, room, during) VALUES (1, 7, '[1,2)')\n"
            "  ON CONFLICT ON CONSTRAINT no_overlap DO UPDATE SET room = excluded.room;"
        ),
        fixed=(
            "INSERT INTO booking (id, room, during) VALUES (1, 7, '[1,2)')\n"
            "  ON CONFLICT ON CONSTRAINT no_overlap DO NOTHING;"
        ),
        dialects=("postgresql",),
    ),
    applies=("yes", "—"),
    description="PostgreSQL only: an exclusion constraint can arbitrate `DO NOTHING` but not `DO UPDATE`.",
    errors=(
        "PostgreSQL, planning: `42809 ON CONFLICT DO UPDATE not supported with exclusion constraints`",
    ),
    doc_examples=(
        Example(
            schema=(
                "CREATE TABLE r (id integer PRIMARY KEY, room integer, CONSTRAINT r_room_excl EXCLUDE USING btree "
                "(room WITH =));\n"
            ),
            bad=(
                "INSERT INTO r (id, room) VALUES (1, 1) ON CONFLICT ON CONSTRAINT r_room_excl DO UPDATE SET id = "
                "excluded.id;"
            ),
            fixed="INSERT INTO r (id, room) VALUES (1, 1) ON CONFLICT ON CONSTRAINT r_room_excl DO NOTHING;",
            dialects=("postgresql",),
        ),
    ),
    messages=(
        Message(
            "exclusion",
            "ON CONFLICT DO UPDATE not supported with exclusion constraints (42809): {key} (P26).",
            "Use DO NOTHING with the exclusion constraint, or target a unique key.",
        ),
        Message(
            "without-overlaps",
            "ON CONFLICT DO UPDATE not supported with exclusion constraints (42809): {key} (a WITHOUT OVERLAPS key is "
            "enforced as an exclusion constraint) (P26).",
            "Use DO NOTHING with the exclusion constraint, or target a unique key.",
        ),
    ),
)

SP110 = Rule(
    code="SP110",
    name="deferrable-arbiter",
    severity="error",
    summary="A DEFERRABLE constraint would be an arbiter: PostgreSQL fails as soon as a row is proposed.",
    refs=("P27", "P28"),
    postgresql=(
        "55000 'ON CONFLICT does not support deferrable unique constraints/exclusion constraints as arbiters', raised "
        "as soon as a row is proposed."
    ),
    sqlite="Unique constraints are never deferrable.",
    example=Example(
        schema=(
            "CREATE TABLE t (host TEXT NOT NULL, code INTEGER NOT NULL,\n"
            "  CONSTRAINT uq_t_host_code UNIQUE (host, code) DEFERRABLE INITIALLY DEFERRED);\n"
        ),
        bad=(
            "INSERT INTO t (host, code) VALUES ('a', 1)\n"
            "  ON CONFLICT (host, code) DO NOTHING;"
        ),
        fixed_schema=(
            "CREATE TABLE t (host TEXT NOT NULL, code INTEGER NOT NULL,\n"
            "  CONSTRAINT uq_t_host_code UNIQUE (host, code));\n"
        ),
        fixed=(
            "-- migration: recreate the constraint NOT DEFERRABLE\n"
            "INSERT INTO t (host, code) VALUES ('a', 1)\n"
            "  ON CONFLICT (host, code) DO NOTHING;"
        ),
        dialects=("postgresql",),
    ),
    applies=("yes", "—"),
    description=(
        "PostgreSQL only: a DEFERRABLE unique or exclusion constraint (even INITIALLY IMMEDIATE) would be an arbiter. "
        "The statement plans fine and fails as soon as one row is proposed. A target-less `DO NOTHING` makes every "
        "unique key an arbiter, so one deferrable constraint anywhere on the table breaks it (P27, P28)."
    ),
    errors=(
        (
            "PostgreSQL, execution: `55000 ON CONFLICT does not support deferrable unique constraints/exclusion "
            "constraints as arbiters`"
        ),
    ),
    doc_examples=(
        Example(
            schema=(
                "CREATE TABLE t (id integer PRIMARY KEY, a integer, b integer, CONSTRAINT t_a_key UNIQUE (a) "
                "DEFERRABLE);\n"
            ),
            bad="INSERT INTO t (id, a) VALUES (1, 1) ON CONFLICT (a) DO NOTHING;",
            fixed_schema=(
                "CREATE TABLE t (id integer PRIMARY KEY, a integer, b integer, CONSTRAINT t_a_key UNIQUE (a));\n"
            ),
            fixed="INSERT INTO t (id, a) VALUES (1, 1) ON CONFLICT (a) DO NOTHING;",
            dialects=("postgresql",),
            fix="the constraint is recreated NOT DEFERRABLE",
        ),
    ),
    messages=(
        Message(
            "deferrable",
            "{key} is DEFERRABLE and would be an arbiter: ON CONFLICT does not support deferrable unique "
            "constraints/exclusion constraints as arbiters (55000, raised on the first row).",
            'Recreate it NOT DEFERRABLE (op.drop_constraint("{name}", "{table}") then '
            'op.create_unique_constraint(...)), '
            "or name a target that only non-deferrable keys match.",
        ),
    ),
)

SP111 = Rule(
    code="SP111",
    name="bind-parameter-in-index-predicate",
    severity="warning",
    summary=(
        "The partial-index WHERE of the target needs a bind parameter: PostgreSQL fails once it uses a generic plan."
    ),
    refs=("P19",),
    postgresql=(
        "A partial unique index is an arbiter only if the target's WHERE implies its predicate. With a bind parameter "
        "there, custom plans can prove it but the generic plan (after five executions of a prepared statement) cannot, "
        "and then the statement fails with 42P10."
    ),
    sqlite="Needs the target's WHERE to match the index predicate term for term, so a parameter never matches.",
    example=Example(
        schema=T + "CREATE UNIQUE INDEX uq_t_host_live ON t (host) WHERE code > 0;\n",
        bad=(
            "INSERT INTO t (host, code) VALUES ($1, $2)\n"
            "  ON CONFLICT (host) WHERE code > $3 DO NOTHING;"
        ),
        fixed=(
            "INSERT INTO t (host, code) VALUES ($1, $2)\n"
            "  ON CONFLICT (host) WHERE code > 0 DO NOTHING;"
        ),
        dialects=("postgresql",),
    ),
    applies=("yes", "—"),
    description=(
        "PostgreSQL only, a warning: the target WHERE needs a bind parameter to imply the partial index's predicate. "
        "PostgreSQL proves the implication with the parameter's value in a custom plan, but once it switches to a "
        "generic plan (the 6th execution of a prepared statement; the 11th with psycopg 3's automatic preparation) it "
        "cannot, and the statement fails (P19). SQLAlchemy renders `index_where=col > 5` as a parameter on PostgreSQL."
    ),
    errors=(
        (
            "PostgreSQL, planning a generic plan: `42P10 there is no unique or exclusion constraint matching the ON "
            "CONFLICT specification`"
        ),
    ),
    doc_examples=(
        Example(
            schema=T_ID + "CREATE UNIQUE INDEX t_a_b0 ON t (a) WHERE b > 0;\n",
            bad="INSERT INTO t (id, a, b) VALUES ($1, $2, 9) ON CONFLICT (a) WHERE b > $3 DO NOTHING;",
            fixed="INSERT INTO t (id, a, b) VALUES ($1, $2, 9) ON CONFLICT (a) WHERE b > 0 DO NOTHING;",
            dialects=("postgresql",),
            fails="from the 6th EXECUTE on",
            fix='the predicate written literally (SQLAlchemy: index_where=sa.text("b > 0"))',
        ),
    ),
    messages=(
        Message(
            "parameter-predicate",
            "{key} matches only if the bind parameter(s) in the target WHERE make it imply the index predicate: "
            "PostgreSQL proves that with custom plans, but a generic plan (after 5 executions of a prepared statement) "
            "cannot, and then fails with 42P10 (P19).",
            "Write the predicate literally, as the index does: ON CONFLICT (...) WHERE {predicate} (with SQLAlchemy: "
            "index_where=sa.text(...)).",
        ),
    ),
)

SP112 = Rule(
    code="SP112",
    name="table-has-rules",
    severity="error",
    summary="PostgreSQL refuses ON CONFLICT on a table with INSERT or UPDATE rules.",
    refs=("P38",),
    postgresql="0A000 'INSERT with ON CONFLICT clause cannot be used with table that has INSERT or UPDATE rules'.",
    sqlite="Has no rules (triggers do not block upserts).",
    example=Example(
        schema=T_KEY + "CREATE RULE t_log AS ON INSERT TO t DO ALSO NOTIFY t_changed;\n",
        bad=(
            "INSERT INTO t (host, code) VALUES ('a', 1)\n"
            "  ON CONFLICT (host, code) DO NOTHING;"
        ),
        fixed_schema=T_KEY,
        fixed=(
            "-- migration: DROP RULE t_log ON t (use a trigger instead)\n"
            "INSERT INTO t (host, code) VALUES ('a', 1)\n"
            "  ON CONFLICT (host, code) DO NOTHING;"
        ),
        dialects=("postgresql",),
    ),
    applies=("yes", "—"),
    description="PostgreSQL only: ON CONFLICT cannot be used on a table with INSERT or UPDATE rules.",
    errors=(
        (
            "PostgreSQL, parse analysis: `0A000 INSERT with ON CONFLICT clause cannot be used with table that has "
            "INSERT or UPDATE rules`"
        ),
    ),
    doc_examples=(
        Example(
            schema=T_ID + (
                "CREATE TABLE log (x integer);\n"
                "CREATE RULE r AS ON INSERT TO t DO ALSO INSERT INTO log VALUES (new.id);\n"
            ),
            bad="INSERT INTO t (id, a) VALUES (1, 1) ON CONFLICT (id) DO NOTHING;",
            fixed_schema=T_ID + (
                "CREATE TABLE log (x integer);\n"
                "CREATE FUNCTION t_log() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN INSERT INTO log VALUES (NEW.id); "
                "RETURN NEW; END$$;\n"
                "CREATE TRIGGER t_log AFTER INSERT ON t FOR EACH ROW EXECUTE FUNCTION t_log();\n"
            ),
            fixed="INSERT INTO t (id, a) VALUES (1, 1) ON CONFLICT (id) DO NOTHING;",
            dialects=("postgresql",),
            fix="a trigger instead of the rule",
        ),
    ),
    messages=(
        Message(
            "rules",
            "{table} has INSERT or UPDATE rules: PostgreSQL refuses INSERT ... ON CONFLICT on it (0A000, P38).",
            "Replace the rule by a trigger, or upsert into the underlying table.",
        ),
    ),
)

FAMILY: tuple[Rule, ...] = (SP101, SP102, SP103, SP104, SP105, SP106, SP107, SP108, SP109, SP110, SP111, SP112)
