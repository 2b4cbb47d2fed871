"""Rule pages for ``schema-parity explain CODE`` and ``schema-parity rules``: what each engine does, and examples.

The registry (findings.py) holds each rule's code, name, severity and one-line summary; the pages here add what
PostgreSQL and SQLite do and a failing and a fixed example. Examples with a ``schema`` are run through the checker
by the tests (tests/test_cli_check.py), so a page cannot claim a failure the checker does not report.
"""

from __future__ import annotations

from dataclasses import dataclass

from schema_parity.catalog import DIALECTS, Dialect
from schema_parity.findings import RULES, Rule

RULES_DOC = "docs/rules.md"

_T = "CREATE TABLE t (host TEXT NOT NULL, code INTEGER NOT NULL, n INTEGER NOT NULL DEFAULT 0);\n"
_T_KEY = _T + "CREATE UNIQUE INDEX uq_t_host_code ON t (host, code);\n"
_T_CONSTRAINT = (
    "CREATE TABLE t (host TEXT NOT NULL, code INTEGER NOT NULL, n INTEGER NOT NULL DEFAULT 0,\n"
    "  CONSTRAINT uq_t_host_code UNIQUE (host, code), CONSTRAINT ck_t_code CHECK (code > 0));\n"
)


@dataclass(frozen=True)
class RulePage:
    """``bad`` fails and ``fixed`` passes against ``schema`` (``fixed_schema`` when the fix is a migration)."""

    postgresql: str
    sqlite: str
    bad: str
    fixed: str
    schema: str | None = None
    fixed_schema: str | None = None
    dialects: tuple[Dialect, ...] = DIALECTS
    language: str = "sql"


PAGES: dict[str, RulePage] = {
    "SP101": RulePage(
        postgresql="Plans the statement and finds no arbiter: 42P10 'there is no unique or exclusion constraint "
        "matching the ON CONFLICT specification', on every execution.",
        sqlite="Rejects the statement when preparing it: 'ON CONFLICT clause does not match any PRIMARY KEY or "
        "UNIQUE constraint'.",
        schema=_T,
        bad="INSERT INTO t (host, code) VALUES ('a', 1)\n  ON CONFLICT (host, code) DO UPDATE SET n = t.n + 1;",
        fixed_schema=_T_KEY,
        fixed="-- migration: op.create_index('uq_t_host_code', 't', ['host', 'code'], unique=True)\n"
        "INSERT INTO t (host, code) VALUES ('a', 1)\n  ON CONFLICT (host, code) DO UPDATE SET n = t.n + 1;",
    ),
    "SP102": RulePage(
        postgresql="Syntax error 42601: 'ON CONFLICT DO UPDATE requires inference specification or constraint name'.",
        sqlite="Accepts a target-less DO UPDATE in the last ON CONFLICT clause (it matches any uniqueness conflict).",
        schema=_T_KEY,
        bad="INSERT INTO t (host, code) VALUES ('a', 1)\n  ON CONFLICT DO UPDATE SET n = t.n + 1;",
        fixed="INSERT INTO t (host, code) VALUES ('a', 1)\n  ON CONFLICT (host, code) DO UPDATE SET n = t.n + 1;",
        dialects=("postgresql",),
    ),
    "SP103": RulePage(
        postgresql="Rejects ASC/DESC and NULLS FIRST/LAST in the conflict target (42P10).",
        sqlite="Accepts ASC/DESC; rejects NULLS FIRST/LAST ('unsupported use of NULLS').",
        schema=_T_KEY,
        bad="INSERT INTO t (host, code) VALUES ('a', 1)\n  ON CONFLICT (host DESC, code) DO NOTHING;",
        fixed="INSERT INTO t (host, code) VALUES ('a', 1)\n  ON CONFLICT (host, code) DO NOTHING;",
        dialects=("postgresql",),
    ),
    "SP104": RulePage(
        postgresql="Has ON CONFLICT ON CONSTRAINT, a single clause, and no empty target.",
        sqlite="Has no ON CONFLICT ON CONSTRAINT, but allows several ON CONFLICT clauses (all but the last with "
        "a target): each engine's syntax errors are reported for that engine.",
        schema=_T_CONSTRAINT,
        bad="INSERT INTO t (host, code) VALUES ('a', 1)\n  ON CONFLICT ON CONSTRAINT uq_t_host_code DO NOTHING;",
        fixed="INSERT INTO t (host, code) VALUES ('a', 1)\n  ON CONFLICT (host, code) DO NOTHING;",
        dialects=("sqlite",),
    ),
    "SP105": RulePage(
        postgresql="Parses INSERT ... SELECT ... FROM src ON CONFLICT as intended.",
        sqlite="Reads the ON after 'FROM src' as a join constraint: a syntax error. Documented fix: add a WHERE "
        "clause (WHERE true) so the parser knows the SELECT has ended.",
        schema=_T_KEY + "CREATE TABLE src (host TEXT NOT NULL, code INTEGER NOT NULL);\n",
        bad="INSERT INTO t (host, code) SELECT host, code FROM src\n  ON CONFLICT (host, code) DO NOTHING;",
        fixed="INSERT INTO t (host, code) SELECT host, code FROM src WHERE true\n"
        "  ON CONFLICT (host, code) DO NOTHING;",
        dialects=("sqlite",),
    ),
    "SP106": RulePage(
        postgresql="0A000 'whole row unique index inference specifications are not supported'.",
        sqlite="Not applicable (no whole-row references).",
        schema=_T_KEY,
        bad="INSERT INTO t (host, code) VALUES ('a', 1)\n  ON CONFLICT ((t.*)) DO NOTHING;",
        fixed="INSERT INTO t (host, code) VALUES ('a', 1)\n  ON CONFLICT (host, code) DO NOTHING;",
        dialects=("postgresql",),
    ),
    "SP107": RulePage(
        postgresql="42704 'constraint ... for table ... does not exist'. A unique *index* is not a constraint: "
        "ON CONSTRAINT cannot name it.",
        sqlite="Has no ON CONSTRAINT at all (SP104).",
        schema=_T_KEY,
        bad="INSERT INTO t (host, code) VALUES ('a', 1)\n  ON CONFLICT ON CONSTRAINT uq_t_host_code DO NOTHING;",
        fixed="INSERT INTO t (host, code) VALUES ('a', 1)\n  ON CONFLICT (host, code) DO NOTHING;",
        dialects=("postgresql",),
    ),
    "SP108": RulePage(
        postgresql="42809 'constraint in ON CONFLICT clause has no associated index': CHECK and FOREIGN KEY "
        "constraints cannot arbitrate.",
        sqlite="Has no ON CONSTRAINT at all (SP104).",
        schema=_T_CONSTRAINT,
        bad="INSERT INTO t (host, code) VALUES ('a', 1)\n  ON CONFLICT ON CONSTRAINT ck_t_code DO NOTHING;",
        fixed="INSERT INTO t (host, code) VALUES ('a', 1)\n  ON CONFLICT ON CONSTRAINT uq_t_host_code DO NOTHING;",
        dialects=("postgresql",),
    ),
    "SP109": RulePage(
        postgresql="42809 'ON CONFLICT DO UPDATE not supported with exclusion constraints'; DO NOTHING works.",
        sqlite="Has no exclusion constraints.",
        schema="CREATE EXTENSION IF NOT EXISTS btree_gist;\n"
        "CREATE TABLE booking (id INTEGER PRIMARY KEY, room INTEGER NOT NULL, during INT4RANGE NOT NULL,\n"
        "  CONSTRAINT no_overlap EXCLUDE USING gist (room WITH =, during WITH &&));\n",
        bad="INSERT INTO booking (id, room, during) VALUES (1, 7, '[1,2)')\n"
        "  ON CONFLICT ON CONSTRAINT no_overlap DO UPDATE SET room = excluded.room;",
        fixed="INSERT INTO booking (id, room, during) VALUES (1, 7, '[1,2)')\n"
        "  ON CONFLICT ON CONSTRAINT no_overlap DO NOTHING;",
        dialects=("postgresql",),
    ),
    "SP110": RulePage(
        postgresql="55000 'ON CONFLICT does not support deferrable unique constraints/exclusion constraints as "
        "arbiters', raised as soon as a row is proposed.",
        sqlite="Unique constraints are never deferrable.",
        schema="CREATE TABLE t (host TEXT NOT NULL, code INTEGER NOT NULL,\n"
        "  CONSTRAINT uq_t_host_code UNIQUE (host, code) DEFERRABLE INITIALLY DEFERRED);\n",
        fixed_schema="CREATE TABLE t (host TEXT NOT NULL, code INTEGER NOT NULL,\n"
        "  CONSTRAINT uq_t_host_code UNIQUE (host, code));\n",
        bad="INSERT INTO t (host, code) VALUES ('a', 1)\n  ON CONFLICT (host, code) DO NOTHING;",
        fixed="-- migration: recreate the constraint NOT DEFERRABLE\n"
        "INSERT INTO t (host, code) VALUES ('a', 1)\n  ON CONFLICT (host, code) DO NOTHING;",
        dialects=("postgresql",),
    ),
    "SP111": RulePage(
        postgresql="A partial unique index is an arbiter only if the target's WHERE implies its predicate. With a "
        "bind parameter there, custom plans can prove it but the generic plan (after five executions of a "
        "prepared statement) cannot, and then the statement fails with 42P10.",
        sqlite="Needs the target's WHERE to match the index predicate term for term, so a parameter never matches.",
        schema=_T + "CREATE UNIQUE INDEX uq_t_host_live ON t (host) WHERE code > 0;\n",
        bad="INSERT INTO t (host, code) VALUES ($1, $2)\n  ON CONFLICT (host) WHERE code > $3 DO NOTHING;",
        fixed="INSERT INTO t (host, code) VALUES ($1, $2)\n  ON CONFLICT (host) WHERE code > 0 DO NOTHING;",
        dialects=("postgresql",),
    ),
    "SP112": RulePage(
        postgresql="0A000 'INSERT with ON CONFLICT clause cannot be used with table that has INSERT or UPDATE "
        "rules'.",
        sqlite="Has no rules (triggers do not block upserts).",
        schema=_T_KEY + "CREATE RULE t_log AS ON INSERT TO t DO ALSO NOTIFY t_changed;\n",
        fixed_schema=_T_KEY,
        bad="INSERT INTO t (host, code) VALUES ('a', 1)\n  ON CONFLICT (host, code) DO NOTHING;",
        fixed="-- migration: DROP RULE t_log ON t (use a trigger instead)\n"
        "INSERT INTO t (host, code) VALUES ('a', 1)\n  ON CONFLICT (host, code) DO NOTHING;",
        dialects=("postgresql",),
    ),
    "SP201": RulePage(
        postgresql="42P01 'relation ... does not exist'.",
        sqlite="'no such table'.",
        schema=_T_KEY,
        bad="INSERT INTO hosts (host, code) VALUES ('a', 1)\n  ON CONFLICT (host, code) DO NOTHING;",
        fixed="INSERT INTO t (host, code) VALUES ('a', 1)\n  ON CONFLICT (host, code) DO NOTHING;",
    ),
    "SP202": RulePage(
        postgresql="42703 'column ... does not exist' (column list, target, SET, excluded.*).",
        sqlite="'table ... has no column named ...' or 'no such column'.",
        schema=_T_KEY,
        bad="INSERT INTO t (host, code) VALUES ('a', 1)\n  ON CONFLICT (host, code) DO UPDATE SET hits = t.n + 1;",
        fixed="INSERT INTO t (host, code) VALUES ('a', 1)\n  ON CONFLICT (host, code) DO UPDATE SET n = t.n + 1;",
    ),
    "SP203": RulePage(
        postgresql="42P01 'missing FROM-clause entry for table ...': only the table (or its alias) and excluded "
        "are in scope.",
        sqlite="'no such column: other.n'.",
        schema=_T_KEY,
        bad="INSERT INTO t (host, code) VALUES ('a', 1)\n  ON CONFLICT (host, code) DO UPDATE SET n = other.n + 1;",
        fixed="INSERT INTO t (host, code) VALUES ('a', 1)\n  ON CONFLICT (host, code) DO UPDATE SET n = t.n + 1;",
    ),
    "SP204": RulePage(
        postgresql="Views are judged through their base table (not reported).",
        sqlite="'cannot modify v because it is a view' ('cannot UPSERT a view' when an INSTEAD OF trigger makes it "
        "writable); virtual tables: 'UPSERT not implemented for virtual table'.",
        schema=_T_KEY + "CREATE VIEW v AS SELECT * FROM t;\n",
        bad="INSERT INTO v (host, code) VALUES ('a', 1)\n  ON CONFLICT DO NOTHING;",
        fixed="INSERT INTO t (host, code) VALUES ('a', 1)\n  ON CONFLICT DO NOTHING;",
        dialects=("sqlite",),
    ),
    "SP205": RulePage(
        postgresql="42702 'column reference ... is ambiguous': in DO UPDATE both the table and excluded have the "
        "column.",
        sqlite="Resolves an unqualified name to the table's column.",
        schema=_T_KEY,
        bad="INSERT INTO t (host, code) VALUES ('a', 1)\n  ON CONFLICT (host, code) DO UPDATE SET n = n + 1;",
        fixed="INSERT INTO t (host, code) VALUES ('a', 1)\n  ON CONFLICT (host, code) DO UPDATE SET n = t.n + 1;",
        dialects=("postgresql",),
    ),
    "SP301": RulePage(
        postgresql="23502 'null value in column ... violates not-null constraint' for every row; ON CONFLICT "
        "never arbitrates NOT NULL violations.",
        sqlite="'NOT NULL constraint failed' for every row.",
        schema=_T_KEY,
        bad="INSERT INTO t (host) VALUES ('a')\n  ON CONFLICT (host, code) DO NOTHING;",
        fixed="INSERT INTO t (host, code) VALUES ('a', 1)\n  ON CONFLICT (host, code) DO NOTHING;",
    ),
    "SP501": RulePage(
        postgresql="Not an engine error: the migrations build this table's keys differently on PostgreSQL than on "
        "SQLite (a partial index whose predicate only PostgreSQL gets, a constraint created under a dialect "
        "guard), so tests that run on SQLite exercise other keys than production has.",
        sqlite="The same, seen from SQLite: the key is missing here, or has another predicate.",
        bad="op.create_index('ix_live_sku', 'item', ['sku'], unique=True,\n"
        "                postgresql_where=sa.text('NOT deleted'))  # a full unique index on SQLite",
        fixed="op.create_index('ix_live_sku', 'item', ['sku'], unique=True,\n"
        "                postgresql_where=sa.text('NOT deleted'), sqlite_where=sa.text('NOT deleted'))",
        language="python",
    ),
    "SP502": RulePage(
        postgresql="A DEFERRABLE key is never an ON CONFLICT arbiter: 55000 on the first row (SP110), and a "
        "deferred key's violations surface at commit.",
        sqlite="Has no deferrable UNIQUE (a syntax error): the migrations create the key immediate there, so the "
        "SQLite tests resolve upserts through a key PostgreSQL will not use.",
        bad="op.create_unique_constraint('uq_item_sku', 'item', ['sku'], deferrable=True)",
        fixed="op.create_unique_constraint('uq_item_sku', 'item', ['sku'])",
        language="python",
    ),
    "SP901": RulePage(
        postgresql="Not decided: the statement's table or target is built at run time, or the schema lacks what "
        "the rule needs. The reason names what is missing.",
        sqlite="The same.",
        bad='cur.execute(f"INSERT INTO {table} (host, code) VALUES (?, ?) ON CONFLICT (host, code) DO NOTHING")',
        fixed='cur.execute("INSERT INTO t (host, code) VALUES (?, ?) ON CONFLICT (host, code) DO NOTHING")',
        language="python",
    ),
    "SP902": RulePage(
        postgresql="Not decided: the text is not an INSERT the checker can parse.",
        sqlite="The same.",
        bad="INSERT INTO t (host, code) VALUES ('a', 1 ON CONFLICT (host, code) DO NOTHING;",
        fixed="INSERT INTO t (host, code) VALUES ('a', 1) ON CONFLICT (host, code) DO NOTHING;",
    ),
    "SP903": RulePage(
        postgresql="Not applicable: the file could not be read (not UTF-8, invalid Python), so its upserts are "
        "unchecked.",
        sqlite="The same.",
        bad="def f(:  # a syntax error hides every upsert in the file",
        fixed="def f():",
        language="python",
    ),
    "SP904": RulePage(
        postgresql="Not an engine rule: a suppression comment that suppresses nothing (reported with "
        "--report-unused-suppressions).",
        sqlite="The same.",
        bad="-- schema-parity: ignore[SP101]\nINSERT INTO t (host, code) VALUES ('a', 1)\n"
        "  ON CONFLICT (host, code) DO NOTHING;  -- the key exists now",
        fixed="INSERT INTO t (host, code) VALUES ('a', 1)\n  ON CONFLICT (host, code) DO NOTHING;",
    ),
    "SP905": RulePage(
        postgresql="Not an engine rule: with --verify the statement ran (planned, executed, rolled back) on a "
        "scratch database migrated to its revision, and the answer contradicts the static verdict. Trust the "
        "engine, and report the finding: it is a bug of schema-parity (docs/verify.md).",
        sqlite="The same, on an in-memory SQLite database.",
        bad="-- the static verdict says ok, PostgreSQL says 42P10: SP905 with both answers\n"
        "INSERT INTO t (host, code) VALUES ('a', 1)\n  ON CONFLICT (host, code) DO NOTHING;",
        fixed="-- (after the fix in schema-parity) both say the same\n"
        "INSERT INTO t (host, code) VALUES ('a', 1)\n  ON CONFLICT (host, code) DO NOTHING;",
    ),
}


def rule_anchor(rule: Rule) -> str:
    """The docs/rules.md heading anchor, ``## SP101 no-matching-key`` -> ``sp101-no-matching-key``."""
    return f"{rule.code.lower()}-{rule.name}"


def render_rules() -> str:
    """One line per rule: code, default severity, name, summary."""
    rows = [f"{r.code}  {r.severity:<7}  {r.name:<34}  {r.summary}" for r in sorted(RULES.values(), key=_key)]
    return "\n".join(rows) + f"\n\nDetails: schema-parity explain CODE, or {RULES_DOC}.\n"


def render_explain(code: str) -> str:
    """The rule's page as plain text (KeyError for an unknown code)."""
    rule = RULES[code.upper()]
    page = PAGES.get(rule.code)
    out = [f"{rule.code} {rule.name} (default severity: {rule.severity})", "", rule.summary, ""]
    if page is not None:
        out += [f"PostgreSQL: {page.postgresql}", f"SQLite: {page.sqlite}", ""]
        if page.schema:
            out += ["Schema:", _indent(page.schema), ""]
        out += [f"Fails ({', '.join(page.dialects)}):", _indent(page.bad), ""]
        if page.fixed_schema:
            out += ["Fixed schema:", _indent(page.fixed_schema), ""]
        out += ["Fixed:", _indent(page.fixed), ""]
    out += [
        f"Suppress: # schema-parity: ignore[{rule.code}] (-- in SQL); select/ignore: --select/--ignore {rule.code}",
        f"More: {RULES_DOC}#{rule_anchor(rule)} in the schema-parity repository",
    ]
    return "\n".join(out) + "\n"


def _indent(text: str) -> str:
    return "\n".join(f"    {line}" for line in text.rstrip("\n").splitlines())


def _key(rule: Rule) -> str:
    return rule.code
