"""What a rule is: one object holding everything said about one finding code.

The code, name, severity and summary (``schema-parity rules``), the docs/semantics.md ids it rests on, what each
engine does and an example (``schema-parity explain``), and the prose, error messages and examples of its section of
docs/rules.md, which is generated from these objects (``python -m schema_parity.rules.docs``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from schema_parity.catalog import DIALECTS, Dialect

Severity = Literal["error", "warning", "info"]


@dataclass(frozen=True)
class Example:
    """``bad`` fails and ``fixed`` passes against ``schema`` (``fixed_schema`` when the fix is a migration) on each
    of ``dialects``; the tests run examples with a schema through the checker, so a rule cannot claim a failure the
    checker does not report.

    ``fails`` and ``fix`` are the words docs/rules.md writes after ``-- fails`` and ``-- fixed:`` (on which engine it
    fails, what the fix does).
    """

    bad: str
    fixed: str
    schema: str | None = None
    fixed_schema: str | None = None
    dialects: tuple[Dialect, ...] = DIALECTS
    language: str = "sql"
    fails: str = ""
    fix: str = ""


@dataclass(frozen=True)
class Rule:
    """A registered rule: ``code`` and ``name`` are stable, ``summary`` is one line for listings.

    ``postgresql``/``sqlite`` say what each engine does with ``example`` (the ``explain`` page; the tests run it on
    both engines). ``applies`` is the rules table's PostgreSQL and SQLite cells; ``description``, ``errors`` (the
    engines' messages, Markdown) and ``doc_examples`` make the rule's section of docs/rules.md.
    """

    code: str
    name: str
    severity: Severity
    summary: str
    postgresql: str
    sqlite: str
    example: Example
    applies: tuple[str, str]
    description: str
    refs: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()
    doc_examples: tuple[Example, ...] = ()

    @property
    def anchor(self) -> str:
        """The docs/rules.md heading anchor, ``## SP101 no-matching-key`` -> ``sp101-no-matching-key``."""
        return f"{self.code.lower()}-{self.name}"
