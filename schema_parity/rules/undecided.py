"""SP9xx: what the checker could not decide (or read, or agree on with the engine); not engine errors."""

from __future__ import annotations

import string
from dataclasses import dataclass

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
        "with `WHERE b = 'B'`: true under ICU, false under C), a table named by a schema statement the replay did not "
        "model (an `ALTER TABLE` or `CREATE INDEX` in a form it does not read), an expression form SQLite's comparison "
        "needs that the checker does not model. The verdict is `unresolved` (severity info), never a guess."
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
        Message(
            "unknown-opclass-expression",
            "opclass {opclass} in the target: the default operator class of this expression is not known to the "
            "checker.",
        ),
        Message("unreadable-expression", "cannot read the catalog expression {text!r}: {error}"),
        Message(
            "unknown-in-expression",
            "{text!r} tests IS [NOT] UNKNOWN inside an expression, which the checker reads as IS [NOT] NULL; "
            "PostgreSQL tells the two apart.",
        ),
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
        Message(
            "domain-default",
            "{column} of {table} is NOT NULL without a default of its own, and its type {type} is not one the checker "
            "knows: if it is a domain with a default, that default fills the column (the catalog does not list its "
            "types: a source that read none, or a type an extension made).",
            "Give the column a server default, or insert a value for it.",
        ),
        Message(
            "null-default",
            "{column} of {table} is NOT NULL and its DEFAULT {default} is an expression of NULL the checker does not "
            "evaluate: a row that leaves the column out (or gives it DEFAULT) fails if that expression is NULL.",
            "Give the column a default that is not NULL, or insert a value for it.",
        ),
        Message(
            "boolean-test-type",
            "{test}: PostgreSQL refuses a boolean test of a value that is not boolean (42804), and the checker cannot "
            "tell this value's type",
        ),
        Message(
            "boolean-test-text",
            "{test}: the string is no boolean's text, which PostgreSQL refuses (22P02 invalid input syntax for type "
            "boolean); no rule names that error",
        ),
        Message(
            "boolean-test-unread",
            "the statement's IS [NOT] UNKNOWN tests cannot be read apart from IS [NOT] NULL, and PostgreSQL refuses "
            "one of a value that is not boolean (42804)",
        ),
        Message(
            "backtick",
            "a backtick outside the INSERT's table and column names: PostgreSQL reads it as an operator character, "
            "not a quote, and whether an operator of that name exists is not in the catalog",
            'Quote names with double quotes ("name").',
        ),
        Message("sqlite-unsupported", "cannot compare the conflict target the way SQLite does: {reason}"),
        Message(
            "unmodelled-statement",
            "{table}: the schema source did not model a statement on it, so its columns and keys may not be what the "
            "checker knows ({reason})",
            "Split the schema statement into forms the checker models (docs/check.md), or run the upsert on a "
            "database built from the schema.",
        ),
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
        fixed=("INSERT INTO t (host, code) VALUES ('a', 1)\n  ON CONFLICT (host, code) DO NOTHING;"),
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


# -- SP901's reasons: why a site could not be read -------------------------------------------------------------------
@dataclass(frozen=True)
class Reason:
    """Why an upsert site could not be read statically: ``key`` is stable (the JSON report's ``sites[].reason``),
    ``text`` the ``str.format`` template of the reason SP901's finding says, ``why`` what the checker would need to
    know and cannot without running the code (docs/rules.md lists every reason)."""

    key: str
    text: str
    why: str
    engine: str | None = None
    """The engine whose verdict alone the reason leaves unresolved (its comparison of the target); None for a reason
    a site cannot be read for, which leaves every engine's verdict unresolved."""

    @property
    def fields(self) -> frozenset[str]:
        return frozenset(field for _, field, _, _ in string.Formatter().parse(self.text) if field)

    def say(self, **fields: object) -> str:
        """The reason with ``fields`` filled in (exactly the template's fields: a typo fails in the tests)."""
        if fields.keys() != self.fields:
            raise TypeError(f"reason {self.key}: fields {sorted(fields)} given, {sorted(self.fields)} taken")
        return self.text.format(**fields)


_REASONS = (
    # -- SQL in a Python string ------------------------------------------------------------------------------------
    Reason(
        "string-table-at-run-time",
        "the table name is computed at run time ({label})",
        "The table is spliced into the string (f-string, concatenation, %-format): which table, and so which keys, "
        "is known only when the code runs.",
    ),
    Reason(
        "string-target-at-run-time",
        "the ON CONFLICT target is computed at run time ({label})",
        "The conflict target is spliced into the string: the columns it names are known only when the code runs.",
    ),
    Reason(
        "string-name-spliced",
        "{label} is spliced in as {role}",
        "A column name (or another name) is spliced into the string: the statement's text is known only when the "
        "code runs.",
    ),
    # -- SQLAlchemy: the INSERT statement ----------------------------------------------------------------------------
    Reason(
        "not-a-dialect-insert",
        "the INSERT comes from {label}, not sqlalchemy.dialects.postgresql/sqlite.insert",
        "Only the dialect insert() constructs have on_conflict_* methods; another function may build anything.",
    ),
    Reason(
        "generic-insert",
        "{label} is the generic insert: it has no on_conflict_* methods",
        "sqlalchemy.insert has no on_conflict_* methods: the call fails at run time, or the name is rebound to "
        "something the scanner cannot see.",
    ),
    Reason(
        "insert-names-no-table",
        "{label} names no table",
        "The insert() call has no table argument to read the statement's table from.",
    ),
    Reason(
        "arguments-spread",
        "{method}(**...) passes its arguments at run time",
        "The target, constraint or SET clause arrive in a dict unpacked at the call: their values are run-time data.",
    ),
    Reason(
        "statement-at-run-time",
        "the INSERT statement {name} is {binding}",
        "The statement is a parameter, a loop or with target, or changed by augmented assignment or unpacking: which "
        "INSERT it is depends on the caller or the data.",
    ),
    Reason(
        "statement-untraced",
        "cannot trace the INSERT statement {label} to an insert(...) call",
        "The statement comes from another module, a function's return value or an expression the scanner does not "
        "follow.",
    ),
    Reason(
        "statement-too-many-steps",
        "the INSERT statement is built through too many steps",
        "The chain of methods and variables from insert(...) to on_conflict_* is longer than the scanner follows.",
    ),
    # -- SQLAlchemy: the table -----------------------------------------------------------------------------------
    Reason(
        "table-too-many-indirections",
        "the table {label} is defined through too many indirections",
        "The name leads to the Table through more assignments than the scanner follows.",
    ),
    Reason(
        "table-not-in-tree",
        "the table {label} is not defined in the scanned tree",
        "No definition of the name is found in the scanned files, so its columns and keys are unknown.",
    ),
    Reason(
        "table-at-run-time",
        "the table {label} is {binding}",
        "The table is a parameter, a loop or with target, or assigned by unpacking: which table it is depends on the "
        "caller or the data.",
    ),
    Reason(
        "table-in-unreadable-file",
        "the table {label} is defined in {unreadable}",
        "The module that defines the table could not be read or parsed (it is reported as SP903).",
    ),
    Reason(
        "table-outside-tree",
        "the table {label} is imported from {qualified}, outside the scanned tree",
        "The table is defined in a module that is not scanned (an installed package, a path left out).",
    ),
    Reason(
        "not-a-table",
        "the table {label} is not a Table or a mapped class",
        "The name is bound to something other than a Table(...) call or an ORM class (a function, an import of a "
        "module).",
    ),
    Reason(
        "not-a-table-call",
        "the table {call} is not a Table(...) definition",
        "The call that defines the name is not SQLAlchemy's Table(...) (a factory function, a reflection).",
    ),
    Reason(
        "mapped-class-without-table",
        "the mapped class {name} has no __tablename__ or __table__ found statically",
        "The class's table name is set in a way the scanner does not read (a declared_attr function, a metaclass).",
    ),
    Reason(
        "not-a-column",
        "{label} is not a column of {table}",
        "The table is known completely and has no column of that key: the name is bound at run time, or the code "
        "fails when it runs.",
    ),
    Reason(
        "not-a-literal-string",
        "{label} is not a literal string",
        "A table, schema, column or constraint name is computed (a call, a concatenation, a parameter).",
    ),
    Reason(
        "sequence-at-run-time",
        "{argument}={label} is computed at run time",
        "The list of columns (index_elements=, a constraint's columns) is not a literal list or a name bound to one.",
    ),
    # -- SQLAlchemy: the conflict target and the SET clause ------------------------------------------------------
    Reason(
        "cannot-build",
        "{what} cannot be built as written: {error_type}: {error}",
        "SQLAlchemy itself refuses the object as written: it fails at run time the same way, before any SQL is sent.",
    ),
    Reason(
        "sqlite-constraint-argument",
        "constraint= does not exist on sqlite.insert (TypeError at run time)",
        "sqlite.insert's on_conflict_* methods have no constraint= argument: the call raises TypeError before any "
        "SQL is sent, so there is no statement to judge.",
    ),
    Reason(
        "constraint-and-index-elements",
        "constraint= and index_elements= are both given (ValueError at run time)",
        "SQLAlchemy refuses both at once (ValueError) before any SQL is sent, so there is no statement to judge.",
    ),
    Reason(
        "constraint-at-run-time",
        "constraint={label} is {binding}, computed at run time",
        "The constraint= argument is a parameter or a name with no definition found: which key it names is known "
        "only at run time.",
    ),
    Reason(
        "constraint-not-static",
        "constraint={label} is not a name or a constraint object found statically",
        "constraint= is neither a string nor a UniqueConstraint/PrimaryKeyConstraint/Index/ExcludeConstraint object "
        "the scanner can read.",
    ),
    Reason(
        "unnamed-exclude-constraint",
        "constraint={label}: an unnamed ExcludeConstraint is not supported statically",
        "An unnamed ExcludeConstraint's columns become an inferred target whose operators the checker does not model.",
    ),
    Reason(
        "not-an-expression",
        "{label} is not an SQL expression that can be read statically",
        "The expression (in index_where=, an index element, set_=) is a form the scanner does not rebuild.",
    ),
    Reason(
        "call-not-evaluable",
        "{label} is a call that cannot be evaluated statically",
        "A call other than SQLAlchemy's constructs (func.*, text(), literal(), column()) in the expression: its "
        "result is known only at run time.",
    ),
    Reason(
        "name-at-run-time",
        "{label} is {binding}, known only at run time",
        "A name in the expression is a parameter, a loop or with target, or assigned by unpacking.",
    ),
    Reason(
        "name-computed-because",
        "{label} is computed at run time: {reason}",
        "A name in the expression is bound to an expression that cannot be read (the reason after the colon).",
    ),
    Reason(
        "name-computed",
        "{label} is computed at run time",
        "A name in the expression is bound to something other than an expression (a def, an import).",
    ),
    Reason(
        "name-unresolvable",
        "{label} cannot be resolved statically",
        "The reference is neither a name nor an attribute or subscript the scanner follows.",
    ),
    Reason(
        "column-of-unknown-table",
        "{label} is not a column of a table found statically ({reason})",
        "The expression names a column of a table that could not be read (the reason in parentheses).",
    ),
    Reason(
        "set-at-run-time",
        "set_= is computed at run time and no column of the table is known to stand in for it",
        "The SET clause is built at run time and the table's columns are unknown, so no DO UPDATE text can be "
        "written to judge the target with.",
    ),
    # -- configured wrappers ([tool.schema-parity] wrappers) -----------------------------------------------------
    Reason(
        "wrapper-no-table",
        "the call of {function} passes no table argument ({table!r})",
        "The wrapper's configured table argument is not given at this call.",
    ),
    Reason(
        "wrapper-arguments-spread",
        "the call of {function} passes *args/**kwargs: its {role} argument is known at run time",
        "The argument the wrapper's configuration names may arrive in *args or **kwargs: its value is run-time data.",
    ),
    Reason(
        "wrapper-receiver-unknown",
        "the call of {function} is not on self or a Repo(...) object: the class that sets {attribute} is known at run "
        "time",
        'The wrapper reads its table from "self.<attribute>", and the object the method is called on is not one '
        "whose class the scanner can name.",
    ),
    Reason(
        "class-attribute-not-set",
        "{attribute} is not set in class {owner} or its bases",
        "The class attribute the wrapper reads its table from is set elsewhere (in __init__, by a decorator, at run "
        "time).",
    ),
    Reason(
        "primary-key-unknown",
        "the primary key of {table} is not known statically ({function} defaults to it)",
        "The wrapper's default target is the table's primary key, and the table's columns are not all known.",
    ),
    # -- SQLite's comparison of the conflict target (SP901's sqlite-unsupported message says these) ---------------
    Reason(
        "sqlite-subquery",
        "a subquery",
        "SQLite compares the target with the index's expressions structurally; the checker does not model a subquery "
        "in either.",
        engine="sqlite",
    ),
    Reason(
        "sqlite-expression-form",
        "{keyword} expressions",
        "A CASE, EXISTS, SELECT or RAISE expression in the target or an index: the checker's SQLite expression reader "
        "does not model it.",
        engine="sqlite",
    ),
    Reason(
        "sqlite-window-function",
        "window or filtered functions",
        "A function call with FILTER or OVER in the target or an index: the checker does not model it.",
        engine="sqlite",
    ),
    Reason(
        "sqlite-parser-stack",
        "{count} ON CONFLICT clauses hold {held} of the 100 entries of SQLite's parser stack: an expression of a "
        "clause may need more than is left (parser stack overflow)",
        "Each clause but the last keeps 8 entries (11 with DO UPDATE) until the statement ends; the statement's start "
        "and the expression being read need the rest. The checker bounds what an expression needs (4 entries for "
        "each level of its tree), not counts it.",
        engine="sqlite",
    ),
    Reason(
        "sqlite-nested-too-deeply",
        "an expression nested deeper than this checker reads: {start!r}...",
        "The expression (its first 60 characters shown) nests deeper than the checker's reader recurses; SQLite's own "
        "limit depends on its version.",
        engine="sqlite",
    ),
    Reason(
        "sqlite-catalog-expression",
        "the catalog expression {text!r} does not resolve: {error}",
        "An index's expression or WHERE, as the schema stores it, names a column the table lacks or does not parse: "
        "the schema cannot be compared with the target.",
        engine="sqlite",
    ),
    # -- PostgreSQL's parse analysis ----------------------------------------------------------------------------
    Reason(
        "postgresql-default-in-expression",
        "DEFAULT inside an expression of the INSERT's rows is 42601 (DEFAULT is not allowed in this context), but "
        "{place} is read first and may fail before it",
        "PostgreSQL refuses the statement either way; which error it reports first depends on what parse analysis "
        "reads before the DEFAULT (a name, a function, a string assigned to a column, a subquery), which the checker "
        "does not judge there.",
        engine="postgresql",
    ),
    Reason(
        "postgresql-name-in-values",
        "the name {name} in a VALUES item is 42703 (column does not exist: the rows see no table), but {place} is "
        "read first and may fail before it",
        "PostgreSQL refuses the statement either way; which error it reports first depends on what parse analysis "
        "reads before the name (a function, a string assigned to a column, a subquery, a cast to a type), which the "
        "checker does not judge there.",
        engine="postgresql",
    ),
    Reason(
        "postgresql-unknown-function",
        "{function}() is no function of pg_catalog nor one the schema calls: unless the database has it, PostgreSQL "
        "refuses the statement (42883 function ... does not exist)",
        "The Catalog lists no functions: one the migrations create (CREATE FUNCTION) or an extension adds is not "
        "known, so a call of it in the INSERT's rows or its DO UPDATE (a subquery's included) is not judged. A "
        "function an index, a default, a generated column or a CHECK of the schema calls is taken as there.",
        engine="postgresql",
    ),
    Reason(
        "postgresql-subquery-columns",
        "a subquery of DO UPDATE gives {columns} column(s) where {width} value(s) are compared with it (42601 "
        "subquery has too many or too few columns), but what is read before it may fail first",
        "PostgreSQL refuses the statement either way. A subquery inside another is read in its SELECT's order (FROM "
        "first), which the checker does not follow; a FROM item the Catalog does not have, or a qualified name the "
        "checker does not resolve, is read before the column count.",
        engine="postgresql",
    ),
    Reason(
        "sqlite-function-class",
        "{function}() is one of several calls sqlglot reads as its {cls}, and SQLite refuses an aggregate or window "
        "function there: which call is which is not known",
        "sqlglot reads calls of different names or numbers of arguments into one class (greatest() and max(a, b) "
        "are both its Greatest); with several such calls in the DO UPDATE, the checker cannot tell which one is "
        "where, so it does not say which error comes first.",
        engine="sqlite",
    ),
    Reason(
        "sqlite-application-function",
        "{function}() with {count} argument(s) is no function SQLite has built in: unless the application's "
        "connection registers it, SQLite refuses the statement (no such function: {function}; for a built-in name "
        "with another number of arguments, wrong number of arguments to function {function}())",
        "An application registers functions on its own connection (sqlite3's create_function, an extension such as "
        "ICU's lower(x, locale), SQLAlchemy's regexp for the REGEXP operator): whether this one is registered is not "
        "in the schema. A function an index of the schema calls is taken as registered.",
        engine="sqlite",
    ),
)

REASONS: dict[str, Reason] = {reason.key: reason for reason in _REASONS}
"""Every reason a site can be unresolved for, by key (``sites[].reason`` in the JSON report); a reason
with an ``engine`` leaves that engine's verdict unresolved (``sites[].verdicts.<dialect>.reason``)."""


def reason(key: str, **fields: object) -> str:
    """Reason ``key``'s text with ``fields`` (KeyError for an unregistered key)."""
    return REASONS[key].say(**fields)
