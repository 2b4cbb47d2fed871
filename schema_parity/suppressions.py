"""In-source suppressions: ``# schema-parity: ignore[SP101]`` comments, and reporting the ones that went stale.

Forms (``--`` instead of ``#`` in SQL, and in SQL held by Python strings):

* ``ignore[SP101,SP301]`` / bare ``ignore`` (every rule) on the statement's first line or the line above it; in a
  Python file also anywhere in the Python statement that holds the SQL (``execute(...)`` spanning lines, a comment
  after the closing parenthesis) or the line above that statement;
* ``ignore-file[SP101]`` / bare ``ignore-file`` within the first 20 lines: the whole file.

Codes may be prefixes (``SP1``), as in ``--select``. A suppression that no longer suppresses anything is itself
reported (SP904) with ``--report-unused-suppressions``, so ignores cannot outlive the bugs they hid.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from schema_parity.findings import Finding
from schema_parity.rules import RULES, rule_for

UNUSED_SUPPRESSION = rule_for("SP904")

FILE_LEVEL_LINES = 20
MARKER = b"schema-parity:"
_DIRECTIVE = re.compile(r"(?:#|--)\s*schema-parity:\s*(ignore-file|ignore)(?![\w-])(?:\[([^\]]*)\])?", re.I)
_COMPOUND = (
    ast.FunctionDef,
    ast.AsyncFunctionDef,
    ast.ClassDef,
    ast.If,
    ast.For,
    ast.AsyncFor,
    ast.While,
    ast.With,
    ast.AsyncWith,
    ast.Try,
    ast.Match,
)


@dataclass(frozen=True)
class Directive:
    """One ignore comment: ``codes`` empty means every rule; it covers lines ``first``..``last`` (1-based)."""

    path: str
    line: int
    column: int
    codes: tuple[str, ...]
    file_level: bool
    first: int
    last: int

    def covers(self, finding: Finding) -> bool:
        if finding.path != self.path or not (self.file_level or self.first <= finding.line <= self.last):
            return False
        return not self.codes or any(finding.rule.startswith(code) for code in self.codes)

    def to_json(self) -> list[object]:
        return [self.line, self.column, list(self.codes), self.file_level, self.first, self.last]

    @classmethod
    def from_json(cls, path: str, data: Sequence[Any]) -> Directive:
        line, column, codes, file_level, first, last = data
        return cls(path, int(line), int(column), tuple(codes), bool(file_level), int(first), int(last))


def directives_in(text: str, path: str, *, python: bool) -> list[Directive]:
    """Every directive in one file's text (only comments are read, so the cost is paid by files that have one)."""
    found: list[tuple[int, int, tuple[str, ...], bool]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if "schema-parity:" not in line:
            continue
        for match in _DIRECTIVE.finditer(line):
            file_level = match.group(1).lower() == "ignore-file"
            if file_level and number > FILE_LEVEL_LINES:
                continue
            codes = tuple(c.strip().upper() for c in (match.group(2) or "").split(",") if c.strip())
            found.append((number, match.start() + 1, codes, file_level))
    if not found:
        return []
    spans = _statement_spans(text) if python else []
    directives = []
    for number, column, codes, file_level in found:
        first, last = number, number + 1
        for start, end in spans:
            if start <= number <= end or start == number + 1:
                first, last = min(first, start), max(last, end)
                break
        directives.append(Directive(path, number, column, codes, file_level, first, last))
    return directives


def _statement_spans(text: str) -> list[tuple[int, int]]:
    """Line spans of the simple (non-compound) Python statements, innermost first when nested."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError):  # the scan reports such a file on its own
        return []
    spans = [
        (node.lineno, node.end_lineno or node.lineno)
        for node in ast.walk(tree)
        if isinstance(node, ast.stmt) and not isinstance(node, _COMPOUND)
    ]
    return sorted(spans, key=lambda span: span[1] - span[0])


class Suppressor:
    """Splits findings into reported and suppressed, remembering which directive (and code) did the work."""

    def __init__(self, directives: Iterable[Directive]) -> None:
        self._by_path: dict[str, list[Directive]] = {}
        for directive in directives:
            self._by_path.setdefault(directive.path, []).append(directive)
        self._used: set[tuple[Directive, str]] = set()

    def suppressed(self, finding: Finding) -> bool:
        """True when a directive covers ``finding``; every covering directive is marked used."""
        hit = False
        for directive in self._by_path.get(finding.path, ()):
            if directive.covers(finding):
                hit = True
                for code in directive.codes or ("",):
                    if finding.rule.startswith(code):
                        self._used.add((directive, code))
        return hit

    def unused(self, enabled: Mapping[str, bool] | None = None) -> list[Finding]:
        """SP904 findings for each directive code that suppressed nothing (codes of disabled rules are skipped)."""
        rule = UNUSED_SUPPRESSION
        out: list[Finding] = []
        for directives in self._by_path.values():
            for directive in directives:
                for code in directive.codes or ("",):
                    if (directive, code) in self._used:
                        continue
                    known = [r for r in RULES if r.startswith(code)]
                    if code and not known:
                        said = rule.say("unknown-code", code=code)
                    elif enabled is not None and known and not any(enabled.get(r, True) for r in known):
                        continue
                    elif code:
                        said = rule.say("unused-code-in-file" if directive.file_level else "unused-code", code=code)
                    else:
                        said = rule.say("unused-in-file" if directive.file_level else "unused")
                    out.append(
                        Finding(
                            rule=rule.code,
                            severity=rule.severity,
                            path=directive.path,
                            line=directive.line,
                            column=directive.column,
                            dialects=(),
                            table=None,
                            message=said.message,
                            hint=said.hint,
                        )
                    )
        return out
