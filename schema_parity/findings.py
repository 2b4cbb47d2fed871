"""Findings: a rule's problem placed in the user's code, what reporters, the exit code and pytest items read.

The rules themselves (code, name, default severity, docs) are objects in schema_parity/rules/.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from schema_parity.rules import Audience, Severity, rule_for

if TYPE_CHECKING:
    from schema_parity.catalog import Dialect
    from schema_parity.sites import Site
    from schema_parity.verdicts import Problem


@dataclass(frozen=True)
class Finding:
    """A problem placed in the user's code: what reporters, the exit code and pytest items read.

    One finding is one root cause at one statement: ``dialects`` lists every engine it applies to (in the check's
    dialect order; empty for what no engine decides, a file that was not read or engine drift), and ``message`` and
    ``hint`` are the words of the first of them.
    """

    rule: str
    severity: Severity
    path: str
    line: int
    column: int
    dialects: tuple[Dialect, ...]
    table: str | None
    message: str
    hint: str = ""
    pytest_hint: str = ""
    """The hint as pytest says it (its ini options, not the command line's flags), when it differs."""

    @classmethod
    def from_problem(cls, problem: Problem, *, site: Site, dialect: Dialect | None, table: str | None) -> Finding:
        return cls(
            rule=problem.rule,
            severity=rule_for(problem.rule).severity,
            path=site.path,
            line=site.line,
            column=site.column,
            dialects=(dialect,) if dialect else (),
            table=table,
            message=problem.message,
            hint=problem.hint,
            pytest_hint=problem.pytest_hint,
        )

    def advice(self, audience: Audience) -> str:
        """The hint for ``audience``: ``schema-parity check`` names its flags, pytest its ini options."""
        return (self.pytest_hint or self.hint) if audience == "pytest" else self.hint

    @property
    def dialect(self) -> Dialect | None:
        """The one dialect the finding applies to; None when it applies to several or to none (read ``dialects``)."""
        return self.dialects[0] if len(self.dialects) == 1 else None

    @property
    def engines(self) -> str:
        """``postgresql, sqlite``: the dialects as reports show them ("" for none)."""
        return ", ".join(self.dialects)

    def sort_key(self) -> tuple[str, int, int, str, str]:
        return (self.path, self.line, self.column, self.engines, self.rule)
