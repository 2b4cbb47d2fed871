"""The text report for people: findings grouped by file, the offending line with a caret, a summary line."""

from __future__ import annotations

from collections.abc import Callable
from itertools import groupby
from pathlib import Path

from schema_parity.check import CheckResult


def _source_line(root: Path, path: str, line: int) -> str | None:
    try:
        lines = (root / path).read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    return lines[line - 1] if 0 < line <= len(lines) else None


def render_text(result: CheckResult, *, root: Path, style: Callable[[str, str], str] | None = None) -> str:
    """``style(text, role)`` colours a fragment (roles: error, warning, path, rule, dim); identity by default."""
    paint = style or (lambda text, _role: text)
    out: list[str] = []
    for path, group in groupby(result.findings, key=lambda f: f.path):
        out.append(paint(path, "path"))
        for finding in group:
            where = f"{finding.line}:{finding.column}"
            dialect = f" [{finding.dialect}]" if finding.dialect else ""
            out.append(
                f"  {where} {paint(finding.severity, finding.severity)} {paint(finding.rule, 'rule')}{dialect} "
                f"{finding.message}"
            )
            source = _source_line(root, path, finding.line)
            if source is not None:
                out.append(paint(f"    | {source}", "dim"))
                out.append(paint(f"    | {' ' * max(finding.column - 1, 0)}^", "dim"))
            if finding.hint:
                out.append(f"    = help: {finding.hint}")
        out.append("")
    for note in result.notes:
        out.append(paint(f"note: {note}", "dim"))
    summary = result.summary()
    status = "error" if summary["errors"] else "ok"
    out.append(
        paint(
            f"{summary['sites']} upsert site(s) in {summary['files']} file(s) checked for "
            f"{', '.join(result.dialects)}: {summary['errors']} error(s), {summary['warnings']} warning(s), "
            f"{summary['unresolved_sites']} unresolved",
            status if status == "error" else "dim",
        )
    )
    return "\n".join(out) + "\n"
