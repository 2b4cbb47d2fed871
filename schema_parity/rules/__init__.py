"""The rule registry: one stable code per thing the upsert checker can report, each rule one object.

Codes never change meaning once published: SP1xx are conflict-target rules (``target``), SP2xx table/column
resolution (``resolution``), SP3xx rules about the inserted row (``row``), SP5xx engine drift (``drift``), SP6xx
deploy safety (``deploy``: ``check --deploy-from``), SP9xx what the checker could not decide (``undecided``).
Rule ids in ``refs`` point at ``docs/semantics.md`` (P# PostgreSQL, S# SQLite). docs/rules.md and the ``explain``
pages are generated from these objects (``python -m schema_parity.rules.docs``).
"""

from __future__ import annotations

from schema_parity.rules import deploy, drift, resolution, row, target, undecided
from schema_parity.rules.rule import Audience, Example, Message, Rule, Said, Severity

__all__ = ["RULES", "Audience", "Example", "Message", "Rule", "Said", "Severity", "find_rule", "rule_for"]

RULES: dict[str, Rule] = {
    rule.code: rule
    for rule in (*target.FAMILY, *resolution.FAMILY, *row.FAMILY, *drift.FAMILY, *deploy.FAMILY, *undecided.FAMILY)
}


def rule_for(code: str) -> Rule:
    """The registered rule for ``code`` (KeyError for an unregistered code, so typos fail loudly in tests)."""
    return RULES[code]


def find_rule(wanted: str) -> Rule | None:
    """The rule a user names by code (any case) or by name, e.g. ``sp904`` or ``unused-suppression``."""
    wanted = wanted.strip()
    return next((r for r in RULES.values() if wanted.upper() == r.code or wanted.lower() == r.name), None)
