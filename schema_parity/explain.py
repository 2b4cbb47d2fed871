"""``schema-parity rules`` and ``schema-parity explain CODE``: the rule objects (schema_parity/rules/) as plain text.

A page is the rule's summary, what PostgreSQL and SQLite do, and its example. Examples with a ``schema`` are run
through the checker and on both engines by the tests (tests/test_cli_check.py,
tests/test_rule_examples_on_engines.py), so a page cannot claim a failure the checker or an engine does not report.
"""

from __future__ import annotations

from schema_parity.rules import RULES
from schema_parity.rules.docs import RULES_DOC


def render_rules() -> str:
    """One line per rule: code, default severity, name, summary."""
    rules = sorted(RULES.values(), key=lambda r: r.code)
    rows = [f"{r.code}  {r.severity:<7}  {r.name:<34}  {r.summary}" for r in rules]
    return "\n".join(rows) + f"\n\nDetails: schema-parity explain CODE, or {RULES_DOC}.\n"


def render_explain(code: str) -> str:
    """The rule's page as plain text (KeyError for an unknown code)."""
    rule = RULES[code.upper()]
    example = rule.example
    out = [f"{rule.code} {rule.name} (default severity: {rule.severity})", "", rule.summary, ""]
    out += [f"PostgreSQL: {rule.postgresql}", f"SQLite: {rule.sqlite}", ""]
    if example.schema:
        out += ["Schema:", _indent(example.schema), ""]
    out += [f"Fails ({', '.join(example.dialects)}):", _indent(example.bad), ""]
    if example.fixed_schema:
        out += ["Fixed schema:", _indent(example.fixed_schema), ""]
    out += ["Fixed:", _indent(example.fixed), ""]
    out += [
        f"Suppress: # schema-parity: ignore[{rule.code}] (-- in SQL); select/ignore: --select/--ignore {rule.code}",
        f"More: {RULES_DOC}#{rule.anchor} in the schema-parity repository",
    ]
    return "\n".join(out) + "\n"


def _indent(text: str) -> str:
    return "\n".join(f"    {line}" for line in text.rstrip("\n").splitlines())

