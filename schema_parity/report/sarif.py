"""SARIF 2.1.0 for code scanning (GitHub ``upload-sarif`` and other viewers); validated against the OASIS schema.

Every registered rule is listed in ``tool.driver.rules`` with its ``schema-parity explain`` page as ``help``.
Each result carries the baseline fingerprint as ``partialFingerprints``, so a finding keeps its
identity when unrelated lines move. Suppressed and baselined findings are included with a ``suppressions`` entry
(code scanning shows them as dismissed), not dropped.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

from schema_parity.check import CheckResult
from schema_parity.explain import render_explain
from schema_parity.findings import Finding
from schema_parity.report.json import dumps_indented
from schema_parity.rules import RULES
from schema_parity.version import version

SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
_LEVEL = {"error": "error", "warning": "warning", "info": "note"}
FINGERPRINT_KEY = "schemaParity/v1"


def sarif_dict(result: CheckResult, *, root: Path) -> dict[str, Any]:
    rules = sorted(RULES.values(), key=lambda r: r.code)
    index = {rule.code: i for i, rule in enumerate(rules)}
    in_source = ("inSource", "a schema-parity: ignore comment")
    external = ("external", "recorded in the baseline")
    results = [
        *(_result(f, result, index) for f in result.findings),
        *(_result(f, result, index, suppression=in_source) for f in result.suppressed),
        *(_result(f, result, index, suppression=external) for f in result.baselined),
    ]
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "schema-parity",
                        "version": version(),
                        "rules": [
                            {
                                "id": rule.code,
                                "name": rule.name,
                                "shortDescription": {"text": rule.summary},
                                "fullDescription": {"text": rule.summary},
                                "help": {"text": render_explain(rule.code)},
                                "defaultConfiguration": {"level": _LEVEL[rule.severity]},
                                "properties": {"tags": ["sql", "database", "upsert"]},
                            }
                            for rule in rules
                        ],
                    }
                },
                "invocations": [{"executionSuccessful": True}],
                "originalUriBaseIds": {"%SRCROOT%": {"uri": root.resolve().as_uri() + "/"}},
                "columnKind": "unicodeCodePoints",
                "results": results,
                **({"properties": {"deploy": result.deploy.to_dict()}} if result.deploy else {}),
            }
        ],
    }


def _result(
    finding: Finding, result: CheckResult, index: dict[str, int], *, suppression: tuple[str, str] | None = None
) -> dict[str, Any]:
    location: dict[str, Any] = {"artifactLocation": {"uri": quote(finding.path), "uriBaseId": "%SRCROOT%"}}
    if finding.line > 0:
        location["region"] = {"startLine": finding.line, "startColumn": max(finding.column, 1)}
    text = finding.message + (f"\nhelp: {finding.hint}" if finding.hint else "")
    out: dict[str, Any] = {
        "ruleId": finding.rule,
        "ruleIndex": index[finding.rule],
        "level": _LEVEL[finding.severity],
        "message": {"text": text},
        "locations": [{"physicalLocation": location}],
        "properties": {"dialects": list(finding.dialects), "dialect": finding.dialect, "table": finding.table},
    }
    if finding in result.fingerprints:
        out["partialFingerprints"] = {FINGERPRINT_KEY: result.fingerprints[finding]}
    if suppression is not None:
        kind, justification = suppression
        out["suppressions"] = [{"kind": kind, "justification": justification}]
    return out


def render_sarif(result: CheckResult, *, root: Path) -> str:
    return dumps_indented(sarif_dict(result, root=root)) + "\n"
