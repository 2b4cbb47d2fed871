"""The published JSON Schemas (draft 2020-12) of the JSON report (``check --format json``) and of the capture file.

They are written here, field by field with what each means, and docs/reference/report.schema.json,
docs/reference/capture.schema.json and docs/reference/json-report.md are generated from them
(``python -m schema_parity.reference --write``). Every object lists all its keys as required and allows no others,
so a key added to (or dropped from) the report without its line here fails tests/test_report_schema.py, which
validates real reports; and :func:`fingerprint` (the key paths and their types) is recorded per report version in
``schema_parity.report.json.REPORT_SCHEMA_FINGERPRINTS``, so a change here without raising ``REPORT_VERSION`` fails
too. The enumerations are read from the code's own types.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from typing import Any, get_args

from schema_parity.capture import FORMAT_VERSION as CAPTURE_VERSION
from schema_parity.capture import Source as CaptureSource
from schema_parity.catalog import DIALECTS
from schema_parity.deploy import DEPLOY_ORDERS, Safety
from schema_parity.report.json import REPORT_VERSION
from schema_parity.rules import Severity
from schema_parity.sites import Origin
from schema_parity.verdicts import Status
from schema_parity.verify import Result

__all__ = ["CAPTURE_SCHEMA", "REPORT_SCHEMA", "SCHEMA_FILES", "fingerprint", "key_paths"]

DRAFT = "https://json-schema.org/draft/2020-12/schema"
Schema = dict[str, Any]


def _typed(types: str, description: str, nullable: bool, **extra: object) -> Schema:
    return {"type": [types, "null"] if nullable else types, "description": description, **extra}


def string(description: str, *, nullable: bool = False, enum: tuple[str, ...] = (), **extra: object) -> Schema:
    if enum:
        extra["enum"] = [*enum, None] if nullable else list(enum)
    return _typed("string", description, nullable, **extra)


def integer(description: str, *, nullable: bool = False, **extra: object) -> Schema:
    return _typed("integer", description, nullable, **extra)


def boolean(description: str, *, nullable: bool = False) -> Schema:
    return _typed("boolean", description, nullable)


def array(items: Schema, description: str) -> Schema:
    return {"type": "array", "description": description, "items": items}


def obj(
    description: str, properties: Mapping[str, Schema], *, nullable: bool = False, optional: tuple[str, ...] = ()
) -> Schema:
    """An object with exactly these keys (all required but ``optional``)."""
    return _typed(
        "object",
        description,
        nullable,
        properties=dict(properties),
        required=[k for k in properties if k not in optional],
        additionalProperties=False,
    )


def per_dialect(values: Schema, description: str) -> Schema:
    """An object keyed by dialect (only the dialects that apply are present)."""
    return {
        "type": "object",
        "description": description,
        "propertyNames": {"enum": list(DIALECTS)},
        "additionalProperties": values,
    }


_DIALECT = string("The engine whose rules apply.", enum=DIALECTS)
_RULE = string("A rule code (`schema-parity rules`, docs/rules.md).", pattern=r"^SP[0-9]{3}$")

FINDING = obj(
    "One finding: a rule that fired on a site (or a file), for every dialect it applies to with the same cause.",
    {
        "rule": _RULE,
        "severity": string(
            "The level after `severity` overrides: `error` findings fail the run (exit 1).", enum=get_args(Severity)
        ),
        "path": string("The file, relative to the working directory."),
        "line": integer("The 1-based line of the statement.", minimum=0),
        "column": integer("The column of the statement.", minimum=0),
        "dialects": array(_DIALECT, "Every engine whose rule fired for this cause; empty for a file not read."),
        "dialect": string(
            "The one engine of `dialects`; null when it lists several or none (kept from version 4).",
            nullable=True,
            enum=DIALECTS,
        ),
        "table": string("The table the statement writes, when known.", nullable=True),
        "message": string("What is wrong, in words."),
        "hint": string("How to fix it (may be empty)."),
        "suppressed": boolean("Suppressed by a `# schema-parity: ignore[...]` comment: listed, not counted."),
        "baselined": boolean("Recorded in the baseline (`--baseline`): listed, not counted."),
        "fingerprint": string(
            "The line-independent identity baselines and SARIF use; null for a finding that has none.", nullable=True
        ),
    },
)

VERDICT = obj(
    "One dialect's verdict on a site.",
    {
        "verdict": string("`ok`, `error`, or `unresolved` (the checker could not decide).", enum=get_args(Status)),
        "arbiters": array(
            string("A key's name."),
            "The key(s) the engine would use as arbiter (PostgreSQL: every matching index; SQLite: the matching "
            "indexes, of which it uses the newest).",
        ),
        "rules": array(_RULE, "The rules the verdict reports."),
        "reason": string(
            "The key of the registered reason (docs/rules.md, SP901) this verdict is unresolved for: the site's "
            "`reason`, or a reason of this engine's own (`sqlite-subquery`); null when the verdict is not unresolved "
            "or SP901's message is not a registered reason (a view, a search_path).",
            nullable=True,
        ),
    },
)

VERIFIED = obj(
    "One engine's answer with `--verify` (docs/verify.md).",
    {
        "result": string(
            "`ok` (planned and executed), `error` (refused), `value-error` (the placeholder values were refused) or "
            "`unverified` (the engine could not be asked; `message` says why).",
            enum=get_args(Result),
        ),
        "engine": string("The engine and its version."),
        "phase": string("Where an error came: `prepare`, `step`, `plan` or `execute`.", nullable=True),
        "sqlstate": string("The engine's SQLSTATE for an error (PostgreSQL).", nullable=True),
        "rule": string(
            "The checker's code for the engine's error; null for an error outside its rules.", nullable=True
        ),
        "message": string("The engine's message (empty when it accepted the statement)."),
        "arbiters": array(string("A key's name."), "The arbiter(s) the engine used."),
        "rows": integer("Rows inserted, when executed.", nullable=True),
        "agrees": boolean(
            "Whether the answer agrees with the static verdict; null when it cannot tell.", nullable=True
        ),
    },
)

SITE = obj(
    "One upsert found in the code, clean or not.",
    {
        "path": string("The file, relative to the working directory."),
        "line": integer("The 1-based line of the statement.", minimum=0),
        "column": integer("The column of the statement.", minimum=0),
        "origin": string("How it was found.", enum=get_args(Origin)),
        "revision": string("The revision a statement in a revision file is judged at; null otherwise.", nullable=True),
        "columns_unknown": string(
            "Why the inserted columns are not all known (rows given at execution): SP301 is not judged; null when "
            "they are.",
            nullable=True,
        ),
        "reason": string(
            "The key of the registered reason (docs/rules.md, SP901) the site could not be read for (its table or "
            "target built at run time: `string-table-at-run-time`); null when it was read, or was not read for a "
            "reason of the registry.",
            nullable=True,
        ),
        "history": string(
            "The Alembic history the site was judged against, when the project has several.", nullable=True
        ),
        "table": string("The table, as written; null when the statement could not be read.", nullable=True),
        "target": string("The conflict target, as written; null without one.", nullable=True),
        "verdicts": per_dialect(VERDICT, "Each dialect's verdict."),
        "verified": per_dialect(VERIFIED, "The engines' answers with `--verify`; empty without it."),
    },
)

DEPLOY = obj(
    "Both sides of a deploy with `--deploy-from` (docs/deploy.md); null without it.",
    {
        "deploy_from": string("The `--deploy-from` value: a revision or a git ref."),
        "old_revision": string("The revision production runs (the first history's)."),
        "new_revision": string("The revision the deploy brings (the first history's)."),
        "old_code": string("Where the old code is: `the tree at <ref> (<sha>)` or `the working tree`."),
        "order": string("The deploy order the project uses (`deploy-order`).", enum=DEPLOY_ORDERS),
        "safe_order": string(
            "The order that is safe for every site.", enum=("both", "migrations-first", "code-first", "neither")
        ),
        "histories": array(
            obj(
                "One Alembic history's two revisions.",
                {
                    "history": string("The history's config file (and ini section) or script location."),
                    "old_revision": string("The revision production runs."),
                    "new_revision": string("The revision the deploy brings."),
                },
            ),
            "Every history, the main one first.",
        ),
        "sites": array(
            obj(
                "One upsert of the old or the new code.",
                {
                    "path": string("The file, relative to the working directory."),
                    "line": integer("The 1-based line.", minimum=0),
                    "column": integer("The column.", minimum=0),
                    "in_old_code": boolean("The statement is in the old code."),
                    "in_new_code": boolean("The statement is in the new code."),
                    "migrations_first": string("The site with the migrations deployed first.", enum=get_args(Safety)),
                    "code_first": string("The site with the code deployed first.", enum=get_args(Safety)),
                    "safe_order": string(
                        "The order that is safe for this site.",
                        enum=("both", "migrations-first", "code-first", "neither", "unresolved"),
                    ),
                    "reasons": array(string("One sentence."), "Why an order is unsafe or undecided."),
                    "history": string(
                        "The history the site was judged against, when there are several.", nullable=True
                    ),
                },
            ),
            "Every upsert on either side.",
        ),
    },
    nullable=True,
)

SUMMARY = obj(
    "Counts over the report.",
    {
        "files": integer("Files scanned.", minimum=0),
        "sites": integer("Upsert sites found.", minimum=0),
        "errors": integer("Error findings that count (not suppressed or baselined).", minimum=0),
        "warnings": integer("Warning findings that count.", minimum=0),
        "unresolved_sites": integer("Sites left unresolved for some dialect.", minimum=0),
        "suppressed": integer("Findings suppressed by a comment.", minimum=0),
        "baselined": integer("Findings recorded in the baseline.", minimum=0),
    },
)

_REPORT_BODY = obj(
    "The JSON report of `schema-parity check --format json` (docs/reference/json-report.md).",
    {
        "version": integer("The report's version: raised whenever a key is added or changed.", const=REPORT_VERSION),
        "dialects": array(_DIALECT, "The dialects whose rules applied."),
        "schema_sources": array(
            string("A source, e.g. `alembic:/path/alembic.ini@head`."), "What the schemas were built from."
        ),
        "engines": per_dialect(string("The engine and its version."), "What each dialect's schema came from."),
        "findings": array(FINDING, "Every finding, counted or not, in path and line order."),
        "sites": array(SITE, "Every upsert seen, including clean ones."),
        "notes": array(string("One sentence."), "What the reader should know about the run."),
        "diff_base": string("The `--diff-base` ref, or null.", nullable=True),
        "deploy": DEPLOY,
        "summary": SUMMARY,
    },
)

REPORT_SCHEMA: Schema = {
    "$schema": DRAFT,
    "$id": "report.schema.json",
    "title": f"schema-parity JSON report, version {REPORT_VERSION}",
    **_REPORT_BODY,
}

CAPTURE_SCHEMA: Schema = {
    "$schema": DRAFT,
    "$id": "capture.schema.json",
    "title": f"schema-parity capture file, version {CAPTURE_VERSION}",
    **obj(
        "The upserts a test run executed: `pytest --schema-parity-capture-file FILE`, read by `schema-parity check "
        "--captured FILE` (docs/capture.md).",
        {
            "version": integer("The capture file's version.", const=CAPTURE_VERSION),
            "tool": string("Always `schema-parity capture`.", const="schema-parity capture"),
            "root": string("The rootdir of the run; `path`s are relative to it."),
            "statements": array(
                obj(
                    "One distinct upsert executed at one call site.",
                    {
                        "path": string("The call site's file, relative to `root` when inside it."),
                        "line": integer("The call site's line.", minimum=0),
                        "function": array(
                            integer("A line.", minimum=0), "The first and last line of the function holding the call."
                        ),
                        "sql": {
                            "type": "object",
                            "description": "The text judged with each dialect's rules; the key `any` is raw SQL, "
                            "judged by every dialect.",
                            "propertyNames": {"enum": [*DIALECTS, "any"]},
                            "additionalProperties": string("The statement."),
                        },
                        "source": string("What executed it.", enum=get_args(CaptureSource)),
                        "driver": string("The engine's dialect and driver."),
                        "test": string("The node id of the first test that ran it.", nullable=True),
                        "revision": string("Its test's marker revision; null: the configured one.", nullable=True),
                        "executions": integer("How many times it ran.", minimum=1),
                        "duplicate": obj(
                            "SP302's evidence: two rows of one statement with the same key; null without.",
                            {
                                "key": array(
                                    array(string("A column, then its value's Python repr."), "One column."),
                                    "The key's columns and values.",
                                ),
                                "rows": array(integer("A row number.", minimum=0), "The two rows."),
                                "batched": boolean("The rows came in one executemany batch."),
                            },
                            nullable=True,
                        ),
                    },
                ),
                "Every statement, in path and line order.",
            ),
            "report": {
                "$ref": "report.schema.json",
                "description": "The verdicts, written by pytest (ignored when read).",
            },
        },
        optional=("report",),
    ),
}

#: docs/reference/<file> -> the schema it holds.
SCHEMA_FILES: dict[str, Schema] = {"report.schema.json": REPORT_SCHEMA, "capture.schema.json": CAPTURE_SCHEMA}


def key_paths(schema: Mapping[str, Any], path: str = "") -> Iterator[tuple[str, str, Mapping[str, Any]]]:
    """(key path, type, node) for the schema and everything below it, in document order: ``a.b`` for a key,
    ``a[]`` for an array's items, ``a{}`` for the values of an object keyed by dialect."""
    types = schema.get("type")
    shown = " or ".join(types) if isinstance(types, list) else str(types or ("report" if "$ref" in schema else ""))
    if path:
        yield path, shown, schema
    for key, child in schema.get("properties", {}).items():
        yield from key_paths(child, f"{path}.{key}" if path else key)
    if isinstance(schema.get("items"), Mapping):
        yield from key_paths(schema["items"], f"{path}[]")
    if isinstance(schema.get("additionalProperties"), Mapping):
        yield from key_paths(schema["additionalProperties"], f"{path}{{}}")


def fingerprint(schema: Mapping[str, Any]) -> str:
    """A hash of the set of key paths and their types (descriptions, enumerations and order left out)."""
    lines = sorted(f"{path}: {types}" for path, types, _ in key_paths(schema))
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()[:16]
