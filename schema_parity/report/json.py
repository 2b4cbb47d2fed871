"""The JSON report: the stable contract other tools and CI read (documented in docs/check.md).

Keys never change meaning; keys are only ever added, and each addition raises ``version`` (2: ``engines``, what
each dialect's schema came from, and ``sites[].history``, the history a site was judged against when there are
several; 3: ``sites[].verified``, the engines' answers with ``--verify``, empty without it; 4: ``deploy``, both
sides of a deploy per site with ``--deploy-from``, null without it, see docs/deploy.md; 5: ``findings[].dialects``,
every dialect one finding applies to, ``dialect`` kept: the one dialect, null for several or none). Suppressed and
baselined findings are listed with ``"suppressed": true`` / ``"baselined": true`` and are not counted as errors.
"""

from __future__ import annotations

import json
from typing import Any

from schema_parity.check import CheckResult
from schema_parity.findings import Finding

#: 5: ``findings[].dialects`` (one finding per statement and root cause, for every dialect it applies to).
REPORT_VERSION = 5


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
                "history": s.history,
                "table": s.table,
                "target": s.target,
                "verdicts": {
                    v.dialect: {
                        "verdict": v.status,
                        "arbiters": list(v.arbiters),
                        "rules": [p.rule for p in v.problems],
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
    return json.dumps(report_dict(result), indent=2) + "\n"
