"""SP6xx: deploy safety, the old code against the new schema and the new code against the old one (deploy.py).

Reported only by ``check --deploy-from REV`` (docs/deploy.md). SP601 and SP602 are warnings that become errors for
the deploy order chosen with ``--deploy-order``, and for every order when no order is safe; SP603 (no order is safe
for one statement) is always an error.
"""

from __future__ import annotations

from schema_parity.rules.rule import Example, Message, Rule

_DROP_OLD = "op.drop_constraint('uq_item_sku', 'item')  # the running code upserts ON CONFLICT (sku)"
_KEEP_OLD = "# keep uq_item_sku until no deployed code upserts ON CONFLICT (sku); drop it in a later migration"

SP601 = Rule(
    code="SP601",
    name="deploy-migrations-first-unsafe",
    severity="warning",
    summary="Migrations first breaks the running code: a revision drops or changes a key an old upsert needs.",
    postgresql=(
        "The old code's upsert runs against the new schema while the new code is not deployed yet: with the key "
        "gone or changed, no unique index matches the conflict target (42P10) or the statement no longer parses "
        "against the table."
    ),
    sqlite="The same: `ON CONFLICT clause does not match any PRIMARY KEY or UNIQUE constraint` until the code follows.",
    example=Example(bad=_DROP_OLD, fixed=_KEEP_OLD, language="python"),
    applies=("deploy", "deploy"),
    description=(
        "Reported by `check --deploy-from REV` at an upsert of the code production runs now (the old code) that the "
        "ordinary check accepts on the old schema and rejects on the new one: running the migrations before the "
        "new code is deployed breaks it until the code follows. The message names the first revision after which "
        "the statement fails (the one that drops or changes the key its target needs) and the engine's error. "
        "Deploy the code first when SP602 allows it, or keep the old key until no old code runs. A warning, raised "
        "to an error by `--deploy-order migrations-first` and when no order is safe (see docs/deploy.md)."
    ),
    doc_examples=(
        Example(
            bad=_DROP_OLD,
            fixed=_KEEP_OLD,
            language="python",
            fails="(deploy): the old code fails between the migration and the code deploy",
            fix="drop the key after the code that needs it is gone",
        ),
    ),
    messages=(
        Message(
            "breaks-old-code",
            "migrations first breaks the running code on {dialect}: {cause} changes what this statement "
            "needs, and the old code then fails: {problem}",
        ),
        Message(
            "breaks-kept-statement",
            "migrations first breaks the running code on {dialect}: {cause} changes what this statement "
            "needs, and the change keeps this statement as it is, so it fails once the migrations ran, whatever the "
            "order: {problem}",
        ),
        Message(
            "finding",
            "{problem} [{cause}]{located}",
            "Deploy the code first, or keep the old key until the old code is gone (drop it in a later migration).",
        ),
        Message("in-old-code", " (in the old code, {described})"),
    ),
)

SP602 = Rule(
    code="SP602",
    name="deploy-code-first-unsafe",
    severity="warning",
    summary="Code first breaks the new code: it upserts on a key only a migration not yet run creates.",
    postgresql=(
        "The new code's upsert runs against the old schema before the migrations: the key its conflict target "
        "needs does not exist yet (42P10), or the column it names is missing (42703)."
    ),
    sqlite="The same on SQLite: no matching PRIMARY KEY or UNIQUE constraint (or no such column) until the migration.",
    example=Example(
        bad="INSERT INTO item (sku, price) VALUES ('a', 1) ON CONFLICT (sku) DO NOTHING  -- uq_item_sku is new",
        fixed="-- deploy the migration that creates uq_item_sku first, then this code",
    ),
    applies=("deploy", "deploy"),
    description=(
        "Reported by `check --deploy-from REV` at an upsert of the new code that the ordinary check accepts on the "
        "new schema and rejects on the old one (the revision production runs): deploying the code before the "
        "migrations breaks it until they run. The message names the revision that gives the statement what it "
        "needs. Run the migrations first when SP601 allows it. A warning, raised to an error by "
        "`--deploy-order code-first` and when no order is safe."
    ),
    doc_examples=(
        Example(
            bad="INSERT INTO item (sku) VALUES ('a') ON CONFLICT (sku) DO NOTHING;",
            fixed="-- the same statement, deployed after the migration that creates the key",
            fails="(deploy): on the old schema, before the migration that adds the key",
            fix="run the migrations first",
        ),
    ),
    messages=(
        Message(
            "fails-on-old-schema",
            "code first runs this statement on the old schema on {dialect} before {cause} gives it what it "
            "needs, and it fails: {problem}",
        ),
        Message(
            "finding",
            "{problem} [{cause}]{located}",
            "Run the migrations first, or ship the code that needs the new key after the migration is deployed.",
        ),
    ),
)

SP603 = Rule(
    code="SP603",
    name="deploy-needs-two-steps",
    severity="error",
    summary="No deploy order is safe for an upsert: the old code fails on the new schema and the new code on the old.",
    postgresql=(
        "Both middle states fail: the migration removes the key the old statement needs while the new statement "
        "needs a key only the migration creates (a key narrowed or widened together with the code)."
    ),
    sqlite="The same on SQLite.",
    example=Example(
        bad="op.drop_constraint('uq_item_sku', 'item'); op.create_unique_constraint('uq_item_sku_shop', 'item', "
        "['sku', 'shop'])  # and the code moves to ON CONFLICT (sku, shop)",
        fixed="# step 1: create uq_item_sku_shop (keep uq_item_sku), deploy the code; step 2: drop uq_item_sku",
        language="python",
    ),
    applies=("deploy", "deploy"),
    description=(
        "Reported by `check --deploy-from REV` when one statement (the same statement in the old and the new code, "
        "or the statement the change rewrote in the same file) fails in both middle states: whichever goes first, "
        "the migrations or the code, something breaks until the other follows. The fix needs two deploys: first a "
        "migration that adds the new key and keeps the old one, with the new code; then, once no old code runs, "
        "a migration that drops or changes the old key. Always an error."
    ),
    doc_examples=(
        Example(
            bad=(
                "op.drop_constraint('uq_item_sku', 'item')\n"
                "op.create_unique_constraint('uq_item_sku_shop', 'item', ['sku', 'shop'])"
            ),
            fixed=(
                "# deploy 1: op.create_unique_constraint('uq_item_sku_shop', 'item', ['sku', 'shop']) + the new code\n"
                "# deploy 2: op.drop_constraint('uq_item_sku', 'item')"
            ),
            language="python",
            fails="(deploy): the code moved to ON CONFLICT (sku, shop) in the same change",
            fix="two deploys",
        ),
    ),
    messages=(
        Message(
            "kept-statement",
            "no deploy order is safe for this statement: the migrations break it and the change keeps it",
            "Deploy in two steps: first change the statement (with a migration that adds the key it will need, keeping "
            "the old one); then, when no old code runs, the migration that drops or changes the old key.",
        ),
        Message(
            "changed-statement",
            "no deploy order is safe for this statement: the old code fails on the new schema and the new code fails "
            "on the old one{located}",
            "Deploy in two steps: first a migration that adds the new key and keeps the old one, with the new code (or "
            "the new code alone once that migration is out); then, when no old code runs, a migration that drops or "
            "changes the old key.",
        ),
    ),
)

FAMILY: tuple[Rule, ...] = (SP601, SP602, SP603)
