"""SP5xx: engine drift, the same schema source giving SQLite and PostgreSQL different keys (see engine_drift.py).

Warnings placed at each upsert into such a table: each engine's verdict may be right, but a test suite on SQLite
then exercises other keys than production enforces. Their examples are migrations, run on both engines by
tests/test_engine_drift.py.
"""

from __future__ import annotations

from schema_parity.rules.rule import Example, Message, Rule

SP501 = Rule(
    code="SP501",
    name="engine-key-drift",
    severity="warning",
    summary="The schema gives the table other keys on SQLite than on PostgreSQL: SQLite tests exercise other keys.",
    postgresql=(
        "Not an engine error: the migrations build this table's keys differently on PostgreSQL than on SQLite (a "
        "partial index whose predicate only PostgreSQL gets, a constraint created under a dialect guard), so tests "
        "that run on SQLite exercise other keys than production has."
    ),
    sqlite="The same, seen from SQLite: the key is missing here, or has another predicate.",
    example=Example(
        bad=(
            "op.create_index('ix_live_sku', 'item', ['sku'], unique=True,\n"
            "                postgresql_where=sa.text('NOT deleted'))  # a full unique index on SQLite"
        ),
        fixed=(
            "op.create_index('ix_live_sku', 'item', ['sku'], unique=True,\n"
            "                postgresql_where=sa.text('NOT deleted'), sqlite_where=sa.text('NOT deleted'))"
        ),
        language="python",
    ),
    applies=("drift", "drift"),
    description=(
        "A warning, not an engine error: the schema source builds the table's keys differently on SQLite than on "
        "PostgreSQL, and an upsert writes to that table. Each engine's verdict may be right for that engine, but a "
        "test suite that runs on SQLite then exercises other keys than production enforces. The usual causes are a "
        "partial unique index with `postgresql_where=` and no `sqlite_where=` (a full unique index on SQLite), and a "
        'constraint created under `if op.get_context().dialect.name == "postgresql":`. Keys are matched by what they '
        "are (columns or expressions, predicate, NULLS NOT DISTINCT), never by name; exclusion constraints are left "
        "out (SQLite has none). It is reported only when both dialects are checked."
    ),
    doc_examples=(
        Example(
            bad='op.create_index("ix_live_sku", "item", ["sku"], unique=True, postgresql_where=sa.text("NOT deleted"))',
            fixed=(
                'op.create_index("ix_live_sku", "item", ["sku"], unique=True,\n'
                '                postgresql_where=sa.text("NOT deleted"), sqlite_where=sa.text("NOT deleted"))'
            ),
            language="python",
            fails="(warned): a full unique index on SQLite, a partial one on PostgreSQL",
            fix="the same predicate on both engines",
        ),
    ),
    messages=(
        Message(
            "keys-differ",
            "The schema gives {table} different keys on the two engines ({sides}): tests that run on SQLite exercise "
            "other keys than PostgreSQL enforces in production.",
            "Build the same key on both engines: give a partial index sqlite_where= next to postgresql_where=, and "
            "create a constraint outside its dialect guard (or an equivalent one in the other branch).",
        ),
        Message("only-postgresql", "only on PostgreSQL: {keys}"),
        Message("only-sqlite", "only on SQLite: {keys}"),
    ),
)

SP502 = Rule(
    code="SP502",
    name="engine-deferral-drift",
    severity="warning",
    summary="A key PostgreSQL defers is checked at once on SQLite: SQLite resolves upserts PostgreSQL rejects.",
    refs=("P27", "P28"),
    postgresql=(
        "A DEFERRABLE key is never an ON CONFLICT arbiter: 55000 on the first row (SP110), and a deferred key's "
        "violations surface at commit."
    ),
    sqlite=(
        "Has no deferrable UNIQUE (a syntax error): the migrations create the key immediate there, so the SQLite tests "
        "resolve upserts through a key PostgreSQL will not use."
    ),
    example=Example(
        bad="op.create_unique_constraint('uq_item_sku', 'item', ['sku'], deferrable=True)",
        fixed="op.create_unique_constraint('uq_item_sku', 'item', ['sku'])",
        language="python",
    ),
    applies=("drift", "drift"),
    description=(
        "A warning: a key is `DEFERRABLE` on PostgreSQL and immediate on SQLite. SQLite cannot declare a deferrable "
        "UNIQUE or PRIMARY KEY at all, so the migrations create it immediate there (instead of stopping the SQLite "
        "run). On PostgreSQL such a key is never an ON CONFLICT arbiter (P27, P28: `55000` on the first row, SP110), "
        "and a deferred key's violations surface at commit; on SQLite the same upsert resolves through it. The SQLite "
        "suite passes an upsert production rejects."
    ),
    doc_examples=(
        Example(
            bad='op.create_unique_constraint("uq_item_sku", "item", ["sku"], deferrable=True)',
            fixed='op.create_unique_constraint("uq_item_sku", "item", ["sku"])',
            language="python",
            fails="(warned)",
            fix="if upserts rely on the key",
        ),
    ),
    messages=(
        Message(
            "initially-immediate",
            "{key} of {table} is DEFERRABLE INITIALLY IMMEDIATE on PostgreSQL and checked at once on SQLite: on "
            "PostgreSQL it is never the arbiter of an ON CONFLICT clause, so an upsert that SQLite resolves through it "
            "fails there.",
            "Make the key NOT DEFERRABLE if upserts rely on it, or give the upsert a key that is not deferrable.",
        ),
        Message(
            "initially-deferred",
            "{key} of {table} is DEFERRABLE INITIALLY DEFERRED on PostgreSQL and checked at once on SQLite: on "
            "PostgreSQL it is never the arbiter of an ON CONFLICT clause and its violations surface at commit, so an "
            "upsert that SQLite resolves through it fails there.",
            "Make the key NOT DEFERRABLE if upserts rely on it, or give the upsert a key that is not deferrable.",
        ),
    ),
)

FAMILY: tuple[Rule, ...] = (SP501, SP502)
