"""GitHub Actions output: one workflow-command annotation per finding, and a Markdown job summary.

GitHub shows only 10 error and 10 warning annotations per step (50 per job), so the job summary
(``$GITHUB_STEP_SUMMARY``) lists every finding. Escaping follows the runner's rules: ``%``, CR and LF in the message,
and additionally ``:`` and ``,`` in properties (file, title), which would otherwise end the property.
"""

from __future__ import annotations

import os
from pathlib import Path

from schema_parity.check import CheckResult
from schema_parity.findings import Finding
from schema_parity.rules import rule_for

_LEVEL = {"error": "error", "warning": "warning", "info": "notice"}
_ICON = {"error": ":x:", "warning": ":warning:", "info": ":information_source:"}
SUMMARY_ROWS = 500


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def workspace_path(root: Path, path: str, workspace: Path | None) -> str:
    """The path GitHub resolves annotations against: relative to ``$GITHUB_WORKSPACE`` when inside it."""
    if workspace is None:
        return path
    absolute = (root / path).resolve()
    try:
        return absolute.relative_to(workspace.resolve()).as_posix()
    except ValueError:
        return path


def annotation(finding: Finding, path: str) -> str:
    where = [f"file={escape_property(path)}"]
    if finding.line > 0:
        where += [f"line={finding.line}", f"col={finding.column}"]
    title = f"{finding.rule} {rule_for(finding.rule).name}" + (f" [{finding.engines}]" if finding.dialects else "")
    where.append(f"title={escape_property(title)}")
    message = finding.message + (f"\n\nhelp: {finding.hint}" if finding.hint else "")
    return f"::{_LEVEL[finding.severity]} {','.join(where)}::{escape_data(message)}"


def render_github(result: CheckResult, *, root: Path, workspace: Path | None = None) -> str:
    """Annotations, then the one-line summary (plain text, shown in the log)."""
    lines = [annotation(f, workspace_path(root, f.path, workspace)) for f in result.findings]
    summary = result.summary()
    if result.deploy is not None:
        lines.append(f"schema-parity: {result.deploy.summary_line()}")
        return "\n".join(lines) + "\n"
    lines.append(
        f"schema-parity: {summary['sites']} upsert site(s) in {summary['files']} file(s): {summary['errors']} "
        f"error(s), {summary['warnings']} warning(s), {summary['suppressed']} suppressed, "
        f"{summary['baselined']} in the baseline"
    )
    return "\n".join(lines) + "\n"


def job_summary(result: CheckResult, *, root: Path, workspace: Path | None = None) -> str:
    """Markdown for ``$GITHUB_STEP_SUMMARY``: counts, then a table of every finding (capped at SUMMARY_ROWS)."""
    summary = result.summary()
    state = ":x:" if summary["errors"] else ":white_check_mark:"
    out = [
        f"## {state} schema-parity: {summary['errors']} error(s), {summary['warnings']} warning(s)",
        "",
        f"{summary['sites']} upsert site(s) in {summary['files']} file(s) checked for {', '.join(result.dialects)}"
        + (f", changed since `{result.diff_base}`" if result.diff_base else "")
        + f"; {summary['suppressed']} suppressed, {summary['baselined']} in the baseline.",
        "",
    ]
    if result.deploy is not None:
        out += [_cell(result.deploy.summary_line()), ""]
    if result.findings:
        out += ["| | Location | Rule | Engine | Message |", "|---|---|---|---|---|"]
        for f in result.findings[:SUMMARY_ROWS]:
            where = workspace_path(root, f.path, workspace) + (f":{f.line}:{f.column}" if f.line else "")
            out.append(
                f"| {_ICON[f.severity]} | `{where}` | {f.rule} {rule_for(f.rule).name} | {f.engines} | "
                f"{_cell(f.message)} |"
            )
        if len(result.findings) > SUMMARY_ROWS:
            out.append(f"\n… and {len(result.findings) - SUMMARY_ROWS} more: run with `--format json` to see all.")
        out += ["", "GitHub shows at most 10 annotations of each level per step; this table lists every finding."]
    return "\n".join(out) + "\n"


def append_job_summary(result: CheckResult, *, root: Path) -> None:
    """Append to ``$GITHUB_STEP_SUMMARY`` when running in GitHub Actions (no-op elsewhere)."""
    target = os.environ.get("GITHUB_STEP_SUMMARY")
    if not target:
        return
    with open(target, "a", encoding="utf-8") as handle:
        handle.write(job_summary(result, root=root, workspace=github_workspace()))


def github_workspace() -> Path | None:
    workspace = os.environ.get("GITHUB_WORKSPACE")
    return Path(workspace) if workspace else None


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")
