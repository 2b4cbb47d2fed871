"""SP9xx: what the checker could not decide (or read, or agree on with the engine); not engine errors."""

from __future__ import annotations

from schema_parity.rules.rule import Example, Rule

SP901 = Rule(
    code="SP901",
    name="unresolved",
    severity="info",
    summary="The checker cannot decide this statement from the schema alone; the reason says what is missing.",
    postgresql=(
        "Not decided: the statement's table or target is built at run time, or the schema lacks what the rule needs. "
        "The reason names what is missing."
    ),
    sqlite="The same.",
    example=Example(
        bad='cur.execute(f"INSERT INTO {table} (host, code) VALUES (?, ?) ON CONFLICT (host, code) DO NOTHING")',
        fixed='cur.execute("INSERT INTO t (host, code) VALUES (?, ?) ON CONFLICT (host, code) DO NOTHING")',
        language="python",
    ),
    applies=("checker", "checker"),
    description=(
        "Not an engine error: the checker cannot decide the statement from the schema alone, and says what is missing "
        "— a view's base table on PostgreSQL, a table that exists only in a non-default schema (the answer depends on "
        "`search_path`), an opclass whose default the checker does not know, a partial index on a text range whose "
        "implication depends on the order of two different strings in the column's collation (`WHERE b > 'a'` targeted "
        "with `WHERE b = 'B'`: true under ICU, false under C), an expression form SQLite's comparison needs that the "
        "checker does not model. The verdict is `unresolved` (severity info), never a guess."
    ),
)

SP902 = Rule(
    code="SP902",
    name="parse-error",
    severity="info",
    summary="The statement could not be parsed as an INSERT.",
    postgresql="Not decided: the text is not an INSERT the checker can parse.",
    sqlite="The same.",
    example=Example(
        bad="INSERT INTO t (host, code) VALUES ('a', 1 ON CONFLICT (host, code) DO NOTHING;",
        fixed="INSERT INTO t (host, code) VALUES ('a', 1) ON CONFLICT (host, code) DO NOTHING;",
    ),
    applies=("checker", "checker"),
    description=(
        "Not an engine error: the statement could not be read as one INSERT (for example `... DO SOMETHING`, or two "
        "statements in one string). Fix the statement, or check it on the engine directly."
    ),
)

SP903 = Rule(
    code="SP903",
    name="unreadable-file",
    severity="warning",
    summary="A scanned file could not be read or parsed, so its upserts are unchecked.",
    postgresql="Not applicable: the file could not be read (not UTF-8, invalid Python), so its upserts are unchecked.",
    sqlite="The same.",
    example=Example(
        bad="def f(:  # a syntax error hides every upsert in the file",
        fixed="def f():",
        language="python",
    ),
    applies=("checker", "checker"),
    description=(
        "Not an engine error: a scanned file could not be read or parsed (not UTF-8, a Python syntax error), so its "
        "upserts are unchecked."
    ),
)

SP904 = Rule(
    code="SP904",
    name="unused-suppression",
    severity="warning",
    summary="A schema-parity: ignore comment suppresses nothing (the finding is gone, or the code is wrong).",
    postgresql=(
        "Not an engine rule: a suppression comment that suppresses nothing (reported with "
        "--report-unused-suppressions)."
    ),
    sqlite="The same.",
    example=Example(
        bad=(
            "-- schema-parity: ignore[SP101]\n"
            "INSERT INTO t (host, code) VALUES ('a', 1)\n"
            "  ON CONFLICT (host, code) DO NOTHING;  -- the key exists now"
        ),
        fixed=(
            "INSERT INTO t (host, code) VALUES ('a', 1)\n"
            "  ON CONFLICT (host, code) DO NOTHING;"
        ),
    ),
    applies=("checker", "checker"),
    description=(
        "Not an engine error: with `--report-unused-suppressions`, a `schema-parity: ignore[...]` comment (or one code "
        "in it) that suppresses nothing, or that names an unknown code, is reported as a warning, so ignores cannot "
        "outlive the bugs they hid."
    ),
    doc_examples=(
        Example(
            bad=(
                "# schema-parity: ignore[SP101]     <- reported when no SP101 finding starts on the next line any "
                "more\n"
                'SQL = "INSERT INTO t (id) VALUES (1) ON CONFLICT (id) DO NOTHING"'
            ),
            fixed='SQL = "INSERT INTO t (id) VALUES (1) ON CONFLICT (id) DO NOTHING"',
            language="python",
            fix="the comment removed",
        ),
    ),
)

SP905 = Rule(
    code="SP905",
    name="verify-disagreement",
    severity="error",
    summary="--verify: the real engine's answer contradicts the static verdict, a defect of schema-parity.",
    postgresql=(
        "Not an engine rule: with --verify the statement ran (planned, executed, rolled back) on a scratch database "
        "migrated to its revision, and the answer contradicts the static verdict. Trust the engine, and report the "
        "finding: it is a bug of schema-parity (docs/verify.md)."
    ),
    sqlite="The same, on an in-memory SQLite database.",
    example=Example(
        bad=(
            "-- the static verdict says ok, PostgreSQL says 42P10: SP905 with both answers\n"
            "INSERT INTO t (host, code) VALUES ('a', 1)\n"
            "  ON CONFLICT (host, code) DO NOTHING;"
        ),
        fixed=(
            "-- (after the fix in schema-parity) both say the same\n"
            "INSERT INTO t (host, code) VALUES ('a', 1)\n"
            "  ON CONFLICT (host, code) DO NOTHING;"
        ),
    ),
    applies=("checker", "checker"),
    description=(
        "Not an engine error: only with `--verify`, which runs each statement on a scratch database migrated to its "
        "revision (planned, executed, rolled back). The engine's answer contradicts the static verdict (it refused "
        "what the verdict accepted, accepted what it refused, or the rules or arbiters differ), and the message gives "
        "both answers. Trust the engine: the finding is a defect of schema-parity, to be reported with the statement "
        "and the schema; `# schema-parity: ignore[SP905]` hides it meanwhile "
        "([verify.md](verify.md#sp905-verify-disagreement))."
    ),
)

FAMILY: tuple[Rule, ...] = (SP901, SP902, SP903, SP904, SP905)
