"""Findings: a rule's problem placed in the user's code, what reporters, the exit code and pytest items read.

The rules themselves (code, name, default severity, docs) are objects in schema_parity/rules/.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from schema_parity.rules import Severity, rule_for

if TYPE_CHECKING:
    from schema_parity.catalog import Dialect
    from schema_parity.sites import Site
    from schema_parity.verdicts import Problem


@dataclass(frozen=True)
class Finding:
    """A problem placed in the user's code: what reporters, the exit code and pytest items read."""

    rule: str
    severity: Severity
    path: str
    line: int
    column: int
    dialect: Dialect | None
    table: str | None
    message: str
    hint: str = ""

    @classmethod
    def from_problem(cls, problem: Problem, *, site: Site, dialect: Dialect | None, table: str | None) -> Finding:
        return cls(
            rule=problem.rule,
            severity=rule_for(problem.rule).severity,
            path=site.path,
            line=site.line,
            column=site.column,
            dialect=dialect,
            table=table,
            message=problem.message,
            hint=problem.hint,
        )

    def sort_key(self) -> tuple[str, int, int, str, str]:
        return (self.path, self.line, self.column, self.dialect or "", self.rule)
