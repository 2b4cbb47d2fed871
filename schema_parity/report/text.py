"""The text report for people: findings grouped by file, the offending line with a caret, a summary line."""

from __future__ import annotations

from collections.abc import Callable
from itertools import groupby
from pathlib import Path

from schema_parity.check import CheckResult
from schema_parity.limits import DEFAULT_MAX_FILE_SIZE
from schema_parity.sites.files import UnreadableFile, read_source


class _Lines:
    """Each file's lines, read once however many findings point into it."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._files: dict[str, list[str] | None] = {}

    def get(self, path: str, line: int) -> str | None:
        if line <= 0:  # a finding about the whole file (which may be a FIFO or huge): nothing to quote
            return None
        if path not in self._files:
            try:
                data = read_source(self.root / path, DEFAULT_MAX_FILE_SIZE)
                self._files[path] = data.decode("utf-8", errors="replace").splitlines()
            except UnreadableFile:
                self._files[path] = None
        lines = self._files[path]
        return lines[line - 1] if lines is not None and 0 < line <= len(lines) else None


def render_text(result: CheckResult, *, root: Path, style: Callable[[str, str], str] | None = None) -> str:
    """``style(text, role)`` colours a fragment (roles: error, warning, info, path, rule, dim, ok); plain by default."""
    paint = style or (lambda text, _role: text)
    source = _Lines(root)
    out = _header(result, paint)
    for path, group in groupby(result.findings, key=lambda f: f.path):
        out.append(paint(path, "path"))
        for finding in group:
            where = f"{finding.line}:{finding.column}"
            dialect = f" [{finding.engines}]" if finding.dialects else ""
            out.append(
                f"  {where} {paint(finding.severity, finding.severity)} {paint(finding.rule, 'rule')}{dialect} "
                f"{finding.message}"
            )
            text = source.get(path, finding.line)
            if text is not None:
                gutter = str(finding.line)
                out.append(paint(f"  {gutter} | ", "dim") + text)
                out.append(paint(f"  {' ' * len(gutter)} | {' ' * max(finding.column - 1, 0)}^", finding.severity))
            if finding.hint:
                out.append(f"    = help: {finding.hint}")
        out.append("")
    for note in result.notes:
        out.append(paint(f"note: {note}", "dim"))
    if any(report.verified for report in result.sites):  # verify.py imports SQLAlchemy: only when --verify ran
        from schema_parity.verify import summary_lines

        out.extend(paint(line, role) for line, role in summary_lines(result.sites))
    if result.deploy is not None:
        for site in result.deploy.sites:
            if site.safe_order != "both":
                history = f" (history {site.history})" if site.history else ""
                out.append(f"{site.path}:{site.line}: safe deploy order: {site.safe_order}{history}")
    out.append(summary_line(result, style=style))
    if result.findings:
        out.append(paint("Explain a rule: schema-parity explain CODE", "dim"))
    return "\n".join(out) + "\n"


def _header(result: CheckResult, paint: Callable[[str, str], str]) -> list[str]:
    """What the check judged against: the schema (source and revision) and each dialect's engine (the JSON report's
    ``engines``), followed by a blank line when findings follow."""
    lines = [f"schema: {'; '.join(result.judged_against)}"] if result.judged_against else []
    if result.engines:
        lines.append("; ".join(f"{dialect}: {engine}" for dialect, engine in result.engines.items()))
    return [paint(line, "dim") for line in lines] + ([""] if lines and result.findings else [])


def summary_line(result: CheckResult, *, style: Callable[[str, str], str] | None = None) -> str:
    """The report's last line: sites, files, dialects and counts (the deploy check's own line with a deploy)."""
    paint = style or (lambda text, _role: text)
    if result.deploy is not None:
        return paint(result.deploy.summary_line(), "error" if result.errors else "ok")
    summary = result.summary()
    extra = [
        f"{summary[key]} {label}"
        for key, label in (("suppressed", "suppressed"), ("baselined", "in the baseline"))
        if summary[key]
    ]
    scope = f" changed since {result.diff_base}" if result.diff_base else ""
    line = (
        f"{summary['sites']} upsert site(s){scope} in {summary['files']} file(s) checked for "
        f"{', '.join(result.dialects)}: {summary['errors']} error(s), {summary['warnings']} warning(s), "
        f"{summary['unresolved_sites']} unresolved"
    ) + "".join(f", {e}" for e in extra)
    return paint(line, "error" if summary["errors"] else "ok")
