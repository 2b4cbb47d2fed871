"""The JSON report: the stable contract other tools and CI read (docs/reference/json-report.md, docs/check.md).

Keys never change meaning; keys are only ever added, and each addition raises ``version`` (2: ``engines``, what
each dialect's schema came from, and ``sites[].history``, the history a site was judged against when there are
several; 3: ``sites[].verified``, the engines' answers with ``--verify``, empty without it; 4: ``deploy``, both
sides of a deploy per site with ``--deploy-from``, null without it, see docs/deploy.md; 5: ``findings[].dialects``,
every dialect one finding applies to, ``dialect`` kept: the one dialect, null for several or none;
``sites[].columns_unknown``, why the inserted columns are not all known, and ``deploy.histories`` and
``deploy.sites[].history``, each history's revisions of a deploy, which had landed under version 4 without a bump;
6: ``sites[].reason``, the key of the registered reason a site could not be read for, and
``sites[].verdicts.<dialect>.reason``, the key of the registered reason that dialect's verdict is unresolved for).
Suppressed and baselined findings are listed with ``"suppressed": true`` / ``"baselined": true`` and are not counted
as errors.

The report's shape is published as a JSON Schema (``schema_parity/report/schema.py``, generated into
docs/reference/report.schema.json); tests validate real reports against it. After changing a key there, raise
``REPORT_VERSION`` and record the new shape's fingerprint below: ``python -m schema_parity.reference fingerprint``
prints the line to add."""

from __future__ import annotations

import json
from json.encoder import encode_basestring_ascii
from typing import Any

from schema_parity.check import CheckResult
from schema_parity.findings import Finding

#: 6: ``sites[].reason``, ``sites[].verdicts.<dialect>.reason``.
REPORT_VERSION = 6

#: version -> the fingerprint of the report's shape at that version (``schema_parity.report.schema.fingerprint``:
#: a hash of the key paths and their types). tests/test_report_schema.py fails when the schema's fingerprint is not
#: the one recorded for ``REPORT_VERSION``: a key added or changed without raising the version.
REPORT_SCHEMA_FINGERPRINTS: dict[int, str] = {
    5: "408437b757d62a16",
    6: "6b35bf42978bac0a",
}


def report_dict(result: CheckResult) -> dict[str, Any]:
    suppressed, baselined = set(result.suppressed), set(result.baselined)
    every = sorted((*result.findings, *result.suppressed, *result.baselined), key=Finding.sort_key)
    return {
        "version": REPORT_VERSION,
        "dialects": list(result.dialects),
        "schema_sources": list(result.schema_sources),
        "engines": dict(result.engines),
        "findings": [
            {
                "rule": f.rule,
                "severity": f.severity,
                "path": f.path,
                "line": f.line,
                "column": f.column,
                "dialects": list(f.dialects),
                "dialect": f.dialect,
                "table": f.table,
                "message": f.message,
                "hint": f.hint,
                "suppressed": f in suppressed,
                "baselined": f in baselined,
                "fingerprint": result.fingerprints.get(f),
            }
            for f in every
        ],
        "sites": [
            {
                "path": s.site.path,
                "line": s.site.line,
                "column": s.site.column,
                "origin": s.site.origin,
                "revision": s.site.revision,
                "columns_unknown": s.site.columns_unknown,
                "reason": s.site.reason,
                "history": s.history,
                "table": s.table,
                "target": s.target,
                "verdicts": {
                    v.dialect: {
                        "verdict": v.status,
                        "arbiters": list(v.arbiters),
                        "rules": [p.rule for p in v.problems],
                        "reason": v.reason,
                    }
                    for v in s.verdicts
                },
                "verified": {a.dialect: a.to_dict() for a in s.verified},
            }
            for s in result.sites
        ],
        "notes": list(result.notes),
        "diff_base": result.diff_base,
        "deploy": result.deploy.to_dict() if result.deploy else None,
        "summary": result.summary(),
    }


def render_json(result: CheckResult) -> str:
    return dumps_indented(report_dict(result)) + "\n"


def dumps_indented(value: Any) -> str:
    """``json.dumps(value, indent=2)``, byte for byte, for the plain values a report holds (str keys; str, int,
    float, bool, None, list, tuple and dict values); anything else goes to ``json.dumps`` itself.

    Why: with ``indent`` the standard library encodes in pure Python, one generator per level, which was a tenth of
    a 5,000-site check's CPU; this builds the same text with one list and the C string encoder.
    """
    out: list[str] = []
    try:
        _encode(value, out, "\n")
    except _NotPlain:
        return json.dumps(value, indent=2)
    return "".join(out)


class _NotPlain(Exception):
    """A value ``dumps_indented`` leaves to ``json.dumps`` (a non-str key, another type)."""


def _encode(value: Any, out: list[str], newline: str) -> None:
    """Append ``value`` at the indentation ``newline`` ends with (the order of checks is json.encoder's)."""
    kind = type(value)
    if kind is str:
        out.append(encode_basestring_ascii(value))
    elif kind is dict:
        if not value:
            out.append("{}")
            return
        inner = newline + "  "
        separator = "{" + inner
        for key, item in value.items():
            if type(key) is not str:
                raise _NotPlain
            out.append(separator + encode_basestring_ascii(key) + ": ")
            separator = "," + inner
            _encode(item, out, inner)
        out.append(newline + "}")
    elif kind is list or kind is tuple:
        if not value:
            out.append("[]")
            return
        inner = newline + "  "
        separator = "[" + inner
        for item in value:
            out.append(separator)
            separator = "," + inner
            _encode(item, out, inner)
        out.append(newline + "]")
    elif value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif kind is int:
        out.append(int.__repr__(value))
    elif kind is float:
        out.append(json.dumps(value))
    else:
        raise _NotPlain
