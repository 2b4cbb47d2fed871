"""SP9xx: what the checker could not decide (or read, or agree on with the engine); not engine errors."""

from __future__ import annotations

from schema_parity.rules.rule import Example, Message, Rule

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
    messages=(
        Message("reason", "{reason}"),
        Message("built-at-run-time", "the statement is built at run time"),
        Message(
            "revision-statement",
            "this statement runs inside revision {revision}; the schema source describes one state of the schema, not "
            "the schema at that revision",
            "Check it against the migrations: --alembic-config PATH (alembic-config in [tool.schema-parity]).",
            "Check it against the migrations: alembic-config in [tool.schema-parity], or schema_parity_alembic_config "
            "in the pytest ini.",
        ),
        Message(
            "missing-feature",
            "{table} cannot exist as the schema describes it on production's PostgreSQL {version} (postgres-version): "
            "{missing}.",
            "Create the key in a form PostgreSQL {version} has, or set postgres-version to the major version "
            "production runs.",
        ),
        Message(
            "unnamed-default-schema",
            "{table}: the catalog records its default schema without a name, so whether {schema!r} is that schema "
            "cannot be decided.",
        ),
        Message(
            "search-path",
            "{table} exists only in schema(s) {schemas}; whether it resolves depends on the session's search_path.",
        ),
        Message(
            "view",
            "{table} is a view: PostgreSQL infers arbiters on its base table (P38), which the catalog does not record.",
        ),
        Message(
            "unknown-opclass",
            "opclass {opclass} in the target: the default operator class of {operand} is not known to the checker.",
        ),
        Message("unknown-opclass-expression",
                "opclass {opclass} in the target: the default operator class of this expression is not known to the "
                "checker."),
        Message("unreadable-expression", "cannot read the catalog expression {text!r}: {error}"),
        Message(
            "collation-comparison",
            "whether {left!r} {op} {right!r} holds decides if the target's WHERE implies the index predicate, and that "
            "depends on the column's collation, which the catalog does not record.",
        ),
        Message(
            "sqlite-view",
            "{table} is a view: a plain INSERT works only if it has an INSTEAD OF INSERT trigger, which the catalog "
            "does not record.",
        ),
        Message("sqlite-unsupported", "cannot compare the conflict target the way SQLite does: {reason}"),
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
    messages=(
        Message("unparsable", "cannot parse the statement: {error}"),
        Message("unparsable-sql", "cannot parse the statement: {error}", "Check its syntax."),
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
    messages=(
        Message("unreadable-file", "{reason}", "Fix the file so it parses, or exclude it."),
        Message("cannot-read", "cannot read: {error}"),
        Message("cannot-read-file", "cannot read the file: {error}"),
        Message("cannot-list-directory", "cannot list the directory: {error}; the files in it are not checked"),
        Message("not-a-regular-file", "not a regular file ({kind}), skipped"),
        Message("link-outside", "a symbolic link to {target}, outside the scanned tree: not followed"),
        Message(
            "too-big",
            "the file is {size:,} bytes, over the {limit:,}-byte limit on a scanned file: its upserts are not checked; "
            "raise the limit with --max-file-size BYTES (max-file-size in [tool.schema-parity]) or exclude it",
        ),
        Message("not-utf8", "not a UTF-8 text file, skipped: {error}"),
        Message("not-python", "not valid Python, skipped: {error}"),
        Message(
            "newer-python",
            "written for Python {needed} (not valid Python {running}: {error}), skipped: run schema-parity on Python "
            "{needed} or later to check this file",
        ),
        Message(
            "nested-too-deeply",
            "an expression is nested too deeply to analyse (RecursionError): this file's upserts are not checked; "
            "split the expression, or exclude the file",
        ),
        Message(
            "unterminated",
            "unterminated {what}: nothing from line {lost} to the end of the file was checked; close it (PostgreSQL "
            "and SQLite reject the script as it is)",
        ),
        Message(
            "unterminated-opened",
            "unterminated {what} (opened at line {opened}): nothing from line {lost} to the end of the file was "
            "checked; close it (PostgreSQL and SQLite reject the script as it is)",
        ),
        Message(
            "internal-error",
            "internal error of schema-parity while scanning this file, its upserts are not checked (please report it "
            "with the file if you can): {kind}: {error}",
        ),
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
    messages=(
        Message(
            "unknown-code",
            "unknown rule code {code} in a suppression comment",
            "Remove the code (or the comment) from the suppression.",
        ),
        Message(
            "unused-code",
            "unused suppression: nothing reported for {code} in these lines",
            "Remove the code (or the comment) from the suppression.",
        ),
        Message(
            "unused-code-in-file",
            "unused suppression: nothing reported for {code} in this file",
            "Remove the code (or the comment) from the suppression.",
        ),
        Message(
            "unused",
            "unused suppression: nothing reported for every rule in these lines",
            "Remove the code (or the comment) from the suppression.",
        ),
        Message(
            "unused-in-file",
            "unused suppression: nothing reported for every rule in this file",
            "Remove the code (or the comment) from the suppression.",
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
    messages=(
        Message(
            "disagreement",
            "schema-parity's static verdict and {engine} disagree on this statement: {engine} {said}; the "
            "static verdict "
            "was {static}. This is a defect of schema-parity, not of your code: trust the engine's answer.",
            "Please report it to the schema-parity issue tracker with this message, the statement and the schema "
            "(schema-parity schema); `# schema-parity: ignore[SP905]` on the statement hides it meanwhile.",
        ),
        Message(
            "disagreement-at-revision",
            "schema-parity's static verdict and {engine} disagree on this statement at revision {revision}: {engine} "
            "{said}; the static verdict was {static}. This is a defect of schema-parity, not of your code: trust the "
            "engine's answer.",
            "Please report it to the schema-parity issue tracker with this message, the statement and the schema "
            "(schema-parity schema); `# schema-parity: ignore[SP905]` on the statement hides it meanwhile.",
        ),
        Message("static-error", "error {rules}"),
        Message("static-ok", "ok"),
        Message("static-arbiters", "{verdict} (arbiter(s) {arbiters})"),
    ),
)

FAMILY: tuple[Rule, ...] = (SP901, SP902, SP903, SP904, SP905)
