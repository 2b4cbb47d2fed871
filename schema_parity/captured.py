"""Judging what a test run executed: captured statements (capture.py) become sites the check judges as it judges
scanned ones.

Each distinct statement is one :class:`~schema_parity.sites.Site` per dialect, placed at the application call site
that issued it (``origin="captured"``): a SQLAlchemy construct run on SQLite is judged with SQLite's rules on the text
SQLite received and with PostgreSQL's on the construct compiled again for PostgreSQL; raw SQL text by every dialect as
it is. The verdicts, rule codes, selection, severities, suppression comments and baseline are the check's own
(:func:`schema_parity.check.check_sites`); a call that proposed one conflict key twice to DO UPDATE adds SP302 when
PostgreSQL's verdict on the statement is otherwise ok. The result is grouped by call site, each with its statements
and the test that first ran them, and with the statically unresolved sites of the same function (the ones the
scanner could not read): those are reported as judged at run time.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from schema_parity.capture import Record
from schema_parity.catalog import Dialect
from schema_parity.check import CheckResult, SiteReport, check_sites
from schema_parity.config import Settings
from schema_parity.errors import ConfigError
from schema_parity.findings import Finding
from schema_parity.sites import Site
from schema_parity.suppressions import Directive, directives_in

__all__ = ["CallSite", "CapturedResult", "judge_captured", "merge_results"]


@dataclass(frozen=True)
class CallSite:
    """One application line that executed upserts: what it ran, what was found, which static sites it stands for."""

    path: str
    line: int
    records: tuple[Record, ...]
    reports: tuple[SiteReport, ...]
    findings: tuple[Finding, ...]
    suppressed: tuple[Finding, ...]
    unresolved_sites: tuple[Site, ...]
    """Statically unresolved sites in the function holding this call: judged at run time through it."""

    @property
    def first_test(self) -> str | None:
        return next((r.test for r in self.records if r.test), None)

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "error")


@dataclass(frozen=True)
class CapturedResult:
    result: CheckResult
    call_sites: tuple[CallSite, ...]

    @property
    def judged_unresolved(self) -> tuple[Site, ...]:
        """The statically unresolved sites that a captured call judged, each once."""
        seen: dict[tuple[str, int, int], Site] = {}
        for call in self.call_sites:
            for site in call.unresolved_sites:
                seen.setdefault((site.path, site.line, site.column), site)
        return tuple(seen.values())

    def notes(self) -> list[str]:
        statements = sum(len(c.records) for c in self.call_sites)
        notes = [f"{statements} statement(s) captured at run time at {len(self.call_sites)} call site(s)"]
        judged = self.judged_unresolved
        if judged:
            where = ", ".join(f"{s.path}:{s.line}" for s in judged)
            notes.append(f"{len(judged)} statically unresolved site(s) judged at run time: {where}")
        return notes


def judge_captured(
    records: Sequence[Record],
    settings: Settings,
    *,
    capture_root: Path,
    static_sites: Sequence[Site] | None = None,
    use_baseline: bool = True,
) -> CapturedResult:
    """Judge ``records`` (paths relative to ``capture_root``) with ``settings``; ``static_sites`` are the scanner's
    sites (None: the configured paths are scanned, from the scan cache)."""
    root = settings.root.resolve()
    records = [replace(r, path=_rebase(r.path, capture_root.resolve(), root)) for r in records]
    sites: dict[Site, list[Record]] = {}
    for record in records:
        revision = record.revision if record.revision not in (None, "head") else None
        for dialect, text in record.sql.items():
            if dialect is not None and dialect not in settings.dialects:
                continue
            site = Site(record.path, record.line, 1, "captured", text, dialect=dialect, revision=revision)
            sites.setdefault(site, []).append(record)

    def sp302(site: Site, verdicts: Mapping[Dialect, object]) -> list[tuple[Finding, str]]:
        from schema_parity.verdicts import Verdict
        from schema_parity.verdicts.postgresql import key_proposed_twice

        verdict = verdicts.get("postgresql")
        if not isinstance(verdict, Verdict) or verdict.status != "ok" or not verdict.arbiters:
            return []
        if any(p.rule == "SP302" for p in verdict.problems):
            return []
        duplicate = next((r.duplicate for r in sites.get(site, ()) if r.duplicate is not None), None)
        if duplicate is None:
            return []
        found = Finding.from_problem(key_proposed_twice(duplicate), site=site, dialect="postgresql", table=None)
        return [(found, site.sql or "")]

    directives = _directives({r.path for r in records}, root)
    result = check_sites(list(sites), settings, directives=directives, extra=sp302, use_baseline=use_baseline)
    if static_sites is None:
        static_sites = _scan(settings) if records else []
    unresolved = [s for s in static_sites if s.sql is None]
    by_line: dict[tuple[str, int], list[Record]] = {}
    for record in records:
        by_line.setdefault((record.path, record.line), []).append(record)
    calls = []
    for (path, line), group in sorted(by_line.items()):
        reports = tuple(r for r in result.sites if r.site.path == path and r.site.line == line)
        spans = {r.function for r in group}
        calls.append(
            CallSite(
                path=path,
                line=line,
                records=tuple(group),
                reports=reports,
                findings=tuple(f for f in result.findings if f.path == path and f.line == line),
                suppressed=tuple(f for f in result.suppressed if f.path == path and f.line == line),
                unresolved_sites=tuple(
                    s for s in unresolved if s.path == path and any(a <= s.line <= b for a, b in spans)
                ),
            )
        )
    captured = CapturedResult(result, tuple(calls))
    return replace(captured, result=replace(result, notes=(*result.notes, *captured.notes())))


def merge_results(static: CheckResult, captured: CheckResult) -> CheckResult:
    """The static check's result with the captured one's sites and findings added (a finding both report, once)."""

    def union(a: tuple[Finding, ...], b: tuple[Finding, ...]) -> tuple[Finding, ...]:
        return tuple(sorted(dict.fromkeys((*a, *b)), key=Finding.sort_key))

    return replace(
        static,
        findings=union(static.findings, captured.findings),
        suppressed=union(static.suppressed, captured.suppressed),
        baselined=union(static.baselined, captured.baselined),
        sites=(*static.sites, *captured.sites),
        notes=tuple(dict.fromkeys((*static.notes, *captured.notes))),
        fingerprints={**captured.fingerprints, **static.fingerprints},
    )


def _rebase(path: str, capture_root: Path, root: Path) -> str:
    """A record's path, relative to ``root`` when the file is under it (else absolute)."""
    absolute = Path(path) if Path(path).is_absolute() else capture_root / path
    try:
        return absolute.relative_to(root).as_posix()
    except ValueError:
        relative = os.path.relpath(absolute, root)
        return absolute.as_posix() if relative.startswith("..") else Path(relative).as_posix()


def _directives(paths: set[str], root: Path) -> list[Directive]:
    """The suppression comments of the files holding call sites (read as the scanner reads them)."""
    found: list[Directive] = []
    for path in sorted(paths):
        file = root / path
        if "schema-parity:" not in _text(file):
            continue
        found.extend(directives_in(_text(file), path, python=file.suffix == ".py"))
    return found


def _text(file: Path) -> str:
    try:
        return file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return ""


def _scan(settings: Settings) -> list[Site]:
    from schema_parity.sites.scan import scan

    try:
        scanned = scan(
            settings.paths,
            root=settings.root.resolve(),
            exclude=settings.exclude,
            wrappers=settings.wrappers,
            cache_dir=settings.cache_dir,
            jobs=settings.jobs,
            max_file_size=settings.max_file_size,
        )
    except ConfigError:
        return []
    return list(scanned.sites)
